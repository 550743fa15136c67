"""The ledger as of a date (DESIGN §4): which enterprises were in the campaign's scope, which were
应创 (eligible), and which were new — derived from the dated facts, so any past date can be asked.

In scope on D: in the region subtree on D, in the ledger by D, small or micro on D, not in the
火炬高新区 on D, operating on D. 应创 on D: in scope and the latest eligibility decision on or
before D says eligible. New: first entered the ledger after the baseline date.
"""

from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery

from anbiao.accounts.models import Region
from anbiao.enterprises.choices import SMALL_AND_MICRO, FactKind, OperatingStatus
from anbiao.enterprises.models import Enterprise, EnterpriseFact


def _latest(kind: str, on: date) -> Subquery:
    return Subquery(
        EnterpriseFact.objects.filter(enterprise=OuterRef("pk"), kind=kind, effective_on__lte=on)
        .order_by("-effective_on", "-id")
        .values("value")[:1]
    )


def _first_entry() -> Subquery:
    return Subquery(
        EnterpriseFact.objects.filter(enterprise=OuterRef("pk"), kind=FactKind.LEDGER)
        .order_by("effective_on", "id")
        .values("effective_on")[:1]
    )


def annotate_as_of(queryset: QuerySet[Enterprise], on: date) -> QuerySet[Enterprise]:
    """Add each fact's value on `on` as `on_<kind>` and the first ledger entry date."""
    return queryset.annotate(
        on_ledger=_latest(FactKind.LEDGER, on),
        on_status=_latest(FactKind.STATUS, on),
        on_size=_latest(FactKind.SIZE, on),
        on_torch_zone=_latest(FactKind.TORCH_ZONE, on),
        on_region=_latest(FactKind.REGION, on),
        on_eligibility=_latest(FactKind.ELIGIBILITY, on),
        entered_on=_first_entry(),
    )


def in_scope(queryset: QuerySet[Enterprise], on: date, region: Region | None = None):
    """Enterprises of `queryset` in the campaign's scope on `on` (eligible or not)."""
    qs = annotate_as_of(queryset, on).filter(
        on_ledger="1",
        on_status=OperatingStatus.OPERATING,
        on_size__in=[str(s) for s in SMALL_AND_MICRO],
        on_torch_zone="0",
    )
    if region is not None:
        ids = [
            str(pk)
            for pk in Region.objects.filter(path__startswith=region.path).values_list(
                "pk", flat=True
            )
        ]
        qs = qs.filter(on_region__in=ids)
    return qs


def eligible(queryset: QuerySet[Enterprise], on: date, region: Region | None = None):
    """The 应创企业 on `on`."""
    return in_scope(queryset, on, region).filter(on_eligibility="1")


def new_since(queryset: QuerySet[Enterprise], baseline: date):
    """Of an annotated queryset, those that first entered the ledger after `baseline`."""
    return queryset.filter(entered_on__gt=baseline)
