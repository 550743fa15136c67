"""The inspection form on a phone (390 px) in a real browser: an officer fills an inspection with
two photos, loses the connection once, finishes it, and the hazards appear; the enterprise user
rectifies one with evidence and the station closes it."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from anbiao.supervision.models import Hazard, InspectionPhoto
from anbiao.testing.factories import PASSWORD

pytest_plugins = ["anbiao.testing.browser"]
pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
VALUES = {"符合": "pass", "不符合": "fail", "不适用": "na"}


def jpeg(colour) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), colour).save(out, "JPEG")
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def choose(page, index, outcome):
    card = page.locator(".check-item").nth(index)
    with page.expect_response(re.compile(r"/inspections/\d+/item/$")):
        card.locator(f'.outcome-btn[for$="-{VALUES[outcome]}"]').click()
    return card


def test_an_officer_inspects_on_a_phone_through_a_dropped_connection_and_the_enterprise_rectifies(
    page,
    second_page,
    browser_problems,
    screenshot,
    station_officer,
    enterprise_user,
    minan_enterprise,
):
    browser_problems.allow("ERR_INTERNET_DISCONNECTED")
    page.set_viewport_size(PHONE)
    log_in(page, station_officer.username)
    page.goto(f"/supervision/inspections/new/?enterprise={minan_enterprise.pk}")
    page.select_option("#id_checklist", label="工贸企业通用安全检查表(第1版)")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/supervision/inspections/\d+/$"))
    items = page.locator(".check-item")
    expect(items).to_have_count(10)  # waits for the page, unlike count()
    count = 10

    first = choose(page, 0, "不符合")
    first.locator(".note-input").fill("安全出口被货物堵塞")
    with page.expect_response(re.compile(r"/item/$")):
        first.locator(".location-input").fill("成品仓库")
        first.locator(".location-input").press("Tab")
    with page.expect_response(re.compile(r"/photo/$")):
        first.locator(".photo-input").set_input_files([jpeg("red")])
    expect(first.locator(".photo-thumb")).to_have_count(1)
    for index in range(1, count - 1):
        choose(page, index, "符合")

    # The connection drops: the change and the photo wait on the phone, nothing is lost.
    context = page.context
    context.set_offline(True)
    last = items.nth(count - 1)
    last.locator('.outcome-btn[for$="-fail"]').click()
    last.locator(".note-input").fill("灭火器压力不足")
    last.locator(".note-input").press("Tab")
    last.locator(".photo-input").set_input_files([jpeg("blue")])
    expect(page.locator("#save-status")).to_contain_text("网络已断开")
    expect(last.locator(".photo-pending")).to_have_text("1 张待上传")
    screenshot("supervision-inspection-offline-390")
    # The officer leaves the form before the network is back, and opens it again later: the
    # change (localStorage) and the photo (IndexedDB) were kept on the phone and go now.
    url = page.url
    browser_problems.allow(r"ERR_ABORTED.*/supervision/photos/")  # thumbnails cut off by leaving
    page.goto("about:blank")
    context.set_offline(False)
    page.goto(url)
    items = page.locator(".check-item")
    last = items.nth(count - 1)
    expect(page.locator("#save-status")).to_have_text("全部已保存", timeout=15_000)
    expect(last.locator(".photo-thumb")).to_have_count(1)
    expect(last.locator(".note-input")).to_have_value("灭火器压力不足")

    page.fill("#id_contact_name", "王建国")
    page.fill("#id_contact_phone", "13912345678")
    screenshot("supervision-inspection-phone-390")
    page.locator("#finish-button").click()
    expect(page.locator("#inspection-hazards li")).to_have_count(2)
    expect(page.locator("#inspection-hazards")).to_contain_text("安全出口被货物堵塞")
    expect(page.locator("#inspection-hazards")).to_contain_text("灭火器压力不足")
    assert InspectionPhoto.objects.count() == 2
    hazard = Hazard.objects.get(description__startswith="灭火器压力不足")
    assert hazard.files.count() == 1  # the photo taken offline went with the hazard

    # The enterprise user rectifies its hazard on its own phone and uploads the evidence.
    phone = second_page
    phone.set_viewport_size(PHONE)
    log_in(phone, enterprise_user.username)
    phone.goto(f"/supervision/hazards/{hazard.pk}/")
    phone.get_by_role("button", name="开始整改", exact=True).click()
    expect(phone.locator("#hazard-state")).to_have_text("整改中")
    phone.set_input_files("#id_file", [jpeg("green")])
    phone.fill("#id_note", "已更换灭火器")
    phone.get_by_role("button", name="申请复查", exact=True).click()
    expect(phone.locator("#hazard-state")).to_have_text("申请复查")
    screenshot("supervision-hazard-enterprise-390", of=phone)

    # The station reviews and closes it (销号), on the officer's phone, still logged in.
    page.goto(f"/supervision/hazards/{hazard.pk}/")
    page.get_by_role("button", name="复查通过(销号)").click()
    expect(page.locator("#hazard-state")).to_have_text("已销号")
    expect(page.locator("#hazard-events")).to_contain_text("申请复查")
    hazard.refresh_from_db()
    assert hazard.state == "closed"
