"""End-to-end throughput and peak memory of ``label_file`` (read + label + write), next to a spaCy-free baseline.

Generates N reports of about 60 words by recombining sentences of ``data/reports.csv``, writes them to a CSV,
and labels that file with ``classifier.labelling.batch.label_file``:

- ``default model``: the saved model (spaCy lemmas → word + char TF-IDF → calibrated linear model);
- ``baseline``: the same features module and estimator fitted on raw lowercased text, no spaCy, run through
  the same ``label_file`` path (reasons included), so the difference is the cost of the preprocessing.

Times include loading the model (about 1-4 s), so use at least 20,000 rows for throughput figures.
Each configuration runs in a fresh child process. Its peak memory is the peak of the summed PSS of that
process and every process below it (workers included), sampled from ``/proc`` five times a second
(`benchmarks.process_tree`), so pages shared between processes count once; "parent MB" is the labelling
process's own peak RSS. Without ``/proc`` the peak is the parent's RSS alone.

    .venv/bin/python benchmarks/label_throughput.py --rows 100000
    .venv/bin/python benchmarks/label_throughput.py --quick          # a few seconds, used by the tests
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))
from benchmarks import process_tree  # noqa: E402
from benchmarks.process_tree import TreeSampler  # noqa: E402

CORPUS = ROOT / "data" / "reports.csv"
WORDS_PER_REPORT = 60
QUICK_ROWS = 300
#: Reports the baseline is fitted on with --quick (its speed hardly depends on them; its figures are not read).
QUICK_BASELINE_ROWS = 400
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def corpus_rows(path: Path = CORPUS) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def generate_reports(path: Path, n_rows: int, *, seed: int = 0, corpus: Path = CORPUS) -> Path:
    """Write `n_rows` reports of about 60 words each (``id,text``) to a CSV, streaming."""
    sentences = [s.strip() for row in corpus_rows(corpus) for s in _SENTENCE_END.split(row["text"]) if s.strip()]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for number in range(1, n_rows + 1):
            parts, words = [], 0
            while words < WORDS_PER_REPORT - 5:
                sentence = rng.choice(sentences)
                parts.append(sentence)
                words += sentence.count(" ") + 1
            writer.writerow([number, " ".join(parts)])
    return path


def fit_baseline(model_dir: Path, out_dir: Path, *, quick: bool = False) -> Path:
    """Fit the no-spaCy pipeline of ``benchmarks.compare`` on the corpus (unweighted); save it to `out_dir`.

    ``quick``: on the first :data:`QUICK_BASELINE_ROWS` reports with 2-fold scoring, for a smoke run.
    """
    import numpy as np

    from benchmarks.peers import no_spacy_pipeline
    from classifier import load_model
    from classifier.io.records import read_labelled
    from classifier.model.persistence import save_model

    # The verified model's labels, in its order (metadata.json is covered by no hash; load_model refuses a
    # folder whose metadata.json disagrees with the model).
    labels = load_model(model_dir).labels
    data = read_labelled(CORPUS)
    if quick:
        data = data.subset(range(QUICK_BASELINE_ROWS))
    pipeline = no_spacy_pipeline(labels, **({"cv": 2, "cv_repeats": 1} if quick else {}))
    pipeline.fit(list(data.texts), np.asarray(data.indicator(labels)))
    return save_model(pipeline, out_dir, {"labels": list(labels), "name": "baseline"})


def run_one(input_path: Path, model_dir: Path, jobs: int) -> dict:
    """Label `input_path` in this process (a fresh child) and return time and memory figures."""
    from classifier.labelling.batch import label_file

    output = input_path.with_name(f"out_{jobs}.csv")
    sampler = TreeSampler() if process_tree.available() else None
    if sampler is not None:
        sampler.start()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    summary = label_file(input_path, output, model=model_dir, jobs=jobs, force=True)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    output.unlink()
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # ru_maxrss is in KiB on Linux
    figures = {"rows": summary.rows_in, "seconds": seconds, "cpu_seconds": cpu, "parent_bytes": parent,
               "peak_bytes": parent, "processes": 1}
    if sampler is not None:
        sampler.stop()
        figures.update(peak_bytes=max(sampler.peak_pss_bytes, 1), processes=sampler.peak_processes,
                       cpu_seconds=max(sampler.cpu_seconds, cpu))
    return figures


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children, user + system (where /proc is missing)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(input_path: Path, model_dir: Path, jobs: int) -> dict:
    """Run `run_one` in a fresh interpreter so each configuration's peak memory is its own."""
    command = [sys.executable, __file__, "--one", str(input_path), str(model_dir), str(jobs)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def format_table(results: list[tuple[str, int, dict]]) -> str:
    lines = [f"{'model':<20}{'jobs':>5}{'rows':>10}{'seconds':>10}{'reports/s':>11}{'per CPU-s':>11}{'peak MB':>10}"
             f"{'parent MB':>11}{'processes':>11}"]
    for name, jobs, figures in results:
        mb = 1024 * 1024
        lines.append(
            f"{name:<20}{jobs:>5}{figures['rows']:>10}{figures['seconds']:>10.2f}"
            f"{figures['rows'] / figures['seconds']:>11.0f}{figures['rows'] / figures['cpu_seconds']:>11.0f}"
            f"{figures['peak_bytes'] / mb:>10.0f}"
            f"{figures['parent_bytes'] / mb:>11.0f}{figures['processes']:>11}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="reports to generate (default 100000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows: a smoke run of a few seconds")
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder (default: models/default, else one trained on data/reports.csv)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to run (default: 1 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the spaCy-free baseline")
    parser.add_argument("--one", nargs=3, metavar=("INPUT", "MODEL", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        input_path, model_dir, jobs = args.one
        print(json.dumps(run_one(Path(input_path), Path(model_dir), int(jobs))))
        return 0
    n_rows = QUICK_ROWS if args.quick else args.rows
    with tempfile.TemporaryDirectory(prefix="label_bench_") as tmp:
        tmp_dir = Path(tmp)
        model_dir = args.model or ROOT / "models" / "default"
        if not (model_dir / "metadata.json").is_file():
            from classifier.training.train import train

            print(f"no model at {model_dir}; training one on {CORPUS.name} ...", file=sys.stderr)
            model_dir = train(CORPUS, tmp_dir / "default", seed=0).model_dir
        input_path = generate_reports(tmp_dir / "reports.csv", n_rows)
        models = [("default model", model_dir)]
        if not args.no_baseline:
            models.append(("baseline (no spaCy)", fit_baseline(model_dir, tmp_dir / "baseline", quick=args.quick)))
        results = []
        for name, directory in models:
            for jobs in args.jobs:
                results.append((name, jobs, measure(input_path, directory, jobs)))
                print(format_table(results[-1:]).splitlines()[-1], file=sys.stderr)
        size_mb = input_path.stat().st_size / 1e6
        print(f"{n_rows} reports of ~{WORDS_PER_REPORT} words ({size_mb:.0f} MB CSV), read + label + write "
              "(reports/s: wall clock; per CPU-s: reports per CPU-second, all processes, which is stable on a "
              "busy machine):")
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
