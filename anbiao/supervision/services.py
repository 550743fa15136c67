"""Writes of supervision. Each function is keyword-only and one transaction; it checks the
actor's permission and scope (anbiao/accounts/access.py), applies the state rules of
`TRANSITIONS` (the one table of a hazard's steps) and writes the change log. `actor=None` is
the system (imports, demo)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.scope import regions_for
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise
from anbiao.supervision import photos
from anbiao.supervision.choices import (
    ClassSource,
    HazardEventKind,
    HazardLevel,
    HazardState,
    InspectionStatus,
    Outcome,
    SupervisionClass,
)
from anbiao.supervision.models import (
    Checklist,
    ChecklistItem,
    ClassRecord,
    Hazard,
    HazardEvent,
    HazardFile,
    Incident,
    Inspection,
    InspectionPhoto,
    InspectionPlan,
    InspectionResult,
    PlanEntry,
    RiskPoint,
)
from anbiao.supervision.reference import class_rules

S, K = HazardState, HazardEventKind


@dataclass(frozen=True)
class Step:
    sources: frozenset
    target: str
    perm: str
    refusal: str  # why it is refused from any other state, in an officer's words


# A hazard's lifecycle: 登记 → 整改中 → 申请复查 → 复查通过(销号) / 复查不通过(back to 整改中).
TRANSITIONS: dict[str, Step] = {
    K.START: Step(
        frozenset({S.REGISTERED}),
        S.RECTIFYING,
        perms.HAZARD_RECTIFY,
        "只有刚登记的隐患才能开始整改",
    ),
    K.REQUEST_REVIEW: Step(
        frozenset({S.RECTIFYING}),
        S.REVIEW_REQUESTED,
        perms.HAZARD_RECTIFY,
        "只有整改中的隐患才能申请复查",
    ),
    K.PASS: Step(
        frozenset({S.REVIEW_REQUESTED}),
        S.CLOSED,
        perms.HAZARD_REVIEW,
        "只有已申请复查的隐患才能复查销号",
    ),
    K.FAIL: Step(
        frozenset({S.REVIEW_REQUESTED}),
        S.RECTIFYING,
        perms.HAZARD_REVIEW,
        "只有已申请复查的隐患才能判定复查不通过",
    ),
}
PLAN_FIELDS = ("responsible", "measures", "funds", "deadline", "contingency")


def _today() -> date:
    return timezone.localdate()


def _not_future(on: date, field: str = "on") -> None:
    if on > _today():
        raise ValidationError({field: "日期不能晚于今天"})


def _money(value, field: str = "funds") -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError({field: f"整改资金“{value}”不是数字"}) from exc
    if amount < 0:
        raise ValidationError({field: "整改资金不能为负数"})
    return amount.quantize(Decimal("0.01"))


def default_deadline(level: str, found_on: date) -> date:
    return found_on + timedelta(days=int(class_rules().deadline_days.get(level, 30)))


# --- hazards -----------------------------------------------------------------------------------


def _hazard_event(hazard, *, kind, on, before, actor, note="", files=()) -> HazardEvent:
    event = HazardEvent.objects.create(
        hazard=hazard,
        kind=kind,
        on=on,
        state_before=before,
        state_after=hazard.state,
        note=(note or "").strip()[:500],
        actor=actor_or_none(actor),
    )
    for upload in files or ():
        HazardFile.store(
            check_upload(upload), uploaded_by=actor_or_none(actor), hazard=hazard, event=event
        )
    return event


def _flag_certificate(*, actor, hazard: Hazard) -> None:
    """管理滑坡: a 重大隐患 at an enterprise holding a certificate flags it for re-review,
    through the cases service (the one place that writes case events)."""
    from anbiao.cases.choices import CaseState, EventKind
    from anbiao.cases.models import Case
    from anbiao.cases.services import case_record_event

    case = Case.objects.filter(enterprise=hazard.enterprise).order_by("-cycle").first()
    if case is None or case.state != CaseState.CERTIFIED or case.flagged:
        return
    on = max(hazard.found_on, case.state_since or hazard.found_on)
    # The slide is a consequence of the hazard: recorded as the officer when they may record
    # case steps, else as the system.
    recorder = actor if perms.has_perm(actor, perms.CASE_MANAGE) else None
    case_record_event(
        actor=recorder,
        enterprise=hazard.enterprise,
        kind=EventKind.SLIDE,
        on=on,
        note=f"发现重大隐患:{hazard.description}"[:400],
        source="hazard",  # the case event came from a registered 重大隐患
    )


@transaction.atomic
def hazard_register(
    *,
    actor,
    enterprise: Enterprise,
    level: str,
    description: str,
    found_on: date,
    location: str = "",
    legal_basis: str = "",
    deadline: date | None = None,
    responsible: str = "",
    measures: str = "",
    funds=None,
    contingency: str = "",
    inspection: Inspection | None = None,
    result: InspectionResult | None = None,
    files=(),
) -> Hazard:
    """Register a hazard (登记). A 重大隐患 is listed for supervision (挂牌督办) until closed and,
    at a certified enterprise, flags the certificate for re-review (管理滑坡)."""
    require(actor, perms.HAZARD_REVIEW, obj=enterprise)
    if level not in HazardLevel.values:
        raise ValidationError({"level": "请选择隐患级别(一般隐患/重大隐患)"})
    if not (description or "").strip():
        raise ValidationError({"description": "请填写隐患描述"})
    _not_future(found_on, "found_on")
    deadline = deadline or default_deadline(level, found_on)
    if deadline < found_on:
        raise ValidationError({"deadline": "整改期限不能早于发现日期"})
    hazard = Hazard.objects.create(
        enterprise=enterprise,
        inspection=inspection,
        result=result,
        level=level,
        description=description.strip()[:500],
        location=(location or "").strip()[:100],
        legal_basis=(legal_basis or "").strip()[:300],
        found_on=found_on,
        deadline=deadline,
        responsible=(responsible or "").strip()[:50],
        measures=(measures or "").strip(),
        funds=_money(funds),
        contingency=(contingency or "").strip(),
        state=S.REGISTERED,
        state_since=found_on,
        created_by=actor_or_none(actor),
    )
    _hazard_event(
        hazard, kind=K.REGISTER, on=found_on, before=S.REGISTERED, actor=actor, files=files
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=hazard,
        enterprise=enterprise,
        note=f"登记{hazard.get_level_display()}:{hazard.description}",
    )
    if hazard.is_major:
        _flag_certificate(actor=actor, hazard=hazard)
    return hazard


def _locked(hazard: Hazard) -> Hazard:
    return Hazard.objects.select_for_update().select_related("enterprise").get(pk=hazard.pk)


def _evidence_since_rectifying(hazard: Hazard) -> bool:
    """Evidence uploaded since the hazard last went (back) to 整改中: a failed review asks for
    new evidence, not the evidence it just refused."""
    entered = hazard.events.filter(state_after=S.RECTIFYING).exclude(kind__in=[K.PLAN, K.EVIDENCE])
    last = entered.order_by("-id").values_list("id", flat=True).first() or 0
    return hazard.files.filter(event__kind=K.EVIDENCE, event_id__gt=last).exists()


@transaction.atomic
def hazard_transition(
    *, actor, hazard: Hazard, kind: str, on: date, note: str = "", files=()
) -> HazardEvent:
    """Move a hazard one step along TRANSITIONS, dated `on`, by `actor`, with evidence files.

    Refused (ValidationError in Chinese) when the table does not allow the step, when a 重大隐患
    lacks its 五落实 plan before review, when a review is asked for without evidence, or when a
    failed review gives no reason."""
    step = TRANSITIONS.get(kind)
    if step is None:
        raise ValidationError({"kind": "无效的处置事项"})
    require(actor, step.perm, obj=hazard)
    hazard = _locked(hazard)
    if hazard.state not in step.sources:
        raise ValidationError(
            {
                "kind": f"隐患当前状态为“{hazard.get_state_display()}”,"
                f"不能{K(kind).label}:{step.refusal}"
            }
        )
    _not_future(on)
    if on < hazard.state_since:
        raise ValidationError({"on": f"日期不能早于上一步的日期({hazard.state_since.isoformat()})"})
    if kind in (K.REQUEST_REVIEW, K.PASS) and hazard.is_major:
        missing = hazard.missing_plan()
        if missing:
            raise ValidationError(
                {"kind": f"重大隐患须先落实“五落实”方案,尚缺:{'、'.join(missing)}"}
            )
    if kind == K.REQUEST_REVIEW and not files and not _evidence_since_rectifying(hazard):
        raise ValidationError({"file": "申请复查须上传整改后的照片或材料"})
    if kind == K.FAIL and not (note or "").strip():
        raise ValidationError({"note": "复查不通过须写明原因和需继续整改的内容"})
    before = hazard.state
    snap = audit.snapshot(hazard, ("state", "state_since", "closed_on"))
    hazard.state, hazard.state_since = step.target, on
    hazard.closed_on = on if step.target == S.CLOSED else None
    hazard.save(update_fields=["state", "state_since", "closed_on"])
    event = _hazard_event(
        hazard,
        kind=kind,
        on=on,
        before=before,
        actor=actor,
        note=note,
        files=files,
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=hazard,
        enterprise=hazard.enterprise,
        changes=audit.diff(hazard, snap),
        note=(note or K(kind).label)[:200],
    )
    return event


@transaction.atomic
def hazard_update_plan(*, actor, hazard: Hazard, data: dict) -> list[dict]:
    """Fill in the rectification plan (for a 重大隐患 the 五落实: 责任、措施、资金、时限、预案)."""
    require(actor, perms.HAZARD_RECTIFY, obj=hazard)
    hazard = _locked(hazard)
    if hazard.state == S.CLOSED:
        raise ValidationError({"measures": "隐患已销号,不能再修改整改方案"})
    snap = audit.snapshot(hazard, PLAN_FIELDS)
    for name in ("responsible", "measures", "contingency"):
        if name in data:
            setattr(hazard, name, (data[name] or "").strip())
    if "funds" in data:
        hazard.funds = _money(data["funds"])
    if data.get("deadline"):
        if data["deadline"] < hazard.found_on:
            raise ValidationError({"deadline": "整改期限不能早于发现日期"})
        hazard.deadline = data["deadline"]
    hazard.responsible = hazard.responsible[:50]
    hazard.save()
    changes = audit.diff(hazard, snap)
    if changes:
        _hazard_event(
            hazard,
            kind=K.PLAN,
            on=_today(),
            before=hazard.state,
            actor=actor,
            note="、".join(c["label"] for c in changes),
        )
        audit.record(
            actor=actor_or_none(actor),
            action=ChangeLog.Action.UPDATE,
            instance=hazard,
            enterprise=hazard.enterprise,
            changes=changes,
        )
    return changes


@transaction.atomic
def hazard_add_evidence(*, actor, hazard: Hazard, files, note: str = "") -> HazardEvent:
    """Upload rectification evidence (整改材料), e.g. photos after the repair."""
    require(actor, perms.HAZARD_RECTIFY, obj=hazard)
    hazard = _locked(hazard)
    if hazard.state == S.CLOSED:
        raise ValidationError({"file": "隐患已销号,不能再上传整改材料"})
    if not files:
        raise ValidationError({"file": "请选择要上传的文件"})
    event = _hazard_event(
        hazard,
        kind=K.EVIDENCE,
        on=_today(),
        before=hazard.state,
        actor=actor,
        note=note,
        files=files,
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=hazard,
        enterprise=hazard.enterprise,
        note=f"上传整改材料 {len(files)} 个",
    )
    return event


# --- inspections -------------------------------------------------------------------------------


@transaction.atomic
def inspection_start(
    *, actor, enterprise: Enterprise, checklist: Checklist, inspected_on: date, inspectors: str
) -> Inspection:
    """Open an inspection draft (检查中) of `enterprise` against `checklist`."""
    require(actor, perms.INSPECTION_RECORD, obj=enterprise)
    _not_future(inspected_on, "inspected_on")
    if not (inspectors or "").strip():
        raise ValidationError({"inspectors": "请填写检查人员"})
    inspection = Inspection.objects.create(
        enterprise=enterprise,
        checklist=checklist,
        inspected_on=inspected_on,
        inspectors=inspectors.strip()[:100],
        created_by=actor_or_none(actor),
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=inspection,
        enterprise=enterprise,
        note=f"开始检查({checklist.name})",
    )
    return inspection


def _draft(actor, inspection: Inspection) -> Inspection:
    require(actor, perms.INSPECTION_RECORD, obj=inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status != InspectionStatus.DRAFT:
        raise ValidationError({"outcome": "检查已完成,不能再修改"})
    return inspection


@transaction.atomic
def inspection_save_result(
    *,
    actor,
    inspection: Inspection,
    item: ChecklistItem,
    outcome: str,
    note: str = "",
    location: str = "",
    level: str = "",
) -> InspectionResult:
    """Save one item's result of a draft (autosaved as the officer goes; saving the same
    values again changes nothing, so a retried request is harmless)."""
    inspection = _draft(actor, inspection)
    if item.checklist_id != inspection.checklist_id:
        raise ValidationError({"item": "检查项不属于本次检查的检查表"})
    if outcome not in ("", *Outcome.values):
        raise ValidationError({"outcome": "检查结果须为符合、不符合或不适用"})
    if level and level not in HazardLevel.values:
        raise ValidationError({"level": "隐患级别无效"})
    result, _ = InspectionResult.objects.get_or_create(inspection=inspection, item=item)
    result.outcome = outcome
    result.note = (note or "").strip()[:500]
    result.location = (location or "").strip()[:100]
    result.level = HazardLevel.MAJOR if item.major else (level or HazardLevel.GENERAL)
    result.save()
    return result


@transaction.atomic
def inspection_add_photo(
    *, actor, inspection: Inspection, upload, item: ChecklistItem | None = None, client_key=""
) -> InspectionPhoto:
    """Store a compressed photo of a draft; a retry with the same `client_key` stores nothing."""
    inspection = _draft(actor, inspection)
    if client_key:
        existing = inspection.photos.filter(client_key=client_key[:40]).first()
        if existing is not None:
            return existing
    if item is not None and item.checklist_id != inspection.checklist_id:
        raise ValidationError({"item": "检查项不属于本次检查的检查表"})
    photo = photos.compress_photo(upload)
    return InspectionPhoto.store(
        photo.checked,
        uploaded_by=actor_or_none(actor),
        inspection=inspection,
        item=item,
        taken_at=photo.taken_at,
        client_key=(client_key or "")[:40],
    )


@transaction.atomic
def inspection_finish(
    *, actor, inspection: Inspection, contact_name: str, contact_phone: str, summary: str = ""
) -> list[Hazard]:
    """Finish an inspection with the enterprise contact's confirmation (name + phone). Every
    item must be checked; each 不符合 item becomes a hazard (with its photos)."""
    inspection = _draft(actor, inspection)
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    if not contact_name:
        raise ValidationError({"contact_name": "请填写企业确认人姓名"})
    digits = contact_phone.replace("-", "").replace(" ", "")
    if not (digits.isdigit() and 7 <= len(digits) <= 12):
        raise ValidationError({"contact_phone": "请填写企业确认人的联系电话(7至12位数字)"})
    results = {r.item_id: r for r in inspection.results.select_related("item")}
    items = list(inspection.checklist.items.all())
    unchecked = [i for i in items if not getattr(results.get(i.pk), "outcome", "")]
    if unchecked:
        codes = "、".join(i.code for i in unchecked[:5])
        raise ValidationError({"outcome": f"还有 {len(unchecked)} 项未检查({codes})"})
    failed = [results[i.pk] for i in items if results[i.pk].outcome == Outcome.FAIL]
    vague = [r.item.code for r in failed if not r.note]
    if vague:
        raise ValidationError({"note": f"不符合项须描述问题:{'、'.join(vague)}"})
    inspection.contact_name, inspection.contact_phone = contact_name[:50], contact_phone[:20]
    inspection.summary = (summary or "").strip()
    inspection.status = InspectionStatus.DONE
    inspection.finished_at = timezone.now()
    inspection.save()
    item_photos = {}
    for photo in inspection.photos.all():
        item_photos.setdefault(photo.item_id, []).append(photo)
    hazards = []
    for result in failed:
        hazard = hazard_register(
            actor=actor,
            enterprise=inspection.enterprise,
            level=result.level,
            description=f"{result.note}(检查项 {result.item.code}:{result.item.text})",
            location=result.location,
            legal_basis=result.item.basis,
            found_on=inspection.inspected_on,
            inspection=inspection,
            result=result,
        )
        for photo in item_photos.get(result.item_id, []):
            HazardFile.objects.create(
                hazard=hazard,
                event=hazard.events.first(),
                name=photo.name,
                file_type=photo.file_type,
                size=photo.size,
                sha256=photo.sha256,
                uploaded_by=photo.uploaded_by,
                file=photo.file.name,  # the same stored photo, not a copy
            )
        hazards.append(hazard)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=inspection,
        enterprise=inspection.enterprise,
        note=f"完成检查,发现隐患 {len(hazards)} 项,企业确认人 {contact_name}",
    )
    return hazards


# --- classes, accidents ------------------------------------------------------------------------


@transaction.atomic
def classes_refresh(*, actor, enterprises, on: date | None = None) -> int:
    """Re-evaluate the class rules for `enterprises` on `on` (today by default) and record a
    new dated class where it changed. A station override stands until the station changes it."""
    from anbiao.supervision.classes import evaluate, facts_on

    require(actor, perms.SUPERVISION_MANAGE)
    on = on or _today()
    _not_future(on)
    ids = list(enterprises.values_list("pk", flat=True))
    latest: dict[int, ClassRecord] = {}
    for row in ClassRecord.objects.filter(enterprise_id__in=ids).order_by("on", "id"):
        latest[row.enterprise_id] = row
    changed = []
    for pk, facts in facts_on(ids, on).items():
        verdict = evaluate(facts)
        last = latest.get(pk)
        if last is not None and (last.on > on or last.source == ClassSource.OVERRIDE):
            continue
        if last is not None and (last.klass, last.rule) == (verdict.klass, verdict.rule):
            continue
        changed.append(
            ClassRecord(
                enterprise_id=pk,
                on=on,
                klass=verdict.klass,
                source=ClassSource.RULES,
                rule=verdict.rule,
                reason=verdict.reason[:300],
                actor=actor_or_none(actor),
            )
        )
    ClassRecord.objects.bulk_create(changed)
    return len(changed)


@transaction.atomic
def class_override(
    *, actor, enterprise: Enterprise, klass: str, on: date, reason: str
) -> ClassRecord:
    """The station sets an enterprise's class with a reason; `klass=""` returns it to the rules."""
    from anbiao.supervision.classes import evaluate, facts_on

    require(actor, perms.SUPERVISION_MANAGE, obj=enterprise)
    _not_future(on)
    if not (reason or "").strip():
        raise ValidationError({"reason": "调整监管类别须写明理由"})
    last = ClassRecord.objects.filter(enterprise=enterprise).order_by("on", "id").last()
    if last is not None and on < last.on:
        raise ValidationError({"on": f"日期不能早于上一次类别记录({last.on.isoformat()})"})
    if klass:
        if klass not in SupervisionClass.values:
            raise ValidationError({"klass": "监管类别无效"})
        record = ClassRecord.objects.create(
            enterprise=enterprise,
            on=on,
            klass=klass,
            source=ClassSource.OVERRIDE,
            reason=reason.strip()[:300],
            actor=actor_or_none(actor),
        )
    else:
        verdict = evaluate(facts_on([enterprise.pk], on)[enterprise.pk])
        record = ClassRecord.objects.create(
            enterprise=enterprise,
            on=on,
            klass=verdict.klass,
            source=ClassSource.RULES,
            rule=verdict.rule,
            reason=f"恢复按规则评定:{verdict.reason}({reason.strip()})"[:300],
            actor=actor_or_none(actor),
        )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=record,
        enterprise=enterprise,
        note=f"监管类别调整为{record.get_klass_display()}:{reason.strip()}",
    )
    return record


@transaction.atomic
def incident_record(
    *, actor, enterprise: Enterprise, occurred_on: date, description: str, casualties: str = ""
) -> Incident:
    """Record a production safety accident (生产安全事故); the class rules look at it."""
    require(actor, perms.SUPERVISION_MANAGE, obj=enterprise)
    _not_future(occurred_on, "occurred_on")
    if not (description or "").strip():
        raise ValidationError({"description": "请填写事故概况"})
    incident = Incident.objects.create(
        enterprise=enterprise,
        occurred_on=occurred_on,
        description=description.strip()[:300],
        casualties=(casualties or "").strip()[:100],
        recorded_by=actor_or_none(actor),
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=incident,
        enterprise=enterprise,
    )
    return incident


# --- yearly inspection plans -------------------------------------------------------------------


def plan_months(frequency: int, offset: int) -> list[int]:
    """`frequency` months spread evenly over the year, starting at a per-enterprise offset so
    the station's work is spread too (1 → one month, 2 → six apart, 4 → quarterly, 12 → all)."""
    frequency = max(1, min(12, frequency))
    step = 12 // frequency
    start = offset % step
    return [start + step * i + 1 for i in range(frequency)]


@transaction.atomic
def plan_generate(*, actor, region, year: int, inspector: str = "") -> InspectionPlan:
    """Generate the yearly plan of a 镇街 from the classes of its operating enterprises."""
    from anbiao.supervision.classes import classes_on

    require(actor, perms.SUPERVISION_MANAGE)
    if actor is not None and not regions_for(actor).filter(pk=region.pk).exists():
        raise ValidationError({"region": "该镇街不在您的管辖范围内"})
    if region.level != "subdistrict":
        raise ValidationError({"region": "年度检查计划按镇街编制,请选择镇街"})
    today = _today()
    if not today.year - 1 <= year <= today.year + 1:
        raise ValidationError({"year": f"年度须在 {today.year - 1} 至 {today.year + 1} 之间"})
    if InspectionPlan.objects.filter(region=region, year=year).exists():
        raise ValidationError({"year": f"{region.name}{year}年度的检查计划已编制,请直接调整"})
    plan = InspectionPlan.objects.create(region=region, year=year, created_by=actor_or_none(actor))
    enterprises = Enterprise.objects.filter(
        region__path__startswith=region.path, status="operating"
    ).order_by("name_pinyin", "pk")
    ids = list(enterprises.values_list("pk", flat=True))
    on = min(today, date(year, 12, 31)) if year <= today.year else today
    verdicts = classes_on(ids, on)
    rules = class_rules()
    inspector = (inspector or getattr(actor, "display_name", "") or "").strip()[:50]
    entries = []
    for index, pk in enumerate(ids):
        klass = verdicts[pk].klass
        for month in plan_months(rules.frequency(klass), index):
            entries.append(
                PlanEntry(
                    plan=plan, enterprise_id=pk, month=month, klass=klass, inspector=inspector
                )
            )
    PlanEntry.objects.bulk_create(entries)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=plan,
        note=f"生成年度检查计划:{len(ids)} 家企业,{len(entries)} 次检查",
    )
    return plan


@transaction.atomic
def plan_entry_update(*, actor, entry: PlanEntry, month: int, inspector: str) -> PlanEntry:
    """Move a planned inspection to another month or inspector."""
    require(actor, perms.SUPERVISION_MANAGE, obj=entry)
    if not 1 <= int(month) <= 12:
        raise ValidationError({"month": "计划月份须为 1 至 12"})
    entry = PlanEntry.objects.select_for_update().get(pk=entry.pk)
    snap = audit.snapshot(entry, ("month", "inspector"))
    entry.month, entry.inspector = int(month), (inspector or "").strip()[:50]
    entry.save()
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=entry.plan,
        enterprise=entry.enterprise,
        changes=audit.diff(entry, snap),
        note="调整年度检查计划",
    )
    return entry


# --- risk register -----------------------------------------------------------------------------

RISK_FIELDS = ("name", "location", "colour", "factors", "controls", "owner", "review_on", "active")


def _check_risk(data: dict) -> None:
    from anbiao.supervision.choices import RiskColour

    if not (data.get("name") or "").strip():
        raise ValidationError({"name": "请填写风险点名称"})
    if data.get("colour") not in RiskColour.values:
        raise ValidationError({"colour": "风险等级须为红、橙、黄、蓝之一"})
    if not (data.get("controls") or "").strip():
        raise ValidationError({"controls": "请填写管控措施"})
    if not (data.get("owner") or "").strip():
        raise ValidationError({"owner": "请填写管控责任人"})


@transaction.atomic
def risk_point_save(
    *, actor, enterprise: Enterprise, data: dict, point: RiskPoint | None = None
) -> RiskPoint:
    """Create or edit a risk point of the enterprise's risk register (风险分级管控)."""
    require(actor, perms.RISK_MANAGE, obj=enterprise)
    if point is not None and point.enterprise_id != enterprise.pk:
        raise ValidationError({"name": "风险点不属于该企业"})
    _check_risk(data)
    creating = point is None
    point = point or RiskPoint(enterprise=enterprise)
    snap = audit.snapshot(point, RISK_FIELDS) if not creating else {}
    for name in RISK_FIELDS:
        if name in data:
            value = data[name]
            setattr(point, name, value.strip() if isinstance(value, str) else value)
    point.full_clean(exclude=["enterprise"])
    point.save()
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE if creating else ChangeLog.Action.UPDATE,
        instance=point,
        enterprise=enterprise,
        changes=[] if creating else audit.diff(point, snap),
    )
    return point


@transaction.atomic
def risk_points_import(*, actor, enterprise: Enterprise, rows: list[dict]) -> int:
    """Add the risk points of an Excel sheet, all or nothing; `rows` carry their sheet row
    number as "_row" so errors name it."""
    require(actor, perms.RISK_MANAGE, obj=enterprise)
    errors = []
    for row in rows:
        try:
            _check_risk(row)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors.append(f"第{row['_row']}行:{'；'.join(messages)}")
    if errors:
        raise ValidationError({"file": errors})
    for row in rows:
        data = {k: v for k, v in row.items() if k in RISK_FIELDS}
        risk_point_save(actor=actor, enterprise=enterprise, data=data)
    return len(rows)


@transaction.atomic
def checklist_import(*, actor, data: dict, source: str):
    """Add a checklist (or a new version of one) read from an Excel sheet."""
    from anbiao.supervision.reference import ChecklistError, save_checklist

    require(actor, perms.INSPECTION_RECORD)
    try:
        result = save_checklist(data, source=source)
    except ChecklistError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=result.checklist,
        note=f"导入检查表:{result.checklist}",
    )
    return result
