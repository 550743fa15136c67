"""The ledger import at province scale: `python bench/ledger_million.py 1000000 [--memory]`.

Writes a ledger workbook of ROWS enterprises (the cells of `ledger_import.py`'s, written directly
as sheet XML so that 1M rows take a minute or two), imports it into an empty database and prints
the seconds (wall and this process's CPU), rows/s, the longest write transaction and the peak
resident memory (VmHWM); with `--memory` also the tracemalloc peak of Python memory (which slows
the run). A 1M-row ledger is over the default caps (1,000,000 rows counting its title and header
rows; ~700 MB unpacked), so the run raises `ANBIAO_IMPORT_MAX_ROWS` and
`ANBIAO_IMPORT_MAX_UNPACKED_MB` as an operator importing a province's ledger would.
SQLite by default; `DATABASE_URL=postgres://…/NAME` measures PostgreSQL (NAME is dropped).

`--reader=calamine` or `--reader=stream` chooses how the sheet is read whatever its size
(`ANBIAO_IMPORT_STREAM_ABOVE_MB` set high or to 0; by default the setting decides);
`--read-only` only reads the cells of every row as the import's reader gives them
(`reader.iter_cells`), parsing and writing nothing: what the reader costs in seconds and resident
memory, without the hour a million rows take to check and write. Peak RSS is the process's, so
compare readers by running the script once per reader, one after the other; `--workbook=PATH`
writes the workbook there, or reuses it if it is there (1M rows take minutes to write).
"""

import os
import sys
import time
import tracemalloc
from itertools import chain
from pathlib import Path

from _setup import (
    LEDGER_TITLE,
    Transactions,
    django_with_fresh_database,
    ledger_header,
    ledger_rows,
    write_sheet_xml,
)


def status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(rows: int, memory: bool, reader: str, read_only: bool, workbook: str) -> None:
    if reader:
        os.environ["ANBIAO_IMPORT_STREAM_ABOVE_MB"] = "0" if reader == "stream" else "100000"
    os.environ.setdefault("ANBIAO_IMPORT_MAX_ROWS", str(rows + 10))
    os.environ.setdefault("ANBIAO_IMPORT_MAX_UNPACKED_MB", "4000")
    workdir = django_with_fresh_database()
    from django.db import connection
    from django.utils import timezone

    from anbiao.core.imports.reader import iter_cells
    from anbiao.enterprises.importers import import_ledger

    path = Path(workbook) if workbook else workdir / f"ledger-{rows}.xlsx"
    started = time.perf_counter()
    reused = path.exists()
    if not reused:
        write_sheet_xml(path, chain([[LEDGER_TITLE], ledger_header()], ledger_rows(rows)))
    print(
        f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{rows:,} rows {'reused' if reused else 'written'} "
        f"in {time.perf_counter() - started:.0f} s "
        f"({path.stat().st_size / 2**20:.0f} MiB); RSS {status_mib('VmRSS'):.0f} MiB; reader: "
        f"{reader or 'by size'} (ANBIAO_IMPORT_STREAM_ABOVE_MB "
        f"{os.environ.get('ANBIAO_IMPORT_STREAM_ABOVE_MB', 'default')}), load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    done = [0]

    def progress(count: int) -> None:
        if count < done[0]:  # the rows were read and checked; now they are written
            done[0] = 0
        if count - done[0] >= 100_000:
            done[0] = count
            print(
                f"  {time.strftime('%H:%M:%S')} {count:,} rows, RSS {status_mib('VmRSS'):.0f} MiB",
                flush=True,
            )

    if memory:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    if read_only:
        count = sum(1 for cells in iter_cells(path, path.name) if cells)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert count == rows + 2, count  # the title and header rows too
        peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB" if memory else "not traced"
        print(
            f"{rows:,} rows read: {seconds:.1f} s wall, {cpu:.1f} s CPU, "
            f"{rows / seconds:,.0f} rows/s; tracemalloc peak {peak}; peak RSS (VmHWM) "
            f"{status_mib('VmHWM'):.0f} MiB; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        return
    with Transactions(connection) as timer:
        outcome = import_ledger(
            path, user=None, effective_on=timezone.localdate(), progress=progress
        )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB" if memory else "not traced"
    assert outcome.created == rows and not outcome.errors, outcome.errors[:3]
    print(
        f"{rows:,} rows: {seconds:.1f} s wall, {cpu:.1f} s CPU, {rows / seconds:,.0f} rows/s, "
        f"in tx {timer.total:.0f} s, longest tx {timer.longest:.2f} s; "
        f"tracemalloc peak {peak}; peak RSS (VmHWM) {status_mib('VmHWM'):.0f} MiB; load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        next((int(a) for a in args if a.isdigit()), 1_000_000),
        memory="--memory" in args,
        reader=next((a.split("=", 1)[1] for a in args if a.startswith("--reader=")), ""),
        read_only="--read-only" in args,
        workbook=next((a.split("=", 1)[1] for a in args if a.startswith("--workbook=")), ""),
    )
