"""Exact term contributions for the linear model: which words pushed a report towards a label.

A label's decision value is ``intercept + sum(x_f * w_f)`` over the report's features. Word n-gram
features are reported as they are; each character n-gram's contribution is shared among the words it
occurs in (in proportion to how often it occurs in each), so every word gets its own character evidence,
misspellings included. Summed over terms, the contributions give the decision value less the intercept.

Terms are model tokens (lemmas, placeholders); :meth:`TermExplainer.top_terms_for` ranks them and turns the
strongest into reasons in the report's own words (:mod:`classifier.model.reasons`), skipping terms without a
content word. :meth:`TermExplainer.top_terms_batch` gives the same reasons for a whole chunk of reports with
array operations; the per-report methods are the reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.model.features import CHAR, WORD
from classifier.model.reasons import Reason, ReportWords

_EMPTY = np.zeros(0, dtype=np.int64)
#: Words per block in :meth:`TermExplainer.top_terms_batch`: bounds its arrays (about 20 character n-gram
#: occurrences per word) to about 10 MB whatever the chunk size; larger blocks are no faster.
_BLOCK_WORDS = 5_000
#: Cells of the dense scratch in :func:`_cell_positions` (4 bytes each, 8 past 2**31 stored values).
_SCRATCH_CELLS = 1 << 18


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

    def top_terms(self, words: ReportWords, row, label_index: int, k: int = 5) -> list[Reason]:
        """The reasons for a label: the ``k`` strongest terms with a positive contribution and a content word,
        strongest first, as the report wrote them (:meth:`ReportWords.reason`)."""
        return self.top_terms_for(words, row, [label_index], k)[label_index]

    def top_terms_for(self, words: ReportWords, row, label_indices, k: int = 5) -> dict[int, list[Reason]]:
        """:meth:`top_terms` for several labels of one report at once (ties broken by term order; two terms
        that read the same give one reason)."""
        terms, values = self.contribution_matrix(words.processed, row, label_indices)
        out = {}
        for position, j in enumerate(label_indices):
            scores = values[position]
            out[j] = self._first_reasons(words, (terms[t] for t in np.argsort(-scores, kind="stable").tolist()
                                                 if scores[t] > 0), k)
        return out

    @staticmethod
    def _first_reasons(words: ReportWords, ranked, k: int) -> list[Reason]:
        """The first ``k`` distinct reasons the ``ranked`` terms give."""
        reasons: list[Reason] = []
        shown: set[str] = set()
        for term in ranked:
            if len(reasons) == k:
                break
            reason = words.reason(term)
            if reason is not None and reason.text not in shown:
                shown.add(reason.text)
                reasons.append(reason)
        return reasons

    def top_terms_batch(self, reports: Sequence[ReportWords], matrix, assigned,
                        k: int = 5) -> list[dict[int, list[Reason]]]:
        """:meth:`top_terms_for` for every report of a chunk at once: the same reasons, in the same order.

        Parameters
        ----------
        reports : sequence of ReportWords
            The reports, as the model read them.
        matrix : sparse matrix of shape (n_reports, n_features)
            Their features.
        assigned : array-like of bool, shape (n_reports, n_labels)
            The labels to explain for each report; a report with none gets an empty dict.
        k : int, default=5
            Reasons per label.

        Returns
        -------
        list of dict, one per report, mapping each of its label indices to its reasons.
        """
        assigned = np.asarray(assigned, dtype=bool)
        out: list[dict[int, list[Reason]]] = [{} for _ in range(len(reports))]
        rows = np.flatnonzero(assigned.any(axis=1))
        words = [reports[r].tokens for r in rows.tolist()]
        matrix = matrix.tocsr()
        start = 0
        while start < len(rows):
            stop, total = start + 1, len(words[start])
            while stop < len(rows) and total + len(words[stop]) <= _BLOCK_WORDS:
                total += len(words[stop])
                stop += 1
            block = rows[start:stop]
            block_reports = [reports[r] for r in block.tolist()]
            for (row, j), reasons in self._block_top_terms(block_reports, words[start:stop], matrix[block],
                                                           assigned[block], k):
                out[block[row]][j] = reasons
            start = stop
        return out

    def _block_top_terms(self, reports: list[ReportWords], words: list[list[str]], matrix, assigned: np.ndarray,
                         k: int):
        """Yield ((row in block, label index), reasons) for each true entry of ``assigned``."""
        flat = [word for row_words in words for word in row_words]
        for j, term_row, term_key, score in self._block_contributions(words, flat, matrix, assigned):
            positive = score > 0
            term_row, term_key, score = term_row[positive], term_key[positive], score[positive]
            # Strongest first; equal scores keep term order, as the stable argsort of top_terms_for does.
            order = np.lexsort((term_key, -score, term_row))
            keys = term_key[order].tolist()
            bounds = np.searchsorted(term_row[order], np.arange(len(words) + 1)).tolist()
            for row in np.flatnonzero(assigned[:, j]).tolist():
                ranked = (self._word_terms[key] if key < self._word_size else flat[key - self._word_size]
                          for key in keys[bounds[row] : bounds[row + 1]])
                yield (row, j), self._first_reasons(reports[row], ranked, k)

    def _block_contributions(self, words: list[list[str]], flat: list[str], matrix, assigned: np.ndarray):
        """Yield (label index, row, term key, contribution) arrays, for each label, over the terms of the rows
        that have it; rows and keys in ascending order. ``flat`` holds the words of all rows in turn. A term
        key is a feature index or, for a word that is no feature, the number of word features plus the
        word's first position in ``flat`` (so a row's keys sort as in :meth:`contribution_matrix`).

        Every sum runs in the order :meth:`contribution_matrix` uses, so each contribution is bit-for-bit the
        same: a word's character evidence is summed over its n-grams in order, and a term's contribution is
        its word-feature part, then each of its occurrences' character part in text order.
        """
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        local: dict[str, int] = {}
        token_word = np.fromiter((local.setdefault(word, len(local)) for word in flat), dtype=np.int64,
                                 count=len(flat))
        token_row = np.repeat(np.arange(len(words)), lengths)

        # The block's distinct words: their char n-grams (flattened) and unigram feature index.
        cached = [self._word_entry(word) for word in local]
        gram_count = np.fromiter((len(c[0]) for c in cached), dtype=np.int64, count=len(cached))
        gram_start = np.cumsum(gram_count) - gram_count
        grams = np.concatenate([c[0] for c in cached]) if cached else _EMPTY
        unigram = np.fromiter((c[1] for c in cached), dtype=np.int64, count=len(cached))

        # Distinct (row, word) pairs, how often each occurs, and the key of its term.
        n_local = max(len(local), 1)
        pair_ids, first, token_pair, multiplicity = np.unique(
            token_row * n_local + token_word, return_index=True, return_inverse=True, return_counts=True)
        pair_row, pair_word = np.divmod(pair_ids, n_local)
        pair_key = np.where(unigram[pair_word] >= 0, unigram[pair_word], self._word_size + first)

        # Each char n-gram occurrence of each pair, and its share of the row's value of that n-gram: the value
        # over the n-gram's count in the row (zero for an n-gram the row does not have).
        occurrences = gram_count[pair_word]
        occurrence_pair = np.repeat(np.arange(len(pair_ids)), occurrences)
        offset = np.arange(len(occurrence_pair)) - np.repeat(np.cumsum(occurrences) - occurrences, occurrences)
        occurrence_gram = grams[np.repeat(gram_start[pair_word], occurrences) + offset]
        cell = _cell_positions(matrix, pair_row[occurrence_pair], occurrence_gram)
        counts = np.bincount(cell, weights=multiplicity[occurrence_pair], minlength=matrix.nnz + 1)[:-1]
        cell_share = np.zeros(matrix.nnz + 1)  # the last one for the n-grams the row does not have
        np.divide(matrix.data, counts, out=cell_share[:-1], where=counts > 0)
        share = cell_share[cell]

        # A term's entries: its word feature's, then its words' in text order; np.bincount adds in that order.
        entry_row = np.repeat(np.arange(len(words)), np.diff(matrix.indptr))
        is_word = matrix.indices < self._word_size
        entry_row = np.concatenate([entry_row[is_word], token_row])
        key_span = self._word_size + len(flat)
        terms, entry_term = np.unique(
            entry_row * key_span + np.concatenate([matrix.indices[is_word], pair_key[token_pair]]),
            return_inverse=True)
        term_row, term_key = np.divmod(terms, key_span)
        word_values, word_indices = matrix.data[is_word], matrix.indices[is_word]
        for j in np.flatnonzero(assigned.any(axis=0)).tolist():
            weights = self._coef[j]
            by_pair = np.bincount(occurrence_pair, weights=weights[occurrence_gram] * share, minlength=len(pair_ids))
            entry_value = np.concatenate([weights[word_indices] * word_values, by_pair[token_pair]])
            keep = assigned[entry_row, j]
            score = np.bincount(entry_term[keep], weights=entry_value[keep], minlength=len(terms))
            labelled = assigned[term_row, j]
            yield j, term_row[labelled], term_key[labelled], score[labelled]

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


def _cell_positions(matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Where each (row, col) cell is stored in a CSR ``matrix.data``, ``matrix.nnz`` where it is not;
    ``rows`` non-decreasing. A dense scratch of a few rows at a time replaces a sort or a binary search."""
    n_rows, n_cols = matrix.shape
    span = max(1, _SCRATCH_CELLS // max(n_cols, 1))
    scratch = np.full(min(span, n_rows) * n_cols, matrix.nnz, dtype=matrix.indptr.dtype)
    stored_row = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    bounds = np.searchsorted(rows, np.arange(0, n_rows + span, span))
    out = np.empty(len(rows), dtype=np.int64)
    for group, first in enumerate(range(0, n_rows, span)):
        low, high = matrix.indptr[first], matrix.indptr[min(first + span, n_rows)]
        stored = (stored_row[low:high] - first) * n_cols + matrix.indices[low:high]
        scratch[stored] = np.arange(low, high)
        lo, hi = bounds[group], bounds[group + 1]
        out[lo:hi] = scratch[(rows[lo:hi] - first) * n_cols + cols[lo:hi]]
        scratch[stored] = matrix.nnz
    return out
