"""Ledger spans of newly imported enterprises are folded from the facts the import writes
(services._ledger_create) instead of being read back: they must be exactly the spans
`rebuild_spans` derives from those facts, so the ledger as of any date is the same."""

from datetime import date

import pytest
import xlsxwriter

from anbiao.enterprises.importers import import_ledger
from anbiao.enterprises.models import Enterprise, LedgerSpan
from anbiao.enterprises.spans import rebuild_spans
from anbiao.testing.factories import make_uscc

pytestmark = pytest.mark.django_db


def spans() -> list[tuple]:
    return list(
        LedgerSpan.objects.order_by("enterprise__uscc", "starts_on").values_list(
            "enterprise__uscc",
            "starts_on",
            "ends_on",
            "in_ledger",
            "status",
            "size",
            "torch_zone",
            "region_id_on",
            "eligibility",
            "entered_on",
        )
    )


def test_imported_spans_are_the_spans_rebuilt_from_the_facts(reference, tmp_path):
    path = tmp_path / "ledger.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    header = [
        "企业名称",
        "统一社会信用代码",
        "所属镇街",
        "行业",
        "企业规模",
        "经营状态",
        "状态日期",
        "纳入台账日期",
        "是否符合创建条件",
        "不符合原因",
        "是否位于火炬高新区",
    ]
    sheet.write_row(0, 0, header)
    rows = [
        [
            "厦门甲机械有限公司",
            make_uscc(),
            "民安街道",
            "机械",
            "小型",
            "在营",
            "",
            "2025-02-28",
            "是",
            "",
            "否",
        ],
        # stopped before it entered the ledger: its status fact is older than the others
        [
            "厦门乙纺织有限公司",
            make_uscc(),
            "民安街道",
            "纺织",
            "微型",
            "停产",
            "2024-06-01",
            "2025-03-15",
            "否",
            "仅办公",
            "",
        ],
        # stopped after it entered: two spans
        [
            "厦门丙五金有限公司",
            make_uscc(),
            "民安街道",
            "机械",
            "微型",
            "停产",
            "2025-08-01",
            "2025-01-10",
            "",
            "",
            "是",
        ],
        # no dates at all: the import's effective date
        ["厦门丁食品有限公司", make_uscc(), "民安街道", "轻工", "小型", "", "", "", "是", "", ""],
    ]
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, row)
    book.close()

    outcome = import_ledger(path, user=None, effective_on=date(2026, 3, 1))
    assert outcome.created == 4 and not outcome.errors
    imported = spans()
    assert len(imported) >= 5

    rebuild_spans(Enterprise.objects.values_list("pk", flat=True))
    assert spans() == imported
