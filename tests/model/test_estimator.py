"""CalibratedLinearMultiLabel: thresholds tuned out of fold, Platt calibration, optional NB-LR scaling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression

from classifier.errors import ConfigError, DataError
from classifier.model.estimator import FINAL_TOL, CalibratedLinearMultiLabel, _nb_log_count_ratio, _stratified_folds


@pytest.fixture(scope="module")
def xy():
    X, Y = make_multilabel_classification(n_samples=300, n_features=40, n_classes=3, random_state=0)
    return sparse.csr_matrix(X.astype(float)), Y


@pytest.mark.parametrize("nb_alpha", [None, 1.0])
def test_estimator_predicts_labels_whose_calibrated_score_reaches_its_threshold(xy, nb_alpha):
    X, Y = xy
    model = CalibratedLinearMultiLabel(labels=["a", "b", "c"], nb_alpha=nb_alpha).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape and ((proba > 0) & (proba < 1)).all()
    assert ((model.thresholds_ >= 0.1) & (model.thresholds_ <= 0.9)).all()
    np.testing.assert_array_equal(model.predict(X), (proba >= model.thresholds_).astype(int))
    np.testing.assert_allclose(model.decision_function(X), X @ model.coef_.T + model.intercept_)
    assert list(model.classes_) == ["a", "b", "c"]
    assert model.oof_proba_.shape == Y.shape
    assert (model.predict(X) == Y).mean() > 0.7


def test_estimator_nb_ratio_is_the_smoothed_log_count_ratio():
    X = sparse.csr_matrix(np.array([[2.0, 0, 1], [1, 0, 0], [0, 3, 1], [0, 1, 0]]))
    y = np.array([1, 1, 0, 0])
    p = np.array([1 + 2, 1 + 0, 1 + 1])  # alpha + positive reports containing each feature
    q = np.array([1 + 0, 1 + 2, 1 + 1])
    expected = np.log(p / p.sum()) - np.log(q / q.sum())
    np.testing.assert_allclose(_nb_log_count_ratio(X, y, 1.0), expected)
    assert X.toarray()[0, 0] == 2.0  # the input is not binarised in place


def test_estimator_nb_lr_is_a_logistic_regression_on_scaled_features_folded_back_into_coef(xy):
    X, Y = xy
    model = CalibratedLinearMultiLabel(nb_alpha=0.5, C=2.0).fit(X, Y)
    ratio = _nb_log_count_ratio(X, Y[:, 1], 0.5)
    plain = LogisticRegression(C=2.0, class_weight="balanced", solver="liblinear", tol=FINAL_TOL,
                               dual=X.shape[1] > X.shape[0],
                               max_iter=1000, random_state=0)
    plain.fit(X @ sparse.diags(ratio), Y[:, 1])
    np.testing.assert_allclose(model.coef_[1], plain.coef_[0] * ratio)
    np.testing.assert_allclose(model.intercept_[1], plain.intercept_[0])
    without = CalibratedLinearMultiLabel(C=2.0).fit(X, Y)
    plain.fit(X, Y[:, 1])
    np.testing.assert_allclose(without.coef_[1], plain.coef_[0])


def test_estimator_is_reproducible_and_seed_dependent_out_of_fold(xy):
    X, Y = xy
    first = CalibratedLinearMultiLabel(nb_alpha=1.0, random_state=3).fit(X, Y)
    again = CalibratedLinearMultiLabel(nb_alpha=1.0, random_state=3).fit(X, Y)
    other = CalibratedLinearMultiLabel(nb_alpha=1.0, random_state=4).fit(X, Y)
    np.testing.assert_array_equal(first.thresholds_, again.thresholds_)
    np.testing.assert_array_equal(first.oof_proba_, again.oof_proba_)
    assert not np.array_equal(first.oof_proba_, other.oof_proba_)


@pytest.mark.parametrize(("params", "message"), [
    ({"C": 0}, "'C' parameter"),
    ({"nb_alpha": 0}, "'nb_alpha' parameter"),
    ({"nb_alpha": True}, "'nb_alpha' parameter"),
    ({"cv": 1}, "'cv' parameter"),
    ({"cv_repeats": 0}, "'cv_repeats' parameter"),
    ({"min_threshold": 0.6, "max_threshold": 0.4}, "min_threshold"),
    ({"class_weight": "auto"}, "'class_weight' parameter"),
])
def test_estimator_refuses_bad_parameters(xy, params, message):
    X, Y = xy
    with pytest.raises(ConfigError, match=message):
        CalibratedLinearMultiLabel(**params).fit(X, Y)


def test_estimator_names_a_label_with_too_few_examples(xy):
    X, Y = xy
    Y = Y.copy()
    Y[:, 2] = 0
    Y[:3, 2] = 1
    with pytest.raises(DataError, match="Label 'rare' has 3 positive"):
        CalibratedLinearMultiLabel(labels=["a", "b", "rare"]).fit(X, Y)


def test_estimator_loads_a_model_pickled_before_nb_lr_as_plain_lr(xy):
    import pickle

    X, Y = xy
    model = CalibratedLinearMultiLabel().fit(X, Y)
    del model.__dict__["nb_alpha"]  # what an older pickle holds
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.get_params()["nb_alpha"] is None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_estimator_repeated_out_of_fold_scores_stack_every_repeat(xy):
    from classifier.model.estimator import _best_threshold, _fit_logistic, _fit_sigmoid, _sigmoid

    X, Y = xy
    once = CalibratedLinearMultiLabel(nb_alpha=1.0, random_state=5).fit(X, Y)
    twice = CalibratedLinearMultiLabel(nb_alpha=1.0, random_state=5, cv_repeats=2).fit(X, Y)
    np.testing.assert_array_equal(once.coef_, twice.coef_)  # the final models do not depend on the repeats
    y = Y[:, 0]
    settings = {"C": 4.0, "class_weight": "balanced", "nb_alpha": 1.0, "seed": 5}
    oof = []
    for seed in (5, 6):
        folds = _stratified_folds(y, 5, seed)
        fitted = _fit_logistic(X, y, None, [train for train, _ in folds], settings)
        oof.append(twice._out_of_fold_decision(X, fitted, folds)[0])
    oof = np.concatenate(oof)
    a, b = _fit_sigmoid(oof, np.tile(y, 2))
    np.testing.assert_allclose(twice.calibration_[0], (a, b))
    proba = _sigmoid(a * oof + b)
    assert twice.thresholds_[0] == _best_threshold(proba, np.tile(y, 2), 0.1, 0.9)
    np.testing.assert_allclose(twice.oof_proba_[:, 0], (proba[:len(y)] + proba[len(y):]) / 2)


def test_estimator_fit_is_the_same_whatever_the_number_of_processes(xy):
    X, Y = xy
    one = CalibratedLinearMultiLabel(cv_repeats=2, n_jobs=1).fit(X, Y, groups=np.arange(X.shape[0]) // 2)
    two = CalibratedLinearMultiLabel(cv_repeats=2, n_jobs=2).fit(X, Y, groups=np.arange(X.shape[0]) // 2)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.oof_proba_, two.oof_proba_)
    np.testing.assert_array_equal(one.thresholds_, two.thresholds_)


def test_estimator_group_folds_keep_a_group_together_and_stratify_by_group():
    groups = np.repeat(np.arange(50), 3)
    y = np.repeat((np.arange(50) % 5 == 0).astype(int), 3)  # 10 positive groups of 3 rows
    folds = _stratified_folds(y, 5, seed=0, groups=groups)
    held = np.concatenate([test for _, test in folds])
    assert sorted(held.tolist()) == list(range(150))  # every row held out exactly once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert y[test].sum() == 6  # two positive groups in every fold


def test_estimator_accepts_no_seed_with_repeats(xy):
    X, Y = xy
    model = CalibratedLinearMultiLabel(random_state=None, cv_repeats=2).fit(X, Y)
    assert ((model.thresholds_ >= 0.1) & (model.thresholds_ <= 0.9)).all()
