from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone

from anbiao.campaigns import metrics
from anbiao.campaigns.choices import FilingFrequency, TaskStatus
from anbiao.campaigns.models import Campaign, Target, Task
from anbiao.core.forms import StyledForm, StyledModelForm
from anbiao.core.parsing import SaneDateField
from anbiao.enterprises.choices import Industry, Size

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DashboardForm(StyledForm):
    as_of = SaneDateField(label="统计日期", required=False, widget=DATE_INPUT)
    region = forms.ModelChoiceField(label="区域", queryset=None, required=False, empty_label="全部")

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def clean_as_of(self):
        on = self.cleaned_data.get("as_of")
        if on and on > timezone.localdate():
            raise forms.ValidationError(metrics.FUTURE_DATE)
        return on


class CampaignForm(StyledModelForm):
    industries = forms.MultipleChoiceField(
        label="行业", choices=Industry.choices, widget=forms.CheckboxSelectMultiple
    )
    sizes = forms.MultipleChoiceField(
        label="企业规模", choices=Size.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "name",
            "plan_title",
            "issuer",
            "issued_on",
            "document_number",
            "region",
            "industries",
            "sizes",
            "exclude_torch_zone",
            "baseline_on",
            "starts_on",
            "ends_on",
            "summary",
            "filing_frequency",
            "filing_due_days",
        ]
        widgets = {
            "issued_on": DATE_INPUT,
            "baseline_on": DATE_INPUT,
            "starts_on": DATE_INPUT,
            "ends_on": DATE_INPUT,
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        if self.instance.pk:
            self.fields["slug"].disabled = True
        # The 信息报送 schedule may be left out: 不定期, due 10 days after a period.
        self.fields["filing_frequency"].required = False
        self.fields["filing_due_days"].required = False
        self.fields["filing_due_days"].max_value = 90
        self.fields["filing_due_days"].validators.append(MaxValueValidator(90))

    def clean_filing_frequency(self):
        return self.cleaned_data.get("filing_frequency") or FilingFrequency.NONE

    def clean_filing_due_days(self):
        value = self.cleaned_data.get("filing_due_days")
        return 10 if value is None else value

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        return data


class TargetForm(StyledModelForm):
    metric = forms.ChoiceField(label="指标", choices=())
    cap_metric = forms.ChoiceField(label="上限指标", choices=(), required=False)

    class Meta:
        model = Target
        fields = ["code", "label", "metric", "threshold", "deadline", "cap_metric"]
        widgets = {"deadline": DATE_INPUT}
        help_texts = {
            "threshold": "比率类指标填0到1之间的小数(如50%填0.5);数量类指标填家数",
            "cap_metric": "目标值不超过该指标的数值(如“不足2家的按实际家数”)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metrics.target_choices()
        self.fields["cap_metric"].choices = [("", "(无)"), *metrics.target_choices()]

    def clean(self):
        data = super().clean()
        metric, threshold = data.get("metric"), data.get("threshold")
        if metric and threshold is not None and metrics.is_rate(metric) and not 0 <= threshold <= 1:
            self.add_error("threshold", "比率类指标的目标值应在0到1之间,如50%填0.5")
        return data


class TaskForm(StyledModelForm):
    class Meta:
        model = Task
        fields = ["code", "title", "phase", "deadline", "department", "deliverable"]
        widgets = {"deadline": DATE_INPUT}

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = campaign.phases.all()


class TaskUpdateForm(StyledForm):
    status = forms.ChoiceField(label="状态", choices=TaskStatus.choices)
    on = forms.DateField(label="日期", initial=timezone.localdate, widget=DATE_INPUT)
    note = forms.CharField(
        label="进展说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(label="佐证材料", required=False)
