"""A non-linear second stage over the default linear model, measured by cross-validation inside the train split.

One linear score over words can only add a group's name and hostile words; hostility aimed at a group needs both.
This study fits, in each outer fold of the train split, the default pipeline (stage 1, as `tension train` fits it)
and a second stage per label: shallow gradient-boosted trees, increasing in the label's own score and in H, over

* S: the stage-1 calibrated probability of each label (its out-of-fold values on the outer-train rows);
* G: which kinds of group the report names (faith, place of worship, nationality or ethnicity, migration
  status) and its length;
* H: a group-blind hostility score: a logistic regression for "any of immigration, race hate, religious hate"
  on the preprocessed text with every group's name replaced by one token (out-of-fold on the outer-train rows).

Stage-2 thresholds maximise weighted F1 on its own out-of-fold scores (5 group folds inside the outer-train
rows). Both models are scored on the outer-test fold and on the identity-term suite.

    python -m benchmarks.stacking                 # 5 outer folds (seed 1), about 5 minutes here
    python -m benchmarks.stacking --fold-seed 2   # another split of the same rows
    python -m benchmarks.stacking --quick         # a smoke run on 600 reports, 2 folds (seconds)

Nothing here is in the product yet; `docs/model_choices.md` ("A second stage over the linear scores") has the
figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
#: The labels aimed at people for who they are: the hostility score predicts "any of them".
HATE = ("immigration", "race_hate", "religious_hate")
#: The default review band: a report is flagged for review when a score is this close to its threshold.
REVIEW_BAND = 0.15
MIGRATION = ("migrant", "migrants", "immigrant", "immigrants", "refugee", "refugees", "asylum", "asylum seeker",
             "asylum seekers", "migrant worker", "migrant workers", "international student", "international students",
             "foreigner", "foreigners", "newcomer", "newcomers", "new arrival", "new arrivals", "expat", "expats",
             "emigrant", "emigrants", "illegals")


def _alternation(words) -> re.Pattern:
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w).replace("\\ ", r"\s+") for w in ordered) + r")\b", re.I)


def group_words() -> set[str]:
    """Every group name the study masks: the identity terms, the counterfactual swap terms, migration words,
    and their singular forms (the preprocessed text holds lemmas)."""
    from classifier.model.identity_terms import IDENTITY_TERM_GROUPS
    from classifier.training.augment import SWAP_TERMS

    words: set[str] = set()
    for group in ("religion", "nationality_ethnicity", "faith_building"):
        words.update(IDENTITY_TERM_GROUPS[group])
    for pairs in SWAP_TERMS.values():
        for pair in pairs:
            words.update(word for word in pair if word)
    words.update(MIGRATION)
    words.update({word[:-1] for word in list(words) if word.endswith("s") and len(word) > 4})
    words.update({"gypsy", "gypsies", "traveller", "jews", "jew", "asians", "arabs", "africans", "indians",
                  "pakistanis"})
    return words


_MASK = None
#: Migration words that flag a report as naming a migration status ("illegal" too, though it is not masked).
_MIGRATION = _alternation(MIGRATION + ("illegal",))


def mask_groups(text: str) -> str:
    """``text`` with every group name replaced by ``grp``."""
    global _MASK
    if _MASK is None:
        _MASK = _alternation(group_words())
    return _MASK.sub("grp", text)


def group_flags(texts) -> np.ndarray:
    """Per text: names a faith, a place of worship, a nationality or ethnicity, a migration status; log length."""
    from classifier.model.identity_terms import term_groups

    out = np.zeros((len(texts), 5))
    for i, text in enumerate(texts):
        groups = term_groups(_MIGRATION.sub(" ", text))
        out[i, :4] = ("religion" in groups, "faith_building" in groups, "nationality_ethnicity" in groups,
                      _MIGRATION.search(text) is not None)
        out[i, 4] = np.log1p(len(text.split()))
    return out


def _hostility_model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion([
        ("word", TfidfVectorizer(token_pattern=r"[^ ]+", ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
    ])
    return make_pipeline(features, LogisticRegression(C=4, class_weight="balanced", solver="liblinear"))


def _stage2_model(label_index: int, n_labels: int, quick: bool):
    """Shallow boosted trees, never decreasing in the label's own stage-1 score nor in the hostility score (the
    last input): without that, one neutral sentence pattern scored hostile misfired for every group at once."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    increasing = [0] * (n_labels + 6)
    increasing[label_index] = increasing[-1] = 1
    # With sample weights, scikit-learn bins each input by weighted percentiles, one call per bin edge: the quick
    # run uses fewer bins.
    return HistGradientBoostingClassifier(max_depth=3, max_iter=30 if quick else 150, learning_rate=0.05,
                                          min_samples_leaf=20, l2_regularization=1.0, class_weight="balanced",
                                          early_stopping=False, random_state=0, monotonic_cst=increasing,
                                          max_bins=16 if quick else 255)


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def run_fold(data, labels, train_idx, test_idx, suite_texts, *, quick=False) -> dict:
    """Fit stage 1 and stage 2 on the outer-train rows; return both models' probabilities and thresholds on the
    outer-test rows and the suite."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    from classifier.model.estimator import _best_threshold, _fit_sigmoid, _sigmoid
    from classifier.model.pipeline import build_pipeline
    from classifier.training.train import hard_negative_weights, with_counterfactuals

    train, test = data.subset(list(train_idx)), data.subset(list(test_idx))
    pipeline = build_pipeline(labels, seed=0)
    augmented, groups = with_counterfactuals(train, 1, seed=0)
    weights = hard_negative_weights(augmented)
    Y = np.asarray(augmented.indicator(labels))
    pipeline.fit(augmented.texts, Y, classifier__sample_weight=weights, classifier__groups=groups)
    stage1 = pipeline.named_steps["classifier"]
    proba_test, proba_suite = pipeline.predict_proba(test.texts), pipeline.predict_proba(suite_texts)

    # The group-blind hostility score: out-of-fold on the outer-train reports, then fitted on all of them.
    preprocess = pipeline.named_steps["preprocess"]
    masked = [[mask_groups(text) for text in preprocess.transform(texts)]
              for texts in (train.texts, test.texts, suite_texts)]
    hate_columns = [labels.index(label) for label in HATE if label in labels]
    hostile = Y[: len(train)][:, hate_columns].max(axis=1)
    h_train = np.zeros(len(train))
    for fit_rows, held in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(train)), hostile):
        model = _hostility_model().fit([masked[0][i] for i in fit_rows], hostile[fit_rows])
        h_train[held] = model.decision_function([masked[0][i] for i in held])
    model = _hostility_model().fit(masked[0], hostile)
    h_test, h_suite = model.decision_function(masked[1]), model.decision_function(masked[2])

    def inputs(proba, texts, h):
        return np.hstack([_logit(proba), group_flags(texts), h[:, None]])

    # Copies share their source's hostility score (its text differs only in a group's name, which is masked).
    X_train = inputs(stage1.oof_proba_, augmented.texts, h_train[groups])
    X_test, X_suite = inputs(proba_test, test.texts, h_test), inputs(proba_suite, suite_texts, h_suite)
    stacked_test, stacked_suite = np.zeros_like(proba_test), np.zeros_like(proba_suite)
    thresholds = np.zeros(len(labels))
    for j in range(len(labels)):
        y = Y[:, j]
        oof = np.zeros(len(y))
        for fit_rows, held in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(X_train, y, groups):
            model = _stage2_model(j, len(labels), quick).fit(X_train[fit_rows], y[fit_rows],
                                                             sample_weight=weights[fit_rows])
            oof[held] = model.predict_proba(X_train[held])[:, 1]
        # Platt-calibrated on its own out-of-fold scores, as stage 1 is, so that scores and the review band keep
        # their meaning; the threshold is then chosen on the calibrated scale.
        a, b = _fit_sigmoid(_logit(oof), y)
        calibrated = _sigmoid(a * _logit(oof) + b)
        thresholds[j] = _best_threshold(calibrated, y, 0.1, 0.9, weights)
        model = _stage2_model(j, len(labels), quick).fit(X_train, y, sample_weight=weights)
        stacked_test[:, j] = _sigmoid(a * _logit(model.predict_proba(X_test)[:, 1]) + b)
        stacked_suite[:, j] = _sigmoid(a * _logit(model.predict_proba(X_suite)[:, 1]) + b)
    hate = np.isin(labels, HATE)
    mixed = tuple(np.where(hate, stacked, default) for stacked, default in (
        (stacked_test, proba_test), (thresholds, stage1.thresholds_), (stacked_suite, proba_suite)))
    return {"test": test, "default": (proba_test, stage1.thresholds_, proba_suite),
            "stacked": (stacked_test, thresholds, stacked_suite), "stacked, hate labels only": mixed}


def score(test, labels, proba, thresholds, proba_suite, suite) -> dict:
    """Macro-F1 and per label, hard negatives left unlabelled, and the identity-term suite's figures."""
    from classifier.evaluation.metrics import hard_negative_check, label_metrics
    from classifier.fairness import score_identity_suite

    predicted = (proba >= thresholds).astype(int)
    metrics = label_metrics(np.asarray(test.indicator(labels)), predicted, labels)
    n = len(suite.sentences)
    by_label = dict(zip(labels, map(float, thresholds), strict=True))
    result = score_identity_suite(suite, labels, proba_suite[:n], by_label, baseline_proba=proba_suite[n:])
    overall = result["overall"]
    review = (np.abs(proba - thresholds) < REVIEW_BAND).any(axis=1).mean()
    return {"macro": metrics["macro"]["f1"], **{label: metrics["labels"][label]["f1"] for label in labels},
            "hard negatives": hard_negative_check(test.texts, test.labels, predicted)["overall"]["clean_rate"],
            "suite FPR": overall["false_positive_rate"],
            "migration FPR": result["groups"].get("migration_status", {}).get("false_positive_rate"),
            "worst term FPR": overall["max_term_fpr"], "hostile recall": overall["hostile_recall"],
            "needs review": review}


def run(*, fold_seed=1, folds=None, quick=False, echo=print) -> dict:
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

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
    rows: dict[str, list[dict]] = {"default": [], "stacked": [], "stacked, hate labels only": []}
    for fold in chosen:
        started = time.perf_counter()
        # One OpenMP thread for the trees: their binning otherwise waits on a thread pool for most of each small fit.
        with threadpool_limits(limits=1, user_api="openmp"):
            outcome = run_fold(data, labels, *splits[fold], suite_texts, quick=quick)
        for name in rows:
            rows[name].append(score(outcome["test"], labels, *outcome[name], suite))
        echo(f"fold {fold}: {time.perf_counter() - started:.0f} s; macro-F1 default "
             f"{rows['default'][-1]['macro']:.3f}, stacked {rows['stacked'][-1]['macro']:.3f}")
    return rows


def format_table(rows: dict) -> str:
    """Mean ± standard deviation over folds per model, and each model's paired difference from the default (mean,
    lowest and highest fold)."""
    names = list(rows)
    keys = list(rows["default"][0])
    header = "| figure | " + " | ".join(names) + " | " + " | ".join(f"{name} - default" for name in names[1:]) + " |"
    lines = [header, "|---|" + "---:|" * (2 * len(names) - 1)]
    for key in keys:
        values = {name: np.array([row[key] for row in rows[name]], dtype=float) for name in names}
        means = [f"{v.mean():.3f} ± {v.std():.3f}" for v in values.values()]
        diffs = [values[name] - values["default"] for name in names[1:]]
        lines.append(f"| {key} | " + " | ".join(means) + " | " + " | ".join(
            f"{d.mean():+.3f} ({d.min():+.3f} .. {d.max():+.3f})" for d in diffs) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fold-seed", type=int, default=1, help="seed of the outer 5-fold split (default 1)")
    parser.add_argument("--folds", type=int, nargs="+", help="outer folds to run (default: all five)")
    parser.add_argument("--quick", action="store_true", help="600 reports, 2 folds, small trees: a smoke run")
    parser.add_argument("--json", type=Path, help="also write the per-fold figures here")
    args = parser.parse_args(argv)
    rows = run(fold_seed=args.fold_seed, folds=args.folds, quick=args.quick,
               echo=lambda line: print(line, file=sys.stderr))
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
