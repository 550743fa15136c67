"""The shared spreadsheet import engine: read .xlsx/.xls/.csv the way people actually fill them,
map columns by their Chinese headers, parse and validate every row, and report each problem with
the row number the user sees in Excel.

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

Reading: the header row is found among the first rows (title lines, a 填报单位 line and merged cells
above it are skipped); blank rows and footer lines (填表人/审核人/合计…) are skipped; CSV is read as
UTF-8 (with or without BOM) or GB18030/GBK. Excel dates, and numbers stored as text or as numbers,
are both accepted; a phone number stored as a number stays a digit string.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

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

    def names(self) -> set[str]:
        return {header_key(self.label), *(header_key(a) for a in self.aliases)}


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

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.labels.get(key, key), message))

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class Table:
    rows: list[ParsedRow]
    header_row: int
    columns: dict[str, str]  # key → header text found in the file

    @property
    def errors(self) -> list[RowError]:
        return [e for row in self.rows for e in row.errors]


# ---------------------------------------------------------------- cell normalization and parsers


def clean_text(value: Any) -> str:
    """Cell → trimmed text; whole-number floats lose their ".0" (phone numbers, codes)."""
    if value is None:
        return ""
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
    for stored, label in choices:
        table[header_key(label)] = stored
        table[header_key(stored)] = stored
        labels.append(str(label))
    for word, stored in (synonyms or {}).items():
        table[header_key(word)] = stored

    def parse(value: Any) -> str | None:
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
    if suffix == ".csv":
        if data is None:
            data = Path(source).read_bytes()
        yield from csv.reader(io.StringIO(_decode_csv(data)))
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
    # Rows above the first used row are not reported by calamine; pad so numbers match Excel.
    first_row = sheet.start[0] if sheet.start else 0
    for _ in range(first_row):
        yield []
    yield from sheet.iter_rows()


def _find_header(rows: list[list[Any]], columns: list[Column]) -> tuple[int, dict[str, int]]:
    best: tuple[int, int, dict[str, int]] = (0, -1, {})
    lookup = {name: column.key for column in columns for name in column.names()}
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for position, cell in enumerate(cells):
            key = lookup.get(header_key(cell))
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
    return any(filled[0].startswith(marker) for marker in FOOTER_MARKERS) or (
        len(filled) <= 3 and any(m in " ".join(filled) for m in FOOTER_MARKERS[:5])
    )


def read_table(
    source: str | Path | bytes, columns: list[Column], filename: str | None = None
) -> Table:
    """Read and parse a whole file. Cell parse errors are recorded on the rows, not raised."""
    filename = filename or str(source)
    cells_iter = iter_cells(source, filename)
    head: list[list[Any]] = []
    for cells in cells_iter:
        head.append(list(cells))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    header_index, positions = _find_header(head, columns)
    header_cells = head[header_index]
    found_labels = {key: clean_text(header_cells[pos]) for key, pos in positions.items()}
    by_key = {column.key: column for column in columns}
    labels = {c.key: c.label for c in columns}
    rows: list[ParsedRow] = []

    def all_rows() -> Iterator[tuple[int, list[Any]]]:
        for index, cells in enumerate(head[header_index + 1 :], start=header_index + 2):
            yield index, cells
        for index, cells in enumerate(cells_iter, start=len(head) + 1):
            yield index, cells

    for number, cells in all_rows():
        raw = {key: (cells[pos] if pos < len(cells) else None) for key, pos in positions.items()}
        texts = [clean_text(raw[key]) for key in positions]
        if not any(texts):
            continue
        if _is_footer(texts):
            continue
        row = ParsedRow(number=number, values={}, raw=raw, labels=labels)
        for key, value in raw.items():
            column = by_key[key]
            try:
                parsed = column.parse(value) if column.parse else clean_text(value)
            except CellError as exc:
                row.error(key, str(exc))
                continue
            if column.required and parsed in (None, ""):
                row.error(key, f"{column.label}不能为空")
            row.values[key] = parsed
        rows.append(row)
    return Table(rows=rows, header_row=header_index + 1, columns=found_labels)


def mark_duplicates(rows: list[ParsedRow], key: str, label: str) -> None:
    """Report a value (e.g. a USCC) repeated inside the file, naming the first row that has it."""
    first_seen: dict[Any, int] = {}
    for row in rows:
        value = row.values.get(key)
        if not value:
            continue
        if value in first_seen:
            row.error(key, f"{label}与第{first_seen[value]}行重复")
        else:
            first_seen[value] = row.number
