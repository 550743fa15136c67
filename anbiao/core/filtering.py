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
