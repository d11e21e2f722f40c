"""benchmarks/tune_defaults.py's --quick mode, so the script that chose the default settings cannot rot."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_benchmarks_tune_defaults_quick_marks_the_best_cv_setting(capsys):
    from benchmarks import tune_defaults

    assert tune_defaults.main(["--quick", "--test"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2-fold CV inside the train split")
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 2 and [r[-1] for r in rows].count("chosen") == 1
    cv = [float(r[2]) for r in rows]
    chosen = next(r for r in rows if r[-1] == "chosen")
    assert float(chosen[2]) == max(cv)
    assert all(0 <= float(r[5]) <= 1 and 0 <= float(r[7]) <= 1 for r in rows)


def test_benchmarks_tune_defaults_says_when_no_setting_meets_the_hard_negative_floor(capsys):
    from benchmarks import tune_defaults

    # The choice and the table from rows as the CV gives them (the run itself is smoke-tested above).
    rows = [{"weight": w, "C": 10.0, "cv": cv, "cv_std": 0.01, "cv_hard": hard, "seconds": 1.0}
            for w, cv, hard in ((2.0, 0.84, 0.90), (6.0, 0.83, 0.93))]
    tune_defaults.print_table(rows, "2-fold CV", 1.01, test=False)
    out = capsys.readouterr().out
    assert "chosen = best cv macro-F1 with cv hard >= 1.01" in out
    assert "<- chosen" not in out and "no setting reaches cv hard >= 1.01" in out
    tune_defaults.print_table(rows, "2-fold CV", 0.92, test=False)
    chosen = [line for line in capsys.readouterr().out.splitlines() if line.endswith("<- chosen")]
    assert len(chosen) == 1 and chosen[0].split()[0] == "6"  # the better CV score is below the floor
