"""Neighbour label disagreement: a second opinion on a report's labels from the reports most like it.

A report stripped of a label should sit among reports that still carry it, and a report given a label by
mistake among reports without it; the model's out-of-fold score does not see this, since it never reads the
neighbours' labels. The similarity is the cosine of the audit's TF-IDF features. Tried as a second signal
for ``tension audit`` by ``benchmarks/audit_noise.py`` and not adopted (docs/model_choices.md).
"""

from __future__ import annotations

import numpy as np

from classifier.errors import ConfigError

#: Rows of the similarity matrix computed at once (a block of 1,000 rows of a 7,000-report file is 56 MB).
BLOCK = 1000


def nearest_neighbours(features, k):
    """The ``k`` reports most similar to each report by cosine, itself excluded.

    Parameters
    ----------
    features : sparse or dense matrix of shape (n_reports, n_features)
        One row per report (rows need not be normalised).
    k : int
        Neighbours per report; a file of ``n`` reports gives at most ``n - 1``.

    Returns
    -------
    index : int array of shape (n_reports, k)
        The neighbours' rows, most similar first.
    similarity : float array of shape (n_reports, k)
        Their cosine similarities (0 where a report shares nothing with its neighbour).

    Examples
    --------
    >>> index, similarity = nearest_neighbours(np.array([[1.0, 0], [0.9, 0.1], [0, 1.0]]), 1)
    >>> index.ravel().tolist()
    [1, 0, 1]
    """
    from scipy import sparse
    from sklearn.preprocessing import normalize

    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"The number of neighbours must be an int >= 1. Got {k!r}.")
    matrix = normalize(sparse.csr_matrix(features, dtype=np.float64))
    n = matrix.shape[0]
    k = min(int(k), n - 1)
    index = np.zeros((n, max(k, 0)), dtype=np.int64)
    similarity = np.zeros((n, max(k, 0)))
    if k < 1:
        return index, similarity
    for start in range(0, n, BLOCK):
        block = (matrix[start : start + BLOCK] @ matrix.T).toarray()
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf  # never its own neighbour
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        scores = np.take_along_axis(block, top, axis=1)
        # Most similar first; ties by row, so the result does not depend on argpartition's order.
        order = np.lexsort((top, -scores), axis=1)
        index[start : start + BLOCK] = np.take_along_axis(top, order, axis=1)
        similarity[start : start + BLOCK] = np.take_along_axis(scores, order, axis=1)
    return index, np.clip(similarity, 0, 1)


def label_disagreement(Y, index, similarity):
    """Per report and label, the similarity-weighted share of its neighbours whose given label differs.

    Parameters
    ----------
    Y : bool array of shape (n_reports, n_labels)
        The labels given.
    index, similarity : arrays of shape (n_reports, k)
        From :func:`nearest_neighbours`.

    Returns
    -------
    array of shape (n_reports, n_labels), 0 (every neighbour agrees) to 1 (none does); 0 for a report with
    no similar neighbour at all.

    Examples
    --------
    >>> Y = np.array([[1], [1], [0]], dtype=bool)
    >>> label_disagreement(Y, np.array([[1, 2], [0, 2], [0, 1]]), np.array([[0.9, 0.1], [0.9, 0.1], [0.5, 0.5]]))
    array([[0.1],
           [0.1],
           [1. ]])
    """
    Y = np.asarray(Y, dtype=bool)
    weights = np.asarray(similarity, dtype=float)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    differs = Y[np.asarray(index)] != Y[:, None, :]  # (n_reports, k, n_labels)
    return np.einsum("ik,ikl->il", weights, differs)
