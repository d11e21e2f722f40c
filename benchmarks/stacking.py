"""The second stage (:mod:`classifier.model.second_stage`) against the linear model alone, by cross-validation
inside the train split.

In each outer fold of the train split (label strata, seed 1), the default pipeline is fitted on the outer-train
rows as `tension train` fits it; the outer-test rows and the identity-term suite are then scored twice: by the
linear model alone (stage 1, its own thresholds) and by the model as shipped (the hate labels rescored by the
second stage, its thresholds). The second stage sees only the outer-train rows, through the linear model's
out-of-fold scores.

    python -m benchmarks.stacking                 # 5 outer folds (seed 1), about 5 minutes here
    python -m benchmarks.stacking --fold-seed 2   # another split of the same rows
    python -m benchmarks.stacking --quick         # a smoke run on 600 reports, 2 folds, small trees (seconds)
    python -m benchmarks.stacking --stage max_iter=60 --stage learning_rate=0.125   # other second-stage settings

`docs/model_choices.md` ("A second stage over the linear scores") has the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
MODELS = ("linear only", "with second stage")


def run_fold(data, labels, train_idx, test_idx, suite_texts, *, quick=False, stage_options=None,
             pipeline_options=None) -> dict:
    """Fit the default pipeline on the outer-train rows; return, per model, its probabilities and thresholds on
    the outer-test rows and the suite."""
    from classifier.model.pipeline import CLASSIFIER, second_stage_proba
    from classifier.model.second_stage import HateSecondStage
    from classifier.training.train import fit_pipeline

    train, test = data.subset(list(train_idx)), data.subset(list(test_idx))
    settings = {"max_iter": 30, **(stage_options or {})} if quick else dict(stage_options or {})
    pipeline = fit_pipeline(train, labels, seed=0, second_stage=HateSecondStage(**settings),
                            **(pipeline_options or {}))
    classifier = pipeline.named_steps[CLASSIFIER]
    outcome = {"test": test}
    linear, shipped = [], []
    for texts in (test.texts, suite_texts):
        Xt, passages, processed = pipeline._transform_with_passages(texts)
        proba = classifier.predict_proba(Xt, windows=passages)
        linear.append(proba)
        shipped.append(second_stage_proba(pipeline, proba, processed))
    outcome[MODELS[0]] = (linear[0], classifier.thresholds_, linear[1])
    outcome[MODELS[1]] = (shipped[0], pipeline.thresholds_, shipped[1])
    return outcome


def score(test, labels, proba, thresholds, proba_suite, suite) -> dict:
    """Macro-F1 and per label, hard negatives left unlabelled, and the identity-term suite's figures."""
    from classifier.evaluation.metrics import hard_negative_check, label_metrics
    from classifier.fairness import score_identity_suite
    from classifier.model.predictor import DEFAULT_REVIEW_BAND

    predicted = (proba >= thresholds).astype(int)
    metrics = label_metrics(np.asarray(test.indicator(labels)), predicted, labels)
    n = len(suite.sentences)
    by_label = dict(zip(labels, map(float, thresholds), strict=True))
    result = score_identity_suite(suite, labels, proba_suite[:n], by_label, baseline_proba=proba_suite[n:])
    overall = result["overall"]
    review = (np.abs(proba - thresholds) < DEFAULT_REVIEW_BAND).any(axis=1).mean()
    return {"macro": metrics["macro"]["f1"], **{label: metrics["labels"][label]["f1"] for label in labels},
            "hard negatives": hard_negative_check(test.texts, test.labels, predicted)["overall"]["clean_rate"],
            "suite FPR": overall["false_positive_rate"],
            "migration FPR": result["groups"].get("migration_status", {}).get("false_positive_rate"),
            "worst term FPR": overall["max_term_fpr"], "hostile recall": overall["hostile_recall"],
            "needs review": review}


def run(*, fold_seed=1, folds=None, quick=False, stage_options=None, pipeline_options=None, echo=print) -> dict:
    from sklearn.model_selection import StratifiedKFold

    from classifier.fairness import load_identity_suite
    from classifier.io.records import label_strata, read_labelled

    data = read_labelled(CORPUS).only_split("train")
    if quick:
        data = data.subset(list(range(0, len(data), max(1, len(data) // 600))))
    labels = data.label_set
    strata = label_strata(list(data.labels), 5)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=fold_seed).split(np.zeros(len(data)), strata))
    chosen = folds if folds is not None else (range(2) if quick else range(5))
    suite = load_identity_suite()
    suite_texts = suite.texts + [sentence.text for sentence in suite.baseline]
    rows: dict[str, list[dict]] = {name: [] for name in MODELS}
    for fold in chosen:
        started = time.perf_counter()
        outcome = run_fold(data, labels, *splits[fold], suite_texts, quick=quick, stage_options=stage_options,
                           pipeline_options=pipeline_options)
        for name in rows:
            rows[name].append(score(outcome["test"], labels, *outcome[name], suite))
        echo(f"fold {fold}: {time.perf_counter() - started:.0f} s; macro-F1 linear only "
             f"{rows[MODELS[0]][-1]['macro']:.3f}, with second stage {rows[MODELS[1]][-1]['macro']:.3f}")
    return rows


def format_table(rows: dict) -> str:
    """Mean ± standard deviation over folds per model, and each model's paired difference from the first (mean,
    lowest and highest fold)."""
    names = list(rows)
    keys = list(rows[names[0]][0])
    header = "| figure | " + " | ".join(names) + " | " + " | ".join(f"{name} - {names[0]}" for name in names[1:]) + " |"
    lines = [header, "|---|" + "---:|" * (2 * len(names) - 1)]
    for key in keys:
        values = {name: np.array([row[key] for row in rows[name]], dtype=float) for name in names}
        means = [f"{v.mean():.3f} ± {v.std():.3f}" for v in values.values()]
        diffs = [values[name] - values[names[0]] for name in names[1:]]
        lines.append(f"| {key} | " + " | ".join(means) + " | " + " | ".join(
            f"{d.mean():+.3f} ({d.min():+.3f} .. {d.max():+.3f})" for d in diffs) + " |")
    return "\n".join(lines)


def _settings(pairs) -> dict:
    """``["max_iter=60", "learning_rate=0.1"]`` as ``{"max_iter": 60, "learning_rate": 0.1}``."""
    settings = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        settings[name] = float(value) if "." in value else int(value)
    return settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fold-seed", type=int, default=1, help="seed of the outer 5-fold split (default 1)")
    parser.add_argument("--folds", type=int, nargs="+", help="outer folds to run (default: all five)")
    parser.add_argument("--quick", action="store_true", help="600 reports, 2 folds, small trees: a smoke run")
    parser.add_argument("--json", type=Path, help="also write the per-fold figures here")
    parser.add_argument("--stage", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of the second stage, e.g. --stage max_iter=60 (repeatable)")
    parser.add_argument("--pipeline", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of build_pipeline, e.g. --pipeline cv_repeats=1 (repeatable)")
    args = parser.parse_args(argv)
    rows = run(fold_seed=args.fold_seed, folds=args.folds, quick=args.quick, stage_options=_settings(args.stage),
               pipeline_options=_settings(args.pipeline), echo=lambda line: print(line, file=sys.stderr))
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
