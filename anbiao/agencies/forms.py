from django import forms
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies.models import Agency, Expert
from anbiao.core.evidence import ACCEPTED
from anbiao.core.forms import StyledForm
from anbiao.enterprises.choices import Industry
from anbiao.enterprises.lookup import EnterpriseLookupField
from anbiao.enterprises.models import Enterprise

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _specialties_field(label: str):
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=Industry.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class AgencyForm(StyledForm):
    name = forms.CharField(label="机构名称", max_length=100)
    uscc = forms.CharField(label="统一社会信用代码", max_length=40, required=False)
    qualification = forms.CharField(
        label="资质", max_length=200, required=False, help_text="如:安全生产标准化咨询、安全评价"
    )
    qualification_no = forms.CharField(label="资质证书编号", max_length=60, required=False)
    qualification_expires_on = forms.DateField(
        label="资质有效期至", required=False, widget=DATE_INPUT
    )
    specialties = _specialties_field("服务行业")
    address = forms.CharField(label="地址", max_length=200, required=False)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    status = forms.ChoiceField(label="状态", choices=Agency.Status.choices)
    note = forms.CharField(label="备注", max_length=300, required=False)

    @classmethod
    def for_agency(cls, data, agency: Agency | None):
        initial = {}
        if agency is not None:
            initial = {name: getattr(agency, name) for name in cls.base_fields}
            initial["specialties"] = [s for s in agency.specialties.split(",") if s]
        return cls(data, initial=initial)


class ExpertForm(StyledForm):
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=20)
    employer = forms.CharField(label="工作单位", max_length=100, required=False)
    title = forms.CharField(label="职称/职务", max_length=60, required=False)
    qualification = forms.CharField(
        label="资格",
        max_length=200,
        required=False,
        help_text="如:注册安全工程师、省级安全生产专家",
    )
    specialties = _specialties_field("专业行业")
    agency = forms.ModelChoiceField(
        label="所在机构",
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label="(不属于第三方机构)",
        help_text="所在机构为其提供过技术服务的企业,该专家不能评审",
    )
    enterprise = EnterpriseLookupField(
        label="所在企业", required=False, help_text="专家在企业任职时填写;不能评审该企业"
    )
    user = forms.ModelChoiceField(
        label="登录账号",
        queryset=None,
        required=False,
        empty_label="(未开通)",
        help_text="“专家”角色的账号;评审指派按账号进行",
    )
    status = forms.ChoiceField(label="状态", choices=Expert.Status.choices)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(role=Role.EXPERT).order_by("username")
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view")

    @classmethod
    def for_expert(cls, data, expert: Expert | None, *, user):
        initial = {}
        if expert is not None:
            initial = {name: getattr(expert, name) for name in cls.base_fields}
            initial["specialties"] = [s for s in expert.specialties.split(",") if s]
        return cls(data, initial=initial, user=user)


class AssignForm(StyledForm):
    enterprise = EnterpriseLookupField(label="企业")
    start_on = forms.DateField(label="开始日期", initial=timezone.localdate, widget=DATE_INPUT)
    note = forms.CharField(
        label="服务内容", max_length=200, required=False, help_text="如:标准化创建全过程技术指导"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view")


class EndAssignmentForm(StyledForm):
    end_on = forms.DateField(label="结束日期", initial=timezone.localdate, widget=DATE_INPUT)


class GuidanceForm(StyledForm):
    agency = forms.ModelChoiceField(label="机构", queryset=None, empty_label="请选择")
    enterprise = EnterpriseLookupField(label="企业")
    visited_on = forms.DateField(label="服务日期", initial=timezone.localdate, widget=DATE_INPUT)
    staff = forms.CharField(label="服务人员", max_length=100, required=False)
    content = forms.CharField(label="服务内容", widget=forms.Textarea(attrs={"rows": 3}))
    issues = forms.CharField(
        label="发现问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    suggestions = forms.CharField(
        label="整改建议", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label="附件", required=False, help_text=f"可选;服务记录表、现场照片等,{ACCEPTED}"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(is_active=True).order_by("name")
        if user.role == Role.AGENCY:
            agencies = Agency.objects.filter(pk=user.agency_id)
            self.fields["agency"].initial = user.agency_id
        self.fields["agency"].queryset = agencies
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view")


class RegistryFilterForm(StyledForm):
    q = forms.CharField(label="搜索", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=(("", "全部状态"), *Agency.Status.choices)
    )
    specialty = forms.ChoiceField(
        label="行业", required=False, choices=(("", "全部行业"), *Industry.choices)
    )
