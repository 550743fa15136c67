"""The shared spreadsheet reader: read .xlsx/.xls/.csv the way people actually fill them, map
columns by the meaning of their Chinese headers, parse and validate every row, and report each
problem with the row number the user sees in Excel.

How an importer uses it (see anbiao/enterprises/importers.py for a full example):

    COLUMNS = [
        Column("name", "企业名称", aliases=("单位名称",), required=True),
        Column("uscc", "统一社会信用代码", aliases=("信用代码",), parse=parse_uscc, required=True),
        Column("since", "纳入台账日期", parse=parse_date),
    ]
    table = read_table(path, COLUMNS)          # raises ImportFileError for an unreadable file
    for row in table.rows:                     # ParsedRow: .number (Excel row), .values, .errors
        ...                                    # add row.error(column_key, "reason") for rules
    table.errors                               # every RowError(row, column, message)
    table.warnings                             # rows taken with an assumption (row.warn(...))
    table.ignored                              # headers that matched no column
    table.missing_scope                        # scope columns (Column(decides_scope=True)) absent

Headers match by meaning, not spelling: full-width → half-width, spaces, punctuation, bracketed
parts such as units “(万元)” or hints “(是/否)”, and filler words (是否、属于、位于、所在、的) are
ignored before comparing with a column's names (`meaning_key`). A caller may pass `mapping`
(header text → column key, or "" to ignore it) for headers that still do not match.

Reading: the header row is found among the first rows (title lines, a 填报单位 line and merged cells
above it are skipped); blank rows and footer lines (填表人/审核人/合计…) are skipped; CSV is read as
UTF-8 (with or without BOM) or GB18030/GBK. Excel dates, and numbers stored as text or as numbers,
are both accepted; a phone number stored as a number stays a digit string. An .xlsx whose first
sheet unpacks to more than ANBIAO_IMPORT_STREAM_ABOVE_MB is read row by row (sheet_stream.py,
flat memory), a smaller one by calamine (faster, holding the sheet): the same cells either way,
each row from column A and numbered from row 1 as Excel shows it.
"""

import csv
import io
import os
import re
import sqlite3
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from python_calamine import CalamineWorkbook

from anbiao.core.imports.sheet_stream import SheetError, stream_rows, stream_rows_aside

HEADER_SCAN_ROWS = 30
FOOTER_MARKERS = (
    "填表人",
    "填报人",
    "审核人",
    "制表人",
    "负责人签字",
    "合计",
    "总计",
    "备注:",
    "说明:",
    "注:",
    "盖章",
)
EXCEL_EPOCH = date(1899, 12, 30)
PROGRESS_EVERY = 2000
ROW_COUNTERS = {"序号", "no", "行号"}  # a column that only numbers the rows is not data
SUPPORTED = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, no header row, no sheet)."""


class CellError(ValueError):
    """Raised by a parser; its message is the Chinese reason shown to the user."""


@dataclass(frozen=True)
class Column:
    """One expected column: its key, its canonical Chinese header, accepted variants."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    parse: Callable[[Any], Any] | None = None
    required: bool = False
    decides_scope: bool = False  # its absence changes who counts (应创/scope): flag it

    def names(self) -> set[str]:
        return {header_key(self.label), *(header_key(a) for a in self.aliases)}

    def meanings(self) -> set[str]:
        return {meaning_key(self.label), *(meaning_key(a) for a in self.aliases)} - {""}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        return f"{where}{'「' + self.column + '」' if self.column else ''}:{self.message}"


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]
    raw: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)

    def error(self, key: str, message: str) -> None:
        """The row is refused for this reason."""
        self.errors.append(RowError(self.number, self.labels.get(key, key), message))

    def warn(self, key: str, message: str) -> None:
        """The row is taken, with what was assumed."""
        self.warnings.append(RowError(self.number, self.labels.get(key, key), message))

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class Table:
    rows: list[ParsedRow]
    header_row: int
    columns: dict[str, str]  # key → header text found in the file
    ignored: list[str] = field(default_factory=list)  # header texts not understood
    missing_scope: list[str] = field(default_factory=list)  # labels of absent scope columns

    @property
    def errors(self) -> list[RowError]:
        return [e for row in self.rows for e in row.errors]

    @property
    def warnings(self) -> list[RowError]:
        return [w for row in self.rows for w in row.warnings]


# ---------------------------------------------------------------- cell normalization and parsers


def clean_text(value: Any) -> str:
    """Cell → trimmed text; whole-number floats lose their ".0" (phone numbers, codes)."""
    if value.__class__ is str:
        if value.isascii():  # most cells: NFKC leaves ASCII as it is
            return value.strip()
        return unicodedata.normalize("NFKC", value).replace("\u3000", " ").strip()
    if value is None:
        return ""
    if value.__class__ is int:
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\u3000", " ").strip()


def header_key(text: Any) -> str:
    """Header text compared without spaces, line breaks, asterisks, brackets' width, case."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"[\s*※]", "", text)
    return text.replace("(", "(").replace(")", ")").lower()


BRACKETED = re.compile(r"[(\[【〔<《][^)\]】〕>》]*[)\]】〕>》]")
FILLER_WORDS = ("是否", "属于", "位于", "所在", "所属", "的")
PUNCTUATION = re.compile(r"[\W_]+")


def meaning_key(text: Any) -> str:
    """What a header means, without its spelling: `header_key`, then bracketed parts (units such
    as (万元), hints such as (是/否)), punctuation and filler words dropped. 是否属于火炬高新区,
    火炬高新区(是/否) and 位于火炬高新区 all become 火炬高新区."""
    text = BRACKETED.sub("", header_key(text))
    text = PUNCTUATION.sub("", text)
    for word in FILLER_WORDS:
        text = text.replace(word, "")
    return text


def parse_text(value: Any) -> str:
    return clean_text(value)


def parse_int(value: Any) -> int | None:
    text = clean_text(value).replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"“{text}”不是整数") from exc
    if number != number.to_integral_value() or number < 0:
        raise CellError(f"“{text}”不是非负整数")
    return int(number)


def parse_decimal(value: Any) -> Decimal | None:
    text = clean_text(value).replace(",", "").removesuffix("万元").removesuffix("万")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"“{text}”不是数字") from exc
    if number < 0:
        raise CellError(f"“{text}”不能为负数")
    return number.quantize(Decimal("0.01"))


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: Any) -> date | None:
    """Excel date cells, Excel serial numbers, and 2025-02-28 / 2025/2/28 / 2025年2月28日 /
    2025.2.28 / 20250228 text."""
    if value is None or value == "":
        return None
    if value.__class__ is str and len(value) == 10 and value[4] == value[7] == "-":
        # Most text dates are ISO (2025-02-28): read without the patterns below; anything
        # else, or an impossible day, goes the general way and gets its message there.
        year, month, day = value[:4], value[5:7], value[8:]
        if year.isdigit() and month.isdigit() and day.isdigit():
            try:
                return date(int(year), int(month), int(day))
            except ValueError:
                pass
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 200000 and float(value).is_integer():
            return EXCEL_EPOCH + timedelta(days=int(value))
        value = clean_text(value)
    text = clean_text(value).split(" ")[0]
    if not text:
        return None
    if re.fullmatch(r"\d{5}", text):
        return EXCEL_EPOCH + timedelta(days=int(text))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(f"无法识别的日期“{text}”,请写成 2025-02-28 这样的格式")


TRUE_WORDS = {"是", "√", "✓", "✔", "y", "yes", "true", "1", "符合", "有", "在营", "对"}
FALSE_WORDS = {"否", "×", "✗", "✘", "x", "n", "no", "false", "0", "不符合", "无", "不"}


def parse_bool(value: Any) -> bool | None:
    if value.__class__ is str:  # the words are normalized already: most cells are one of them
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
    text = clean_text(value).lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"“{text}”应填“是”或“否”")


def choice_parser(
    choices: Iterable[tuple[str, str]],
    synonyms: dict[str, str] | None = None,
    suffixes: tuple[str, ...] = (),
) -> Callable[[Any], str | None]:
    """A parser mapping a label (or its value, or a synonym) to the stored value.

    `suffixes` are stripped before matching, e.g. 微型企业 → 微型 with suffixes=("企业",).
    """
    table: dict[str, str] = {}
    labels = []
    words = []
    for stored, label in choices:
        table[header_key(label)] = stored
        table[header_key(stored)] = stored
        labels.append(str(label))
        words += [str(label), str(stored)]
    for word, stored in (synonyms or {}).items():
        table[header_key(word)] = stored
    # The labels and values as written here map as their keys do, without computing the key.
    exact = {word: table[header_key(word)] for word in words}

    def parse(value: Any) -> str | None:
        if value.__class__ is str and value in exact:  # most cells: a label as offered
            return exact[value]
        text = clean_text(value)
        if not text:
            return None
        key = header_key(text)
        if key not in table:
            for suffix in suffixes:
                if key.endswith(suffix) and key[: -len(suffix)] in table:
                    return table[key[: -len(suffix)]]
            raise CellError(f"“{text}”不是可选值({'、'.join(labels)})")
        return table[key]

    return parse


# ---------------------------------------------------------------- reading files


# ---------------------------------------------------------------- bounds, before reading

DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')
SHEET_DATA = re.compile(rb"<(\w+:)?sheetData[\s>]")


def _first_sheet(book: zipfile.ZipFile) -> str | None:
    """The part name of the workbook's first sheet (the one imports read)."""
    try:
        workbook = book.read("xl/workbook.xml")
        rels = book.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    sheet = re.search(rb"<(?:\w+:)?sheet\b[^>]*\br:id=\"([^\"]+)\"", workbook)
    if not sheet:
        return None
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        if b'Id="' + sheet.group(1) + b'"' in tag:
            target = re.search(rb'Target="([^"]+)"', tag).group(1).decode()
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _sheet_rows(book: zipfile.ZipFile, name: str) -> int:
    """Rows of a sheet part: its <dimension> when present, else its <row> tags counted while
    streaming (memory stays at one chunk; bytes.count, not a regex, so 1M rows take a second)."""
    with book.open(name) as stream:
        head = stream.read(65536)
        found = DIMENSION.search(head)
        if found:
            return int(found.group(1))
        # The tag as this sheet spells it: <row, or <x:row under a namespace prefix.
        prefix = SHEET_DATA.search(head)
        name = b"<" + ((prefix.group(1) or b"") if prefix else b"") + b"row"
        tags = [name + end for end in (b" ", b">", b"\n", b"\r", b"\t")]
        # A tag may straddle two chunks: the last few bytes are carried over; they are too short
        # to hold a whole tag, so no tag is counted twice.
        carry = len(tags[0]) - 1
        count, buffer = 0, head
        while True:
            count += sum(buffer.count(tag) for tag in tags)
            chunk = stream.read(1 << 20)
            if not chunk:
                return count
            buffer = buffer[-carry:] + chunk


def inspect_file(source, filename: str) -> int:
    """The number of rows a file holds, found without loading it, after checking it against
    ANBIAO_IMPORT_MAX_UNPACKED_MB and ANBIAO_IMPORT_MAX_ROWS: a small .xlsx can unpack to
    gigabytes, so a workbook is measured from its zip index before any sheet is read."""
    suffix = Path(filename).suffix.lower()
    max_rows = settings.ANBIAO_IMPORT_MAX_ROWS
    too_many = "工作表有{rows}行,超过每次导入{cap}行的上限,请拆分为多个文件后分别导入"
    if suffix == ".csv":
        stream = source if hasattr(source, "read") else open(source, "rb")  # noqa: SIM115
        try:
            rows = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
        finally:
            if stream is not source:
                stream.close()
        if rows > max_rows:
            raise ImportFileError(too_many.format(rows=rows, cap=max_rows))
        return rows
    if suffix not in (".xlsx", ".xlsm", ".ods"):
        return 0  # .xls is at most 65,536 rows by format; its size limit is the upload's
    try:
        book = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError("无法读取该Excel文件(文件已损坏或不是Excel格式)") from exc
    with book:
        unpacked = sum(info.file_size for info in book.infolist())
        cap = settings.ANBIAO_IMPORT_MAX_UNPACKED_MB
        if unpacked > cap * 1024 * 1024:
            raise ImportFileError(
                f"该文件解压后约{unpacked // (1024 * 1024)}MB,超过{cap}MB的上限,"
                "请删除多余的工作表、格式或拆分为多个文件后再导入"
            )
        if suffix == ".ods":
            return 0
        sheet = _first_sheet(book)
        if sheet is None or sheet not in book.namelist():
            return 0
        rows = _sheet_rows(book, sheet)
    if rows > max_rows:
        raise ImportFileError(too_many.format(rows=rows, cap=max_rows))
    return rows


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别CSV文件的编码,请另存为UTF-8或GBK编码")


def iter_cells(source: str | Path | bytes, filename: str) -> Iterator[list[Any]]:
    """Yield each row of the first sheet as a list of cell values, starting at row 1."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportFileError(
            f"不支持的文件类型“{suffix or filename}”,请上传 .xlsx、.xls 或 .csv 文件"
        )
    data = source if isinstance(source, bytes) else None
    inspect_file(io.BytesIO(data) if data is not None else source, filename)
    if suffix == ".csv":
        if data is None:
            data = Path(source).read_bytes()
        yield from csv.reader(io.StringIO(_decode_csv(data)))
        return
    if suffix in (".xlsx", ".xlsm"):
        streamed = _streamed_rows(data if data is not None else source)
        if streamed is not None:
            yield from streamed
            return
    try:
        book = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            if data is not None
            else (CalamineWorkbook.from_path(str(source)))
        )
        if not book.sheet_names:
            raise ImportFileError("工作簿中没有工作表")
        sheet = book.get_sheet_by_index(0)
    except ImportFileError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ImportFileError(f"无法读取该Excel文件(文件已损坏或不是Excel格式):{exc}") from exc
    # calamine gives rows from row 1 but cells from the first used column: cells are padded on
    # the left so that a position is the same whichever reader read the sheet.
    first_column = sheet.start[1] if sheet.start else 0
    if not first_column:
        yield from sheet.iter_rows()
        return
    padding = [""] * first_column
    for cells in sheet.iter_rows():
        yield padding + cells


def _streamed_rows(source: str | Path | bytes) -> Iterator[list[Any]] | None:
    """The first sheet's rows read as a stream (`sheet_stream`), when its XML unpacks to more
    than ANBIAO_IMPORT_STREAM_ABOVE_MB; None for a smaller sheet, which calamine reads faster
    holding all of it."""
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(opened) as book:
            sheet = _first_sheet(book)
            if sheet is None:
                return None
            size = book.getinfo(sheet).file_size
    except (zipfile.BadZipFile, KeyError, OSError):
        return None  # calamine says what is wrong with the file
    if size <= settings.ANBIAO_IMPORT_STREAM_ABOVE_MB * 1024 * 1024:
        return None
    if isinstance(opened, io.BytesIO):
        opened.seek(0)
        return _read_stream(opened, sheet)
    # A file on disk is parsed by a child process while this one checks its rows, where a
    # second core is there to do it.
    return _read_stream(opened, sheet, aside=_cores() > 1)


def _cores() -> int:
    """The cores this process may run on (Linux: its affinity; elsewhere all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read_stream(source, sheet: str, *, aside: bool = False) -> Iterator[list[Any]]:
    try:
        yield from (stream_rows_aside if aside else stream_rows)(source, sheet)
    except SheetError as exc:
        raise ImportFileError(f"无法读取该Excel文件(文件已损坏或不是Excel格式):{exc}") from exc


class HeaderLookup:
    """Header text → column key: the exact spelling first, then its meaning (a meaning two
    columns share is left out rather than guessed), after the caller's own mapping."""

    def __init__(self, columns: list[Column], mapping: dict[str, str] | None = None):
        self.exact = {name: column.key for column in columns for name in column.names()}
        self.meaning: dict[str, str] = {}
        ambiguous: set[str] = set()
        for column in columns:
            for name in column.meanings():
                if self.meaning.get(name, column.key) != column.key:
                    ambiguous.add(name)
                self.meaning[name] = column.key
        for name in ambiguous:
            del self.meaning[name]
        keys = {column.key for column in columns}
        self.mapping = {
            header_key(header): key
            for header, key in (mapping or {}).items()
            if key == "" or key in keys
        }

    def __call__(self, cell: Any) -> str | None:
        """The column key, "" for a header the user chose to ignore, None when not understood."""
        key = header_key(cell)
        if not key:
            return None
        if key in self.mapping:
            return self.mapping[key]
        return self.exact.get(key) or self.meaning.get(meaning_key(cell))


def _find_header(
    rows: list[list[Any]], columns: list[Column], lookup: HeaderLookup
) -> tuple[int, dict[str, int]]:
    best: tuple[int, int, dict[str, int]] = (0, -1, {})
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for position, cell in enumerate(cells):
            key = lookup(cell)
            if key and key not in found:
                found[key] = position
        if len(found) > best[0]:
            best = (len(found), index, found)
    count, index, found = best
    required = [c for c in columns if c.required]
    if count < 2 or any(c.key not in found for c in required):
        missing = "、".join(c.label for c in required if c.key not in found)
        raise ImportFileError(
            f"没有找到表头行:前{HEADER_SCAN_ROWS}行中缺少必需的列“{missing}”。"
            "请使用系统提供的模板,或检查列名。"
        )
    return index, found


def _is_footer(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    if not filled:
        return False
    return filled[0].startswith(FOOTER_MARKERS) or (
        len(filled) <= 3 and any(m in " ".join(filled) for m in FOOTER_MARKERS[:5])
    )


def open_table(
    source: str | Path | bytes,
    columns: list[Column],
    filename: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Table, Iterator[ParsedRow]]:
    """Find the header of a file and return what it says (a Table without rows) and an iterator
    of its parsed rows, read as they are consumed: an import of a large file keeps one chunk of
    rows at a time (see enterprises/importers.py). Arguments as for `read_table`."""
    filename = filename or str(source)
    cells_iter = iter_cells(source, filename)
    head: list[list[Any]] = []
    for cells in cells_iter:
        head.append(list(cells))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    lookup = HeaderLookup(columns, mapping)
    header_index, positions = _find_header(head, columns, lookup)
    header_cells = head[header_index]
    found_labels = {key: clean_text(header_cells[pos]) for key, pos in positions.items()}
    used = set(positions.values())
    ignored = [
        clean_text(cell)
        for position, cell in enumerate(header_cells)
        if position not in used
        and clean_text(cell)
        and lookup(cell) != ""
        and meaning_key(cell) not in ROW_COUNTERS
    ]
    missing_scope = [c.label for c in columns if c.decides_scope and c.key not in positions]
    by_key = {column.key: column for column in columns}
    labels = {c.key: c.label for c in columns}

    def all_rows() -> Iterator[tuple[int, list[Any]]]:
        for index, cells in enumerate(head[header_index + 1 :], start=header_index + 2):
            yield index, cells
        for index, cells in enumerate(cells_iter, start=len(head) + 1):
            yield index, cells

    # Per column, decided once: its key, position, parser and whether it is required.
    plan = [
        (key, pos, by_key[key].parse, by_key[key].required, by_key[key].label)
        for key, pos in positions.items()
    ]

    keys = [key for key, *_ in plan]
    places = [pos for _, pos, *_ in plan]
    # A row that reaches the last column read (every calamine row) is picked in C.
    reach = max(places, default=0) + 1
    picked = itemgetter(*places) if len(places) > 1 else None
    pairs = list(zip(keys, places, strict=True))

    def parsed() -> Iterator[ParsedRow]:
        for number, cells in all_rows():
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number)
            width = len(cells)
            if picked is not None and width >= reach:
                raw = dict(zip(keys, picked(cells), strict=True))
            else:
                raw = {key: (cells[pos] if pos < width else None) for key, pos in pairs}
            # Each cell is cleaned once: the text decides whether the row is blank or a footer and
            # is the value of a column without a parser (a parser is given the cell as it was read).
            texts = list(map(clean_text, raw.values()))
            if not any(texts):
                continue
            if _is_footer(texts):
                continue
            row = ParsedRow(number=number, values={}, raw=raw, labels=labels)
            values = row.values
            for (key, _, parse, required, label), value, text in zip(
                plan, raw.values(), texts, strict=True
            ):
                if parse is None:
                    parsed = text
                else:
                    try:
                        parsed = parse(value)
                    except CellError as exc:
                        row.error(key, str(exc))
                        continue
                if required and (parsed is None or parsed == ""):
                    row.error(key, f"{label}不能为空")
                values[key] = parsed
            yield row

    table = Table(
        rows=[],
        header_row=header_index + 1,
        columns=found_labels,
        ignored=ignored,
        missing_scope=missing_scope,
    )
    return table, parsed()


def read_table(
    source: str | Path | bytes,
    columns: list[Column],
    filename: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Table:
    """Read and parse a whole file. Cell parse errors are recorded on the rows, not raised.

    `mapping` maps header texts the reader does not understand to a column key ("" = ignore);
    `progress(rows_read)` is called every few thousand rows."""
    table, rows = open_table(source, columns, filename, mapping, progress)
    table.rows = list(rows)
    return table


class SeenCodes:
    """The values of one column seen so far in a file checked in chunks (USCCs) and the row
    first giving each, for "与第N行重复" across chunks. A dict of a province's 1M USCCs holds
    ~130 MB of Python objects; these are kept in a private SQLite database in a temporary file
    (its page cache is a few MB), asked once a chunk. Values must be str or int."""

    def __init__(self) -> None:
        # "" opens a private temporary database on disk, removed when it is closed.
        self.db = sqlite3.connect("")
        self.db.execute("CREATE TABLE seen (value PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def first_rows(self, values: Iterable) -> dict[Any, int]:
        """Value → the row that first gave it, for those of `values` seen before."""
        values = list(values)
        found: dict[Any, int] = {}
        for start in range(0, len(values), 500):  # SQLite: at most 999 parameters
            chunk = values[start : start + 500]
            marks = ", ".join(["?"] * len(chunk))
            found.update(
                self.db.execute(f"SELECT value, row FROM seen WHERE value IN ({marks})", chunk)  # noqa: S608
            )
        return found

    def add(self, rows: dict[Any, int]) -> None:
        """Remember these values and their first rows."""
        self.db.executemany("INSERT INTO seen VALUES (?, ?)", rows.items())


def mark_duplicates(
    rows: list[ParsedRow],
    key: str,
    label: str,
    first_seen: dict[Any, int] | SeenCodes | None = None,
) -> None:
    """Report a value (e.g. a USCC) repeated inside the file, naming the first row that has it.
    A file checked in chunks passes the same `first_seen` (value → row number, or the values
    of the chunks before in a `SeenCodes`) for every one."""
    if isinstance(first_seen, SeenCodes):
        earlier = first_seen.first_rows({row.values.get(key) for row in rows} - {None, ""})
        seen = dict(earlier)
        _mark_duplicates(rows, key, label, seen)
        first_seen.add({value: row for value, row in seen.items() if value not in earlier})
        return
    _mark_duplicates(rows, key, label, {} if first_seen is None else first_seen)


def _mark_duplicates(rows: list[ParsedRow], key: str, label: str, first_seen: dict) -> None:
    for row in rows:
        value = row.values.get(key)
        if not value:
            continue
        if value in first_seen:
            row.error(key, f"{label}与第{first_seen[value]}行重复")
        else:
            first_seen[value] = row.number
