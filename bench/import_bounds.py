"""Refusing an oversized workbook: a ~13 MB .xlsx whose sheet unpacks to ~2 GB and 1M rows is
measured from its zip index and refused before any cell is read. Prints the file size, the
unpacked size, the seconds to refuse and the peak memory of the refusal (tracemalloc, and the
process's maximum resident size before and after), so the claim "memory stays flat" is a figure.

    .venv/bin/python bench/import_bounds.py [ROWS]        # default 1,000,000

Budget: refused in < 1 s with < 10 MiB of Python memory, whatever the row count.
"""

import os
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, write_ledger  # noqa: E402


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ANBIAO_VAR_DIR", tempfile.mkdtemp(prefix="anbiao-bench-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anbiao.core.imports.jobs import check_upload

    path = Path(tempfile.mkdtemp(prefix="anbiao-bench-")) / "oversized.xlsx"
    started = time.perf_counter()
    write_ledger(path, rows)
    print(f"wrote {rows:,} rows in {time.perf_counter() - started:.0f} s")
    with zipfile.ZipFile(path) as book:
        unpacked = sum(info.file_size for info in book.infolist())
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    try:
        check_upload(upload)
        verdict = "ACCEPTED (not refused)"
    except ValidationError as exc:
        verdict = "refused: " + "".join(exc.message_dict["file"])
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"file {path.stat().st_size / 2**20:.1f} MiB, unpacked {unpacked / 2**20:.0f} MiB")
    print(f"{verdict}")
    print(
        f"refusal: {seconds:.3f} s, Python peak {peak / 2**20:.2f} MiB, "
        f"max RSS {rss_before / 1024:.0f} → {rss_after / 1024:.0f} MiB"
    )
    ok = seconds < 1 and peak < 10 * 2**20 and verdict.startswith("refused")
    print("within budget" if ok else "OVER BUDGET")


if __name__ == "__main__":
    main()
