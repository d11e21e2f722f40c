"""Features: TF-IDF over word n-grams and character n-grams of the preprocessed lemma strings."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

WORD = "word"
CHAR = "char"
#: Preprocessed text is already tokenised: tokens are separated by single spaces.
TOKEN_PATTERN = r"[^ ]+"


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
    """

    def transform(self, raw_documents):
        from scipy import sparse

        if not hasattr(self, "vocabulary_"):
            return super().transform(raw_documents)  # raises scikit-learn's NotFittedError
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        analyze = self.build_analyzer()
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


def build_features(word_ngram_range=(1, 2), char_ngram_range=(2, 5), min_df=2) -> FeatureUnion:
    """Word and character-within-word TF-IDF, both dropping terms seen in fewer than ``min_df`` reports.

    ``min_df=2`` keeps one-off strings (a rare surname, a house number) out of the saved vocabulary;
    character n-grams make the model robust to misspellings ("assylum") and masked slurs.
    """
    word = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=word_ngram_range, min_df=min_df, sublinear_tf=True,
        lowercase=False, dtype=np.float32,
    )
    char = WordwiseTfidfVectorizer(
        analyzer=CharWbAnalyzer(char_ngram_range), min_df=min_df, sublinear_tf=True, lowercase=False,
        dtype=np.float32,
    )
    return FeatureUnion([(WORD, word), (CHAR, char)])
