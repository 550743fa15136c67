"""The district's roll-up: every 镇街 on one page, each row the figures of its dashboard."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from anbiao.campaigns.loader import load_campaign
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.selectors import dashboard
from anbiao.filings import services
from anbiao.filings.rollup import SUMMED, rollup
from anbiao.testing.factories import certify, make_enterprise, record_steps, region

pytestmark = pytest.mark.django_db
ON = date(2025, 12, 31)
MINAN, XINDIAN = "350213007", "350213002"


@pytest.fixture
def enterprises(reference):
    made = {}
    for code, count in ((MINAN, 4), (XINDIAN, 3)):
        for i in range(count):
            made[(code, i)] = make_enterprise(code, name=f"厦门汇总{code[-3:]}-{i}有限公司")
    make_enterprise(XINDIAN, name="厦门汇总中型有限公司", size="medium")  # in the ledger only
    certify(made[(MINAN, 0)], date(2025, 8, 1))
    record_steps(made[(MINAN, 1)], ("start", date(2025, 5, 1)))
    certify(made[(XINDIAN, 0)], date(2025, 9, 1))
    return made


@pytest.fixture
def district_campaign(reference):
    """A campaign of the whole district, newer than minan-2025, so it is every 镇街's."""
    load_campaign(
        {
            "slug": "xiangan-2025",
            "name": "翔安区安全生产标准化提升行动",
            "region": "350213",
            "baseline_on": date(2025, 2, 28),
            "starts_on": date(2025, 4, 1),
            "ends_on": date(2026, 12, 31),
        }
    )
    return Campaign.objects.get(slug="xiangan-2025")


def test_rollup_rows_are_the_subdistrict_dashboards_and_the_totals_their_sum(
    enterprises, district_campaign, district_officer
):
    data = rollup(user=district_officer, on=ON)
    by_code = {row.region.code: row for row in data.rows}
    assert {MINAN, XINDIAN} <= set(by_code)
    for code in (MINAN, XINDIAN):
        row = by_code[code]
        assert row.campaign == district_campaign
        board = dashboard(
            user=district_officer, campaign=district_campaign, on=ON, region=region(code)
        )
        for key in ("eligible_total", "started", "completed", "start_rate", "completion_rate"):
            assert row.values[key] == board.values[key], (code, key)
        for key in ("due_certificates", "renewed"):
            assert row.values[key] == board.values[key], (code, key)
    assert by_code[MINAN].values["completed"] == 1 and by_code[XINDIAN].values["completed"] == 1
    assert by_code[XINDIAN].values["ledger_size"] == 4  # the medium one is in the ledger
    for key in SUMMED:
        assert data.totals[key] == sum(r.values.get(key) or 0 for r in data.rows), key
    whole = dashboard(user=district_officer, campaign=district_campaign, on=ON, region=None)
    for key in ("eligible_total", "started", "completed"):
        assert data.totals[key] == whole.values[key], key
    assert data.totals["completion_rate"] == whole.values["completion_rate"]
    # ranked by completion rate: 新店 1/3 before 民安 1/4
    assert by_code[XINDIAN].rank == 1 and by_code[MINAN].rank == 2


def test_a_subdistrict_without_a_campaign_is_shown_with_its_ledger_and_a_note(
    client, enterprises, district_officer, station_officer
):
    services.filing_submit(
        actor=station_officer, campaign=Campaign.objects.get(slug="minan-2025"), period="2025-06"
    )
    data = rollup(user=district_officer, on=ON)
    row = next(r for r in data.rows if r.region.code == XINDIAN)
    assert row.campaign is None and "尚未开展专项行动" in row.note
    assert row.values["ledger_size"] == 4 and row.values["eligible_total"] == 3
    assert row.values.get("completed") is None and row.rank is None
    minan = next(r for r in data.rows if r.region.code == MINAN)
    assert minan.last_filing is not None and minan.last_filing.period == "2025-06"
    assert minan.overdue >= 3  # 2025-03, -04, -05 at least were never filed
    assert row.overdue == 0  # no campaign, no schedule

    client.force_login(district_officer)
    page = client.get(reverse("filings:rollup"), {"on": ON.isoformat(), "sort": "-eligible_total"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "无专项行动" in text and "2025年6月" in text and "chart-rollup" in text
    codes = [r.region.code for r in page.context["rows"]]
    assert codes.index(MINAN) < codes.index(XINDIAN)  # 应创 民安 4, 新店 3
    page = client.get(reverse("filings:rollup"), {"on": ON.isoformat(), "sort": "eligible_total"})
    codes = [r.region.code for r in page.context["rows"]]
    assert codes.index(XINDIAN) < codes.index(MINAN)
    assert client.get(reverse("filings:rollup"), {"sort": "nonsense"}).status_code == 404
    export = client.get(reverse("filings:rollup_export"), {"on": ON.isoformat()})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert {"民安街道", region(XINDIAN).name} <= set(cells)
    assert any("合计" in c for c in cells)


def test_the_station_cannot_open_the_rollup(client, station_officer):
    client.force_login(station_officer)
    assert client.get(reverse("filings:rollup")).status_code == 403
