"""Exact term contributions for the linear model: which words pushed a report towards a label.

A label's decision value is ``intercept + sum(x_f * w_f)`` over the report's features. Word n-gram
features are reported as they are; each character n-gram's contribution is shared among the words it
occurs in (in proportion to how often it occurs in each), so every word gets its own character evidence,
misspellings and masked slurs included. Summed over terms, the contributions give the decision value
less the intercept.
"""

from __future__ import annotations

import numpy as np

from classifier.features import CHAR, WORD

_EMPTY = np.zeros(0, dtype=np.int64)


class TermExplainer:
    """Computes per-term contributions from a fitted features step and classifier coefficients."""

    def __init__(self, features, coef):
        vectorizers = dict(features.transformer_list)
        word_vocab = vectorizers[WORD].vocabulary_
        self._word_size = len(word_vocab)
        self._word_terms = np.empty(self._word_size, dtype=object)
        for term, index in word_vocab.items():
            self._word_terms[index] = term
        self._char_vocab = vectorizers[CHAR].vocabulary_
        char = vectorizers[CHAR]
        # Our CharWbAnalyzer carries its n-gram range; a plain analyzer="char_wb" vectorizer holds its own.
        low, high = getattr(char.analyzer, "ngram_range", char.ngram_range)
        self._char_sizes = range(low, high + 1)
        self._coef = np.asarray(coef)
        self._gram_cache: dict[str, np.ndarray] = {}

    def contributions(self, processed: str, row, label_index: int) -> dict[str, float]:
        """Contribution of each term of one report (``row``: its 1 x n_features sparse vector) to a label."""
        return self.contributions_for(processed, row, [label_index])[label_index]

    def contributions_for(self, processed: str, row, label_indices) -> dict[int, dict[str, float]]:
        """Contributions of each term to each label in ``label_indices``, computed in one pass."""
        row = row.tocsr()
        row.sort_indices()
        indices, values = row.indices, row.data
        weights = self._coef[label_indices]  # (n_labels, n_features)
        result = {j: {} for j in label_indices}
        is_word = indices < self._word_size
        word_idx, word_val = indices[is_word], values[is_word]
        word_contrib = weights[:, word_idx] * word_val
        for k, j in enumerate(label_indices):
            terms = result[j]
            for term, value in zip(self._word_terms[word_idx].tolist(), word_contrib[k].tolist(), strict=True):
                terms[term] = terms.get(term, 0.0) + value
        words = processed.split()
        if not words:
            return result
        grams = [self._grams(word) for word in words]
        lengths = np.fromiter((len(g) for g in grams), dtype=np.int64, count=len(grams))
        if not lengths.sum():
            return result
        all_grams = np.concatenate(grams)
        owner = np.repeat(np.arange(len(words)), lengths)
        unique, inverse, counts = np.unique(all_grams, return_inverse=True, return_counts=True)
        position = np.searchsorted(indices, unique)
        clipped = np.minimum(position, len(indices) - 1) if len(indices) else position
        present = (position < len(indices)) & (indices[clipped] == unique) if len(indices) else position < 0
        share = np.where(present, values[clipped] if len(indices) else 0.0, 0.0) / counts
        per_occurrence = share[inverse]
        char_contrib = weights[:, all_grams] * per_occurrence  # (n_labels, n_occurrences)
        for k, j in enumerate(label_indices):
            by_word = np.bincount(owner, weights=char_contrib[k], minlength=len(words))
            terms = result[j]
            for word, value in zip(words, by_word.tolist(), strict=True):
                if value:
                    terms[word] = terms.get(word, 0.0) + value
        return result

    def top_terms(self, processed: str, row, label_index: int, k: int = 5) -> list[str]:
        """The ``k`` terms with the largest positive contribution to the label, strongest first."""
        return self.top_terms_for(processed, row, [label_index], k)[label_index]

    def top_terms_for(self, processed: str, row, label_indices, k: int = 5) -> dict[int, list[str]]:
        """:meth:`top_terms` for several labels of one report at once."""
        out = {}
        for j, scores in self.contributions_for(processed, row, list(label_indices)).items():
            ranked = sorted((item for item in scores.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))
            out[j] = [term for term, _ in ranked[:k]]
        return out

    def _grams(self, word: str) -> np.ndarray:
        cached = self._gram_cache.get(word)
        if cached is None:
            cached = self._char_grams(word)
            if len(self._gram_cache) < 200_000:
                self._gram_cache[word] = cached
        return cached

    def _char_grams(self, word: str) -> np.ndarray:
        """Global feature indices of the in-vocabulary char_wb n-grams of one word, one per occurrence
        (the same n-grams scikit-learn's ``char_wb`` analyzer counts for it)."""
        padded = f" {word} "
        found = []
        for n in self._char_sizes:
            for start in range(len(padded) - n + 1):
                index = self._char_vocab.get(padded[start : start + n])
                if index is not None:
                    found.append(index + self._word_size)
            if len(padded) < n:
                break
        return np.asarray(found, dtype=np.int64) if found else _EMPTY
