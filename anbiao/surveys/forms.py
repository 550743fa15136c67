from django import forms
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.accounts.scope import regions_for
from anbiao.core.forms import StyledForm, StyledModelForm
from anbiao.enterprises.choices import Industry
from anbiao.surveys.models import SurveyFinding, SurveyRound

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ELIGIBLE_CHOICES = ((None, "未确认"), (True, "符合"), (False, "不符合"))


class RoundForm(StyledModelForm):
    allow_overlap = forms.BooleanField(
        label="我已知晓仍有进行中的摸排,确认同时开启新一轮", required=False
    )

    class Meta:
        model = SurveyRound
        fields = ["name", "region", "period_start", "period_end", "surveyors"]
        widgets = {"period_start": DATE_INPUT, "period_end": DATE_INPUT}
        help_texts = {"name": "如:2025年下半年摸排", "surveyors": "多人用顿号分隔"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user).filter(level="subdistrict")
        self.fields["region"].empty_label = "请选择镇街"
        if user.region_id and user.region.level == "subdistrict":
            self.fields["region"].initial = user.region_id

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and start > timezone.localdate():
            self.add_error("period_start", "开始日期不能晚于今天:摸排开始时再开启本轮")
        if start and end and end < start:
            self.add_error("period_end", "结束日期不能早于开始日期")
        return data


class FindingForm(StyledModelForm):
    eligible = forms.NullBooleanField(
        label="符合创建条件", required=False, widget=forms.Select(choices=ELIGIBLE_CHOICES)
    )

    class Meta:
        model = SurveyFinding
        fields = [
            "status",
            "size",
            "employees",
            "eligible",
            "eligibility_reason",
            "surveyor",
            "surveyed_on",
            "note",
        ]
        widgets = {"surveyed_on": DATE_INPUT}


class NewFindingForm(FindingForm):
    new_industry = forms.ChoiceField(label="行业", choices=Industry.choices)

    class Meta(FindingForm.Meta):
        fields = [
            "new_name",
            "new_uscc",
            "new_industry",
            "new_region",
            "new_address",
            *FindingForm.Meta.fields,
        ]

    def __init__(self, *args, survey_round, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["new_region"].queryset = Region.objects.filter(
            path__startswith=survey_round.region.path
        )
        self.fields["new_region"].required = True
        self.fields["new_name"].required = True
        self.fields["new_uscc"].required = True
        self.fields["new_uscc"].max_length = 40


class CloseForm(StyledForm):
    on = forms.DateField(
        label="结束(生效)日期",
        initial=timezone.localdate,
        widget=DATE_INPUT,
        help_text="摸排结果自该日起计入台账;该日之前的台账不受影响",
    )
