"""Exact term contributions for the linear model: which words pushed a report towards a label.

A label's decision value is ``intercept + sum(x_f * w_f)`` over the report's features. Word n-gram
features are reported as they are; each character n-gram's contribution is shared among the words it
occurs in (in proportion to how often it occurs in each), so every word gets its own character evidence,
misspellings included. Summed over terms, the contributions give the decision value less the intercept.

Terms are model tokens; :meth:`TermExplainer.top_terms` turns them into the reasons shown to users, where
each placeholder token is named (:func:`display_term`: "xxslurrace out" reads "racial slur out", "xxnum"
reads "number"), and :func:`term_readings` goes back from a reason to the terms it can stand for.
"""

from __future__ import annotations

import numpy as np

from classifier.model.features import CHAR, WORD
from classifier.model.preprocess import EMAIL_TOKEN, NUMBER_TOKEN, PHONE_TOKEN, POSTCODE_TOKEN, URL_TOKEN
from classifier.model.slurs import MIGRANT_TOKEN, RACE_TOKEN, RELIGION_TOKEN, SLUR_TOKEN_PREFIX

#: How each placeholder token reads in a reason. A team's own slur family ``xxslur<family>`` reads
#: "<family> slur".
PLACEHOLDER_NAMES = {
    NUMBER_TOKEN: "number",
    URL_TOKEN: "link",
    EMAIL_TOKEN: "e-mail address",
    PHONE_TOKEN: "phone number",
    POSTCODE_TOKEN: "postcode",
    RACE_TOKEN: "racial slur",
    RELIGION_TOKEN: "religious slur",
    MIGRANT_TOKEN: "anti-migrant slur",
}
_SLUR = "slur"
_NAME_WORDS = {tuple(name.split()): token for token, name in PLACEHOLDER_NAMES.items()}


def placeholder_name(token: str) -> str:
    """How one token reads in a reason: a placeholder's name, any other token as it is.

    >>> placeholder_name("xxslurreligion"), placeholder_name("xxslurcaste"), placeholder_name("hotel")
    ('religious slur', 'caste slur', 'hotel')
    """
    name = PLACEHOLDER_NAMES.get(token)
    if name is None and token.startswith(SLUR_TOKEN_PREFIX) and token[len(SLUR_TOKEN_PREFIX) :].isalpha():
        name = f"{token[len(SLUR_TOKEN_PREFIX) :]} {_SLUR}"
    return name or token


def display_term(term: str) -> str:
    """A model term (space-separated tokens) as shown in a reason, each placeholder named.

    >>> display_term("xxslurrace out")
    'racial slur out'
    """
    return " ".join(placeholder_name(token) for token in term.split())


def term_readings(reason: str) -> list[tuple[str, ...]]:
    """Every model term, as a tuple of tokens, that :func:`display_term` shows as ``reason`` ("number"
    may be the word itself or ``xxnum``).

    >>> term_readings("racial slur out")
    [('xxslurrace', 'out'), ('racial', 'slur', 'out')]
    """
    words = reason.split()
    readings: list[list[tuple[str, ...]]] = [[] for _ in range(len(words) + 1)]
    readings[0].append(())
    for start in range(len(words)):
        for partial in readings[start]:
            readings[start + 1].append((*partial, words[start]))
            for name, token in _NAME_WORDS.items():
                if tuple(words[start : start + len(name)]) == name:
                    readings[start + len(name)].append((*partial, token))
            if (start + 1 < len(words) and words[start + 1] == _SLUR and words[start].isalpha()
                    and (words[start], _SLUR) not in _NAME_WORDS):
                readings[start + 2].append((*partial, SLUR_TOKEN_PREFIX + words[start]))
    return readings[-1]

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
        self._word_vocab = word_vocab
        self._word_cache: dict[str, tuple[np.ndarray, int]] = {}

    def contributions(self, processed: str, row, label_index: int) -> dict[str, float]:
        """Contribution of each term of one report (``row``: its 1 x n_features sparse vector) to a label."""
        return self.contributions_for(processed, row, [label_index])[label_index]

    def contributions_for(self, processed: str, row, label_indices) -> dict[int, dict[str, float]]:
        """Contributions of each term to each label in ``label_indices``, computed in one pass."""
        terms, values = self.contribution_matrix(processed, row, label_indices)
        return {
            j: {terms[t]: float(v) for t, v in enumerate(values[k].tolist()) if v}
            for k, j in enumerate(label_indices)
        }

    def contribution_matrix(self, processed: str, row, label_indices) -> tuple[list[str], np.ndarray]:
        """Terms of one report and their contributions, shape (len(label_indices), n_terms).

        A term is a word n-gram feature of the report or a word of it; a word that is also a unigram
        feature gets both its word-feature and its character contributions in one entry.
        """
        label_indices = list(label_indices)
        row = row.tocsr()
        row.sort_indices()
        indices, values = row.indices, row.data
        weights = self._coef[label_indices]  # (n_labels, n_features)
        is_word = indices < self._word_size
        keys = [indices[is_word]]
        parts = [weights[:, indices[is_word]] * values[is_word]]
        words = processed.split()
        extra: dict[str, int] = {}
        if words:
            cached = [self._word_entry(word) for word in words]
            lengths = np.fromiter((len(c[0]) for c in cached), dtype=np.int64, count=len(cached))
            word_keys = np.fromiter(
                (c[1] if c[1] >= 0 else self._word_size + extra.setdefault(w, len(extra))
                 for w, c in zip(words, cached, strict=True)),
                dtype=np.int64, count=len(words),
            )
            by_word = np.zeros((len(label_indices), len(words)))
            if lengths.sum() and len(indices):
                all_grams = np.concatenate([c[0] for c in cached])
                owner = np.repeat(np.arange(len(words)), lengths)
                unique, inverse, counts = np.unique(all_grams, return_inverse=True, return_counts=True)
                position = np.minimum(np.searchsorted(indices, unique), len(indices) - 1)
                share = np.where(indices[position] == unique, values[position], 0.0) / counts
                char_contrib = weights[:, all_grams] * share[inverse]
                for k in range(len(label_indices)):
                    by_word[k] = np.bincount(owner, weights=char_contrib[k], minlength=len(words))
            keys.append(word_keys)
            parts.append(by_word)
        all_keys = np.concatenate(keys)
        all_values = np.hstack(parts)
        unique_keys, inverse = np.unique(all_keys, return_inverse=True)
        combined = np.zeros((len(label_indices), len(unique_keys)))
        for k in range(len(label_indices)):
            combined[k] = np.bincount(inverse, weights=all_values[k], minlength=len(unique_keys))
        oov = list(extra)
        terms = [self._word_terms[key] if key < self._word_size else oov[key - self._word_size]
                 for key in unique_keys.tolist()]
        return terms, combined

    def top_terms(self, processed: str, row, label_index: int, k: int = 5) -> list[str]:
        """The ``k`` terms with the largest positive contribution to the label, strongest first, as reasons
        (placeholders named by :func:`display_term`)."""
        return self.top_terms_for(processed, row, [label_index], k)[label_index]

    def top_terms_for(self, processed: str, row, label_indices, k: int = 5) -> dict[int, list[str]]:
        """:meth:`top_terms` for several labels of one report at once (ties broken by term order; two terms
        that read the same, such as "number" and ``xxnum``, give one reason)."""
        terms, values = self.contribution_matrix(processed, row, label_indices)
        out = {}
        for position, j in enumerate(label_indices):
            scores = values[position]
            reasons: list[str] = []
            for t in np.argsort(-scores, kind="stable").tolist():
                if scores[t] <= 0 or len(reasons) == k:
                    break
                reason = display_term(terms[t])
                if reason not in reasons:
                    reasons.append(reason)
            out[j] = reasons
        return out

    def _word_entry(self, word: str) -> tuple[np.ndarray, int]:
        """(char n-gram feature indices, unigram feature index or -1) of a word, cached."""
        cached = self._word_cache.get(word)
        if cached is None:
            cached = (self._char_grams(word), self._word_vocab.get(word, -1))
            if len(self._word_cache) < 200_000:
                self._word_cache[word] = cached
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
