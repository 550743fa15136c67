from django import forms
from django.utils import timezone

from anbiao.agencies.models import Agency
from anbiao.campaigns.models import Campaign, Task
from anbiao.core.evidence import ACCEPTED
from anbiao.core.forms import StyledForm
from anbiao.core.workdays import add_working_days
from anbiao.dispatches.choices import RecipientKind
from anbiao.enterprises.lookup import EnterpriseLookupField
from anbiao.enterprises.models import Enterprise
from anbiao.supervision.choices import HazardState
from anbiao.supervision.models import Hazard

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FILE_HELP = f"可选;{ACCEPTED},按内容校验"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the views read them with `request.FILES.getlist`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class DispatchForm(StyledForm):
    recipient_kind = forms.ChoiceField(
        label="督办对象类型", choices=RecipientKind.choices, initial=RecipientKind.ENTERPRISE
    )
    department = forms.CharField(
        label="被督办部门",
        required=False,
        max_length=100,
        help_text="对象为行业部门时填写,如:区工信局",
    )
    enterprise = EnterpriseLookupField(label="被督办企业", required=False)
    agency = forms.ModelChoiceField(
        label="被督办机构", queryset=Agency.objects.none(), required=False, empty_label="(请选择)"
    )
    subject = forms.CharField(label="督办事项", max_length=200)
    content = forms.CharField(label="督办内容及要求", widget=forms.Textarea(attrs={"rows": 5}))
    working_days = forms.IntegerField(
        label="办理时限(工作日)",
        required=False,
        min_value=1,
        max_value=120,
        help_text="按法定节假日和调休计算;填写后自动算出截止日期",
    )
    deadline = forms.DateField(
        label="办理时限(日期)", required=False, widget=DATE_INPUT, help_text="不按工作日时填写"
    )
    enterprises = forms.CharField(
        label="关联企业",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="可选;每行一个企业全称或统一社会信用代码",
    )
    tasks = forms.ModelMultipleChoiceField(
        label="关联任务", queryset=Task.objects.none(), required=False
    )
    hazards = forms.ModelMultipleChoiceField(
        label="关联隐患",
        queryset=Hazard.objects.none(),
        required=False,
        help_text="可选;未销号的隐患,督办其整改",
    )
    file = MultipleFileField(label="附件", required=False, help_text=FILE_HELP)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view")
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True).order_by("name")
        campaigns = Campaign.objects.visible_to(user)
        self.fields["tasks"].queryset = (
            Task.objects.filter(campaign__in=campaigns)
            .select_related("campaign")
            .order_by("campaign", "deadline", "sort_order")
        )
        self.fields["tasks"].widget.attrs["size"] = 4
        self.fields["tasks"].label_from_instance = lambda t: (
            f"{t.code} {t.title}(时限 {t.deadline})"
        )
        self.fields["hazards"].queryset = (
            Hazard.objects.restrict(user, "view")
            .exclude(state=HazardState.CLOSED)
            .select_related("enterprise")
            .order_by("deadline", "pk")
        )
        self.fields["hazards"].widget.attrs["size"] = 4
        self.fields["hazards"].label_from_instance = lambda h: (
            f"{h.enterprise.name}:{h.description[:30]}({h.get_level_display()},"
            f"整改期限 {h.deadline})"
        )

    def clean_enterprises(self):
        from anbiao.enterprises.lookup import resolve_enterprise

        found = []
        scope = Enterprise.objects.restrict(self.user, "view")
        for line_no, line in enumerate(self.cleaned_data["enterprises"].splitlines(), start=1):
            text = line.strip()
            if not text:
                continue
            try:
                found.append(resolve_enterprise(scope, text))
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"第{line_no}行:{' '.join(exc.messages)}") from exc
        return found

    def clean(self):
        data = super().clean()
        days, deadline = data.get("working_days"), data.get("deadline")
        if days:
            data["deadline"] = add_working_days(timezone.localdate(), days)
        elif not deadline:
            self.add_error("deadline", "请填写办理时限:工作日数或截止日期")
        return data


class ReplyForm(StyledForm):
    text = forms.CharField(label="办理情况", widget=forms.Textarea(attrs={"rows": 4}))
    file = MultipleFileField(label="附件", required=False, help_text=FILE_HELP)
    done = forms.BooleanField(label="已办结,报送验收", required=False)


class VerdictForm(StyledForm):
    text = forms.CharField(
        label="意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回时必填",
    )
