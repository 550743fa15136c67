"""The registry drives the docs table, the drill-downs and the target cards; no verdict is given
about a date after today; a target past its deadline shows the value then and now."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from anbiao.campaigns import counts, metrics
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.targets import evaluate_all
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import certify, make_enterprise

DOCS = Path(settings.BASE_DIR) / "docs" / "campaigns.md"


def test_every_metric_has_a_definition_a_plan_sentence_and_something_behind_it():
    for metric in metrics.METRICS.values():
        assert metric.definition.strip(), metric.key
        assert metric.plan.strip(), metric.key
        assert metric.unit in ("家", "张", "%"), metric.key
        assert bool(metric.drilldown) != bool(metric.page), metric.key
        if metric.drilldown:
            assert metric.drilldown in metrics.LISTS, metric.key
        else:
            try:
                reverse(metric.page)
            except NoReverseMatch:
                pytest.fail(f"{metric.key}: no page {metric.page}")
        if metric.is_rate:
            assert {metric.numerator, metric.denominator} <= set(metrics.METRICS), metric.key
        if metric.series:
            assert {metric.numerator, metric.denominator} <= set(counts.KEYS)


def test_the_docs_table_is_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("<!-- metrics:start -->\n", 1)[1].split("<!-- metrics:end -->", 1)[0]
    assert table == metrics.docs_table(), (
        "docs/campaigns.md disagrees with the metric registry: paste metrics.docs_table()"
    )


@pytest.mark.django_db
def test_the_engine_yields_every_registered_metric(reference):
    campaign = Campaign.objects.get(slug="minan-2025")
    values = metrics.compute(metrics.Scope(campaign, Enterprise.objects.all(), date(2026, 6, 30)))
    assert list(values) == list(metrics.METRICS)


@pytest.mark.django_db
def test_each_drilldown_list_opens(login, station_officer):
    make_enterprise(ledger_since=date(2025, 2, 28))
    client = login(station_officer)
    for key, item in metrics.LISTS.items():
        response = client.get(
            reverse("campaigns:enterprises", args=["minan-2025", key]), {"as_of": "2026-06-30"}
        )
        assert response.status_code == 200, key
        assert item.label in response.content.decode()


@pytest.mark.django_db
def test_kpi_refuses_a_date_after_today(reference):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(CommandError, match="统计日期不能晚于今天"):
        call_command("kpi", "--campaign", "minan-2025", "--as-of", tomorrow.isoformat())


@pytest.mark.django_db
def test_the_dashboard_refuses_a_date_after_today(login, station_officer):
    tomorrow = timezone.localdate() + timedelta(days=1)
    client = login(station_officer)
    response = client.get(reverse("home"), {"as_of": tomorrow.isoformat()})
    page = response.content.decode()
    assert "统计日期不能晚于今天" in page
    assert response.context["on"] == timezone.localdate()
    report = client.get(
        reverse("campaigns:report", args=["minan-2025"]), {"as_of": tomorrow.isoformat()}
    )
    assert report.status_code == 302


@pytest.mark.django_db
def test_a_target_past_its_deadline_shows_the_value_then_and_now(login, station_officer):
    """Half of two certified by 2025-12-31 (50%); a third certified later (now 66.7%)."""
    a, b, c = (make_enterprise(ledger_since=date(2025, 2, 28)) for _ in range(3))
    certify(a, date(2025, 6, 1))
    certify(c, date(2026, 3, 1))
    campaign = Campaign.objects.get(slug="minan-2025")
    scope = metrics.Scope(campaign, Enterprise.objects.all(), date(2026, 6, 30))
    _, results = evaluate_all(scope)
    g1 = next(r for r in results if r.target.code == "G1")
    assert g1.status == "behind"  # 1 of 3 on the deadline: 33.3% < 50%
    assert g1.value_text == "期限时 33.3% · 当前 66.7%"
    page = login(station_officer).get(reverse("home"), {"as_of": "2026-06-30"})
    assert "期限时 33.3%" in page.content.decode()
    assert "· 当前 66.7%" in page.content.decode()
    assert b.pk  # b never certified
