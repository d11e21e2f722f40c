"""Features: TF-IDF over word n-grams and character n-grams of the preprocessed lemma strings."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

WORD = "word"
CHAR = "char"
#: Preprocessed text is already tokenised: tokens are separated by single spaces.
TOKEN_PATTERN = r"[^ ]+"


def build_features(word_ngram_range=(1, 2), char_ngram_range=(2, 5), min_df=2) -> FeatureUnion:
    """Word and character-within-word TF-IDF, both dropping terms seen in fewer than ``min_df`` reports.

    ``min_df=2`` keeps one-off strings (a rare surname, a house number) out of the saved vocabulary;
    character n-grams make the model robust to misspellings ("assylum") and masked slurs.
    """
    word = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=word_ngram_range, min_df=min_df, sublinear_tf=True,
        lowercase=False, dtype=np.float32,
    )
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=char_ngram_range, min_df=min_df, sublinear_tf=True,
        lowercase=False, dtype=np.float32,
    )
    return FeatureUnion([(WORD, word), (CHAR, char)])
