"""The dashboard in a real browser: its charts draw (canvas, no console errors, CSP included)
and a click on a target card opens the enterprises behind it. Screenshot: test-artifacts/."""

from datetime import date

import pytest
from playwright.sync_api import expect

from anbiao.cases import services as cases
from anbiao.testing.factories import PASSWORD, make_enterprise

pytest_plugins = ["anbiao.testing.browser"]
pytestmark = pytest.mark.browser


@pytest.fixture
def history(reference):
    for i in range(6):
        enterprise = make_enterprise(
            name=f"厦门看板{i}号机械有限公司", ledger_since=date(2025, 2, 28)
        )
        if i % 2 == 0:
            cases.case_record_event(
                actor=None, enterprise=enterprise, kind="start", on=date(2025, 5 + i, 1)
            )


def test_the_dashboard_draws_its_charts_and_opens_the_list_behind_a_card(
    page, browser_problems, screenshot, station_officer, history
):
    page.goto("/accounts/login/")
    page.fill("#id_username", station_officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    expect(page.locator("#target-cards .target-card")).to_have_count(8)
    for chart in ("chart-burnup", "chart-funnel", "chart-subdistricts", "chart-industries"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    screenshot("dashboard")
    page.locator('.target-card[data-metric="start_rate"]').click()
    page.wait_for_load_state()
    expect(page.locator("h2.page-title")).to_have_text("已开展创建的应创企业")
    expect(page.locator("table tbody tr")).to_have_count(3)
    browser_problems.assert_none()


def test_a_large_area_waits_for_the_worker_then_shows_its_figures_with_their_time(
    page, browser_problems, screenshot, station_officer, history, settings
):
    from django_tasks_db.models import DBTaskResult

    from anbiao.campaigns.tasks import refresh_dashboard_now

    def run_worker():
        for result in DBTaskResult.objects.filter(task_path__endswith="refresh_dashboard"):
            user_id, campaign_id, on, region_id = result.args_kwargs["args"]
            refresh_dashboard_now(
                user_id=user_id, campaign_id=campaign_id, on=on, region_id=region_id
            )
            result.delete()

    settings.ANBIAO_DASHBOARD_INLINE_ENTERPRISES = 1
    page.goto("/accounts/login/")
    page.fill("#id_username", station_officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    expect(page.locator("#figures-pending")).to_contain_text("正在计算统计数据")
    screenshot("dashboard-pending")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    screenshot("dashboard-pending-390")
    page.set_viewport_size({"width": 1440, "height": 900})
    run_worker()
    # The page refreshes itself and then shows the figures, nothing stale.
    expect(page.locator("#target-cards .target-card")).to_have_count(8, timeout=15_000)
    expect(page.locator("#figures-stale")).to_have_count(0)
    cases.case_record_event(
        actor=None,
        enterprise=make_enterprise(ledger_since=date(2025, 2, 28)),
        kind="start",
        on=date(2025, 11, 1),
    )
    page.reload()
    expect(page.locator("#figures-stale")).to_contain_text("以下数据计算于")
    expect(page.locator("#chart-burnup canvas")).to_have_count(1)
    screenshot("dashboard-stale")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#figures-stale")).to_be_visible()
    screenshot("dashboard-stale-390")
    browser_problems.assert_none()
