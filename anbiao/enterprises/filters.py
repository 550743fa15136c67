"""One filter definition for the enterprise list: the page, and its Excel export."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from anbiao.accounts.scope import regions_for
from anbiao.core import uscc as uscc_rules
from anbiao.core.filtering import ChineseOrderingFilter
from anbiao.core.forms import StyledForm
from anbiao.enterprises.choices import Industry, OperatingStatus, Size
from anbiao.enterprises.models import Enterprise, RiskTag

ELIGIBILITY_CHOICES = (("yes", "符合"), ("no", "不符合"), ("unknown", "待确认"))


def search_q(text: str) -> Q:
    """Name, USCC, address, or pinyin (initials or full) of the name."""
    text = text.strip()
    # Case matters only for text with letters: Chinese or digits match as they are, which
    # PostgreSQL checks several times faster than UPPER(name) LIKE UPPER(…) (a search reads
    # every enterprise in scope).
    match = "icontains" if text.upper() != text.lower() else "contains"
    query = Q(**{f"name__{match}": text}) | Q(**{f"address__{match}": text})
    code = uscc_rules.normalize(text)
    if code:
        query |= Q(uscc__contains=code)  # stored normalized, in upper case
    letters = text.lower().replace(" ", "")
    if letters.isascii() and letters.isalnum():
        query |= Q(name_initials__contains=letters) | Q(name_pinyin__contains=letters)
    return query


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="搜索",
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": "名称、信用代码、地址或拼音首字母", "type": "search"}
        ),
    )
    region = django_filters.ModelChoiceFilter(
        label="区域", queryset=None, method="filter_region", empty_label="全部区域"
    )
    industry = django_filters.ChoiceFilter(
        label="行业", choices=Industry.choices, empty_label="全部行业"
    )
    size = django_filters.ChoiceFilter(label="规模", choices=Size.choices, empty_label="全部规模")
    status = django_filters.ChoiceFilter(
        label="经营状态", choices=OperatingStatus.choices, empty_label="全部状态"
    )
    eligibility = django_filters.ChoiceFilter(
        label="创建条件",
        choices=ELIGIBILITY_CHOICES,
        method="filter_eligibility",
        empty_label="全部",
    )
    in_torch_zone = django_filters.BooleanFilter(
        label="火炬高新区",
        widget=forms.Select(choices=(("", "不限"), ("false", "区外"), ("true", "区内"))),
    )
    risk_tag = django_filters.ModelChoiceFilter(
        label="重点风险",
        queryset=RiskTag.objects.all(),
        field_name="risk_tags",
        empty_label="全部风险",
    )
    ordering = ChineseOrderingFilter(
        label="排序",
        fields=(
            ("name_pinyin", "name", "名称"),
            ("uscc", "uscc", "信用代码"),
            ("region__path", "region", "区域"),
            ("industry", "industry", "行业"),
            ("size", "size", "规模"),
            ("status", "status", "状态"),
            ("employees", "employees", "从业人数"),
            ("updated_at", "updated", "更新时间"),
        ),
    )

    class Meta:
        model = Enterprise
        form = StyledForm
        fields = [
            "q",
            "region",
            "industry",
            "size",
            "status",
            "eligibility",
            "in_torch_zone",
            "risk_tag",
        ]

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions_for(user)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(search_q(value)) if value.strip() else queryset

    def filter_region(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    def filter_eligibility(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        mapping = {
            "yes": Q(eligible=True),
            "no": Q(eligible=False),
            "unknown": Q(eligible__isnull=True),
        }
        return queryset.filter(mapping[value]) if value in mapping else queryset

    @property
    def qs(self):
        # A risk-tag filter joins a many-to-many table; distinct keeps one row per enterprise.
        qs = super().qs
        if self.form.cleaned_data.get("risk_tag"):
            qs = qs.distinct()
        return qs
