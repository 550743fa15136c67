"""The one-statement counts (counts.py) against the metric definitions written with the ORM
(`metrics.in_scope` and each metric's `where`, the due certificates and their renewals, the
trained enterprises), on a history with every edge the definitions have, on many dates."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext

from anbiao.accounts.models import Region
from anbiao.campaigns import counts, metrics
from anbiao.campaigns.models import Campaign, Target
from anbiao.campaigns.selectors import dashboard_extras, monthly_dates
from anbiao.campaigns.targets import evaluate_all
from anbiao.cases import services as cases
from anbiao.cases.filters import special_list_q
from anbiao.cases.models import Case
from anbiao.cases.selectors import annotate_board
from anbiao.enterprises import services as registry
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import (
    attend,
    certify_case,
    lapse_histories,
    make_enterprise,
    make_session,
    region,
)

pytestmark = pytest.mark.django_db

DAYS = [
    date(2024, 5, 31),  # OLD's and BACK's certificates' last day
    date(2024, 6, 1),  # lapsed: their earlier steps no longer count
    date(2024, 12, 31),  # before the baseline and the campaign
    date(2025, 2, 28),  # the baseline
    date(2025, 3, 13),  # the campaign's first day
    date(2025, 6, 30),
    date(2025, 8, 31),
    date(2025, 9, 1),
    date(2025, 10, 7),
    date(2025, 10, 8),
    date(2025, 12, 31),
    date(2026, 3, 31),
    date(2026, 6, 30),
]


def step(enterprise, kind, on, **extra):
    return cases.case_record_event(actor=None, enterprise=enterprise, kind=kind, on=on, **extra)


@pytest.fixture
def world(reference):
    """Every case the definitions tell apart, in 民安 and one in 新店."""
    e = {}
    made = {
        "CERTIFIED": {},
        "STARTED": {},
        "IDLE": {},
        "NEWCOMER": {"ledger_since": date(2025, 9, 1)},
        "NOT_ELIGIBLE": {"eligible": False, "eligibility_reason": "仅办公"},
        "UNDECIDED": {"eligible": None},
        "TORCH": {"in_torch_zone": True},
        "MEDIUM": {"size": "medium"},
        "TEXTILE": {"industry": "textile"},
        "REVOKED": {},
        "VOIDED": {},
        "LEFT": {},
        "SHRUNK": {"size": "medium", "ledger_since": date(2024, 1, 1)},
        "TRAINED": {},
        "HALF_TRAINED": {},
    }
    for key, fields in made.items():
        e[key] = make_enterprise(name=key, **{"ledger_since": date(2025, 2, 28), **fields})
    e["MOVED"] = make_enterprise("350213002", name="MOVED", ledger_since=date(2024, 1, 1))
    e["XINDIAN"] = make_enterprise("350213002", name="XINDIAN", ledger_since=date(2025, 2, 28))

    certify_case(e["CERTIFIED"], date(2025, 4, 1), date(2025, 8, 15), "C-1")
    step(e["STARTED"], "start", date(2025, 5, 10))
    step(e["NEWCOMER"], "start", date(2025, 10, 1))
    registry.enterprise_record_entry_reason(
        actor=None, enterprise=e["NEWCOMER"], reason="established", on=date(2025, 9, 1), note="新设"
    )
    step(e["NOT_ELIGIBLE"], "start", date(2025, 5, 1))
    step(e["TORCH"], "start", date(2025, 5, 1))
    step(e["MEDIUM"], "start", date(2025, 5, 1))
    step(e["TEXTILE"], "start", date(2025, 5, 1))
    step(e["XINDIAN"], "start", date(2025, 5, 1))
    certify_case(e["REVOKED"], date(2025, 3, 20), date(2025, 6, 1), "R-1")
    step(e["REVOKED"], "revoke", date(2025, 10, 15), note="重大隐患,管理滑坡")
    certify_case(e["VOIDED"], date(2025, 3, 20), date(2025, 6, 1), "V-1")
    cases.case_correct_last(actor=None, enterprise=e["VOIDED"], note="录入错误")
    step(e["LEFT"], "start", date(2025, 4, 1))
    registry.enterprise_change_status(
        actor=None,
        enterprise=e["LEFT"],
        status="deregistered",
        on=date(2025, 11, 30),
        reason="注销",
    )
    # Certificates lapsing before the baseline, in the campaign, renewed early and late.
    e.update(lapse_histories())
    # Size and region changing over time.
    registry.enterprise_update(
        actor=None, enterprise=e["SHRUNK"], data={"size": "small"}, effective_on=date(2025, 9, 1)
    )
    step(e["SHRUNK"], "start", date(2025, 10, 1))
    registry.enterprise_update(
        actor=None,
        enterprise=e["MOVED"],
        data={"region": region("350213007")},
        effective_on=date(2025, 11, 1),
    )
    registry.enterprise_update(
        actor=None,
        enterprise=e["CERTIFIED"],
        data={"size": "medium"},
        effective_on=date(2026, 2, 1),
    )
    # Training: both key people, or only the principal; one session before the campaign.
    before = make_session(held_on=date(2025, 1, 10))
    during = make_session(held_on=date(2025, 6, 20))
    attend(during, e["TRAINED"], "principal")
    attend(during, e["TRAINED"], "safety_manager")
    attend(during, e["HALF_TRAINED"], "principal")
    attend(before, e["HALF_TRAINED"], "safety_manager")
    return e


def orm_counts(scope: metrics.Scope) -> dict[str, int]:
    """The counts as the ORM definitions give them (what `compute` did before counts.py)."""
    qs = metrics.in_scope(scope)
    values = qs.aggregate(
        **{
            m.key: Count("pk", filter=m.where) if m.where else Count("pk")
            for m in metrics.METRICS.values()
            if m.where is not None
        }
    )
    later = metrics.later_certificate(scope.on)
    values.update(
        metrics.due_certificates(scope).aggregate(
            due_certificates=Count("pk"),
            renewed=Count("pk", filter=Q(Exists(later))),
            renewed_on_time=Count(
                "pk", filter=Q(Exists(later.filter(issued_on__lte=OuterRef("expires_on"))))
            ),
        )
    )
    values["trained"] = len(metrics.trained_ids(scope, qs))
    return values


def campaign() -> Campaign:
    return Campaign.objects.select_related("region").get(slug="minan-2025")


def assert_equal_on_every_day(scope: metrics.Scope) -> None:
    together = counts.for_dates(scope.campaign, scope.enterprises, scope.area, DAYS)
    for day in DAYS:
        expected = orm_counts(scope.at(day))
        assert together[day] == expected, day
        assert counts.on(scope.campaign, scope.enterprises, scope.area, day) == expected, day


def test_the_counts_equal_the_orm_definitions_on_every_day(world):
    scope = metrics.Scope(campaign(), Enterprise.objects.all(), DAYS[0])
    assert_equal_on_every_day(scope)
    # The history does reach every count.
    figures = counts.on(scope.campaign, scope.enterprises, scope.area, date(2025, 12, 31))
    assert all(figures[key] for key in counts.KEYS), figures


def test_the_counts_follow_the_asking_users_scope(world, enterprise_user, station_officer):
    for user in (enterprise_user, station_officer):
        scope = metrics.Scope(campaign(), Enterprise.objects.restrict(user, "view"), DAYS[0])
        assert_equal_on_every_day(scope)
    mine = Enterprise.objects.restrict(enterprise_user, "view")
    figures = counts.on(campaign(), mine, campaign().region, date(2025, 12, 31))
    assert figures["scope_total"] == mine.count() == 1


def test_the_counts_follow_the_region_and_the_campaigns_industries(world):
    district = Region.objects.get(code="350213")
    wide = campaign()
    wide.region = district
    wide.industries = [i for i in wide.industries if i != "textile"]
    wide.save()
    for area in (district, region("350213007"), region("350213002")):
        assert_equal_on_every_day(metrics.Scope(wide, Enterprise.objects.all(), DAYS[0], area))
    xindian = counts.on(wide, Enterprise.objects.all(), region("350213002"), date(2025, 6, 30))
    assert (xindian["scope_total"], xindian["started"]) == (2, 1)  # MOVED and XINDIAN


def test_a_campaign_that_keeps_the_torch_zone_counts_it(world):
    keeps = campaign()
    keeps.exclude_torch_zone = False
    keeps.sizes = ["small", "micro", "medium"]
    keeps.save()
    assert_equal_on_every_day(metrics.Scope(keeps, Enterprise.objects.all(), DAYS[0]))


def test_the_monthly_series_equals_the_orm_definitions_at_every_month_end(world):
    """The burn-up chart's 24 month ends, in one statement, each equal to the ORM's counts."""
    scope = metrics.Scope(campaign(), Enterprise.objects.all(), date(2026, 6, 30))
    days = monthly_dates(date(2024, 5, 1), scope.on)
    assert len(days) == 24
    with CaptureQueriesContext(connection) as queries:
        series = metrics.rate_series(scope, days)
    assert sum("periods AS" in q["sql"] for q in queries.captured_queries) == 1
    for day in days:
        expected = orm_counts(scope.at(day))
        assert {k: series[day][k] for k in metrics.series_keys() if k in expected} == {
            k: expected[k] for k in metrics.series_keys() if k in expected
        }, day


def test_compute_and_the_series_read_the_counts(world):
    scope = metrics.Scope(campaign(), Enterprise.objects.all(), date(2026, 3, 31))
    values = metrics.compute(scope)
    expected = orm_counts(scope)
    assert {k: values[k] for k in counts.KEYS} == expected
    assert values["completion_rate"] == pytest.approx(
        expected["completed"] / expected["eligible_total"]
    )
    series = metrics.rate_series(scope, DAYS)
    assert [series[d] for d in DAYS] == [metrics.rate_counts(scope.at(d)) for d in DAYS]


@pytest.fixture
def targets(world):
    """Targets whose evaluation asks the pace (90 days earlier) and a past deadline."""
    minan = campaign()
    Target.objects.filter(campaign=minan).delete()
    for metric, deadline in (
        ("completion_rate", date(2026, 12, 31)),
        ("start_rate", date(2025, 12, 31)),
        ("benchmark_candidates", date(2025, 10, 31)),
        ("renewal_rate", date(2026, 12, 31)),
    ):
        Target.objects.create(
            campaign=minan,
            code=metric,
            metric=metric,
            threshold=0.5,
            deadline=deadline,
            label=metric,
        )
    return minan


def test_targets_ask_the_counts_of_every_date_in_one_statement(targets):
    scope = metrics.Scope(targets, Enterprise.objects.all(), date(2026, 3, 31))
    with CaptureQueriesContext(connection) as queries:
        values, results = evaluate_all(scope)
    statements = [q["sql"] for q in queries.captured_queries if "periods AS" in q["sql"]]
    assert len(statements) == 1
    assert values == metrics.compute(scope)
    pace = metrics.compute(scope.at(scope.on - timedelta(days=90)))
    by_metric = {r.target.metric: r for r in results}
    assert (
        by_metric["start_rate"].deadline_value
        == metrics.compute(scope.at(date(2025, 12, 31)))["start_rate"]
    )
    assert by_metric["completion_rate"].value == values["completion_rate"]
    assert pace["completion_rate"] is not None
    # Pinned: the campaign and its targets, the regions, the counts, the benchmarks.
    assert len(queries.captured_queries) <= 8, [q["sql"][:80] for q in queries.captured_queries]


def test_anbiao_kpi_runs_a_fixed_number_of_queries(targets, capsys):
    with CaptureQueriesContext(connection) as queries:
        call_command("kpi", campaign="minan-2025", as_of="2026-03-31")
    assert "已完成创建" in capsys.readouterr().out
    assert len(queries.captured_queries) <= 10, [q["sql"][:80] for q in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_other_dates_are_summed_from_the_kept_days_until_a_write(world, enterprise_user):
    """Outside a transaction (a request, `anbiao kpi`, the worker) the counts' changes by day
    are kept under the data version: another date runs no statement, and a write shows at once."""
    scope = metrics.Scope(campaign(), Enterprise.objects.all(), date(2026, 3, 31))
    before = counts.on(scope.campaign, scope.enterprises, scope.area, scope.on)
    with CaptureQueriesContext(connection) as queries:
        together = counts.for_dates(scope.campaign, scope.enterprises, scope.area, DAYS)
    assert not any("periods AS" in q["sql"] for q in queries.captured_queries)
    # Pinned: the two region lists and the data version.
    assert len(queries.captured_queries) == 3, [q["sql"][:80] for q in queries.captured_queries]
    for day in DAYS:
        assert together[day] == orm_counts(scope.at(day)), day
    # Another user's scope is not served the days of this one.
    mine = Enterprise.objects.restrict(enterprise_user, "view")
    assert counts.on(scope.campaign, mine, scope.area, scope.on)["scope_total"] == 1
    step(world["IDLE"], "start", date(2026, 1, 5))
    after = counts.on(scope.campaign, scope.enterprises, scope.area, scope.on)
    assert after["started"] == before["started"] + 1
    assert after == orm_counts(scope)


def test_postgresql_connections_turn_jit_off():
    """JIT compilation made the counts statement several times slower at 100k enterprises."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = "import config.settings as s; print(s.DATABASES['default']['OPTIONS'])"
    shown = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "ANBIAO_DEV": "1", "DATABASE_URL": "postgres://a@h/db"},
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert "-c jit=off" in shown.stdout, shown.stderr


def orm_breakdown(scope: metrics.Scope, by: str) -> list[dict]:
    """The breakdown as the ORM definitions give it (what `metrics.breakdown` did before)."""
    from django.db.models import F

    qs = metrics.in_scope(scope)
    group = {
        "subdistrict": metrics.subdistrict_expr(),
        "industry": F("industry"),
        "size": F("on_size"),
    }[by]
    rows = (
        qs.annotate(group=group)
        .values("group")
        .annotate(**{k: Count("pk", filter=metrics.METRICS[k].where) for k in metrics.BREAKDOWN})
        .order_by("group")
    )
    return [dict(row) for row in rows]


def district_wide() -> Campaign:
    """民安's campaign widened to the whole district: two 镇街 in scope."""
    wide = campaign()
    wide.region = Region.objects.get(code="350213")
    wide.save()
    return wide


def visible_to(*users) -> list:
    """Every enterprise, then what each user may see."""
    return [Enterprise.objects.all(), *(Enterprise.objects.restrict(u, "view") for u in users)]


def test_the_breakdowns_equal_the_orm_definitions(world, station_officer):
    wide = district_wide()
    district = wide.region
    for enterprises in visible_to(station_officer):
        for day in (date(2025, 2, 28), date(2025, 12, 31), date(2026, 6, 30)):
            scope = metrics.Scope(wide, enterprises, day, district)
            for by in ("subdistrict", "industry", "size"):
                found = [
                    {k: row[k] for k in ("group", *metrics.BREAKDOWN)}
                    for row in metrics.breakdown(scope, by)
                ]
                assert found == orm_breakdown(scope, by), (day, by)
    scope = metrics.Scope(wide, Enterprise.objects.all(), date(2025, 12, 31), district)
    assert len(metrics.breakdown(scope, "subdistrict")) == 2  # 民安 and 新店


def orm_dashboard(scope: metrics.Scope) -> dict:
    """The dashboard's figures as the ORM definitions give them (what `dashboard_extras` did
    before counts.dashboard): cases of the 应创企业 by state, new ones by reason."""
    eligible = metrics.in_scope(scope).filter(metrics.ELIGIBLE)
    states = dict(
        Case.objects.filter(enterprise__in=eligible.values("pk"))
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    new = list(eligible.filter(metrics.NEW).values_list("pk", "is_started").order_by())
    reasons = metrics.entry_reasons(scope, [pk for pk, _ in new])
    by_reason: dict[str, tuple[int, int]] = {}
    for pk, started in new:
        total, begun = by_reason.get(reasons[pk], (0, 0))
        by_reason[reasons[pk]] = (total + 1, begun + bool(started))
    return {"states": states, "new_by_reason": by_reason}


def test_the_dashboard_figures_equal_the_orm_definitions(world, station_officer, enterprise_user):
    wide = district_wide()
    district = wide.region
    for enterprises in visible_to(station_officer, enterprise_user):
        for day in (date(2025, 2, 28), date(2025, 10, 1), date(2025, 12, 31), date(2026, 6, 30)):
            for area in (district, region("350213007")):
                scope = metrics.Scope(wide, enterprises, day, area)
                found = counts.dashboard(wide, enterprises, area, day)
                for by in ("subdistrict", "industry"):
                    rows = [
                        {k: r[k] for k in ("group", *metrics.BREAKDOWN)} for r in found[f"by_{by}"]
                    ]
                    assert rows == orm_breakdown(scope, by), (day, by)
                expected = orm_dashboard(scope)
                assert found["states"] == expected["states"], day
                assert found["new_by_reason"] == expected["new_by_reason"], day
    # In 民安's campaign the world reaches a recorded reason and two read from the ledger.
    minan = campaign()
    minan.region = region("350213007")
    minan.save()
    found = counts.dashboard(minan, Enterprise.objects.all(), minan.region, date(2025, 12, 31))
    assert set(found["new_by_reason"]) == {"established", "moved_in", "size_change"}


def test_the_dashboard_figures_take_a_fixed_number_of_queries(world, station_officer):
    scope = metrics.Scope(
        campaign(), Enterprise.objects.restrict(station_officer, "view"), date(2025, 12, 31)
    )
    with CaptureQueriesContext(connection) as queries:
        extras = dashboard_extras(scope)
    # The regions (2), the one statement, the 镇街 names, the follow-up counts.
    assert len(queries.captured_queries) == 5, [q["sql"][:80] for q in queries.captured_queries]
    assert sum("periods AS" in q["sql"] for q in queries.captured_queries) == 1
    assert extras["states"]["certified"] >= 1
    board = annotate_board(scope.enterprises)
    for key, days in (("expiring", 90), ("annual_overdue", 0), ("rectifying", 0)):
        assert extras[key] == board.filter(special_list_q(key, today=scope.on, days=days)).count()
    assert extras["expiring"] or extras["annual_overdue"]  # the counts are not all zero
    assert [row["name"] for row in extras["by_subdistrict"]] == ["民安街道"]
