"""An import does not lock anyone out: one station officer uploads a ledger of ROWS new
enterprises (checked, then imported, by the background worker) while CLIENTS other users log in,
open the everyday pages and log out, over and over. Runs the production setup (gunicorn with
DEBUG off, `anbiao db-worker`) on a scratch SQLite file, or on PostgreSQL when DATABASE_URL names
a database that may be dropped. Prints the import's timeline, every request kind's p50/p95 and
the errors (the budget is 0).

    .venv/bin/python bench/import_under_load.py [ROWS] [CLIENTS]      # 50000 10
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/import_under_load.py
"""

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from anbiao.testing.load import Site, import_while_browsing  # noqa: E402


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    root = Path(tempfile.mkdtemp(prefix="anbiao-load-"))
    site = Site(root, os.environ.get("DATABASE_URL"))
    engine = "PostgreSQL" if site.postgres else "SQLite"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{when} {platform.node()} {os.cpu_count()} cores, {engine}")
    started = time.perf_counter()
    site.install()
    print(f"site installed (migrate + demo) in {time.perf_counter() - started:.0f} s: {root}")
    site.start()
    try:
        outcome, recorder = import_while_browsing(site, rows=rows, clients=clients)
    finally:
        site.stop(drop=True)
        shutil.rmtree(root, ignore_errors=True)
    check = outcome["checked"] - outcome["uploaded"]
    write = outcome.get("done", outcome["checked"]) - outcome["checked"]
    print(
        f"import of {rows:,} rows: {outcome['state']} (check {check:.0f} s, import {write:.0f} s)"
    )
    print(f"{clients} clients browsing meanwhile: {recorder.count():,} requests")
    print(recorder.report())
    print("0 errors: ok" if not recorder.errors else f"{len(recorder.errors)} ERRORS")


if __name__ == "__main__":
    main()
