"""Export throughput and memory: `python bench/ledger_export.py 10000 100000`.

For each size: fill an empty database through the ledger import, then time the registry export
and the 附件3 export, and print peak Python memory (tracemalloc) — flat in the row count when
rows are streamed. The floor, measured in the same run: xlsxwriter alone (constant-memory mode,
`write_row`, one format) writing the same cells, read beforehand into a list — what any export
of these cells to .xlsx with this writer costs at least. Budget: 100k rows < 15 s (issue 13).
"""

import sys
import time
import tracemalloc

from _setup import django_with_fresh_database, write_ledger


def xlsxwriter_floor(path: str, cells: list[tuple]) -> float:
    """Seconds xlsxwriter alone takes to write `cells` (a header row, then the rows)."""
    import xlsxwriter

    from anbiao.core.excel import WORKBOOK_OPTIONS

    start = time.perf_counter()
    book = xlsxwriter.Workbook(path, WORKBOOK_OPTIONS)
    sheet = book.add_worksheet()
    fmt = book.add_format({"border": 1})
    for index, row in enumerate(cells, start=3):
        sheet.write_row(index, 0, row, fmt)
    book.close()
    return time.perf_counter() - start


def measure(label: str, size: int, write, cells) -> None:
    """Time one run and the floor, then trace the memory of a second run (tracing slows Python
    down)."""
    start = time.perf_counter()
    rows = write()
    seconds = time.perf_counter() - start
    floor = xlsxwriter_floor(write.__defaults__[0] + ".floor.xlsx", cells())
    tracemalloc.start()
    write()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    verdict = "ok" if seconds < 15 else "OVER"  # issue 13: 100k rows < 15 s
    print(
        f"{label:<10} {size:>8} {rows:>8} {seconds:>8.2f} {floor:>8.2f} {seconds / floor:>7.2f}"
        f" {peak / 2**20:>10.1f}  {verdict}"
    )


def main(sizes: list[int]) -> None:
    workdir = django_with_fresh_database()
    from django.db import connection
    from django.utils import timezone

    from anbiao.core.excel import write_table
    from anbiao.core.official_forms import write_official_form
    from anbiao.enterprises.exports import export_table
    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.ledger_export import ledger_form
    from anbiao.enterprises.models import Enterprise

    class System:
        display_name = "bench"

    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"{'export':<10} {'size':>8} {'rows':>8} {'seconds':>8} {'floor s':>8} {'× floor':>7}"
        f" {'peak MiB':>10}  budget"
    )
    loaded = 0
    for size in sizes:
        path = workdir / f"ledger-{size}.xlsx"
        write_ledger(path, size)
        import_ledger(path, user=None, effective_on=timezone.localdate())
        loaded = Enterprise.objects.count()
        qs = (
            Enterprise.objects.select_related("region", "region__parent")
            .prefetch_related("risk_tags")
            .order_by("id")
        )

        def registry(out=str(workdir / "registry.xlsx"), qs=qs):
            return write_table(out, **export_table(qs, user=System(), description=""))

        def registry_cells(qs=qs):
            return list(export_table(qs, user=System(), description="")["rows"])

        def form():
            return ledger_form(
                Enterprise.objects.all(), on=timezone.localdate(), region=None, unit="基准测试"
            )

        def attachment3(out=str(workdir / "fj3.xlsx")):
            return write_official_form(out, form())

        measure("registry", loaded, registry, registry_cells)
        measure("附件3", loaded, attachment3, lambda: list(form().rows))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])
