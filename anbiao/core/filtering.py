import django_filters


def describe_filters(filterset) -> str:
    """The active filters in words, e.g. "行业:机械;规模:小型" (for export headers)."""
    if not filterset.form.is_valid():
        return ""
    parts = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", [], ()) or name == "ordering":
            continue
        field = filterset.form.fields[name]
        if hasattr(field, "choices") and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        parts.append(f"{field.label}:{value}")
    return ";".join(parts)


class ChineseOrderingFilter(django_filters.OrderingFilter):
    """A sort select whose every choice is Chinese: `fields` is a sequence of (model field,
    URL parameter, label), and each label gets an ascending and a 降序 choice. django-filter keys
    its labels by model field and words the descending choice "%s (descending)" in English
    (its translations do not cover zh-hans), so a plain OrderingFilter leaks English."""

    def __init__(self, *args, fields: tuple[tuple[str, str, str], ...], **kwargs) -> None:
        labels = {}
        for field, param, label in fields:
            labels[field] = label
            labels[f"-{param}"] = f"{label}(降序)"
        kwargs.setdefault("empty_label", "默认排序")
        super().__init__(
            *args,
            fields=tuple((field, param) for field, param, _ in fields),
            field_labels=labels,
            **kwargs,
        )
