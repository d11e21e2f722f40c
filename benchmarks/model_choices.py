"""Compare model settings by K-fold cross-validation inside the train split and by the identity-term suite.

Usage: python -m benchmarks.model_choices [--settings NAME ...] [--k 3] [--seed 1] [--model-seeds 0 1] [--quick]

Each setting is fitted on K-1 folds of the train split and scored on the held-out fold: macro-F1, each
label's F1, the share of hard negatives (no-label reports that mention an identity or place term) left
unlabelled, and the recall of long (> 150 words) against short reports. Each fold's model also labels the
shipped identity-term suite (:mod:`classifier.fairness`): false-positive rate on neutral and positive
sentences, overall and for the worst term, and recall on the hostile ones. The test split plays no part.
Folds use one repeat of the estimator's inner cross-validation (the shipped model uses three) to save time;
every setting gets the same folds. ``--quick`` is a smoke run on 600 reports with 2 folds and 2 settings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
LONG_WORDS = 150

#: name -> options for classifier.training.train.fit_pipeline
SETTINGS: dict[str, dict] = {
    "nblr": {"nb_alpha": 1.0, "C": 15.0, "passages": False, "counterfactuals": 0},
    "nblr+passages": {"nb_alpha": 1.0, "C": 15.0, "passages": True, "counterfactuals": 0},
    "nblr+passages+cf": {"nb_alpha": 1.0, "C": 15.0, "passages": True, "counterfactuals": 1},
    "lr+passages": {"nb_alpha": None, "C": 10.0, "passages": True, "counterfactuals": 0},
    "lr+passages+cf": {"nb_alpha": None, "C": 10.0, "passages": True, "counterfactuals": 1},
    "nblr+passages+cf2": {"nb_alpha": 1.0, "C": 15.0, "passages": True, "counterfactuals": 2},
    "lr+passages+cf2": {"nb_alpha": None, "C": 10.0, "passages": True, "counterfactuals": 2},
    "lr+passages+cf2 C4": {"nb_alpha": None, "C": 4.0, "passages": True, "counterfactuals": 2},
    "lr+passages+cf hn3": {"nb_alpha": None, "C": 10.0, "passages": True, "counterfactuals": 1,
                           "hard_negative_weight": 3.0},
    "lr+passages+cf hn4": {"nb_alpha": None, "C": 10.0, "passages": True, "counterfactuals": 1,
                           "hard_negative_weight": 4.0},
    "lr+passages+cf2 hn3": {"nb_alpha": None, "C": 10.0, "passages": True, "counterfactuals": 2,
                            "hard_negative_weight": 3.0},
    "nblr+passages+cf hn3": {"nb_alpha": 1.0, "C": 15.0, "passages": True, "counterfactuals": 1,
                             "hard_negative_weight": 3.0},
}
# The shipped setting with other inner cross-validation schemes (folds x repeats for calibration and thresholds).
for _folds, _repeats in ((5, 3), (5, 1), (4, 2), (3, 3), (3, 2)):
    SETTINGS[f"lr+passages+cf cv{_folds}r{_repeats}"] = {**SETTINGS["lr+passages+cf"], "cv": _folds,
                                                          "cv_repeats": _repeats}


def fold_figures(train, held, options: dict, seed: int) -> dict:
    """Fit one setting on ``train`` and score it on ``held`` and on the identity-term suite."""
    from classifier.evaluation.metrics import hard_negative_check, label_metrics
    from classifier.fairness import evaluate_identity_suite
    from classifier.model.predictor import TensionModel
    from classifier.training.train import fit_pipeline

    labels = train.label_set
    pipeline = fit_pipeline(train, labels, seed=seed, **{"cv_repeats": 1, **options})
    Y = np.asarray(held.indicator(labels))
    predicted = pipeline.predict(held.texts)
    metrics = label_metrics(Y, predicted, labels)
    long = np.asarray([len(text.split()) > LONG_WORDS for text in held.texts])
    suite = evaluate_identity_suite(TensionModel(pipeline))["overall"]
    return {
        "macro": metrics["macro"]["f1"],
        "labels": {label: metrics["labels"][label]["f1"] for label in labels},
        "hard": hard_negative_check(held.texts, held.labels, predicted)["overall"]["clean_rate"],
        "recall_long": _recall(Y[long], predicted[long]),
        "recall_short": _recall(Y[~long], predicted[~long]),
        "suite_fpr": suite["false_positive_rate"],
        "suite_worst_fpr": suite["max_term_fpr"],
        "suite_recall": suite["hostile_recall"],
    }


def _recall(Y, predicted) -> float:
    positives = Y.sum()
    return float((Y & predicted).sum() / positives) if positives else float("nan")


def main(argv: list[str] | None = None) -> int:
    from classifier.io.records import label_strata, read_labelled

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="Seed of the outer folds.")
    parser.add_argument("--model-seeds", type=int, nargs="+", default=None,
                        help="Fit each fold with these model seeds (default: the outer seed) and report the mean "
                             "absolute macro-F1 difference between seeds on the same fold.")
    parser.add_argument("--quick", action="store_true", help="600 reports, 2 folds, 2 settings (smoke run).")
    args = parser.parse_args(argv)
    from sklearn.model_selection import StratifiedKFold

    train = read_labelled(CORPUS).only_split("train")
    if args.quick:
        train, args.k, args.settings = train.subset(range(600)), 2, args.settings[:2]
    strata = label_strata(train.labels, args.k)
    folds = list(StratifiedKFold(args.k, shuffle=True, random_state=args.seed).split(np.zeros(len(train)), strata))
    print(f"{args.k}-fold CV inside the train split ({len(train)} reports, seed {args.seed}); identity suite "
          "scored by each fold's model; means over folds")
    label_names = train.label_set
    seeds = args.model_seeds or [args.seed]
    header = (f"{'setting':<26} {'macro-F1':>8} {'seed diff':>9} {'hard':>6} {'long R':>7} {'short R':>7} "
              f"{'suite FPR':>9} {'worst':>6} {'host R':>7}  " + " ".join(f"{n[:8]:>8}" for n in label_names)
              + f" {'s':>6}")
    print(header)
    for name in args.settings:
        started = time.perf_counter()
        by_seed = [[fold_figures(train.subset(fit), train.subset(held), SETTINGS[name], seed) for fit, held in folds]
                   for seed in seeds]
        rows = [row for seed_rows in by_seed for row in seed_rows]
        mean = {key: float(np.nanmean([r[key] for r in rows])) for key in rows[0] if key != "labels"}
        macro = np.array([[r["macro"] for r in seed_rows] for seed_rows in by_seed])
        # Mean absolute macro-F1 difference between two seeds on the same fold (how much a refit moves).
        pairs = [abs(macro[a] - macro[b]).mean() for a in range(len(seeds)) for b in range(a + 1, len(seeds))]
        seed_diff = f"{np.mean(pairs):>9.4f}" if pairs else f"{'-':>9}"
        per_label = " ".join(f"{np.mean([r['labels'][n] for r in rows]):>8.3f}" for n in label_names)
        print(f"{name:<26} {mean['macro']:>8.3f} {seed_diff} {mean['hard']:>6.3f} {mean['recall_long']:>7.3f} "
              f"{mean['recall_short']:>7.3f} {mean['suite_fpr']:>9.3f} {mean['suite_worst_fpr']:>6.3f} "
              f"{mean['suite_recall']:>7.3f}  {per_label} {time.perf_counter() - started:>6.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
