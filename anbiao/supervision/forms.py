"""Forms of the supervision pages (validation of shapes only; the rules live in services)."""

from django import forms
from django.utils import timezone

from anbiao.accounts.scope import regions_for
from anbiao.core.forms import StyledForm
from anbiao.enterprises.models import Enterprise
from anbiao.supervision.choices import (
    HazardLevel,
    HazardState,
    PlanEntryStatus,
    RiskColour,
    SupervisionClass,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _enterprise_field(user):
    return forms.ModelChoiceField(
        label="企业",
        queryset=Enterprise.objects.restrict(user, "view").order_by("name_pinyin"),
        error_messages={"invalid_choice": "请选择您管辖范围内的企业"},
    )


class HazardFilterForm(StyledForm):
    q = forms.CharField(label="搜索", required=False)
    level = forms.ChoiceField(
        label="级别", required=False, choices=[("", "全部")] + HazardLevel.choices
    )
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("open", "未销号")] + HazardState.choices,
    )
    overdue = forms.ChoiceField(
        label="逾期", required=False, choices=[("", "全部"), ("1", "仅逾期")]
    )
    listed = forms.ChoiceField(
        label="挂牌督办", required=False, choices=[("", "全部"), ("1", "仅督办")]
    )
    year = forms.IntegerField(label="发现年度", required=False)


class HazardForm(StyledForm):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label="企业")
    level = forms.ChoiceField(label="隐患级别", choices=HazardLevel.choices)
    description = forms.CharField(
        label="隐患描述", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(label="隐患部位", max_length=100, required=False)
    legal_basis = forms.CharField(label="依据", max_length=300, required=False)
    found_on = forms.DateField(label="发现日期", widget=DATE)
    deadline = forms.DateField(
        label="整改期限", required=False, widget=DATE, help_text="不填则按默认期限"
    )
    responsible = forms.CharField(label="整改责任人", max_length=50, required=False)
    measures = forms.CharField(
        label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    funds = forms.DecimalField(label="整改资金(元)", required=False, min_value=0, decimal_places=2)
    contingency = forms.CharField(
        label="应急预案", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = forms.FileField(
        label="隐患照片",
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"] = _enterprise_field(user)
        self.initial.setdefault("found_on", timezone.localdate())


class StepForm(StyledForm):
    kind = forms.CharField(widget=forms.HiddenInput)
    on = forms.DateField(label="日期", widget=DATE)
    note = forms.CharField(
        label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label="整改材料", required=False)


class PlanForm(StyledForm):
    responsible = forms.CharField(label="责任(整改责任人)", max_length=50, required=False)
    measures = forms.CharField(
        label="措施", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    funds = forms.DecimalField(label="资金(元)", required=False, min_value=0, decimal_places=2)
    deadline = forms.DateField(label="时限(整改期限)", required=False, widget=DATE)
    contingency = forms.CharField(
        label="预案(整改期间的应急措施)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class InspectionStartForm(StyledForm):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label="企业")
    checklist = forms.ChoiceField(label="检查表")
    inspected_on = forms.DateField(label="检查日期", widget=DATE)
    inspectors = forms.CharField(label="检查人员", max_length=100)

    def __init__(self, *args, user=None, checklists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"] = _enterprise_field(user)
        self.fields["checklist"].choices = [(c.pk, str(c)) for c in checklists]
        self.initial.setdefault("inspected_on", timezone.localdate())
        self.initial.setdefault("inspectors", getattr(user, "display_name", ""))


class FinishForm(StyledForm):
    contact_name = forms.CharField(label="企业确认人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    summary = forms.CharField(
        label="检查情况小结", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OverrideForm(StyledForm):
    klass = forms.ChoiceField(
        label="监管类别",
        choices=[("", "恢复按规则评定")] + SupervisionClass.choices,
        required=False,
    )
    on = forms.DateField(label="生效日期", widget=DATE)
    reason = forms.CharField(label="理由", max_length=300)


class IncidentForm(StyledForm):
    occurred_on = forms.DateField(label="发生日期", widget=DATE)
    description = forms.CharField(label="事故概况", max_length=300)
    casualties = forms.CharField(label="伤亡情况", max_length=100, required=False)


class PlanGenerateForm(StyledForm):
    region = forms.ModelChoiceField(queryset=None, label="镇街")
    year = forms.IntegerField(label="年度")
    inspector = forms.CharField(label="默认检查人员", max_length=50, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user).filter(level="subdistrict")
        self.initial.setdefault("year", timezone.localdate().year)


class PlanEntryForm(StyledForm):
    month = forms.IntegerField(label="计划月份", min_value=1, max_value=12)
    inspector = forms.CharField(label="检查人员", max_length=50, required=False)


class PlanFilterForm(StyledForm):
    klass = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部")] + SupervisionClass.choices
    )
    status = forms.ChoiceField(
        label="完成情况", required=False, choices=[("", "全部")] + PlanEntryStatus.choices
    )
    month = forms.IntegerField(label="月份", required=False, min_value=1, max_value=12)


class RiskForm(StyledForm):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label="企业")
    name = forms.CharField(label="风险点", max_length=100)
    location = forms.CharField(label="部位/场所", max_length=100, required=False)
    colour = forms.ChoiceField(label="风险等级", choices=RiskColour.choices)
    factors = forms.CharField(label="主要危险因素", max_length=300, required=False)
    controls = forms.CharField(label="管控措施", widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.CharField(label="管控责任人", max_length=50)
    review_on = forms.DateField(label="下次评估日期", required=False, widget=DATE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"] = _enterprise_field(user)


class UploadForm(StyledForm):
    file = forms.FileField(label="Excel文件(.xlsx)")


class ChecklistImportForm(UploadForm):
    code = forms.SlugField(
        label="检查表编号", max_length=40, help_text="字母、数字和连字符,如 gm-machinery"
    )
    version = forms.IntegerField(label="版本", min_value=1, initial=1)
    name = forms.CharField(label="名称", max_length=100)
    risk_tags = forms.CharField(
        label="适用重点风险代码", required=False, help_text="多个用逗号分隔,如 dust_explosion"
    )
