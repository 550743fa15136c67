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
