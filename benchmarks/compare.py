"""Our pipeline against the tools a user would pick instead, on the same data: accuracy, speed, memory.

Usage: python -m benchmarks.compare [--quick] [--datasets bundled,transfer,real] [--methods ...]
                                    [--out FILE] [--label-throughput ROWS]

Datasets (the external ones only when ``../shared/data/external/external_eval.csv`` exists):

- ``bundled``: ``data/reports.csv``, trained on its ``split == train`` rows, scored on ``split == test``;
- ``transfer``: trained on the whole bundled corpus, scored on the real public text (``external_eval.csv``),
  on the labels it has (israel_palestine is absent there);
- ``real``: 3-fold stratified cross-validation of every method on ``external_eval.csv`` itself; the figures
  are from the pooled out-of-fold predictions, training time and throughput are per-fold means.

Each (method, dataset, fold) runs in a fresh child process, so its peak memory (``ru_maxrss`` of that
process: imports, data, training and prediction) is its own and comparable. Throughput is in-process
prediction of labels on the test texts repeated to at least 5,000 (240 with ``--quick``), after a warm-up.
``--label-throughput ROWS`` also runs ``benchmarks/label_throughput.py`` (read CSV + label + write CSV, our
model and its no-spaCy baseline, 1 and 2 jobs) for the end-to-end figure.

``--quick`` is a smoke run (the test suite runs it): 400 training and 120 test reports of the bundled corpus,
each method with its cheapest settings (2 folds, few epochs, a 2 s autotune: ``benchmarks/peers.py``). Its
figures only show that everything runs. No report text is printed or written: only figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.fresh_probe import PROBES as FRESH_PROBES

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
EXTERNAL = ROOT.parent / "shared" / "data" / "external" / "external_eval.csv"
DATASETS = ("bundled", "transfer", "real")
DEFAULT_METHODS = ("ours", "no-spacy", "fasttext", "fasttext-autotune", "spacy-bow", "spacy-ensemble")
QUICK_TRAIN, QUICK_TEST = 400, 120
REAL_FOLDS = 3
MIN_PREDICT = 5000
QUICK_PREDICT = 240
#: A quick run scores every this-many-th sentence of each identity set (a smoke run: its figures mean nothing).
QUICK_PEOPLE_EVERY = 10


@dataclass
class Fold:
    train: object  # LabelledData
    test: object
    labels: list[str]  # labels the methods are trained on
    scored: list[str]  # labels the scores are computed on


def external_path() -> Path | None:
    return EXTERNAL if EXTERNAL.is_file() else None


def dataset_folds(name: str, *, quick: bool = False, seed: int = 0) -> list[Fold]:
    """The train/test folds of a dataset, rebuilt the same way in the parent and in each child."""
    from classifier.io.records import read_labelled
    from classifier.training.train import split_indices

    if name == "bundled":
        data = read_labelled(CORPUS)
        train, test, _ = split_indices(data)
        if quick:
            rng = np.random.default_rng(seed)
            train = sorted(rng.choice(train, QUICK_TRAIN, replace=False).tolist())
            test = sorted(rng.choice(test, QUICK_TEST, replace=False).tolist())
        train_data = data.subset(train)
        labels = train_data.label_set
        return [Fold(train_data, data.subset(test), labels, labels)]
    path = external_path()
    if path is None:
        return []
    external = read_labelled(path)
    if name == "transfer":
        bundled = read_labelled(CORPUS)
        labels = bundled.label_set
        return [Fold(bundled, external, labels, [label for label in labels if label in external.label_set])]
    if name == "real":
        from sklearn.model_selection import StratifiedKFold

        from classifier.io.records import label_strata

        folds = StratifiedKFold(n_splits=REAL_FOLDS, shuffle=True, random_state=seed)
        labels = external.label_set
        strata = label_strata(external.labels, REAL_FOLDS)
        return [Fold(external.subset(train.tolist()), external.subset(test.tolist()), labels, labels)
                for train, test in folds.split(np.zeros(len(strata)), strata)]
    raise ValueError(f"Unknown dataset {name!r}; expected one of {', '.join(DATASETS)}.")


#: The identity sets :func:`people_check` scores: the suite, the held-out probe and the fresh probes.
PEOPLE_SETS = ("suite", "probe", *FRESH_PROBES)


def people_check(model, labels, every: int = 1) -> dict:
    """Who the fitted method wrongly flags: on the identity-term suite, the held-out probe
    (``classifier.fairness``) and the fresh probes (:mod:`benchmarks.fresh_probe`), the share of neutral and
    positive sentences given any label, and the share of hostile ones given the label the codebook gives hostility
    against their term; with ``every`` > 1, on every ``every``-th sentence of each set only."""
    from dataclasses import replace

    from benchmarks.fresh_probe import opened_identity_sets
    from classifier.fairness import score_identity_suite

    out = {}
    for name, suite in opened_identity_sets().items():  # the names of PEOPLE_SETS, in its order
        suite = replace(suite, sentences=suite.sentences[::every])
        # A peer gives labels, not scores: its 0/1 labels scored against thresholds of 0.5 are its labels.
        given = np.asarray(model.predict(suite.texts), dtype=float)
        overall = score_identity_suite(suite, labels, given, dict.fromkeys(labels, 0.5))["overall"]
        out[name] = {"fpr": overall["false_positive_rate"], "hostile_recall": overall["hostile_recall"]}
    return out


def run_worker(method: str, dataset: str, fold_index: int, quick: bool, seed: int, autotune_seconds: float) -> dict:
    """Fit, time, size and apply one method on one fold, in this (fresh) process."""
    from benchmarks.peers import METHODS, folder_bytes

    fold = dataset_folds(dataset, quick=quick, seed=seed)[fold_index]
    cls = METHODS[method]
    model = cls(quick=quick, seed=seed)
    if hasattr(model, "budget_seconds"):
        model.budget_seconds = autotune_seconds
    started, cpu = time.perf_counter(), time.process_time()
    model.fit(fold.train, fold.labels)
    train_seconds, train_cpu = time.perf_counter() - started, time.process_time() - cpu
    Y_pred = np.asarray(model.predict(fold.test.texts), dtype=int)
    people = people_check(model, list(fold.labels), QUICK_PEOPLE_EVERY if quick else 1)
    texts = list(fold.test.texts)
    wanted = QUICK_PREDICT if quick else MIN_PREDICT
    texts = texts * -(-wanted // len(texts))
    model.predict(texts[:16])  # warm-up: lazy loads are not throughput
    started, cpu = time.perf_counter(), time.process_time()
    model.predict(texts)
    predict_seconds, predict_cpu = time.perf_counter() - started, time.process_time() - cpu
    with tempfile.TemporaryDirectory(prefix="bench_model_") as tmp:
        model.save(Path(tmp))
        size = folder_bytes(Path(tmp))
    return {
        "method": method, "dataset": dataset, "fold": fold_index,
        "train_seconds": train_seconds, "train_cpu_seconds": train_cpu, "predicted": len(texts),
        "predict_seconds": predict_seconds, "predict_cpu_seconds": predict_cpu,
        "size_bytes": size, "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "thresholds": [float(t) for t in getattr(model, "thresholds_", [])] or None,
        "epochs": getattr(model, "epochs_", None),
        "people": people,
        "Y_pred": Y_pred.tolist(),
    }


#: Seconds a quick / full run of one method on one fold may take before it is killed. fastText's training can
#: spin forever at 100% once in a while (facebookresearch/fastText#618); such a run is killed and run again once.
#: A quick run takes 5-20 s here (the slowest, ours, about 15 s while the test suite runs beside it).
CHILD_TIMEOUT_SECONDS = {True: 90, False: 3 * 3600}


def run_child(method, dataset, fold_index, quick, seed, autotune_seconds) -> dict:
    command = [sys.executable, "-m", "benchmarks.compare", "--worker", method, dataset, str(fold_index),
               "--seed", str(seed), "--autotune-seconds", str(autotune_seconds)] + (["--quick"] if quick else [])
    timeout = CHILD_TIMEOUT_SECONDS[bool(quick)]
    for _ in range(2):
        try:
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            print(f"{method} on {dataset}, fold {fold_index}: killed after {timeout} s", file=sys.stderr)
    else:
        return {"error": f"killed after {timeout} s, twice"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"error": f"exit {done.returncode}: {tail[0][:200]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def missing_package(method: str) -> str | None:
    from benchmarks.peers import REQUIRES

    package = REQUIRES.get(method)
    return package if package and importlib.util.find_spec(package) is None else None


def score(dataset: str, method: str, folds: list[Fold], runs: list[dict]) -> dict:
    """Pool the folds' predictions and score them on the dataset's scored labels."""
    from classifier.evaluation.metrics import hard_negative_check, label_metrics

    scored = folds[0].scored
    Y_true, Y_pred, texts, true_labels, macro_per_fold = [], [], [], [], []
    for fold, run in zip(folds, runs, strict=True):
        columns = [fold.labels.index(label) for label in scored]
        truth = np.asarray(fold.test.indicator(scored))
        predicted = np.asarray(run["Y_pred"])[:, columns]
        Y_true.append(truth)
        Y_pred.append(predicted)
        texts += fold.test.texts
        true_labels += [tuple(label for label in row if label in scored) for row in fold.test.labels]
        macro_per_fold.append(label_metrics(truth, predicted, scored)["macro"]["f1"])
    Y_true, Y_pred = np.vstack(Y_true), np.vstack(Y_pred)
    metrics = label_metrics(Y_true, Y_pred, scored)
    hard = hard_negative_check(texts, true_labels, Y_pred)
    return {
        "dataset": dataset, "method": method, "folds": len(runs),
        "macro_f1": metrics["macro"]["f1"], "micro_f1": metrics["micro"]["f1"],
        "macro_f1_per_fold": macro_per_fold,
        "label_f1": {label: m["f1"] for label, m in metrics["labels"].items()},
        "hard_negative_fpr": hard["overall"]["false_positive_rate"], "hard_negatives": hard["overall"]["n"],
        "train_seconds": float(np.mean([r["train_seconds"] for r in runs])),
        "train_cpu_seconds": float(np.mean([r["train_cpu_seconds"] for r in runs])),
        "reports_per_cpu_second": float(np.mean([r["predicted"] / r["predict_cpu_seconds"] for r in runs])),
        "reports_per_second": float(np.mean([r["predicted"] / r["predict_seconds"] for r in runs])),
        "size_bytes": float(np.mean([r["size_bytes"] for r in runs])),
        "peak_bytes": float(max(r["peak_bytes"] for r in runs)),
        "thresholds": [r["thresholds"] for r in runs], "epochs": [r["epochs"] for r in runs],
        "people": _mean_people([r["people"] for r in runs]),
    }


def _mean_people(per_fold: list[dict]) -> dict:
    """:func:`people_check`'s figures averaged over the folds (each fold's model scores the same sentences)."""
    def mean(values):
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    return {name: {key: mean([fold[name][key] for fold in per_fold]) for key in ("fpr", "hostile_recall")}
            for name in PEOPLE_SETS}


def _people_widths() -> list[tuple[str, int]]:
    """Each identity set's column in the table: its name and width (9, or one more than its title)."""
    return [(name, max(9, len(name) + 4)) for name in PEOPLE_SETS]


SHORT = {"immigration": "immig", "israel_palestine": "isr-pal", "misinformation": "misinfo", "race_hate": "race",
         "religious_hate": "relig"}


def format_table(rows: list[dict]) -> str:
    """One table: a line per (dataset, method)."""
    labels = sorted({label for row in rows if "label_f1" in row for label in row["label_f1"]})
    header = (f"{'dataset':<9}{'method':<19}{'macroF1':>8}{'microF1':>8}"
              + "".join(f"{SHORT.get(label, label)[:8]:>9}" for label in labels)
              + f"{'HN FPR':>12}" + "".join(f"{name + ' FP':>{width}}" for name, width in _people_widths())
              + f"{'train s':>9}{'CPU s':>7}{'reports/s':>10}{'/CPU-s':>8}{'size MB':>9}{'peak MB':>9}")
    lines = [header, "-" * len(header)]
    for row in rows:
        if "error" in row or "skipped" in row:
            lines.append(f"{row['dataset']:<9}{row['method']:<19}  {row.get('skipped') or row['error']}")
            continue
        per_label = "".join(
            f"{row['label_f1'][label]:>9.3f}" if label in row["label_f1"] else f"{'-':>9}" for label in labels
        )
        fpr = row["hard_negative_fpr"]
        hn = f"{fpr:.3f} ({row['hard_negatives']})" if fpr is not None else "-"
        people = [row.get("people", {}).get(name, {}).get("fpr") for name in PEOPLE_SETS]
        people = "".join(f"{v:>{w}.3f}" if v is not None else f"{'-':>{w}}"
                         for v, (_, w) in zip(people, _people_widths(), strict=True))
        lines.append(
            f"{row['dataset']:<9}{row['method']:<19}{row['macro_f1']:>8.3f}{row['micro_f1']:>8.3f}{per_label}"
            f"{hn:>12}{people}{row['train_seconds']:>9.1f}{row['train_cpu_seconds']:>7.1f}{row['reports_per_second']:>10.0f}"
            f"{row['reports_per_cpu_second']:>8.0f}"
            f"{row['size_bytes'] / 1e6:>9.1f}{row['peak_bytes'] / 2**20:>9.0f}"
        )
    return "\n".join(lines)


def check_targets(rows: list[dict]) -> list[str]:
    """The issue's targets, each with the figures behind met / missed."""
    found = {(r["dataset"], r["method"]): r for r in rows if "macro_f1" in r}
    lines = []

    def best_peer(dataset):
        peers = [r for (d, m), r in found.items() if d == dataset and m not in ("ours", "no-spacy")]
        return max(peers, key=lambda r: r["macro_f1"]) if peers else None

    for dataset, margin in (("bundled", 0.0), ("real", 0.02), ("transfer", 0.0)):
        ours, peer = found.get((dataset, "ours")), best_peer(dataset)
        if ours and peer:
            gap = ours["macro_f1"] - peer["macro_f1"]
            verdict = "met" if gap >= -margin - 1e-12 else "MISSED"
            want = "at least the best peer" if margin == 0 else f"within {margin} of the best peer"
            lines.append(f"{dataset}: macro-F1 {ours['macro_f1']:.3f} vs best peer {peer['method']} "
                         f"{peer['macro_f1']:.3f} ({gap:+.3f}); target {want}: {verdict}")
    ours, plain = found.get(("bundled", "ours")), found.get(("bundled", "no-spacy"))
    if ours:
        rate = ours["reports_per_second"]
        lines.append(f"throughput (in-process predict): {rate:.0f} reports/s; target >= 3000: "
                     f"{'met' if rate >= 3000 else 'MISSED'}")
        if plain:
            ratio = plain["reports_per_second"] / rate
            lines.append(f"no-spaCy ablation is {ratio:.1f}x faster; target within 3x: "
                         f"{'met' if ratio <= 3 else 'MISSED'}")
        lines.append(f"training on the bundled train split: {ours['train_seconds']:.1f} s; target < 60 s: "
                     f"{'met' if ours['train_seconds'] < 60 else 'MISSED'}")
    return lines


def machine() -> dict:
    import os

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "cpu": model, "ram_gib": round(ram, 1), "python": platform.python_version()}


def run(datasets, methods, *, quick=False, seed=0, autotune_seconds=60.0, log=sys.stderr) -> list[dict]:
    rows = []
    for dataset in datasets:
        folds = dataset_folds(dataset, quick=quick, seed=seed)
        if not folds:
            print(f"{dataset}: skipped ({EXTERNAL} not found)", file=log)
            continue
        for method in methods:
            missing = missing_package(method)
            if missing:
                rows.append({"dataset": dataset, "method": method,
                             "skipped": f"skipped: package '{missing}' not installed (pip install -e '.[bench]')"})
                print(f"{dataset} {method}: {rows[-1]['skipped']}", file=log)
                continue
            started = time.perf_counter()
            runs = [run_child(method, dataset, i, quick, seed, autotune_seconds) for i in range(len(folds))]
            errors = [r["error"] for r in runs if "error" in r]
            if errors:
                rows.append({"dataset": dataset, "method": method, "error": f"failed: {errors[0]}"})
            else:
                rows.append(score(dataset, method, folds, runs))
            print(f"{dataset} {method}: done in {time.perf_counter() - started:.0f} s", file=log)
            print(format_table(rows[-1:]).splitlines()[-1], file=log)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sample of the bundled corpus (smoke run)")
    parser.add_argument("--datasets", default=None,
                        help=f"comma-separated, from {','.join(DATASETS)} (default: all; --quick: bundled)")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help="comma-separated method names")
    parser.add_argument("--out", type=Path, default=None,
                        help="results as JSON (default: benchmarks/results.json, the recorded full run; with "
                        "--quick or a subset of datasets or methods, output/compare_results.json)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--autotune-seconds", type=float, default=60.0, help="fastText autotune budget per fit")
    parser.add_argument("--label-throughput", type=int, default=0, metavar="ROWS",
                        help="also run benchmarks/label_throughput.py on ROWS generated reports")
    parser.add_argument("--worker", nargs=3, metavar=("METHOD", "DATASET", "FOLD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        method, dataset, fold = args.worker
        result = run_worker(method, dataset, int(fold), args.quick, args.seed, args.autotune_seconds)
        print(json.dumps(result))
        return 0
    from benchmarks.peers import METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    datasets = [d.strip() for d in (args.datasets or ("bundled" if args.quick else ",".join(DATASETS))).split(",")]
    unknown += [d for d in datasets if d not in DATASETS]
    if unknown:
        parser.error(f"unknown method or dataset {unknown}; methods: {', '.join(METHODS)}; "
                     f"datasets: {', '.join(DATASETS)}")
    if args.out is None:
        # Only a full run replaces the recorded results; a smoke run or a subset goes to the output folder.
        full = not args.quick and set(methods) == set(DEFAULT_METHODS) and set(datasets) == set(DATASETS)
        args.out = ROOT / "benchmarks" / "results.json" if full else ROOT / "output" / "compare_results.json"
    started = time.perf_counter()
    rows = run(datasets, methods, quick=args.quick, seed=args.seed, autotune_seconds=args.autotune_seconds)
    table, targets = format_table(rows), check_targets(rows)
    print(table)
    print("HN FPR: false-positive rate on no-label reports that mention an identity or place term (their count).")
    print("suite FP / probe FP / fresh... FP: share of the identity-term suite's / the held-out "
          "probe's (classifier/fairness/) / the fresh probes' (benchmarks/data/fresh_probe*.json) neutral and "
          "positive sentences given any label.")
    print("\n".join(targets))
    record = {
        "command": " ".join(["python -m benchmarks.compare"] + (argv if argv is not None else sys.argv[1:])),
        "machine": machine(), "quick": args.quick, "seconds": round(time.perf_counter() - started, 1),
        "results": rows, "table": table, "targets": targets, "label_throughput": None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if args.label_throughput:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "label_throughput.py"), "--rows",
                               str(args.label_throughput)], capture_output=True, text=True, cwd=ROOT)
        if done.returncode == 0:
            record["label_throughput"] = done.stdout.strip()
            print(record["label_throughput"])
            args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        else:
            tail = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            print(f"benchmarks/label_throughput.py failed (exit {done.returncode}): {tail[:200]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
