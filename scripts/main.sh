#!/usr/bin/env bash
# Set up the project, train the default model on the bundled corpus, then label the sample backlog.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e .
if [ -f models/DEFAULT_MODEL ]; then
    # Models are promoted here (tension promote): train a dated candidate beside the default, to check and promote.
    .venv/bin/tension train data/reports.csv
else
    .venv/bin/tension train data/reports.csv --out models/default
fi
mkdir -p output
.venv/bin/tension label data/backlog_sample.csv --out output/backlog_labelled.csv \
    --review-out output/backlog_needs_review.csv --force
