#!/usr/bin/env bash
# Set up the project and its test dependencies, then run ruff, the import-layer contracts and the whole test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv || exit 1
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null || exit 1
.venv/bin/python -m pip install --quiet -e ".[test,bench]" || exit 1
# tests/web/test_browser.py drives Debian's chromium; without it (no apt, no root) that test is skipped.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
    { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
        >/dev/null 2>&1 || echo "warning: could not install chromium; the browser test will be skipped." >&2
fi
.venv/bin/ruff check . || exit 1
.venv/bin/lint-imports || exit 1
# Bytecode caches on even where the environment turns them off (PYTHONDONTWRITEBYTECODE): each xdist worker and
# each subprocess of the tests would otherwise compile the package and rewrite the test modules again (17 of
# 470 CPU-seconds of a run). The caches go to __pycache__ folders, which git ignores.
unset PYTHONDONTWRITEBYTECODE
# Two workers (pytest-xdist) for this 2-core machine; the default model is trained once (tests/conftest.py).
# Arguments go to pytest: "-n 0" runs everything in one process.
.venv/bin/python -m pytest -q -n 2 "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here." >&2
    exit 1
fi
exit "$status"
