"""The whole model as one scikit-learn Pipeline: spaCy preprocessing → TF-IDF features → classifier."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from classifier.model.estimator import CalibratedLinearMultiLabel
from classifier.model.features import TokenFeatureUnion, build_features
from classifier.model.preprocess import BLANK_PIPELINE, SpacyPreprocessor
from classifier.model.second_stage import HateSecondStage
from classifier.model.windows import features_with_passages, nonempty_passages, passage_settings, split_windows

PREPROCESS = "preprocess"
FEATURES = "features"
CLASSIFIER = "classifier"


#: Defaults chosen by cross-validation inside the train split and the identity-term suite
#: (docs/model_choices.md has the figures).
DEFAULT_C = 10.0
#: Smoothing of the naive-Bayes log-count ratios (NB-LR); ``None``: plain logistic regressions, the default,
#: since NB-LR's ratios give identity words that co-occur with hate labels extreme weights.
DEFAULT_NB_ALPHA = None
#: Repeats of the 5-fold out-of-fold scoring behind calibration and thresholds (steadier thresholds).
DEFAULT_CV_REPEATS = 3


class PassagePipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` whose classifier also sees the passages of long reports.

    After the preprocessing step (or from the input, for a pipeline without one, such as a slice of this
    one), long token strings are cut into overlapping passages (:func:`classifier.model.windows.split_windows`);
    they go through the same feature step and reach the classifier's ``fit`` and ``predict_proba`` as
    ``windows=(X_passages, owner)``. With ``passages=False`` it behaves as a plain Pipeline.

    With a ``second_stage`` (:class:`~classifier.model.second_stage.HateSecondStage`), fitting also fits a copy
    of it, ``second_stage_``, on the classifier's out-of-fold scores, and :meth:`predict_proba` returns the hate
    labels' scores as it rescores them; :attr:`thresholds_` are then its thresholds for those labels.
    """

    def __init__(self, steps, *, transform_input=None, memory=None, verbose=False, passages=True,
                 second_stage=None):
        super().__init__(steps, transform_input=transform_input, memory=memory, verbose=verbose)
        self.passages = passages
        self.second_stage = second_stage

    def __setstate__(self, state):
        # Models saved before the second stage existed.
        state.setdefault("second_stage", None)
        state.setdefault("second_stage_", None)
        super().__setstate__(state)

    def __getitem__(self, ind):
        """A step, or a slice that keeps the passages option, and the second stage when it keeps the
        classifier."""
        sliced = super().__getitem__(ind)
        if isinstance(sliced, PassagePipeline):
            sliced.passages = self.passages
            if sliced.steps[-1][0] == CLASSIFIER:
                sliced.second_stage = self.second_stage
        return sliced

    @property
    def thresholds_(self):
        """Decision threshold per label: the classifier's, or the second stage's for the labels it rescores."""
        return merged_thresholds(self)

    def fit(self, X, y=None, **params):
        """Fit each step in turn; the classifier gets the long reports' passages as well."""
        by_step = {name: {} for name, _ in self.steps}
        for key, value in params.items():
            name, _, param = key.partition("__")
            if name not in by_step or not param:
                raise TypeError(f"Fit parameters must be named <step>__<param> with a step of {list(by_step)}; "
                                f"got {key!r}.")
            by_step[name][param] = value
        # A report and its generated copies share a group: the vocabulary counts each group once (min_df), so a
        # name written in one report does not enter the model through its copies.
        groups = by_step.get(CLASSIFIER, {}).get("groups")
        if groups is not None and isinstance(self.named_steps.get(FEATURES), TokenFeatureUnion):
            by_step[FEATURES].setdefault("groups", groups)
        Xt, passages, processed = X, None, X
        self.passage_settings_ = passage_settings() if self.passages else None
        if self.passages and PREPROCESS not in self.named_steps:
            passages = nonempty_passages(split_windows(X))
        for name, step in self.steps[:-1]:
            if self._cuts_passages_at(name) and passages is None:
                Xt, passages = features_with_passages(step.fit(Xt, y, **by_step[name]), Xt)
                continue
            Xt = step.fit_transform(Xt, y, **by_step[name])
            if name == PREPROCESS:
                processed = Xt
            if passages is not None:
                passages = (step.transform(passages[0]), passages[1])
        name, last = self.steps[-1]
        fit_params = dict(by_step[name])
        if passages is not None:
            by_step[name]["windows"] = passages
        last.fit(Xt, y, **by_step[name])
        self.second_stage_ = None
        if self.second_stage is not None:
            self.second_stage_ = clone(self.second_stage).fit(
                list(processed), last.oof_proba_, y, list(last.classes_),
                sample_weight=fit_params.get("sample_weight"), groups=fit_params.get("groups"),
                min_threshold=last.min_threshold, max_threshold=last.max_threshold,
            )
        return self

    def predict_proba(self, X, **params):
        """Calibrated probabilities, with the long reports' passages taken into account."""
        Xt, passages, processed = self._transform_with_passages(X)
        proba = self.steps[-1][1].predict_proba(Xt, windows=passages)
        return second_stage_proba(self, proba, processed)

    def predict(self, X, **params):
        """Indicator matrix of the labels whose probability reaches their threshold."""
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def decision_function(self, X, **params):
        """Log-odds of :meth:`predict_proba`: what scikit-learn's scorers (``roc_auc``, ``average_precision``)
        rank by, with the passages and the second stage taken into account as in :meth:`predict`."""
        proba = np.clip(self.predict_proba(X), 1e-12, 1 - 1e-12)
        return np.log(proba) - np.log1p(-proba)

    def score(self, X, y, sample_weight=None, **params):
        """Exact-match accuracy of :meth:`predict` (scikit-learn's ``score`` of a multi-label classifier)."""
        from sklearn.metrics import accuracy_score

        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def _cuts_passages_at(self, name) -> bool:
        """True at the step whose input is the preprocessed text that passages are cut from: the features step
        of a pipeline that preprocesses (a slice without the preprocessing step cuts them from its input)."""
        return self.passages and name == FEATURES and PREPROCESS in self.named_steps

    def _transform_with_passages(self, X):
        """``(features, passages, preprocessed texts)`` of ``X``."""
        Xt, passages, processed = X, None, X
        if self.passages and PREPROCESS not in self.named_steps:
            passages = nonempty_passages(split_windows(X))
        for name, step in self.steps[:-1]:
            if self._cuts_passages_at(name) and passages is None:
                Xt, passages = features_with_passages(step, Xt)
                continue
            Xt = step.transform(Xt)
            if name == PREPROCESS:
                processed = Xt
            if passages is not None:
                passages = (step.transform(passages[0]), passages[1])
        return Xt, passages, processed


def second_stage_proba(pipeline, proba, processed):
    """``proba`` (the classifier's, of the preprocessed texts ``processed``) as ``pipeline``'s second stage
    rescores it, or as it is without one."""
    stage = getattr(pipeline, "second_stage_", None)
    return proba if stage is None else stage.rescore(proba, list(processed))


def merged_thresholds(pipeline):
    """``pipeline``'s decision threshold per label (its second stage's for the labels that stage rescores)."""
    thresholds = pipeline.named_steps[CLASSIFIER].thresholds_
    stage = getattr(pipeline, "second_stage_", None)
    return thresholds if stage is None else stage.merged_thresholds(thresholds)


def pipeline_features(pipeline, processed):
    """``(X, windows)`` as :func:`features_with_passages` gives them for ``pipeline``'s features step, with
    passages only when the pipeline scores them (not for a pipeline saved before passages existed)."""
    return features_with_passages(pipeline.named_steps[FEATURES], processed,
                                  passages=bool(getattr(pipeline, "passages", False)))


def _second_stage(option):
    """``True``: the default second stage; ``False``/``None``: none; an unfitted second stage as it is."""
    if option is True:
        return HateSecondStage()
    return option or None


def build_pipeline(labels, *, spacy_pipeline=BLANK_PIPELINE, C=None, cv=5, seed=0, min_df=2,
                   remove_stop_words=False, nb_alpha=DEFAULT_NB_ALPHA, cv_repeats=DEFAULT_CV_REPEATS,
                   passages=True, second_stage=True) -> Pipeline:
    """Return an unfitted pipeline whose ``fit(texts, Y)`` takes raw texts and a label indicator matrix.

    ``C=None`` means :data:`DEFAULT_C`; ``nb_alpha=None`` turns the NB scaling off (plain logistic
    regressions). ``second_stage=True`` rescores the hate labels the training data has with a
    :class:`~classifier.model.second_stage.HateSecondStage` (or pass one, unfitted). Fit it with
    ``classifier__sample_weight`` from
    :func:`classifier.training.train.hard_negative_weights`, as :func:`classifier.training.train.fit_pipeline` does.
    """
    C = DEFAULT_C if C is None else C
    return PassagePipeline(
        [
            (PREPROCESS, SpacyPreprocessor(pipeline=spacy_pipeline, remove_stop_words=remove_stop_words)),
            (FEATURES, build_features(min_df=min_df)),
            (CLASSIFIER, CalibratedLinearMultiLabel(C=C, cv=cv, random_state=seed, labels=list(labels),
                                                    nb_alpha=nb_alpha, cv_repeats=cv_repeats)),
        ],
        passages=passages,
        second_stage=_second_stage(second_stage),
    )
