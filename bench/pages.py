"""List pages at scale: `python bench/pages.py [SIZE] [--db DIR] [--repeat N]`.

Builds a SIZE-enterprise campaign (default 100,000) — the ledger imported by the real importer
(`_setup.write_ledger`), then ledger spans, case histories, events and certificates by
bench/metrics.py's `build` — or reuses one: `--db DIR` keeps the SQLite database in DIR (and,
with DATABASE_URL set to PostgreSQL, reuses that database) and skips what it already holds.
Then requests each list page REPEAT times (default 20) in-process with Django's test `Client`,
logged in as the district officer (翔安区) and the 民安 station officer, and prints per page
p50 / p95, the process's CPU time (p50) and the number of queries, next to
the floor: the one hand-written SQL statement that fetches the same rows of that page (same
run, p50 of as many runs).

Budget (issue 13): p95 < 300 ms for every page at 100k.
"""

import argparse
import os
import random
import statistics
import time
from datetime import date
from pathlib import Path

# An offset deep in the list: page 2,000 of 20 rows.
LATER_PAGE = 2000

ENTERPRISE_ROW = """
SELECT e.id, e.name, e.uscc, e.industry, e.size, e.status, e.eligible, e.in_torch_zone,
       r.name, r.level, p.name
FROM enterprises_enterprise e
JOIN accounts_region r ON r.id = e.region_id
LEFT JOIN accounts_region p ON p.id = r.parent_id
"""
ORDER_PAGE = " ORDER BY r.path, e.name_pinyin, e.id LIMIT 20 OFFSET %(offset)s"

LIST_SQL = ENTERPRISE_ROW + " WHERE r.path LIKE %(scope)s" + ORDER_PAGE
FILTER_SQL = (
    ENTERPRISE_ROW
    + " WHERE r.path LIKE %(scope)s AND e.industry = %(industry)s AND e.size = %(size)s"
    + ORDER_PAGE
)
SEARCH_SQL = (
    ENTERPRISE_ROW
    + " WHERE r.path LIKE %(scope)s AND (e.name LIKE %(contains)s OR e.address LIKE %(contains)s"
    " OR e.uscc LIKE %(contains)s OR e.name_initials LIKE %(contains)s"
    " OR e.name_pinyin LIKE %(contains)s)" + ORDER_PAGE
)
BOARD_SQL = """
SELECT e.id, e.name, r.name, r.level, p.name, c.state, c.state_since, c.flagged,
       ct.number, ct.grade, ct.issued_on, ct.expires_on, ct.ended_on
FROM enterprises_enterprise e
JOIN accounts_region r ON r.id = e.region_id
LEFT JOIN accounts_region p ON p.id = r.parent_id
LEFT JOIN cases_case c ON c.enterprise_id = e.id
  AND c.cycle = (SELECT MAX(c2.cycle) FROM cases_case c2 WHERE c2.enterprise_id = e.id)
LEFT JOIN cases_certificate ct ON ct.case_id = c.id AND NOT ct.void
WHERE r.path LIKE %(scope)s {where}
ORDER BY r.path, e.name_pinyin, e.id LIMIT 20 OFFSET %(offset)s
"""
LEDGER_SQL = """
SELECT e.id, e.name, e.uscc, e.industry, r.name, r.level, p.name,
       s.size, s.entered_on, s.eligibility,
       NOT EXISTS (SELECT 1 FROM enterprises_ledgerspan b WHERE b.enterprise_id = e.id
         AND b.starts_on <= %(baseline)s AND b.in_ledger AND b.status = 'operating'
         AND b.size IN ('small', 'micro') AND NOT b.torch_zone AND b.eligibility = '1')
FROM enterprises_enterprise e
JOIN enterprises_ledgerspan s ON s.enterprise_id = e.id AND s.starts_on <= %(on)s
  AND (s.ends_on IS NULL OR s.ends_on > %(on)s)
JOIN accounts_region r ON r.id = e.region_id
LEFT JOIN accounts_region p ON p.id = r.parent_id
WHERE r.path LIKE %(scope)s AND s.in_ledger AND s.status = 'operating'
  AND s.size IN ('small', 'micro') AND NOT s.torch_zone AND s.eligibility = '1'
ORDER BY r.path, e.name_pinyin, e.id LIMIT 20 OFFSET %(offset)s
"""


def build(size: int, workdir: Path) -> None:
    """The ledger through the real importer (names, pinyin, facts as the site writes them)."""
    from _setup import write_ledger
    from django.utils import timezone

    from anbiao.enterprises.importers import import_ledger

    path = workdir / f"ledger-{size}.xlsx"
    started = time.perf_counter()
    write_ledger(path, size)
    import_ledger(path, user=None, effective_on=timezone.localdate())
    print(f"imported {size:,} enterprises in {time.perf_counter() - started:.0f} s")


def build_cases(size: int) -> None:
    """Ledger spans, cases, events, certificates and attendances by bench/metrics.py's generator
    for the imported enterprises (its spans replace the importer's: a campaign's history, with
    enterprises entering, shrinking and decided eligible during it)."""
    from metrics import build as build_campaign

    from anbiao.enterprises.models import LedgerSpan

    started = time.perf_counter()
    LedgerSpan.objects.all().delete()
    build_campaign(0, random.Random(size))
    print(f"built the campaign's cases in {time.perf_counter() - started:.0f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("size", nargs="?", type=int, default=100_000)
    parser.add_argument("--db", help="a directory to keep (and reuse) the SQLite database in")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.db:
        Path(args.db).mkdir(parents=True, exist_ok=True)
        os.environ["ANBIAO_VAR_DIR"] = str(Path(args.db).resolve())

    from _setup import django_with_fresh_database

    workdir = django_with_fresh_database()
    from django.db import connection
    from django.test import Client

    from anbiao.accounts.choices import Role
    from anbiao.accounts.models import Region, User
    from anbiao.cases.models import Case
    from anbiao.enterprises import ledger
    from anbiao.enterprises.models import Enterprise

    count = Enterprise.objects.count()
    if count != args.size:
        if count:
            raise SystemExit(f"the database holds {count:,} enterprises, not {args.size:,}")
        build(args.size, workdir)
    if not Case.objects.exists():
        build_cases(args.size)
        if connection.vendor == "postgresql":
            # Statistics, as autovacuum would have gathered them on a live database: without
            # them the planner takes each region for a few dozen enterprises.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    district = Region.objects.get(code="350213")
    minan = Region.objects.get(code="350213007")
    users = {
        "district": User.objects.update_or_create(
            username="bench-district", defaults={"role": Role.DISTRICT, "region": district}
        )[0],
        "station": User.objects.update_or_create(
            username="bench-station", defaults={"role": Role.STATION, "region": minan}
        )[0],
    }
    clients = {}
    for name, user in users.items():
        clients[name] = Client(HTTP_HOST="127.0.0.1")
        clients[name].force_login(user)

    past = date(2025, 12, 31)
    baseline = ledger.baseline_for(minan)
    uscc_prefix = Enterprise.objects.order_by("uscc").values_list("uscc", flat=True)[1234][:14]
    offset = (LATER_PAGE - 1) * 20
    cert = "AND c.state = 'certified'"
    # (label, user, path, params, floor statement, its parameters)
    pages = [
        ("企业台账 p1", "station", "/enterprises/", {}, LIST_SQL, {"offset": 0}),
        ("企业台账 p1", "district", "/enterprises/", {}, LIST_SQL, {"offset": 0}),
        (
            f"企业台账 p{LATER_PAGE}",
            "station",
            "/enterprises/",
            {"page": LATER_PAGE},
            LIST_SQL,
            {"offset": offset},
        ),
        (
            "企业台账 行业+规模",
            "station",
            "/enterprises/",
            {"industry": "machinery", "size": "micro"},
            FILTER_SQL,
            {"offset": 0, "industry": "machinery", "size": "micro"},
        ),
        ("搜索 jx", "station", "/enterprises/", {"q": "jx"}, SEARCH_SQL, {"contains": "%jx%"}),
        (
            "搜索 名称片段",
            "station",
            "/enterprises/",
            {"q": "1234号"},
            SEARCH_SQL,
            {"contains": "%1234号%"},
        ),
        (
            "搜索 信用代码前缀",
            "station",
            "/enterprises/",
            {"q": uscc_prefix},
            SEARCH_SQL,
            {"contains": f"%{uscc_prefix}%"},
        ),
        ("创建进度 p1", "station", "/cases/", {}, BOARD_SQL.format(where=""), {"offset": 0}),
        ("创建进度 p1", "district", "/cases/", {}, BOARD_SQL.format(where=""), {"offset": 0}),
        (
            "创建进度 已取证",
            "station",
            "/cases/",
            {"state": "certified"},
            BOARD_SQL.format(where=cert),
            {"offset": 0},
        ),
        (
            f"应创台账 {past}",
            "station",
            "/enterprises/ledger/",
            {"as_of": past.isoformat()},
            LEDGER_SQL,
            {"offset": 0, "on": past, "baseline": baseline},
        ),
        (
            f"应创台账 {past} p{LATER_PAGE}",
            "district",
            "/enterprises/ledger/",
            {"as_of": past.isoformat(), "page": LATER_PAGE},
            LEDGER_SQL,
            {"offset": offset, "on": past, "baseline": baseline},
        ),
    ]

    print(
        f"database: {connection.vendor}, {Enterprise.objects.count():,} enterprises, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}, "
        f"{args.repeat} requests a page (in-process test Client)"
    )
    header = (
        f"{'page':<26}{'user':<9}{'p50':>8}{'p95':>8}{'cpu p50':>8}{'queries':>8}"
        f"{'floor':>8}{'× flr':>7}{'cpu ×':>7}"
    )
    print(header + "  budget p95 < 300 ms")
    print("(cpu: this process's CPU time, SQLite's work included, PostgreSQL's server's not)")
    for label, who, path, params, sql, sql_params in pages:
        client = clients[who]
        response = client.get(path, params)  # warm: sessions, templates, caches
        assert response.status_code == 200, (label, response.status_code)
        queries: list[str] = []

        def count(execute, sql, *rest, queries=queries):
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            client.get(path, params)
        times, cpu = [], []
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(path, params)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        scope = users[who].region.path + "%"
        floors, floor_cpu = [], []
        with connection.cursor() as cursor:
            for _ in range(args.repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                cursor.execute(sql, {"scope": scope, "offset": 0, **sql_params})
                cursor.fetchall()
                floors.append(time.perf_counter() - started)
                floor_cpu.append(time.process_time() - cpu_started)
        p50, p95, floor = (
            statistics.median(times),
            percentile(times, 0.95),
            statistics.median(floors),
        )
        # PostgreSQL's work is in its server, not in this process: no CPU ratio there.
        cpu_ratio = (
            f"{statistics.median(cpu) / max(statistics.median(floor_cpu), 1e-6):>7.1f}"
            if connection.vendor == "sqlite"
            else f"{'–':>7}"
        )
        verdict = "ok" if p95 < 0.3 else "OVER"
        print(
            f"{label:<26}{who:<9}{p50 * 1000:>6.0f}ms{p95 * 1000:>6.0f}ms"
            f"{statistics.median(cpu) * 1000:>6.0f}ms{len(queries):>8}"
            f"{floor * 1000:>6.0f}ms{p50 / floor:>7.1f}{cpu_ratio}  {verdict}"
        )


if __name__ == "__main__":
    main()
