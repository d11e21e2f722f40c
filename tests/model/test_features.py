import pickle

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.model.features import CharWbAnalyzer, build_features

DOCS = ["asylum seeker hotel", "p*kis go home", "a", "xxnum xxnum mosque", ""]


@pytest.mark.parametrize("ngram_range", [(2, 5), (1, 3), (3, 3)])
def test_features_char_analyzer_matches_sklearn_char_wb(ngram_range):
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=False).build_analyzer()
    ours = CharWbAnalyzer(ngram_range)
    for doc in DOCS:
        assert ours(doc) == reference(doc)
        assert ours(doc) == reference(doc)  # cached the second time


def test_features_analyzer_pickles_without_its_cache():
    analyzer = CharWbAnalyzer()
    analyzer("some words here")
    again = pickle.loads(pickle.dumps(analyzer))
    assert again._cache == {} and again("words") == analyzer("words")


def test_features_drop_terms_seen_in_one_report():
    features = build_features().fit(["kowalczyk shouted at the asylum hotel", "protest at the asylum hotel"])
    words = dict(features.transformer_list)["word"].vocabulary_
    assert "asylum" in words and "kowalczyk" not in words


def test_features_wordwise_tfidf_equals_sklearn_tfidf():
    import numpy as np

    from classifier.model.features import WordwiseTfidfVectorizer

    train = ["asylum seeker hotel protest", "hotel protest again xxnum", "mosque graffiti p*kis", "a a a"]
    test = ["asylum asylum hotel", "", "unseen wordz here", "p*kis at the mosque mosque"]
    ours = WordwiseTfidfVectorizer(analyzer=CharWbAnalyzer(), min_df=1, sublinear_tf=True, lowercase=False,
                                   dtype=np.float32).fit(train)
    plain = TfidfVectorizer(analyzer=CharWbAnalyzer(), min_df=1, sublinear_tf=True, lowercase=False,
                            dtype=np.float32).fit(train)
    for _ in range(2):  # second pass served from the cache
        got, expected = ours.transform(test), plain.transform(test)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got.toarray(), expected.toarray())


@pytest.mark.parametrize("min_df", [1, 2, 3])
def test_features_wordwise_tfidf_fits_the_same_vocabulary_and_weights_as_sklearn(min_df):
    """Fitting counts each distinct word's n-grams once; vocabulary, IDF weights and the fitted output are
    scikit-learn's, on the corpus's own text (repeated words, odd spacing, one-letter words)."""
    import numpy as np

    from classifier.io.records import read_labelled
    from classifier.model.features import WordwiseTfidfVectorizer
    from tests.helpers import CORPUS

    docs = [text.lower() for text in read_labelled(CORPUS).texts[:400]] + ["a  a\ta", "x", "zz zz zz"]
    settings = dict(min_df=min_df, sublinear_tf=True, lowercase=False, dtype=np.float32)
    ours = WordwiseTfidfVectorizer(analyzer=CharWbAnalyzer(), **settings)
    plain = TfidfVectorizer(analyzer=CharWbAnalyzer(), **settings)
    got, expected = ours.fit_transform(docs), plain.fit_transform(docs)
    assert ours.vocabulary_ == plain.vocabulary_
    np.testing.assert_array_equal(ours.idf_, plain.idf_)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    assert (got != expected).nnz == 0
    with pytest.raises(ValueError, match="empty vocabulary"):
        WordwiseTfidfVectorizer(analyzer=CharWbAnalyzer()).fit(["", "  "])


def test_features_char_analyzer_uncached_gives_the_same_grams_and_keeps_no_copy():
    analyzer = CharWbAnalyzer()
    for doc in ["asylum", " a\tb\nc ", "", "p*kis  go home", "x"]:
        assert CharWbAnalyzer().uncached(doc) == analyzer(doc)
    fresh = CharWbAnalyzer()
    fresh.uncached("asylum seeker")
    assert fresh._cache == {}


def test_features_min_df_counts_a_report_and_its_copies_once():
    """Copies of a report (counterfactual swaps) repeat its words; with groups, a word of one report alone stays
    out of the vocabulary, with every n-gram holding it, and what stays has the weights of a fit without
    groups."""
    import numpy as np

    docs = ["bin late zorblax street", "bin late zorblax road",  # a report and its copy: one group
            "bin late road", "street light out", "light out again", "late light"]
    plain, grouped = build_features(), build_features()
    plain.fit(docs)
    grouped.fit(docs, groups=[0, 0, 1, 2, 3, 4])
    word_plain, word_grouped = dict(plain.transformer_list)["word"], dict(grouped.transformer_list)["word"]
    assert "zorblax" in word_plain.vocabulary_ and "late zorblax" in word_plain.vocabulary_
    assert not any("zorblax" in term for term in word_grouped.vocabulary_)
    assert "bin late" in word_grouped.vocabulary_ and "light out" in word_grouped.vocabulary_
    assert not any("zorb" in gram for gram in dict(grouped.transformer_list)["char"].vocabulary_)
    for term, index in word_grouped.vocabulary_.items():
        assert np.isclose(word_grouped.idf_[index], word_plain.idf_[word_plain.vocabulary_[term]])
    assert sorted(word_grouped.vocabulary_, key=word_grouped.vocabulary_.get) == sorted(word_grouped.vocabulary_)
    again = grouped.fit_transform(docs, groups=[0, 0, 1, 2, 3, 4]).toarray()
    assert np.allclose(grouped.transform(docs).toarray(), again)
    assert word_grouped.min_df == 2 and not hasattr(word_grouped, "stop_words_")


def test_features_grouped_fit_reads_the_fitted_features_and_agrees_with_a_second_pass(monkeypatch):
    """The default union prunes its vocabulary by group from the features its fit already computed (no second
    pass over the texts); what it keeps, and the features, equal the general path's, which transforms again."""
    import numpy as np

    import classifier.model.features as features

    docs = ["bin late zorblax street", "bin late zorblax road", "bin late road", "street light out",
            "light out again", "late light", "p*kis out of zorblax road"]
    groups = [0, 0, 1, 2, 3, 4, 5]
    fast = build_features().fit(docs, groups=groups)
    calls = []
    original = features.TfidfVectorizer.transform
    monkeypatch.setattr(features.TfidfVectorizer, "transform",
                        lambda self, raw: calls.append(len(raw)) or original(self, raw))
    monkeypatch.setattr(features, "_countable", lambda union: False)
    general = build_features().fit(docs, groups=groups)
    assert calls  # the general path transformed the texts a second time to prune
    for (name, a), (_, b) in zip(fast.transformer_list, general.transformer_list, strict=True):
        assert a.vocabulary_ == b.vocabulary_, name
        assert np.array_equal(a.idf_, b.idf_)
    monkeypatch.undo()
    calls.clear()
    monkeypatch.setattr(features.TfidfVectorizer, "transform",
                        lambda self, raw: calls.append(len(raw)) or original(self, raw))
    build_features().fit(docs, groups=groups)
    assert not calls
    assert np.array_equal(fast.transform(docs).toarray(), general.transform(docs).toarray())
