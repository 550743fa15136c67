"""Refusing an oversized workbook: a 1M-row .xlsx is measured from its zip index (and, when it
has no index, by counting its rows while streaming) and refused before any cell is read. Prints,
for each case, the file size, the unpacked size, the seconds to refuse, the peak Python memory
of the refusal (tracemalloc) and the process's resident memory (VmRSS) before and after, so
"memory stays flat" is a figure.

    .venv/bin/python bench/import_bounds.py [ROWS]        # default 1,000,000

The workbooks are written directly as sheet XML (what Excel writes, inline strings), streamed
through the zip writer, so a 1M-row file takes a minute rather than the hour xlsxwriter needs:
1. a ledger-like sheet of 14 cells a row (repeated text, compressing like the probe's 12.8 MB
   file), with its <dimension> (as Excel writes it): ~2 GB unpacked, refused by the
   unpacked-size cap from the zip index;
2. the same without <dimension>: refused the same way;
3. a narrow sheet (2 cells a row) without <dimension>, under the unpacked cap: its rows are
   counted while streaming and it is refused by the row cap.

Budget: refused in < 1 s from the index, memory < 10 MiB and flat in the row count.
"""

import os
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import PARTS, ROOT  # noqa: E402

# Mostly the same text on every row, as a padded or copied-down sheet has: it compresses ~60×,
# so 1M rows fit under the upload limit (the probe's file: 12.8 MB, 2.1 GB unpacked).
LEDGER_CELLS = [
    "1",
    "厦门市翔安区民安街道某某机械制造有限公司",
    "91350213MA2EXAMPLT",
    "民安街道",
    "厦门市翔安区民安街道测试路一号 " * 40,
    "机械",
    "小型",
    "36",
    "张三",
    "13800000000",
    "2025-02-28",
    "是",
    "",
    "粉尘涉爆",
]
NARROW_CELLS = ["{n}", "{n}号"]
COLUMNS = "ABCDEFGHIJKLMN"


def write_sheet(path: Path, rows: int, cells: list[str], *, dimension: bool) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, text in PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            head = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            head += 'openxmlformats.org/spreadsheetml/2006/main">'
            if dimension:
                head += f'<dimension ref="A1:{COLUMNS[len(cells) - 1]}{rows}"/>'
            sheet.write((head + "<sheetData>").encode())
            chunk = []
            for r in range(1, rows + 1):
                # Cells without their optional r="A1" (a cell's column is its position).
                row = "".join(
                    f'<c t="inlineStr"><is><t>{c.format(n=r)}</t></is></c>' for c in cells
                )
                chunk.append(f'<row r="{r}">{row}</row>')
                if len(chunk) == 5000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def refuse(path: Path) -> None:
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anbiao.core.imports.jobs import check_upload

    with zipfile.ZipFile(path) as book:
        unpacked = sum(info.file_size for info in book.infolist())
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    rss_before = rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        rows = check_upload(upload)
        verdict = f"ACCEPTED ({rows} rows)"
    except ValidationError as exc:
        verdict = "refused: " + "".join(exc.message_dict["file"])
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = rss_mib()
    print(
        f"  file {path.stat().st_size / 2**20:.1f} MiB, unpacked {unpacked / 2**20:,.0f} MiB\n"
        f"  {verdict}\n"
        f"  {seconds:.3f} s, Python peak {peak / 2**20:.2f} MiB, "
        f"RSS {rss_before:.0f} → {rss_after:.0f} MiB"
    )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ANBIAO_VAR_DIR", tempfile.mkdtemp(prefix="anbiao-bench-"))
    os.environ.setdefault("ANBIAO_DEV", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, caps: "
        f"{settings.ANBIAO_IMPORT_MAX_UNPACKED_MB} MB unpacked, "
        f"{settings.ANBIAO_IMPORT_MAX_ROWS:,} rows"
    )
    workdir = Path(tempfile.mkdtemp(prefix="anbiao-bench-"))
    cases = [
        ("ledger-like, with <dimension>", LEDGER_CELLS, True),
        ("ledger-like, no <dimension>", LEDGER_CELLS, False),
        ("narrow, no <dimension> (rows counted while streaming)", NARROW_CELLS, False),
    ]
    for label, cells, dimension in cases:
        path = workdir / "oversized.xlsx"
        started = time.perf_counter()
        write_sheet(path, rows + 1, cells, dimension=dimension)
        print(f"{rows + 1:,} rows, {label} (written in {time.perf_counter() - started:.0f} s)")
        refuse(path)
        path.unlink()


if __name__ == "__main__":
    main()
