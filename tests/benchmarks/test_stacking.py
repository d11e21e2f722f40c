"""benchmarks/stacking.py: the second-stage study runs end to end and its inputs mean what they say."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import stacking


@pytest.mark.slow
def test_benchmarks_stacking_quick_prints_both_models_figures(capsys):
    assert stacking.main(["--quick", "--folds", "0"]) == 0
    table = capsys.readouterr().out
    for figure in ("macro", "race_hate", "hard negatives", "suite FPR", "migration FPR", "hostile recall"):
        assert f"| {figure} |" in table
    assert "| figure | default | stacked | stacked, hate labels only |" in table and "| needs review |" in table


def test_benchmarks_stacking_group_flags_and_masking():
    flags = stacking.group_flags(["Asylum seekers moved into the hotel", "A new mosque for Polish Catholics",
                                  "Bins were not collected"])
    np.testing.assert_array_equal(flags[:, :4], [[0, 0, 0, 1], [1, 1, 1, 0], [0, 0, 0, 0]])
    assert flags[2, 4] == pytest.approx(np.log1p(4))
    assert stacking.mask_groups("muslim family and polish neighbour") == "grp family and grp neighbour"
    assert stacking.mask_groups("bins and parking") == "bins and parking"
