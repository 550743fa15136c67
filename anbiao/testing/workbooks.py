"""Workbooks of many rows for load tests and benchmarks, written in constant memory."""

import io

import xlsxwriter

from anbiao.core.uscc import check_character

LEDGER_HEADER = [
    "企业名称",
    "统一社会信用代码",
    "行业",
    "企业规模",
    "是否位于火炬高新区",
    "经营状态",
    "是否符合创建条件",
    "纳入台账日期",
]
BASELINE = "2025-02-28"  # the demo campaign's baseline: a province's first, baseline ledger
SAME_CELLS = ["机械", "小型", "否", "在营", "是", BASELINE]


def make_uscc(n: int, region_code: str = "350213") -> str:
    """A valid USCC for serial `n` (as anbiao.testing.factories makes them, without Django)."""
    body = f"91{region_code}MA{n:07d}"
    return body + check_character(body)


def ledger_workbook(rows: int, start: int = 5_000_000) -> bytes:
    """A ledger .xlsx of `rows` enterprises unknown to the site (USCC serials from `start`, clear
    of the demo data's and the factories'), in the ledger since the campaign's baseline (a
    deployment's first import); an officer's import puts them in the officer's own 镇街."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, LEDGER_HEADER)
    for n in range(rows):
        sheet.write_row(
            n + 1,
            0,
            [f"负载测试{start + n}号公司", make_uscc(start + n), *SAME_CELLS],
        )
    book.close()
    return buffer.getvalue()
