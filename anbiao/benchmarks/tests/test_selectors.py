from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anbiao.benchmarks import services
from anbiao.benchmarks.choices import Stage
from anbiao.benchmarks.selectors import benchmark_counts, benchmark_counts_many
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import ALL_PILOT_STAGES, choose_benchmark, make_enterprise

pytestmark = pytest.mark.django_db


def build(n_extra=0):
    """Two candidates chosen in Oct 2025; one established 2026-06-15; one XINDIAN benchmark."""
    a = choose_benchmark(make_enterprise(name="甲"), date(2025, 10, 15))
    b = choose_benchmark(make_enterprise(name="乙"), date(2025, 10, 28))
    for stage, on in zip(
        ALL_PILOT_STAGES,
        [date(2025, 11, 1), date(2026, 1, 10), date(2026, 4, 1), date(2026, 6, 15)],
        strict=True,
    ):
        services.benchmark_advance(actor=None, benchmark=a, stage=stage, on=on)
    choose_benchmark(make_enterprise("350213002", name="新店"), date(2025, 9, 1))
    for i in range(n_extra):
        choose_benchmark(make_enterprise(name=f"多{i}"), date(2025, 10, 30))
    return a, b


def counts(on, region_prefix="350213007"):
    qs = Enterprise.objects.filter(region__code__startswith=region_prefix)
    return benchmark_counts(qs, on)


def test_counts_as_of_each_date(reference):
    a, b = build()
    assert counts(date(2025, 10, 1)) == {
        "benchmark_candidates": 0,
        "benchmarks_cultivating": 0,
        "benchmarks": 0,
        "catalog_size": 0,
    }
    assert counts(date(2025, 10, 31))["benchmark_candidates"] == 2
    assert counts(date(2026, 6, 14)) == {
        "benchmark_candidates": 2,
        "benchmarks_cultivating": 0,
        "benchmarks": 0,
        "catalog_size": 0,
    }
    assert counts(date(2026, 6, 30)) == {
        "benchmark_candidates": 2,
        "benchmarks_cultivating": 0,  # established, but no 现场会 was ever held
        "benchmarks": 1,
        "catalog_size": 1,
    }
    # The district counts the 新店 candidate too; the queryset decides whose benchmarks count.
    assert counts(date(2026, 6, 30), "350213")["benchmark_candidates"] == 3


def test_a_withdrawal_or_a_step_back_counts_from_its_date(reference):
    a, b = build()
    services.benchmark_withdraw(actor=None, benchmark=b, on=date(2026, 7, 1), reason="停产")
    services.benchmark_advance(
        actor=None, benchmark=a, stage=Stage.PILOT_IMPROVE, on=date(2026, 8, 1), reason="事故"
    )
    assert counts(date(2026, 6, 30))["benchmark_candidates"] == 2
    assert counts(date(2026, 7, 1))["benchmark_candidates"] == 1
    assert counts(date(2026, 7, 31))["benchmarks"] == 1
    assert counts(date(2026, 8, 1)) == {
        "benchmark_candidates": 1,
        "benchmarks_cultivating": 0,
        "benchmarks": 0,
        "catalog_size": 0,
    }


def test_counts_run_one_query_whatever_the_size(reference):
    build()
    with CaptureQueriesContext(connection) as few:
        counts(date(2026, 6, 30))
    build(n_extra=8)
    with CaptureQueriesContext(connection) as many:
        result = counts(date(2026, 6, 30))
    assert result["benchmark_candidates"] == 12
    assert len(few.captured_queries) == len(many.captured_queries) == 1


def test_many_dates_are_counted_in_one_query_as_each_date_alone(reference):
    a, b = build()
    services.benchmark_site_meeting(
        actor=None, benchmark=a, on=date(2025, 12, 18), attendees="代表"
    )
    services.benchmark_withdraw(actor=None, benchmark=b, on=date(2026, 7, 1), reason="停产")
    days = [date(2025, 10, 1), date(2025, 12, 18), date(2026, 6, 30), date(2026, 7, 1)]
    qs = Enterprise.objects.filter(region__code__startswith="350213")
    with CaptureQueriesContext(connection) as queries:
        together = benchmark_counts_many(qs, days)
    assert len(queries.captured_queries) == 1
    assert together == {day: benchmark_counts(qs, day) for day in days}
    assert together[date(2026, 6, 30)]["benchmarks"] == 1


def test_a_pilot_with_its_site_meeting_is_cultivated_from_the_meeting_day(reference):
    """The plan's 2025 target: "至少培植打造1家" with "2025年12月底前…组织创建试点现场会"."""
    a, b = build()  # a: 创建试点 on 2025-11-01; b: still a candidate
    services.benchmark_site_meeting(
        actor=None, benchmark=a, on=date(2025, 12, 18), attendees="各社区安全员、企业代表"
    )
    assert counts(date(2025, 12, 17))["benchmarks_cultivating"] == 0
    assert counts(date(2025, 12, 18))["benchmarks_cultivating"] == 1
    assert counts(date(2025, 12, 31))["benchmarks_cultivating"] == 1
    assert counts(date(2025, 12, 31))["benchmarks"] == 0  # not yet 已建成
    # Still counted once established; not once withdrawn.
    assert counts(date(2026, 6, 30))["benchmarks_cultivating"] == 1
    services.benchmark_withdraw(actor=None, benchmark=a, on=date(2026, 7, 1), reason="停产")
    assert counts(date(2026, 7, 1))["benchmarks_cultivating"] == 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"size": "medium"}, "为中型企业,不在专项行动范围(小型、微型企业)内"),
        ({"in_torch_zone": True}, "位于火炬高新区,不在专项行动范围内"),
        ({"eligible": None}, "尚未经摸排确认符合创建条件(不是应创企业)"),
        ({"ledger_since": date(2025, 11, 1)}, "不在应创台账内"),
    ],
)
def test_a_candidate_outside_the_campaigns_scope_is_refused(reference, fields, reason):
    from django.core.exceptions import ValidationError

    from anbiao.benchmarks.models import Benchmark

    enterprise = make_enterprise(name="丙", **{"ledger_since": date(2025, 2, 28), **fields})
    with pytest.raises(ValidationError) as refused:
        choose_benchmark(enterprise, date(2025, 10, 15))
    assert reason in refused.value.message_dict["enterprise"][0]
    assert not Benchmark.objects.exists()
    assert counts(date(2025, 10, 31))["benchmark_candidates"] == 0
