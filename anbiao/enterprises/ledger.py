"""The ledger as of a date (docs/enterprise-registry.md): which enterprises were in the
campaign's scope, which were 应创 (eligible), and which were new — derived from the dated
facts, so any past date can be asked.

In scope on D: in the region subtree on D, in the ledger by D, small or micro on D, not in the
火炬高新区 on D, operating on D. 应创 on D: in scope and the latest eligibility decision on or
before D says eligible. New: first 应创 after the baseline date (`annotate_new`).
"""

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from anbiao.accounts.models import Region
from anbiao.enterprises.choices import SMALL_AND_MICRO, OperatingStatus
from anbiao.enterprises.models import Enterprise, LedgerSpan


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


def scope_spans(
    *,
    sizes: tuple[str, ...] | list[str] = SMALL_AND_MICRO,
    exclude_torch_zone: bool = True,
    region_ids: list[int] | None = None,
) -> QuerySet[LedgerSpan]:
    """Ledger spans during which an enterprise met every 应创 condition: in the ledger, operating,
    of the sizes, outside the torch zone if so, eligible (and in these regions, if given)."""
    return LedgerSpan.objects.filter(
        scope_span_q(sizes=sizes, exclude_torch_zone=exclude_torch_zone, region_ids=region_ids)
    )


def scope_span_q(
    prefix: str = "",
    *,
    on: date | None = None,
    sizes: tuple[str, ...] | list[str] = SMALL_AND_MICRO,
    exclude_torch_zone: bool = True,
    region_ids: list[int] | None = None,
) -> Q:
    """`scope_spans`' conditions as a filter, its lookups prefixed by `prefix` (e.g. "spans__"
    to filter enterprises by a span), and the span covering `on` if given."""
    conditions = {
        "in_ledger": True,
        "status": OperatingStatus.OPERATING,
        "size__in": [str(s) for s in sizes],
        "eligibility": "1",
    }
    if exclude_torch_zone:
        conditions["torch_zone"] = False
    if region_ids is not None:
        conditions["region_id_on__in"] = region_ids
    q = Q(**{prefix + lookup: value for lookup, value in conditions.items()})
    if on is not None:
        q &= Q(**{f"{prefix}starts_on__lte": on}) & (
            Q(**{f"{prefix}ends_on__gt": on}) | Q(**{f"{prefix}ends_on__isnull": True})
        )
    return q


def annotate_new(queryset: QuerySet[Enterprise], baseline: date, **scope) -> QuerySet[Enterprise]:
    """Annotate `is_new`: never 应创 on any day up to `baseline` — its first day in scope is after
    it, whatever the reason (新设, 迁入, 规模变化, 摸排补录). `scope`: as for `scope_spans`."""
    before = Exists(scope_spans(**scope).filter(enterprise=OuterRef("pk"), starts_on__lte=baseline))
    return queryset.annotate(is_new=~before)


def new_since(queryset: QuerySet[Enterprise], baseline: date, **scope):
    """Of a queryset, the 新增企业: first in scope after `baseline` (see `annotate_new`)."""
    return annotate_new(queryset, baseline, **scope).filter(is_new=True)


# Who knows the baseline of a region's ledger: the campaign covering it (campaigns/apps.py
# registers it, so this module does not depend on campaigns); otherwise the setting.
_baseline_providers: list[Callable[[Region | None], date | None]] = []


def register_baseline_provider(provider: Callable[[Region | None], date | None]) -> None:
    if provider not in _baseline_providers:
        _baseline_providers.append(provider)


def baseline_for(region: Region | None) -> date:
    """The baseline date (close of the first survey) of the ledger of `region`."""
    for provider in _baseline_providers:
        found = provider(region)
        if found is not None:
            return found
    return date.fromisoformat(settings.ANBIAO_LEDGER_BASELINE)
