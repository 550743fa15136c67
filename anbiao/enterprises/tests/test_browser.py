"""The enterprise registry in a real browser: log in through the form, find an enterprise by
the pinyin initials of its name, edit it and read the change in its history; account lockout;
the page frame. Every test also fails on console errors (CSP violations included) and failed
requests. Screenshots: test-artifacts/*.png."""

import re

import pytest
from playwright.sync_api import expect

from anbiao.enterprises import services
from anbiao.testing.factories import PASSWORD, make_enterprise

pytest_plugins = ["anbiao.testing.browser"]

pytestmark = pytest.mark.browser

MINAN = "350213007"  # 民安街道, the station officer's scope
XINDIAN = "350213002"  # 新店街道, outside it
OLD_PHONE = "13900001111"
NEW_PHONE = "13912345678"


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@pytest.fixture
def hengxing(minan_enterprise):
    """厦门恒兴机械有限公司 (xmhx…) with a safety manager on record, next to 民安 enterprises
    whose initials do not match and a 新店 one that matches but is not the officer's."""
    services.enterprise_update(
        actor=None,
        enterprise=minan_enterprise,
        data={"safety_manager_name": "李四", "safety_manager_phone": OLD_PHONE},
        effective_on=minan_enterprise.ledger_since,
    )
    make_enterprise(MINAN, name="厦门同安包装有限公司")
    make_enterprise(MINAN, name="翔安鸿业五金厂")
    make_enterprise(XINDIAN, name="厦门宏祥塑胶有限公司")
    minan_enterprise.refresh_from_db()
    return minan_enterprise


def test_search_by_initials_edit_and_see_history(
    page, screenshot, browser_problems, station_officer, hengxing
):
    log_in(page, station_officer.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("header")).to_contain_text(station_officer.display_name)

    page.goto("/enterprises/")
    rows = page.locator("#enterprise-table a.enterprise-link")
    expect(rows).to_have_count(3)
    for name in ("厦门恒兴机械有限公司", "厦门同安包装有限公司", "翔安鸿业五金厂"):
        expect(rows.filter(has_text=name)).to_have_count(1)
    expect(page.locator("#enterprise-table")).not_to_contain_text("厦门宏祥塑胶有限公司")
    screenshot("enterprise-list")

    search = page.locator("#filter-form input[type=search]")
    with page.expect_response(lambda r: "q=xmhx" in r.url and "hx-request" in r.request.headers):
        search.press_sequentially("xmhx", delay=60)
    expect(rows).to_have_text(["厦门恒兴机械有限公司"])
    expect(page).to_have_url(re.compile(r"[?&]q=xmhx"))
    screenshot("enterprise-search")

    rows.first.click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{hengxing.pk}/$"))
    expect(page.locator(".page-title")).to_contain_text("厦门恒兴机械有限公司")
    expect(page.locator("#safety-manager")).to_contain_text(OLD_PHONE)
    screenshot("enterprise-detail")

    page.locator("#edit-link").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{hengxing.pk}/edit/$"))
    phone = page.locator("#id_safety_manager_phone")
    expect(phone).to_have_value(OLD_PHONE)
    phone.fill(NEW_PHONE)
    screenshot("enterprise-edit")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(rf"/enterprises/{hengxing.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    expect(page.locator("#safety-manager")).to_contain_text(NEW_PHONE)
    newest = page.locator("#history .timeline-event").first
    expect(newest).to_contain_text(f"修改 · {station_officer.display_name}")
    change = newest.locator("tr", has_text="安全管理人员电话")
    expect(change.locator("del")).to_have_text(OLD_PHONE)
    expect(change.locator("strong")).to_have_text(NEW_PHONE)
    expect(change).to_contain_text(f"{OLD_PHONE} → {NEW_PHONE}")
    screenshot("enterprise-history")
    browser_problems.assert_none()


def test_edit_changes_only_what_was_typed(page, browser_problems, station_officer, hengxing):
    log_in(page, station_officer.username, PASSWORD)
    page.goto(f"/enterprises/{hengxing.pk}/edit/")
    expect(page.locator("#id_ledger_since")).to_have_value("2025-02-28")
    page.fill("#id_safety_manager_phone", NEW_PHONE)
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(rf"/enterprises/{hengxing.pk}/$"))
    newest = page.locator("#history .timeline-event").first
    expect(newest.locator("tr")).to_have_count(1, timeout=2_000)
    expect(page.locator(".alert-success")).to_contain_text("已保存 1 项修改", timeout=2_000)
    hengxing.refresh_from_db()
    assert hengxing.ledger_since is not None
    browser_problems.assert_none()


def test_five_wrong_passwords_lock_the_account(page, screenshot, browser_problems, station_officer):
    # django-axes answers the locked-out login with HTTP 429; Chromium logs that too.
    browser_problems.allow(r"^HTTP 429: POST \S+/accounts/login/$")
    browser_problems.allow(r"status of 429 \(Too Many Requests\)")

    for attempt in range(1, 5):
        log_in(page, station_officer.username, f"Wrong@Pass{attempt}")
        expect(page.locator(".alert-danger")).to_contain_text("用户名或密码错误")
    log_in(page, station_officer.username, "Wrong@Pass5")
    # The login page's footnote mentions 锁定 too, so look for the lockout page's own title.
    expect(page.locator(".empty-title")).to_have_text("账号已被临时锁定")
    expect(page.locator("#id_password")).to_have_count(0)
    screenshot("login-locked")

    page.get_by_role("link", name="返回登录").click()
    # Let that navigation finish, or log_in's own navigation aborts it under load.
    expect(page.get_by_role("heading", name="账号登录")).to_be_visible()
    log_in(page, station_officer.username, PASSWORD)
    expect(page.locator(".empty-title")).to_have_text("账号已被临时锁定")
    page.goto("/enterprises/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/enterprises/$"))
    expect(page.get_by_role("heading", name="账号登录")).to_be_visible()
    browser_problems.assert_none()


def test_pages_render_with_sidebar(page, screenshot, browser_problems, station_officer, hengxing):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="账号登录")).to_be_visible()
    screenshot("login")

    log_in(page, station_officer.username, PASSWORD)
    sidebar = page.locator("aside.navbar-vertical")
    for path, title, shot in [
        ("/", "工作台", "home"),
        ("/enterprises/", "企业名录", None),
        (f"/enterprises/{hengxing.pk}/", hengxing.name, None),
        (f"/enterprises/{hengxing.pk}/edit/", f"编辑 {hengxing.name}", None),
        (f"/enterprises/{hengxing.pk}/status/", "变更经营状态", "enterprise-status"),
        ("/enterprises/new/", "登记企业", "enterprise-create"),
    ]:
        page.goto(path)
        expect(page.locator(".page-title")).to_contain_text(title)
        expect(sidebar).to_be_visible()
        expect(sidebar.get_by_role("link", name="企业台账")).to_be_visible()
        if shot:
            screenshot(shot)
    browser_problems.assert_none()


@pytest.mark.parametrize("url", ["/enterprises/", "/enterprises/ledger/", "/cases/"])
def test_on_a_phone_a_long_name_keeps_eight_characters_a_line(
    page, browser_problems, station_officer, url
):
    make_enterprise(MINAN, name="厦门市翔安区民安精密机械制造有限公司")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, station_officer.username, PASSWORD)
    page.goto(url)
    link = page.locator("table .enterprise-link").first
    expect(link).to_have_text("厦门市翔安区民安精密机械制造有限公司")
    em = float(link.evaluate("a => parseFloat(getComputedStyle(a).fontSize)"))
    assert link.bounding_box()["width"] >= 8 * em - 1  # was two characters a line
