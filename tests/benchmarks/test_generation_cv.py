"""benchmarks/generation_cv.py: the cross-validation that decides on a corpus generation runs end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from benchmarks import generation_cv
from tests.helpers import CORPUS, ROOT


@pytest.mark.slow
def test_generation_cv_quick_prints_without_with_and_the_difference(capsys):
    batch = ROOT / "data" / "unused" / "v17passa_01.jsonl"
    assert generation_cv.main([str(batch), "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"out-of-fold macro-F1 on the {generation_cv.QUICK_ROWS} existing train rows")
    seed, without, with_, diff, *per_label = lines[2].split()
    assert seed == "0" and len(per_label) == 5
    # each printed figure is rounded to 4 places, so the printed difference may be 1.5e-4 off theirs
    assert float(diff) == pytest.approx(float(with_) - float(without), abs=1.6e-4)
    assert lines[3].startswith(f"per seed: mean difference {float(diff):+.4f}")
    assert lines[4].startswith("per fold (2 paired): mean difference ") and "90% interval of the mean" in lines[4]
    assert "the rule, over five seeds" in lines[4]


def test_generation_cv_fold_summary_pairs_each_fold_with_its_own():
    results = {0: {"with": {"folds": [0.80, 0.82]}, "without": {"folds": [0.79, 0.83]}},
               1: {"with": {"folds": [0.81, 0.81]}, "without": {"folds": [0.80, 0.80]}}}
    line = generation_cv.fold_summary(results, n_resamples=200)
    assert line.startswith("per fold (4 paired): mean difference +0.0050, sd 0.0100")


def test_generation_cv_appends_the_batches_after_every_existing_report(tmp_path):
    from classifier.io.records import read_labelled

    batch = tmp_path / "mine.jsonl"
    rows = [{"text": f"Test report number {i} about the bins on Larch Close, collected late again", "labels": []}
            for i in range(10)]
    batch.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "build").mkdir()
    built = generation_cv.build_with([batch], tmp_path / "build")

    def by_id(path):
        with open(path, encoding="utf-8", newline="") as handle:
            return {row["id"]: (row["text"], row["labels"], row["split"]) for row in csv.DictReader(handle)}

    existing, rebuilt = by_id(CORPUS), by_id(built)
    assert {key: rebuilt[key] for key in existing} == existing  # the same ids, texts, labels and splits
    assert sorted(text for key, (text, _, _) in rebuilt.items() if key not in existing) == \
        sorted(row["text"] for row in rows)
    data = read_labelled(built)
    old, new = generation_cv.split_rows(data, len(existing))
    assert len(old) == len(existing) and len(new) == 10 and np.all(new > old.max())


def test_generation_cv_refuses_a_missing_batch(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        generation_cv.main([str(tmp_path / "missing.jsonl")])
    assert exit_info.value.code == 2 and "no such batch file" in capsys.readouterr().err


@pytest.mark.parametrize("line, expected", [
    ('{"text": "bins missed again", "labels": []', "not valid JSON"),
    ('{"text": "  ", "labels": []}', "'text' missing or empty"),
    ('{"text": "bins missed again", "labels": ["race_hat"]}', "unknown labels ['race_hat']"),
])
def test_generation_cv_names_the_file_and_line_of_a_malformed_batch(tmp_path, capsys, line, expected):
    batch = tmp_path / "mine.jsonl"
    batch.write_text('{"text": "a fine first report about the bins", "labels": []}\n' + line + "\n", "utf-8")
    with pytest.raises(SystemExit) as stopped:
        generation_cv.main([str(batch), "--quick"])
    assert stopped.value.code == 1
    out = capsys.readouterr().out
    assert f"{batch}:2: " in out and expected in out
