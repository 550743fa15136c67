"""Official forms (附件) as a government office files them: a merged title, the 填报单位 and date
line, a header row, serial numbers, a totals line, and sign lines; landscape A4, header row
repeated on each printed page. Rows stream to disk (constant memory); text is never a formula."""

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import xlsxwriter
from django.http import FileResponse

from anbiao.core.excel import WORKBOOK_OPTIONS, Column, cell_writers, write_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class OfficialForm:
    title: str
    unit: str  # 填报单位
    on: date  # the date the figures are as of
    columns: list[Column]
    rows: Iterable[Any]
    totals: Callable[[], list[str]] | None = None  # lines computed after the rows are written
    signatures: tuple[str, ...] = ("填表人:", "审核人:", "单位负责人:")
    note: str = ""


def write_official_form(path: str, form: OfficialForm) -> int:
    """Write `form` to `path`; returns the number of data rows."""
    book = xlsxwriter.Workbook(path, WORKBOOK_OPTIONS)
    sheet = book.add_worksheet(form.title[:31])
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
    title_fmt = book.add_format(
        {**base, "bold": True, "font_size": 16, "align": "center", "font_name": "黑体"}
    )
    info_fmt = book.add_format({**base, "font_size": 11})
    info_right = book.add_format({**base, "font_size": 11, "align": "right"})
    head_fmt = book.add_format(
        {
            **base,
            "bold": True,
            "border": 1,
            "align": "center",
            "text_wrap": True,
            "bg_color": "#F2F2F2",
        }
    )
    cell_fmt = book.add_format({**base, "border": 1, "text_wrap": True})
    center_fmt = book.add_format({**base, "border": 1, "align": "center"})
    date_fmt = book.add_format({**base, "border": 1, "align": "center", "num_format": "yyyy-mm-dd"})
    total_fmt = book.add_format({**base, "border": 1, "bold": True, "text_wrap": True})
    last = len(form.columns) - 1
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(3)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    for index, column in enumerate(form.columns):
        sheet.set_column(index, index, column.width)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, form.title, title_fmt)
    split = max(last // 2, 1)
    sheet.merge_range(1, 0, 1, split, f"填报单位(盖章):{form.unit}", info_fmt)
    sheet.merge_range(
        1,
        split + 1,
        1,
        last,
        f"统计截止日期:{form.on.year}年{form.on.month}月{form.on.day}日",
        info_right,
    )
    sheet.set_row(2, 4)
    sheet.set_row(3, 30)
    for index, column in enumerate(form.columns):
        sheet.write_string(3, index, column.header, head_fmt)
    # Rows may be model instances (a Column's `value` reads each cell) or, for large forms,
    # sequences of cell values already in column order (every `value` None).
    writers = cell_writers(
        sheet,
        text=cell_fmt,
        number=center_fmt,
        boolean=center_fmt,
        date_format=date_fmt,
        decimals_as_numbers=False,
        local_datetimes=False,
    )
    getters = [column.value for column in form.columns]
    positional = all(get is None for get in getters)
    row_index = 3
    count = 0
    for count, item in enumerate(form.rows, start=1):
        row_index = 3 + count
        values = item if positional else [get(item) for get in getters]  # type: ignore[misc]
        write_cells(sheet, row_index, values, writers)
    if count == 0:
        row_index += 1
        sheet.merge_range(row_index, 0, row_index, last, "(无)", center_fmt)
    for line in form.totals() if form.totals else []:
        row_index += 1
        sheet.set_row(row_index, 32)
        sheet.merge_range(row_index, 0, row_index, last, line, total_fmt)
    if form.note:
        row_index += 1
        sheet.merge_range(row_index, 0, row_index, last, form.note, info_fmt)
    row_index += 2
    step = max((last + 1) // len(form.signatures), 1)
    for index, label in enumerate(form.signatures):
        sheet.write_string(row_index, index * step, label, info_fmt)
    book.close()
    return count


def official_form_response(filename: str, form: OfficialForm) -> FileResponse:
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        write_official_form(path, form)
        stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(path)
    return FileResponse(stream, as_attachment=True, filename=filename, content_type=XLSX)


def filing_unit(user) -> str:
    """The 填报单位 line of a filed form: the user's department, else their region's station."""
    if getattr(user, "department", ""):
        return user.department
    if user.region_id:
        return f"{user.region.name}安监站"
    return "安全生产标准化专班"
