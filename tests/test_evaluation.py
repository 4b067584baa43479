"""course_utils.evaluation: same folds for every model, and the corrected paired t-test, on known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

from course_utils import data
from course_utils.evaluation import compare_paired, corrected_interval, paired_cv_scores


@pytest.fixture(scope="module")
def separable():
    # Well-separated classes with few positives: a logistic regression ranks almost perfectly,
    # a constant model is at chance on every fold.
    return data.make_imbalanced(n_samples=600, imbalance_ratio=10, class_sep=3.0, random_state=0)


def test_identical_models_give_identical_scores_and_zero_difference(separable):
    X, y = separable
    scores = paired_cv_scores({"a": LogisticRegression(), "b": LogisticRegression()}, X, y,
                              scoring="average_precision", n_repeats=3)
    assert scores.shape == (15, 2)
    np.testing.assert_array_equal(scores["a"], scores["b"])
    result = compare_paired(scores["a"], scores["b"], n_train=scores.attrs["n_train"], n_test=scores.attrs["n_test"])
    assert result.mean_difference == 0 and result.std_difference == 0
    assert result.fraction_won == 0 and result.t_statistic == 0 and result.p_value == 1
    assert result.n_splits == 15


def test_every_model_sees_the_same_splits(separable):
    # A randomised model (a tree with a seed) scored by paired_cv_scores matches cross_val_score run
    # by hand on the documented default splits, row for row.
    X, y = separable
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    scores = paired_cv_scores({"tree": tree, "LR": LogisticRegression()}, X, y, scoring="roc_auc",
                              n_splits=4, n_repeats=2, random_state=7)
    cv = RepeatedStratifiedKFold(n_splits=4, n_repeats=2, random_state=7)
    np.testing.assert_allclose(scores["tree"], cross_val_score(tree, X, y, scoring="roc_auc", cv=cv))
    np.testing.assert_allclose(scores["LR"], cross_val_score(LogisticRegression(), X, y, scoring="roc_auc", cv=cv))
    assert list(scores.columns) == ["tree", "LR"]
    assert scores.attrs["n_test"] == pytest.approx(len(y) / 4)
    assert scores.attrs["n_train"] == pytest.approx(len(y) * 3 / 4)


def test_a_given_cv_is_used_as_is(separable):
    X, y = separable
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    scores = paired_cv_scores({"LR": LogisticRegression()}, X, y, scoring="roc_auc", cv=cv)
    assert scores.shape == (3, 1)
    np.testing.assert_allclose(scores["LR"], cross_val_score(LogisticRegression(), X, y, scoring="roc_auc", cv=cv))


def test_a_clearly_better_model_wins_every_split(separable):
    X, y = separable
    scores = paired_cv_scores({"LR": LogisticRegression(), "constant": DummyClassifier(strategy="prior")},
                              X, y, scoring="roc_auc")
    assert scores.shape == (50, 2)
    assert (scores["constant"] == 0.5).all()  # a constant score ranks at chance on every fold
    result = compare_paired(scores["LR"], scores["constant"], n_train=scores.attrs["n_train"],
                            n_test=scores.attrs["n_test"], alternative="greater")
    assert result.fraction_won == 1.0
    assert result.mean_difference > 0.4
    assert result.t_statistic > 10 and result.p_value < 1e-6
    # Swapping the models flips the sign and the wins.
    swapped = compare_paired(scores["constant"], scores["LR"], n_train=scores.attrs["n_train"],
                             n_test=scores.attrs["n_test"])
    assert swapped.mean_difference == pytest.approx(-result.mean_difference)
    assert swapped.fraction_won == 0 and swapped.t_statistic == pytest.approx(-result.t_statistic)


def test_corrected_t_matches_a_hand_computation():
    a = np.array([0.61, 0.55, 0.70, 0.58, 0.66, 0.52, 0.63, 0.60, 0.57, 0.64])
    b = np.array([0.58, 0.56, 0.62, 0.55, 0.60, 0.53, 0.59, 0.61, 0.52, 0.60])
    d = a - b  # 0.03, -0.01, 0.08, 0.03, 0.06, -0.01, 0.04, -0.01, 0.05, 0.04
    mean = d.sum() / 10
    var = ((d - mean) ** 2).sum() / 9
    # Nadeau & Bengio: variance of the mean is (1/J + n_test/n_train) * var, not var / J.
    t_by_hand = mean / np.sqrt((1 / 10 + 25 / 100) * var)
    result = compare_paired(a, b, n_train=100, n_test=25)
    assert result.mean_difference == pytest.approx(0.030)
    assert result.std_difference == pytest.approx(np.sqrt(var))
    assert result.fraction_won == pytest.approx(0.7)
    assert result.t_statistic == pytest.approx(t_by_hand)
    assert result.p_value == pytest.approx(2 * stats.t.sf(t_by_hand, df=9))
    assert compare_paired(a, b, n_train=100, n_test=25, alternative="greater").p_value == pytest.approx(
        stats.t.sf(t_by_hand, df=9))
    assert compare_paired(a, b, n_train=100, n_test=25, alternative="less").p_value == pytest.approx(
        stats.t.cdf(t_by_hand, df=9))
    # The correction makes the test more cautious than the naive paired t-test on the same numbers.
    naive = stats.ttest_rel(a, b)
    assert abs(result.t_statistic) < abs(naive.statistic)
    assert result.p_value > naive.pvalue


def test_a_constant_nonzero_difference_is_infinitely_significant():
    # Dyadic fractions, so that every difference is exactly 0.25 in floating point.
    result = compare_paired([1.0, 0.75, 0.5], [0.75, 0.5, 0.25], n_train=8, n_test=2)
    assert result.mean_difference == 0.25 and result.std_difference == 0
    assert result.t_statistic == np.inf and result.p_value == 0 and result.fraction_won == 1


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"scores_a": [0.1, 0.2], "scores_b": [0.1, 0.2, 0.3]}, "paired"),
        ({"scores_a": [0.1], "scores_b": [0.2]}, "two"),
        ({"scores_a": [0.1, 0.2], "scores_b": [0.1, 0.3], "n_train": 0}, "positive"),
        ({"scores_a": [0.1, 0.2], "scores_b": [0.1, 0.3], "alternative": "bigger"}, "alternative"),
    ],
)
def test_bad_input_is_refused_with_a_reason(kwargs, fragment):
    arguments = {"n_train": 80, "n_test": 20, **kwargs}
    with pytest.raises(ValueError, match=fragment):
        compare_paired(**arguments)


def test_corrected_interval_matches_the_corrected_test():
    rng = np.random.default_rng(0)
    for shift in (0.0, 0.01, 0.03, 0.1):
        a = rng.normal(0.5, 0.05, size=10)
        b = a - shift + rng.normal(0, 0.02, size=10)
        result = compare_paired(a, b, n_train=80, n_test=20)
        low, high = corrected_interval(result, 80, 20)
        assert low < result.mean_difference < high
        # the 95 % interval excludes 0 exactly when the two-sided corrected p-value is below 0.05
        assert (low > 0 or high < 0) == (result.p_value < 0.05)
    with pytest.raises(ValueError, match="level"):
        corrected_interval(result, 80, 20, level=95)
