"""The ledger as of a date (docs/enterprise-registry.md): which enterprises were in the
campaign's scope, which were 应创 (eligible), and which were new — derived from the dated
facts, so any past date can be asked.

In scope on D: in the region subtree on D, in the ledger by D, small or micro on D, not in the
火炬高新区 on D, operating on D. 应创 on D: in scope and the latest eligibility decision on or
before D says eligible. New: first entered the ledger after the baseline date.
"""

from datetime import date

from django.db.models import Case, CharField, F, FilteredRelation, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from anbiao.accounts.models import Region
from anbiao.enterprises.choices import SMALL_AND_MICRO, OperatingStatus
from anbiao.enterprises.models import Enterprise


def annotate_as_of(queryset: QuerySet[Enterprise], on: date) -> QuerySet[Enterprise]:
    """Add each fact's value on `on` as `on_<kind>` and the first ledger entry date, read from
    the one ledger span (spans.py) that covers the date."""
    span = FilteredRelation(
        "spans",
        condition=Q(spans__starts_on__lte=on)
        & (Q(spans__ends_on__gt=on) | Q(spans__ends_on__isnull=True)),
    )
    return queryset.annotate(span_on=span).annotate(
        on_ledger=Case(When(span_on__in_ledger=True, then=Value("1")), default=Value("0")),
        on_status=F("span_on__status"),
        on_size=F("span_on__size"),
        on_torch_zone=Case(
            When(span_on__torch_zone=True, then=Value("1")),
            When(span_on__torch_zone=False, then=Value("0")),
            default=None,
            output_field=CharField(),
        ),
        on_region=Cast("span_on__region_id_on", CharField()),
        on_eligibility=F("span_on__eligibility"),
        entered_on=F("span_on__entered_on"),
    )


def in_scope(
    queryset: QuerySet[Enterprise],
    on: date,
    region: Region | None = None,
    *,
    sizes: tuple[str, ...] | list[str] = SMALL_AND_MICRO,
    exclude_torch_zone: bool = True,
):
    """Enterprises of `queryset` in the campaign's scope on `on` (eligible or not). A campaign
    may name other sizes or keep the torch zone; the default is the Min'an plan's scope."""
    qs = annotate_as_of(queryset, on).filter(
        span_on__in_ledger=True,
        span_on__status=OperatingStatus.OPERATING,
        span_on__size__in=[str(s) for s in sizes],
    )
    if exclude_torch_zone:
        qs = qs.filter(span_on__torch_zone=False)
    if region is not None:
        ids = Region.objects.filter(path__startswith=region.path).values_list("pk", flat=True)
        qs = qs.filter(span_on__region_id_on__in=list(ids))
    return qs


def eligible(queryset: QuerySet[Enterprise], on: date, region: Region | None = None, **scope):
    """The 应创企业 on `on` (`scope`: as for `in_scope`)."""
    return in_scope(queryset, on, region, **scope).filter(span_on__eligibility="1")


def new_since(queryset: QuerySet[Enterprise], baseline: date):
    """Of an annotated queryset, those that first entered the ledger after `baseline`."""
    return queryset.filter(entered_on__gt=baseline)
