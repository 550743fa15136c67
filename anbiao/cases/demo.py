"""Demo case histories for the demo enterprises: some 未开展, many 创建中/已自评, some in review,
some certified in 2025–2026, one failed review, one expired certificate, one renewed.

Deterministic for a given `rng` and idempotent: an enterprise that already has case events is
left alone. Every step goes through the real services, so the histories obey the state table.
"""

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies.models import Agency
from anbiao.cases import independence, services
from anbiao.cases.choices import AssessmentKind, EventKind
from anbiao.cases.models import Case, CaseEvent, StandardItem
from anbiao.enterprises.choices import OperatingStatus
from anbiao.enterprises.models import Enterprise

# Share of the demo enterprises at each end point (the rest stay 未开展).
PLAN = [
    ("in_progress", 30),
    ("self_assessed", 20),
    ("applied", 5),
    ("under_review", 5),
    ("certified", 16),
]


# Enterprises with a certificate from before the campaign (mid-2023) entered the ledger by then.
HISTORY_LEDGER_BY = date(2023, 3, 1)


@dataclass
class CasesDemoSummary:
    cases: int = 0
    events: int = 0
    certificates: int = 0


def _day(rng: random.Random, start: date, spread: int, limit: date) -> date:
    return min(start + timedelta(days=rng.randint(0, spread)), limit)


def reason_for(item: StandardItem, rng: random.Random) -> str:
    """A deduction reason that matches its item: one clause of the item's 扣分标准 as a
    finding ("未分解扣1分" → "现场核查:未分解"), else a finding about the item's text."""
    clauses = [
        re.sub(r"[,,]?(每[^,,]*)?扣[\d.]+分.*$", "", c).strip()
        for c in re.split(r"[;;。]", item.method or "")
    ]
    clauses = [c for c in clauses if c and "否决" not in c]
    if clauses:
        return f"现场核查:{rng.choice(clauses)}"[:300]
    return f"现场核查:{item.text.rstrip('。')}不到位"[:300]


def _assess(rng, assessment, on: date, deductions: int) -> None:
    items = list(StandardItem.objects.filter(standard=assessment.standard))
    for item in rng.sample(items, k=min(deductions, len(items))):
        if item.veto:
            continue
        if item.na_allowed and rng.random() < 0.5:
            services.assessment_save_item(
                actor=None,
                assessment=assessment,
                item=item,
                not_applicable=True,
                reason="企业不涉及该项",
            )
            continue
        services.assessment_save_item(
            actor=None,
            assessment=assessment,
            item=item,
            deducted=min(item.points, Decimal(rng.choice([1, 1, 2, 3]))),
            reason=reason_for(item, rng),
        )
    services.assessment_conform_rest(actor=None, assessment=assessment)
    services.assessment_submit(actor=None, assessment=assessment, on=on)


def _record(enterprise, kind, on, **kwargs):
    return services.case_record_event(actor=None, enterprise=enterprise, kind=kind, on=on, **kwargs)


def _certify(rng, enterprise, on, serial, reviewer, experts, today, *, deductions=8, fail=False):
    review = services.review_assign(
        actor=None, enterprise=enterprise, on=on, agency=reviewer, experts=experts
    )
    on = _day(rng, on, 20, today)
    _assess(rng, review, on, deductions)
    review.refresh_from_db()
    passed = review.grade and not review.veto_failed
    on = _day(rng, on, 10, today)
    if fail or not passed:
        _record(enterprise, EventKind.REVIEW_FAIL, on, note="评审未达到达标线,限期整改")
        return False
    _record(enterprise, EventKind.REVIEW_PASS, on, grade=review.grade)
    for item in review.rectifications.all():
        services.rectification_close(
            actor=None, rectification=item, on=_day(rng, on, 15, today), note="已整改,现场复核通过"
        )
    on = _day(rng, on, 30, today)
    _record(
        enterprise,
        EventKind.CERTIFICATE,
        on,
        certificate=services.CertificateData(
            number=f"XA-BZH-{on.year}-{serial:04d}", issuer="厦门市翔安区应急管理局"
        ),
    )
    return True


@transaction.atomic
def build_cases_demo(rng: random.Random, today: date | None = None) -> CasesDemoSummary:
    """Give the demo enterprises case histories; returns what was added."""
    today = today or timezone.localdate()
    summary = CasesDemoSummary()
    events_before = CaseEvent.objects.count()
    reviewer, _ = Agency.objects.get_or_create(
        name="厦门正衡安全评价有限公司",
        defaults={"contact_name": "蔡振宇", "contact_phone": "0592-5550000"},
    )
    experts = list(User.objects.filter(role=Role.EXPERT, is_active=True).order_by("pk")[:1])
    enterprises = list(
        Enterprise.objects.filter(status=OperatingStatus.OPERATING, in_torch_zone=False)
        .exclude(eligible=False)
        .order_by("uscc")
    )
    done = set(Case.objects.filter(events__isnull=False).values_list("enterprise_id", flat=True))
    # Draw every enterprise's fate first, so the draw does not depend on what already exists.
    outcomes = [o for o, w in PLAN for _ in range(w)] + ["not_started"] * (
        100 - sum(w for _, w in PLAN)
    )
    fates = [(e, rng.choice(outcomes), rng.random()) for e in enterprises]
    with_history = [
        i
        for i, (e, _, _) in enumerate(fates)
        if i > 3 and e.ledger_since and e.ledger_since <= HISTORY_LEDGER_BY
    ]
    specials = {"failed": 3, "expired": 7, "renewed": 11}
    if len(with_history) >= 2:
        specials.update(expired=with_history[0], renewed=with_history[1])
    serial = 100
    for index, (enterprise, fate, luck) in enumerate(fates):
        serial += 1
        for name, position in specials.items():
            if index == position:
                fate = name
        if enterprise.pk in done or fate == "not_started":
            continue
        if fate in ("expired", "renewed") and (
            enterprise.ledger_since is None or enterprise.ledger_since > HISTORY_LEDGER_BY
        ):
            fate = "certified"  # no certificate before the enterprise entered the ledger
        review_team = (
            reviewer if not independence.consulted(reviewer, enterprise) else None,
            experts if fate == "under_review" or luck < 0.3 else [],
        )
        if review_team[0] is None and not review_team[1]:
            continue
        summary.cases += 1
        if fate in ("expired", "renewed"):
            # An older certificate (from before the campaign), issued mid-2023.
            issued = date(2023, 6, 1) + timedelta(days=rng.randint(0, 20))
            _record(enterprise, EventKind.APPLY, issued - timedelta(days=60), note="历史记录")
            _record(enterprise, EventKind.REVIEW_PASS, issued - timedelta(days=20), grade="micro")
            _record(
                enterprise,
                EventKind.CERTIFICATE,
                issued,
                certificate=services.CertificateData(
                    number=f"XA-BZH-2023-{serial:04d}", issuer="厦门市翔安区安全生产监督管理局"
                ),
            )
            if fate == "renewed":
                on = date(2026, 3, 10)
                _record(enterprise, EventKind.APPLY, on, note="换证评审")
                services.review_assign(
                    actor=None, enterprise=enterprise, on=on + timedelta(days=14), agency=reviewer
                )
                _record(enterprise, EventKind.REVIEW_PASS, date(2026, 4, 20), grade="level3")
                _record(
                    enterprise,
                    EventKind.RENEWAL,
                    date(2026, 5, 15),
                    certificate=services.CertificateData(
                        number=f"XA-BZH-2026-{serial:04d}", issuer="厦门市翔安区应急管理局"
                    ),
                )
            continue
        # Never before the enterprise entered the ledger (a 新增企业 starts after it arrives).
        start = max(_day(rng, date(2025, 3, 15), 200, today), enterprise.ledger_since or date.min)
        _record(enterprise, EventKind.START, start, note="签订创建承诺书")
        if fate == "in_progress":
            continue
        on = _day(rng, start, 150, today)
        self_eval = services.assessment_start(
            actor=None, enterprise=enterprise, kind=AssessmentKind.SELF
        )
        _assess(rng, self_eval, on, rng.randint(4, 18))
        if fate == "self_assessed":
            continue
        on = _day(rng, on, 30, today)
        _record(enterprise, EventKind.APPLY, on)
        if fate == "applied":
            continue
        on = _day(rng, on, 20, today)
        if fate == "under_review":
            services.review_assign(
                actor=None, enterprise=enterprise, on=on, agency=review_team[0], experts=experts
            )
            continue
        deductions = 40 if fate == "failed" else rng.randint(4, 14)
        if _certify(
            rng,
            enterprise,
            on,
            serial,
            review_team[0],
            review_team[1],
            today,
            deductions=deductions,
            fail=fate == "failed",
        ):
            summary.certificates += 1
    services.expire_certificates(on=today)
    summary.events = CaseEvent.objects.count() - events_before
    return summary
