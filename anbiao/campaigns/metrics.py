"""The campaign metrics (docs/campaigns.md) as pure functions of (campaign, enterprises, region,
date), and the registry that describes each of them once.

Everything is derived from dated facts (the ledger), case events and certificates, so the value
on a past date is what it was then. `enterprises` is the base queryset — already restricted to
what the asking user may see — so the dashboard, the CLI, the API and the reports share one
definition. Rates are fractions in [0, 1], or None when the denominator is zero.

`METRICS` is the one table of metrics: the engine (`compute`), the monthly series, the target
cards, the drill-down lists, the target forms and the docs table are all read from it. Adding a
metric is one `Metric` entry plus, when no existing group yields it, its group function.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    When,
)

from anbiao.accounts.models import Region
from anbiao.campaigns import counts
from anbiao.campaigns.counts import PROGRESS_EVENTS
from anbiao.campaigns.models import Campaign
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.enterprises import ledger
from anbiao.enterprises.choices import EntryReason, FactKind
from anbiao.enterprises.models import Enterprise, EnterpriseFact, LedgerSpan

# Metrics describe what happened by a date; a date after today is refused (the forecast column
# answers questions about the future).
FUTURE_DATE = "统计日期不能晚于今天"


def rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


@dataclass(frozen=True)
class Scope:
    """Where and when metrics are asked: a campaign, the visible enterprises, a region, a date."""

    campaign: Campaign
    enterprises: QuerySet[Enterprise]
    on: date
    region: Region | None = None
    # The dashboard's one statement (counts.Sweep), shared by the scope's figures; None: each
    # figure runs its own.
    sweep: counts.Sweep | None = field(default=None, compare=False, repr=False)

    @property
    def area(self) -> Region:
        """The region asked about, never wider than the campaign's."""
        if self.region is not None and self.region.path.startswith(self.campaign.region.path):
            return self.region
        return self.campaign.region

    def at(self, on: date) -> "Scope":
        return Scope(self.campaign, self.enterprises, on, self.region, self.sweep)

    def counts(self, days) -> dict[date, dict[str, int]]:
        """Every count of counts.KEYS on each of `days` (from the sweep when it has them)."""
        if self.sweep is not None and self.sweep.covers(days):
            return self.sweep.for_dates(days)
        return counts.for_dates(self.campaign, self.enterprises, self.area, list(days))


# --- the definitions the counts share -------------------------------------------------------


def lapsed_before(baseline: date) -> QuerySet[Certificate]:
    """Certificates of the enterprise of an outer `CaseEvent` that lapsed before `baseline`
    without a renewal issued by their expiry, and that were still running on the event's date.

    Such a lapse means the enterprise has to create again: the steps it took before the lapse
    do not count as having started in this campaign.
    """
    renewed_in_time = Certificate.objects.filter(
        case__enterprise=OuterRef("case__enterprise"),
        void=False,
        issued_on__gt=OuterRef("issued_on"),
        issued_on__lte=OuterRef("expires_on"),
    )
    return Certificate.objects.filter(
        case__enterprise=OuterRef("case__enterprise"),
        void=False,
        expires_on__lt=baseline,
        expires_on__gte=OuterRef("on"),
    ).exclude(Exists(renewed_in_time))


def started_q(on: date, baseline: date) -> Exists:
    """Has a case step on or before `on` — not one that a certificate lapsing before the
    campaign's baseline left behind (it must create again). A certificate that lapses during
    the campaign keeps its enterprise started: the renewal metrics follow it."""
    return Exists(
        CaseEvent.objects.filter(
            case__enterprise=OuterRef("pk"),
            kind__in=PROGRESS_EVENTS,
            on__lte=on,
            reversed_by__isnull=True,
        ).exclude(Exists(lapsed_before(min(baseline, on))))
    )


def certified_q(on: date) -> Exists:
    """Holds a certificate valid on `on` (issued, not expired, not revoked or downgraded)."""
    return Exists(
        Certificate.objects.filter(
            case__enterprise=OuterRef("pk"),
            void=False,
            issued_on__lte=on,
            expires_on__gte=on,
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
    )


def campaign_region_ids(campaign: Campaign) -> list[int]:
    return list(
        Region.objects.filter(path__startswith=campaign.region.path).values_list("pk", flat=True)
    )


def in_scope_spans(campaign: Campaign, region_ids: list[int]) -> QuerySet[LedgerSpan]:
    """Ledger spans during which an enterprise met every 应创 condition of the campaign."""
    return ledger.scope_spans(
        sizes=campaign.sizes, exclude_torch_zone=campaign.exclude_torch_zone, region_ids=region_ids
    )


def in_scope(scope: Scope) -> QuerySet[Enterprise]:
    """The campaign's scope on the date, annotated with `is_started`, `is_certified` and
    `is_new` (first 应创 after the baseline, in the campaign's region and scope)."""
    campaign = scope.campaign
    base = scope.enterprises.filter(industry__in=campaign.industries)
    qs = ledger.in_scope(
        base,
        scope.on,
        scope.area,
        sizes=campaign.sizes,
        exclude_torch_zone=campaign.exclude_torch_zone,
    )
    qs = ledger.annotate_new(
        qs,
        campaign.baseline_on,
        sizes=campaign.sizes,
        exclude_torch_zone=campaign.exclude_torch_zone,
        region_ids=campaign_region_ids(campaign),
    )
    return qs.annotate(
        is_started=started_q(scope.on, campaign.baseline_on), is_certified=certified_q(scope.on)
    )


ELIGIBLE = Q(span_on__eligibility="1")
STARTED = Q(is_started=True)
CERTIFIED = Q(is_certified=True)
NEW = Q(is_new=True)


def due_certificates(scope: Scope) -> QuerySet[Certificate]:
    """Certificates of in-scope enterprises that reached their expiry within the campaign period
    by the date (one revoked or downgraded before its expiry never came due)."""
    campaign, on = scope.campaign, scope.on
    return Certificate.objects.filter(
        void=False,
        expires_on__gte=campaign.starts_on,
        expires_on__lte=on,
        case__enterprise__in=in_scope(scope).values("pk"),
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=F("expires_on")))


def later_certificate(on: date) -> QuerySet[Certificate]:
    """A certificate of the same enterprise issued after the outer one, by `on`: its renewal,
    however it was recorded (取得证书 or 换发证书, before or after the old one lapsed) and
    whatever the link between the two."""
    return Certificate.objects.filter(
        case__enterprise=OuterRef("case__enterprise"),
        void=False,
        issued_on__gt=OuterRef("issued_on"),
        issued_on__lte=on,
    )


# --- the registry ----------------------------------------------------------------------------

# COUNTS: every count `counts.py` yields (enterprises, due certificates, training) in one
# statement; BENCHMARKS: the benchmark programme's figures.
COUNTS, BENCHMARKS = "counts", "benchmarks"


@dataclass(frozen=True)
class Metric:
    """One metric: what it is called, what it counts and where its number leads.

    A count of in-scope enterprises gives `where` (its definition as a filter on `in_scope`,
    used by the breakdowns; `counts.py` computes the same in SQL, held equal by tests); a rate
    gives `numerator` and `denominator` (keys of other metrics); any other count is yielded by
    its `group`'s function (GROUPS).
    """

    key: str
    label: str
    unit: str  # 家 (enterprises), 张 (certificates) or % (a rate)
    group: str
    definition: str  # what is counted, for docs/campaigns.md
    plan: str = ""  # the plan sentence it implements, for docs/campaigns.md
    where: Q | None = None
    numerator: str = ""
    denominator: str = ""
    drilldown: str = ""  # the enterprise list behind the number (LISTS)
    page: str = ""  # or the page (URL name) when it counts something else
    targetable: bool = True  # may a target use it
    series: bool = False  # drawn in the monthly burn-up chart

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


# The plan's own words (《翔安区民安街道安全生产标准化提升工作专项行动实施方案》),
# quoted in the docs table.
PLAN_COMPLETION = "到2025年底前…全街道应创非火炬高新区工贸行业小微企业完成标准化创建工作达到50%以上"
PLAN_FULL = "经摸排确认符合创建条件的应创企业100%开展创建"
PLAN_COVERAGE = (
    "到2026年底前,争取在全街道所有非火炬高新区工贸行业小微企业全面开展创建工作,做到100%全覆盖"
)
PLAN_NEW = "创建期间新增企业创建达到100%"
PLAN_RENEWAL = "标准化等级证书到期后换证达到100%"
PLAN_CANDIDATES = (
    "(2025年10月底前)筛选不少于2家条件较好的小微企业作为行业标杆企业培植对象"
    "(若行业企业不足2家,按实际家数完成)"
)
PLAN_CULTIVATING = (
    "到2025年底前…至少培植打造1家标准化标杆小微企业;2025年12月底前…组织创建试点现场会"
)
PLAN_ESTABLISHED = "在2026年6月底前完成标杆企业创建,并列入现场观摩企业目录(附件5)"
PLAN_TRAINING = "突出…企业主要负责人和安全生产管理员等“五项岗位”关键人员培训"

_METRICS = [
    Metric(
        "eligible_total",
        "应创企业",
        "家",
        COUNTS,
        "enterprises in scope on D whose latest eligibility decision by D says eligible",
        "经摸排确认符合创建条件的应创企业",
        where=ELIGIBLE,
        drilldown="eligible_total",
    ),
    Metric(
        "scope_total",
        "范围内企业",
        "家",
        COUNTS,
        "enterprises in scope on D, eligible or not: in the region, in the ledger, of the "
        "campaign's industries and sizes, outside the torch zone, operating",
        "全街道非火炬高新区工贸行业小微企业",
        where=Q(),
        drilldown="scope_total",
    ),
    Metric(
        "scope_started",
        "范围内已开展创建",
        "家",
        COUNTS,
        "enterprises in scope (eligible or not) that started, as for `started`",
        PLAN_COVERAGE,
        where=STARTED,
        drilldown="scope_started",
        targetable=False,
    ),
    Metric(
        "started",
        "已开展创建",
        "家",
        COUNTS,
        "应创企业 with a case step on or before D — except one whose last certificate lapsed "
        "before the campaign baseline with no step since (it must create again)",
        PLAN_FULL,
        where=ELIGIBLE & STARTED,
        drilldown="started",
    ),
    Metric(
        "completed",
        "已完成创建",
        "家",
        COUNTS,
        "应创企业 holding a certificate valid on D (issued by D, not expired, not revoked or "
        "downgraded by D)",
        PLAN_COMPLETION,
        where=ELIGIBLE & CERTIFIED,
        drilldown="completed",
    ),
    Metric(
        "completion_rate",
        "创建完成率",
        "%",
        COUNTS,
        "completed ÷ eligible_total",
        PLAN_COMPLETION,
        numerator="completed",
        denominator="eligible_total",
        drilldown="completed",
        series=True,
    ),
    Metric(
        "start_rate",
        "开展创建率",
        "%",
        COUNTS,
        "started ÷ eligible_total",
        PLAN_FULL,
        numerator="started",
        denominator="eligible_total",
        drilldown="started",
        series=True,
    ),
    Metric(
        "coverage_rate",
        "全覆盖率",
        "%",
        COUNTS,
        "scope_started ÷ scope_total (全覆盖)",
        PLAN_COVERAGE,
        numerator="scope_started",
        denominator="scope_total",
        drilldown="scope_started",
        series=True,
    ),
    Metric(
        "new_total",
        "新增企业",
        "家",
        COUNTS,
        "应创企业 on D whose first day in scope (all 应创 conditions true) is after the "
        "campaign baseline, whatever the reason (新设, 迁入, 规模变化, 摸排补录)",
        PLAN_NEW,
        where=ELIGIBLE & NEW,
        drilldown="new_total",
    ),
    Metric(
        "new_started",
        "新增企业已开展",
        "家",
        COUNTS,
        "new enterprises that started, as for `started`",
        PLAN_NEW,
        where=ELIGIBLE & NEW & STARTED,
        drilldown="new_started",
    ),
    Metric(
        "new_start_rate",
        "新增企业开展率",
        "%",
        COUNTS,
        "new_started ÷ new_total",
        PLAN_NEW,
        numerator="new_started",
        denominator="new_total",
        drilldown="new_started",
    ),
    Metric(
        "due_certificates",
        "到期证书",
        "张",
        COUNTS,
        "certificates of in-scope enterprises whose expiry fell between the campaign start and "
        "D (one revoked or downgraded before its expiry never came due)",
        PLAN_RENEWAL,
        drilldown="due_certificates",
    ),
    Metric(
        "renewed",
        "已换证",
        "张",
        COUNTS,
        "of the due certificates, those followed by a later certificate of the same enterprise "
        "issued by D, however it was recorded (取得证书 or 换发证书, before or after the lapse)",
        PLAN_RENEWAL,
        drilldown="renewed",
    ),
    Metric(
        "renewed_on_time",
        "按期换证",
        "张",
        COUNTS,
        "of the due certificates, those followed by a later certificate issued by their expiry "
        "date",
        PLAN_RENEWAL,
        drilldown="renewed",
        targetable=False,
    ),
    Metric(
        "renewal_rate",
        "换证率",
        "%",
        COUNTS,
        "renewed ÷ due_certificates",
        PLAN_RENEWAL,
        numerator="renewed",
        denominator="due_certificates",
        drilldown="renewed",
    ),
    Metric(
        "renewal_on_time_rate",
        "按期换证率",
        "%",
        COUNTS,
        "renewed_on_time ÷ due_certificates",
        PLAN_RENEWAL,
        numerator="renewed_on_time",
        denominator="due_certificates",
        drilldown="renewal_missing",
    ),
    Metric(
        "benchmark_candidates",
        "标杆培植对象",
        "家",
        BENCHMARKS,
        "培植对象 chosen from the 应创企业 on or before D and not withdrawn by D",
        PLAN_CANDIDATES,
        page="benchmarks:list",
    ),
    Metric(
        "benchmarks_cultivating",
        "培植中的标杆",
        "家",
        BENCHMARKS,
        "benchmarks at stage 创建试点 or later on D with a 现场会 held on or before D (the "
        "plan's 2025 培植打造 target)",
        PLAN_CULTIVATING,
        page="benchmarks:list",
    ),
    Metric(
        "benchmarks",
        "已建成标杆",
        "家",
        BENCHMARKS,
        "benchmarks at stage 已建成 on D",
        PLAN_ESTABLISHED,
        page="benchmarks:list",
    ),
    Metric(
        "catalog_size",
        "观摩目录企业",
        "家",
        BENCHMARKS,
        "entries of the observation catalog (附件5) on D",
        PLAN_ESTABLISHED,
        page="benchmarks:catalog",
    ),
    Metric(
        "trained",
        "主要负责人和安全管理员均已培训",
        "家",
        COUNTS,
        "应创企业 whose principal (企业主要负责人) and safety manager (安全管理员) both attended "
        "a training in the campaign period up to D",
        PLAN_TRAINING,
        drilldown="untrained",
        targetable=False,
    ),
    Metric(
        "training_coverage_rate",
        "企业主要负责人和安全管理员培训覆盖率",
        "%",
        COUNTS,
        "应创企业 whose principal (企业主要负责人) and safety manager (安全管理员) both attended "
        "a training in the campaign period up to D: trained ÷ eligible_total",
        PLAN_TRAINING,
        numerator="trained",
        denominator="eligible_total",
        drilldown="untrained",
    ),
]
METRICS: dict[str, Metric] = {m.key: m for m in _METRICS}


def docs_table() -> str:
    """The metrics table of docs/campaigns.md, generated from the registry (a test keeps the
    document equal to it)."""
    lines = [
        "| key | 名称 | unit | definition | the plan's words | behind the number |",
        "|---|---|---|---|---|---|",
    ]
    for m in METRICS.values():
        behind = f"list `{m.drilldown}`" if m.drilldown else f"page `{m.page}`"
        if not m.targetable:
            behind += " (not a target)"
        lines.append(
            f"| `{m.key}` | {m.label} | {m.unit} | {m.definition} | {m.plan or '—'} | {behind} |"
        )
    return "\n".join(lines) + "\n"


def target_choices() -> list[tuple[str, str]]:
    """The metrics a target may use, for forms and the campaign file."""
    return [(m.key, m.label) for m in METRICS.values() if m.targetable]


def display(value, key: str) -> str:
    """A metric's value as people read it: 52.3% for rates, a count otherwise, 不适用 for None."""
    if value is None:
        return "不适用"
    if is_rate(key):
        return f"{float(value) * 100:.1f}%"
    return f"{float(value):g}"


def is_rate(key: str) -> bool:
    metric = METRICS.get(key)
    return bool(metric and metric.is_rate)


def label(key: str) -> str:
    metric = METRICS.get(key)
    return metric.label if metric else key


# --- the engine ------------------------------------------------------------------------------

# A group's function adds its values to each date's dict; `wanted` names, for a date asked
# only some metrics, the keys it needs (a group may skip the others).
GROUPS: dict[str, Callable[[Scope, dict[date, dict], dict[date, set[str]]], None]] = {}


def group(name: str):
    """Register the function that adds the values of a group of metrics to each date's dict."""

    def register(function):
        GROUPS[name] = function
        return function

    return register


@group(COUNTS)
def ledger_counts(scope: Scope, values: dict[date, dict], wanted: dict[date, set[str]]) -> None:
    """Every enterprise and certificate count, on every date asked, in one statement."""
    found = scope.counts(values)
    for day, numbers in values.items():
        numbers.update(found[day])


@group(BENCHMARKS)
def benchmark_group(scope: Scope, values: dict[date, dict], wanted: dict[date, set[str]]) -> None:
    from anbiao.benchmarks.selectors import benchmark_counts_many

    enterprises = scope.enterprises.filter(region__path__startswith=scope.area.path)
    found = benchmark_counts_many(enterprises, values)
    for day, numbers in values.items():
        numbers.update(found[day])


def trained_ids(scope: Scope, qs: QuerySet[Enterprise]) -> set[int]:
    """应创企业 whose principal and safety manager both attended a training in the period."""
    from anbiao.training.selectors import trained_enterprise_ids

    campaign = scope.campaign
    period_end = min(scope.on, campaign.ends_on)
    if period_end < campaign.starts_on:
        return set()
    return trained_enterprise_ids(qs.filter(ELIGIBLE), campaign.starts_on, period_end)


def _fill_rates(values: dict) -> dict:
    for metric in METRICS.values():
        if metric.is_rate and metric.denominator in values and metric.numerator in values:
            values[metric.key] = rate(values[metric.numerator], values[metric.denominator])
    return values


def _with_parts(keys: set[str]) -> set[str]:
    """The keys and, for rates, their numerators and denominators."""
    found = set(keys)
    for key in keys:
        metric = METRICS.get(key)
        if metric is not None and metric.is_rate:
            found |= {metric.numerator, metric.denominator}
    return found


def _groups_of(keys: set[str] | None) -> set[str]:
    if keys is None:
        return set(GROUPS)
    return {METRICS[k].group for k in _with_parts(keys) if k in METRICS}


def compute_many(
    scope: Scope, days: dict[date, set[str] | None]
) -> dict[date, dict[str, int | float | None]]:
    """The metrics of several dates at once: all of them on a date mapped to None, else at least
    those in its set. One counts statement for every date together (forecasts, deadlines and
    the burn-up chart ask many dates), then each other group only where it is wanted."""
    values: dict[date, dict] = {day: {} for day in days}
    parts = {day: _with_parts(keys) for day, keys in days.items() if keys is not None}
    for name, function in GROUPS.items():
        asked = {day: values[day] for day, keys in days.items() if name in _groups_of(keys)}
        if asked:
            function(scope, asked, {day: parts[day] for day in asked if day in parts})
    return {
        day: {key: numbers[key] for key in METRICS if key in _fill_rates(numbers)}
        for day, numbers in values.items()
    }


def compute(scope: Scope, keys: set[str] | None = None) -> dict[str, int | float | None]:
    """All metrics for one scope and date (or at least those in `keys`)."""
    return compute_many(scope, {scope.on: keys})[scope.on]


def subdistrict_expr():
    """The 镇街 of an enterprise's current region (its parent when the region is a 社区)."""
    return Case(
        When(region__level="community", then=F("region__parent_id")),
        default=F("region_id"),
        output_field=IntegerField(),
    )


BREAKDOWN = ("scope_total", "eligible_total", "started", "completed")


def breakdown(scope: Scope, by: str) -> list[dict]:
    """Counts and rates per 镇街 ("subdistrict"), industry or size ("size", as of the date), in
    one statement (counts.breakdown)."""
    rows = counts.breakdown(scope.campaign, scope.enterprises, scope.area, scope.on, by)
    return [_breakdown_row(row) for row in rows]


def _breakdown_row(row: dict) -> dict:
    return _fill_rates({"group": row["group"], **{k: row[k] for k in BREAKDOWN}})


def dashboard_figures(scope: Scope) -> dict:
    """In one statement (counts.dashboard): the breakdowns by 镇街 and by industry (as
    `breakdown`), the 应创企业's cases by state ({state: n}) and the new 应创企业 by why they
    are new (as `new_by_reason`)."""
    if scope.sweep is not None and scope.sweep.covers([scope.on]):
        found = scope.sweep.dashboard(scope.on)
    else:
        found = counts.dashboard(scope.campaign, scope.enterprises, scope.area, scope.on)
    return {
        "by_subdistrict": [_breakdown_row(row) for row in found["by_subdistrict"]],
        "by_industry": [_breakdown_row(row) for row in found["by_industry"]],
        "states": found["states"],
        "new_by_reason": _reason_rows(found["new_by_reason"]),
    }


# --- the enterprises behind a number ---------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseList:
    """A drill-down list: the enterprises a number counts (or has yet to count)."""

    key: str
    label: str
    select: Callable[[Scope, QuerySet[Enterprise]], QuerySet[Enterprise]]


def _where(q: Q):
    return lambda scope, qs: qs.filter(q)


def _with_due(renewed: bool | None):
    def select(scope: Scope, qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        due = due_certificates(scope)
        if renewed is not None:
            later = Exists(later_certificate(scope.on))
            due = due.filter(later) if renewed else due.exclude(later)
        return qs.filter(pk__in=due.values("case__enterprise"))

    return select


def _untrained(scope: Scope, qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    return qs.filter(ELIGIBLE).exclude(pk__in=trained_ids(scope, qs))


LISTS: dict[str, EnterpriseList] = {
    item.key: item
    for item in [
        EnterpriseList("scope_total", "范围内全部企业", _where(Q())),
        EnterpriseList("scope_started", "范围内已开展创建的企业", _where(STARTED)),
        EnterpriseList("coverage_missing", "范围内尚未开展创建的企业", _where(~STARTED)),
        EnterpriseList("eligible_total", "应创企业", _where(ELIGIBLE)),
        EnterpriseList("started", "已开展创建的应创企业", _where(ELIGIBLE & STARTED)),
        EnterpriseList("not_started", "尚未开展创建的应创企业", _where(ELIGIBLE & ~STARTED)),
        EnterpriseList(
            "completed", "已完成创建(持有效证书)的应创企业", _where(ELIGIBLE & CERTIFIED)
        ),
        EnterpriseList("not_completed", "尚未完成创建的应创企业", _where(ELIGIBLE & ~CERTIFIED)),
        EnterpriseList("new_total", "新增应创企业", _where(ELIGIBLE & NEW)),
        EnterpriseList("new_started", "已开展创建的新增企业", _where(ELIGIBLE & NEW & STARTED)),
        EnterpriseList(
            "new_not_started", "尚未开展创建的新增企业", _where(ELIGIBLE & NEW & ~STARTED)
        ),
        EnterpriseList("due_certificates", "有证书到期的企业", _with_due(None)),
        EnterpriseList("renewed", "到期证书已换证的企业", _with_due(True)),
        EnterpriseList("renewal_missing", "到期证书尚未换证的企业", _with_due(False)),
        EnterpriseList("untrained", "主要负责人和安全管理员尚未都参加培训的应创企业", _untrained),
    ]
}


def enterprises_behind(scope: Scope, key: str) -> QuerySet[Enterprise]:
    """The enterprises behind a number on the dashboard (a LISTS key), for its drill-down."""
    return LISTS[key].select(scope, in_scope(scope))


# --- new enterprises and why they are new ----------------------------------------------------


ID_CHUNK = 5_000  # ids per `IN (…)`: within SQLite's limit on bound variables (32,766)


def entry_reasons(scope: Scope, ids: list[int]) -> dict[int, str]:
    """Why each of these new enterprises is new on the date: the latest recorded `ENTRY` fact
    on or before it, else what changed on its first day in scope, read from the ledger span
    before that day (moved into the region or out of the torch zone: 迁入; from another size:
    规模变化; otherwise — added to the ledger or confirmed eligible by a survey: 摸排补录)."""
    campaign = scope.campaign
    regions = set(campaign_region_ids(campaign))
    reasons: dict[int, str] = {}
    for start in range(0, len(ids), ID_CHUNK):
        recorded = (
            EnterpriseFact.objects.filter(
                enterprise__in=ids[start : start + ID_CHUNK],
                kind=FactKind.ENTRY,
                effective_on__lte=scope.on,
            )
            .order_by("enterprise", "effective_on", "id")
            .values_list("enterprise", "value")
        )
        for pk, value in recorded:
            reasons[pk] = value
    first = {}
    unexplained = [pk for pk in ids if pk not in reasons]
    for start in range(0, len(unexplained), ID_CHUNK):
        for pk, starts_on in (
            in_scope_spans(campaign, list(regions))
            .filter(enterprise__in=unexplained[start : start + ID_CHUNK])
            .order_by("enterprise", "-starts_on")
            .values_list("enterprise", "starts_on")
        ):
            first[pk] = starts_on  # the earliest, as rows come latest first
    # The span that ended the day each one entered. Looked up in chunks of ids and matched here:
    # one OR term per enterprise overflows SQLite's expression depth beyond ~1,000 of them.
    before = {}
    pending = list(first)
    for start in range(0, len(pending), ID_CHUNK):
        chunk = pending[start : start + ID_CHUNK]
        days = {first[pk] for pk in chunk}
        for span in LedgerSpan.objects.filter(enterprise__in=chunk, ends_on__in=days):
            if span.ends_on == first[span.enterprise_id]:
                before[span.enterprise_id] = span
    sizes = {str(s) for s in campaign.sizes}
    for pk in ids:
        if pk in reasons:
            continue
        span = before.get(pk)
        if span is None or not span.in_ledger:
            reasons[pk] = EntryReason.SURVEY
        elif span.region_id_on not in regions or (campaign.exclude_torch_zone and span.torch_zone):
            reasons[pk] = EntryReason.MOVED_IN
        elif span.size not in sizes:
            reasons[pk] = EntryReason.SIZE_CHANGE
        elif not span.status:  # it had no operating status before: set up then
            reasons[pk] = EntryReason.ESTABLISHED
        else:
            reasons[pk] = EntryReason.SURVEY
    return reasons


def new_by_reason(scope: Scope) -> list[dict]:
    """The new 应创企业 on the date by why they are new (新设, 迁入, 规模变化, 摸排补录)."""
    found = counts.dashboard(scope.campaign, scope.enterprises, scope.area, scope.on)
    return _reason_rows(found["new_by_reason"])


def _reason_rows(by_reason: dict[str, tuple[int, int]]) -> list[dict]:
    rows = []
    for value, text in EntryReason.choices:
        total, started = by_reason.get(value, (0, 0))
        if total:
            rows.append({"reason": value, "label": text, "total": total, "started": started})
    return rows


# --- the monthly series ----------------------------------------------------------------------


def series_keys() -> list[str]:
    """The keys `rate_series` (and `rate_counts`) yield: the series rates and their counts."""
    rates = [m for m in METRICS.values() if m.series]
    parts = {k for m in rates for k in (m.numerator, m.denominator)}
    return [k for k in METRICS if k in parts] + [m.key for m in rates]


def rate_counts(scope: Scope) -> dict:
    """The series' counts and rates for one date, from `compute` (see `rate_series`)."""
    values = compute(scope, {m.key for m in METRICS.values() if m.series})
    return {key: values[key] for key in series_keys()}


def rate_series(scope: Scope, days: list[date]) -> dict[date, dict]:
    """`rate_counts` at many dates in one statement (the burn-up chart)."""
    found = scope.counts(days)
    return {d: {k: _fill_rates(dict(found[d])).get(k) for k in series_keys()} for d in days}
