"""Survey rounds (摸排): open a round over a 镇街, record findings, add newly found enterprises,
close the round — which applies every finding to the ledger as facts dated the closing day and
keeps the change report (新增 / 退出 / 条件变化 / 规模变化). A closed round is read-only."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.scope import regions_for
from anbiao.core import audit
from anbiao.core import uscc as uscc_rules
from anbiao.core.models import ChangeLog
from anbiao.enterprises import services as enterprise_services
from anbiao.enterprises.choices import FactSource, OperatingStatus
from anbiao.enterprises.models import Enterprise
from anbiao.surveys.models import SurveyFinding, SurveyRound

FINDING_FIELDS = (
    "status",
    "size",
    "employees",
    "eligible",
    "eligibility_reason",
    "note",
    "surveyor",
    "surveyed_on",
)
NEW_FIELDS = ("new_name", "new_uscc", "new_industry", "new_region", "new_address")
SURVEYED_STATUSES = (OperatingStatus.OPERATING, OperatingStatus.SUSPENDED)

REPORT_CATEGORIES = {"new": "新增", "exit": "退出", "eligibility": "条件变化", "size": "规模变化"}


def _check_round(actor, survey_round: SurveyRound) -> None:
    if (
        actor is not None
        and not SurveyRound.objects.restrict(actor, "view").filter(pk=survey_round.pk).exists()
    ):
        raise PermissionDenied("该摸排轮次不在您的管辖范围内")
    # Ask the database: the caller's copy of the round may predate its closing.
    if not SurveyRound.objects.filter(pk=survey_round.pk, status=SurveyRound.Status.OPEN).exists():
        raise ValidationError("该摸排轮次已结束,不能再修改")


def open_rounds_overlapping(region) -> list[SurveyRound]:
    """Rounds still 进行中 over `region`, a region inside it or one containing it: a second
    round there would record the same enterprises twice."""
    ancestors = [region.path[: i + 1] for i, ch in enumerate(region.path) if ch == "/"]
    return list(
        SurveyRound.objects.filter(status=SurveyRound.Status.OPEN)
        .filter(Q(region__path__startswith=region.path) | Q(region__path__in=ancestors))
        .select_related("region")
        .order_by("period_start")
    )


class OverlappingRound(ValidationError):
    """A round is already 进行中 over the same enterprises; the user may confirm anyway."""


@transaction.atomic
def survey_round_create(
    *,
    actor,
    name: str,
    region,
    period_start: date,
    period_end: date,
    surveyors: str = "",
    allow_overlap: bool = False,
) -> SurveyRound:
    """Open a round over `region`; it lists every enterprise there that is not closed. While
    another round over the same enterprises is 进行中 it is refused with `OverlappingRound`
    unless the user confirmed (`allow_overlap`)."""
    require(actor, perms.SURVEY_CHANGE, message="您没有组织摸排的权限")
    if actor is not None and not regions_for(actor).filter(pk=region.pk).exists():
        raise ValidationError({"region": "摸排区域不在您的管辖范围内"})
    if period_end < period_start:
        raise ValidationError({"period_end": "结束日期不能早于开始日期"})
    overlapping = open_rounds_overlapping(region)
    if overlapping and not allow_overlap:
        names = "、".join(f"“{r.name}”({r.region.name})" for r in overlapping)
        raise OverlappingRound(
            f"{names}仍在进行中,新一轮会重复摸排同一批企业。建议先结束该轮;确需同时进行请勾选确认后再提交。"
        )
    survey_round = SurveyRound.objects.create(
        name=name.strip(),
        region=region,
        period_start=period_start,
        period_end=period_end,
        surveyors=surveyors.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    enterprises = Enterprise.objects.filter(
        region__path__startswith=region.path, status__in=SURVEYED_STATUSES
    )
    SurveyFinding.objects.bulk_create(
        [
            SurveyFinding(round=survey_round, enterprise_id=pk)
            for pk in enterprises.values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    audit.record(
        actor=actor,
        action=ChangeLog.Action.CREATE,
        instance=survey_round,
        note=f"摸排区域:{region.name}",
    )
    return survey_round


def _validate_finding(finding: SurveyFinding) -> None:
    if finding.eligible is False and not finding.eligibility_reason.strip():
        raise ValidationError({"eligibility_reason": "不符合创建条件时须填写原因"})
    if finding.eligible:
        finding.eligibility_reason = ""
    survey_round = finding.round
    if finding.surveyed_on and finding.surveyed_on > timezone.localdate():
        raise ValidationError({"surveyed_on": "摸排日期不能晚于今天"})
    if finding.surveyed_on and not (
        survey_round.period_start <= finding.surveyed_on <= survey_round.period_end
    ):
        raise ValidationError(
            {
                "surveyed_on": (
                    f"摸排日期应在本轮期间内({survey_round.period_start}至{survey_round.period_end})"
                )
            }
        )


def check_can_record(actor, survey_round: SurveyRound) -> None:
    """Refuse recording findings of `survey_round` unless `actor` may and the round is open."""
    require(actor, perms.SURVEY_CHANGE, message="您没有录入摸排结果的权限")
    _check_round(actor, survey_round)


def prepare_finding(finding: SurveyFinding, data: dict) -> SurveyFinding:
    """Set what was found on `finding` and validate it, without saving or asking the database:
    the services save it; the survey import's check stops here, so it writes nothing."""
    for key in FINDING_FIELDS:
        if key in data:
            setattr(
                finding,
                key,
                data[key]
                if data[key] is not None or key in ("employees", "eligible", "surveyed_on")
                else "",
            )
    finding.recorded = True
    _validate_finding(finding)
    finding.full_clean(exclude=["enterprise", "round", "new_region"])
    return finding


@transaction.atomic
def survey_finding_record(*, actor, finding: SurveyFinding, data: dict) -> SurveyFinding:
    """Record (or correct) what was found at one enterprise of an open round."""
    check_can_record(actor, finding.round)
    prepare_finding(finding, data)
    finding.save()
    return finding


def registered_usccs(survey_round: SurveyRound, codes: list[str]) -> set[str]:
    """Of `codes`, those already registered or already added to the round as new."""
    found: set[str] = set()
    for start in range(0, len(codes), 900):  # within every database's limit of parameters
        chunk = codes[start : start + 900]
        found.update(Enterprise.objects.filter(uscc__in=chunk).values_list("uscc", flat=True))
        found.update(
            survey_round.findings.filter(new_uscc__in=chunk).values_list("new_uscc", flat=True)
        )
    return found


def new_finding(
    *, survey_round: SurveyRound, data: dict, registered: set[str] | None = None
) -> SurveyFinding:
    """The unsaved, validated finding of a newly found enterprise. `registered`: the USCCs
    registered or added to the round already, when the caller looked them up for many rows."""
    try:
        code = uscc_rules.validate(data.get("new_uscc"))
    except uscc_rules.USCCError as exc:
        raise ValidationError({"new_uscc": str(exc)}) from exc
    if registered is None:
        registered = registered_usccs(survey_round, [code])
    if code in registered:
        raise ValidationError({"new_uscc": "该统一社会信用代码已登记或已在本轮添加"})
    region = data.get("new_region") or survey_round.region
    if not region.path.startswith(survey_round.region.path):
        raise ValidationError({"new_region": "所属区域须在本轮摸排区域内"})
    finding = SurveyFinding(round=survey_round, **{k: data[k] for k in NEW_FIELDS if k in data})
    finding.new_uscc, finding.new_region = code, region
    if not finding.new_name.strip():
        raise ValidationError({"new_name": "企业名称不能为空"})
    if not finding.new_industry:
        raise ValidationError({"new_industry": "请选择行业"})
    return prepare_finding(finding, {k: data.get(k) for k in FINDING_FIELDS if k in data})


@transaction.atomic
def survey_finding_add_new(*, actor, survey_round: SurveyRound, data: dict) -> SurveyFinding:
    """A new enterprise found during the round; it is registered when the round closes."""
    check_can_record(actor, survey_round)
    finding = new_finding(survey_round=survey_round, data=data)
    finding.save()
    return finding


def _report(category: str, enterprise: Enterprise, detail: str) -> dict:
    return {
        "category": category,
        "label": REPORT_CATEGORIES[category],
        "enterprise_id": enterprise.pk,
        "name": enterprise.name,
        "uscc": enterprise.uscc,
        "detail": detail,
    }


@transaction.atomic
def survey_round_close(*, actor, survey_round: SurveyRound, on: date) -> list[dict]:
    """Apply every recorded finding to the ledger as facts dated `on`, register new
    enterprises, store and return the change report, and make the round read-only."""
    require(actor, perms.SURVEY_CHANGE, message="您没有结束摸排的权限")
    survey_round = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
    _check_round(actor, survey_round)
    if on < survey_round.period_start:
        raise ValidationError({"on": "结束日期不能早于本轮开始日期"})
    if on > timezone.localdate():
        raise ValidationError({"on": "结束日期不能晚于今天:摸排结果自该日起计入台账"})
    report: list[dict] = []
    findings = survey_round.findings.filter(recorded=True).select_related(
        "enterprise", "new_region"
    )
    for finding in findings:
        if finding.enterprise_id is None:
            report.append(_register_new(actor, finding, on))
        else:
            report += _apply(actor, finding, on)
    survey_round.status = SurveyRound.Status.CLOSED
    survey_round.closed_on = on
    survey_round.closed_by = actor if getattr(actor, "pk", None) else None
    survey_round.report = report
    survey_round.save()
    audit.record(
        actor=actor,
        action=ChangeLog.Action.STATUS,
        instance=survey_round,
        note=f"结束摸排,生效日期{on.isoformat()},变化{len(report)}项",
    )
    return report


def _register_new(actor, finding: SurveyFinding, on: date) -> dict:
    enterprise = enterprise_services.enterprise_create(
        actor=None,
        data={
            "name": finding.new_name,
            "uscc": finding.new_uscc,
            "region": finding.new_region,
            "industry": finding.new_industry,
            "address": finding.new_address,
            "size": finding.size,
            "employees": finding.employees,
            "eligible": finding.eligible,
            "eligibility_reason": finding.eligibility_reason,
            "ledger_since": on,
        },
        effective_on=on,
        source=FactSource.SURVEY,
    )
    finding.enterprise = enterprise
    finding.save(update_fields=["enterprise"])
    audit.record(
        actor=actor,
        action=ChangeLog.Action.UPDATE,
        instance=enterprise,
        enterprise=enterprise,
        note=f"摸排发现并纳入台账({finding.round.name})",
    )
    return _report(
        "new",
        enterprise,
        f"{enterprise.get_industry_display()},"
        f"{enterprise.get_size_display()},摸排人{finding.surveyor or '—'}",
    )


def _apply(actor, finding: SurveyFinding, on: date) -> list[dict]:
    enterprise = finding.enterprise
    lines = []
    updates = {}
    if finding.size and finding.size != enterprise.size:
        lines.append(
            _report(
                "size",
                enterprise,
                f"{enterprise.get_size_display()} → "
                f"{dict(finding._meta.get_field('size').choices)[finding.size]}",
            )
        )
        updates["size"] = finding.size
    if finding.employees is not None and finding.employees != enterprise.employees:
        updates["employees"] = finding.employees
    if finding.eligible is not None and finding.eligible != enterprise.eligible:
        old = {True: "符合", False: "不符合", None: "待确认"}[enterprise.eligible]
        new = "符合" if finding.eligible else f"不符合({finding.eligibility_reason})"
        lines.append(_report("eligibility", enterprise, f"{old} → {new}"))
        updates["eligible"] = finding.eligible
        updates["eligibility_reason"] = finding.eligibility_reason
    if updates:
        enterprise_services.enterprise_update(
            actor=actor,
            enterprise=enterprise,
            data=updates,
            effective_on=on,
            source=FactSource.SURVEY,
        )
    if finding.status and finding.status != enterprise.status:
        if finding.status != OperatingStatus.OPERATING:
            label = dict(OperatingStatus.choices)[finding.status]
            lines.append(_report("exit", enterprise, f"{label}:{finding.note or '摸排确认'}"))
        enterprise_services.enterprise_change_status(
            actor=actor,
            enterprise=enterprise,
            status=finding.status,
            on=on,
            reason=finding.note or f"摸排确认({finding.round.name})",
            source=FactSource.SURVEY,
        )
    return lines
