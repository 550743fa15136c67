"""Target status and forecast on a constructed pace."""

from datetime import date, timedelta

import pytest

from anbiao.campaigns.models import Campaign, Target
from anbiao.campaigns.targets import PACE_DAYS, MetricCache, evaluate, forecast, forecast_line

pytestmark = pytest.mark.django_db
TODAY = date(2025, 9, 30)


class PacedCache(MetricCache):
    """Completion grows by `per_month` enterprises a month out of 100 应创企业."""

    def __init__(self, on: date, per_month: float, start=date(2025, 3, 1)):
        self.scope = type("S", (), {"on": on})()
        self.values = {}
        self.per_month, self.start = per_month, start

    def on(self, day: date, keys=None) -> dict:
        months = max((day - self.start).days, 0) / 30
        completed = min(100, self.per_month * months)
        return {
            "completion_rate": completed / 100,
            "eligible_total": 100,
            "benchmark_candidates": 1,
            "benchmarks": 0,
        }


def target(metric="completion_rate", threshold=0.5, deadline=date(2025, 12, 31), cap=""):
    campaign = Campaign.objects.get(slug="minan-2025")
    return Target(
        campaign=campaign,
        code="T",
        label="测试",
        metric=metric,
        threshold=threshold,
        deadline=deadline,
        cap_metric=cap,
    )


def test_forecast_extrapolates_the_last_90_days():
    assert forecast(0.5, 0.35, TODAY, 0.8) == TODAY + timedelta(days=180)
    assert forecast(0.5, 0.5, TODAY, 0.8) is None  # no progress: never
    assert forecast(0.9, 0.5, TODAY, 0.8) == TODAY  # already there
    assert forecast(None, None, TODAY, 0.8) is None


def test_plus_five_a_month_is_on_track_for_50_percent_by_year_end(reference):
    # 7 months in at +5/month = 35%; +15 points in 90 days → 50% about 90 days later.
    result = evaluate(target(), PacedCache(TODAY, per_month=5))
    assert result.status == "on_track"
    assert result.forecast_date <= date(2025, 12, 31)


def test_plus_three_a_month_is_at_risk(reference):
    result = evaluate(target(), PacedCache(TODAY, per_month=3))
    assert result.status == "at_risk"
    assert result.forecast_date > date(2025, 12, 31)


def test_a_passed_deadline_is_met_or_behind_by_the_value_on_the_deadline(reference):
    late = date(2026, 3, 1)
    assert evaluate(target(), PacedCache(late, per_month=4)).status == "behind"  # 41% at deadline
    assert evaluate(target(), PacedCache(late, per_month=8)).status == "met"


def test_reaching_the_threshold_early_is_met(reference):
    result = evaluate(target(threshold=0.2), PacedCache(TODAY, per_month=5))
    assert result.status == "met"


def test_the_cap_lowers_a_count_target_to_what_exists(reference):
    class Few(PacedCache):
        def on(self, day, keys=None):
            return {**super().on(day), "eligible_total": 1, "benchmark_candidates": 1}

    result = evaluate(target("benchmark_candidates", 2, cap="eligible_total"), Few(TODAY, 5))
    assert (result.threshold, result.status) == (1, "met")


def test_the_pace_window_is_90_days():
    assert PACE_DAYS == 90


def test_a_not_applicable_value_is_never_behind(reference):
    class NoneDue(PacedCache):
        def on(self, day, keys=None):
            return {**super().on(day), "renewal_rate": None}

    assert evaluate(target("renewal_rate", 1), NoneDue(TODAY, 5)).status == "on_track"
    late = date(2026, 3, 1)
    assert evaluate(target("renewal_rate", 1), NoneDue(late, 5)).status == "met"


def test_a_forecast_beyond_the_campaign_is_cut_at_its_last_deadline_and_named():
    start, end = date(2026, 11, 30), date(2027, 12, 31)
    points, legend = forecast_line(start, 0.2, date(2035, 7, 10), 0.8, end)
    assert points[0] == (start, 0.2)
    assert points[-1][0] == end  # the time axis never reaches 2035
    share = (end - start).days / (date(2035, 7, 10) - start).days
    assert points[-1][1] == pytest.approx(0.2 + 0.6 * share)
    assert legend == "按当前进度预计 2035-07 达成(超出图表)"


def test_a_forecast_within_the_campaign_is_drawn_to_the_threshold():
    points, legend = forecast_line(TODAY, 0.4, date(2025, 11, 15), 0.5, date(2025, 12, 31))
    assert points == [(TODAY, 0.4), (date(2025, 11, 15), 0.5)]
    assert legend == "按当前进度预计 2025-11 达成"


def test_the_2025_benchmark_target_is_met_by_a_pilot_with_its_site_meeting(reference):
    """G2 of the shipped plan ("到2025年底前…至少培植打造1家", with the pilot's 现场会 in
    December) is met by a benchmark at 创建试点 whose 现场会 was held before the deadline — not
    only by one already 已建成."""
    from anbiao.benchmarks import services as benchmarks
    from anbiao.campaigns.metrics import Scope
    from anbiao.campaigns.targets import evaluate_all
    from anbiao.enterprises.models import Enterprise
    from anbiao.testing.factories import choose_benchmark, make_enterprise

    campaign = Campaign.objects.get(slug="minan-2025")
    enterprise = make_enterprise(ledger_since=date(2025, 2, 28))
    benchmark = choose_benchmark(
        enterprise, date(2025, 10, 15), ("pilot_create", date(2025, 11, 1))
    )

    def g2(on: date):
        _, results = evaluate_all(Scope(campaign, Enterprise.objects.all(), on))
        return next(r for r in results if r.target.code == "G2")

    assert g2(date(2025, 12, 31)).status != "met"  # a pilot without its 现场会 does not count
    benchmarks.benchmark_site_meeting(
        actor=None, benchmark=benchmark, on=date(2025, 12, 18), attendees="各社区安全员"
    )
    assert g2(date(2025, 12, 17)).value == 0
    result = g2(date(2025, 12, 31))
    assert (result.value, result.status) == (1, "met")
