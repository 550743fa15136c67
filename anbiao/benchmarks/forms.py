from django import forms
from django.utils import timezone

from anbiao.accounts.scope import regions_for
from anbiao.agencies.models import Agency
from anbiao.benchmarks.choices import Stage
from anbiao.benchmarks.services import allowed_stages
from anbiao.core.evidence import ACCEPTED
from anbiao.core.forms import StyledForm
from anbiao.enterprises.lookup import EnterpriseLookupField, resolve_enterprise
from anbiao.enterprises.models import Enterprise

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FILE_HELP = f"可选;{ACCEPTED},按内容校验"


def _agencies():
    return Agency.objects.filter(is_active=True).order_by("name")


class ChooseForm(StyledForm):
    enterprise = EnterpriseLookupField(label="企业")
    chosen_on = forms.DateField(label="选定日期", initial=timezone.localdate, widget=DATE_INPUT)
    reason = forms.CharField(
        label="培植理由",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如:管理基础好、行业代表性强、负责人重视,已完成自评",
    )
    agency = forms.ModelChoiceField(
        label="技术支撑机构", queryset=None, required=False, empty_label="(暂不指定)"
    )
    file = forms.FileField(label="材料", required=False, help_text=FILE_HELP)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view")
        self.fields["agency"].queryset = _agencies()


class StageForm(StyledForm):
    stage = forms.ChoiceField(label="进入阶段", choices=())
    on = forms.DateField(label="日期", initial=timezone.localdate, widget=DATE_INPUT)
    note = forms.CharField(
        label="情况说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label="退回原因", required=False, max_length=300, help_text="退回较早阶段时必填"
    )
    file = forms.FileField(label="材料", required=False, help_text=FILE_HELP)

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        order = Stage.order()
        self.fields["stage"].choices = [
            (s, Stage(s).label + ("(退回)" if order[s] < order[current] else ""))
            for s in allowed_stages(current)
        ]


class MeetingForm(StyledForm):
    on = forms.DateField(label="现场会日期", initial=timezone.localdate, widget=DATE_INPUT)
    place = forms.CharField(label="地点", required=False, max_length=100)
    attendee_count = forms.IntegerField(label="参会人数", required=False, min_value=1)
    attendees = forms.CharField(
        label="参会人员",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="姓名及单位,一行一人或用顿号分隔",
    )
    note = forms.CharField(
        label="会议情况", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label="材料(签到表、照片)", required=False, help_text=FILE_HELP)


class WithdrawForm(StyledForm):
    on = forms.DateField(label="退出日期", initial=timezone.localdate, widget=DATE_INPUT)
    reason = forms.CharField(label="退出原因", max_length=300)


class CatalogForm(StyledForm):
    reason = forms.CharField(
        label="培植理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    agency = forms.ModelChoiceField(
        label="技术支撑机构", queryset=None, required=False, empty_label="(暂不指定)"
    )
    highlights = forms.CharField(
        label="创建亮点",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="列入观摩目录时展示:可借鉴、可复制的做法",
    )
    visit_arrangement = forms.CharField(
        label="观摩安排",
        required=False,
        max_length=300,
        help_text="如:每周二、四上午,每批不超过20人,提前3天预约",
    )
    visit_contact = forms.CharField(label="观摩联系人", required=False, max_length=50)
    visit_phone = forms.CharField(label="观摩联系电话", required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = _agencies()


class CrossVisitForm(StyledForm):
    visited_on = forms.DateField(label="观摩日期", initial=timezone.localdate, widget=DATE_INPUT)
    host_name = forms.CharField(label="观摩标杆企业", max_length=100)
    host_region = forms.CharField(
        label="所在镇街", required=False, max_length=60, help_text="如:新店街道、同安区西柯街道"
    )
    region = forms.ModelChoiceField(label="组织区域", queryset=None, empty_label="请选择")
    organiser = forms.CharField(label="组织人", required=False, max_length=60)
    participant_count = forms.IntegerField(label="参加人数", required=False, min_value=1)
    participants = forms.CharField(
        label="参加人员", widget=forms.Textarea(attrs={"rows": 3}), help_text="姓名及单位"
    )
    enterprises = forms.CharField(
        label="参加企业",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一家:企业全称或统一社会信用代码",
    )
    takeaways = forms.CharField(
        label="学习收获/查缺补漏", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].queryset = regions_for(user).exclude(level="community")
        if user.region_id:
            self.fields["region"].initial = user.region_id

    def clean_enterprises(self):

        scope = Enterprise.objects.restrict(self.user, "view")
        found, errors = [], []
        for line in (self.cleaned_data.get("enterprises") or "").splitlines():
            if not line.strip():
                continue
            try:
                found.append(resolve_enterprise(scope, line))
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return found


class CoverageDatesForm(StyledForm):
    on = forms.DateField(label="截至日期", required=False, widget=DATE_INPUT)
