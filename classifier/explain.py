"""Exact term contributions for the linear model: which words pushed a report towards a label.

A label's decision value is ``intercept + sum(x_f * w_f)`` over the report's features. Word n-gram
features are reported as they are; each character n-gram's contribution is shared among the words it
occurs in, so every word gets its own character evidence (misspellings and masked slurs included).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from classifier.features import CHAR, WORD


class TermExplainer:
    """Computes per-term contributions from a fitted features step and classifier coefficients."""

    def __init__(self, features, coef):
        vectorizers = dict(features.transformer_list)
        self._word_size = len(vectorizers[WORD].vocabulary_)
        word_vocab = vectorizers[WORD].vocabulary_
        self._word_terms = np.empty(self._word_size, dtype=object)
        for term, index in word_vocab.items():
            self._word_terms[index] = term
        self._char_vocab = vectorizers[CHAR].vocabulary_
        low, high = vectorizers[CHAR].ngram_range
        self._char_sizes = range(low, high + 1)
        self._coef = coef

    def contributions(self, processed: str, row, label_index: int) -> dict[str, float]:
        """Contribution of each term of one report (``row``: its 1 x n_features sparse vector) to a label."""
        weights = self._coef[label_index]
        row = row.tocsr()
        values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        terms: dict[str, float] = defaultdict(float)
        for index, value in values.items():
            if index < self._word_size:
                terms[self._word_terms[index]] += value * weights[index]
        per_word = [(word, self._char_grams(word)) for word in processed.split()]
        totals: dict[int, int] = defaultdict(int)
        for _, grams in per_word:
            for gram in grams:
                totals[gram] += 1
        for word, grams in per_word:
            for gram in grams:
                value = values.get(self._word_size + gram)
                if value is not None:
                    terms[word] += value * weights[self._word_size + gram] / totals[gram]
        return dict(terms)

    def top_terms(self, processed: str, row, label_index: int, k: int = 5) -> list[str]:
        """The ``k`` terms with the largest positive contribution to the label, strongest first."""
        scores = self.contributions(processed, row, label_index)
        ranked = sorted((item for item in scores.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))
        return [term for term, _ in ranked[:k]]

    def _char_grams(self, word: str) -> list[int]:
        padded = f" {word} "
        found = []
        for n in self._char_sizes:
            for start in range(len(padded) - n + 1):
                index = self._char_vocab.get(padded[start : start + n])
                if index is not None:
                    found.append(index)
            if len(padded) < n:
                break
        return found
