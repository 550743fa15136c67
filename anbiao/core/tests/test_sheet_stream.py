"""The streaming sheet reader gives every import the cells calamine gives: the same workbooks read
both ways (ANBIAO_IMPORT_STREAM_ABOVE_MB high: calamine; 0: streamed) give the same rows."""

import os
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from anbiao.cases.tests.test_import_progress import workbook as progress_workbook
from anbiao.core.imports import reader, registry, sheet_stream
from anbiao.core.imports.reader import ImportFileError, iter_cells, read_table
from anbiao.core.imports.sheet_stream import DATETIME, DURATION, OTHER, number_format_kind
from anbiao.enterprises.importers import COLUMNS as LEDGER_COLUMNS
from anbiao.testing.workbooks import ledger_workbook

NUMBER_FORMATS = [
    "yyyy-mm-dd",
    "yyyy-mm-dd hh:mm:ss",
    "hh:mm",
    "h:mm AM/PM",
    "[h]:mm:ss",
    "[mm]:ss",
    "mm:ss.0",
    'yyyy"年"m"月"d"日"',
    "[$-F800]dddd, mmmm dd, yyyy",
    "[DBNum1][$-804]yyyy年m月d日",
    "0.00",
    "0%",
    "#,##0",
    '"Y: "0.00',
    "#,##0*y",
    "0_ ;[Red]\\-0\\ ",
    "m/d/yy",
    "@",
    "General",
]
SERIALS = [0, 0.25, 1, 1.5, 59, 60, 61, 45000, 45000.75, 45000.123456, -0.25, 2958465, 3e6]


def both_ways(path, settings) -> tuple[list, list]:
    """The rows of `path` read by calamine and streamed, as (type, value) pairs so that 1 and
    1.0 or True and 1 differ, without the empty cells and rows that calamine pads with."""

    def read() -> list:
        rows = []
        for cells in iter_cells(str(path), str(path)):
            cells = list(cells)
            while cells and cells[-1] == "" and isinstance(cells[-1], str):
                cells.pop()
            rows.append([(type(value).__name__, value) for value in cells])
        while rows and not rows[-1]:
            rows.pop()
        return rows

    settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = 10_000
    by_calamine = read()
    settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = 0
    return by_calamine, read()


def every_cell_type(path, *, date_1904=False):
    """Shared strings (rich text among them), numbers, booleans, errors, formulas with and without
    cached values, dates by built-in and custom formats, gaps, and data starting at C3."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904, "strings_to_numbers": False})
    sheet = book.add_worksheet("数据")
    bold = book.add_format({"bold": True})
    sheet.write_string("C3", "企业名称")
    sheet.write_string("D3", "  前后空格  ")
    sheet.write_string("F3", "中文\n换行")
    sheet.write_rich_string("G3", "富", bold, "文本", "段落")
    sheet.write_string("H3", "")
    sheet.write_string("I3", "1e5")
    sheet.write_string("J3", "x_x000D_y")
    sheet.write_number("C4", 12)
    sheet.write_number("D4", 12.5)
    sheet.write_number("E4", -3)
    sheet.write_number("F4", 1e20)
    sheet.write_number("G4", 13500000000)
    sheet.write_boolean("H4", True)
    sheet.write_boolean("I4", False)
    sheet.write_formula("C6", "=1/0", None, "#DIV/0!")
    sheet.write_formula("D6", "=NA()", None, "#N/A")
    sheet.write_formula("E6", "=1+1", None, 2)
    sheet.write_formula("F6", '="a"&"b"', None, "ab")
    sheet.write_formula("G6", "=TRUE()", None, True)
    sheet.write_formula("H6", "=2+2")  # no cached value (written as 0 by xlsxwriter)
    for row, code in enumerate(NUMBER_FORMATS, start=8):
        style = book.add_format({"num_format": code})
        for column, serial in enumerate(SERIALS, start=2):
            sheet.write_number(row, column, serial, style)
    for column, builtin in enumerate([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, 2, 49]):
        sheet.write_number(40, column, 45000.5, book.add_format({"num_format": builtin}))
    sheet.write_datetime("C43", datetime(2025, 2, 28), book.add_format({"num_format": 14}))  # noqa: DTZ001
    sheet.write_string("AB50", "远处")
    sheet.write_blank("AC51", None, bold)  # a styled empty cell is no value
    book.add_worksheet("第二张")
    book.close()
    return path


def inline_strings(path):
    """openpyxl writes inline strings, rich text included, and its own date formats."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B2"] = "标题"
    sheet["B4"] = CellRichText(["加粗 ", TextBlock(InlineFont(b=True), "部分")])
    sheet["C4"] = "  保留空格  "
    sheet["D4"] = date(2025, 2, 28)
    sheet["E4"] = datetime(2025, 2, 28, 13, 45, 10)  # noqa: DTZ001
    sheet["F4"] = time(13, 45)
    sheet["G4"] = timedelta(days=1, hours=2)
    sheet["H4"] = 7
    sheet["I4"] = "=SUM(H4:H4)"
    sheet["J9"] = True
    book.save(path)
    return path


WORKBOOK = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<workbookPr date1904="{date1904}"/>'
    '<sheets><sheet name="表" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/m/d"/></numFmts>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="46"/></cellXfs>'
    "</styleSheet>"
)
SHARED = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3">'
    "<si><t>普通</t></si>"
    '<si><r><t xml:space="preserve">甲 </t></r><r><rPr><b/></rPr><t>乙</t></r>'
    '<rPh sb="0" eb="1"><t>ジャ</t></rPh></si>'
    "<si><t>  裁掉空格 &amp; 实体 &lt;&gt;  </t></si>"
    "</sst>"
)
# What other writers produce: a namespace prefix, cells and rows without positions, untyped text
# values, ISO date cells, an error, a <v> after an inline string, a cell out of order.
SHEET = (
    '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<x:dimension ref="A1:H9"/><x:sheetData>'
    '<x:row r="2"><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c>'
    '<x:c t="s"><x:v>2</x:v></x:c><x:c r="F2" s="1"><x:v>45716</x:v></x:c>'
    '<x:c r="G2" s="2"><x:v>1.25</x:v></x:c><x:c r="H2" s="1"><x:v>60</x:v></x:c></x:row>'
    '<x:row><x:c r="B3"><x:v>不是数字</x:v></x:c><x:c r="C3" t="d"><x:v>2025-02-28</x:v></x:c>'
    '<x:c r="D3" t="d"><x:v>2025-02-28T08:30:00</x:v></x:c><x:c r="E3" t="e"><x:v>#REF!</x:v>'
    '</x:c><x:c r="F3" t="inlineStr"><x:is><x:t>内联</x:t></x:is><x:v>9</x:v></x:c>'
    '<x:c r="G3" t="str"><x:f>A1</x:f><x:v>公式文本</x:v></x:c><x:c r="H3"><x:f>1+1</x:f></x:c>'
    "</x:row>"
    '<x:row r="5"><x:c r="A5" t="b"><x:v>1</x:v></x:c><x:c r="C5"><x:v>  7 </x:v></x:c>'
    '<x:c r="D5" s="1"/><x:c r="E5" t="inlineStr"><x:is><x:t>回车_x000D_换行</x:t></x:is></x:c>'
    "</x:row>"
    '<x:row r="7" spans="1:3"><x:c r="C7" s="1"></x:c></x:row>'
    '<x:row r="9"><x:c r="AA9" s="1"><x:v>1</x:v></x:c></x:row>'
    "</x:sheetData></x:worksheet>"
)


ROOT_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def hand_written(path, *, date1904="0"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK.replace("{date1904}", date1904))
        book.writestr("xl/_rels/workbook.xml.rels", RELS)
        book.writestr("xl/styles.xml", STYLES)
        book.writestr("xl/sharedStrings.xml", SHARED)
        book.writestr("xl/worksheets/sheet1.xml", SHEET)
    return path


def test_every_cell_type_and_number_format_reads_the_same_both_ways(tmp_path, settings):
    by_calamine, streamed = both_ways(every_cell_type(tmp_path / "类型.xlsx"), settings)
    assert streamed == by_calamine
    # The sheet starts at C3: rows are counted from row 1 and cells from column A either way.
    assert by_calamine[2][2] == ("str", "企业名称")
    assert ("date", date(1900, 2, 28)) in by_calamine[8]  # serial 60: Excel's 29 February 1900


def test_shared_strings_kept_on_disk_read_the_same(tmp_path, settings, monkeypatch):
    monkeypatch.setattr(sheet_stream, "SPILL_STRINGS_ABOVE", 0)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_workbook(50))
    for workbook in (
        every_cell_type(tmp_path / "类型.xlsx"),
        hand_written(tmp_path / "手写.xlsx"),
        path,
    ):
        by_calamine, streamed = both_ways(workbook, settings)
        assert streamed == by_calamine


def test_a_1904_workbook_reads_the_same_both_ways(tmp_path, settings):
    by_calamine, streamed = both_ways(
        every_cell_type(tmp_path / "1904.xlsx", date_1904=True), settings
    )
    assert streamed == by_calamine
    assert by_calamine[42][2] == ("date", date(2025, 2, 28))


def test_inline_strings_and_rich_text_read_the_same_both_ways(tmp_path, settings):
    by_calamine, streamed = both_ways(inline_strings(tmp_path / "内联.xlsx"), settings)
    assert streamed == by_calamine
    assert by_calamine[3][1] == ("str", "加粗 部分")


@pytest.mark.parametrize("date1904", ["0", "1", "true"])
def test_what_other_writers_write_reads_the_same_both_ways(tmp_path, settings, date1904):
    by_calamine, streamed = both_ways(
        hand_written(tmp_path / "手写.xlsx", date1904=date1904), settings
    )
    assert streamed == by_calamine
    assert by_calamine[1][:3] == [("str", "普通"), ("str", "甲 乙"), ("str", "裁掉空格 & 实体 <>")]


@pytest.mark.parametrize("kind", sorted(registry.KINDS))
def test_every_import_template_reads_the_same_both_ways(tmp_path, settings, kind):
    path = tmp_path / f"{kind}.xlsx"
    registry.write_template(str(path), kind)
    by_calamine, streamed = both_ways(path, settings)
    assert streamed == by_calamine and len(by_calamine) >= 2


def test_the_test_suites_workbooks_read_the_same_both_ways(tmp_path, settings):
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(ledger_workbook(300))
    progress = progress_workbook(
        tmp_path / "进度.xlsx",
        [["某公司", "91350213MA0000001X", "机械", "签约", date(2025, 3, 1), "", "", "", 86.5, ""]],
    )
    for path in (ledger, progress):
        by_calamine, streamed = both_ways(path, settings)
        assert streamed == by_calamine and len(by_calamine) >= 2


def test_a_streamed_ledger_parses_to_the_same_rows_and_excel_row_numbers(tmp_path, settings):
    path = tmp_path / "台账.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    # Row 1 left empty and the table starting at column B: errors still name Excel's row.
    sheet.write_row(1, 1, ["企业名称", "统一社会信用代码", "纳入台账日期"])
    sheet.write_row(2, 1, ["甲公司", "91350213MA0000001X", "不是日期"])
    sheet.write_datetime(3, 3, datetime(2025, 2, 28), book.add_format({"num_format": 14}))  # noqa: DTZ001
    sheet.write_row(3, 1, ["乙公司", "91350213MA0000002X"])
    book.close()
    tables = []
    for threshold in (10_000, 0):
        settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = threshold
        table = read_table(str(path), LEDGER_COLUMNS)
        tables.append((table.header_row, [(r.number, r.values, r.errors) for r in table.rows]))
    assert tables[0] == tables[1]
    header_row, rows = tables[0]
    assert header_row == 2
    assert [number for number, *_ in rows] == [3, 4]
    assert rows[1][1]["ledger_since"] == date(2025, 2, 28)
    assert any("第3行" in str(error) for error in rows[0][2])


def test_a_damaged_sheet_is_refused_with_a_message_when_streamed(tmp_path, settings):
    path = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK.replace("{date1904}", "0"))
        book.writestr("xl/_rels/workbook.xml.rels", RELS)
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c><v>1</v>")
    settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = 0
    with pytest.raises(ImportFileError, match="无法读取该Excel文件"):
        list(iter_cells(str(path), "坏.xlsx"))


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("yyyy-mm-dd", DATETIME),
        ("H:MM:SS;@", DATETIME),
        ("[h]:mm:ss", DURATION),
        ("[Blue]\\+[h]:mm;[Red]\\-[h]:mm", DURATION),
        ("[>=100][Magenta].00", OTHER),
        ('"Y: "0.00"m"', OTHER),
        ("#,##0*y", OTHER),
        ("*-yyyy-mm-dd", DATETIME),
        ("\\Y000000", OTHER),
        ("ha/p\\\\m", DATETIME),
        ("0.00", OTHER),
    ],
)
def test_number_formats_are_told_apart_as_calamine_does(code, kind):
    assert number_format_kind(code) == kind


def sheet_readers() -> list[str]:
    """The command lines of this process's children that are reading a sheet."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
        if parent == os.getpid() and b"anbiao.core.imports.sheet_stream" in command:
            found.append(b" ".join(command).decode())
    return found


def test_a_large_sheet_on_disk_is_parsed_by_a_second_process_giving_the_same_rows(
    tmp_path, settings
):
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(ledger_workbook(2500))  # more than one chunk of rows from the child
    settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = 0
    # 2,500 rows pickled fill the pipe many times over: the child is still there after one.
    rows = iter_cells(str(ledger), ledger.name)
    next(rows)
    assert len(sheet_readers()) == 1
    rows.close()
    for path in (
        every_cell_type(tmp_path / "类型.xlsx"),
        hand_written(tmp_path / "手写.xlsx"),
        ledger,
    ):
        from_child = list(iter_cells(str(path), path.name))
        assert sheet_readers() == []
        # A file held in memory (no path to give a child) is parsed in this process.
        in_memory = iter_cells(path.read_bytes(), path.name)
        next(in_memory)
        assert sheet_readers() == []
        assert from_child == list(iter_cells(path.read_bytes(), path.name))
    assert len(from_child) == 2501  # the header and 2,500 enterprises


def test_reading_stopped_early_stops_the_second_process(tmp_path, settings):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_workbook(5000))
    settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = 0
    rows = iter_cells(str(path), path.name)
    next(rows)
    assert len(sheet_readers()) == 1
    rows.close()
    assert sheet_readers() == []


def test_a_sheet_the_second_process_cannot_read_is_refused_with_its_message(tmp_path):
    damaged = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(damaged, "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c><v>1</v>")
    sheet = "xl/worksheets/sheet1.xml"
    with pytest.raises(sheet_stream.SheetError) as in_process:
        list(sheet_stream.stream_rows(str(damaged), sheet))
    with pytest.raises(sheet_stream.SheetError) as aside:
        list(sheet_stream.stream_rows_aside(str(damaged), sheet))
    assert str(aside.value) == str(in_process.value) != ""
    # A child that dies of something else (here: no such file) is reported, not waited for.
    with pytest.raises(sheet_stream.SheetError, match="读取工作表的进程意外退出"):
        list(sheet_stream.stream_rows_aside(str(tmp_path / "没有.xlsx"), sheet))
    assert sheet_readers() == []


def test_with_one_core_the_sheet_is_parsed_in_this_process(tmp_path, settings, monkeypatch):
    monkeypatch.setattr(reader, "_cores", lambda: 1)  # a second process would only wait its turn
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_workbook(50))
    settings.ANBIAO_IMPORT_STREAM_ABOVE_MB = 0
    rows = iter_cells(str(path), path.name)
    next(rows)
    assert sheet_readers() == []
    assert len([*rows]) == 50
