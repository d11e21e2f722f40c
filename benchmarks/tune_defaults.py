"""Choose the default model's settings by cross-validation inside the train split, never by the test split.

Usage: python -m benchmarks.tune_defaults [--weights 3 4 5 6] [--C 10 15] [--k 4] [--repeats 2]
       [--min-cv-hard 0.889] [--test] [--quick]

For each hard-negative weight and C it prints the K-fold macro-F1 (mean ± std over the folds of all repeats)
and the share of hard negatives left unlabelled, both measured on the folds of the train split, and marks the
setting with the best cross-validated macro-F1 (among those with ``--min-cv-hard`` or more): that is the one
to ship (``HARD_NEGATIVE_WEIGHT`` in ``classifier/training/train.py``, ``DEFAULT_C`` in
``classifier/model/pipeline.py``).
``--test`` adds, for reading afterwards, each setting's figures on the held-out test split; they play no part
in the choice. ``--quick`` runs a 2-fold smoke test of two settings on 200 reports, in one process (for CI).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
QUICK_ROWS = 200


def cv_row(data: Path, weight: float, C: float, k: int, seeds: list[int], n_jobs: int = 2) -> dict:
    """Cross-validated figures for one setting, on the train split only, pooled over repeats (one per seed)."""
    import numpy as np

    from classifier.training.cv import cross_validate_metrics

    fold_f1, hard = [], []
    for seed in seeds:
        result = cross_validate_metrics(data, k, seed=seed, split="train", C=C, hard_negative_weight=weight,
                                        n_jobs=n_jobs)
        fold_f1 += [fold["macro"]["f1"] for fold in result["folds"]]
        if result["hard_negatives"]["clean_rate"]:
            hard.append(result["hard_negatives"]["clean_rate"]["mean"])
    return {"weight": weight, "C": C, "cv": float(np.mean(fold_f1)), "cv_std": float(np.std(fold_f1, ddof=1)),
            "cv_hard": float(np.mean(hard)) if hard else float("nan")}


def test_figures(data: Path, weight: float, C: float, seed: int) -> tuple[float, float]:
    """Macro-F1 and hard-negative rate on the held-out test split for a model fitted on the train split."""
    import numpy as np

    from classifier.evaluation.metrics import hard_negative_check, label_metrics
    from classifier.io.records import read_labelled
    from classifier.training.train import fit_pipeline

    labelled = read_labelled(data)
    train, test = labelled.only_split("train"), labelled.only_split("test")
    pipeline = fit_pipeline(train, train.label_set, seed=seed, C=C, hard_negative_weight=weight)
    predicted = pipeline.predict(test.texts)
    metrics = label_metrics(np.asarray(test.indicator(train.label_set)), predicted, train.label_set)
    hard = hard_negative_check(test.texts, test.labels, predicted)["overall"]["clean_rate"]
    return metrics["macro"]["f1"], hard


def _quick_copy(folder: Path) -> Path:
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:QUICK_ROWS]
    path = folder / "quick.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[2.0, 3.0, 4.0, 5.0, 6.0])
    parser.add_argument("--C", type=float, nargs="+", default=[6.0, 10.0])
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="Repeat the K folds with seeds seed, seed+1, ...")
    parser.add_argument("--min-cv-hard", type=float, default=0.0,
                        help="Only choose among settings that leave at least this share of hard negatives "
                             "unlabelled in CV (e.g. the current default's, so a new one makes no more false "
                             "alarms on identity mentions).")
    parser.add_argument("--test", action="store_true", help="Also print each setting's test-split figures.")
    parser.add_argument("--quick", action="store_true",
                        help=f"2 folds, {QUICK_ROWS} reports, 2 settings, one process (smoke run).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = CORPUS
        if args.quick:
            data, args.k, args.weights, args.C = _quick_copy(Path(tmp)), 2, args.weights[:2], args.C[:1]
        rows = []
        for C in args.C:
            for weight in args.weights:
                started = time.perf_counter()
                # --quick in one process: on a few hundred reports, starting workers costs more than it saves.
                row = cv_row(data, weight, C, args.k, list(range(args.seed, args.seed + args.repeats)),
                             n_jobs=1 if args.quick else 2)
                if args.test:
                    row["test"], row["test_hard"] = test_figures(data, weight, C, args.seed)
                row["seconds"] = time.perf_counter() - started
                rows.append(row)
    seeds = f"seed {args.seed}" if args.repeats == 1 else f"seeds {args.seed}-{args.seed + args.repeats - 1}"
    print_table(rows, f"{args.k}-fold CV inside the train split of {data.name} ({seeds})", args.min_cv_hard,
                args.test)
    return 0


def print_table(rows: list[dict], title: str, min_cv_hard: float, test: bool) -> None:
    """Print one line per setting and mark the chosen one: the best CV macro-F1 among the settings that leave at
    least ``min_cv_hard`` of the hard negatives unlabelled (or say that none does)."""
    eligible = [r for r in rows if r["cv_hard"] >= min_cv_hard]
    best = max(eligible, key=lambda r: r["cv"]) if eligible else None
    rule = "best cv macro-F1" + (f" with cv hard >= {min_cv_hard:g}" if min_cv_hard else "")
    print(f"{title}; chosen = {rule}")
    header = f"{'hard-neg weight':>15} {'C':>5} {'cv macro-F1':>15} {'cv hard':>8}"
    header += f" {'test macro-F1':>14} {'test hard':>10}" if test else ""
    print(header + f" {'s':>6}")
    for row in rows:
        line = f"{row['weight']:>15g} {row['C']:>5g} {row['cv']:>8.3f} ± {row['cv_std']:.3f} {row['cv_hard']:>8.3f}"
        if test:
            line += f" {row['test']:>14.4f} {row['test_hard']:>10.3f}"
        print(line + f" {row['seconds']:>6.1f}" + ("  <- chosen" if row is best else ""))
    if best is None:
        print(f"no setting reaches cv hard >= {min_cv_hard:g}: try heavier --weights")


if __name__ == "__main__":
    sys.exit(main())
