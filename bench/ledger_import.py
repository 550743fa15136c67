"""Ledger import throughput: `python bench/ledger_import.py 10000 100000`.

For each size: write a workbook, then measure in the same run
- the floor: reading it with calamine and inserting the same cells by the fastest raw way into
  a scratch table of text columns, in one transaction (what any import must at least do):
  COPY on PostgreSQL, multi-row VALUES on the driver's connection on SQLite — as the import
  writes on each;
- the check (a dry run: read, validate, compare with the ledger in memory; writes nothing);
- the import into an empty database (read, validate, write in batches of
  `ANBIAO_IMPORT_WRITE_BATCH_ROWS`, each one transaction), the seconds spent in its transactions
  and the longest of them (on SQLite, the longest other users' writes may wait behind it);
- the schema floor: reading it with calamine and writing, by the fastest raw way, the very rows
  the import wrote (enterprises, facts, tags, change log, spans, their ids included) into the same
  tables with their indexes, in one transaction — the same reading and writing on the same
  schema, with none of the deriving (validation, pinyin keys, facts and spans) the import does
  (the dashboard's numbers raised once, as the import raises them);
and print seconds, rows/s and the ratio of the import to each floor (budget: ≤ 5×). The floors
are the best of three (schema: two) runs; "cpu ×" is the first ratio in this process's CPU
seconds, which other sessions' load on a shared machine disturbs less (on SQLite the database
work is in-process).
`--memory` then imports each size again into an emptied database under tracemalloc and prints
the peak of Python memory (flat in the row count when rows are streamed).
SQLite by default; `DATABASE_URL=postgres://…/NAME` measures PostgreSQL (NAME is dropped).
"""

import sys
import time
import tracemalloc

from _setup import Transactions, django_with_fresh_database, write_ledger


def floor_seconds(path) -> tuple[float, float, int]:
    """calamine read + raw insert of the same cells, in one transaction: the best of
    three runs, wall and CPU seconds."""
    from django.db import connection

    # SQLite: executemany and multi-row VALUES both, whichever is faster in this run.
    ways = ("copy",) if connection.vendor == "postgresql" else ("many", "values")
    runs = [_floor_once(path, way) for way in ways for _ in range(3)]
    best = [min(run) for run in zip(*runs, strict=True)]
    return best[0], best[1], int(best[2])


def _floor_once(path, way: str) -> tuple[float, float, int]:
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    from anbiao.core.bulk import old_objects_frozen

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (" + ", ".join(f"c{i} TEXT" for i in range(16)) + ")"
        )
    start, cpu = time.perf_counter(), time.process_time()
    # With the process's old objects out of the collector's way, as the import has them.
    with old_objects_frozen():
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        cells = [tuple(str(v) for v in (row + [""] * 16)[:16]) for row in rows[2:]]
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(connection, cursor, cells, way)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return seconds, cpu, len(cells)


def _insert(connection, cursor, cells: list[tuple], way: str) -> None:
    """A raw way to write the cells, on the driver's own connection or cursor: COPY on
    PostgreSQL (as the import writes there); on SQLite `executemany` or multi-row VALUES up to
    the parameter limit (as the import writes there)."""
    if way != "copy":
        _insert_values(connection, "bench_floor", cells, way)
        return
    with cursor.cursor.copy("COPY bench_floor FROM STDIN") as copy:
        for row in cells:
            copy.write_row(row)


def schema_floor_seconds(path, models) -> float:
    """calamine read + raw write of the rows the import wrote into their own tables, in one
    transaction: the best of two runs. The rows are taken from the tables (outside the time),
    the tables emptied, and each run writes them back — COPY on PostgreSQL (the text the
    database gave, no conversion), on SQLite the faster of `executemany` and multi-row VALUES;
    the dashboard's version and the enterprises' blocks raised once (`triggers.bulk_insert`),
    as the import raises them."""
    from django.db import connection

    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    enterprises = set(models[0].objects.values_list("id", flat=True))
    saved = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                    saved[table] = b"".join(bytes(block) for block in copy)
        else:
            for table in tables:
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
                saved[table] = cursor.fetchall()
    # SQLite: executemany and multi-row VALUES both, whichever is faster in this run.
    ways = ("copy",) if connection.vendor == "postgresql" else ("many", "values")
    runs = []
    for way in ways:
        for _ in range(2):
            empty(models)
            runs.append(_schema_floor_once(path, tables, saved, way, enterprises))
    return min(runs)


def _schema_floor_once(path, tables: list[str], saved: dict, way: str, enterprises) -> float:
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    from anbiao.core import triggers
    from anbiao.core.bulk import old_objects_frozen

    start = time.perf_counter()
    with old_objects_frozen():
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        assert len(rows) > 2
        # The dashboard's version and blocks raised once, as the import raises them.
        with transaction.atomic(), triggers.bulk_insert() as written, connection.cursor() as cursor:
            written |= enterprises
            for table in tables:
                if way == "copy":
                    with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                        copy.write(saved[table])
                elif saved[table]:
                    _insert_values(connection, table, saved[table], way)
    return time.perf_counter() - start


def _insert_values(connection, table: str, rows: list[tuple], way: str) -> None:
    """SQLite: `executemany`, or multi-row VALUES up to the parameter limit (as the import)."""
    raw = connection.connection
    one = "(" + ", ".join(["?"] * len(rows[0])) + ")"
    if way == "many":
        raw.executemany(f"INSERT INTO {table} VALUES {one}", rows)  # noqa: S608
        return
    per = max(1, connection.features.max_query_params // len(rows[0]))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        values = ", ".join([one] * len(chunk))
        raw.execute(f"INSERT INTO {table} VALUES {values}", [v for row in chunk for v in row])  # noqa: S608


def empty(models) -> None:
    for model in models:
        model.objects.all().delete()


def main(sizes: list[int], memory: bool = False) -> None:
    workdir = django_with_fresh_database()
    from django.db import connection
    from django.utils import timezone

    from anbiao.core.models import ChangeLog
    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.models import Enterprise, EnterpriseFact, LedgerSpan

    tables = (LedgerSpan, EnterpriseFact, ChangeLog, Enterprise.risk_tags.through, Enterprise)
    # The order the schema floor writes them in: what a row refers to first.
    written = (Enterprise, Enterprise.risk_tags.through, EnterpriseFact, ChangeLog, LedgerSpan)

    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"{'rows':>8} {'floor s':>8} {'check s':>8} {'import s':>9} {'in tx s':>8} "
        f"{'max tx s':>8} {'rows/s':>8} {'× floor':>8} {'cpu ×':>6} {'schema s':>8} "
        f"{'× schema':>8} {'peak MiB':>8}  budget ≤ 5× (floor / schema floor)"
    )
    for size in sizes:
        empty(tables)
        path = workdir / f"ledger-{size}.xlsx"
        write_ledger(path, size)
        floor, floor_cpu, cells = floor_seconds(path)
        assert cells == size, cells
        start = time.perf_counter()
        check = import_ledger(path, user=None, effective_on=timezone.localdate(), dry_run=True)
        checking = time.perf_counter() - start
        assert check.created == size and not check.errors, check.errors[:3]
        start, cpu = time.perf_counter(), time.process_time()
        with Transactions(connection) as timer:
            outcome = import_ledger(path, user=None, effective_on=timezone.localdate())
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert outcome.created == size and not outcome.errors, outcome.errors[:3]
        schema = schema_floor_seconds(path, written)
        peak = "–"
        if memory:
            empty(tables)
            tracemalloc.start()
            import_ledger(path, user=None, effective_on=timezone.localdate())
            peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}"
            tracemalloc.stop()
        ratio = seconds / floor
        print(
            f"{size:>8} {floor:>8.2f} {checking:>8.2f} {seconds:>9.2f} {timer.total:>8.2f} "
            f"{timer.longest:>8.2f} {size / seconds:>8.0f} {ratio:>8.1f} {cpu / floor_cpu:>6.1f} "
            f"{schema:>8.2f} {seconds / schema:>8.1f} {peak:>8}  "
            f"{'ok' if ratio <= 5 else 'OVER'} / {'ok' if seconds / schema <= 5 else 'OVER'}"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    main([int(a) for a in args if a.isdigit()] or [10_000], memory="--memory" in args)
