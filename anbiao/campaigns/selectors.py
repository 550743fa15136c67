"""Scoped reads for campaigns: which campaigns a user sees, the enterprises behind the numbers,
and the dashboard's data, all within the user's scope."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.http import Http404

from anbiao.accounts import permissions as perms
from anbiao.accounts.models import Region
from anbiao.accounts.scope import regions_for
from anbiao.campaigns import counts, metrics
from anbiao.campaigns.cache import page_store
from anbiao.campaigns.models import Campaign, Task
from anbiao.campaigns.targets import TargetResult, dates_asked, evaluate_all
from anbiao.cases.choices import CaseState
from anbiao.cases.filters import special_list_q
from anbiao.cases.models import Case
from anbiao.cases.selectors import annotate_board
from anbiao.enterprises.models import Enterprise
from anbiao.supervision import metrics as supervision_metrics

SERIES_POINTS = 24


def campaigns_for(user) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(user).select_related("region")


def campaign_get(*, user, slug: str) -> Campaign:
    campaign = campaigns_for(user).filter(slug=slug).first()
    if campaign is None:
        raise Http404("专项行动不存在或不在您的管辖范围内")
    return campaign


def region_choices(user, campaign: Campaign) -> QuerySet[Region]:
    """Regions a user may pick for a campaign: inside both their scope and the campaign's."""
    return (
        regions_for(user).filter(path__startswith=campaign.region.path).exclude(level="community")
    )


def scope_for(user, campaign: Campaign, on: date, region: Region | None) -> metrics.Scope:
    """The metric scope of a user: only enterprises they may see, the region they may pick."""
    if region is not None and not region_choices(user, campaign).filter(pk=region.pk).exists():
        region = None
    if region is None and user.region_id and user.region.path.startswith(campaign.region.path):
        region = user.region
    return metrics.Scope(campaign, Enterprise.objects.restrict(user, "view"), on, region)


def monthly_dates(start: date, end: date, points: int = SERIES_POINTS) -> list[date]:
    """Month ends from `start` to `end` (at most `points`, the latest ones), ending on `end`."""
    days = []
    year, month = end.year, end.month
    while len(days) < points - 1:
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        if last < start:
            break
        days.append(last)
    return [*reversed(days), end]


def series_dates(scope: metrics.Scope) -> list[date]:
    """The burn-up chart's dates: the month ends of the campaign up to the scope's date."""
    return monthly_dates(scope.campaign.starts_on, scope.on)


def series(scope: metrics.Scope, store=None) -> list[dict]:
    """Completion and start rates at each month end of the campaign up to the scope's date,
    in one statement (metrics.rate_series)."""
    days = series_dates(scope)

    def compute(at: metrics.Scope) -> list[dict]:
        values = metrics.rate_series(at, days)
        return [{"date": day.isoformat(), **values[day]} for day in days]

    return store.get("series", scope, compute) if store else compute(scope)


@dataclass
class Dashboard:
    campaign: Campaign
    scope: metrics.Scope
    values: dict
    targets: list[TargetResult]
    series: list[dict]
    funnel: list[tuple[str, str, int]]
    by_subdistrict: list[dict]
    by_industry: list[dict]
    new_by_reason: list[dict] = field(default_factory=list)
    due_tasks: list[Task] = field(default_factory=list)
    expiring: int = 0
    annual_overdue: int = 0
    rectifying: int = 0
    supervision: list[dict] | None = None  # the 监管检查 figures; None without the permission
    computed_at: datetime | None = None  # set when the figures are older than the data
    computed_on: date | None = None  # the date they are for, when not the page's own
    refreshing: bool = False  # the worker is computing the current figures

    @property
    def not_started(self) -> int:
        return self.values["eligible_total"] - self.values["started"]


def supervision_figures(user, scope: metrics.Scope, store=None) -> list[dict] | None:
    """The supervision figures of the scope's region and date (four queries), each with the
    list behind it, for users who may see supervision figures; None for the others."""
    if not perms.has_perm(user, perms.SUPERVISION_VIEW):
        return None

    def compute(at: metrics.Scope) -> list[dict]:
        enterprises = at.enterprises.filter(region__path__startswith=at.area.path)
        figures = supervision_metrics.supervision_metrics(enterprises, at.on)
        return [
            {
                "key": key,
                "label": supervision_metrics.LABELS[key],
                "value": figures[key],
                "text": supervision_metrics.display(key, figures[key]),
                "url": supervision_metrics.drilldown_url(key, at.on),
            }
            for key in supervision_metrics.KEYS
        ]

    return store.get("supervision", scope, compute) if store else compute(scope)


@dataclass
class Workbench:
    """The landing page of an officer whose area has no campaign yet: the ledger's figures,
    where the cases stand, what falls due, and supervision once it has data."""

    states: list[tuple[str, str, int]]
    follow_up: list[tuple[str, str, int]]
    supervision: list[dict] | None


def workbench(*, user, on: date) -> Workbench:
    """Every figure of the campaign-less 工作台, within the user's scope, as of `on`."""
    enterprises = Enterprise.objects.restrict(user, "view")
    states = dict(
        Case.objects.restrict(user, "view").values_list("state").annotate(n=Count("pk")).order_by()
    )
    board = annotate_board(enterprises)
    follow_up = [
        (key, label, board.filter(special_list_q(key, today=on, days=90)).count())
        for key, label in (
            ("expiring", "证书 90 天内到期"),
            ("expired", "证书过期未换证"),
            ("annual_overdue", "年度自评逾期"),
            ("rectifying", "整改未销项"),
        )
    ]
    supervision = None
    if perms.has_perm(user, perms.SUPERVISION_VIEW):
        figures = supervision_metrics.supervision_metrics(enterprises, on)
        if any(figures.values()):  # hide the block until supervision has data
            supervision = [
                {
                    "label": supervision_metrics.LABELS[key],
                    "text": supervision_metrics.display(key, figures[key]),
                    "url": supervision_metrics.drilldown_url(key, on),
                }
                for key in supervision_metrics.KEYS
            ]
    return Workbench(
        states=[(value, label, states.get(value, 0)) for value, label in CaseState.choices],
        follow_up=follow_up,
        supervision=supervision,
    )


def dashboard_extras(scope: metrics.Scope) -> dict:
    """The dashboard's figures besides the metrics and targets: case states of the 应创企业,
    the breakdowns by 镇街 and industry, new enterprises by reason (one statement,
    `metrics.dashboard_figures`), and the follow-up counts (one query). Each reads the ledger
    as of the date, so the dashboard keeps them in its cache."""
    figures = metrics.dashboard_figures(scope)
    by_subdistrict = figures["by_subdistrict"]
    names = dict(
        Region.objects.filter(pk__in=[r["group"] for r in by_subdistrict]).values_list("pk", "name")
    )
    for row in by_subdistrict:
        row["name"] = names.get(row["group"], "—")
    board = annotate_board(scope.enterprises.filter(region__path__startswith=scope.area.path))
    on = scope.on
    # Each list's condition is a column of the board first: counted over the board as a
    # subquery, the conditions' own subqueries still see their enterprise.
    lists = {"expiring": 90, "annual_overdue": 0, "rectifying": 0}
    follow_up = board.annotate(
        **{
            f"on_{key}": ExpressionWrapper(
                special_list_q(key, today=on, days=days), output_field=BooleanField()
            )
            for key, days in lists.items()
        }
    ).aggregate(**{key: Count("pk", filter=Q(**{f"on_{key}": True})) for key in lists})
    return {
        "states": figures["states"],
        "by_subdistrict": by_subdistrict,
        "by_industry": figures["by_industry"],
        "new_by_reason": figures["new_by_reason"],
        **follow_up,
    }


def dashboard(
    *,
    user,
    campaign: Campaign,
    on: date,
    region: Region | None,
    refresh: Callable[[], object] | None = None,
    store=None,
) -> Dashboard:
    """Everything on the dashboard; the metrics, targets, series and extras come from the cache
    (campaigns/cache.py) while no figure can have changed since they were computed. With
    `refresh` (the page), a large scope is served from the worker's figures (`page_store`,
    which raises `FiguresPending` before the first ones exist); `store` is the worker's."""
    scope = scope_for(user, campaign, on, region)

    # Every count the page shows — the metrics, the targets' dates, the series, the
    # breakdowns, the funnel, new enterprises by reason — from one statement, run only if some
    # figure is not cached.
    def days(at: metrics.Scope = scope) -> set[date]:
        return {*dates_asked(at, list(campaign.targets.all())), *series_dates(at)}

    scope = replace(scope, sweep=counts.Sweep(campaign, scope.enterprises, scope.area, days))
    store = store or page_store(user, scope, refresh)
    values, targets = evaluate_all(scope, store)
    extras = store.get("extras", scope, dashboard_extras)
    states = dict(extras["states"])
    states[CaseState.NOT_STARTED] = values["eligible_total"] - sum(
        n for s, n in states.items() if s != CaseState.NOT_STARTED
    )
    funnel = [(value, label, states.get(value, 0)) for value, label in CaseState.choices]
    due_tasks = [
        t
        for t in campaign.tasks.filter(deadline__lte=on + timedelta(days=14))
        .exclude(status="done")
        .order_by("deadline")
    ]
    board = Dashboard(
        campaign=campaign,
        scope=scope,
        values=values,
        targets=targets,
        series=series(scope, store),
        funnel=funnel,
        by_subdistrict=extras["by_subdistrict"],
        by_industry=extras["by_industry"],
        new_by_reason=extras["new_by_reason"],
        due_tasks=due_tasks,
        expiring=extras["expiring"],
        annual_overdue=extras["annual_overdue"],
        rectifying=extras["rectifying"],
        supervision=supervision_figures(user, scope, store),
        computed_at=store.computed_at if store.refreshing else None,
        computed_on=getattr(store, "on", None) if store.refreshing else None,
        refreshing=store.refreshing,
    )
    if hasattr(store, "done"):
        store.done()
    return board


def ledger_baseline(region: Region | None) -> date | None:
    """The baseline of the campaign covering `region` (the latest such campaign), for the
    ledger's 新增企业; None when no campaign covers it."""
    if region is None:
        return None
    for campaign in Campaign.objects.select_related("region").order_by("-starts_on", "pk"):
        if region.path.startswith(campaign.region.path):
            return campaign.baseline_on
    return None


def tasks_for(user, campaign: Campaign) -> QuerySet[Task]:
    """A department user sees the tasks of their department; others all of the campaign's."""
    tasks = campaign.tasks.select_related("phase")
    if user.role == "department":
        tasks = tasks.filter(Q(department=user.department) | Q(department__contains="各部门"))
    return tasks
