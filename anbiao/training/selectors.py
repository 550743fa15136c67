"""Scoped reads of training, and the coverage the campaign metrics use.

Coverage (`training_coverage_rate`, docs/agencies-benchmarks-training.md): an enterprise is
covered in a period when its principal (企业主要负责人) AND its safety manager (安全生产管理员)
both attended a session held within the period. Attendance at any session counts, whoever
organised it.
"""

from datetime import date

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.core.parsing import parse_date
from anbiao.enterprises.filters import search_q
from anbiao.enterprises.models import Enterprise
from anbiao.training.models import Attendance, Session, SessionFile, TraineeRole

COVERAGE_STATES = (
    ("covered", "已覆盖"),
    ("principal", "仅主要负责人"),
    ("manager", "仅安全生产管理员"),
    ("other", "仅其他人员"),
    ("never", "从未参训"),
)


def trained_enterprise_ids(enterprises: QuerySet[Enterprise], start: date, end: date) -> set[int]:
    """Ids of the enterprises of `enterprises` whose principal and safety manager both attended
    a training session held within [start, end] (both days included). One query."""
    rows = (
        Attendance.objects.filter(
            enterprise__in=enterprises.values("pk"),
            session__held_on__gte=start,
            session__held_on__lte=end,
            role__in=[TraineeRole.PRINCIPAL, TraineeRole.SAFETY_MANAGER],
        )
        .values_list("enterprise_id", "role")
        .distinct()
    )
    roles: dict[int, set[str]] = {}
    for enterprise_id, role in rows:
        roles.setdefault(enterprise_id, set()).add(role)
    return {pk for pk, found in roles.items() if len(found) == 2}


def _attended(start: date, end: date, role: str | None = None):
    qs = Attendance.objects.filter(
        enterprise=OuterRef("pk"), session__held_on__gte=start, session__held_on__lte=end
    )
    return qs.filter(role=role) if role else qs


def _last_attended(start: date, end: date, role: str) -> Subquery:
    return Subquery(
        _attended(start, end, role).order_by("-session__held_on").values("session__held_on")[:1]
    )


def annotate_coverage(enterprises: QuerySet[Enterprise], start: date, end: date):
    """Add `principal_on`, `manager_on` (the latest session each attended in the period) and
    `reached` (anyone of the enterprise attended)."""
    return enterprises.annotate(
        principal_on=_last_attended(start, end, TraineeRole.PRINCIPAL),
        manager_on=_last_attended(start, end, TraineeRole.SAFETY_MANAGER),
        reached=Exists(_attended(start, end)),
    )


STATE_FILTERS = {
    "covered": Q(principal_on__isnull=False, manager_on__isnull=False),
    "principal": Q(principal_on__isnull=False, manager_on__isnull=True),
    "manager": Q(principal_on__isnull=True, manager_on__isnull=False),
    "other": Q(principal_on__isnull=True, manager_on__isnull=True, reached=True),
    "never": Q(reached=False),
}


def coverage_summary(annotated) -> dict:
    """Counts per coverage state of an annotated queryset, in one query."""
    figures = annotated.aggregate(
        total=Count("pk"), **{key: Count("pk", filter=q) for key, q in STATE_FILTERS.items()}
    )
    total = figures["total"]
    figures["rate"] = round(figures["covered"] * 100 / total, 1) if total else None
    return figures


def role_counts(sessions: QuerySet[Session]) -> list[tuple[str, str, int, int]]:
    """(role, label, attendances, distinct people) of the sessions, per 五项岗位 role."""
    rows = (
        Attendance.objects.filter(session__in=sessions.values("pk"))
        .values("role")
        .annotate(n=Count("pk"), people=Count("person_key", distinct=True))
    )
    by_role = {row["role"]: row for row in rows}
    return [
        (
            value,
            label,
            by_role.get(value, {}).get("n", 0),
            by_role.get(value, {}).get("people", 0),
        )
        for value, label in TraineeRole.choices
    ]


# --- pages -----------------------------------------------------------------------------------


VIEW_DENIED = "您没有查看培训的权限"


def session_list(*, user, params) -> QuerySet[Session]:
    require(user, perms.TRAINING_VIEW, message=VIEW_DENIED)
    qs = (
        Session.objects.restrict(user, "view")
        .select_related("region")
        .annotate(
            people=Count("attendances"),
            enterprises=Count("attendances__enterprise", distinct=True),
        )
    )
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(topic__icontains=text) | Q(organiser__icontains=text) | Q(trainer__icontains=text)
        )
    kind = params.get("kind") or ""
    if kind:
        qs = qs.filter(kind=kind)
    for key, lookup in (("start", "held_on__gte"), ("end", "held_on__lte")):
        on = parse_date(params.get(key))
        if on is not None:
            qs = qs.filter(**{lookup: on})
    return qs.order_by("-held_on", "-id")


def session_get(*, user, pk: int) -> Session:
    require(user, perms.TRAINING_VIEW, message=VIEW_DENIED)
    session = Session.objects.restrict(user, "view").select_related("region").filter(pk=pk).first()
    if session is None:
        raise Http404("培训不存在或不在您的管辖范围内")
    return session


def attendance_get(*, user, pk: int) -> Attendance:
    require(user, perms.TRAINING_VIEW, message=VIEW_DENIED)
    item = (
        Attendance.objects.restrict(user, "view")
        .select_related("session", "enterprise")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("参训记录不存在或不在您的管辖范围内")
    return item


def session_file_get(*, user, pk: int) -> SessionFile:
    require(user, perms.TRAINING_VIEW, message=VIEW_DENIED)
    item = SessionFile.objects.restrict(user, "view").filter(pk=pk).first()
    if item is None:
        raise Http404("文件不存在或不在您的管辖范围内")
    return item


def coverage_rows(annotated, params):
    state = params.get("state") or ""
    if state in STATE_FILTERS:
        annotated = annotated.filter(STATE_FILTERS[state])
    text = (params.get("q") or "").strip()
    if text:
        annotated = annotated.filter(search_q(text))
    return annotated.select_related("region").order_by("region__path", "name_pinyin", "id")


def latest_session_on(sessions: QuerySet[Session]):
    return sessions.aggregate(last=Max("held_on"))["last"]
