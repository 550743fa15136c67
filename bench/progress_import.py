"""Progress history import throughput: `python bench/progress_import.py 2000 10000`.

For each size N: import a ledger of N enterprises, then a progress workbook with their history
(every enterprise 启动创建 and 完成自评; every fourth also 申请评审, 评审通过, 取得证书: 2.75 rows
per enterprise), and time the check (a dry run: replayed in memory, it opens no transaction) and
the import (written in batches of ANBIAO_IMPORT_WRITE_BATCH_ROWS, each its own transaction).
Prints rows/s (budget, issue 13: ≥ 5,000), the longest transaction of the check and of the
import (what other writers may wait behind), and the import's rows per second of this
process's CPU time — on a shared machine the wall clock also counts other programs' turns.
SQLite by default; `DATABASE_URL=postgres://…/NAME` measures PostgreSQL (NAME is dropped).
"""

import sys
import time
from datetime import date

from _setup import Transactions, django_with_fresh_database, write_ledger


def write_progress(path, usccs: list[str]) -> int:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["统一社会信用代码", "事项", "日期", "等级", "证书编号", "得分"])
    rows = 0
    for n, uscc in enumerate(usccs):
        steps = [("启动创建", "2024-01-10", "", "", ""), ("完成自评", "2024-03-01", "", "", 72)]
        if n % 4 == 0:
            steps += [
                ("申请评审", "2024-04-01", "", "", ""),
                ("评审通过", "2024-05-01", "小微达标", "", 85),
                ("取得证书", "2024-05-20", "", f"BENCH-{n:07d}", ""),
            ]
        for step in steps:
            rows += 1
            sheet.write_row(rows, 0, [uscc, *step])
    book.close()
    return rows


def main(sizes: list[int]) -> None:
    workdir = django_with_fresh_database()
    from django.db import connection

    from anbiao.cases.importers import import_progress
    from anbiao.cases.models import Case, CaseEvent, Certificate
    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.models import Enterprise

    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"{'firms':>7} {'rows':>7} {'check s':>8} {'rows/s':>7} {'max tx s':>8} "
        f"{'import s':>9} {'rows/s':>7} {'max tx s':>8} {'rows/cpu-s':>10}  budget ≥ 5,000 rows/s"
    )
    for size in sizes:
        for model in (Certificate, CaseEvent, Case):  # each size starts without history
            model.objects.all().delete()
        ledger = workdir / f"ledger-{size}.xlsx"
        write_ledger(ledger, size)
        import_ledger(ledger, user=None, effective_on=date(2024, 1, 1))
        usccs = list(Enterprise.objects.order_by("pk").values_list("uscc", flat=True)[:size])
        path = workdir / f"progress-{size}.xlsx"
        rows = write_progress(path, usccs)
        start = time.perf_counter()
        with Transactions(connection) as longest:
            check = import_progress(path, user=None, dry_run=True)
        checking = time.perf_counter() - start
        assert check.created == rows and not check.errors, check.errors[:3]
        start, cpu = time.perf_counter(), time.process_time()
        with Transactions(connection) as writing:
            outcome = import_progress(path, user=None)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert outcome.created == rows and outcome.written, outcome.errors[:3]
        print(
            f"{size:>7} {rows:>7} {checking:>8.1f} {rows / checking:>7.0f} "
            f"{longest.longest:>8.2f} {seconds:>9.1f} {rows / seconds:>7.0f} "
            f"{writing.longest:>8.2f} {rows / cpu:>10.0f}  "
            f"{'ok' if rows / seconds >= 5000 else 'OVER'}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000])
