"""A multi-label linear classifier with calibrated probabilities and per-label thresholds tuned by CV."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions, validate_parameter_constraints
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted, validate_data

from classifier.errors import ConfigError, DataError
from classifier.io.cpus import usable_cpus


class _Number(Interval):
    """An `Interval` that refuses booleans: ``True`` is 1 to Python, but never a regularisation strength."""

    def is_satisfied_by(self, val):
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)


class CalibratedLinearMultiLabel(ClassifierMixin, BaseEstimator):
    """One logistic regression per label, Platt-calibrated, with an F1-optimal threshold per label.

    For each label: out-of-fold decision values from ``cv`` stratified folds fit a sigmoid calibrator
    and choose the threshold on the calibrated out-of-fold probabilities that maximises F1; the final
    model for the label is then refitted on all the data. The test split is never seen.

    ``sample_weight`` weighs the logistic regressions and, with ``weighted_thresholds`` (the default), the
    errors counted when each threshold is chosen (weighted F1: a false positive on an up-weighted report costs
    more). The sigmoid calibrators and the naive-Bayes ratios are fitted unweighted.

    With ``nb_alpha`` set, each label's features are first scaled by their naive-Bayes log-count ratio
    (NB-LR, after Wang & Manning's NBSVM, 2012): terms seen mostly in the label's reports are stretched,
    the rest shrunk, before the logistic regression. The ratio is learnt inside every fold, and the scaled
    weights are folded back into ``coef_``, so the model stays one linear function of the features.

    Parameters
    ----------
    C : float, default=4.0
        Inverse regularisation strength of each logistic regression.
    class_weight : {"balanced", None}, default="balanced"
        Re-weight the rare positive class of each label.
    cv : int, default=5
        Folds for the out-of-fold scores behind calibration and thresholds.
    cv_repeats : int, default=1
        Repeats of those ``cv`` folds, each shuffled with its own seed (``random_state``, ``random_state + 1``,
        ...); calibration and thresholds are fitted on all the repeats' scores, so they depend less on how
        one split happened to fall. Costs one more set of ``cv`` fits per repeat.
    min_threshold, max_threshold : float, default=0.1, 0.9
        Range searched for each label's threshold.
    random_state : int, default=0
        Seed for the fold shuffling.
    labels : list of str, optional
        Label names for the columns of ``Y`` (default ``label_0``, ``label_1``...).
    weighted_thresholds : bool, default=True
        Let ``sample_weight`` weigh the errors when thresholds are chosen too (a false positive on an
        up-weighted report costs more); with ``False`` thresholds maximise unweighted F1.
    nb_alpha : float, optional
        Smoothing of the naive-Bayes log-count ratios; ``None`` (default) fits plain logistic regressions.
    n_jobs : int, optional
        Processes for the logistic regressions (``None``: every CPU this process may use, or
        ``$TENSION_JOBS``, for data large enough to gain from it; less than 1 means 1). The fitted model is the
        same whatever the number.

    Notes
    -----
    Every parameter's allowed values are declared once, in ``_parameter_constraints``, and checked at the start
    of :meth:`fit` (a bad one raises `ConfigError` naming it, the values allowed and the value given). ``X`` is
    a 2-D array or a CSR/CSC sparse matrix of finite numbers; ``Y`` a label indicator matrix of 0 and 1 with one
    column per label (a 1-D array of 0 and 1 is one label).

    Attributes
    ----------
    classes_ : ndarray of str
        Label names, in column order of ``Y``.
    coef_ : ndarray of shape (n_labels, n_features)
        Weights on the input features (the NB ratios included), so ``X @ coef_.T + intercept_`` is the
        decision value.
    intercept_ : ndarray of shape (n_labels,)
    calibration_ : ndarray of shape (n_labels, 2)
        Sigmoid calibrator ``(a, b)`` per label: ``p = 1 / (1 + exp(-(a * decision + b)))``.
    thresholds_ : ndarray of shape (n_labels,)
    oof_proba_ : ndarray of shape (n_samples, n_labels)
        Calibrated out-of-fold probabilities on the training data, averaged over the repeats (for audits and
        reports).
    window_calibration_ : ndarray of shape (n_labels, 2) or None
        Sigmoid calibrator of the best passage's decision value per label, when fitted with ``windows``.
    """

    #: The allowed values of every parameter (scikit-learn's convention), checked once at the start of fit.
    _parameter_constraints: dict = {
        "C": [_Number(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), None],
        "cv": [_Number(Integral, 2, None, closed="left")],
        "cv_repeats": [_Number(Integral, 1, None, closed="left")],
        "min_threshold": [_Number(Real, 0, 1, closed="neither")],
        "max_threshold": [_Number(Real, 0, 1, closed="neither")],
        "random_state": [_Number(Integral, 0, 2**32 - 1, closed="both"), None],
        "labels": ["array-like", None],
        "weighted_thresholds": ["boolean"],
        "nb_alpha": [_Number(Real, 0, None, closed="neither"), None],
        "n_jobs": [_Number(Integral, None, None, closed="neither"), None],
    }

    def __init__(self, C=4.0, class_weight="balanced", cv=5, min_threshold=0.1, max_threshold=0.9,
                 random_state=0, labels=None, weighted_thresholds=True, nb_alpha=None, cv_repeats=1, n_jobs=None):
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.min_threshold = min_threshold
        self.max_threshold = max_threshold
        self.random_state = random_state
        self.labels = labels
        self.weighted_thresholds = weighted_thresholds
        self.nb_alpha = nb_alpha
        self.cv_repeats = cv_repeats
        self.n_jobs = n_jobs

    def __setstate__(self, state):
        # Models saved before NB-LR existed were plain logistic regressions; before passages, whole texts only.
        state.setdefault("nb_alpha", None)
        state.setdefault("cv_repeats", 1)
        state.setdefault("window_calibration_", None)
        state.setdefault("n_jobs", None)
        super().__setstate__(state)

    def fit(self, X, y, sample_weight=None, windows=None, groups=None):
        """Fit one calibrated model and threshold per column of the indicator matrix ``y``.

        ``y`` has one column of 0 and 1 per label (a 1-D array of two values is one label, its larger value the
        positive one).

        ``sample_weight`` (non-negative, one per row of ``X``) weights the logistic regressions and, with
        ``weighted_thresholds``, the errors counted when thresholds are chosen; Platt calibration and the
        naive-Bayes ratios are fitted unweighted.

        ``windows`` is an optional ``(X_windows, owner)`` pair: feature rows of passages of the long reports
        and, per row, the index of the report it comes from (see :mod:`classifier.model.windows`). A long report's
        score for a label is then the larger of its whole-text score and its best passage's score, each
        Platt-calibrated on out-of-fold scores, and the threshold is tuned on that combined score.

        ``groups`` keeps rows of one group in the same out-of-fold split (a report and its counterfactual
        copies), so no report is scored by a model that saw a near-copy of it.
        """
        self._check_params()
        X = _canonical(validate_data(self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32)))
        Y = _check_indicator(y, X.shape[0])
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        X_windows, owner = _check_windows(windows, X.shape[0])
        if groups is not None and len(groups) != X.shape[0]:
            raise DataError(f"'groups' has {len(groups)} entries but X has {X.shape[0]} rows; they must match.")
        labels = self.labels if self.labels is not None else [f"label_{i}" for i in range(Y.shape[1])]
        if len(labels) != Y.shape[1]:
            raise ConfigError(f"'labels' names {len(labels)} labels but Y has {Y.shape[1]} columns.")
        self.classes_ = np.asarray(labels, dtype=object)
        n_labels = Y.shape[1]
        self.coef_ = np.zeros((n_labels, X.shape[1]))
        self.intercept_ = np.zeros(n_labels)
        self.calibration_ = np.zeros((n_labels, 2))
        self.thresholds_ = np.zeros(n_labels)
        self.oof_proba_ = np.zeros(Y.shape, dtype=float)
        self.window_calibration_ = None if owner is None else np.zeros((n_labels, 2))
        long_docs = None if owner is None else np.unique(owner)
        seeds = [None if self.random_state is None else self.random_state + r for r in range(self.cv_repeats)]
        folds = {}
        for j in range(n_labels):
            y = Y[:, j].astype(int)
            self._check_label_counts(y, groups, labels[j])
            # Each repeat is a differently shuffled K-fold; calibration and threshold are fitted on all of
            # them stacked, which steadies both against the luck of one split.
            folds[j] = [_stratified_folds(y, self.cv, seed, groups) for seed in seeds]
        fits = self._fit_all(X, Y, sample_weight, folds)
        for j in range(n_labels):
            y = Y[:, j].astype(int)
            scored = [self._out_of_fold_decision(X, fits[j, r], folds[j][r], X_windows, owner)
                      for r in range(self.cv_repeats)]
            oof = np.concatenate([doc for doc, _ in scored])
            y_stacked = np.tile(y, self.cv_repeats)
            a, b = _fit_sigmoid(oof, y_stacked)
            self.calibration_[j] = (a, b)
            proba = _sigmoid(a * oof + b)
            if owner is not None:
                best = np.concatenate([_max_per_owner(win, owner, len(y))[long_docs] for _, win in scored])
                y_long = np.tile(y[long_docs], self.cv_repeats)
                # With one class among the long reports there is nothing to calibrate: passages then never count.
                a_w, b_w = _fit_sigmoid(best, y_long) if 0 < y_long.sum() < len(y_long) else (0.0, -50.0)
                self.window_calibration_[j] = (a_w, b_w)
                rows = (np.arange(self.cv_repeats)[:, None] * len(y) + long_docs).ravel()
                proba[rows] = np.maximum(proba[rows], _sigmoid(a_w * best + b_w))
            self.oof_proba_[:, j] = proba.reshape(self.cv_repeats, -1).mean(axis=0)
            weight = None
            if self.weighted_thresholds and sample_weight is not None:
                weight = np.tile(np.asarray(sample_weight, dtype=float), self.cv_repeats)
            self.thresholds_[j] = _best_threshold(proba, y_stacked, self.min_threshold, self.max_threshold, weight)
            (self.coef_[j], self.intercept_[j]), = fits[j, None]
        return self

    def decision_function(self, X):
        """Raw linear scores, shape (n_samples, n_labels)."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32), reset=False)
        scores = X @ self.coef_.T
        if sparse.issparse(scores):
            scores = scores.toarray()
        return np.asarray(scores) + self.intercept_

    def predict_proba(self, X, windows=None):
        """Calibrated probability per label, shape (n_samples, n_labels).

        With ``windows`` (as in :meth:`fit`) and a model fitted with windows, a long report's probability
        is the larger of its whole-text and its best passage's calibrated probability.
        """
        decision = self.decision_function(X)
        proba = _sigmoid(decision * self.calibration_[:, 0] + self.calibration_[:, 1])
        X_windows, owner = _check_windows(windows, len(decision))
        calibration = getattr(self, "window_calibration_", None)
        if owner is None or calibration is None or not len(owner):
            return proba
        best = _max_per_owner(self.decision_function(X_windows), owner, len(decision))
        long_docs = np.unique(owner)
        passage = _sigmoid(best[long_docs] * calibration[:, 0] + calibration[:, 1])
        proba[long_docs] = np.maximum(proba[long_docs], passage)
        return proba

    def passage_proba(self, X_windows):
        """Calibrated probability per label of each passage on its own (rows of features as ``windows`` gives them
        to :meth:`predict_proba`), or ``None`` for a model fitted without passages."""
        calibration = getattr(self, "window_calibration_", None)
        if calibration is None:
            return None
        return _sigmoid(self.decision_function(X_windows) * calibration[:, 0] + calibration[:, 1])

    def predict(self, X, windows=None):
        """Indicator matrix of the labels whose probability reaches their threshold."""
        return (self.predict_proba(X, windows) >= self.thresholds_).astype(int)

    def _check_label_counts(self, y, groups, label):
        positives = int(y.sum())
        if groups is not None:  # folds are drawn over groups: count them
            positives = len(np.unique(np.asarray(groups)[y == 1]))
            negatives = len(np.unique(np.asarray(groups)[y == 0]))
        else:
            negatives = len(y) - positives
        if positives < self.cv or negatives < self.cv:
            one_class = " (only one class)" if not (positives and negatives) else ""
            raise DataError(
                f"Label '{label}' has {positives} positive and {negatives} negative "
                f"training reports{one_class}; at least {self.cv} of each are needed for {self.cv}-fold threshold "
                "tuning. Label more reports or drop the label."
            )

    def _fit_all(self, X, Y, sample_weight, folds):
        """Every logistic regression of the fit: ``{(label, repeat): [(coef, intercept) per fold]}`` and the
        final model of each label under ``(label, None)``, one task per label and repeat, in parallel."""
        tasks = [(j, r, [train for train, _ in folds[j][r]]) for j in folds for r in range(self.cv_repeats)]
        tasks += [(j, None, [None]) for j in folds]
        settings = {"C": self.C, "class_weight": self.class_weight, "nb_alpha": self.nb_alpha,
                    "seed": 0 if self.random_state is None else self.random_state}
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        jobs = self._effective_jobs(X, len(tasks))
        if jobs == 1:
            results = [_fit_logistic(X, Y[:, j].astype(int), weight, trains, settings) for j, _, trains in tasks]
        else:
            # No memory-mapping: the features stay in memory, never in a temporary file.
            results = Parallel(n_jobs=jobs, max_nbytes=None)(
                delayed(_fit_logistic)(X, Y[:, j].astype(int), weight, trains, settings) for j, _, trains in tasks)
        return {(j, r): result for (j, r, _), result in zip(tasks, results, strict=True)}

    def _effective_jobs(self, X, n_tasks):
        if self.n_jobs is not None:
            return max(1, min(int(self.n_jobs), n_tasks))
        # Starting worker processes only pays off on data of some size.
        if sparse.issparse(X) and X.nnz < PARALLEL_MIN_NONZEROS:
            return 1
        return max(1, min(usable_cpus(), n_tasks))

    @staticmethod
    def _out_of_fold_decision(X, fitted, folds, X_windows=None, owner=None):
        """Out-of-fold decision values of the reports and, when given, of their passages (or ``None``)."""
        oof = np.zeros(X.shape[0])
        oof_windows = None if owner is None else np.zeros(len(owner))
        for (coef, intercept), (_, test) in zip(fitted, folds, strict=True):
            oof[test] = X[test] @ coef + intercept
            if owner is not None:
                held = np.isin(owner, test)
                oof_windows[held] = X_windows[held] @ coef + intercept
        return oof, oof_windows

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_class = False  # one binary problem per label, never a multiclass target
        tags.classifier_tags.multi_label = True
        return tags

    def _check_params(self):
        """Check every parameter against `_parameter_constraints`, then the thresholds' range."""
        try:
            validate_parameter_constraints(self._parameter_constraints, self.get_params(deep=False),
                                           caller_name=type(self).__name__)
        except InvalidParameterError as error:
            raise ConfigError(str(error)) from None
        if not self.min_threshold < self.max_threshold:
            raise ConfigError(
                "The 'min_threshold' and 'max_threshold' parameters must satisfy 0 < min < max < 1. "
                f"Got {self.min_threshold!r} and {self.max_threshold!r}."
            )


#: Below this many non-zero features, the logistic regressions are fitted in this process.
PARALLEL_MIN_NONZEROS = 300_000
#: Tolerance of the (dual) logistic regressions behind the out-of-fold scores, and of the others. The
#: out-of-fold scores only feed calibration and thresholds; at 1e-2 the dual solver puts them within about
#: 0.001 of a tight fit (decision values spread over several units), at less than half the cost.
OUT_OF_FOLD_TOL = 1e-2
FINAL_TOL = 1e-4


def _canonical(X):
    """A sparse ``X`` as CSR with sorted, duplicate-free indices (copied only if it was not).

    ``LogisticRegression.fit`` makes each training subset canonical itself (``np.max`` of a sparse matrix sorts
    it in place), so the fits see the same matrix either way; doing it once here saves that sort in every one
    of the out-of-fold fits (a quarter of the training time), because row subsets of a canonical matrix stay
    canonical."""
    if not sparse.issparse(X):
        return X
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def _fit_logistic(X, y, sample_weight, trains, settings):
    """``(coef, intercept)`` of one logistic regression per training index array in ``trains`` (``None``: all
    rows, fitted to the final tolerance), with the NB ratios folded into ``coef`` when ``nb_alpha`` is set."""
    fitted = []
    for train in trains:
        X_fit, y_fit = (X, y) if train is None else (X[train], y[train])
        weight = sample_weight if (sample_weight is None or train is None) else sample_weight[train]
        ratio = None
        if settings["nb_alpha"] is not None:
            ratio = _nb_log_count_ratio(X_fit, y_fit, settings["nb_alpha"])
            X_fit = X_fit @ sparse.diags(ratio)
        # With more features than reports (text), the dual solver is several times faster than the primal
        # one; its coordinate order is seeded, so the fit is reproducible.
        dual = X_fit.shape[1] > X_fit.shape[0]
        tol = OUT_OF_FOLD_TOL if (dual and train is not None) else FINAL_TOL
        model = LogisticRegression(C=settings["C"], class_weight=settings["class_weight"], solver="liblinear",
                                   dual=dual, tol=tol, max_iter=1000, random_state=settings["seed"])
        model.fit(X_fit, y_fit, sample_weight=weight)
        coef = model.coef_[0] if ratio is None else model.coef_[0] * ratio
        fitted.append((coef, float(model.intercept_[0])))
    return fitted


def _stratified_folds(y, n_splits, seed, groups=None):
    """``(train, test)`` index arrays of a shuffled stratified K-fold. With ``groups``, a group's rows all go to
    one fold, stratified by the group's label (positive when any of its rows is): a report and its
    counterfactual copies are never split."""
    if groups is None:
        return list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    unique, inverse = np.unique(np.asarray(groups), return_inverse=True)
    group_y = np.zeros(len(unique), dtype=int)
    np.maximum.at(group_y, inverse, np.asarray(y, dtype=int))
    folds = []
    for _, test_groups in StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(
            np.zeros(len(unique)), group_y):
        held = np.zeros(len(unique), dtype=bool)
        held[test_groups] = True
        folds.append((np.flatnonzero(~held[inverse]), np.flatnonzero(held[inverse])))
    return folds


def _check_indicator(y, n_samples):
    """``y`` as a 2-D array of 0 and 1 with ``n_samples`` rows, one column per label.

    A 1-D ``y`` is one label: 0 and 1 as they are, any other two values with the larger one as the positive.
    """
    if y is None:
        raise DataError("CalibratedLinearMultiLabel requires y to be passed, but the target y is None: give a label "
                        "indicator matrix of 0 and 1, one column per label.")
    Y = check_array(y.toarray() if sparse.issparse(y) else y, ensure_2d=False, dtype=None, input_name="y")
    if Y.ndim == 1:
        values = np.unique(Y)
        if len(values) <= 2 and not np.isin(values, (0, 1)).all():
            Y = (Y == values[-1]).astype(int)
        Y = Y.reshape(-1, 1)
    if Y.shape[0] != n_samples:
        raise DataError(f"X has {n_samples} rows but y has {Y.shape[0]}; they must match.")
    if Y.size and not np.isin(Y, (0, 1)).all():
        kind = type_of_target(Y[:, 0] if Y.shape[1] == 1 else Y)
        raise DataError(
            "Only binary classification is supported, one label per column: y must be a label indicator matrix of "
            f"0 and 1, got a {kind} target. Turn a list of labels per report into one with "
            "sklearn.preprocessing.MultiLabelBinarizer."
        )
    return Y


def _check_windows(windows, n_samples):
    """``(X_windows, owner)`` checked against ``n_samples`` reports, or ``(None, None)``."""
    if windows is None:
        return None, None
    X_windows, owner = windows
    owner = np.asarray(owner, dtype=np.int64)
    if not len(owner):
        return None, None
    if X_windows.shape[0] != len(owner):
        raise DataError(f"'windows' has {X_windows.shape[0]} feature rows but {len(owner)} owners; they must match.")
    if len(owner) and (owner.min() < 0 or owner.max() >= n_samples):
        raise DataError(f"'windows' owners must index the {n_samples} reports; got values outside 0..{n_samples - 1}.")
    return X_windows, owner


def _max_per_owner(values, owner, n_samples):
    """The largest of ``values`` per owner (``-inf`` for reports without passages), along the first axis."""
    values = np.asarray(values, dtype=float)
    best = np.full((n_samples,) + values.shape[1:], -np.inf)
    np.maximum.at(best, owner, values)
    return best


def _nb_log_count_ratio(X, y, alpha):
    """log((p / |p|) / (q / |q|)): p and q are alpha + the number of positive / negative reports that contain
    each feature (unweighted: ``sample_weight`` acts on the logistic regression and the thresholds)."""
    present = sparse.csr_matrix(X, copy=True)
    present.data = (present.data != 0).astype(float)
    positive = y == 1
    p = alpha + np.asarray(present[positive].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[~positive].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def _fit_sigmoid(decision, y):
    """Platt scaling: a 1-D logistic regression of the label on the out-of-fold decision value."""
    platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    platt.fit(decision.reshape(-1, 1), y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def _best_threshold(proba, y, low, high, sample_weight=None):
    """The threshold in [low, high] with the best F1 on out-of-fold probabilities.

    Among thresholds within 0.005 F1 of the best, the middle one is taken, which is steadier than the
    single arg-max on a small training set.
    """
    candidates = np.round(np.arange(low, high + 1e-9, 0.01), 2)
    weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    positives = np.sum(weight * (y == 1))
    f1 = np.empty(len(candidates))
    for i, t in enumerate(candidates):
        predicted = proba >= t
        tp = np.sum(weight * (predicted & (y == 1)))
        denominator = np.sum(weight * predicted) + positives
        f1[i] = 2 * tp / denominator if denominator else 0.0
    good = np.flatnonzero(f1 >= f1.max() - 0.005)
    return float(candidates[good[len(good) // 2]])
