"""分类监管: the supervision class an enterprise gets on a date from the rules of
reference_data/supervision/classes.yaml. `facts_on` gathers what the rules look at, as of the
date, for many enterprises in a fixed number of queries; `evaluate` applies the rules (pure)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from anbiao.cases import transitions as case_rules
from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.supervision.choices import HazardLevel
from anbiao.supervision.models import ClassRecord, Hazard, Incident
from anbiao.supervision.reference import ClassRules, class_rules

FLAG_KINDS = (EventKind.SLIDE, EventKind.REVOKE, EventKind.DOWNGRADE)
CERTIFICATE_KINDS = (EventKind.CERTIFICATE, EventKind.RENEWAL)


@dataclass
class Facts:
    """What the class rules know of one enterprise on one date."""

    open_major_hazards: int = 0
    days_since_incident: int | None = None
    case_state: str = CaseState.NOT_STARTED
    case_flagged: bool = False
    risk_tags: set = field(default_factory=set)
    certificate_grade: str = ""  # of a certificate valid on the date, else ""


@dataclass(frozen=True)
class Verdict:
    klass: str
    rule: str  # the rule's code, "" for the default
    reason: str


def facts_on(enterprise_ids, on: date) -> dict[int, Facts]:
    """Facts of each enterprise on `on` (five queries whatever the number of enterprises)."""
    from anbiao.enterprises.models import Enterprise

    ids = list(enterprise_ids)
    facts = {pk: Facts() for pk in ids}
    hazards = Hazard.objects.filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=on),
        enterprise_id__in=ids,
        level=HazardLevel.MAJOR,
        found_on__lte=on,
    ).values_list("enterprise_id", flat=True)
    for pk in hazards:
        facts[pk].open_major_hazards += 1
    for pk, occurred in Incident.objects.filter(
        enterprise_id__in=ids, occurred_on__lte=on
    ).values_list("enterprise_id", "occurred_on"):
        days = (on - occurred).days
        current = facts[pk].days_since_incident
        facts[pk].days_since_incident = days if current is None else min(current, days)
    through = Enterprise.risk_tags.through
    for pk, code in through.objects.filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "risktag__code"
    ):
        facts[pk].risk_tags.add(code)
    events = defaultdict(list)
    for event in CaseEvent.objects.filter(case__enterprise_id__in=ids, on__lte=on).select_related(
        "case"
    ):
        events[event.case.enterprise_id].append(event)
    for pk, rows in events.items():
        latest_cycle = max(e.case.cycle for e in rows)
        rows = [e for e in rows if e.case.cycle == latest_cycle]
        try:
            facts[pk].case_state = case_rules.replay(rows).state
        except case_rules.IllegalStep:
            facts[pk].case_state = rows[-1].state_after
        flagged = False
        for event in case_rules.effective(rows):
            if event.kind in FLAG_KINDS:
                flagged = True
            elif event.kind in CERTIFICATE_KINDS:
                flagged = False
        facts[pk].case_flagged = flagged
    valid = Certificate.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=on),
        case__enterprise_id__in=ids,
        void=False,
        issued_on__lte=on,
        expires_on__gte=on,
    ).values_list("case__enterprise_id", "grade")
    for pk, grade in valid:
        facts[pk].certificate_grade = grade
    return facts


def _matches(when: dict, facts: Facts) -> bool:
    checks = {
        "open_major_hazards": lambda n: facts.open_major_hazards >= int(n),
        "incident_within_days": lambda n: (
            facts.days_since_incident is not None and facts.days_since_incident <= int(n)
        ),
        "case_flagged": lambda flag: facts.case_flagged == bool(flag),
        "case_states": lambda states: facts.case_state in states,
        "risk_tags_any": lambda tags: bool(facts.risk_tags & set(tags)),
        "certificate_grades": lambda grades: facts.certificate_grade in grades,
    }
    return all(checks[name](value) for name, value in when.items())


def evaluate(facts: Facts, rules: ClassRules | None = None) -> Verdict:
    """The class the rules give: the first rule that matches, else the default."""
    rules = rules or class_rules()
    for rule in rules.rules:
        if _matches(rule.when, facts):
            return Verdict(rule.klass, rule.code, rule.reason)
    return Verdict(rules.default_class, "", rules.default_reason)


def classes_on(enterprise_ids, on: date) -> dict[int, Verdict]:
    """The class of each enterprise on `on`: the latest recorded class on or before the date
    (rules or a station override), else what the rules give that day."""
    ids = list(enterprise_ids)
    recorded: dict[int, Verdict] = {}
    for row in ClassRecord.objects.filter(enterprise_id__in=ids, on__lte=on).order_by("on", "id"):
        recorded[row.enterprise_id] = Verdict(row.klass, row.rule or row.source, row.reason)
    missing = [pk for pk in ids if pk not in recorded]
    if missing:
        for pk, facts in facts_on(missing, on).items():
            recorded[pk] = evaluate(facts)
    return recorded
