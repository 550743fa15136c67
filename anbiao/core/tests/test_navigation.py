"""The sidebar names what each persona works on (issue 15): an enterprise user sees their own
enterprise, case and rectifications, not the registry's lists."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu(client) -> list[tuple[str, str]]:
    page = client.get("/").content.decode()
    sidebar = page.split('id="sidebar-menu"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)">.*?nav-link-title">([^<]+)<', sidebar, re.S)


def test_the_enterprise_user_menu_names_their_own_enterprise_and_case(
    login, enterprise_user, minan_enterprise
):
    items = menu(login(enterprise_user))
    labels = [label for _, label in items]
    assert labels == ["工作台", "本企业", "创建进度", "隐患整改", "风险管控", "督办", "消息提醒"]
    urls = dict((label, url) for url, label in items)
    assert urls["本企业"] == reverse("enterprises:detail", kwargs={"pk": minan_enterprise.pk})
    assert urls["创建进度"] == reverse("cases:detail", kwargs={"pk": minan_enterprise.pk})
    client = login(enterprise_user)
    for url in urls.values():
        assert client.get(url).status_code == 200, url


def test_an_officer_keeps_the_registry_lists(login, station_officer):
    labels = [label for _, label in menu(login(station_officer))]
    assert "企业台账" in labels and "应创台账" in labels and "本企业" not in labels


def test_the_case_page_puts_the_next_step_before_the_history_on_a_phone(
    login, station_officer, minan_enterprise
):
    page = login(station_officer).get(reverse("cases:detail", kwargs={"pk": minan_enterprise.pk}))
    assert 'class="col-lg-4 order-first order-lg-last" id="case-side"' in page.content.decode()


def test_sort_and_blank_choices_are_chinese(login, station_officer):
    page = login(station_officer).get(reverse("enterprises:list")).content.decode()
    assert "名称(降序)" in page and "信用代码(降序)" in page and "更新时间" in page
    for english in ("descending", "Name", "Updated", "Region", "---------"):
        assert english not in page, english
    form = login(station_officer).get(reverse("training:create")).content.decode()
    assert "---------" not in form


def test_the_language_is_simplified_chinese(client, settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert '<html lang="zh-CN">' in client.get(reverse("accounts:login")).content.decode()
