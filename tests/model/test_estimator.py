"""CalibratedLinearMultiLabel: thresholds tuned out of fold, Platt calibration, optional NB-LR scaling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

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


# -- the scikit-learn contract ------------------------------------------------------------------------------

#: Checks that do not apply to a multi-label estimator over sparse text features, and why.
NOT_APPLICABLE = {
    "check_sample_weight_equivalence_on_dense_data":
        "cv is a number of folds drawn inside fit from each label, never given splits; to those folds a row of "
        "weight 2 is not two rows",
    "check_sample_weight_equivalence_on_sparse_data": "as on dense data",
    "check_estimator_sparse_array":
        "predict gives an indicator matrix (n_samples, n_labels), also after a 1-D target; sparse formats are "
        "tested in test_estimator_accepts_every_sparse_format",
    "check_estimator_sparse_matrix": "as check_estimator_sparse_array",
    "check_classifiers_classes": "predict gives a label indicator matrix, not values of the target",
    "check_classifiers_train":
        "predict gives an indicator matrix (n_samples, n_labels), also after a 1-D target, and multiclass "
        "targets are refused",
    "check_classifier_multioutput":
        "classes_ holds the label names (one per column of y), not each output's classes, and predict_proba one "
        "column per label, not one array per output",
    "check_class_weight_classifiers":
        "class_weight is 'balanced' or None: each label is its own binary problem, so a dict of class weights has "
        "no one meaning",
    "check_decision_proba_consistency":
        "predict_proba gives each label's probability (one column per label), not one column per class",
}


@pytest.mark.slow
@parametrize_with_checks(
    # Two folds: the checks' data sets have too few examples of each class for five.
    [CalibratedLinearMultiLabel(cv=2, n_jobs=1)], expected_failed_checks=lambda estimator: NOT_APPLICABLE,
)
def test_estimator_passes_the_scikit_learn_checks_that_apply(estimator, check):
    check(estimator)


def test_estimator_tags_say_multi_label_and_sparse():
    tags = CalibratedLinearMultiLabel().__sklearn_tags__()
    assert tags.classifier_tags.multi_label and not tags.classifier_tags.multi_class
    assert tags.input_tags.sparse and tags.target_tags.multi_output and tags.target_tags.required


def test_estimator_accepts_every_sparse_format_and_fits_the_same(xy):
    X, Y = xy
    expected = CalibratedLinearMultiLabel(n_jobs=1).fit(X, Y)
    for convert in (sparse.csc_matrix, sparse.coo_matrix, sparse.lil_matrix, sparse.csr_array):
        model = CalibratedLinearMultiLabel(n_jobs=1).fit(convert(X), Y)
        np.testing.assert_array_equal(model.coef_, expected.coef_)
        np.testing.assert_array_equal(model.predict(convert(X)), expected.predict(X))


@pytest.mark.parametrize(("Y", "message"), [
    (None, "requires y to be passed"),
    ("multiclass", "Only binary classification is supported.*got a multiclass target"),
    ("short", "X has 300 rows but y has 299"),
])
def test_estimator_refuses_a_target_that_is_no_label_indicator(xy, Y, message):
    X, indicator = xy
    Y = {"multiclass": indicator.sum(axis=1), "short": indicator[:-1]}.get(Y, Y)
    with pytest.raises(DataError, match=message):
        CalibratedLinearMultiLabel().fit(X, Y)


@pytest.mark.parametrize(("weight", "message"), [
    (np.ones(299), r"sample_weight.shape == \(299,\), expected \(300,\)"),
    (-np.ones(300), "Negative values in data passed to `sample_weight`"),
])
def test_estimator_refuses_bad_sample_weights(xy, weight, message):
    X, Y = xy
    with pytest.raises(ValueError, match=message):
        CalibratedLinearMultiLabel().fit(X, Y, sample_weight=weight)


def test_estimator_refuses_features_of_another_width_and_nan(xy):
    X, Y = xy
    model = CalibratedLinearMultiLabel(n_jobs=1).fit(X, Y)
    with pytest.raises(ValueError, match="X has 39 features, but CalibratedLinearMultiLabel is expecting 40"):
        model.predict(X[:, :39])
    broken = X.copy()
    broken.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CalibratedLinearMultiLabel().fit(broken, Y)


def test_estimator_one_label_as_a_1d_target_of_any_two_values(xy):
    X, Y = xy
    as_zero_one = CalibratedLinearMultiLabel(n_jobs=1).fit(X, Y[:, 0])
    as_words = CalibratedLinearMultiLabel(n_jobs=1).fit(X, np.where(Y[:, 0] == 1, "yes", "no"))  # "yes" > "no"
    np.testing.assert_array_equal(as_zero_one.coef_, as_words.coef_)
    assert as_zero_one.predict(X).shape == (300, 1)
