"""Passages of long reports: windows of preprocessed tokens, and how the classifier combines them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from classifier.model.estimator import CalibratedLinearMultiLabel
from classifier.model.windows import split_windows


def test_windows_only_long_texts_get_overlapping_passages_covering_every_token():
    long_doc = " ".join(f"w{i}" for i in range(100))
    passages, owner = split_windows(["short text here", long_doc], size=30, stride=15, min_tokens=45)
    assert set(owner.tolist()) == {1}
    covered = {token for passage in passages for token in passage.split()}
    assert covered == set(long_doc.split())
    assert all(len(p.split()) <= 30 for p in passages)


@pytest.mark.parametrize("size, stride, min_tokens", [(10, 0, 20), (10, 11, 20), (30, 10, 20)])
def test_windows_refuse_inconsistent_sizes(size, stride, min_tokens):
    with pytest.raises(ValueError, match="stride"):
        split_windows(["a"], size=size, stride=stride, min_tokens=min_tokens)


def _diluted_topic_data(seed=0):
    """Reports of 'noise' features; positives carry one strong feature, diluted in long reports."""
    rng = np.random.default_rng(seed)
    n, n_features = 400, 30
    X = rng.random((n, n_features)) * (rng.random((n, n_features)) < 0.3)
    y = rng.random(n) < 0.3
    X[y, 0] = 1.0
    long_rows = np.arange(n)[::2]
    owner = np.repeat(long_rows, 3)
    windows = rng.random((len(owner), n_features)) * (rng.random((len(owner), n_features)) < 0.3)
    windows[::3, 0] = y[long_rows] * 1.0
    X[long_rows, 0] *= 0.1  # the topic is diluted in the long report's whole-text vector
    return sparse.csr_matrix(X), y.astype(int).reshape(-1, 1), sparse.csr_matrix(windows), owner


def test_estimator_passages_recover_a_topic_diluted_in_long_reports():
    X, Y, windows, owner = _diluted_topic_data()
    plain = CalibratedLinearMultiLabel(labels=["topic"]).fit(X, Y)
    with_passages = CalibratedLinearMultiLabel(labels=["topic"]).fit(X, Y, windows=(windows, owner))
    assert plain.window_calibration_ is None and with_passages.window_calibration_.shape == (1, 2)
    long_rows = np.unique(owner)
    recall_plain = plain.predict(X)[long_rows, 0][Y[long_rows, 0] == 1].mean()
    recall_passages = with_passages.predict(X, windows=(windows, owner))[long_rows, 0][Y[long_rows, 0] == 1].mean()
    assert recall_passages > recall_plain
    # Without passages at prediction time the whole-text score is used as it is.
    proba = with_passages.predict_proba(X)
    assert (with_passages.predict_proba(X, windows=(windows, owner)) >= proba - 1e-12).all()


def test_estimator_refuses_passages_owned_by_unknown_reports():
    X, Y, windows, owner = _diluted_topic_data()
    from classifier.errors import DataError

    with pytest.raises(DataError, match="owners"):
        CalibratedLinearMultiLabel(labels=["topic"]).fit(X, Y, windows=(windows, owner[:-1]))
    with pytest.raises(DataError, match="outside"):
        CalibratedLinearMultiLabel(labels=["topic"]).fit(X, Y, windows=(windows, owner + X.shape[0]))
