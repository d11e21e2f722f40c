#!/usr/bin/env bash
# Set up the project and its test dependencies, then run ruff and the whole test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv || exit 1
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null || exit 1
.venv/bin/python -m pip install --quiet -e ".[test]" || exit 1
.venv/bin/ruff check . || exit 1
.venv/bin/python -m pytest -q "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here." >&2
    exit 1
fi
exit "$status"
