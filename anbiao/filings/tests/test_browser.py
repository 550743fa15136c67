"""信息报送 in a real browser: a station files, the district receives it, and the roll-up draws
its chart (canvas, no console errors, CSP included), at 1440 and 390 px. Screenshots:
test-artifacts/."""

from datetime import date

import pytest
from playwright.sync_api import expect

from anbiao.testing.factories import PASSWORD, certify, make_enterprise, record_steps

pytest_plugins = ["anbiao.testing.browser"]
pytestmark = pytest.mark.browser


@pytest.fixture
def history(reference):
    for i in range(4):
        enterprise = make_enterprise(name=f"厦门报送看板{i}号机械有限公司")
        if i == 0:
            certify(enterprise, date(2025, 5, 20))
        elif i == 1:
            record_steps(enterprise, ("start", date(2025, 4, 1)))
    make_enterprise("350213002", name="厦门新店看板食品有限公司")


def login(page, user):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_a_station_files_and_the_district_receives_and_compares(
    page, screenshot, station_officer, district_officer, history
):
    login(page, station_officer)
    page.goto("/filings/")
    page.select_option("#id_period", "2025-06")
    page.get_by_role("button", name="报送").click()
    expect(page.locator("#compare-table")).to_be_visible()
    expect(page.locator("#unchanged-notice")).to_be_visible()
    login(page, district_officer)
    page.goto("/filings/")
    page.get_by_role("link", name="2025年6月").first.click()
    page.get_by_role("button", name="签收").click()
    expect(page.get_by_text("已签收").first).to_be_visible()
    screenshot("filing-detail-1440")
    page.set_viewport_size({"width": 390, "height": 800})
    screenshot("filing-detail-390")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/filings/rollup/")
    expect(page.locator("#chart-rollup canvas")).to_have_count(1)
    expect(page.locator("#rollup-table tbody tr")).not_to_have_count(0)
    screenshot("filing-rollup-1440")
    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    expect(page.locator("#chart-rollup canvas")).to_have_count(1)
    screenshot("filing-rollup-390")
