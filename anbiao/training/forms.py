from django import forms
from django.utils import timezone

from anbiao.accounts.scope import regions_for
from anbiao.core.evidence import ACCEPTED
from anbiao.core.forms import StyledForm, StyledModelForm
from anbiao.enterprises.lookup import EnterpriseLookupField
from anbiao.enterprises.models import Enterprise
from anbiao.training.models import Session, SessionKind, TraineeRole
from anbiao.training.selectors import COVERAGE_STATES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SessionForm(StyledModelForm):
    file = forms.FileField(
        label="培训材料文件", required=False, help_text=f"可选;课件、通知、照片等,{ACCEPTED}"
    )

    class Meta:
        model = Session
        fields = [
            "topic",
            "kind",
            "held_on",
            "hours",
            "region",
            "organiser",
            "trainer",
            "place",
            "materials",
            "note",
        ]
        widgets = {"held_on": DATE_INPUT, "materials": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "topic": "如:《厦门市安全生产标准化评审指南》宣贯培训",
            "organiser": "如:民安街道安监站",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        self.fields["region"].empty_label = "请选择"
        if not self.instance.pk and user.region_id:
            self.fields["region"].initial = user.region_id
            self.fields["organiser"].initial = user.department or f"{user.region.name}安监站"


class AttendeeForm(StyledForm):
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="岗位类别", choices=TraineeRole.choices)
    enterprise = EnterpriseLookupField(
        label="所在企业", required=False, help_text="企业人员填写企业全称或统一社会信用代码"
    )
    unit = forms.CharField(label="工作单位", required=False, max_length=100)
    position = forms.CharField(label="职务", required=False, max_length=50)
    phone = forms.CharField(label="联系电话", required=False, max_length=20)

    def __init__(self, *args, user, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view").filter(
            region__path__startswith=session.region.path
        )


class SessionFilterForm(StyledForm):
    q = forms.CharField(label="搜索", required=False)
    kind = forms.ChoiceField(
        label="形式", required=False, choices=(("", "全部形式"), *SessionKind.choices)
    )
    start = forms.DateField(label="从", required=False, widget=DATE_INPUT)
    end = forms.DateField(label="至", required=False, widget=DATE_INPUT)


class CoverageForm(StyledForm):
    start = forms.DateField(label="培训期间自", widget=DATE_INPUT)
    end = forms.DateField(label="至(台账日期)", widget=DATE_INPUT)
    state = forms.ChoiceField(
        label="覆盖情况", required=False, choices=(("", "全部"), *COVERAGE_STATES)
    )
    q = forms.CharField(label="搜索", required=False)

    def __init__(self, data, *, default_start, **kwargs):
        data = data.copy()
        data.setdefault("start", default_start.isoformat())
        data.setdefault("end", timezone.localdate().isoformat())
        super().__init__(data, **kwargs)
