#!/usr/bin/env bash
# Newcomer's second command: install everything, then run the whole test suite (unit, service,
# scope matrix and browser tests). DATABASE_URL chooses the engine; SQLite by default.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANBIAO_DEV=${ANBIAO_DEV:-1}
bash scripts/setup.sh
bash scripts/ensure-browser.sh
# One test process per core (pytest-xdist); ANBIAO_TEST_WORKERS=0 runs in this process only.
.venv/bin/pytest -n "${ANBIAO_TEST_WORKERS:-auto}" "$@"
