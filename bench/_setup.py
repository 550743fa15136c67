"""Shared start-up for benchmark scripts: a fresh database in a temporary directory."""

import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_with_fresh_database() -> Path:
    """Point anbiao at an empty temporary var dir, set Django up and migrate."""
    workdir = Path(tempfile.mkdtemp(prefix="anbiao-bench-"))
    os.environ.setdefault("ANBIAO_VAR_DIR", str(workdir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ANBIAO_DEV", "1")  # benchmarks run on the development key
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return workdir


LEDGER_TITLE = "应创安全生产标准化非火炬高新区小微企业情况统计表"
# The ledger's columns a benchmark workbook fills, after its 序号 column, by their keys in the
# importer's COLUMNS (their headers are the importer's own labels).
LEDGER_KEYS = (
    "name",
    "uscc",
    "subdistrict",
    "address",
    "industry",
    "size",
    "employees",
    "principal_name",
    "principal_phone",
    "ledger_since",
    "eligible",
    "eligibility_reason",
    "risk_tags",
)


def ledger_header() -> list[str]:
    """The header row of a benchmark ledger (after Django is set up)."""
    from anbiao.enterprises.importers import COLUMNS

    labels = {column.key: column.label for column in COLUMNS}
    return ["序号", *(labels[key] for key in LEDGER_KEYS)]


def ledger_rows(rows: int, seed: int = 7) -> Iterator[list]:
    """The cells of a realistic ledger of `rows` enterprises, all in 民安街道's communities."""
    import random

    from anbiao.core.uscc import check_character

    rng = random.Random(seed)
    industries = ["机械", "轻工", "建材", "纺织", "冶金", "有色", "商贸"]
    words = ["机械", "食品", "五金", "塑胶", "包装", "纺织", "石材", "贸易"]
    for i in range(rows):
        body = f"91350213MA{i:07d}"
        yield [
            i + 1,
            f"厦门{i}号{rng.choice(words)}有限公司",
            body + check_character(body),
            "民安街道",
            f"厦门市翔安区民安街道测试路{i}号",
            rng.choice(industries),
            rng.choice(["小型", "微型"]),
            rng.randint(3, 150),
            "张三",
            13800000000 + i,
            "2025-02-28",
            *rng.choice([("是", ""), ("是", ""), ("是", ""), ("否", "仅办公")]),
            rng.choice(["", "粉尘涉爆", "有限空间作业"]),
        ]


def write_ledger(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic ledger workbook of `rows` enterprises (`ledger_rows`), written by xlsxwriter."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, [LEDGER_TITLE])
    sheet.write_row(1, 0, ledger_header())
    for i, cells in enumerate(ledger_rows(rows, seed)):
        sheet.write_row(2 + i, 0, cells)
    book.close()


# The parts of a one-sheet workbook besides the sheet, for sheets written directly as XML.
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def write_sheet_xml(path: Path, rows: Iterable[list]) -> None:
    """A workbook of `rows` written directly as sheet XML (inline strings, numbers as numbers)
    streamed through the zip writer: a 1M-row ledger in a minute or two, not xlsxwriter's tens."""
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value) -> str:
        if isinstance(value, int | float):
            return f"<c><v>{value}</v></c>"
        return f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, text in PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            chunk = []
            for r, cells in enumerate(rows, start=1):
                chunk.append(f'<row r="{r}">{"".join(cell(v) for v in cells)}</row>')
                if len(chunk) == 5000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())


class Transactions:
    """Times the transactions run on `connection` while in use (`with Transactions(c) as t:`):
    from a transaction's first statement to its commit or rollback — on SQLite, how long the
    write lock was held and others' writes could wait. `longest` and `total` are seconds."""

    def __init__(self, connection):
        self.connection = connection
        self.longest = self.total = 0.0
        self.count = 0
        self.started = None

    def _statement(self, execute, sql, params, many, context):
        if self.started is None and self.connection.in_atomic_block:
            self.started = time.perf_counter()
        return execute(sql, params, many, context)

    def _ended(self):
        if self.started is not None:
            seconds = time.perf_counter() - self.started
            self.longest = max(self.longest, seconds)
            self.total += seconds
            self.count += 1
            self.started = None

    def __enter__(self):
        connection = self.connection
        self.commit, self.rollback = connection.commit, connection.rollback

        def commit():
            self.commit()
            self._ended()

        def rollback():
            self.rollback()
            self._ended()

        connection.commit, connection.rollback = commit, rollback
        self.wrapper = connection.execute_wrapper(self._statement)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)
        self.connection.commit, self.connection.rollback = self.commit, self.rollback
