"""Writes of assessments (self-evaluation, review, annual self-evaluation), item by item, and
of the rectification items a review finds."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.choices import Role
from anbiao.cases import conf, independence, scoring, standards
from anbiao.cases import transitions as rules
from anbiao.cases.choices import (
    AssessmentKind,
    AssessmentStatus,
    EventKind,
    RectificationStatus,
    Verdict,
)
from anbiao.cases.models import Assessment, Case, ItemScore, Rectification, StandardItem
from anbiao.cases.selectors import assessment_result, can_edit, incomplete_items
from anbiao.cases.services.record import current_case, record_step, today
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.core.parsing import parse_decimal
from anbiao.enterprises.models import Enterprise


def check_edit(actor, assessment: Assessment) -> None:
    """Refuse unless the assessment is a draft the actor may score."""
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError("该评定已提交,不能再修改")
    if not can_edit(actor, assessment):
        raise PermissionDenied("您不能填写此评定")


@transaction.atomic
def assessment_start(*, actor, enterprise: Enterprise, kind: str) -> Assessment:
    """Begin (or resume: the open draft of that kind) a self- or annual self-evaluation."""
    if kind not in (AssessmentKind.SELF, AssessmentKind.ANNUAL):
        raise ValidationError({"kind": "评审由安监站指派评审机构或专家后开始"})
    require(actor, perms.CASE_SELF_ASSESS, obj=enterprise, message="您没有填写自评的权限")
    if (
        actor is not None
        and actor.role == Role.AGENCY
        and not independence.consulted(actor.agency, enterprise)
    ):
        raise PermissionDenied("只有为该企业提供技术服务的机构可以代为自评")
    case = current_case(enterprise, lock=True)
    draft = case.assessments.filter(kind=kind, status=AssessmentStatus.DRAFT).first()
    if draft is not None:
        return draft
    event_kind = EventKind.ANNUAL if kind == AssessmentKind.ANNUAL else EventKind.SELF_ASSESSED
    if case.state not in rules.TRANSITIONS[event_kind][0]:
        raise ValidationError(
            {"kind": f"当前状态为“{case.get_state_display()}”,不能开始{AssessmentKind(kind).label}"}
        )
    standard = standards.current(conf.default_standard_code())
    if standard is None:
        raise ValidationError({"kind": "尚未载入评定标准,请联系系统管理员"})
    assessment = Assessment.objects.create(
        case=case, kind=kind, standard=standard, created_by=actor_or_none(actor)
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=assessment,
        enterprise=enterprise,
    )
    return assessment


@transaction.atomic
def review_assign(
    *, actor, enterprise: Enterprise, on: date, agency=None, experts=(), note: str = ""
) -> Assessment:
    """Assign the review team of an applied case; refused when it is not independent."""
    require(actor, perms.CASE_MANAGE, obj=enterprise, message="您没有指派评审的权限")
    experts = list(experts)
    if agency is None and not experts:
        raise ValidationError({"agency": "请至少指定评审机构或一名评审专家"})
    problems = independence.reviewer_conflicts(
        agency=agency, experts=experts, enterprise=enterprise
    )
    if problems:
        raise ValidationError({"agency": problems})
    case = current_case(enterprise, lock=True)
    standard = standards.current(conf.default_standard_code())
    if standard is None:
        raise ValidationError({"agency": "尚未载入评定标准,请联系系统管理员"})
    assessment = Assessment.objects.create(
        case=case,
        kind=AssessmentKind.REVIEW,
        standard=standard,
        agency=agency,
        created_by=actor_or_none(actor),
    )
    assessment.experts.set(experts)
    team = "、".join([*([agency.name] if agency else []), *(e.display_name for e in experts)])
    record_step(
        actor=actor,
        case=case,
        kind=EventKind.REVIEW_START,
        on=on,
        note=(f"评审组:{team}" + (f";{note.strip()}" if note.strip() else ""))[:500],
        assessment=assessment,
    )
    return assessment


def _decimal(value, field: str) -> Decimal:
    number = parse_decimal(value or 0, max_digits=6)  # finite: no NaN, inf or 1e999
    if number is None:
        raise ValidationError({field: f"“{str(value)[:20]}”不是有效的数字"})
    if number < 0:
        raise ValidationError({field: "扣分不能为负数"})
    if number != number.quantize(Decimal("0.1")):
        raise ValidationError({field: "扣分最多保留一位小数"})
    return number


@transaction.atomic
def assessment_save_item(
    *,
    actor,
    assessment: Assessment,
    item: StandardItem,
    verdict: str = "",
    deducted=0,
    not_applicable: bool = False,
    veto_failed: bool = False,
    reason: str = "",
) -> ItemScore:
    """Autosave one item of a draft: its verdict (符合 / 扣分 / 空项), the points deducted and
    the reason. Without a verdict it follows from the input (a deduction, 空项) or stays
    unanswered. Incomplete input (a deduction without its reason yet) is kept;
    `assessment_submit` insists on completeness. A deduction above the item's points is refused
    at once (docs/cases.md, "Assessments and scoring")."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    check_edit(actor, assessment)
    if item.standard_id != assessment.standard_id:
        raise ValidationError({"item": "评定项不属于该评定所用的标准"})
    if verdict and verdict not in Verdict.values:
        raise ValidationError({"verdict": f"第{item.code}项的评定结论无效"})
    deducted = _decimal(deducted, "deducted")
    if verdict == Verdict.NOT_APPLICABLE:
        not_applicable = True
    elif verdict:
        not_applicable = False
    if not verdict:
        verdict = (
            Verdict.NOT_APPLICABLE
            if not_applicable
            else Verdict.DEDUCT
            if deducted > 0 or veto_failed
            else ""
        )
    if verdict == Verdict.CONFORM:
        deducted = Decimal(0)
    if deducted > item.points:
        raise ValidationError(
            {"deducted": f"第{item.code}项扣分 {deducted} 超过该项标准分 {item.points} 分"}
        )
    if not_applicable and not item.na_allowed:
        raise ValidationError({"not_applicable": f"第{item.code}项不允许标为空项"})
    industry = assessment.case.enterprise.industry
    if veto_failed and not item.is_veto_for(industry):
        raise ValidationError({"veto_failed": f"第{item.code}项对该企业所在行业不是否决项"})
    score, _ = ItemScore.objects.get_or_create(assessment=assessment, item=item)
    score.verdict = verdict
    score.deducted = Decimal(0) if not_applicable else deducted
    score.not_applicable = not_applicable
    score.veto_failed = veto_failed and not not_applicable
    score.reason = (reason or "").strip()[:300]
    score.updated_by = actor_or_none(actor)
    score.save()
    return score


@transaction.atomic
def assessment_conform_rest(*, actor, assessment: Assessment) -> int:
    """Answer every item nobody has answered yet 符合 (a paper form that lists only its
    deductions: the demo data, a transcription); returns how many items it answered."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    check_edit(actor, assessment)
    blank = assessment.scores.filter(verdict="")
    count = blank.update(verdict=Verdict.CONFORM, deducted=0, not_applicable=False)
    existing = set(assessment.scores.values_list("item_id", flat=True))
    rows = [
        ItemScore(
            assessment=assessment,
            item=item,
            verdict=Verdict.CONFORM,
            updated_by=actor_or_none(actor),
        )
        for item in assessment.standard.items.exclude(pk__in=existing)
    ]
    ItemScore.objects.bulk_create(rows)
    return count + len(rows)


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment, on: date | None = None) -> Assessment:
    """Score and close an assessment. A self-evaluation records 完成自评, an annual one 年度自评;
    a review proposes a grade and turns each deficiency into a rectification item."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    check_edit(actor, assessment)
    on = on or today()
    missing = incomplete_items(assessment)
    if missing:
        raise ValidationError({"scores": missing})
    result = assessment_result(assessment)
    if result.score is None:
        raise ValidationError({"scores": "所有评定项都是空项,无法计算得分"})
    rule = scoring.grade_for(
        result.score, result.veto_failed, rules=scoring.rules_of(assessment.standard)
    )
    before = audit.snapshot(assessment, ("status", "score", "grade"))
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_on, assessment.submitted_by = on, actor_or_none(actor)
    assessment.score, assessment.earned = result.score, result.earned
    assessment.applicable, assessment.veto_failed = result.applicable, result.veto_failed
    assessment.grade = rule.code if rule else ""
    assessment.save()
    case = Case.objects.select_for_update().get(pk=assessment.case_id)
    summary = f"得分 {result.score}" + (f",建议等级 {rule.name}" if rule else ",未达到达标线")
    if result.veto_failed:
        summary += ",存在否决项不符合"
    if assessment.kind == AssessmentKind.REVIEW:
        due = on + timedelta(days=conf.rectification_days())
        rows = [
            Rectification(
                case=case,
                assessment=assessment,
                item=s.item,
                description=f"{s.item.code} {s.reason}"[:300],
                due_on=due,
            )
            for s in assessment.scores.select_related("item").order_by("item__sort_order")
            if (s.deducted > 0 or s.veto_failed) and not s.not_applicable
        ]
        Rectification.objects.bulk_create(rows)
    else:
        kind = (
            EventKind.ANNUAL
            if assessment.kind == AssessmentKind.ANNUAL
            else EventKind.SELF_ASSESSED
        )
        record_step(actor=actor, case=case, kind=kind, on=on, note=summary, assessment=assessment)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=assessment,
        enterprise=case.enterprise,
        changes=audit.diff(assessment, before),
        note=summary,
    )
    return assessment


@transaction.atomic
def rectification_close(*, actor, rectification: Rectification, on: date, note: str) -> None:
    """Close (销项) a rectification item after checking the enterprise fixed it."""
    require(actor, perms.CASE_MANAGE, obj=rectification.case, message="您没有整改销项的权限")
    if rectification.status == RectificationStatus.CLOSED:
        raise ValidationError({"note": "该整改项已销项"})
    if not (note or "").strip():
        raise ValidationError({"note": "请填写整改情况"})
    if on > today():
        raise ValidationError({"on": "日期不能晚于今天"})
    before = audit.snapshot(rectification, ("status", "closed_on"))
    rectification.status = RectificationStatus.CLOSED
    rectification.closed_on, rectification.closed_by = on, actor_or_none(actor)
    rectification.close_note = note.strip()[:300]
    rectification.save()
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=rectification,
        enterprise=rectification.case.enterprise,
        changes=audit.diff(rectification, before),
        note=note.strip(),
    )
