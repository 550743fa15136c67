"""Ledger import throughput: `python bench/ledger_import.py 10000 100000`.

For each size: write a workbook, time reading it with calamine (the floor), then time a real
import into an empty database, and print seconds, rows/s and the ratio to the floor.
"""

import sys
import time

from _setup import django_with_fresh_database, write_ledger


def main(sizes: list[int]) -> None:
    workdir = django_with_fresh_database()
    from django.db import connection
    from django.utils import timezone
    from python_calamine import CalamineWorkbook

    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.models import Enterprise, EnterpriseFact

    print(f"database: {connection.vendor}")
    print(f"{'rows':>8} {'read s':>8} {'import s':>9} {'rows/s':>8} {'× floor':>8}  budget")
    for size in sizes:
        Enterprise.objects.all().delete()
        EnterpriseFact.objects.all().delete()
        path = workdir / f"ledger-{size}.xlsx"
        write_ledger(path, size)
        start = time.perf_counter()
        rows = sum(
            1 for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
        )
        floor = time.perf_counter() - start
        start = time.perf_counter()
        outcome = import_ledger(path, user=None, effective_on=timezone.localdate())
        seconds = time.perf_counter() - start
        assert outcome.created == size and not outcome.errors, outcome.errors[:3]
        ratio = seconds / floor
        verdict = "ok" if (size < 100_000 or seconds < 60) and ratio <= 4 else "OVER"
        print(
            f"{size:>8} {floor:>8.2f} {seconds:>9.2f} {size / seconds:>8.0f} {ratio:>8.1f}  "
            f"{verdict} ({rows} sheet rows)"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])
