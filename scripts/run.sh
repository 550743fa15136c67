#!/usr/bin/env bash
# Newcomer's first command: install, migrate (loads reference data), build the demo data set
# (idempotent) and serve the app on http://127.0.0.1:8000 with the demo logins printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/anbiao migrate --no-input -v 0
.venv/bin/anbiao demo
echo
echo "anbiao 已启动: http://127.0.0.1:8000  (Ctrl+C 停止)"
exec .venv/bin/anbiao runserver 127.0.0.1:8000 --noreload
