from django import forms
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies.models import Agency
from anbiao.cases import conf
from anbiao.cases.choices import EventKind
from anbiao.core.evidence import ACCEPTED
from anbiao.core.forms import StyledForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Which extra fields each kind of step shows (the rest are hidden for it).
KIND_FIELDS = {
    EventKind.REVIEW_PASS: ("grade", "score"),
    EventKind.REVIEW_FAIL: ("score",),
    EventKind.SELF_ASSESSED: ("score",),
    EventKind.ANNUAL: ("score",),
    EventKind.CERTIFICATE: ("number", "grade", "issuer", "expires_on"),
    EventKind.RENEWAL: ("number", "grade", "issuer", "expires_on"),
}
OPTIONAL_FIELDS = ("grade", "score", "number", "issuer", "expires_on")


def grade_choices():
    return [("", "请选择等级"), *((r.code, r.name) for r in conf.grade_rules())]


class RecordEventForm(StyledForm):
    """One step of a case, as a station officer records it."""

    kind = forms.ChoiceField(label="事项", choices=EventKind.choices)
    on = forms.DateField(label="日期", initial=timezone.localdate, widget=DATE_INPUT)
    grade = forms.ChoiceField(
        label="等级", required=False, choices=(), help_text="发证时留空则取评审通过时的等级"
    )
    score = forms.DecimalField(
        label="得分(百分制)", required=False, min_value=0, max_value=100, decimal_places=1
    )
    number = forms.CharField(label="证书编号", required=False, max_length=60)
    issuer = forms.CharField(label="发证单位", required=False, max_length=100)
    expires_on = forms.DateField(
        label="有效期至",
        required=False,
        widget=DATE_INPUT,
        help_text="留空则按发证日期加有效期年限自动计算",
    )
    note = forms.CharField(
        label="备注/原因",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(label="证明材料(可选)", required=False, help_text=f"{ACCEPTED},内容校验")

    def __init__(self, *args, kinds, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["grade"].choices = grade_choices()
        if kind:
            self.fields["kind"].initial = kind
            shown = KIND_FIELDS.get(kind, ())
            for name in OPTIONAL_FIELDS:
                if name not in shown:
                    self.fields[name].widget = forms.HiddenInput()


class ReviewAssignForm(StyledForm):
    on = forms.DateField(label="评审开始日期", initial=timezone.localdate, widget=DATE_INPUT)
    agency = forms.ModelChoiceField(
        label="评审机构",
        required=False,
        queryset=Agency.objects.filter(is_active=True),
        empty_label="(不指定机构)",
    )
    experts = forms.ModelMultipleChoiceField(
        label="评审专家",
        required=False,
        queryset=User.objects.filter(role=Role.EXPERT, is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label="备注", required=False, max_length=300)


class CorrectionForm(StyledForm):
    note = forms.CharField(label="撤回原因", max_length=300)


class EvidenceForm(StyledForm):
    file = forms.FileField(label="证明材料", help_text=f"{ACCEPTED},内容校验")


class RectificationCloseForm(StyledForm):
    on = forms.DateField(label="销项日期", initial=timezone.localdate, widget=DATE_INPUT)
    note = forms.CharField(label="整改情况", max_length=300)
