"""Under load: USERS concurrent users mixing reads and writes for SECONDS against the production
setup — gunicorn (3 workers, DEBUG off) and `anbiao db-worker` — on PostgreSQL when
DATABASE_URL names a database that may be dropped, else on a scratch SQLite file. Each user logs
in once, then reads (dashboard, enterprise list, a search, an enterprise's page, case board,
notifications) or, with probability WRITE_SHARE, writes (a station officer edits an enterprise,
others save their notification settings or mark all read). Optionally the site first imports
ROWS more enterprises (the demo has ~200). Between two actions each user pauses a random
time in THINK seconds (default 1-5, like a locust user with `wait_time = between(1, 5)`: a
person reads a page before the next click); `--think=0` sends the next request at once, which
measures the server's saturation rather than users' experience. Users log in SPAWN a second
(default 2); the SECONDS of reads and writes are measured once all of them have (logins are
reported apart: a password check is deliberately slow, PBKDF2 with 1,000,000 iterations).

    .venv/bin/python bench/load.py [USERS] [SECONDS] [--writes=0.2] [--rows=N]
        [--think=1-5] [--spawn=2]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/load.py 50 120

Prints p50/p95 of reads and writes (and of each page read), requests/s and the errors;
budget (issue 13): p95 < 300 ms for reads, < 800 ms for writes, 0 errors. `10 60 --writes=1`
on SQLite is the "10 concurrent writers never see database is locked" check: the gunicorn log
is searched for it.
"""

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from anbiao.testing.load import Site, mixed_load  # noqa: E402
from anbiao.testing.workbooks import ledger_workbook  # noqa: E402


def main() -> None:
    options = dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
    numbers = [int(a) for a in sys.argv[1:] if not a.startswith("--")]
    users = numbers[0] if numbers else 50
    seconds = numbers[1] if len(numbers) > 1 else 120
    writes = float(options.get("writes", 0.2))
    rows = int(options.get("rows", 0))
    low, _, high = options.get("think", "1-5").partition("-")
    think = (float(low), float(high or low))
    spawn = float(options.get("spawn", 2))
    root = Path(tempfile.mkdtemp(prefix="anbiao-load-"))
    site = Site(root, os.environ.get("DATABASE_URL"))
    engine = "PostgreSQL" if site.postgres else "SQLite"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    # The cache the server processes share (config/settings.py): Redis when ANBIAO_CACHE_URL is
    # set, else PostgreSQL's cache table, or one per process on SQLite.
    cache = os.environ.get("ANBIAO_CACHE_URL") or (
        "database cache table" if site.postgres else "per process"
    )
    print(f"{when} {platform.node()} {os.cpu_count()} cores, {engine}, cache: {cache}")
    started = time.perf_counter()
    site.install()
    if rows:
        ledger = root / "ledger.xlsx"
        ledger.write_bytes(ledger_workbook(rows))
        site.run("import", "ledger", str(ledger), "--as", "minan")
    print(f"site ready in {time.perf_counter() - started:.0f} s ({rows:,} rows imported)")
    site.start()
    before = os.getloadavg()
    try:
        recorder = mixed_load(
            site, users=users, seconds=seconds, write_share=writes, think=think, spawn_rate=spawn
        )
    finally:
        site.stop(drop=True)
        locked = (root / "gunicorn.log").read_text(errors="replace").count("database is locked")
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"{users} users, {seconds} s, {writes:.0%} writes, think {think[0]:g}-{think[1]:g} s: "
        f"{recorder.count():,} requests ({recorder.count() / seconds:.1f}/s)"
    )
    print(recorder.report(by_page=True))
    print(
        "load average before / after: "
        f"{' '.join(f'{v:.1f}' for v in before)} / {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    summary = recorder.summary()
    reads = summary.get("read", {}).get("p95", 0) * 1000
    writes_p95 = summary.get("write", {}).get("p95", 0) * 1000
    print(f"'database is locked' in the server log: {locked}")
    ok = reads < 300 and writes_p95 < 800 and not recorder.errors and not locked
    print(
        f"budget (reads p95 < 300 ms, writes p95 < 800 ms, 0 errors): "
        f"{'met' if ok else 'NOT MET'} (reads {reads:.0f} ms, writes {writes_p95:.0f} ms)"
    )


if __name__ == "__main__":
    main()
