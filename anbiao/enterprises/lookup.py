"""Finding an enterprise from what a person types: its USCC, or its exact name, within the
enterprises they may see. Used by the forms of agencies, benchmarks and training."""

from django import forms

from anbiao.core import uscc as uscc_rules
from anbiao.enterprises.models import Enterprise


def resolve_enterprise(queryset, text: str) -> Enterprise:
    """The one enterprise of `queryset` whose USCC or exact name is `text`.

    Raises forms.ValidationError (Chinese) when none or several match.
    """
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError("请填写企业名称或统一社会信用代码")
    code = uscc_rules.normalize(text)
    matches = list(queryset.filter(uscc=code)[:2]) if code and len(code) == 18 else []
    if not matches:
        matches = list(queryset.filter(name=text)[:2])
    if not matches:
        raise forms.ValidationError(f"在您的管辖范围内没有找到企业“{text}”")
    if len(matches) > 1:
        raise forms.ValidationError(f"有多家企业名为“{text}”,请填写统一社会信用代码")
    return matches[0]


class EnterpriseLookupField(forms.CharField):
    """A text field that cleans to an Enterprise of `queryset` (set by the form)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", "企业")
        kwargs.setdefault("help_text", "填写企业全称或统一社会信用代码")
        kwargs.setdefault("max_length", 100)
        super().__init__(*args, **kwargs)
        self.queryset = Enterprise.objects.none()

    def prepare_value(self, value):
        if isinstance(value, Enterprise):
            return value.name
        return super().prepare_value(value)

    def clean(self, value):
        text = super().clean(value)
        if not text and not self.required:
            return None
        return resolve_enterprise(self.queryset, text)
