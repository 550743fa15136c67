"""The import check's "figures already filed would change" notice: `python bench/filed_notice.py
20000`.

For each size N: import a ledger of N enterprises, file the 民安 station's figures as of 30 June
and 30 September 2025 (two standing filings), then check a ledger file that re-imports all N
with other sizes, industries and eligibility for many (another seed) plus N/10 new enterprises,
back-dated to 1 May 2025 — the worst case for the notice: every enterprise of the registry is
touched. Times, in the same run:
- the floor: the check alone (the ledger dry run, compared in memory), no notice;
- the notice now: the same check observed (core/imports/preview.py), then `notices()`;
- the notice as it was: the check, then the import run for real in a transaction rolled back,
  with the filings' figures computed before and inside it.
Prints wall and CPU seconds, the ratio to the floor, the transactions opened and the longest
(on SQLite how long others' writes could wait), and whether the two notices are the same.
SQLite by default; `DATABASE_URL=postgres://…/NAME` measures PostgreSQL.
"""

import os
import sys
import time
from datetime import date

from _setup import Transactions, django_with_fresh_database, write_ledger

EFFECTIVE = date(2025, 5, 1)


def main(sizes: list[int]) -> None:
    workdir = django_with_fresh_database()
    from django.db import connection, transaction

    from anbiao.accounts.choices import Role
    from anbiao.accounts.models import Region, User
    from anbiao.campaigns.models import Campaign
    from anbiao.core.imports import preview
    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.models import Enterprise
    from anbiao.filings import services
    from anbiao.filings.changes import FiledFigures, filed_values, preview_notice
    from anbiao.filings.models import Filing

    minan = Region.objects.get(code="350213007")
    officer, _ = User.objects.get_or_create(
        username="bench", defaults={"role": Role.STATION, "region": minan}
    )
    campaign = Campaign.objects.get(slug="minan-2025")
    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'firms':>7} {'rows':>7} {'how':<22} {'wall s':>7} {'cpu s':>7} {'× floor':>8} "
        f"{'cpu ×':>6} {'tx':>5} {'max tx s':>8}"
    )
    for size in sizes:
        Filing.objects.all().delete()
        Enterprise.objects.all().delete()
        registry = workdir / f"ledger-{size}.xlsx"
        write_ledger(registry, size)
        import_ledger(registry, user=None, effective_on=date(2025, 2, 28))
        filings = [
            services.filing_submit(actor=officer, campaign=campaign, as_of=on)
            for on in (date(2025, 6, 30), date(2025, 9, 30))
        ]
        path = workdir / f"again-{size}.xlsx"
        rows = size + size // 10
        write_ledger(path, rows, seed=8)

        def check(path=path):
            return import_ledger(path, user=officer, dry_run=True, effective_on=EFFECTIVE)

        def now(filings=filings) -> list[str]:
            observer = FiledFigures(filings)
            with preview.observing([observer]):
                check()
            return observer.notices()

        def before(path=path, filings=filings) -> list[str]:
            check()
            was = {f.pk: filed_values(f) for f in filings}
            with transaction.atomic():
                import_ledger(path, user=officer, effective_on=EFFECTIVE)
                after = {f.pk: filed_values(f) for f in filings}
                transaction.set_rollback(True)
            return [n for f in filings if (n := preview_notice(f, was[f.pk], after[f.pk]))]

        results = {}
        floor = None
        for how, run in (
            ("floor: check alone", check),
            ("notice now", now),
            ("notice before", before),
        ):
            start, cpu = time.perf_counter(), time.process_time()
            with Transactions(connection) as tx:
                results[how] = run()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            floor = floor or (wall, cpu)
            print(
                f"{size:>7} {rows:>7} {how:<22} {wall:>7.1f} {cpu:>7.1f} {wall / floor[0]:>8.2f} "
                f"{cpu / floor[1]:>6.2f} {tx.count:>5} {tx.longest:>8.2f}"
            )
        same = results["notice now"] == results["notice before"]
        print(f"notices the same: {same}; {len(results['notice now'])} filings would change")
        for line in results["notice now"]:
            print("  ", line[:160])
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000])
