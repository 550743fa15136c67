"""Excel export: rows stream to disk (xlsxwriter constant-memory mode), so memory does not grow
with the row count. Every value is written as a typed cell; text always as a string cell, so a
name beginning with "=", "+", "-" or "@" is shown, never run as a formula."""

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


def write_table(
    path: str, *, title: str, subtitle: str, columns: list[Column], rows: Iterable[Any]
) -> int:
    """Write a titled table to `path`; returns the number of data rows."""
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet("数据")
    title_fmt = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    header_fmt = workbook.add_format(
        {
            "bold": True,
            "bg_color": "#E8EEF7",
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
        }
    )
    cell_fmt = workbook.add_format({"border": 1})
    date_fmt = workbook.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
    last = max(len(columns) - 1, 0)
    sheet.merge_range(0, 0, 0, last, title, title_fmt)
    sheet.merge_range(1, 0, 1, last, subtitle)
    for index, column in enumerate(columns):
        sheet.write_string(2, index, column.header, header_fmt)
    sheet.freeze_panes(3, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        r = 2 + count
        for c, column in enumerate(columns):
            value = column.value(row)
            if value is None or value == "":
                sheet.write_blank(r, c, None, cell_fmt)
            elif isinstance(value, bool):
                sheet.write_string(r, c, "是" if value else "否", cell_fmt)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(r, c, float(value), cell_fmt)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, timezone.localtime(value).replace(tzinfo=None), date_fmt)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime.combine(value, time()), date_fmt)
            else:
                sheet.write_string(r, c, str(value), cell_fmt)
    workbook.close()
    return count


def xlsx_response(filename: str, **table) -> FileResponse:
    """Write the table to a temporary file and stream it back as a download."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        write_table(path, **table)
        stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(path)  # the open handle keeps the data readable until it is closed
    return FileResponse(
        stream,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
