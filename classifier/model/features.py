"""Features: TF-IDF over word n-grams and character n-grams of the preprocessed lemma strings."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

WORD = "word"
CHAR = "char"
#: Preprocessed text is already tokenised: tokens are separated by single spaces.
TOKEN_PATTERN = r"[^ ]+"
#: The blocks whose min_df counts groups of texts (a report and its copies) once, when fitted with groups.
GROUPED_BLOCKS = (WORD, CHAR)


class CharWbAnalyzer:
    """scikit-learn's ``char_wb`` n-grams, cached per word: the same n-grams in the same order, faster.

    ``char_wb`` n-grams never cross a word boundary, so a report's n-grams are the concatenation of its
    words' n-grams, and a backlog repeats the same words over and over. The cache is not pickled.
    """

    def __init__(self, ngram_range=(2, 5), cache_size=200_000):
        self.ngram_range = tuple(ngram_range)
        self.cache_size = cache_size
        self._cache: dict[str, list[str]] = {}

    def __call__(self, doc: str) -> list[str]:
        grams: list[str] = []
        cache = self._cache
        for word in doc.split():
            found = cache.get(word)
            if found is None:
                found = self._word_grams(word)
                if len(cache) < self.cache_size:
                    cache[word] = found
            grams.extend(found)
        return grams

    def uncached(self, doc: str) -> list[str]:
        """The same n-grams as calling the analyzer, without filling its cache: for callers that keep their own
        per-word cache (a second copy of every word's n-grams would only cost memory)."""
        words = doc.split()
        if len(words) == 1:
            return self._word_grams(words[0])
        return [gram for word in words for gram in self._word_grams(word)]

    def _word_grams(self, word: str) -> list[str]:
        # Mirrors sklearn.feature_extraction.text.CountVectorizer._char_wb_ngrams for one word.
        padded = f" {word} "
        length = len(padded)
        low, high = self.ngram_range
        grams = []
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
        return grams

    def __getstate__(self):
        return {"ngram_range": self.ngram_range, "cache_size": self.cache_size}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cache = {}

    def __repr__(self):
        return f"CharWbAnalyzer(ngram_range={self.ngram_range})"


class WordwiseTfidfVectorizer(TfidfVectorizer):
    """A TfidfVectorizer for analyzers that work word by word (such as :class:`CharWbAnalyzer`), whose
    ``transform`` caches each word's feature indices instead of re-analysing it in every report.

    Counting is the only step replaced; the counts then go through scikit-learn's own TF-IDF transform,
    so the output equals ``TfidfVectorizer.transform`` exactly (a test checks it). The cache is not pickled.
    Fitting counts each distinct word's n-grams once too (the counts of the reports are a sparse product of
    word counts and n-gram counts per word), then scikit-learn sorts and prunes the vocabulary as always: the
    same vocabulary and IDF weights (tested).
    """

    def _count_vocab(self, raw_documents, fixed_vocab):
        if fixed_vocab or not isinstance(self.analyzer, CharWbAnalyzer):
            return super()._count_vocab(raw_documents, fixed_vocab)
        from scipy import sparse
        from sklearn.feature_extraction import text

        word_ids: dict[str, int] = {}
        ids, indptr = [], [0]
        for doc in raw_documents:
            if doc is np.nan:
                raise ValueError("np.nan is an invalid document, expected byte or unicode string.")
            ids += [word_ids.setdefault(word, len(word_ids)) for word in doc.split()]
            indptr.append(len(ids))
        words = sparse.csr_matrix((np.ones(len(ids), dtype=np.int64), np.asarray(ids, dtype=np.int64),
                                   np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(word_ids)))
        vocabulary: dict[str, int] = {}
        rows, columns = [], []
        analyze = self.analyzer.uncached
        for word, row in word_ids.items():
            for gram in analyze(word):
                rows.append(row)
                columns.append(vocabulary.setdefault(gram, len(vocabulary)))
        if not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        grams = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)),
                                  shape=(len(word_ids), len(vocabulary)))  # duplicates summed: counts per word
        counts = (words @ grams).tocsr()
        counts.sum_duplicates()
        index_dtype = np.int32 if counts.nnz <= np.iinfo(np.int32).max else np.int64
        X = sparse.csr_array((counts.data.astype(self.dtype), counts.indices.astype(index_dtype),
                              counts.indptr.astype(index_dtype)), shape=counts.shape, dtype=self.dtype)
        X.sort_indices()
        # scikit-learn's own type: as its `sparse_interface` setting says, or a csr_matrix before that setting
        # existed (what its TfidfVectorizer gives there, 1.6 included).
        align = getattr(text, "_align_api_if_sparse", None)
        return vocabulary, (sparse.csr_matrix(X) if align is None else align(X))

    def transform(self, raw_documents):
        from scipy import sparse

        if not hasattr(self, "vocabulary_"):
            return super().transform(raw_documents)  # raises scikit-learn's NotFittedError
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        analyze = getattr(self.analyzer, "uncached", None) or self.build_analyzer()
        vocabulary = self.vocabulary_
        cache = self.__dict__.setdefault("_index_cache", {})
        parts, indptr = [], [0]
        total = 0
        for doc in raw_documents:
            for word in doc.split():
                found = cache.get(word)
                if found is None:
                    found = np.asarray([vocabulary[g] for g in analyze(word) if g in vocabulary], dtype=np.int64)
                    if len(cache) < 200_000:
                        cache[word] = found
                parts.append(found)
                total += len(found)
            indptr.append(total)
        indices = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        counts = sparse.csr_matrix(
            (np.ones(len(indices), dtype=self.dtype), indices, np.asarray(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(vocabulary)), dtype=self.dtype,
        )
        counts.sum_duplicates()
        if self.binary:
            counts.data.fill(1)
        return self._tfidf.transform(counts, copy=False)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_index_cache", None)
        return state


class TokenFeatureUnion(FeatureUnion):
    """The word and character TF-IDF blocks side by side, counted token by token.

    ``transform`` gives exactly what :class:`~sklearn.pipeline.FeatureUnion` gives, counting through
    :class:`~classifier.model.token_counts.TokenCounter`; :meth:`transform_with_passages` also gives the
    features of the long reports' passages from the same pass. A union it cannot count that way (other
    vectorizer settings) transforms as a plain FeatureUnion. The counter is not pickled.
    """

    def fit(self, X, y=None, groups=None, **params):
        """Fit the vectorizers. With ``groups`` (one id per text: a report and its generated copies share one),
        ``min_df`` counts the groups a term occurs in, not the texts: a name written in one report stays out
        of the vocabulary even though its copies repeat it."""
        self.__dict__.pop("_counter", None)
        if groups is None:
            return super().fit(X, y, **params)
        docs = _texts(X)
        groups = np.asarray(groups)
        if groups.shape != (len(docs),):
            raise ValueError(f"groups must hold one id per text: {len(docs)} texts, groups of shape {groups.shape}.")
        vectorizers = {name: vectorizer for name, vectorizer in self.transformer_list if name in GROUPED_BLOCKS}
        wanted = {name: vectorizer.min_df for name, vectorizer in vectorizers.items()}
        for vectorizer in vectorizers.values():
            vectorizer.set_params(min_df=1)
        try:
            if _countable(self):  # the default union: each block's counts are a slice of the fitted features
                blocks = _blocks(self, super().fit_transform(docs, y, **params))
            else:
                super().fit(docs, y, **params)
                blocks = {}
        finally:
            for name, vectorizer in vectorizers.items():
                vectorizer.set_params(min_df=wanted[name])
        _, owner = np.unique(groups, return_inverse=True)
        for name, vectorizer in vectorizers.items():
            _keep_terms_of_groups(vectorizer, docs, owner, wanted[name], by_word=name == WORD,
                                  present=blocks.get(name))
        return self

    def fit_transform(self, X, y=None, groups=None, **params):
        if groups is not None:
            docs = _texts(X)
            return self.fit(docs, y, groups=groups, **params).transform(docs)
        self.__dict__.pop("_counter", None)
        return super().fit_transform(X, y, **params)

    def transform(self, X, **params):
        counter = self._get_counter()
        if counter is None or params:
            return super().transform(X, **params)
        word, char, _ = counter.counts(_texts(X))
        return self._tfidf(word, char)

    def transform_with_passages(self, X, size, stride, min_tokens):
        """``(features, passages)`` of preprocessed texts: ``passages`` is ``(X_passages, owner)`` for the
        passages :func:`~classifier.model.windows.split_windows` cuts (same arguments), or ``None`` if none."""
        from classifier.model.windows import split_windows

        docs = _texts(X)
        counter = self._get_counter()
        if counter is None:
            features = self.transform(docs)
        else:
            word, char, passages = counter.counts(docs, windows=(size, stride, min_tokens))
            features = self._tfidf(word, char)
            if passages is not None:  # counted with the reports (no rows: no report is long enough)
                return features, ((self._tfidf(*passages[:2]), passages[2]) if len(passages[2]) else None)
        cut, owner = split_windows(docs, size, stride, min_tokens)
        return features, ((self.transform(cut), owner) if cut else None)

    def _tfidf(self, word, char):
        vectorizers = dict(self.transformer_list)
        blocks = [vectorizers[WORD]._tfidf.transform(word.astype(vectorizers[WORD].dtype, copy=False), copy=False)]
        if CHAR not in vectorizers:  # word n-grams only
            return blocks[0].tocsr()
        blocks.append(vectorizers[CHAR]._tfidf.transform(char.astype(vectorizers[CHAR].dtype, copy=False),
                                                         copy=False))
        return sparse.hstack(blocks).tocsr()

    def _get_counter(self):
        """The :class:`TokenCounter` of the fitted vectorizers, or ``None`` when they cannot be counted so."""
        if "_counter" in self.__dict__:
            return self._counter
        counter = None
        vectorizers = dict(self.transformer_list)
        if _countable(self) and all(hasattr(vectorizer, "_tfidf") for vectorizer in vectorizers.values()):
            from classifier.model.token_counts import TokenCounter

            char = vectorizers.get(CHAR)
            counter = TokenCounter(vectorizers[WORD].vocabulary_, {} if char is None else char.vocabulary_,
                                   None if char is None else char.analyzer)
        self._counter = counter
        return counter

    def set_params(self, **params):
        self.__dict__.pop("_counter", None)
        return super().set_params(**params)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_counter", None)
        return state


def _blocks(union, features) -> dict:
    """``{block name: its columns of features}``: the union's output cut back into its blocks, in order."""
    features = sparse.csr_matrix(features)
    blocks, start = {}, 0
    for name, vectorizer in union.transformer_list:
        width = len(vectorizer.vocabulary_)
        blocks[name] = features[:, start:start + width]
        start += width
    if start != features.shape[1]:
        raise AssertionError(f"the union's blocks hold {start} columns, its features {features.shape[1]}")
    return blocks


def _keep_terms_of_groups(vectorizer, docs, owner, min_df, *, by_word=False, present=None) -> None:
    """Prune a vectorizer fitted with ``min_df=1`` to the terms found in at least ``min_df`` texts and in at least
    ``min_df`` groups of texts (``owner``: each text's group, numbered from 0; a fraction ``min_df`` is of the
    groups), in place. With ``by_word`` (word n-grams), the groups are counted per word instead: an n-gram is
    kept when it is in ``min_df`` texts and each of its words is in ``min_df`` groups, so a rare pair of common
    words stays while every n-gram holding a word of one report (a name) goes. The kept terms keep their IDF
    weights, which depend only on their own document frequency. ``present``: the vectorizer's features of
    ``docs`` when already computed (only which entries are non-zero is read)."""
    present = (vectorizer.transform(docs) if present is None else present).tocsr()
    present.eliminate_zeros()
    present.data[:] = 1
    n_groups = int(owner.max()) + 1 if len(owner) else 0
    by_group = sparse.csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(n_groups, len(owner)))
    in_groups = (by_group @ present).tocsc()
    in_groups.data[:] = 1
    group_df = np.diff(in_groups.indptr)
    text_df = np.diff(present.tocsc().indptr)
    least = min_df if isinstance(min_df, int | np.integer) else int(np.ceil(min_df * n_groups))
    terms = np.empty(len(vectorizer.vocabulary_), dtype=object)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    if by_word:
        vocabulary = vectorizer.vocabulary_
        keep = np.asarray([text_df[index] >= least and all(
            word in vocabulary and group_df[vocabulary[word]] >= least for word in term.split(" "))
            for index, term in enumerate(terms)], dtype=bool)
    else:
        keep = (group_df >= least) & (text_df >= least)
    if keep.all():
        return
    idf = vectorizer.idf_[keep]
    vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms[keep])}
    vectorizer.idf_ = idf
    vectorizer._tfidf.n_features_in_ = len(idf)
    vectorizer.__dict__.pop("_index_cache", None)
    vectorizer.__dict__.pop("stop_words_", None)  # the terms pruned: never kept in the model


def _countable(union) -> bool:
    """True for a union of a word vectorizer (unigrams, or unigrams and bigrams, of space-separated tokens) and,
    optionally, a :class:`CharWbAnalyzer` vectorizer, named as :func:`build_features` names them, unweighted."""
    names = [name for name, _ in union.transformer_list]
    if names not in ([WORD, CHAR], [WORD]) or union.transformer_weights is not None:
        return False
    steps = dict(union.transformer_list)
    word, char = steps[WORD], steps.get(CHAR)
    plain = dict(input="content", encoding="utf-8", decode_error="strict", strip_accents=None, lowercase=False,
                 preprocessor=None, tokenizer=None, stop_words=None, binary=False)
    return (type(word) is TfidfVectorizer and word.analyzer == "word" and word.token_pattern == TOKEN_PATTERN
            and tuple(word.ngram_range) in {(1, 1), (1, 2)}
            and all(getattr(word, key) == value for key, value in plain.items())
            and (char is None or (type(char) is WordwiseTfidfVectorizer and isinstance(char.analyzer, CharWbAnalyzer)
                                  and not char.binary)))


def _texts(X) -> list[str]:
    if isinstance(X, str):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    return X if isinstance(X, list) else list(X)


def build_features(word_ngram_range=(1, 2), char_ngram_range=(2, 5), min_df=2) -> FeatureUnion:
    """Word and character-within-word TF-IDF, both dropping terms seen in fewer than ``min_df`` reports
    (``char_ngram_range=None``: word n-grams only).

    ``min_df=2`` keeps one-off strings (a rare surname, a house number) out of the saved vocabulary;
    character n-grams make the model robust to misspellings ("assylum") and masked slurs.
    """
    word = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=word_ngram_range, min_df=min_df, sublinear_tf=True,
        lowercase=False, dtype=np.float32,
    )
    if char_ngram_range is None:
        return TokenFeatureUnion([(WORD, word)])
    char = WordwiseTfidfVectorizer(
        analyzer=CharWbAnalyzer(char_ngram_range), min_df=min_df, sublinear_tf=True, lowercase=False,
        dtype=np.float32,
    )
    return TokenFeatureUnion([(WORD, word), (CHAR, char)])
