"""The metrics mean what the plan means: hand-computed values on constructed histories for
renewals however recorded, "started" in this campaign, new enterprises and why they are new."""

from datetime import date

import pytest

from anbiao.campaigns.metrics import (
    Scope,
    compute,
    enterprises_behind,
    new_by_reason,
    rate_counts,
    rate_series,
)
from anbiao.campaigns.models import Campaign
from anbiao.cases import services as cases
from anbiao.enterprises import services as registry
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import lapse_histories, make_enterprise

pytestmark = pytest.mark.django_db


def step(enterprise, kind, on, **extra):
    return cases.case_record_event(actor=None, enterprise=enterprise, kind=kind, on=on, **extra)


def scope_on(on, region=None):
    campaign = Campaign.objects.get(slug="minan-2025")
    return Scope(campaign, Enterprise.objects.all(), on, region)


def metrics_on(on):
    return compute(scope_on(on))


def names(on, key):
    return sorted(e.name for e in enterprises_behind(scope_on(on), key))


@pytest.fixture
def lapses(reference):
    """OLD, BACK, LATE, EARLY and DURING (`lapse_histories`)."""
    return lapse_histories()


def test_a_late_renewal_recorded_as_a_new_certificate_counts(lapses):
    m = metrics_on(date(2025, 8, 31))
    # Due: LATE and EARLY (2025-06-30), DURING (2025-08-31). EARLY was renewed in time.
    assert (m["due_certificates"], m["renewed"], m["renewed_on_time"]) == (3, 1, 1)
    m = metrics_on(date(2025, 12, 31))
    # LATE's 取得证书 of 2025-09-10 succeeds its lapsed certificate: renewed, but late.
    assert (m["due_certificates"], m["renewed"], m["renewed_on_time"]) == (3, 2, 1)
    assert m["renewal_rate"] == pytest.approx(2 / 3)
    assert m["renewal_on_time_rate"] == pytest.approx(1 / 3)
    assert names(date(2025, 12, 31), "renewal_missing") == ["DURING"]
    assert names(date(2025, 12, 31), "renewed") == ["EARLY", "LATE"]


def test_an_enterprise_whose_certificate_lapsed_before_the_baseline_must_create_again(lapses):
    on = date(2026, 6, 30)
    m = metrics_on(on)
    # Started: BACK (again, 2025-10-08), LATE, EARLY, DURING (lapsing in the campaign). Not OLD.
    assert (m["eligible_total"], m["started"]) == (5, 4)
    assert names(on, "not_started") == ["OLD"]
    assert "OLD" not in names(on, "started")
    # Before BACK started again it was not started either.
    assert names(date(2025, 10, 7), "not_started") == ["BACK", "OLD"]
    assert names(date(2025, 10, 8), "not_started") == ["OLD"]


def test_the_series_counts_started_as_the_engine_does(lapses):
    days = [date(2025, 3, 31), date(2025, 10, 7), date(2025, 10, 8), date(2026, 6, 30)]
    series = rate_series(scope_on(days[-1]), days)
    assert [series[d] for d in days] == [rate_counts(scope_on(d)) for d in days]
    assert series[date(2025, 10, 7)]["started"] == 3
    assert series[date(2025, 10, 8)]["started"] == 4


@pytest.fixture
def arrivals(reference):
    """BASE: 应创 since 2024. SHRUNK: 中型 until 2025-09-01, then 小型. LATER: eligibility
    confirmed on 2025-07-01. MOVED: moved in from 新店 on 2025-11-01 (reason recorded)."""
    base = make_enterprise(name="BASE", ledger_since=date(2024, 1, 1))
    shrunk = make_enterprise(name="SHRUNK", size="medium", ledger_since=date(2024, 1, 1))
    registry.enterprise_update(
        actor=None, enterprise=shrunk, data={"size": "small"}, effective_on=date(2025, 9, 1)
    )
    later = make_enterprise(name="LATER", eligible=None, ledger_since=date(2024, 1, 1))
    registry.enterprise_update(
        actor=None, enterprise=later, data={"eligible": True}, effective_on=date(2025, 7, 1)
    )
    from anbiao.testing.factories import region

    moved = make_enterprise("350213002", name="MOVED", ledger_since=date(2024, 1, 1))
    registry.enterprise_update(
        actor=None,
        enterprise=moved,
        data={"region": region("350213007")},
        effective_on=date(2025, 11, 1),
    )
    registry.enterprise_record_entry_reason(
        actor=None, enterprise=moved, reason="moved_in", on=date(2025, 11, 1), note="从新店迁入"
    )
    step(shrunk, "start", date(2025, 10, 1))
    return {"base": base, "shrunk": shrunk, "later": later, "moved": moved}


def test_an_enterprise_is_new_from_its_first_day_in_scope(arrivals):
    assert names(date(2025, 8, 31), "new_total") == ["LATER"]
    assert names(date(2025, 9, 1), "new_total") == ["LATER", "SHRUNK"]
    m = metrics_on(date(2025, 12, 31))
    assert (m["eligible_total"], m["new_total"], m["new_started"]) == (4, 3, 1)
    assert m["new_start_rate"] == pytest.approx(1 / 3)
    assert names(date(2025, 12, 31), "new_not_started") == ["LATER", "MOVED"]


def test_new_enterprises_are_broken_down_by_why_they_are_new(arrivals):
    rows = new_by_reason(scope_on(date(2025, 12, 31)))
    assert [(r["label"], r["total"], r["started"]) for r in rows] == [
        ("迁入", 1, 0),  # recorded as a dated fact
        ("规模变化", 1, 1),  # read from the ledger: it was 中型 the day before
        ("摸排补录", 1, 0),  # eligibility confirmed by a survey after the baseline
    ]


def test_reasons_read_by_the_orm_in_chunks_of_ids_equal_the_statement(arrivals, monkeypatch):
    """The ORM definition of the reasons (`entry_reasons`, which looks them up in chunks of
    ids: one OR term per enterprise overflowed SQLite's expression depth past ~1,000), read a
    chunk of one id at a time, gives what the dashboard's statement gives."""
    from collections import Counter

    from anbiao.campaigns import metrics as engine

    scope = scope_on(date(2025, 12, 31))
    monkeypatch.setattr(engine, "ID_CHUNK", 1)
    new = engine.in_scope(scope).filter(engine.ELIGIBLE & engine.NEW)
    reasons = engine.entry_reasons(scope, list(new.values_list("pk", flat=True)))
    assert sorted(Counter(reasons.values()).items()) == sorted(
        (row["reason"], row["total"]) for row in new_by_reason(scope)
    )
