"""Scoped reads of benchmarks, and the counts the campaign metrics use.

"As of a date D" is derived from the events (the source of truth), so any past date can be
asked: a benchmark is a candidate on D when it was chosen on or before D and not withdrawn by
D; its stage on D is that of its latest stage event on or before D; it is established — and so
in the observation catalog — on D when that stage is 已建成.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.benchmarks.choices import EventKind, Stage
from anbiao.benchmarks.models import Benchmark, BenchmarkEvent, BenchmarkFile, CrossVisit
from anbiao.enterprises.filters import search_q
from anbiao.enterprises.models import Enterprise


def _stage_on(on: date) -> Subquery:
    return Subquery(
        BenchmarkEvent.objects.filter(benchmark=OuterRef("pk"), kind=EventKind.STAGE, on__lte=on)
        .order_by("-on", "-id")
        .values("stage")[:1]
    )


def _established_on(on: date) -> Subquery:
    """The date of the latest move to 已建成 on or before `on` (the catalog listing date)."""
    return Subquery(
        BenchmarkEvent.objects.filter(
            benchmark=OuterRef("pk"), kind=EventKind.STAGE, stage=Stage.ESTABLISHED, on__lte=on
        )
        .order_by("-on", "-id")
        .values("on")[:1]
    )


def candidates_on(queryset: QuerySet[Benchmark], on: date) -> QuerySet[Benchmark]:
    """Benchmarks of `queryset` that were candidates on `on` (chosen, not withdrawn), each
    annotated with `stage_on` (its stage that day) and `listed_on` (its catalog date)."""
    return (
        queryset.filter(chosen_on__lte=on)
        .exclude(withdrawn_on__lte=on)
        .annotate(stage_on=_stage_on(on), listed_on=_established_on(on))
    )


def catalog_on(queryset: QuerySet[Benchmark], on: date) -> QuerySet[Benchmark]:
    """The observation catalog (现场观摩企业目录) on `on`: exactly the benchmarks established
    on that day."""
    return candidates_on(queryset, on).filter(stage_on=Stage.ESTABLISHED)


def benchmark_counts(enterprises: QuerySet[Enterprise], on: date) -> dict:
    """Benchmark figures of the campaign metrics for the benchmarks of `enterprises` on `on`:

    - ``benchmark_candidates``: chosen on or before `on` and not withdrawn by then;
    - ``benchmarks``: established (已建成) on or before `on` and still so on `on` (not sent back
      to a pilot stage, not withdrawn);
    - ``benchmarks_cultivating``: at 创建试点 or a later stage on `on`, with a 现场会 held on
      or before `on` (the plan's 2025 "培植打造" target);
    - ``catalog_size``: in the observation catalog on `on` (established benchmarks are listed).

    One query, whatever the number of enterprises.
    """
    return benchmark_counts_many(enterprises, [on])[on]


def benchmark_counts_many(enterprises: QuerySet[Enterprise], days: Iterable[date]) -> dict:
    """`benchmark_counts` on each of `days` ({date: figures}), in one query whatever the number
    of dates: each date's stage and 现场会 are columns of the benchmarks, each figure a count
    filtered by them."""
    days = sorted(set(days))
    columns, figures = {}, {}
    for i, on in enumerate(days):
        columns[f"stage_{i}"] = _stage_on(on)
        columns[f"met_{i}"] = Exists(
            BenchmarkEvent.objects.filter(
                benchmark=OuterRef("pk"), kind=EventKind.SITE_MEETING, on__lte=on
            )
        )
        # A candidate on the date (`candidates_on`): chosen by then, not withdrawn by then.
        candidate = Q(chosen_on__lte=on) & ~Q(withdrawn_on__lte=on)
        stage = f"stage_{i}"
        figures[f"candidates_{i}"] = Count("pk", filter=candidate)
        figures[f"cultivating_{i}"] = Count(
            "pk",
            filter=candidate
            & Q(**{f"met_{i}": True, f"{stage}__isnull": False})
            & ~Q(**{stage: Stage.CANDIDATE}),
        )
        figures[f"established_{i}"] = Count(
            "pk", filter=candidate & Q(**{stage: Stage.ESTABLISHED})
        )
    benchmarks = Benchmark.objects.filter(enterprise__in=enterprises.values("pk"))
    found = benchmarks.annotate(**columns).aggregate(**figures)
    return {
        on: {
            "benchmark_candidates": found[f"candidates_{i}"],
            "benchmarks_cultivating": found[f"cultivating_{i}"],
            "benchmarks": found[f"established_{i}"],
            "catalog_size": found[f"established_{i}"],
        }
        for i, on in enumerate(days)
    }


# --- pages -----------------------------------------------------------------------------------


VIEW_DENIED = "您没有查看标杆企业的权限"


def benchmark_list(*, user, params) -> QuerySet[Benchmark]:
    """The benchmarks `user` may see, filtered by `params` (q, stage, status)."""
    require(user, perms.BENCHMARK_VIEW, message=VIEW_DENIED)
    qs = Benchmark.objects.restrict(user, "view").select_related(
        "enterprise", "enterprise__region", "agency"
    )
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(enterprise__in=Enterprise.objects.filter(search_q(text)).values("pk"))
    stage = params.get("stage") or ""
    if stage in Stage.values:
        qs = qs.filter(stage=stage, withdrawn_on__isnull=True)
    elif stage == "withdrawn":
        qs = qs.filter(withdrawn_on__isnull=False)
    return qs.order_by("chosen_on", "enterprise__name_pinyin", "id")


def stage_counts(*, user) -> dict[str, int]:
    """Current benchmarks per stage (withdrawn ones apart), for the list page's header."""
    rows = (
        Benchmark.objects.restrict(user, "view")
        .values("stage")
        .annotate(n=Count("pk", filter=Q(withdrawn_on__isnull=True)))
    )
    counts = {stage: 0 for stage in Stage.values}
    for row in rows:
        counts[row["stage"]] += row["n"]
    counts["withdrawn"] = (
        Benchmark.objects.restrict(user, "view").filter(withdrawn_on__isnull=False).count()
    )
    return counts


def benchmark_get(*, user, pk: int) -> Benchmark:
    require(user, perms.BENCHMARK_VIEW, message=VIEW_DENIED)
    benchmark = (
        Benchmark.objects.restrict(user, "view")
        .select_related("enterprise", "enterprise__region", "enterprise__region__parent", "agency")
        .filter(pk=pk)
        .first()
    )
    if benchmark is None:
        raise Http404("标杆企业不存在或不在您的管辖范围内")
    return benchmark


def benchmark_events(benchmark: Benchmark) -> QuerySet[BenchmarkEvent]:
    return benchmark.events.select_related("actor").prefetch_related("files").order_by("on", "id")


def benchmark_file_get(*, user, pk: int) -> BenchmarkFile:
    require(user, perms.BENCHMARK_VIEW, message=VIEW_DENIED)
    item = BenchmarkFile.objects.restrict(user, "view").filter(pk=pk).first()
    if item is None:
        raise Http404("文件不存在或不在您的管辖范围内")
    return item


def catalog_list(*, user, on: date) -> QuerySet[Benchmark]:
    require(user, perms.BENCHMARK_VIEW, message=VIEW_DENIED)
    base = Benchmark.objects.restrict(user, "view").select_related(
        "enterprise", "enterprise__region", "agency"
    )
    return catalog_on(base, on).order_by("listed_on", "enterprise__name_pinyin", "id")


def cross_visit_list(*, user) -> QuerySet[CrossVisit]:
    require(user, perms.BENCHMARK_VIEW, message=VIEW_DENIED)
    return (
        CrossVisit.objects.restrict(user, "view")
        .select_related("region")
        .prefetch_related("enterprises")
        .order_by("-visited_on", "-id")
    )


def cross_visit_get(*, user, pk: int) -> CrossVisit:
    visit = cross_visit_list(user=user).filter(pk=pk).first()
    if visit is None:
        raise Http404("交叉学习记录不存在或不在您的管辖范围内")
    return visit
