"""The reader's bounds and header matching: a workbook is measured before it is read, and
headers are understood by meaning."""

import re
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from anbiao.core.imports.jobs import check_upload
from anbiao.core.imports.reader import (
    CellError,
    Column,
    choice_parser,
    meaning_key,
    parse_bool,
    parse_date,
    read_table,
)

WORKBOOK = (
    '<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<Relationships><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def xlsx(path, sheet_xml: bytes | None = None, rows: int = 0, dimension: str | None = None):
    """A minimal workbook: its first sheet either as given, or `rows` rows of one cell."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            if sheet_xml is not None:
                sheet.write(sheet_xml)
            else:
                sheet.write(b"<worksheet>")
                if dimension:
                    sheet.write(f'<dimension ref="{dimension}"/>'.encode())
                sheet.write(b"<sheetData>")
                chunk = []
                for n in range(1, rows + 1):
                    chunk.append(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>')
                    if len(chunk) == 10000:
                        sheet.write("".join(chunk).encode())
                        chunk = []
                sheet.write("".join(chunk).encode() + b"</sheetData></worksheet>")
    return path


def upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes())


def test_a_million_row_workbook_is_refused_from_its_index_before_it_is_read(tmp_path):
    path = xlsx(tmp_path / "大表.xlsx", rows=10, dimension="A1:U1000001")
    with pytest.raises(ValidationError, match="工作表有1000001行,超过每次导入1000000行的上限"):
        check_upload(upload(path))


def test_a_million_rows_without_an_index_are_counted_while_streaming_and_refused(tmp_path):
    path = xlsx(tmp_path / "无索引.xlsx", rows=1_000_001)
    with pytest.raises(ValidationError, match="工作表有1000001行"):
        check_upload(upload(path))


def test_a_workbook_that_unpacks_beyond_the_cap_is_refused(tmp_path, settings):
    settings.ANBIAO_IMPORT_MAX_UNPACKED_MB = 1
    path = xlsx(tmp_path / "炸弹.xlsx", rows=40_000)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ValidationError, match="解压后约.*MB,超过1MB的上限"):
        check_upload(upload(path))


def test_a_workbook_within_the_caps_reports_its_row_count(tmp_path):
    assert check_upload(upload(xlsx(tmp_path / "小表.xlsx", rows=120))) == 120


@pytest.mark.parametrize(
    ("header", "meaning"),
    [
        ("是否属于火炬高新区", "火炬高新区"),
        ("火炬区(是/否)", "火炬区"),
        ("企业规模(大/中/小/微)", "企业规模"),
        ("从业人员(人)", "从业人员"),
        ("营业收入 (万元)", "营业收入"),
        ("所在社区【村】", "社区"),
    ],
)
def test_headers_are_compared_by_meaning(header, meaning):
    assert meaning_key(header) == meaning


def test_a_mapping_reads_a_header_the_reader_does_not_know(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("名称,编码,网格\n甲,1,东\n", encoding="utf-8")
    columns = [
        Column("name", "名称", required=True),
        Column("code", "编码"),
        Column("grid", "片区"),
    ]
    table = read_table(path, columns)
    assert (table.ignored, table.rows[0].values) == (["网格"], {"name": "甲", "code": "1"})
    table = read_table(path, columns, mapping={"网格": "grid"})
    assert (table.ignored, table.rows[0].values["grid"]) == ([], "东")
    assert read_table(path, columns, mapping={"网格": ""}).ignored == []


def test_rows_under_a_namespace_prefix_are_counted_without_an_index(tmp_path):
    rows = "".join(f'<x:row r="{n}"><x:c r="A{n}"><x:v>{n}</x:v></x:c></x:row>' for n in (1, 2, 3))
    sheet = f'<x:worksheet xmlns:x="urn:x"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    assert check_upload(upload(xlsx(tmp_path / "前缀.xlsx", sheet_xml=sheet.encode()))) == 3


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("2025-02-28", date(2025, 2, 28)),
        ("2025/2/28", date(2025, 2, 28)),
        ("2025年2月28日", date(2025, 2, 28)),
        ("20250228", date(2025, 2, 28)),
        (45716, date(2025, 2, 28)),
    ],
)
def test_dates_are_read_however_they_are_written(cell, read):
    assert parse_date(cell) == read


@pytest.mark.parametrize("cell", ["2025-02-30", "2025-13-01", "2025-W09-5", "2025-0a-28"])
def test_an_impossible_or_unknown_date_is_refused_with_the_format_to_use(cell):
    with pytest.raises(CellError, match=f"无法识别的日期“{cell}”,请写成 2025-02-28"):
        parse_date(cell)


def test_a_choice_is_read_by_its_label_its_value_or_a_synonym_and_a_yes_no_by_its_words():
    parse = choice_parser([("small", "小型"), ("micro", "微型")], {"小": "small"}, ("企业",))
    assert [parse(c) for c in ("小型", "small", "小", " 小型企业 ", "")] == [
        "small",
        "small",
        "small",
        "small",
        None,
    ]
    with pytest.raises(CellError, match=re.escape("“中型”不是可选值(小型、微型)")):
        parse("中型")
    assert [parse_bool(c) for c in ("是", "否", " Yes ", "√", None)] == [
        True,
        False,
        True,
        True,
        None,
    ]
