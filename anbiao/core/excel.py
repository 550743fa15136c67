"""Excel export: rows stream to disk (xlsxwriter constant-memory mode), so memory does not grow
with the row count. Every value is written as a typed cell; text always as a string cell, so a
name beginning with "=", "+", "-" or "@" is shown, never run as a formula.

Large exports (the registry, 附件3) hand whole rows of plain values to `write_cells`: the cell
type is chosen by a dictionary lookup on the value's class and the formats are made once per
workbook, so a 100k-row export costs little more than xlsxwriter writing the same cells."""

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


@dataclass(frozen=True)
class Column:
    """A column of an exported table. `value` turns a row into the cell's value; None when the
    rows are already sequences of cell values in column order (the fast path of large exports)."""

    header: str
    value: Callable[[Any], Any] | None = None
    width: int = 14


CellWriter = Callable[[int, int, Any], Any]


def cell_writers(
    sheet,
    *,
    text,
    number=None,
    date_format=None,
    boolean=None,
    decimals_as_numbers: bool = True,
    local_datetimes: bool = True,
) -> dict[type, CellWriter]:
    """How each type of value is written on `sheet`: a writer per class, with its format bound
    once. Blank ("" or None) cells keep the text format (their borders); booleans are 是/否 text;
    numbers are written as floats; dates with `date_format`. A value of another class is
    written as its text (see `write_cells`)."""
    number = number or text
    boolean = boolean or text
    date_format = date_format or text
    write_string, write_number = sheet.write_string, sheet.write_number
    write_blank, write_datetime = sheet.write_blank, sheet.write_datetime

    def string(r, c, value):
        if value:
            write_string(r, c, value, text)
        else:
            write_blank(r, c, None, text)

    def num(r, c, value):
        write_number(r, c, float(value), number)

    def yes_no(r, c, value):
        write_string(r, c, "是" if value else "否", boolean)

    def day(r, c, value):
        write_datetime(r, c, datetime.combine(value, time()), date_format)

    def moment(r, c, value):
        if local_datetimes:
            value = timezone.localtime(value).replace(tzinfo=None)
        write_datetime(r, c, value, date_format)

    writers: dict[type, CellWriter] = {
        str: string,
        type(None): lambda r, c, value: write_blank(r, c, None, text),
        bool: yes_no,
        int: num,
        float: num,
        date: day,
        datetime: moment,
    }
    if decimals_as_numbers:
        writers[Decimal] = num
    return writers


def write_cells(
    sheet, row: int, values: Sequence[Any], writers: dict[type, CellWriter], first_column: int = 0
) -> None:
    """Write one row of plain values from `first_column` on, each as its typed cell."""
    fallback = writers[str]
    for col, value in enumerate(values, first_column):
        write = writers.get(value.__class__)
        if write is None:  # lazy translations, subclasses of str or int, anything else: text
            if isinstance(value, int) and not isinstance(value, bool):
                write = writers[int]
            else:
                value = str(value)
                write = fallback
        write(row, col, value)


def write_table(
    path: str, *, title: str, subtitle: str, columns: list[Column], rows: Iterable[Any]
) -> int:
    """Write a titled table to `path`; returns the number of data rows. When every column's
    `value` is None, each row is already the sequence of its cells."""
    workbook = xlsxwriter.Workbook(path, WORKBOOK_OPTIONS)
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
    writers = cell_writers(sheet, text=cell_fmt, date_format=date_fmt)
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
    last = max(len(columns) - 1, 0)
    sheet.merge_range(0, 0, 0, last, title, title_fmt)
    sheet.merge_range(1, 0, 1, last, subtitle)
    for index, column in enumerate(columns):
        sheet.write_string(2, index, column.header, header_fmt)
    sheet.freeze_panes(3, 0)
    getters = [column.value for column in columns]
    positional = all(get is None for get in getters)
    count = 0
    for count, row in enumerate(rows, start=1):
        values = row if positional else [get(row) for get in getters]  # type: ignore[misc]
        write_cells(sheet, 2 + count, values, writers)
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
