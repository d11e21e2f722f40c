"""benchmarks/stacking.py: the second-stage benchmark runs end to end and prints both models' figures."""

from __future__ import annotations

import pytest

from benchmarks import stacking


@pytest.mark.slow
def test_benchmarks_stacking_quick_prints_both_models_figures(capsys):
    assert stacking.main(["--quick", "--folds", "0"]) == 0
    table = capsys.readouterr().out
    for figure in ("macro", "race_hate", "hard negatives", "suite FPR", "migration FPR", "hostile recall"):
        assert f"| {figure} |" in table
    assert "| figure | linear only | with second stage | with second stage - linear only |" in table
    assert "| needs review |" in table
