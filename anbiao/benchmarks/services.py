"""Writes of the benchmark part of the plan. Each function is one transaction, checks the
actor's permission and scope, appends the dated event and writes the change log.

Stage rules (TRANSITIONS): a benchmark moves one stage forward at a time (培植对象 → 创建试点 →
运行试点 → 提升试点 → 已建成), never skips, and goes back only with a reason. Reaching 已建成
puts it in the observation catalog; going back from it, or withdrawing, takes it out.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.scope import regions_for
from anbiao.benchmarks.choices import EventKind, Stage
from anbiao.benchmarks.models import Benchmark, BenchmarkEvent, BenchmarkFile, CrossVisit
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise

ORDER = Stage.order()
CATALOG_FIELDS = ("highlights", "visit_arrangement", "visit_contact", "visit_phone")


def allowed_stages(current: str) -> list[str]:
    """The stages a benchmark at `current` may move to: the next one, or any earlier one
    (backwards needs a reason)."""
    index = ORDER[current]
    forward = [Stage.values[index + 1]] if index + 1 < len(Stage.values) else []
    return forward + Stage.values[:index][::-1]


MANAGE_DENIED = "您没有管理标杆企业的权限"


def _check_date(on: date, field: str = "on") -> None:
    if on > timezone.localdate():
        raise ValidationError({field: "日期不能晚于今天"})


def _attach(actor, event: BenchmarkEvent, uploads) -> None:
    for upload in uploads or ():
        checked = check_upload(upload)
        BenchmarkFile.store(checked, uploaded_by=actor_or_none(actor), event=event)


@transaction.atomic
def benchmark_choose(
    *,
    actor,
    enterprise: Enterprise,
    chosen_on: date,
    reason: str,
    agency=None,
    note: str = "",
    files=(),
) -> Benchmark:
    """Choose an enterprise of the ledger as a benchmark candidate (附件4 培植对象)."""
    require(actor, perms.BENCHMARK_MANAGE, obj=enterprise, message=MANAGE_DENIED)
    _check_date(chosen_on, "chosen_on")
    if not reason.strip():
        raise ValidationError({"reason": "请填写培植理由"})
    if Benchmark.objects.filter(enterprise=enterprise).exists():
        raise ValidationError({"enterprise": f"“{enterprise.name}”已是标杆企业培植对象"})
    if enterprise.status != "operating":
        raise ValidationError({"enterprise": "只能选择在营企业作为培植对象"})
    benchmark = Benchmark.objects.create(
        enterprise=enterprise,
        chosen_on=chosen_on,
        reason=reason.strip(),
        agency=agency,
        stage=Stage.CANDIDATE,
        stage_since=chosen_on,
        created_by=actor_or_none(actor),
    )
    event = BenchmarkEvent.objects.create(
        benchmark=benchmark,
        kind=EventKind.STAGE,
        on=chosen_on,
        stage=Stage.CANDIDATE,
        note=note.strip() or "选定为标杆企业培植对象",
        actor=actor_or_none(actor),
    )
    _attach(actor, event, files)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=benchmark,
        enterprise=enterprise,
        note=f"选定为标杆企业培植对象:{benchmark.reason}",
    )
    return benchmark


def _locked(actor, benchmark: Benchmark) -> Benchmark:
    require(actor, perms.BENCHMARK_MANAGE, obj=benchmark.enterprise, message=MANAGE_DENIED)
    benchmark = Benchmark.objects.select_for_update().get(pk=benchmark.pk)
    if benchmark.withdrawn_on is not None:
        raise ValidationError({"on": "该企业已退出标杆培植,不能再记录"})
    return benchmark


def _last_date(benchmark: Benchmark) -> date:
    last = benchmark.events.order_by("-on", "-id").values_list("on", flat=True).first()
    return last or benchmark.chosen_on


@transaction.atomic
def benchmark_advance(
    *,
    actor,
    benchmark: Benchmark,
    stage: str,
    on: date,
    note: str = "",
    reason: str = "",
    files=(),
) -> BenchmarkEvent:
    """Move a benchmark to `stage` on `on`: one stage forward, or back with a reason."""
    benchmark = _locked(actor, benchmark)
    if stage not in ORDER:
        raise ValidationError({"stage": "阶段无效"})
    current = benchmark.stage
    if stage == current:
        raise ValidationError({"stage": f"当前已是“{Stage(stage).label}”阶段"})
    backward = ORDER[stage] < ORDER[current]
    if not backward and ORDER[stage] != ORDER[current] + 1:
        skipped = "、".join(Stage(s).label for s in Stage.values[ORDER[current] + 1 : ORDER[stage]])
        raise ValidationError(
            {"stage": f"不能跳过阶段:从“{Stage(current).label}”须先进入“{skipped}”"}
        )
    if backward and not reason.strip():
        raise ValidationError(
            {"reason": f"从“{Stage(current).label}”退回“{Stage(stage).label}”须填写原因"}
        )
    _check_date(on)
    last = _last_date(benchmark)
    if on < last:
        raise ValidationError({"on": f"日期不能早于上一条记录的日期({last.isoformat()})"})
    event = BenchmarkEvent.objects.create(
        benchmark=benchmark,
        kind=EventKind.STAGE,
        on=on,
        stage=stage,
        previous_stage=current,
        note=note.strip(),
        reason=reason.strip() if backward else "",
        actor=actor_or_none(actor),
    )
    _attach(actor, event, files)
    before = audit.snapshot(benchmark, ("stage", "stage_since", "established_on"))
    benchmark.stage, benchmark.stage_since = stage, on
    if stage == Stage.ESTABLISHED:
        benchmark.established_on = on
    elif current == Stage.ESTABLISHED:
        benchmark.established_on = None
    benchmark.save(update_fields=["stage", "stage_since", "established_on"])
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=benchmark,
        enterprise=benchmark.enterprise,
        changes=audit.diff(benchmark, before),
        note=(reason or note).strip(),
    )
    return event


@transaction.atomic
def benchmark_site_meeting(
    *,
    actor,
    benchmark: Benchmark,
    on: date,
    attendees: str,
    attendee_count: int | None = None,
    place: str = "",
    note: str = "",
    files=(),
) -> BenchmarkEvent:
    """Record a site meeting (现场会) held at a benchmark in pilot, with who attended."""
    benchmark = _locked(actor, benchmark)
    if benchmark.stage == Stage.CANDIDATE:
        raise ValidationError({"on": "现场会在试点阶段召开,请先进入“创建试点”"})
    if not attendees.strip():
        raise ValidationError({"attendees": "请填写参会人员"})
    _check_date(on)
    if on < benchmark.chosen_on:
        raise ValidationError({"on": "日期不能早于选定日期"})
    event = BenchmarkEvent.objects.create(
        benchmark=benchmark,
        kind=EventKind.SITE_MEETING,
        on=on,
        attendees=attendees.strip(),
        attendee_count=attendee_count,
        place=place.strip(),
        note=note.strip(),
        actor=actor_or_none(actor),
    )
    _attach(actor, event, files)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=benchmark,
        enterprise=benchmark.enterprise,
        note=f"召开现场会({on.isoformat()})",
    )
    return event


@transaction.atomic
def benchmark_withdraw(*, actor, benchmark: Benchmark, on: date, reason: str) -> BenchmarkEvent:
    """Stop cultivating a benchmark (e.g. it stopped production); it leaves the catalog."""
    benchmark = _locked(actor, benchmark)
    if not reason.strip():
        raise ValidationError({"reason": "请填写退出原因"})
    _check_date(on)
    last = _last_date(benchmark)
    if on < last:
        raise ValidationError({"on": f"日期不能早于上一条记录的日期({last.isoformat()})"})
    event = BenchmarkEvent.objects.create(
        benchmark=benchmark,
        kind=EventKind.WITHDRAW,
        on=on,
        reason=reason.strip(),
        actor=actor_or_none(actor),
    )
    benchmark.withdrawn_on, benchmark.withdraw_reason = on, reason.strip()
    benchmark.save(update_fields=["withdrawn_on", "withdraw_reason"])
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=benchmark,
        enterprise=benchmark.enterprise,
        note=f"退出标杆培植:{reason.strip()}",
    )
    return event


@transaction.atomic
def benchmark_update_catalog(*, actor, benchmark: Benchmark, data: dict) -> list[dict]:
    """Edit the catalog details (附件5: highlights, visiting arrangements, contact)."""
    require(actor, perms.BENCHMARK_MANAGE, obj=benchmark.enterprise, message=MANAGE_DENIED)
    benchmark = Benchmark.objects.select_for_update().get(pk=benchmark.pk)
    before = audit.snapshot(benchmark, (*CATALOG_FIELDS, "reason", "agency"))
    for key in (*CATALOG_FIELDS, "reason", "agency"):
        if key in data:
            value = data[key]
            setattr(benchmark, key, value.strip() if isinstance(value, str) else value)
    if not benchmark.reason:
        raise ValidationError({"reason": "请填写培植理由"})
    benchmark.save()
    changes = audit.diff(benchmark, before)
    if changes:
        audit.record(
            actor=actor_or_none(actor),
            action=ChangeLog.Action.UPDATE,
            instance=benchmark,
            enterprise=benchmark.enterprise,
            changes=changes,
        )
    return changes


@transaction.atomic
def cross_visit_create(
    *,
    actor,
    visited_on: date,
    host_name: str,
    region,
    participants: str,
    host_region: str = "",
    organiser: str = "",
    participant_count: int | None = None,
    enterprises=(),
    takeaways: str = "",
) -> CrossVisit:
    """Record a cross-learning visit (交叉学习) to a benchmark elsewhere."""
    require(actor, perms.BENCHMARK_MANAGE, message="您没有记录交叉学习的权限")
    if actor is not None and not regions_for(actor).filter(pk=region.pk).exists():
        raise ValidationError({"region": "组织区域不在您的管辖范围内"})
    enterprises = list(enterprises)
    outside = [e.name for e in enterprises if not e.region.path.startswith(region.path)]
    if outside:
        raise ValidationError({"enterprises": f"企业不在组织区域内:{'、'.join(outside)}"})
    if not host_name.strip():
        raise ValidationError({"host_name": "请填写观摩的标杆企业"})
    if not participants.strip():
        raise ValidationError({"participants": "请填写参加人员"})
    _check_date(visited_on, "visited_on")
    visit = CrossVisit.objects.create(
        visited_on=visited_on,
        host_name=host_name.strip(),
        host_region=host_region.strip(),
        region=region,
        organiser=organiser.strip(),
        participants=participants.strip(),
        participant_count=participant_count,
        takeaways=takeaways.strip(),
        created_by=actor_or_none(actor),
    )
    visit.enterprises.set(enterprises)
    audit.record(actor=actor_or_none(actor), action=ChangeLog.Action.CREATE, instance=visit)
    return visit
