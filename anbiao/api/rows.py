"""Records as plain JSON-ready dicts: one shape for the API's responses and the exchange
package's JSON Lines, so a district reads the same fields whichever way it syncs."""

from datetime import date

from anbiao.cases.certificates import status_on
from anbiao.cases.choices import CaseState, EventKind
from anbiao.supervision.choices import HazardEventKind


def _num(value):
    return None if value is None else float(value)


def region_row(r) -> dict:
    parent = r.parent.code if r.parent_id else None
    return {"id": r.pk, "code": r.code, "name": r.name, "level": r.level, "parent_code": parent}


def enterprise_row(e) -> dict:
    return {
        "id": e.pk,
        "uscc": e.uscc,
        "name": e.name,
        "name_initials": e.name_initials,
        "address": e.address,
        "region_code": e.region.code,
        "region_name": e.region.name,
        "industry": e.industry,
        "industry_code": e.industry_code,
        "size": e.size,
        "employees": e.employees,
        "revenue": _num(e.revenue),
        "in_torch_zone": e.in_torch_zone,
        "status": e.status,
        "status_since": e.status_since,
        "ledger_since": e.ledger_since,
        "eligible": e.eligible,
        "eligibility_reason": e.eligibility_reason,
        "principal_name": e.principal_name,
        "principal_phone": e.principal_phone,
        "safety_manager_name": e.safety_manager_name,
        "safety_manager_phone": e.safety_manager_phone,
        "risk_tags": [t.code for t in e.risk_tags.all()],
        "updated_at": e.updated_at,
    }


def event_row(ev, reversed_ids=frozenset()) -> dict:
    return {
        "id": ev.pk,
        "kind": ev.kind,
        "kind_label": EventKind(ev.kind).label if ev.kind in EventKind.values else ev.kind,
        "on": ev.on,
        "note": ev.note,
        "state_after": ev.state_after,
        "grade": ev.grade,
        "score": _num(ev.score),
        "reverses_id": ev.reverses_id,
        "reversed": ev.pk in reversed_ids,
        "source": ev.source,
        "actor": ev.actor.username if ev.actor_id else None,
        "recorded_at": ev.recorded_at,
    }


def case_row(c) -> dict:
    events = list(c.events.all())
    reversed_ids = {e.reverses_id for e in events if e.reverses_id}
    return {
        "id": c.pk,
        "enterprise_id": c.enterprise_id,
        "uscc": c.enterprise.uscc,
        "cycle": c.cycle,
        "state": c.state,
        "state_label": CaseState(c.state).label,
        "state_since": c.state_since,
        "started_on": c.started_on,
        "flagged": c.flagged,
        "flag_reason": c.flag_reason,
        "updated_at": c.updated_at,
        "events": [event_row(e, reversed_ids) for e in events],
    }


def assessment_row(a, items: bool = False) -> dict:
    row = {
        "id": a.pk,
        "case_id": a.case_id,
        "enterprise_id": a.case.enterprise_id,
        "uscc": a.case.enterprise.uscc,
        "kind": a.kind,
        "status": a.status,
        "standard_code": a.standard.code,
        "standard_version": a.standard.version,
        "agency_id": a.agency_id,
        "submitted_on": a.submitted_on,
        "score": _num(a.score),
        "earned": _num(a.earned),
        "applicable": _num(a.applicable),
        "veto_failed": a.veto_failed,
        "grade": a.grade,
        "items": None,
    }
    if items:
        row["items"] = [
            {
                "item_code": s.item.code,
                "deducted": float(s.deducted),
                "not_applicable": s.not_applicable,
                "veto_failed": s.veto_failed,
                "reason": s.reason,
            }
            for s in a.scores.select_related("item").order_by("item__sort_order", "pk")
        ]
    return row


def certificate_row(c, on: date) -> dict:
    successor = getattr(c, "successor", None)
    return {
        "id": c.pk,
        "number": c.number,
        "enterprise_id": c.case.enterprise_id,
        "uscc": c.case.enterprise.uscc,
        "case_id": c.case_id,
        "grade": c.grade,
        "issuer": c.issuer,
        "issued_on": c.issued_on,
        "expires_on": c.expires_on,
        "replaces_number": c.replaces.number if c.replaces_id else None,
        "ended_on": c.ended_on,
        "end_kind": c.end_kind,
        "end_reason": c.end_reason,
        "void": c.void,
        "status": status_on(c, on, successor),
    }


def benchmark_row(b) -> dict:
    return {
        "id": b.pk,
        "enterprise_id": b.enterprise_id,
        "uscc": b.enterprise.uscc,
        "name": b.enterprise.name,
        "chosen_on": b.chosen_on,
        "stage": b.stage,
        "stage_label": b.get_stage_display(),
        "stage_since": b.stage_since,
        "established_on": b.established_on,
        "withdrawn_on": b.withdrawn_on,
        "agency_id": b.agency_id,
    }


def attendance_row(a) -> dict:
    return {
        "id": a.pk,
        "session_id": a.session_id,
        "session_topic": a.session.topic,
        "held_on": a.session.held_on,
        "region_code": a.session.region.code,
        "name": a.name,
        "role": a.role,
        "enterprise_id": a.enterprise_id,
        "uscc": a.enterprise.uscc if a.enterprise_id else None,
        "unit": a.unit,
        "position": a.position,
        "recorded_at": a.recorded_at,
    }


def guidance_row(g) -> dict:
    return {
        "id": g.pk,
        "agency_id": g.agency_id,
        "enterprise_id": g.enterprise_id,
        "uscc": g.enterprise.uscc,
        "visited_on": g.visited_on,
        "staff": g.staff,
        "content": g.content,
        "issues": g.issues,
        "suggestions": g.suggestions,
        "recorded_at": g.recorded_at,
    }


def inspection_row(i) -> dict:
    return {
        "id": i.pk,
        "enterprise_id": i.enterprise_id,
        "uscc": i.enterprise.uscc,
        "checklist_code": i.checklist.code,
        "checklist_version": i.checklist.version,
        "checklist_name": i.checklist.name,
        "inspected_on": i.inspected_on,
        "inspectors": i.inspectors,
        "status": i.status,
        "summary": i.summary,
        "contact_name": i.contact_name,
        "finished_at": i.finished_at,
        "hazard_count": i.hazard_count,
        "created_at": i.created_at,
    }


def hazard_event_row(ev) -> dict:
    return {
        "id": ev.pk,
        "kind": ev.kind,
        "kind_label": HazardEventKind(ev.kind).label,
        "on": ev.on,
        "state_before": ev.state_before,
        "state_after": ev.state_after,
        "note": ev.note,
        "actor": ev.actor.username if ev.actor_id else None,
        "recorded_at": ev.recorded_at,
    }


def hazard_row(h, today: date) -> dict:
    closed = h.closed_on is not None
    return {
        "id": h.pk,
        "enterprise_id": h.enterprise_id,
        "uscc": h.enterprise.uscc,
        "inspection_id": h.inspection_id,
        "level": h.level,
        "description": h.description,
        "location": h.location,
        "legal_basis": h.legal_basis,
        "found_on": h.found_on,
        "deadline": h.deadline,
        "responsible": h.responsible,
        "measures": h.measures,
        "funds": _num(h.funds),
        "contingency": h.contingency,
        "missing_plan": h.missing_plan() if h.is_major else [],
        "state": h.state,
        "state_since": h.state_since,
        "closed_on": h.closed_on,
        "listed": h.listed,
        "overdue": not closed and h.deadline < today,
        "created_at": h.created_at,
        "events": [hazard_event_row(ev) for ev in h.events.all()],
    }
