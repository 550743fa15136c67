from django import forms
from django.utils import timezone

from anbiao.accounts.scope import regions_for
from anbiao.core import uscc as uscc_rules
from anbiao.core.forms import StyledForm, StyledModelForm
from anbiao.enterprises.choices import OperatingStatus
from anbiao.enterprises.models import Enterprise, RiskTag
from anbiao.enterprises.services import PROFILE_FIELDS
from anbiao.enterprises.sizing import classify_size

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ELIGIBLE_CHOICES = ((None, "待确认"), (True, "符合"), (False, "不符合"))


class EnterpriseForm(StyledModelForm):
    """The full registry form a station officer uses to register or edit an enterprise."""

    size = forms.ChoiceField(
        label="企业规模",
        required=False,
        choices=(("", "按人数和营收测算"), *Enterprise._meta.get_field("size").choices),
    )
    eligible = forms.NullBooleanField(
        label="符合创建条件", required=False, widget=forms.Select(choices=ELIGIBLE_CHOICES)
    )
    risk_tags = forms.ModelMultipleChoiceField(
        label="重点风险",
        queryset=RiskTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    effective_on = forms.DateField(
        label="变更生效日期",
        initial=timezone.localdate,
        widget=DATE_INPUT,
        help_text="规模、创建条件、区域等变化自该日起计入台账",
    )

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "uscc",
            "region",
            "address",
            "industry",
            "industry_code",
            "employees",
            "revenue",
            "size",
            "in_torch_zone",
            "ledger_since",
            "eligible",
            "eligibility_reason",
            "principal_name",
            "principal_phone",
            "safety_manager_name",
            "safety_manager_phone",
            "risk_tags",
        ]
        widgets = {"ledger_since": DATE_INPUT}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        self.fields["region"].empty_label = "请选择所属区域"
        self.fields["uscc"].help_text = "18位,大小写、全角、空格均可,保存时自动规范"
        self.fields["ledger_since"].initial = timezone.localdate
        if self.instance.pk:
            self.fields["ledger_since"].disabled = True

    def clean_uscc(self) -> str:
        try:
            code = uscc_rules.validate(self.cleaned_data.get("uscc"))
        except uscc_rules.USCCError as exc:
            raise forms.ValidationError(str(exc)) from exc
        clash = Enterprise.objects.filter(uscc=code).exclude(pk=self.instance.pk).first()
        if clash is not None:
            # Name the clash only generically: it may belong to another 街道.
            raise forms.ValidationError("该统一社会信用代码已登记,请勿重复录入")
        return code

    def clean(self):
        data = super().clean()
        if not data.get("size"):
            computed = classify_size(
                data.get("industry"), data.get("employees"), data.get("revenue")
            )
            if computed is None:
                self.add_error("size", "请选择企业规模,或填写从业人员数和营业收入以自动测算")
            else:
                data["size"] = computed
        if data.get("eligible") is False and not (data.get("eligibility_reason") or "").strip():
            self.add_error("eligibility_reason", "不符合创建条件时须填写原因")
        return data


class ProfileForm(StyledModelForm):
    """What an enterprise's own user may keep up to date."""

    class Meta:
        model = Enterprise
        fields = list(PROFILE_FIELDS)


class StatusForm(StyledForm):
    status = forms.ChoiceField(label="新的经营状态", choices=OperatingStatus.choices)
    on = forms.DateField(label="变更日期", initial=timezone.localdate, widget=DATE_INPUT)
    reason = forms.CharField(
        label="原因/说明", required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
