"""Ledger import throughput: `python bench/ledger_import.py 10000 100000`.

For each size: write a workbook, then measure in the same run
- the floor: reading it with calamine and inserting the same cells with one raw `executemany`
  into a scratch table of text columns, in one transaction (what any import must at least do);
- the check (a dry run: read, validate, compare with the ledger in memory; writes nothing);
- the import into an empty database (read, validate, write in one transaction), and the
  seconds of that run spent inside its write transaction (the time other writers wait on
  SQLite);
and print seconds, rows/s and the ratio of the import to the floor (budget: ≤ 5×).
SQLite by default; `DATABASE_URL=postgres://…/NAME` measures PostgreSQL (NAME is dropped).
"""

import sys
import time

from _setup import django_with_fresh_database, write_ledger


def floor_seconds(path) -> tuple[float, int]:
    """calamine read + raw executemany of the same cells, in one transaction."""
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (" + ", ".join(f"c{i} TEXT" for i in range(16)) + ")"
        )
    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    cells = [tuple(str(v) for v in (row + [""] * 16)[:16]) for row in rows[2:]]
    sql = "INSERT INTO bench_floor VALUES (" + ", ".join(["%s"] * 16) + ")"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, cells)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return seconds, len(cells)


class WriteTimer:
    """Seconds spent inside the import's outermost transaction (the write phase)."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.seconds = 0.0
        self.started = None

    def __call__(self, execute, sql, params, many, context):
        if self.started is None and self.connection.in_atomic_block:
            self.started = time.perf_counter()
        return execute(sql, params, many, context)

    def stop(self):
        if self.started is not None:
            self.seconds = time.perf_counter() - self.started


def main(sizes: list[int]) -> None:
    workdir = django_with_fresh_database()
    from django.db import connection
    from django.utils import timezone

    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.models import Enterprise, EnterpriseFact, LedgerSpan

    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"{'rows':>8} {'floor s':>8} {'check s':>8} {'import s':>9} {'in tx s':>8} "
        f"{'rows/s':>8} {'× floor':>8}  budget ≤ 5×"
    )
    for size in sizes:
        LedgerSpan.objects.all().delete()
        EnterpriseFact.objects.all().delete()
        Enterprise.objects.all().delete()
        path = workdir / f"ledger-{size}.xlsx"
        write_ledger(path, size)
        floor, cells = floor_seconds(path)
        assert cells == size, cells
        start = time.perf_counter()
        check = import_ledger(path, user=None, effective_on=timezone.localdate(), dry_run=True)
        checking = time.perf_counter() - start
        assert check.created == size and not check.errors, check.errors[:3]
        timer = WriteTimer()
        start = time.perf_counter()
        with connection.execute_wrapper(timer):
            outcome = import_ledger(path, user=None, effective_on=timezone.localdate())
        seconds = time.perf_counter() - start
        timer.stop()
        assert outcome.created == size and not outcome.errors, outcome.errors[:3]
        ratio = seconds / floor
        print(
            f"{size:>8} {floor:>8.2f} {checking:>8.2f} {seconds:>9.2f} {timer.seconds:>8.2f} "
            f"{size / seconds:>8.0f} {ratio:>8.1f}  {'ok' if ratio <= 5 else 'OVER'}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])
