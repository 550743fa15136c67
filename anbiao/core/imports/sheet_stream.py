"""A streaming reader for the first sheet of an .xlsx workbook: the rows are parsed from the
compressed sheet part as they are asked for, so resident memory stays flat however many rows the
sheet has (python-calamine 0.9.1 loads the whole sheet first: ~1.5 GB at a million ledger rows).

It gives the cell values python-calamine gives, decoded the same way (see calamine's
`xlsx/cells_reader.rs` and `formats.rs`, python-calamine's `types/cell.rs`): shared and inline
strings (rich-text runs joined, phonetic runs left out, text trimmed unless `xml:space` says
preserve), numbers as `float`, booleans, errors and formulas without a cached value as "", and
numbers whose format is a date as `date`, `datetime`, `time` or `timedelta` — whole numbers are
dates, numbers below 1 times, `[h]`-style formats durations, serials below 60 are a day later
(Excel counts a 29 February 1900 that never was) and a 1904 workbook counts from 1904-01-01.

What differs is only the shape of a row: each row is given from column A and from row 1 (empty
rows in between as []), and ends at its last non-empty cell, where calamine pads every row to
the width of the sheet. `reader.iter_cells` pads calamine's rows the same way on the left.

Shared strings are held in memory as calamine holds them, unless their part unpacks to more
than SPILL_STRINGS_ABOVE: then in a temporary file (`SpilledStrings`), 8 bytes each in memory.

`stream_rows_aside` gives the same rows parsed by a child process (this module run as a script),
so that on a machine with two cores the parsing overlaps the caller's work on the rows.
"""

import os
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from math import floor
from typing import IO, Any

from lxml import etree

EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - Excel times carry no zone
DAYS_1900_TO_1904 = 1462
MS_PER_DAY = 86_400_000
DIGITS = "0123456789"
WHITESPACE = " \t\r\n\x0b\x0c"
# Built-in number formats that calamine reads as dates/times (14–22, 45, 47) and as a duration (46).
BUILTIN_DATES = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
BUILTIN_DURATIONS = {46}
OTHER, DATETIME, DURATION = 0, 1, 2
# A sharedStrings part larger than this is kept on disk (SpilledStrings), not as Python strings.
SPILL_STRINGS_ABOVE = 16 * 1024 * 1024
# Rows a child process sends at a time (stream_rows_aside): ~200 KB pickled for a ledger.
ASIDE_CHUNK_ROWS = 1000
# The directory holding the anbiao package: the child imports this module from it.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # ST_Xstring: _x000D_ is a carriage return


class SheetError(ValueError):
    """The sheet cannot be read: a part is missing or a cell holds what its type cannot."""


def number_format_kind(code: str) -> int:
    """Whether a custom number format shows a date/time, a duration ([h]:mm) or neither: calamine's
    `detect_custom_number_format`, character by character (quoted text, escapes, fills, width
    skips and bracketed parts such as colours or locales do not count; only the first section)."""
    escaped = quoted = ampm = False
    brackets = 0
    previous = " "
    elapsed = False
    for char in code:
        if escaped:
            escaped = False
        elif char in "_\\*":
            escaped = True
        elif quoted:
            if char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ";":
            return OTHER
        elif char == "[":
            brackets += 1
        elif char == "]" and brackets == 1 and elapsed:
            return DURATION
        elif char == "]":
            brackets = max(brackets - 1, 0)
        elif char in "aA" and not ampm and brackets == 0:
            ampm = True
        elif char in "pm/PM" and ampm and brackets == 0:
            return DATETIME
        elif char in "dmhysDMHYS" and not ampm and brackets == 0:
            return DATETIME
        elif not (elapsed and char.lower() == previous.lower()):
            elapsed = previous == "[" and char in "mhsMHS"
        previous = char
    return OTHER


def _round_half_away(value: float) -> int:
    """Rust's f64::round, which the millisecond count goes through (Python's round is to even)."""
    return floor(value + 0.5) if value >= 0 else -floor(-value + 0.5)


def excel_datetime(value: float, kind: int, is_1904: bool) -> Any:
    """A date-formatted number as python-calamine gives it; the number itself if out of range."""
    if kind == DURATION:
        return timedelta(milliseconds=_round_half_away(value * MS_PER_DAY))
    days = value + DAYS_1900_TO_1904 if is_1904 else value
    if days < 60:
        days += 1  # serials before Excel's 29 February 1900 are a day behind
    try:
        moment = EPOCH + timedelta(milliseconds=_round_half_away(days * MS_PER_DAY))
    except OverflowError:
        return value
    if value < 1.0:
        return moment.time()
    if value == float(int(value)):
        return moment.date()
    return moment


def _iso_datetime(text: str) -> Any:
    """A `t="d"` cell (ISO 8601 text), as python-calamine reads it."""
    try:
        if "T" in text:
            return datetime.fromisoformat(text)
        if ":" in text:
            return time.fromisoformat(text)
        return date.fromisoformat(text)
    except ValueError:
        return text


def _unescape(text: str) -> str:
    return ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(element: Any) -> str | None:
    """The text of an <si> or <is>: its <t>, or its rich-text runs' <t> joined; phonetic runs
    (<rPh>) are left out; a <t> without xml:space="preserve" loses outer ASCII whitespace."""
    parts: list[str] | None = None
    for t in element.iter("{*}t"):
        if _local(t.getparent().tag) == "rPh":
            continue
        value = t.text or ""
        if t.get("{http://www.w3.org/XML/1998/namespace}space") != "preserve":
            value = value.strip(" \t\r\n")
        if parts is None:
            parts = []
        parts.append(_unescape(value))
    return "".join(parts) if parts is not None else ""


def _parse(stream: IO[bytes], tag: str) -> Iterator[Any]:
    """Each element named `tag` (any namespace) of an XML part, freed once the caller is done."""
    events = etree.iterparse(
        stream, events=("end",), tag=f"{{*}}{tag}", resolve_entities=False, huge_tree=True
    )
    for _, element in events:
        yield element
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


class SpilledStrings:
    """A large shared-strings table kept in a temporary file, not in memory: Excel saves a
    1M-row ledger's names, codes and addresses as millions of shared strings (~100 B each as
    Python objects); here each costs 8 bytes of offset and is read back when a cell asks."""

    def __init__(self, texts: Iterator[str]):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the reader
        self.offsets = array("q", [0])
        chunk: list[bytes] = []
        size = 0
        for text in texts:
            data = text.encode()
            chunk.append(data)
            size += len(data)
            self.offsets.append(self.offsets[-1] + len(data))
            if size > 1 << 20:
                self.file.write(b"".join(chunk))
                chunk, size = [], 0
        self.file.write(b"".join(chunk))
        self.file.flush()
        self.fd = self.file.fileno()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, position: int) -> str:
        start = self.offsets[position]
        return os.pread(self.fd, self.offsets[position + 1] - start, start).decode()

    def close(self) -> None:
        self.file.close()


class Workbook:
    """What reading the first sheet needs from the rest of the workbook: the sheet's part name,
    the number format kind of each cell style, the shared strings and the date system."""

    def __init__(self, book: zipfile.ZipFile, sheet: str):
        self.book = book
        self.sheet = sheet
        names = set(book.namelist())
        self.is_1904 = False
        if "xl/workbook.xml" in names:
            with book.open("xl/workbook.xml") as part:
                for element in _parse(part, "workbookPr"):
                    self.is_1904 = element.get("date1904") in ("1", "true")
        self.formats: list[int] = []
        if "xl/styles.xml" in names:
            self.formats = self._formats(book)
        self.strings: list[str] | SpilledStrings = []
        if "xl/sharedStrings.xml" in names:
            with book.open("xl/sharedStrings.xml") as part:
                texts = (_text(si) for si in _parse(part, "si"))
                if book.getinfo("xl/sharedStrings.xml").file_size > SPILL_STRINGS_ABOVE:
                    self.strings = SpilledStrings(texts)
                else:
                    self.strings = list(texts)

    @staticmethod
    def _formats(book: zipfile.ZipFile) -> list[int]:
        custom: dict[str, str] = {}
        formats: list[int] = []
        with book.open("xl/styles.xml") as part:
            root = etree.parse(part, etree.XMLParser(resolve_entities=False)).getroot()
        for element in root.iter("{*}numFmt"):
            if element.get("numFmtId") is not None and element.get("formatCode") is not None:
                custom[element.get("numFmtId")] = element.get("formatCode")
        for xfs in root.iter("{*}cellXfs"):
            for xf in xfs.iter("{*}xf"):
                number = xf.get("numFmtId")
                if number is None:
                    formats.append(OTHER)
                elif number in custom:
                    formats.append(number_format_kind(custom[number]))
                elif number.isdigit() and int(number) in BUILTIN_DATES:
                    formats.append(DATETIME)
                elif number.isdigit() and int(number) in BUILTIN_DURATIONS:
                    formats.append(DURATION)
                else:
                    formats.append(OTHER)
        return formats

    def rows(self) -> Iterator[list[Any]]:
        """Each row of the sheet from row 1, as a list of values from column A; rows after the
        last one holding a value are not given (as calamine does not)."""
        columns: dict[str, int] = {}
        value_of = self._value
        number = 0  # the row last given (1-based)
        expected = 1  # the row a <row> without r="…" is
        with self.book.open(self.sheet) as part:
            for row in _parse(part, "row"):
                if not number and not expected - 1:
                    # The namespace of the sheet's elements, as its first row spells it.
                    space = row.tag[: row.tag.index("}") + 1] if "}" in row.tag else ""
                    self.v, self.inline, self.t = space + "v", space + "is", space + "t"
                at = row.get("r")
                index = int(at) if at else expected
                expected = index + 1
                cells: list[Any] = []
                column = 0
                for cell in row:
                    ref = cell.get("r")
                    if ref:
                        if ref[-1] in DIGITS and ref[1:2] in DIGITS and "A" <= ref[0] <= "Z":
                            column = ord(ref[0]) - 65  # A1 … Z9999: one letter
                        else:
                            letters = ref.rstrip(DIGITS)
                            column = columns.get(letters)
                            if column is None:
                                column = columns[letters] = _column(letters)
                    value = value_of(cell)
                    if value.__class__ is not str or value:
                        width = len(cells)
                        if column == width:
                            cells.append(value)
                        else:
                            if column > width:
                                cells.extend([""] * (column - width + 1))
                            cells[column] = value
                    column += 1
                if not cells:
                    continue
                # Empty rows in between are given only now that a filled row follows them.
                for _ in range(number + 1, index):
                    yield []
                number = max(index, number + 1)  # a row out of order is kept in file order
                yield cells

    def _value(self, cell: Any) -> Any:
        """A cell's value from its <v>, <is> or (a formula without a cached value) nothing."""
        kind = cell.get("t")
        value: Any = ""
        for child in cell:  # <f>, <v>, <is>: the last one read decides, as in calamine
            tag = child.tag
            if tag == self.v:
                text = child.text
                if text is None or kind == "inlineStr" or kind == "e":
                    value = ""
                elif kind is None or kind == "n":
                    value = self._number(cell, kind, text)
                elif kind == "s":
                    value = self._shared(text)
                elif kind == "str":
                    value = text
                elif kind == "b":
                    value = text != "0"
                elif kind == "d":
                    value = _iso_datetime(text)
                else:
                    raise SheetError(f"单元格类型“{kind}”无法识别")
            elif tag == self.inline:
                first = child[0] if len(child) == 1 else None
                if first is not None and first.tag == self.t and not first.attrib:
                    # <is><t>text</t></is>, as nearly every writer writes it
                    text = first.text or ""
                    value = _unescape(text.strip(" \t\r\n"))
                else:
                    value = _text(child)
            else:
                value = ""
        return value

    def _number(self, cell: Any, kind: str | None, text: str) -> Any:
        try:
            if "_" in text or text[0] in WHITESPACE or text[-1] in WHITESPACE:
                raise ValueError(text)  # Python's float takes these; calamine's parser does not
            number = float(text)
        except ValueError:
            if kind is None:  # no type: calamine keeps what is not a number as text
                return text
            raise SheetError(f"单元格{cell.get('r') or ''}的数值“{text}”无法识别") from None
        style = cell.get("s")
        if style is None:
            return number
        position = int(style) if style.isdigit() else 0
        form = self.formats[position] if position < len(self.formats) else OTHER
        return excel_datetime(number, form, self.is_1904) if form else number

    def _shared(self, text: str) -> str:
        position = int(text) if text.isdigit() else 0
        if position >= len(self.strings):
            raise SheetError("单元格引用的共享字符串不存在")
        return self.strings[position]


def _column(letters: str) -> int:
    """A column's letters → its index from 0 (A → 0, AB → 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number - 1


def stream_rows(source: str | IO[bytes], sheet: str) -> Iterator[list[Any]]:
    """The rows of the workbook's sheet part `sheet` (e.g. "xl/worksheets/sheet1.xml")."""
    with zipfile.ZipFile(source) as book:
        workbook = None
        try:
            workbook = Workbook(book, sheet)
            yield from workbook.rows()
        except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile) as exc:
            raise SheetError(str(exc)) from exc
        finally:
            if workbook is not None and isinstance(workbook.strings, SpilledStrings):
                workbook.strings.close()


def stream_rows_aside(path: str | os.PathLike, sheet: str) -> Iterator[list[Any]]:
    """`stream_rows(path, sheet)`, parsed in a child process.

    Parsing the XML is about a third of a large import's time (a 100k-row ledger: ~4 s of CPU).
    The child parses ahead while this process checks the rows already given; chunks of
    ASIDE_CHUNK_ROWS rows come down a pipe, pickled, so the pipe's buffer bounds what waits and
    memory stays flat on both sides. A sheet the child cannot read raises SheetError here with
    the child's message. Closing the generator early stops the child.
    """
    python_path = [PACKAGE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", __name__, os.fspath(path), sheet, str(SPILL_STRINGS_ABOVE)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(python_path)},
    )
    try:
        while True:
            try:
                kind, payload = pickle.load(child.stdout)  # noqa: S301 - our own child's rows
            except EOFError:
                raise SheetError(f"读取工作表的进程意外退出(退出码{child.wait()})") from None
            if kind == "rows":
                yield from payload
            elif kind == "error":
                raise SheetError(payload)
            else:
                child.wait()
                return
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.kill()
            child.wait()


def _send_rows(path: str, sheet: str, out: IO[bytes]) -> None:
    """The child's side of `stream_rows_aside`: the rows in chunks, then ("end", None) — or
    ("error", message) for a sheet that cannot be read."""
    chunk: list[list[Any]] = []
    try:
        for row in stream_rows(path, sheet):
            chunk.append(row)
            if len(chunk) == ASIDE_CHUNK_ROWS:
                pickle.dump(("rows", chunk), out, pickle.HIGHEST_PROTOCOL)
                chunk = []
        pickle.dump(("rows", chunk), out, pickle.HIGHEST_PROTOCOL)
        pickle.dump(("end", None), out, pickle.HIGHEST_PROTOCOL)
    except SheetError as exc:
        pickle.dump(("error", str(exc)), out, pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    # The parent passes its own spill threshold, so that the child reads as it would.
    SPILL_STRINGS_ABOVE = int(sys.argv[3])
    try:
        _send_rows(sys.argv[1], sys.argv[2], sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        os._exit(1)  # the parent stopped reading: nothing to say to anyone
