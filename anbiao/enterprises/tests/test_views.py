import io
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anbiao.enterprises.choices import Industry, Size
from anbiao.enterprises.models import Enterprise, RiskTag
from anbiao.testing.factories import make_enterprise, make_uscc, region

pytestmark = pytest.mark.django_db


def on_this_database(queries: int) -> int:
    """A page's pinned queries: PostgreSQL adds the session's row (sessions are kept in the
    database there) and the region filter's choices read through a server-side cursor (DECLARE,
    FETCH, CLOSE)."""
    return queries + (4 if connection.vendor == "postgresql" else 0)


def list_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enterprises:list"), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_runs_the_same_number_of_queries_for_10_and_200_enterprises(
    login, station_officer
):
    client = login(station_officer)
    dust = RiskTag.objects.get(code="dust_explosion")
    for _ in range(10):
        make_enterprise(risk_tags=[dust])
    filtered = {"page": 1, "risk_tag": dust.pk, "q": "xm"}
    few, few_filtered = list_queries(client), list_queries(client, filtered)
    for _ in range(190):
        make_enterprise(risk_tags=[dust])
    assert list_queries(client) == few
    assert list_queries(client, {**filtered, "page": 5}) == few_filtered


def test_pinyin_initials_find_the_enterprise(login, station_officer, minan_enterprise):
    make_enterprise(name="厦门新和食品有限公司")
    page = login(station_officer).get(reverse("enterprises:list"), {"q": "xmhx"}).content
    assert "厦门恒兴机械有限公司" in page.decode()
    assert "厦门新和食品有限公司" not in page.decode()


def test_search_by_a_lower_case_full_width_uscc(login, station_officer, minan_enterprise):
    code = minan_enterprise.uscc.lower()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code[:6]) + code[6:]
    page = login(station_officer).get(reverse("enterprises:list"), {"q": full_width})
    assert minan_enterprise.name in page.content.decode()


def test_a_name_is_found_by_a_chinese_fragment_or_its_latin_letters_in_any_case(
    login, station_officer
):
    make_enterprise(name="厦门ABC精密机械有限公司", address="翔安区民安大道88号")
    make_enterprise(name="厦门新和食品有限公司", address="翔安区马巷镇1号")
    client = login(station_officer)
    for text in ("精密", "abc", "Abc精密", "大道88号"):
        page = client.get(reverse("enterprises:list"), {"q": text}).content.decode()
        assert "厦门ABC精密机械有限公司" in page, text
        assert "厦门新和食品有限公司" not in page, text


def test_filters_combine(login, station_officer):
    make_enterprise(name="甲机械", industry=Industry.MACHINERY, size=Size.MICRO)
    make_enterprise(name="乙纺织", industry=Industry.TEXTILE, size=Size.MICRO)
    make_enterprise(name="丙机械", industry=Industry.MACHINERY, size=Size.SMALL)
    page = login(station_officer).get(
        reverse("enterprises:list"), {"industry": "machinery", "size": "micro"}
    )
    text = page.content.decode()
    assert "甲机械" in text and "乙纺织" not in text and "丙机械" not in text


def read_export(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    header_row = next(
        i for i, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == "序号"
    )
    rows = list(sheet.iter_rows(min_row=header_row + 1, values_only=True))
    return sheet, header_row, rows


def test_the_export_holds_exactly_the_filtered_rows(login, station_officer):
    make_enterprise(name="甲机械", industry=Industry.MACHINERY)
    make_enterprise(name="乙纺织", industry=Industry.TEXTILE)
    make_enterprise(name="丙机械", industry=Industry.MACHINERY)
    response = login(station_officer).get(
        reverse("enterprises:export"), {"industry": "machinery", "ordering": "name"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet, header_row, rows = read_export(response)
    assert {r[1] for r in rows} == {"甲机械", "丙机械"}
    assert [r[0] for r in rows] == [1, 2]
    assert "行业:机械" in sheet.cell(row=2, column=1).value


def test_exported_text_that_looks_like_a_formula_stays_text(login, station_officer):
    make_enterprise(name='=HYPERLINK("http://x","点我")', address="+1+2", principal_name="@SUM")
    response = login(station_officer).get(reverse("enterprises:export"))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [c for row in workbook.active.iter_rows() for c in row if c.value]
    dangerous = [c for c in cells if str(c.value)[:1] in "=+@"]
    assert dangerous, "the test rows should be in the export"
    assert all(c.data_type == "s" for c in dangerous)


def test_the_create_form_names_the_bad_field_in_chinese_and_saves_nothing(login, station_officer):
    response = login(station_officer).post(
        reverse("enterprises:create"),
        {
            "name": "厦门新企业有限公司",
            "uscc": "91330100716105852E",
            "region": region("350213007").pk,
            "industry": "machinery",
            "size": "micro",
            "effective_on": "2026-03-01",
            "ledger_since": "2026-03-01",
        },
    )
    assert response.status_code == 200
    assert "校验位错误:第18位应为“F”,实为“E”" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_the_create_form_computes_the_size_when_left_blank(login, station_officer):
    response = login(station_officer).post(
        reverse("enterprises:create"),
        {
            "name": "厦门新企业有限公司",
            "uscc": make_uscc(),
            "region": region("350213007").pk,
            "industry": "machinery",
            "employees": "12",
            "revenue": "800",
            "effective_on": "2026-03-01",
            "ledger_since": "2026-03-01",
        },
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get()
    assert enterprise.size == Size.MICRO
    assert enterprise.ledger_since == date(2026, 3, 1)


def test_the_size_hint_explains_the_rule(login, station_officer):
    response = login(station_officer).get(
        reverse("enterprises:size_hint"),
        {"industry": "machinery", "employees": "50", "revenue": "500"},
    )
    assert "300号" in response.content.decode() and "小型" in response.content.decode()


def test_edit_then_history_shows_old_and_new(login, station_officer, minan_enterprise):
    client = login(station_officer)
    form = client.get(reverse("enterprises:edit", args=[minan_enterprise.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "risk_tags"}
    data.update(safety_manager_phone="13912345678", effective_on="2026-03-01")
    data["region"] = minan_enterprise.region_id
    data["eligible"] = "true"
    response = client.post(reverse("enterprises:edit", args=[minan_enterprise.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    page = client.get(reverse("enterprises:detail", args=[minan_enterprise.pk])).content.decode()
    assert "13912345678" in page and "安全管理人员电话" in page


# --- Large lists: the default order read region by region (core/pagination.py GroupedRows) ---

REGIONS = ("350213007", "350213002", "350213003")  # 民安, 新店, 马巷


def spread_enterprises(count: int) -> None:
    """`count` enterprises over three 街道, names in no particular pinyin order, every other
    one with a dust explosion risk."""
    dust = RiskTag.objects.get(code="dust_explosion")
    for i in range(count):
        make_enterprise(
            REGIONS[i % 3],
            name=f"厦门{(i * 7) % count}号{'甲乙丙丁'[i % 4]}有限公司",
            risk_tags=[dust] if i % 2 else [],
        )


def walk_pages(client, url: str, params=None) -> list[str]:
    """Every row's name, page after page, as a user paging through the list sees them."""
    names, number = [], 1
    while True:
        response = client.get(url, {**(params or {}), "page": number})
        page = response.context["page"]
        names += [e.name for e in page]
        if not page.has_next():
            return names
        number += 1


def test_paging_through_the_list_shows_every_enterprise_once_in_region_then_pinyin_order(
    login, district_officer, settings, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4  # pages that start and end inside and across 街道
    spread_enterprises(23)
    expected = list(
        Enterprise.objects.order_by("region__path", "name_pinyin", "id").values_list(
            "name", flat=True
        )
    )
    client = login(district_officer)
    assert walk_pages(client, reverse("enterprises:list")) == expected
    first = client.get(reverse("enterprises:list"))
    assert "共 <strong>23</strong> 条" in first.content.decode()
    assert first.context["page"].paginator.num_pages == 6
    machinery = walk_pages(client, reverse("enterprises:list"), {"q": "甲"})
    assert machinery == [n for n in expected if "甲" in n]


def test_a_page_past_the_end_shows_the_last_page(login, station_officer, settings):
    settings.ANBIAO_PAGE_SIZE = 4
    spread_enterprises(9)  # 3 in 民安
    page = login(station_officer).get(reverse("enterprises:list"), {"page": 99}).context["page"]
    assert page.number == 1 and len(page) == 3


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 8),
        ({"page": 3}, 8),
        ({"industry": "machinery", "size": "small"}, 8),
        ({"q": "xm"}, 8),
        ({"q": "甲有限"}, 8),
        ({"q": "913502"}, 8),
        ({"risk_tag": "dust"}, 9),  # + the chosen risk, read by the filter form
        ({"ordering": "-employees", "page": 2}, 8),
    ],
    ids=["first", "later", "filter", "pinyin", "name", "uscc", "risk", "sorted"],
)
def test_the_list_pins_its_queries_whatever_the_number_of_enterprises(
    login, district_officer, params, queries, settings, django_assert_num_queries, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4
    if params.get("risk_tag"):
        params = {**params, "risk_tag": RiskTag.objects.get(code="dust_explosion").pk}
    client = login(district_officer)
    spread_enterprises(15)
    client.get(reverse("enterprises:list"), params)  # the session is read once per client
    # user, region, groups (the count), the page's rows, their risk tags, the bell, the region
    # filter's choices, the risk filter's choices. A search reads its matches' keys first (one
    # pass for the count and the pages); with more than SORT_BELOW of them ("grouped") it counts
    # them by group after all: one query more.
    if params.get("q") and sort_below == "grouped":
        queries += 1
    with django_assert_num_queries(on_this_database(queries)):
        client.get(reverse("enterprises:list"), params)
    spread_enterprises(45)
    with django_assert_num_queries(on_this_database(queries)):
        client.get(reverse("enterprises:list"), params)
