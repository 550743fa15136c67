"""Scoped reads of the enterprise registry."""

from django.db.models import QuerySet
from django.http import Http404

from anbiao.core.models import ChangeLog
from anbiao.core.pagination import GroupedRows
from anbiao.enterprises.filters import EnterpriseFilter
from anbiao.enterprises.models import Enterprise


def enterprise_list(*, user, params) -> tuple[EnterpriseFilter, QuerySet[Enterprise]]:
    """The enterprises `user` may see, filtered and sorted by `params` (a GET QueryDict)."""
    base = (
        Enterprise.objects.restrict(user, "view")
        .select_related("region", "region__parent")
        .prefetch_related("risk_tags")
    )
    filterset = EnterpriseFilter(params, base, user=user)
    qs = filterset.qs
    if not params.get("ordering"):
        qs = qs.order_by(*LIST_ORDER)
    return filterset, qs


# The default order of the registry's lists (the enterprise list, the case board, the ledger):
# by region, then by the name's pinyin.
LIST_ORDER = ("region__path", "name_pinyin", "id")


def in_list_order(
    qs: QuerySet[Enterprise],
    decorate=None,
    groups: list[tuple[int, int]] | None = None,
    searching: bool = False,
) -> GroupedRows:
    """`qs` in LIST_ORDER for a paginator, read region by region through the index on
    (region, name_pinyin, id) instead of sorting every row for each page. `groups`: the rows
    per region in the list's order, when the caller counted them already; `searching`: a text
    search narrows `qs` (its few matches are found in one pass, see GroupedRows `probe`)."""
    return GroupedRows(
        qs,
        group="region_id",
        group_order="region__path",
        within=LIST_ORDER[1:],
        decorate=decorate,
        groups=groups,
        probe=searching,
    )


def enterprise_get(*, user, pk: int, action: str = "view") -> Enterprise:
    """One enterprise in the user's scope, or 404 (outsiders learn nothing, not even existence)."""
    enterprise = (
        Enterprise.objects.restrict(user, action)
        .select_related("region", "region__parent")
        .prefetch_related("risk_tags")
        .filter(pk=pk)
        .first()
    )
    if enterprise is None:
        raise Http404("企业不存在或不在您的管辖范围内")
    return enterprise


def enterprise_history(*, user, enterprise: Enterprise) -> QuerySet[ChangeLog]:
    """Change log of one enterprise the user may see, newest first."""
    enterprise_get(user=user, pk=enterprise.pk)
    return ChangeLog.objects.filter(enterprise=enterprise).select_related("actor")


def enterprise_facts(*, user, enterprise: Enterprise):
    enterprise_get(user=user, pk=enterprise.pk)
    return enterprise.facts.select_related("recorded_by").order_by("-effective_on", "-id")
