"""The methods that ``benchmarks.compare`` puts side by side, behind one small interface.

Each method is fitted on texts, a label indicator matrix and per-report weights (our hard-negative weights),
predicts an indicator matrix, and saves itself to a folder so its size on disk can be measured:

- ``ours``: :func:`classifier.training.train.fit_pipeline`, the shipped default, unchanged;
- ``no-spacy``: the same TF-IDF (word 1-2 + char_wb 2-5, min_df=2) and the same
  :class:`~classifier.model.estimator.CalibratedLinearMultiLabel` (C, class weights, hard-negative weights, thresholds)
  on raw lowercased text: what the spaCy step buys and costs;
- ``fasttext``: fastText supervised, ``loss="ova"``, fixed settings, per-label thresholds from 5-fold
  out-of-fold probabilities on the training data (the same threshold rule as ours);
- ``fasttext-autotune``: fastText's autotune on a 80/20 split of the training data only, thresholds from
  that 20% validation part;
- ``spacy-bow`` / ``spacy-ensemble``: spaCy ``textcat_multilabel`` on ``spacy.blank("en")``; the epoch count
  and per-label thresholds come from a 80/20 split of the training data, then the model is refitted on all of it.

Peers take no sample weights in training (neither fastText nor spaCy's textcat has them); the weights still
count in the choice of thresholds, as they do for ours.

With ``quick=True`` (``compare --quick``, the test suite's smoke run) every method runs with the cheapest settings
that still exercise all of its steps: 2 folds and one repeat for out-of-fold scores, few epochs, a 2 s autotune.
Its figures say the code runs, nothing about the method.
"""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

import numpy as np

from classifier.io.records import LabelledData
from classifier.model.estimator import _best_threshold

#: Range searched for each label's threshold, as in CalibratedLinearMultiLabel's defaults.
THRESHOLD_RANGE = (0.1, 0.9)
#: Quick mode: folds of the out-of-fold scores, fastText epochs and autotune budget, spaCy textcat epochs and
#: batch size (spaCy's default schedule starts at 4 reports a batch, and each update has a fixed cost).
QUICK_FOLDS = 2
QUICK_FASTTEXT_EPOCHS = 5
QUICK_AUTOTUNE_SECONDS = 2
QUICK_TEXTCAT_EPOCHS = 2
QUICK_TEXTCAT_BATCH = 32


def labelled(texts, labels) -> LabelledData:
    """Wrap texts and label tuples as :class:`LabelledData` (what ``fit_pipeline`` takes)."""
    n = len(texts)
    return LabelledData([str(i) for i in range(n)], list(texts), [tuple(x) for x in labels], [None] * n,
                        [f"row {i + 1}" for i in range(n)])


def tune_thresholds(proba, Y, weights=None) -> np.ndarray:
    """Per-label F1-optimal threshold on held-out probabilities, with the same rule our estimator uses."""
    low, high = THRESHOLD_RANGE
    return np.asarray([_best_threshold(proba[:, j], Y[:, j], low, high, weights) for j in range(Y.shape[1])])


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


class Method:
    """Interface: ``fit(data, labels)``, ``predict(texts) -> indicator``, ``save(folder)``."""

    name = "method"
    #: What the table's notes say about how thresholds were chosen.
    thresholds_from = ""

    def __init__(self, *, quick=False, seed=0):
        self.quick = quick
        self.seed = seed

    def fit(self, data: LabelledData, labels: list[str]) -> Method:
        raise NotImplementedError

    def predict(self, texts) -> np.ndarray:
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        raise NotImplementedError


class Ours(Method):
    name = "ours"
    thresholds_from = "5-fold out-of-fold on train (built in)"

    def fit(self, data, labels):
        from classifier.training.train import fit_pipeline

        quick = {"cv": QUICK_FOLDS, "cv_repeats": 1} if self.quick else {}
        self.pipeline = fit_pipeline(data, labels, seed=self.seed, **quick)
        return self

    def predict(self, texts):
        return self.pipeline.predict(list(texts))

    def save(self, folder):
        from classifier.model.persistence import MODEL_FILE, write_model_file

        write_model_file(self.pipeline, Path(folder) / MODEL_FILE)  # as persistence.save_model does


def no_spacy_pipeline(labels, *, seed=0, cv=5, cv_repeats=None):
    """Our features and estimator on raw text, no spaCy: scikit-learn's own tokeniser, the vectorizers lowercase.

    Same step names as the real pipeline, so ``TensionModel`` (reasons included) runs it unchanged; no custom
    step, so it unpickles in any process. ``cv`` and ``cv_repeats`` (default: the real pipeline's) are the
    out-of-fold scoring behind calibration and thresholds.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from classifier.model.estimator import CalibratedLinearMultiLabel
    from classifier.model.features import CHAR, WORD
    from classifier.model.pipeline import (
        CLASSIFIER,
        DEFAULT_C,
        DEFAULT_CV_REPEATS,
        DEFAULT_NB_ALPHA,
        FEATURES,
        PREPROCESS,
    )

    features = FeatureUnion([
        (WORD, TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32)),
        (CHAR, TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                               dtype=np.float32)),
    ])
    return Pipeline([
        (PREPROCESS, FunctionTransformer()),  # identity: no spaCy
        (FEATURES, features),
        (CLASSIFIER, CalibratedLinearMultiLabel(C=DEFAULT_C, cv=cv, random_state=seed, labels=list(labels),
                                                nb_alpha=DEFAULT_NB_ALPHA,
                                                cv_repeats=DEFAULT_CV_REPEATS if cv_repeats is None else cv_repeats)),
    ])


class NoSpacy(Ours):
    name = "no-spacy"

    def fit(self, data, labels):
        from classifier.training.train import hard_negative_weights

        quick = {"cv": QUICK_FOLDS, "cv_repeats": 1} if self.quick else {}
        self.pipeline = no_spacy_pipeline(labels, seed=self.seed, **quick)
        self.pipeline.fit(list(data.texts), np.asarray(data.indicator(labels)),
                          classifier__sample_weight=hard_negative_weights(data))
        return self


_PUNCTUATION = re.compile(r"([^\w\s'])")
_SPACE = re.compile(r"\s+")
NO_LABEL = "__none__"  # fastText drops lines without a label: reports with none get this pseudo-label


def fasttext_text(text: str) -> str:
    """Lowercase, punctuation split off, one line: the usual fastText preparation."""
    return _SPACE.sub(" ", _PUNCTUATION.sub(r" \1 ", text.lower())).strip()


class FastText(Method):
    name = "fasttext"
    thresholds_from = "5-fold out-of-fold on train (our rule)"
    #: Fixed settings: word bigrams and char 2-5 subwords (like our features); a small hash table keeps the
    #: model file tens of MB rather than fastText's default 2M buckets (~400 MB at dim 50).
    params = {"loss": "ova", "epoch": 30, "lr": 0.5, "wordNgrams": 2, "dim": 50, "minn": 2, "maxn": 5,
              "bucket": 200_000, "minCount": 1, "thread": 2}

    def _train(self, data, labels, **extra):
        import fasttext

        with tempfile.TemporaryDirectory(prefix="bench_ft_") as tmp:
            path = Path(tmp) / "train.txt"
            path.write_text(self._lines(data, labels), encoding="utf-8")
            params = dict(self.params, **extra)
            if self.quick:
                params["epoch"] = min(params.get("epoch", 5), QUICK_FASTTEXT_EPOCHS)
            return fasttext.train_supervised(input=str(path), verbose=0, seed=self.seed, **params)

    @staticmethod
    def _lines(data, labels):
        lines = []
        for text, row in zip(data.texts, data.labels, strict=True):
            tags = [f"__label__{label}" for label in labels if label in row] or [f"__label__{NO_LABEL}"]
            lines.append(" ".join(tags) + " " + fasttext_text(text))
        return "\n".join(lines) + "\n"

    @staticmethod
    def _proba(model, texts, labels):
        found, probs = model.predict([fasttext_text(t) for t in texts], k=-1, threshold=0.0)
        column = {f"__label__{label}": j for j, label in enumerate(labels)}
        proba = np.zeros((len(texts), len(labels)))
        for i, (names, values) in enumerate(zip(found, probs, strict=True)):
            for name, value in zip(names, values, strict=True):
                if name in column:
                    proba[i, column[name]] = value
        return proba

    def fit(self, data, labels):
        from sklearn.model_selection import KFold

        from classifier.training.train import hard_negative_weights

        self.labels = list(labels)
        Y = np.asarray(data.indicator(labels))
        oof = np.zeros(Y.shape)
        folds = KFold(n_splits=QUICK_FOLDS if self.quick else 5, shuffle=True, random_state=self.seed)
        for train, test in folds.split(Y):
            model = self._train(data.subset(train), labels)
            oof[test] = self._proba(model, data.subset(test).texts, labels)
        self.thresholds_ = tune_thresholds(oof, Y, hard_negative_weights(data))
        self.model = self._train(data, labels)
        return self

    def predict(self, texts):
        return (self._proba(self.model, list(texts), self.labels) >= self.thresholds_).astype(int)

    def save(self, folder):
        self.model.save_model(str(Path(folder) / "model.bin"))


class FastTextAutotune(FastText):
    name = "fasttext-autotune"
    thresholds_from = "20% validation split of train"
    budget_seconds = 120

    def fit(self, data, labels):
        from sklearn.model_selection import train_test_split

        from classifier.training.train import hard_negative_weights

        self.labels = list(labels)
        train, valid = train_test_split(np.arange(len(data)), test_size=0.2, random_state=self.seed)
        valid_data = data.subset(valid)
        with tempfile.TemporaryDirectory(prefix="bench_ftv_") as tmp:
            valid_path = Path(tmp) / "valid.txt"
            valid_path.write_text(self._lines(valid_data, labels), encoding="utf-8")
            self.params = {"loss": "ova", "thread": 2}
            for attempt in range(3):
                try:
                    self.model = self._train(
                        data.subset(train), labels, autotuneValidationFile=str(valid_path),
                        autotuneDuration=int(min(self.budget_seconds, QUICK_AUTOTUNE_SECONDS) if self.quick
                                             else self.budget_seconds), autotunePredictions=1,
                    )
                    break
                except RuntimeError:  # "Encountered NaN": a trial learning rate diverged; try another search
                    if attempt == 2:
                        raise
                    self.seed += 1
        Y_valid = np.asarray(valid_data.indicator(labels))
        proba = self._proba(self.model, valid_data.texts, labels)
        self.thresholds_ = tune_thresholds(proba, Y_valid, hard_negative_weights(valid_data))
        return self


class SpacyTextcat(Method):
    name = "spacy-bow"
    thresholds_from = "20% validation split of train, then refit on all"
    max_epochs = 20
    patience = 3
    dropout = 0.0

    def _config(self):
        return {"model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2,
                          "no_output_layer": False, "length": 262144}}

    def _build(self, labels):
        import spacy

        nlp = spacy.blank("en")
        textcat = nlp.add_pipe("textcat_multilabel", config=self._config())
        for label in labels:
            textcat.add_label(label)
        return nlp

    def _examples(self, nlp, data, labels):
        from spacy.training import Example

        return [Example.from_dict(nlp.make_doc(text), {"cats": {label: float(label in row) for label in labels}})
                for text, row in zip(data.texts, data.labels, strict=True)]

    def _train(self, data, labels, epochs, valid=None):
        """Train for ``epochs`` epochs; with ``valid``, return (nlp, per-epoch validation probabilities)."""
        from spacy.util import compounding, minibatch

        rng = random.Random(self.seed)
        nlp = self._build(labels)
        examples = self._examples(nlp, data, labels)
        optimizer = nlp.initialize(lambda: examples)
        history = []
        for _ in range(epochs):
            rng.shuffle(examples)
            sizes = QUICK_TEXTCAT_BATCH if self.quick else compounding(4.0, 32.0, 1.001)
            for batch in minibatch(examples, size=sizes):
                nlp.update(batch, sgd=optimizer, drop=self.dropout, losses={})
            if valid is not None:
                history.append(self._proba(nlp, valid.texts, labels))
                if self._stalled(history, valid, labels):
                    break
        return nlp, history

    def _stalled(self, history, valid, labels):
        if len(history) <= self.patience:
            return False
        scores = [self._macro_f1(p, np.asarray(valid.indicator(labels))) for p in history]
        return int(np.argmax(scores)) < len(scores) - self.patience

    @staticmethod
    def _macro_f1(proba, Y):
        from classifier.evaluation.metrics import label_metrics

        return label_metrics(Y, (proba >= tune_thresholds(proba, Y)).astype(int), list(range(Y.shape[1])))[
            "macro"]["f1"]

    @staticmethod
    def _proba(nlp, texts, labels):
        docs = nlp.pipe(list(texts), batch_size=256)
        return np.asarray([[doc.cats[label] for label in labels] for doc in docs])

    def fit(self, data, labels):
        from sklearn.model_selection import train_test_split

        from classifier.training.train import hard_negative_weights

        self.labels = list(labels)
        max_epochs = QUICK_TEXTCAT_EPOCHS if self.quick else self.max_epochs
        train, valid = train_test_split(np.arange(len(data)), test_size=0.2, random_state=self.seed)
        valid_data = data.subset(valid)
        _, history = self._train(data.subset(train), labels, max_epochs, valid=valid_data)
        Y_valid = np.asarray(valid_data.indicator(labels))
        scores = [self._macro_f1(p, Y_valid) for p in history]
        best = int(np.argmax(scores))
        self.epochs_ = best + 1
        self.thresholds_ = tune_thresholds(history[best], Y_valid, hard_negative_weights(valid_data))
        self.nlp, _ = self._train(data, labels, self.epochs_)
        return self

    def predict(self, texts):
        return (self._proba(self.nlp, texts, self.labels) >= self.thresholds_).astype(int)

    def save(self, folder):
        self.nlp.to_disk(Path(folder) / "nlp")


class SpacyEnsemble(SpacyTextcat):
    """spaCy's default ``textcat_multilabel`` model: a CNN tok2vec with attention, ensembled with bag-of-words."""

    name = "spacy-ensemble"
    max_epochs = 10
    patience = 2
    dropout = 0.2

    def _config(self):
        return {}


METHODS = {cls.name: cls for cls in (Ours, NoSpacy, FastText, FastTextAutotune, SpacyTextcat, SpacyEnsemble)}
#: Optional package each method needs beyond the product's own install (``pip install -e ".[bench]"``).
REQUIRES = {"fasttext": "fasttext", "fasttext-autotune": "fasttext"}
