"""The comparison benchmark's --quick mode, so it cannot rot: our pipeline and the no-spaCy ablation always,
each peer only when its optional package (``pip install -e ".[bench]"``) is installed."""

from __future__ import annotations

import json

import pytest

from benchmarks import compare
from benchmarks.peers import tune_thresholds


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``compare.main`` of ours and the ablation, once: (its JSON record, what it printed)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("compare") / "results.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert compare.main(["--quick", "--methods", "ours,no-spacy", "--out", str(out)]) == 0
    return json.loads(out.read_text()), printed.getvalue() + out.read_text()


@pytest.fixture(scope="module")
def quick_rows(quick_run):
    return {row["method"]: row for row in quick_run[0]["results"]}


@pytest.mark.slow
def test_benchmarks_compare_quick_scores_ours_and_ablation(quick_rows):
    assert set(quick_rows) == {"ours", "no-spacy"}
    for row in quick_rows.values():
        assert "error" not in row, row.get("error")
        assert set(row["label_f1"]) == {"immigration", "israel_palestine", "misinformation", "race_hate",
                                        "religious_hate"}
        assert 0.5 < row["macro_f1"] <= 1.0  # 400 training reports still learn something
        assert row["train_seconds"] > 0 and row["reports_per_second"] > 0
        assert row["size_bytes"] > 10_000 and row["peak_bytes"] > 50 * 2**20
        assert 0 <= row["hard_negative_fpr"] <= 1 and row["hard_negatives"] > 0
        # Who the method wrongly flags, beside what it gets right.
        for name in ("suite", "probe", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6",
                     "fresh7", "fresh8"):
            assert 0 <= row["people"][name]["fpr"] <= 1 and 0 <= row["people"][name]["hostile_recall"] <= 1
    table = compare.format_table(list(quick_rows.values()))
    assert table.splitlines()[0].split()[:4] == ["dataset", "method", "macroF1", "microF1"]
    ours = next(line for line in table.splitlines() if line.startswith("bundled  ours"))
    people = quick_rows["ours"]["people"]
    widths = {"suite": 9, "probe": 9, "fresh": 9, "fresh2": 10, "fresh3": 10, "fresh4": 10, "fresh5": 10,
              "fresh6": 10, "fresh7": 10, "fresh8": 10}
    assert "".join(f"{people[name]['fpr']:>{width}.3f}" for name, width in widths.items()) in ours
    assert any("throughput" in line for line in compare.check_targets(list(quick_rows.values())))


@pytest.mark.slow
def test_benchmarks_compare_main_writes_json_without_text(quick_run):
    saved, printed = quick_run
    assert saved["quick"] and [row["method"] for row in saved["results"]] == ["ours", "no-spacy"]
    assert saved["machine"]["cpus"] >= 1
    fold = compare.dataset_folds("bundled", quick=True)[0]
    assert not any(text[:40] in printed for text in fold.test.texts[:20])  # figures only, never report text


# One method per peer package: the autotuned fastText and spaCy's ensemble textcat run the same adapters with other
# settings, and cost 18 CPU-seconds more together; the full benchmark runs them (benchmarks/README.md).
@pytest.mark.parametrize(("method", "package"), [("fasttext", "fasttext"), ("spacy-bow", "spacy")])
@pytest.mark.slow
def test_benchmarks_compare_quick_peer_runs(method, package):
    pytest.importorskip(package)
    [row] = compare.run(["bundled"], [method], quick=True)
    assert "error" not in row, row.get("error")
    assert 0.0 <= row["macro_f1"] <= 1.0 and row["reports_per_second"] > 0 and row["size_bytes"] > 0


def test_benchmarks_compare_missing_package_is_skipped_not_failed(monkeypatch):
    monkeypatch.setattr(compare, "missing_package", lambda method: "fasttext")
    [row] = compare.run(["bundled"], ["fasttext"], quick=True)
    assert "not installed" in row["skipped"]
    assert "not installed" in compare.format_table([row])


def test_benchmarks_compare_only_a_full_run_replaces_the_recorded_results(monkeypatch, tmp_path):
    seen = []

    def fake_run(datasets, methods, **options):
        seen.append((tuple(datasets), tuple(methods), options["quick"]))
        return [{"method": method, "dataset": dataset, "skipped": "not run here"}
                for dataset in datasets for method in methods]

    monkeypatch.setattr(compare, "ROOT", tmp_path)
    monkeypatch.setattr(compare, "run", fake_run)
    for argv in (["--quick"], ["--methods", "ours"], ["--datasets", "bundled"]):
        assert compare.main(argv) == 0
        assert (tmp_path / "output" / "compare_results.json").is_file()
        assert not (tmp_path / "benchmarks" / "results.json").exists()
    assert compare.main([]) == 0
    assert json.loads((tmp_path / "benchmarks" / "results.json").read_text())["quick"] is False
    assert seen[-1] == (compare.DATASETS, compare.DEFAULT_METHODS, False)


def test_benchmarks_compare_thresholds_follow_our_rule():
    import numpy as np

    proba = np.array([[0.9, 0.2], [0.8, 0.6], [0.3, 0.7], [0.1, 0.1]])
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    thresholds = tune_thresholds(proba, Y)
    assert ((proba >= thresholds).astype(int) == Y).all()


def test_benchmarks_compare_rejects_unknown_method():
    with pytest.raises(SystemExit):
        compare.main(["--quick", "--methods", "nope"])


def test_benchmarks_compare_a_run_that_hangs_is_killed_and_tried_once_more(monkeypatch):
    import subprocess

    calls = []

    def hang_then_answer(command, **options):
        calls.append(options["timeout"])
        if len(calls) == 1:
            raise subprocess.TimeoutExpired(command, options["timeout"])
        return subprocess.CompletedProcess(command, 0, stdout='{"fold": 0}\n', stderr="")

    monkeypatch.setattr(compare.subprocess, "run", hang_then_answer)
    assert compare.run_child("fasttext", "bundled", 0, True, 0, 5) == {"fold": 0}
    assert calls == [compare.CHILD_TIMEOUT_SECONDS[True]] * 2

    def always_hang(command, **options):
        raise subprocess.TimeoutExpired(command, options["timeout"])

    monkeypatch.setattr(compare.subprocess, "run", always_hang)
    assert compare.run_child("fasttext", "bundled", 0, True, 0, 5) == {
        "error": f"killed after {compare.CHILD_TIMEOUT_SECONDS[True]} s, twice"}
