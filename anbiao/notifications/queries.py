"""The query behind each reminder rule: the things not yet done, each with its due date.

A query is `fn(on, rule) -> iterable of Subject`. It returns only what is still open — a
renewed certificate, a closed rectification, a finished task drop out — which is how reminders
stop when the thing is done. Adding a rule for a new kind of thing is one entry in
reminders.yaml plus one function here, registered with `@query("name")` — when its app lies
below this one in the import layers (pyproject.toml), as supervision's hazards do.

Queries read the other apps' models directly with the system's eyes (no user): recipients are
chosen afterwards, by scope (recipients.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef
from django.urls import reverse

QUERIES: dict[str, Callable] = {}
# Hooks of rules with `escalate: true`, by query name: fn(obj, on, notified users).
ESCALATIONS: dict[str, Callable] = {}


@dataclass
class Subject:
    """One open thing a rule looks at."""

    obj: object
    due_on: date
    enterprise: object = None  # the enterprise it belongs to, if any
    region: object = None  # the region it belongs to (an enterprise's region by default)
    department: str = ""  # a task's responsible department
    url: str = ""
    context: dict = field(default_factory=dict)  # the title's {placeholders}

    @property
    def object_type(self) -> str:
        return self.obj._meta.label_lower

    @property
    def object_id(self) -> int:
        return self.obj.pk


def query(name: str, escalate: Callable | None = None):
    """Register a rule query. Apps above this one (督办) register theirs from their own module,
    imported in their AppConfig.ready, so this app never imports them; apps below it (hazards)
    have theirs here, since they may not import this app."""

    def register(fn):
        QUERIES[name] = fn
        if escalate is not None:
            ESCALATIONS[name] = escalate
        return fn

    return register


def horizon(on: date, rule) -> date:
    """The latest due date that can cross one of the rule's thresholds on `on` (working-day
    thresholds are at most ~2× longer in calendar days, holidays included)."""
    days = max(rule.thresholds)
    if rule.unit == "working_days":
        days = days * 2 + 10
    return on + timedelta(days=max(days, 0))


def lookback(on: date, rule) -> date:
    """Older due dates are not reminded of any more (a system switched on late does not send
    reminders about things years overdue); default one year."""
    return on - timedelta(days=int(rule.params.get("lookback_days", 365)))


@query("certificate_expiry")
def certificate_expiry(on: date, rule) -> Iterable[Subject]:
    """Certificates in force (not void, not ended, not renewed) by their expiry date."""
    from anbiao.cases.models import Certificate

    qs = Certificate.objects.filter(
        void=False,
        ended_on__isnull=True,
        expires_on__lte=horizon(on, rule),
        expires_on__gte=lookback(on, rule),
    ).filter(~Exists(Certificate.objects.filter(replaces=OuterRef("pk"), void=False)))
    for cert in qs.select_related("case__enterprise__region"):
        enterprise = cert.case.enterprise
        yield Subject(
            obj=cert,
            due_on=cert.expires_on,
            enterprise=enterprise,
            url=reverse("cases:detail", args=[enterprise.pk]),
            context={"enterprise": enterprise.name, "number": cert.number},
        )


@query("annual_self_evaluation")
def annual_self_evaluation(on: date, rule) -> Iterable[Subject]:
    """Certified enterprises whose 年度自评 of a year is not recorded: this year's (due on the
    configured date) and last year's when it is still missing."""
    from anbiao.cases import certificates
    from anbiao.cases.choices import CaseState, EventKind
    from anbiao.cases.models import Case, CaseEvent, Certificate

    for year in (on.year - 1, on.year):
        due = certificates.annual_due_date(year)
        if not (lookback(on, rule) <= due <= horizon(on, rule)):
            continue
        done = CaseEvent.objects.filter(
            case=OuterRef("pk"), kind=EventKind.ANNUAL, on__year=year, reversed_by__isnull=True
        )
        # Only certificates held before the year began owe that year's self-evaluation.
        held = Certificate.objects.filter(
            case=OuterRef("pk"), void=False, ended_on__isnull=True, issued_on__lt=date(year, 1, 1)
        )
        cases = (
            Case.objects.filter(state=CaseState.CERTIFIED)
            .filter(Exists(held))
            .exclude(Exists(done))
            .select_related("enterprise__region")
        )
        for case in cases:
            yield Subject(
                obj=case,
                due_on=due,
                enterprise=case.enterprise,
                url=reverse("cases:detail", args=[case.enterprise_id]),
                context={"enterprise": case.enterprise.name, "year": year},
            )


@query("rectification")
def rectification(on: date, rule) -> Iterable[Subject]:
    """Open rectification items (整改项) by their due date."""
    from anbiao.cases.choices import RectificationStatus
    from anbiao.cases.models import Rectification

    qs = Rectification.objects.filter(
        status=RectificationStatus.OPEN,
        due_on__lte=horizon(on, rule),
        due_on__gte=lookback(on, rule),
    ).select_related("case__enterprise__region")
    for item in qs:
        enterprise = item.case.enterprise
        yield Subject(
            obj=item,
            due_on=item.due_on,
            enterprise=enterprise,
            url=reverse("cases:detail", args=[enterprise.pk]),
            context={"enterprise": enterprise.name, "description": item.description[:40]},
        )


@query("plan_task")
def plan_task(on: date, rule) -> Iterable[Subject]:
    """Plan tasks (工作任务) not done, by deadline; the recipients are the responsible
    department within the campaign's region."""
    from anbiao.campaigns.choices import TaskStatus
    from anbiao.campaigns.models import Task

    qs = (
        Task.objects.exclude(status=TaskStatus.DONE)
        .filter(deadline__lte=horizon(on, rule), deadline__gte=lookback(on, rule))
        .select_related("campaign__region")
    )
    for task in qs:
        yield Subject(
            obj=task,
            due_on=task.deadline,
            region=task.campaign.region,
            department=task.department,
            url=reverse("campaigns:tasks", args=[task.campaign.slug]),
            context={"code": task.code, "title": task.title, "department": task.department},
        )


@query("survey_round")
def survey_round(on: date, rule) -> Iterable[Subject]:
    """Open survey rounds (摸排) by their end date."""
    from anbiao.surveys.models import SurveyRound

    qs = SurveyRound.objects.filter(
        status=SurveyRound.Status.OPEN,
        period_end__lte=horizon(on, rule),
        period_end__gte=lookback(on, rule),
    ).select_related("region")
    for item in qs:
        yield Subject(
            obj=item,
            due_on=item.period_end,
            region=item.region,
            url=reverse("surveys:detail", args=[item.pk]),
            context={"name": item.name},
        )


@query("benchmark_stage")
def benchmark_stage(on: date, rule) -> Iterable[Subject]:
    """Benchmarks still being cultivated, due to reach their next stage `days_in_stage[stage]`
    days after they entered the current one (the rule's params)."""
    from anbiao.benchmarks.choices import Stage
    from anbiao.benchmarks.models import Benchmark

    limits = {str(k): int(v) for k, v in (rule.params.get("days_in_stage") or {}).items()}
    qs = (
        Benchmark.objects.filter(withdrawn_on__isnull=True, stage__in=list(limits))
        .exclude(stage=Stage.ESTABLISHED)
        .select_related("enterprise__region")
    )
    labels = dict(Stage.choices)
    for benchmark in qs:
        due = benchmark.stage_since + timedelta(days=limits[benchmark.stage])
        if not (lookback(on, rule) <= due <= horizon(on, rule)):
            continue
        yield Subject(
            obj=benchmark,
            due_on=due,
            enterprise=benchmark.enterprise,
            url=reverse("benchmarks:detail", args=[benchmark.pk]),
            context={
                "enterprise": benchmark.enterprise.name,
                "stage": labels.get(benchmark.stage, benchmark.stage),
            },
        )


@query("hazard")
def hazard(on: date, rule) -> Iterable[Subject]:
    """Hazards (隐患) not yet closed (销号), by their rectification deadline. `params.levels`
    limits a rule to some levels (a 重大隐患 overdue also goes to the district); all by default."""
    from anbiao.supervision.choices import HazardLevel, HazardState
    from anbiao.supervision.models import Hazard

    levels = [str(v) for v in (rule.params.get("levels") or HazardLevel.values)]
    if unknown := set(levels) - set(HazardLevel.values):
        # A misspelt level would silently match nothing: refuse it, naming the rule.
        raise ImproperlyConfigured(
            f"提醒规则“{rule.code}”:未知隐患级别 {sorted(unknown)}(应为 general 或 major)"
        )
    qs = (
        Hazard.objects.exclude(state=HazardState.CLOSED)
        .filter(
            closed_on__isnull=True,
            level__in=levels,
            deadline__lte=horizon(on, rule),
            deadline__gte=lookback(on, rule),
        )
        .select_related("enterprise__region")
    )
    for item in qs:
        yield Subject(
            obj=item,
            due_on=item.deadline,
            enterprise=item.enterprise,
            url=reverse("supervision:hazard", args=[item.pk]),
            context={
                "enterprise": item.enterprise.name,
                "level": item.get_level_display(),
                "description": item.description[:40],
                "responsible": item.responsible or "未填写",
            },
        )
