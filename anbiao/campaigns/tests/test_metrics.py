"""Metrics as of a date, checked against a scripted history with hand-computed numbers."""

from datetime import date

import pytest

from anbiao.campaigns.metrics import Scope, compute
from anbiao.campaigns.models import Campaign
from anbiao.cases import services as cases
from anbiao.cases.services import CertificateData
from anbiao.enterprises import services as registry
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db
D1, D2, D3 = date(2025, 6, 30), date(2025, 12, 31), date(2026, 3, 31)


def step(enterprise, kind, on, **extra):
    return cases.case_record_event(actor=None, enterprise=enterprise, kind=kind, on=on, **extra)


def certify(enterprise, start, passed, issued, number, expires=None):
    step(enterprise, "start", start)
    step(enterprise, "apply", passed)
    step(enterprise, "review_pass", passed, grade="小微达标", score=80)
    step(
        enterprise,
        "certificate",
        issued,
        certificate=CertificateData(number=number, grade="小微达标", expires_on=expires),
    )


@pytest.fixture
def history(reference):
    """A: certified 2025-08; B: started; C: never started; D: new (2025-09), started;
    E: started, deregistered 2025-11-30; F: not eligible; G: certified then revoked 2025-10-15;
    H: certificate expiring 2025-12-31, renewed late on 2026-01-20."""
    e = {}
    for key in "ABCEGH":
        e[key] = make_enterprise(name=f"企业{key}", ledger_since=date(2025, 2, 28))
    e["D"] = make_enterprise(name="企业D", ledger_since=date(2025, 9, 1))
    e["F"] = make_enterprise(
        name="企业F", eligible=False, eligibility_reason="仅办公", ledger_since=date(2025, 2, 28)
    )
    certify(e["A"], date(2025, 4, 1), date(2025, 8, 1), date(2025, 8, 15), "A-1")
    step(e["B"], "start", date(2025, 5, 10))
    step(e["D"], "start", date(2025, 10, 1))
    step(e["E"], "start", date(2025, 4, 1))
    registry.enterprise_change_status(
        actor=None, enterprise=e["E"], status="deregistered", on=date(2025, 11, 30), reason="注销"
    )
    certify(e["G"], date(2025, 3, 20), date(2025, 5, 20), date(2025, 6, 1), "G-1")
    step(e["G"], "revoke", date(2025, 10, 15), note="重大隐患,管理滑坡")
    certify(
        e["H"],
        date(2022, 9, 1),
        date(2022, 12, 1),
        date(2022, 12, 31),
        "H-1",
        expires=date(2025, 12, 31),
    )
    step(e["H"], "apply", date(2025, 11, 1))
    step(e["H"], "review_pass", date(2025, 12, 20), grade="小微达标", score=85)
    step(
        e["H"],
        "renewal",
        date(2026, 1, 20),
        certificate=CertificateData(number="H-2", grade="小微达标"),
    )
    return e


def metrics_on(on):
    campaign = Campaign.objects.get(slug="minan-2025")
    return compute(Scope(campaign, Enterprise.objects.all(), on))


def test_metrics_mid_2025(history):
    m = metrics_on(D1)
    assert (m["scope_total"], m["eligible_total"], m["started"], m["completed"]) == (7, 6, 5, 2)
    assert m["start_rate"] == pytest.approx(5 / 6)
    assert m["completion_rate"] == pytest.approx(2 / 6)
    assert m["coverage_rate"] == pytest.approx(5 / 7)
    assert (m["new_total"], m["new_started"], m["new_start_rate"]) == (0, 0, None)
    assert (m["due_certificates"], m["renewal_rate"]) == (0, None)
    assert m["training_coverage_rate"] == 0


def test_metrics_end_of_2025(history):
    m = metrics_on(D2)
    # E left (deregistered), D arrived; G's certificate was revoked; H's is valid its last day.
    assert (m["scope_total"], m["eligible_total"], m["started"], m["completed"]) == (7, 6, 5, 2)
    assert m["completion_rate"] == pytest.approx(2 / 6)
    assert (m["new_total"], m["new_started"], m["new_start_rate"]) == (1, 1, 1.0)
    assert (m["due_certificates"], m["renewed"], m["renewal_rate"]) == (1, 0, 0.0)


def test_metrics_after_the_late_renewal(history):
    m = metrics_on(D3)
    assert (m["eligible_total"], m["completed"]) == (6, 2)  # A and H's renewed certificate
    assert (m["due_certificates"], m["renewed"], m["renewal_rate"]) == (1, 1, 1.0)
    assert m["renewal_on_time_rate"] == 0.0  # renewed after the expiry date


def test_a_region_outside_the_campaign_falls_back_to_the_campaign(history, xindian_enterprise):
    from anbiao.testing.factories import region

    campaign = Campaign.objects.get(slug="minan-2025")
    inside = compute(Scope(campaign, Enterprise.objects.all(), D2, region("350213007")))
    outside = compute(Scope(campaign, Enterprise.objects.all(), D2, region("350213002")))
    assert inside == outside == metrics_on(D2)


def test_metrics_on_a_past_date_do_not_change_when_later_events_are_recorded(history):
    before = metrics_on(D2)
    step(history["C"], "start", date(2026, 2, 1))
    registry.enterprise_update(
        actor=None, enterprise=history["B"], data={"size": "medium"}, effective_on=date(2026, 2, 1)
    )
    assert metrics_on(D2) == before
    assert metrics_on(D3)["started"] == 5  # B left the scope (now medium), C started


def test_zero_denominators_are_not_applicable(reference):
    m = metrics_on(D1)
    assert m["eligible_total"] == 0
    for key in (
        "completion_rate",
        "start_rate",
        "coverage_rate",
        "new_start_rate",
        "renewal_rate",
        "training_coverage_rate",
    ):
        assert m[key] is None, key


def test_the_one_statement_series_equals_the_per_date_counts(history):
    from anbiao.campaigns.metrics import rate_counts, rate_series

    campaign = Campaign.objects.get(slug="minan-2025")
    scope = Scope(campaign, Enterprise.objects.all(), D3)
    days = [date(2025, 3, 31), D1, date(2025, 9, 30), D2, date(2026, 1, 31), D3]
    series = rate_series(scope, days)
    assert [series[d] for d in days] == [rate_counts(scope.at(d)) for d in days]
    assert series[D2]["started"] == 5 and series[D3]["completed"] == 2
