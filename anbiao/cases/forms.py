from django import forms
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies.models import Agency
from anbiao.cases import conf
from anbiao.cases.choices import EventKind, PublicityOutcome
from anbiao.cases.transitions import GRADING_KINDS
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
    EventKind.DOWNGRADE: ("number", "grade", "issuer", "expires_on"),
    EventKind.EXTEND: ("number", "issuer", "expires_on"),
    EventKind.PUBLICITY: ("ends_on", "outcome"),
}
OPTIONAL_FIELDS = (
    "grade",
    "score",
    "number",
    "issuer",
    "expires_on",
    "ends_on",
    "outcome",
    "proxy_for",
)
CERTIFICATE_HELP = {
    EventKind.DOWNGRADE: "降级后换发的新证书编号(原证书即告终止)",
    EventKind.EXTEND: "留空则沿用原证书编号",
}
EXPIRY_HELP = {
    EventKind.DOWNGRADE: "留空则沿用原证书的有效期",
    EventKind.EXTEND: "留空则按等级规则的延期年限自原有效期起顺延",
}


def grade_choices():
    return [("", "请选择等级"), *((r.code, r.name) for r in conf.grade_rules())]


class RecordEventForm(StyledForm):
    """One step of a case, as a station officer (or the 定级部门, `proxy=False`) records it."""

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
    ends_on = forms.DateField(label="公示截止日期", required=False, widget=DATE_INPUT)
    outcome = forms.ChoiceField(
        label="公示结果", required=False, choices=PublicityOutcome.choices, initial="pending"
    )
    proxy_for = forms.CharField(
        label="决定单位(街道代录)",
        required=False,
        max_length=100,
        help_text="评审结果、公示、发证、降级、撤销、延期由定级部门决定;"
        "街道录入收到的决定时写明作出决定的单位,如“翔安区应急管理局”",
    )
    note = forms.CharField(
        label="备注/原因",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(label="证明材料(可选)", required=False, help_text=f"{ACCEPTED},内容校验")

    def __init__(self, *args, kinds, kind=None, proxy=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["grade"].choices = grade_choices()
        if kind in CERTIFICATE_HELP:
            self.fields["number"].help_text = CERTIFICATE_HELP[kind]
        if kind in EXPIRY_HELP:
            self.fields["expires_on"].help_text = EXPIRY_HELP[kind]
        if kind == EventKind.PUBLICITY:
            self.fields["on"].label = "公示开始日期"
        if kind:
            self.fields["kind"].initial = kind
            shown = KIND_FIELDS.get(kind, ())
            if proxy and kind in GRADING_KINDS:
                shown = (*shown, "proxy_for")
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


class StandardImportForm(StyledForm):
    """An admin loads a standard from an Excel sheet of items (columns: docs/cases.md)."""

    file = forms.FileField(
        label="评定项表(.xlsx)",
        help_text="列:一级要素、二级要素、编号、评定内容、分值、否决项、可为空项、扣分标准、"
        "否决适用行业(可选)",
    )
    code = forms.CharField(
        label="标准代码", max_length=40, help_text="如 xm-xiaowei;新版本沿用同一代码"
    )
    version = forms.IntegerField(label="版本", min_value=1, initial=1)
    name = forms.CharField(label="标准名称", max_length=120)
    issued_by = forms.CharField(label="发布单位", max_length=100, required=False)
    grades = forms.CharField(
        label="等级设置",
        required=False,
        max_length=200,
        help_text="本标准自己的等级,如“达标:60”或“一级:90,二级:80,三级:70”;留空则用本地等级规则",
    )
    sample = forms.BooleanField(label="示例标准(非正式)", required=False)
