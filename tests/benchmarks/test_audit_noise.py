"""benchmarks/audit_noise.py: planted label errors, the audit's ranking on given scores, the neighbour signal."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import audit_noise
from benchmarks.audit_neighbours import label_disagreement, nearest_neighbours
from classifier.io.records import LabelledData


@pytest.mark.slow
def test_benchmarks_audit_noise_quick_prints_table(capsys):
    assert audit_noise.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| audit (model alone) |" in out and "| with neighbours k=20" in out and "| audit --label" in out
    assert "missing: top 50" in out and "seeds: 0)" in out


def test_audit_noise_draws_plant_missing_and_extra_labels():
    Y = np.zeros((60, 2), dtype=bool)
    Y[:20, 0] = True
    Y[20:40, 1] = True
    Y[:5, 1] = True  # two labels: never relabelled as no label
    for j, direction, rows, flipped in audit_noise.draws(Y, seed=3):
        assert len(set(rows)) == audit_noise.FLIPS
        assert (flipped != Y).sum() == audit_noise.FLIPS and (flipped != Y)[:, j][rows].all()
        if direction == "missing":
            assert not flipped[rows].any() and (Y[rows].sum(axis=1) == 1).all()
        else:
            assert flipped[rows, j].all() and not Y[rows].any()


def _synthetic(n=120, seed=0):
    rng = np.random.default_rng(seed)
    Y = np.zeros((n, 2), dtype=bool)
    Y[: n // 3, 0] = True
    Y[n // 3 : n // 2, 1] = True
    proba = np.where(Y, rng.uniform(0.5, 1.0, Y.shape), rng.uniform(0.0, 0.4, Y.shape))
    return Y, proba


def test_audit_noise_model_alone_ranks_as_the_audit_does():
    # The explored rankings are computed without the audit's Suspect objects; with no neighbour signal they
    # must rank exactly as rank_suspects does, near-duplicates included, or their rows are not comparable.
    Y, proba = _synthetic()
    proba[[3, 70, 90], [0, 0, 1]] = [0.01, 0.99, 0.95]
    labels = ["a", "b"]
    data = LabelledData([str(i) for i in range(len(Y))], [f"r{i}" for i in range(len(Y))],
                        audit_noise.labels_of(Y, labels), [None] * len(Y), [f"row {i}" for i in range(len(Y))])
    pairs = [(5, 80, 0.93), (6, 7, 0.9)]  # the second pair has the same labels: not a suspect
    ours = audit_noise.audit_ranks(data, labels, proba, np.full(2, 0.5), pairs)(Y, 0)
    neighbours = (np.zeros((len(Y), 1), dtype=int), np.zeros((len(Y), 1)))
    theirs = audit_noise.neighbour_ranks(proba, pairs, neighbours, 1, None)(Y, 0)
    np.testing.assert_array_equal(ours, theirs)
    assert np.isfinite(ours[[3, 70, 90, 5, 80]]).all() and not np.isfinite(ours[[6, 7]]).any()
    # Asked about label "a" alone (tension audit --label a), the doubt about "b" (row 90) drops out of the list.
    only_a = audit_noise.audit_ranks(data, labels, proba, np.full(2, 0.5), pairs, one_label=True)(Y, 0)
    assert np.isfinite(only_a[[3, 70]]).all() and not np.isfinite(only_a[90])


def test_neighbour_signal_ranks_a_planted_flip_above_a_confident_hard_negative():
    # Rows 0-29: one kind of report, all labelled; row 0 was stripped of its label (scored 0.97). Rows 30-59:
    # another kind, none labelled; row 30 is a hard negative the model is surer about (0.99). The model alone
    # puts the hard negative first; its neighbours agree with it and disagree with the flip.
    rng = np.random.default_rng(0)
    features = np.vstack([rng.normal([5, 0, 0], 1, (30, 3)), rng.normal([0, 5, 0], 1, (30, 3)),
                          rng.normal([0, 0, 5], 1, (60, 3))])
    Y = np.zeros((120, 1), dtype=bool)
    Y[1:30] = True
    proba = np.where(Y, rng.uniform(0.6, 1.0, Y.shape), rng.uniform(0.0, 0.3, Y.shape))
    proba[0, 0], proba[30, 0] = 0.97, 0.99
    neighbours = nearest_neighbours(features, 10)
    alone = audit_noise.neighbour_ranks(proba, [], neighbours, 10, None)(Y, 0)
    both = audit_noise.neighbour_ranks(proba, [], neighbours, 10, audit_noise.CHOSEN_ENOUGH)(Y, 0)
    assert alone[30] < alone[0]
    assert both[0] < both[30]


def test_nearest_neighbours_exclude_the_report_and_weight_by_similarity():
    features = np.array([[1.0, 0.0], [1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    index, similarity = nearest_neighbours(features, 2)
    assert all(i not in row for i, row in enumerate(index))
    assert index[0].tolist() == [1, 2] and (np.diff(similarity, axis=1) <= 0).all()
    Y = np.array([[1], [1], [0], [0]], dtype=bool)
    share = label_disagreement(Y, index, similarity)[0, 0]
    assert share == pytest.approx(similarity[0, 1] / similarity[0].sum())


def test_nearest_neighbours_rejects_a_bad_k():
    from classifier.errors import ConfigError

    with pytest.raises(ConfigError, match="neighbours must be an int >= 1. Got 0"):
        nearest_neighbours(np.eye(3), 0)
