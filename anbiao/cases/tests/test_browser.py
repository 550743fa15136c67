"""A self-evaluation in a real browser: the enterprise user fills part of it (autosaved per
item), leaves, comes back, finishes and submits; the station officer then sees the score."""

import re

import pytest
from playwright.sync_api import expect

from anbiao.cases import services
from anbiao.cases.models import Assessment
from anbiao.testing.factories import PASSWORD

pytest_plugins = ["anbiao.testing.browser"]
pytestmark = pytest.mark.browser


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def fill_item(page, index, deducted=None, reason=None, not_applicable=False):
    row = page.locator(".item-form").nth(index)
    if not_applicable:
        with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
            row.get_by_text("空项", exact=True).click()
    if deducted is not None:
        if row.locator(".deducted-input").is_disabled():
            with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
                row.get_by_text("扣分", exact=True).click()
        with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
            row.locator(".deducted-input").fill(deducted)
            row.locator(".deducted-input").press("Tab")  # leaving the field saves it
    if reason:
        with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
            row.locator(".reason-input").fill(reason)
            row.locator(".reason-input").press("Tab")
    expect(row.locator(".save-ok")).to_be_visible()
    return row


def test_enterprise_fills_leaves_returns_submits_and_the_station_sees_the_score(
    page, browser_problems, screenshot, enterprise_user, station_officer, minan_enterprise
):
    log_in(page, enterprise_user.username)
    page.goto(f"/enterprises/{minan_enterprise.pk}/")
    expect(page.locator("#case-state")).to_have_text("未开展")
    page.locator("#self-assessment-button").click()
    expect(page).to_have_url(re.compile(r"/cases/assessments/\d+/$"))
    expect(page.locator(".page-title")).to_contain_text("自评评分表")

    fill_item(page, 0, "1", "年度目标未分解到班组")
    fill_item(page, 2, "2")  # reason still missing: saved, but submission will insist
    expect(page.locator("#score-value")).to_have_text("—")  # unanswered items: no score yet
    expect(page.locator("#unanswered-count")).to_contain_text("项未评定")
    row = page.locator(".item-form").nth(1)
    with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
        row.get_by_text("扣分", exact=True).click()
    row.locator(".deducted-input").fill("99")  # more than the item's points: refused as typed
    expect(row.locator(".deducted-input")).to_have_class(re.compile("is-invalid"))
    message = row.locator(".deducted-input").evaluate("e => e.validationMessage")
    assert "最多扣" in message
    assert not Assessment.objects.get().scores.filter(deducted=99).exists()
    with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
        row.get_by_text("符合", exact=True).click()
    screenshot("cases-self-assessment-partial")

    page.goto("/")  # leave
    page.goto(f"/enterprises/{minan_enterprise.pk}/")
    expect(page.locator("#self-assessment-button")).to_have_text(re.compile("继续自评"))
    page.locator("#self-assessment-button").click()
    expect(page.locator(".item-form").nth(0).locator(".deducted-input")).to_have_value("1")
    expect(page.locator(".item-form").nth(0).locator(".reason-input")).to_have_value(
        "年度目标未分解到班组"
    )
    expect(page.locator("#missing-reasons")).to_contain_text("扣分未填写理由")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#submit-assessment").click()
    expect(page.locator(".alert-danger")).to_contain_text("未填写理由")  # refused, kept

    fill_item(page, 2, reason="安全管理人员未配备齐全")
    na_index = page.locator(".item-form").evaluate_all(
        "forms => forms.findIndex(f => f.querySelector('.verdict-input[value=na]'))"
    )
    row = page.locator(".item-form").nth(na_index)
    with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
        row.get_by_text("空项", exact=True).click()
    row.locator(".reason-input").focus()
    row.locator(".reason-input").press("Tab")  # leaving it empty flags it at once
    expect(row.locator(".reason-input")).to_have_class(re.compile("is-invalid"))
    fill_item(page, na_index, reason="本企业不涉及")
    page.locator("#submit-assessment").click()
    expect(page.locator(".alert-danger")).to_contain_text("项尚未评定")  # the rest unanswered
    services.assessment_conform_rest(actor=None, assessment=Assessment.objects.get())
    page.reload()
    page.locator("#submit-assessment").click()
    expect(page).to_have_url(re.compile(rf"/cases/enterprise/{minan_enterprise.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("自评已提交")
    assessment = Assessment.objects.get()
    assert assessment.score is not None and assessment.score < 100
    screenshot("cases-detail-after-self-assessment")

    page.context.clear_cookies()
    log_in(page, station_officer.username)
    page.goto("/cases/")
    row = page.locator("#case-table tr", has_text=minan_enterprise.name)
    expect(row.locator(".case-state")).to_have_text("已自评")
    expect(row.locator(".case-score")).to_have_text(f"{assessment.score:.1f}")
    screenshot("cases-board")
    row.locator("a.enterprise-link").click()
    expect(page.locator("#case-timeline")).to_contain_text("完成自评")
    expect(page.locator("#assessments .assessment-score")).to_have_text(f"{assessment.score}")
    browser_problems.assert_none()


def test_the_scoring_form_has_an_index_a_filter_and_keyboard_flow(
    page, browser_problems, screenshot, enterprise_user, minan_enterprise
):
    from anbiao.cases import services as case_services

    assessment = case_services.assessment_start(
        actor=enterprise_user, enterprise=minan_enterprise, kind="self"
    )
    log_in(page, enterprise_user.username)
    page.goto(f"/cases/assessments/{assessment.pk}/")
    first_entry = page.locator(".index-entry").first
    expect(first_entry.locator(".index-progress")).to_have_text("已评 0/2")
    first = page.locator(".item-block").nth(0)
    first.locator(".font-monospace").click()  # the item's text: focuses the item
    with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
        page.keyboard.press("1")  # 符合, and on to the next item
    expect(page.locator(".item-block").nth(1)).to_be_focused()
    with page.expect_response(re.compile(r"/assessments/\d+/item/$")):
        page.keyboard.press("2")  # 扣分: the points field takes the focus
    expect(page.locator(".item-block").nth(1).locator(".deducted-input")).to_be_focused()
    page.keyboard.type("1")
    expect(first_entry.locator(".index-progress")).to_have_text("已评 2/2")
    expect(first_entry.locator(".index-deducted")).to_have_text("扣 1 分")
    page.get_by_text("未评定", exact=True).click()
    expect(first).to_be_hidden()
    expect(page.locator("#filter-count")).to_have_text(re.compile(r"^\d+ 项$"))
    page.get_by_text("扣分", exact=True).first.click()
    expect(page.locator(".item-block:not([hidden])")).to_have_count(1)
    screenshot("cases-scoring-form-filtered")
    page.keyboard.press("Escape")
    browser_problems.assert_none()
