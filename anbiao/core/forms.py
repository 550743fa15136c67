from django import forms

EMPTY_CHOICE = "---------"  # Django's blank choice, which means nothing to a user


def style_fields(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap/Tabler class, mark invalid fields, and word the blank
    choice of a select "请选择" instead of Django's dashes."""
    for name, field in form.fields.items():
        widget = field.widget
        if getattr(field, "empty_label", None) == EMPTY_CHOICE:
            field.empty_label = "请选择"
        elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField) and not isinstance(
            field, forms.ModelChoiceField
        ):
            choices = list(field.choices)
            if any(label == EMPTY_CHOICE for _, label in choices):
                field.choices = [(v, "请选择" if b == EMPTY_CHOICE else b) for v, b in choices]
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            widget.attrs.setdefault("class", "form-check-input")
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        # Read `_errors`, never `errors`: the latter would validate the form before a subclass's
        # __init__ has finished setting it up (querysets, disabled fields).
        if form._errors is not None and name in form._errors:
            css += " is-invalid"
        widget.attrs["class"] = css


def bound_fields(form: forms.BaseForm) -> None:
    """Give every date and integer field the range the database and date arithmetic can hold
    (anbiao/core/parsing.py), so `9999-12-31` or `99999999999999999999` is a form error naming
    the field, not a 500 further down."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    from anbiao.core.parsing import MAX_DATE, MAX_INT, MIN_DATE, MIN_INT

    for field in form.fields.values():
        if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
            low, high = MIN_DATE, MAX_DATE
            message = f"请输入 {MIN_DATE.year} 年至 {MAX_DATE.year} 年之间的日期"
        elif isinstance(field, forms.IntegerField):
            low, high, message = MIN_INT, MAX_INT, "数值超出范围"
        elif isinstance(field, forms.ModelChoiceField) and not field.to_field_name:
            field.clean = _ids_in_range(field.clean)
            continue
        else:
            continue
        field.validators = [
            *field.validators,
            MinValueValidator(low, message=message),
            MaxValueValidator(high, message=message),
        ]


def _ids_in_range(clean):
    """Wrap a model choice field's `clean`: an id beyond the 64-bit column (a typed URL, a
    probe) is an invalid choice, not an overflow in the database driver."""
    from django.core.exceptions import ValidationError

    from anbiao.core.parsing import MAX_INT

    def checked(value):
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = str(item if item is not None else "").strip().lstrip("-")
            if text.isdigit() and int(text) > MAX_INT:
                raise ValidationError("所选项不存在,请重新选择", code="invalid_choice")
        return clean(value)

    return checked


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_fields(self)
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        style_fields(self)


class StyledModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_fields(self)
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        style_fields(self)


def apply_errors(form: forms.BaseForm, exc, fallback: str | None = None) -> None:
    """Put a service's ValidationError on the form: field errors on their fields, the rest on
    `fallback` (a field name) or as form-wide errors."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(fallback if fallback in form.fields else None, exc.messages)
