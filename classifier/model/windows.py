"""Passages of long reports: overlapping windows of preprocessed tokens, scored beside the whole text.

One vector for a long report dilutes a sentence about a second topic (a line about racist graffiti in an
e-mail about bins). The classifier therefore also scores each passage of a long report and keeps, per label,
the larger of the whole-text and best-passage probabilities
(:class:`classifier.model.estimator.CalibratedLinearMultiLabel`).
"""

from __future__ import annotations

import numpy as np

#: Tokens per passage and the step between passage starts (half a passage: every sentence sits whole in one).
WINDOW_TOKENS = 30
WINDOW_STRIDE = 15
#: Reports with more preprocessed tokens than this get passages; shorter ones are one passage already.
MIN_TOKENS_FOR_WINDOWS = 45
#: Those three as every model fitted before models saved them was fitted with.
FIRST_PASSAGE_SETTINGS = (30, 15, 45)


def passage_settings() -> tuple[int, int, int]:
    """Tokens per passage, step, and the length above which a report gets passages, as this version cuts them: a
    model saves them when fitted (``PassagePipeline.passage_settings_``) and is refused by another."""
    return (WINDOW_TOKENS, WINDOW_STRIDE, MIN_TOKENS_FOR_WINDOWS)


def split_windows(docs, size=WINDOW_TOKENS, stride=WINDOW_STRIDE, min_tokens=MIN_TOKENS_FOR_WINDOWS):
    """Passages of the long preprocessed texts in ``docs`` and, per passage, the index of its text.

    ``docs`` are space-separated token strings (the preprocessing step's output).

    Examples
    --------
    >>> passages, owner = split_windows(["a b c d e f g", "x y"], size=4, stride=2, min_tokens=5)
    >>> passages, owner.tolist()
    (['a b c d', 'c d e f', 'e f g'], [0, 0, 0])
    """
    if not 0 < stride <= size or min_tokens < size:
        raise ValueError(f"Need 0 < stride <= size <= min_tokens; got size={size}, stride={stride}, "
                         f"min_tokens={min_tokens}.")
    passages, owner = [], []
    for index, doc in enumerate(docs):
        tokens = doc.split()
        if len(tokens) <= min_tokens:
            continue
        for start in range(0, len(tokens) - size + stride, stride):
            passages.append(" ".join(tokens[start : start + size]))
            owner.append(index)
    return passages, np.asarray(owner, dtype=np.int64)


def nonempty_passages(passages):
    """``passages`` (a ``(texts, owner)`` pair), or ``None`` when there are none."""
    return passages if len(passages[0]) else None


def features_with_passages(features, processed, passages=True):
    """``(X, windows)`` of preprocessed texts: the fitted ``features`` step's output, and ``(X_passages,
    owner)`` for the passages of the long ones (``None`` when there are none, or with ``passages=False``).

    A features step with ``transform_with_passages`` (:class:`~classifier.model.features.TokenFeatureUnion`)
    counts both in one pass; any other transforms the passages cut by
    :func:`~classifier.model.windows.split_windows`.
    """
    if not passages:
        return features.transform(processed), None
    method = getattr(features, "transform_with_passages", None)
    if method is not None:
        return method(processed, WINDOW_TOKENS, WINDOW_STRIDE, MIN_TOKENS_FOR_WINDOWS)
    cut = nonempty_passages(split_windows(processed))
    return features.transform(processed), (None if cut is None else (features.transform(cut[0]), cut[1]))
