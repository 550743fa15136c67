#!/usr/bin/env bash
# Newcomer's first command: install, migrate (loads reference data), build the demo data set
# (idempotent) and serve the app on http://127.0.0.1:8000 with the demo logins printed.
set -euo pipefail
cd "$(dirname "$0")/.."
# A development checkout: the fixed development secret key is allowed (docs/configuration.md).
export ANBIAO_DEV=${ANBIAO_DEV:-1}
bash scripts/setup.sh
.venv/bin/anbiao migrate --no-input -v 0
.venv/bin/anbiao demo
# The background worker runs imports, large exports and scheduled jobs; it stops with the server.
.venv/bin/anbiao db-worker --interval 1 --no-reload >var/worker.log 2>&1 &
worker=$!
# The schedule's clock: every 5 minutes it asks the worker to run the jobs that are due.
.venv/bin/anbiao run-scheduled --every 300 >var/scheduler.log 2>&1 &
clock=$!
trap 'kill "$worker" "$clock" 2>/dev/null' EXIT
echo
echo "anbiao 已启动: http://127.0.0.1:8000  (Ctrl+C 停止)"
.venv/bin/anbiao runserver 127.0.0.1:8000 --noreload
