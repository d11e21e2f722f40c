"""Issue-3 timing bars: full training (threshold tuning included), model load, ``tension --help``.

Usage: python -m benchmarks.core_timings [--quick] [--repeats N]

Prints a table beside the target of each figure. ``--quick`` trains on 200 reports only (a smoke run for CI).
Each figure is the median of ``--repeats`` runs, each in a fresh process, so imports are counted as a user
would pay them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
QUICK_ROWS = 200


def _timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def measure(quick: bool = False, repeats: int = 3) -> list[tuple[str, float, float]]:
    """(what, seconds, target seconds) rows."""
    with tempfile.TemporaryDirectory() as tmp:
        data = CORPUS
        if quick:
            data = Path(tmp) / "quick.csv"
            import csv

            with open(CORPUS, encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))[:QUICK_ROWS]
            with open(data, "w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        model_dir = Path(tmp) / "model"
        train_code = (
            "import time, sys; t = time.perf_counter(); from classifier.training.train import train; "
            f"train({str(data)!r}, {str(model_dir)!r}); print(time.perf_counter() - t)"
        )
        import_code = (
            "import time; t = time.perf_counter(); import spacy, sklearn.linear_model, "
            "sklearn.feature_extraction.text, joblib; print(time.perf_counter() - t)"
        )
        load_code = (
            "import spacy, sklearn.linear_model, sklearn.feature_extraction.text, joblib, time, statistics; "
            "t = time.perf_counter(); from classifier import load_model; "
            f"m = load_model({str(model_dir)!r}); m.predict(['warm up']); print(time.perf_counter() - t)\n"
            "def one():\n    t = time.perf_counter(); m.predict(['A family opened a bakery on the high street.'])\n"
            "    return time.perf_counter() - t\n"
            "print(statistics.median(one() for _ in range(30)))"
        )

        def python(code) -> list[float]:
            """The numbers the code printed, one a line (its last lines)."""
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
            return [float(line) for line in out.stdout.strip().splitlines()[-2:] if _is_number(line)]

        train_s = statistics.median(python(train_code)[-1] for _ in range(max(1, repeats if not quick else 1)))
        import_s = statistics.median(python(import_code)[-1] for _ in range(repeats))
        loads = [python(load_code)[-2:] for _ in range(repeats)]
        load_s = statistics.median(first for first, _ in loads)
        one_s = statistics.median(then for _, then in loads)
        help_s = statistics.median(_timed([sys.executable, "-m", "classifier.cli", "--help"]) for _ in range(repeats))
        bare_s = statistics.median(_timed([sys.executable, "-c", "pass"]) for _ in range(repeats))
    return [
        ("train on the bundled corpus, thresholds tuned" + (f" (quick: {QUICK_ROWS} rows)" if quick else ""), train_s,
         60.0),
        ("load a model and label one report (libraries already imported)", load_s, 1.0),
        ("then label one more report, with reasons (a web API request's work)", one_s, 0.05),
        ("baseline: import spaCy + scikit-learn (paid once per process)", import_s, float("nan")),
        ("tension --help (fresh process)", help_s, 1.0),
        ("baseline: python -c pass", bare_s, float("nan")),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"train on {QUICK_ROWS} reports only (smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = measure(args.quick, args.repeats)
    print(f"{'what':<70}{'seconds':>10}{'target':>10}  ok")
    for what, seconds, target in rows:
        ok = "" if target != target else ("yes" if seconds < target else "NO")
        target_text = "" if target != target else f"< {target:g}"
        print(f"{what:<70}{seconds:>10.3f}{target_text:>10}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
