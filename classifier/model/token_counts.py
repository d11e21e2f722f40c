"""N-gram counts of reports and of their passages, computed once per distinct token.

A report's word-unigram and character n-gram counts are the sums of its tokens' counts, and its word bigrams
are those of its adjacent token pairs. :class:`TokenCounter` therefore maps each distinct token of a batch to
its feature indices once, then gets the counts of every report, and of every passage of the long reports, as
sparse matrix products over one array of token ids: no report or passage string is analysed n-gram by n-gram.
The counts equal those of the fitted vectorizers' own ``transform`` (tests compare them on the corpus).
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse

#: Distinct tokens whose feature indices are kept between batches.
_CACHE_SIZE = 200_000
#: Whitespace other than the space that joins tokens: the passages of a report holding it are cut the slow way.
_OTHER_SPACE = re.compile(r"[^\S ]")


class TokenCounter:
    """Counts of a fitted word-n-gram vectorizer (n <= 2, tokens split on spaces) and a word-wise character
    n-gram vectorizer, for reports given as space-separated token strings.

    Parameters
    ----------
    word_vocabulary : dict of str to int
        The word vectorizer's ``vocabulary_`` (unigrams, and bigrams written "a b").
    char_vocabulary : dict of str to int
        The character vectorizer's ``vocabulary_`` (empty for a union of word n-grams only: the character counts
        then have no column).
    char_analyzer : callable or None
        The character vectorizer's analyzer for one word (n-grams that never cross a word boundary); ``None``
        without a character vectorizer.
    """

    def __init__(self, word_vocabulary, char_vocabulary, char_analyzer):
        self.word_vocabulary = word_vocabulary
        self.char_vocabulary = char_vocabulary
        self.char_analyzer = char_analyzer
        self.n_word, self.n_char = len(word_vocabulary), len(char_vocabulary)
        # Tokens that occur in a bigram feature get a "pair id"; a bigram is found by the key of its two ids.
        pair_ids: dict[str, int] = {}
        keys, features = [], []
        for term, index in word_vocabulary.items():
            first, space, second = term.partition(" ")
            if space:
                a = pair_ids.setdefault(first, len(pair_ids))
                b = pair_ids.setdefault(second, len(pair_ids))
                keys.append((a, b))
                features.append(index)
        self._pair_ids = pair_ids
        self._n_pair = max(len(pair_ids), 1)
        keys = np.asarray(keys, dtype=np.int64).reshape(-1, 2)
        order = np.argsort(keys[:, 0] * self._n_pair + keys[:, 1], kind="stable")
        self._pair_keys = (keys[:, 0] * self._n_pair + keys[:, 1])[order]
        self._pair_features = np.asarray(features, dtype=np.int64)[order]
        self._cache: dict[str, tuple[int, int, np.ndarray]] = {}

    def counts(self, docs, windows=None):
        """Word and character count matrices of ``docs`` and, with ``windows=(size, stride, min_tokens)``, of
        the passages :func:`classifier.model.windows.split_windows` would cut from them.

        Returns ``(word, char, passages)``: CSR float32 matrices with sorted indices, and ``None`` without
        ``windows`` or ``(word, char, owner)`` for the passages (``owner``: each passage's report; no rows when no
        report is long enough). ``passages`` is ``None`` too when a report holds whitespace other than single
        spaces, so the caller cuts them itself.
        """
        tokens: list[str] = []
        lengths = np.empty(len(docs), dtype=np.int64)
        for i, doc in enumerate(docs):
            parts = doc.split(" ")
            if "" in parts:
                parts = [part for part in parts if part]
            lengths[i] = len(parts)
            tokens += parts
        distinct = dict.fromkeys(tokens)
        for number, token in enumerate(distinct):
            distinct[token] = number
        flat = np.fromiter(map(distinct.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        unigram, pair, per_token_chars = self._token_table(list(distinct))
        starts = np.cumsum(lengths) - lengths
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        # Bigram feature at each position (with the next token of the same report), or -1.
        bigram = self._bigrams(flat, pair, doc_of)
        by_doc = _indicator(doc_of, flat, len(docs), len(distinct))
        char = _sorted(by_doc @ per_token_chars)
        word = self._word_counts(doc_of, unigram[flat], bigram, len(docs))
        passages = None
        if windows is not None and not any(_OTHER_SPACE.search(doc) for doc in docs):
            passages = self._passage_counts(flat, unigram, bigram, per_token_chars, starts, lengths, *windows)
        return word, char, passages

    def _token_table(self, distinct):
        """Unigram feature, pair id (-1 when none) and character counts (a CSR row) of each distinct token."""
        cache = self._cache
        # Each token's n-grams are kept here as feature indices: the analyzer need not keep them as strings too.
        analyze = getattr(self.char_analyzer, "uncached", self.char_analyzer)
        unigram = np.empty(len(distinct), dtype=np.int64)
        pair = np.empty(len(distinct), dtype=np.int64)
        chars = []
        for number, token in enumerate(distinct):
            entry = cache.get(token)
            if entry is None:
                found = [self.char_vocabulary.get(gram) for gram in analyze(token)] if self.n_char else []
                entry = (self.word_vocabulary.get(token, -1), self._pair_ids.get(token, -1),
                         np.asarray([index for index in found if index is not None], dtype=np.int64))
                if len(cache) < _CACHE_SIZE:
                    cache[token] = entry
            unigram[number], pair[number], indices = entry
            chars.append(indices)
        indptr = np.zeros(len(distinct) + 1, dtype=np.int64)
        np.cumsum([len(indices) for indices in chars], out=indptr[1:])
        indices = np.concatenate(chars) if chars else np.zeros(0, dtype=np.int64)
        per_token_chars = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(distinct), self.n_char))
        per_token_chars.sum_duplicates()  # a word may hold an n-gram twice ("banana")
        return unigram, pair, per_token_chars

    def _bigrams(self, flat, pair, doc_of):
        bigram = np.full(len(flat), -1, dtype=np.int64)
        if len(flat) < 2 or not len(self._pair_keys):
            return bigram
        first, second = pair[flat[:-1]], pair[flat[1:]]
        candidate = np.flatnonzero((first >= 0) & (second >= 0) & (doc_of[:-1] == doc_of[1:]))
        keys = first[candidate] * self._n_pair + second[candidate]
        at = np.minimum(np.searchsorted(self._pair_keys, keys), len(self._pair_keys) - 1)
        found = self._pair_keys[at] == keys
        bigram[candidate[found]] = self._pair_features[at[found]]
        return bigram

    def _word_counts(self, row_of, unigram, bigram, n_rows):
        """Word counts: ``unigram`` and ``bigram`` give each position's features (-1: none), ``row_of`` its row."""
        rows = np.concatenate([row_of[unigram >= 0], row_of[bigram >= 0]])
        columns = np.concatenate([unigram[unigram >= 0], bigram[bigram >= 0]])
        return _indicator(rows, columns, n_rows, self.n_word)

    def _passage_counts(self, flat, unigram, bigram, per_token_chars, starts, lengths, size, stride, min_tokens):
        long_docs = np.flatnonzero(lengths > min_tokens)
        # Passage starts per long report: range(0, n - size + stride, stride), as split_windows cuts them.
        per_doc = (lengths[long_docs] - size + stride + stride - 1) // stride
        owner = np.repeat(long_docs, per_doc)
        offsets = (np.arange(per_doc.sum()) - np.repeat(np.cumsum(per_doc) - per_doc, per_doc)) * stride
        first = starts[owner] + offsets
        last = np.minimum(first + size, starts[owner] + lengths[owner])
        positions, row_of = _ranges(first, last)
        by_passage = _indicator(row_of, flat[positions], len(owner), per_token_chars.shape[0])
        char = _sorted(by_passage @ per_token_chars)
        # A bigram belongs to a passage when both its tokens do: positions first .. last - 2.
        pair_positions, pair_row_of = _ranges(first, last - 1)
        rows = np.concatenate([row_of, pair_row_of])
        features = np.concatenate([unigram[flat[positions]], np.full(len(pair_row_of), -1, dtype=np.int64)])
        pairs = np.concatenate([np.full(len(row_of), -1, dtype=np.int64), bigram[pair_positions]])
        word = self._word_counts(rows, features, pairs, len(owner))
        return word, char, owner


def _ranges(first, last):
    """The positions ``first[i] .. last[i] - 1`` of every range, concatenated, and the range of each."""
    lengths = np.maximum(last - first, 0)
    row_of = np.repeat(np.arange(len(first), dtype=np.int64), lengths)
    positions = np.arange(lengths.sum(), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return positions + first[row_of], row_of


def _indicator(rows, columns, n_rows, n_columns):
    """A CSR float32 matrix counting each ``(row, column)`` pair, with sorted indices."""
    keys, counts = np.unique(np.asarray(rows, dtype=np.int64) * n_columns + columns, return_counts=True)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // n_columns, minlength=n_rows), out=indptr[1:])
    matrix = sparse.csr_matrix((counts.astype(np.float32), keys % n_columns, indptr), shape=(n_rows, n_columns))
    matrix.has_canonical_format = True
    return matrix


def _sorted(matrix):
    """``matrix`` (CSR, no duplicates) with its indices sorted: two linear-time transpositions, which put each
    row's indices in order, instead of a sort of every row."""
    matrix = matrix.tocsc().tocsr()
    matrix.has_canonical_format = True
    return matrix
