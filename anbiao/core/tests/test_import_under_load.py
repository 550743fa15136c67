"""A large import does not lock anyone out (docs/import-ledger.md, "Large files"): while one
station officer's 50,000-row ledger is checked and imported by the background worker, 10 other
users log in, open the everyday pages and log out again and again, and not one of their
requests fails.

The site runs as production does — gunicorn with DEBUG off and `anbiao db-worker` on an SQLite
file of its own (the in-memory test database cannot be shared between processes); see
anbiao/testing/load.py. `bench/import_under_load.py` runs the same on PostgreSQL too and
prints the latencies.
"""

import pytest

from anbiao.testing.load import Site, import_while_browsing

# Runs once in CI (on SQLite), not again on PostgreSQL: see .ci/run.
pytestmark = pytest.mark.slow

ROWS = 50_000
CLIENTS = 10


def test_fifty_thousand_rows_import_while_ten_users_log_in_and_browse(tmp_path):
    site = Site(tmp_path)
    site.install()
    site.start()
    try:
        outcome, recorder = import_while_browsing(site, rows=ROWS, clients=CLIENTS)
        imported = site.run(
            "shell",
            "-c",
            "from anbiao.enterprises.models import Enterprise;"
            "print(Enterprise.objects.filter(name__startswith='负载测试').count())",
        )
    finally:
        site.stop()
    assert outcome["state"] == "已完成", outcome
    assert int(imported.split()[-1]) == ROWS  # the shell may print a line of its own first
    summary = recorder.summary()
    # The others really were busy during the whole check and import, not just at the start.
    assert summary["login"]["n"] >= CLIENTS and summary["page"]["n"] >= 3 * CLIENTS, summary
    assert recorder.errors == [], recorder.report()
