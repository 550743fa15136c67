#!/usr/bin/env bash
# Install everything anbiao needs into this checkout: a Python virtual environment in .venv
# (the app, pinned in pyproject.toml, with the test tools) and the front-end packages from the
# npm registry (pinned in package-lock.json) that the app serves itself.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "anbiao needs Python 3.11 or newer"'
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
echo "anbiao: Python and front-end packages installed."
