"""Would a new batch of labelled reports help? Cross-validation on the corpus's train rows with and without it.

The corpus is rebuilt in a temporary folder from ``data/raw`` plus the candidate batches (``scripts/build_corpus.py``,
the batches numbered as the next generation, after every existing one: the existing ids and splits stay put). Then,
per seed, the train rows of the existing corpus are cut into the same stratified folds twice: once the model of each
fold is fitted on the other folds alone ("without"), once on the other folds plus every train row of the candidate
batches ("with"). Both are scored on the existing rows only, out of fold, so the two figures differ only by the
candidate rows. The candidates' own test rows play no part, nor does the test split.

    python -m benchmarks.generation_cv data/unused/v17passb_*.jsonl               # seeds 0-4, 5 folds (~23 min here)
    python -m benchmarks.generation_cv BATCH ... --seeds 0 --folds 3            # faster, noisier
    python -m benchmarks.generation_cv data/unused/v17passa_01.jsonl --quick    # smoke run: 500 rows, 2 folds

Prints, per seed, macro-F1 without and with the batches and the difference, and each label's difference; then the
paired differences of every held-out fold over all seeds. The project's rule for adopting a generation
(``docs/model_choices.md``): over the 25 paired folds of five seeds, the mean difference at least -0.0005 and the
lower end of its 90% bootstrap interval at least -0.002; then the identity sets (``tension train`` on the rebuilt
corpus, ``python -m benchmarks.fresh_probe``).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "scripts"):  # the package, and scripts/build_corpus.py and check_raw.py
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

RAW = ROOT / "data" / "raw"
CORPUS = ROOT / "data" / "reports.csv"
QUICK_ROWS = 500


def build_with(batches: list[Path], folder: Path) -> Path:
    """``folder/reports.csv``: the corpus of ``data/raw`` with ``batches`` appended as one more generation."""
    import build_corpus

    raw = folder / "raw"
    raw.mkdir()
    for path in RAW.iterdir():
        if path.suffix in (".jsonl", ".json"):
            shutil.copy(path, raw / path.name)
    generation = next_generation()
    for number, batch in enumerate(batches, 1):
        shutil.copy(batch, raw / f"v{generation}cand_{number:02d}.jsonl")
    out = folder / "out"
    out.mkdir()
    with contextlib.redirect_stdout(sys.stderr):  # the build's summary line is progress, not a result
        build_corpus.main(raw, out)
    return out / "reports.csv"


def next_generation() -> int:
    """The number the candidates would have if built in: one after the highest in ``data/raw`` (it seeds their
    shuffle and so their own train/test draw)."""
    numbers = [int(match.group(1)) for path in RAW.glob("v*.jsonl") if (match := re.match(r"v(\d+)", path.name))]
    return max(numbers, default=1) + 1


def split_rows(data, existing: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the existing corpus's rows (ids up to ``existing``) and of the candidates' rows."""
    numbers = np.asarray([int(report_id.lstrip("R")) for report_id in data.ids])
    return np.flatnonzero(numbers <= existing), np.flatnonzero(numbers > existing)


def cross_validate(data, old: np.ndarray, new: np.ndarray, *, seed: int, folds: int,
                   progress=print) -> dict[str, dict]:
    """Out-of-fold predictions on the rows ``old``, fitted without and with the rows ``new``: per mode, macro-F1
    and each label's F1."""
    from classifier.evaluation.metrics import label_metrics
    from classifier.training.cv import _fit_tail, _preprocess, _stratified_folds, _with_counterfactuals
    from classifier.training.train import HARD_NEGATIVE_WEIGHT

    labels = data.label_set
    processed = _preprocess(data.texts, "blank:en")
    Y = np.asarray(data.indicator(labels))
    splits = list(_stratified_folds(data.subset(list(old)), folds, seed))  # the same folds for both modes
    result = {}
    for mode, extra in (("without", []), ("with", list(new))):
        predicted = np.zeros((len(data), len(labels)), dtype=int)
        per_fold = []
        for fold, (fit, held) in enumerate(splits):
            rows = list(old[fit]) + extra
            texts, Y_fit, weight, groups = _with_counterfactuals(data, rows, processed, HARD_NEGATIVE_WEIGHT, seed,
                                                                 "blank:en", labels)
            tail = _fit_tail(texts, Y_fit, labels, seed=seed, C=None, spacy_pipeline="blank:en",
                             what=f"fold {fold + 1}", sample_weight=weight, groups=groups)
            predicted[old[held]] = np.asarray(tail.predict([processed[i] for i in old[held]]))
            per_fold.append(label_metrics(Y[old[held]], predicted[old[held]], labels)["macro"]["f1"])
            progress(f"seed {seed}, {mode}: fold {fold + 1} of {folds} done")
        metrics = label_metrics(Y[old], predicted[old], labels)
        result[mode] = {"macro": metrics["macro"]["f1"], "folds": per_fold,
                        "labels": {label: metrics["labels"][label]["f1"] for label in labels}}
    return result


def header(labels, n_old: int, n_new: int) -> list[str]:
    return [f"out-of-fold macro-F1 on the {n_old:,} existing train rows, without and with the {n_new:,} train rows "
            "of the candidate batches",
            f"{'seed':>4} {'without':>8} {'with':>8} {'diff':>8}  " + " ".join(f"{label[:8]:>9}" for label in labels)]


def row(seed: int, result: dict) -> str:
    """One seed's line: macro-F1 without and with the batches, the difference, and each label's difference."""
    labels = list(result["without"]["labels"])
    diff = result["with"]["macro"] - result["without"]["macro"]
    per_label = " ".join(f"{result['with']['labels'][label] - result['without']['labels'][label]:>+9.4f}"
                         for label in labels)
    return f"{seed:>4} {result['without']['macro']:>8.4f} {result['with']['macro']:>8.4f} {diff:>+8.4f}  " + per_label


def summary(results: dict[int, dict]) -> str:
    diffs = [result["with"]["macro"] - result["without"]["macro"] for result in results.values()]
    return f"per seed: mean difference {np.mean(diffs):+.4f}, lowest {min(diffs):+.4f}"


def fold_summary(results: dict[int, dict], n_resamples: int = 10_000) -> str:
    """The paired differences of every held-out fold's macro-F1 (with minus without), over all seeds: their mean,
    spread and a 90% bootstrap interval of the mean."""
    diffs = np.concatenate([np.subtract(result["with"]["folds"], result["without"]["folds"])
                            for result in results.values()])
    means = np.random.default_rng(0).choice(diffs, size=(n_resamples, len(diffs))).mean(axis=1)
    low, high = np.quantile(means, [0.05, 0.95])
    return (f"per fold ({len(diffs)} paired): mean difference {diffs.mean():+.4f}, sd {diffs.std(ddof=1):.4f}, "
            f"90% interval of the mean {low:+.4f} to {high:+.4f} (the rule, over five seeds: mean >= -0.0005 and "
            "the interval's lower end >= -0.002; then the identity sets)")


def check_batches(batches: list[Path]) -> None:
    """Stop before the build if a batch line is malformed: ``scripts/check_raw.py`` prints each one (file, line,
    what is wrong: not JSON, no text, unknown labels) and exits with 1."""
    import check_raw

    check_raw.load([glob.escape(str(path)) for path in batches])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("batches", nargs="+", type=Path, help="candidate batches (JSON Lines, as in data/raw)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                        help="fold seeds (default: 0 1 2 3 4)")
    parser.add_argument("--folds", type=int, default=5, help="folds per seed (default: 5)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_ROWS} existing train rows, 2 folds, the first seed")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.batches if not path.is_file()]
    if missing:
        parser.error(f"no such batch file: {', '.join(missing)}")
    check_batches(args.batches)

    from classifier.io.records import read_labelled

    existing = len(read_labelled(CORPUS))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="generation-cv-") as tmp:
        data = read_labelled(build_with(args.batches, Path(tmp))).only_split("train")
    old, new = split_rows(data, existing)
    folds, seeds = args.folds, args.seeds
    if args.quick:
        keep = np.random.default_rng(0).choice(old, size=min(QUICK_ROWS, len(old)), replace=False)
        data = data.subset(sorted(keep.tolist()) + new.tolist())
        old, new = np.arange(len(keep)), np.arange(len(keep), len(data))
        folds, seeds = 2, seeds[:1]
    if not len(new):
        parser.error("the candidate batches add no training row (every row went to the test split, or none is new)")
    print("\n".join(header(data.label_set, len(old), len(new))), flush=True)
    results = {}
    for seed in seeds:  # each seed's line as soon as it is done: a full run takes minutes per seed
        results[seed] = cross_validate(data, old, new, seed=seed, folds=folds,
                                       progress=lambda line: print(line, file=sys.stderr, flush=True))
        print(row(seed, results[seed]), flush=True)
    print(summary(results))
    print(fold_summary(results))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
