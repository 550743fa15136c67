#!/usr/bin/env bash
# Every budget of issue 13, measured on the commit checked out, one script after another (never
# two at once: each takes the machine's cores). Prints each script's figures and the commit,
# date and load; takes about half an hour on a 2-core machine.
#
#   bash bench/budgets.sh [PGDB]       PGDB: a PostgreSQL database name that may be dropped
#                                      (default bench_budgets; created on 127.0.0.1 as postgres)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PGDB=${1:-bench_budgets}
PG="postgres://postgres@127.0.0.1:5432/$PGDB"

step() {
  echo
  echo "== $* ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
}
pg() {
  createdb -h 127.0.0.1 -U postgres "$PGDB" 2>/dev/null || true
  DATABASE_URL=$PG "$@"
}
fresh_pg() {  # pages.py reuses the database it finds (the 1M one of the step before)
  dropdb -h 127.0.0.1 -U postgres --if-exists "$PGDB"
  pg "$@"
}

echo "commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores"
step "1 ledger import, SQLite";            $PY bench/ledger_import.py 10000 100000
step "1 ledger import, PostgreSQL";        pg $PY bench/ledger_import.py 10000 100000
step "1 progress import, SQLite";          $PY bench/progress_import.py 4000 20000
step "1 progress import, PostgreSQL";      pg $PY bench/progress_import.py 4000 20000
step "1 the check writes nothing";         $PY bench/filed_notice.py 10000
step "2, 3 metrics and dashboard, SQLite"; $PY bench/metrics.py 100000
step "2, 3 metrics and dashboard, PostgreSQL"; pg $PY bench/metrics.py 100000
step "2 one date at 1M, PostgreSQL"
pg $PY bench/metrics.py 1000000 --build-only && pg $PY bench/metrics.py 1000000 --one-date --reuse
step "3 list pages, SQLite";               $PY bench/pages.py 100000 --repeat 20
step "3 list pages, PostgreSQL";           fresh_pg $PY bench/pages.py 100000 --repeat 20
step "4 exports";                          $PY bench/ledger_export.py 100000
step "5 50 users, PostgreSQL";             pg $PY bench/load.py 50 120
step "5 10 writers, SQLite";               $PY bench/load.py 10 60 --writes=1 --think=0
echo
echo "done $(date -u +%H:%M) UTC"
