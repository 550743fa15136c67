"""One filter definition for the case board: the page and its Excel export."""

from datetime import date, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from anbiao.accounts.scope import regions_for
from anbiao.cases import certificates, conf
from anbiao.cases.certificates import add_months
from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.models import CaseEvent
from anbiao.core.filtering import ChineseOrderingFilter
from anbiao.core.forms import StyledForm
from anbiao.enterprises.choices import Industry, OperatingStatus
from anbiao.enterprises.filters import search_q

LISTS = (
    ("expiring", "证书即将到期"),
    ("expired", "证书过期未换证"),
    ("annual_overdue", "年度自评逾期"),
    ("flagged", "待重新评审"),
    ("rectifying", "整改未销项"),
)


def special_list_q(name: str, *, today: date, days: int) -> Q:
    """The board's follow-up lists: 即将到期, 过期未换证, 年度自评逾期, 待重新评审, 整改未销项."""
    live = Q(cert_number__isnull=False, cert_ended__isnull=True)
    if name == "expiring":
        return live & Q(cert_expires__gte=today, cert_expires__lte=today + timedelta(days=days))
    if name == "expired":
        return live & Q(cert_expires__lt=today)
    if name == "annual_overdue":
        year = certificates.annual_year_due(today)
        done = CaseEvent.objects.filter(
            case__enterprise=OuterRef("pk"),
            kind=EventKind.ANNUAL,
            on__year=year,
            reversed_by__isnull=True,
        )
        return (
            live
            & Q(case_state=CaseState.CERTIFIED, cert_issued__lt=date(year, 1, 1))
            & ~Exists(done)
        )
    if name == "flagged":
        return Q(case_flagged=True)
    if name == "rectifying":
        return Q(has_open_rectifications=True)
    return Q()


class BoardFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="搜索",
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": "名称、信用代码或拼音首字母", "type": "search"}
        ),
    )
    state = django_filters.ChoiceFilter(
        label="创建状态", choices=CaseState.choices, method="filter_state", empty_label="全部状态"
    )
    follow_up = django_filters.ChoiceFilter(
        label="跟进清单", choices=LISTS, method="filter_list", empty_label="不限"
    )
    days = django_filters.NumberFilter(
        label="到期天数内",
        method="filter_nothing",
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650}),
    )
    region = django_filters.ModelChoiceFilter(
        label="区域", queryset=None, method="filter_region", empty_label="全部区域"
    )
    industry = django_filters.ChoiceFilter(
        label="行业", choices=Industry.choices, empty_label="全部行业"
    )
    status = django_filters.ChoiceFilter(
        label="经营状态", choices=OperatingStatus.choices, empty_label="全部"
    )
    ordering = ChineseOrderingFilter(
        label="排序",
        fields=(
            ("name_pinyin", "name", "名称"),
            ("region__path", "region", "区域"),
            ("case_state", "state", "状态"),
            ("case_since", "since", "状态日期"),
            ("last_score", "score", "最近得分"),
            ("cert_expires", "expires", "有效期至"),
        ),
    )

    class Meta:
        form = StyledForm

    def __init__(self, data=None, queryset=None, *, user, today=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions_for(user)
        self.today = today or timezone.localdate()
        window = (add_months(self.today, conf.renewal_window_months()) - self.today).days
        self.default_days = window

    def filter_search(self, queryset, name, value):
        return queryset.filter(search_q(value)) if value.strip() else queryset

    def filter_state(self, queryset, name, value):
        # The board's state is the current case's, or 未开展 without one, stored on the
        # enterprise (cases/current_state.py).
        return queryset.filter(case_state=value)

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    def filter_list(self, queryset, name, value):
        days = self.form.cleaned_data.get("days") or self.default_days
        return queryset.filter(special_list_q(value, today=self.today, days=int(days)))

    def filter_nothing(self, queryset, name, value):
        return queryset  # read by filter_list

    def qs_without_state(self):
        """The filtered rows ignoring the state filter (for the per-state counts): the same
        filters as `qs` otherwise."""
        qs = self.queryset.all()
        for name, value in self._cleaned().items():
            if name not in ("state", "ordering"):
                qs = self.filters[name].filter(qs, value)
        return qs

    def asked_state(self) -> str:
        """The state asked for ("" for every state)."""
        return self._cleaned().get("state") or ""

    def _cleaned(self) -> dict:
        """The valid fields' values: `qs` filters by them even when other fields have errors."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return self.form.cleaned_data
