"""Comparing two models the way the course does it: same folds, paired differences.

With few positives, one test split or one 5-fold run is a noisy measurement (lesson 02). Two models
scored on the *same* repeated stratified folds share that noise, so their per-fold *differences* are
far less noisy than either model's scores. This module makes that one rule one line:

- :func:`paired_cv_scores` scores several models on the same ``RepeatedStratifiedKFold`` splits;
- :func:`compare_paired` summarises the paired differences of two of them: mean, spread, the share
  of splits won, and the corrected repeated-CV t-test of Nadeau & Bengio (2003);
- :func:`corrected_interval` turns such a summary into the matching confidence interval of the mean
  difference, so that "no difference detected" can be said with the sizes it still allows.

References
----------
.. [1] C. Nadeau and Y. Bengio, "Inference for the Generalization Error", Machine Learning 52,
   239-281 (2003).
.. [2] scikit-learn example "Statistical comparison of models using grid search",
   https://scikit-learn.org/stable/auto_examples/model_selection/plot_grid_search_stats.html
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score

__all__ = ["paired_cv_scores", "compare_paired", "corrected_interval", "PairedComparison"]


def paired_cv_scores(estimators, X, y, *, scoring, cv=None, n_splits=5, n_repeats=10, random_state=0):
    """Score several models on the same cross-validation splits.

    Parameters
    ----------
    estimators : dict of str to estimator
        The models to compare, by name. Each is cloned before every fit.
    X : array-like of shape (n_samples, n_features)
        Features.
    y : array-like of shape (n_samples,)
        Labels.
    scoring : str or callable
        One scikit-learn scorer, e.g. ``"average_precision"`` or ``make_scorer(f1_score)``.
    cv : cross-validation generator or iterable of (train, test) index pairs, default=None
        The splits. ``None`` means
        ``RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)``:
        stratified, so every test fold keeps the data's share of positives, and repeated, because
        one shuffle of few positives is a noisy measurement.
    n_splits : int, default=5
        Folds per repetition, when ``cv`` is None.
    n_repeats : int, default=10
        Repetitions with a new shuffle, when ``cv`` is None.
    random_state : int, default=0
        Seed of the shuffles, when ``cv`` is None.

    Returns
    -------
    scores : pandas.DataFrame of shape (n_total_splits, n_estimators)
        One row per split (the same rows for every model), one column per model, in the order of
        ``estimators``. Pass two columns to :func:`compare_paired`. ``scores.attrs`` holds
        ``n_train`` and ``n_test``, the mean number of rows fitted and scored per split, which
        :func:`compare_paired` needs.

    Notes
    -----
    The splits are drawn once and given to every model, so each row is one and the same test fold
    for all models: row-wise differences are *paired*.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from course_utils import data
    >>> X, y = data.load_yeast4(return_X_y=True)
    >>> scores = paired_cv_scores({"dummy": DummyClassifier(), "LR": LogisticRegression()}, X, y,
    ...                           scoring="roc_auc", n_repeats=2)
    >>> scores.shape
    (10, 2)
    """
    if cv is None:
        cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
    splits = list(cv.split(X, y)) if hasattr(cv, "split") else list(cv)
    columns = {
        name: cross_val_score(clone(estimator), X, y, scoring=scoring, cv=splits)
        for name, estimator in estimators.items()
    }
    scores = pd.DataFrame(columns, index=pd.RangeIndex(len(splits), name="split"))
    scores.attrs["n_train"] = float(np.mean([len(train) for train, _ in splits]))
    scores.attrs["n_test"] = float(np.mean([len(test) for _, test in splits]))
    return scores


class PairedComparison(NamedTuple):
    """Summary of the paired differences ``scores_a - scores_b`` (see :func:`compare_paired`)."""

    mean_difference: float
    """Mean over the splits of ``scores_a - scores_b``."""
    std_difference: float
    """Standard deviation (ddof=1) of the per-split differences: the spread of the *differences*."""
    fraction_won: float
    """Share of the splits where model a scores strictly higher than model b."""
    t_statistic: float
    """Nadeau & Bengio's corrected t statistic."""
    p_value: float
    """p-value of the corrected t-test, for the chosen ``alternative``."""
    n_splits: int
    """Number of paired splits."""


def compare_paired(scores_a, scores_b, *, n_train, n_test, alternative="two-sided"):
    """Compare two models scored on the same splits, through their paired differences.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (n_splits,)
        The two models' scores, split by split, on the *same* splits (e.g. two columns of
        :func:`paired_cv_scores`).
    n_train : int
        Rows used to fit a model in one split.
    n_test : int
        Rows scored in one split. For k-fold CV on n rows, ``n_test`` is about n / k and
        ``n_train`` about n - n / k.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        The alternative hypothesis about the mean difference a - b: it differs from 0, it is
        greater than 0 (a is better), or less than 0.

    Returns
    -------
    PairedComparison
        ``mean_difference``, ``std_difference``, ``fraction_won`` (share of splits where a beats b),
        ``t_statistic``, ``p_value`` and ``n_splits``.

    Notes
    -----
    The splits of repeated cross-validation overlap: their training sets share most rows, so the
    per-split differences are correlated, and the plain paired t-test, which treats them as
    independent, is overconfident. Nadeau and Bengio [1]_ correct the variance of the mean
    difference from :math:`\\sigma^2 / J` to

    .. math:: \\left(\\frac{1}{J} + \\frac{n_\\text{test}}{n_\\text{train}}\\right) \\hat\\sigma^2,

    with :math:`J` the number of splits and :math:`\\hat\\sigma^2` the variance (ddof=1) of the
    differences. The statistic :math:`t = \\bar d / \\sqrt{\\cdot}` is compared with Student's t
    distribution with :math:`J - 1` degrees of freedom. This is the computation of scikit-learn's
    example "Statistical comparison of models using grid search" [2]_ (which reports the
    right-tailed p-value, ``alternative="greater"`` here).

    When every difference is the same, the spread is 0: the statistic is 0 if the differences are
    all 0 (p-value 1) and infinite otherwise.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the Generalization Error", Machine Learning 52,
       239-281 (2003).
    .. [2] https://scikit-learn.org/stable/auto_examples/model_selection/plot_grid_search_stats.html

    Examples
    --------
    >>> result = compare_paired([0.80, 0.82, 0.78, 0.81], [0.75, 0.80, 0.74, 0.79], n_train=80, n_test=20)
    >>> round(result.mean_difference, 3), result.fraction_won
    (0.033, 1.0)
    """
    a = np.asarray(scores_a, dtype=float).ravel()
    b = np.asarray(scores_b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"scores_a and scores_b must be paired: got {a.size} and {b.size} scores.")
    if a.size < 2:
        raise ValueError("At least two paired splits are needed to measure a spread.")
    if n_train <= 0 or n_test <= 0:
        raise ValueError("n_train and n_test must be positive.")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', not {alternative!r}.")

    differences = a - b
    n_splits = differences.size
    mean = float(differences.mean())
    std = float(differences.std(ddof=1))
    corrected_std = np.sqrt((1 / n_splits + n_test / n_train)) * std
    if corrected_std > 0:
        t_statistic = mean / corrected_std
    else:  # no spread at all: either no difference, or the same difference on every split
        t_statistic = 0.0 if mean == 0 else float(np.copysign(np.inf, mean))
    distribution = stats.t(df=n_splits - 1)
    if alternative == "greater":
        p_value = distribution.sf(t_statistic)
    elif alternative == "less":
        p_value = distribution.cdf(t_statistic)
    else:
        p_value = 2 * distribution.sf(abs(t_statistic))
    return PairedComparison(
        mean_difference=mean,
        std_difference=std,
        fraction_won=float(np.mean(differences > 0)),
        t_statistic=float(t_statistic),
        p_value=float(min(p_value, 1.0)),
        n_splits=int(n_splits),
    )


def corrected_interval(comparison, n_train, n_test, level=0.95):
    """Confidence interval of the mean paired difference, with Nadeau & Bengio's correction.

    Parameters
    ----------
    comparison : PairedComparison
        The result of :func:`compare_paired`.
    n_train, n_test : float
        The same row counts that were given to :func:`compare_paired`.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    (low, high) : tuple of float
        ``mean_difference`` minus and plus t_{level} times the corrected standard error: the interval that
        matches the p-value of :func:`compare_paired` (it excludes 0 exactly when the two-sided p-value is
        below ``1 - level``).

    Examples
    --------
    >>> result = compare_paired([0.80, 0.82, 0.78, 0.81], [0.75, 0.80, 0.74, 0.79], n_train=80, n_test=20)
    >>> low, high = corrected_interval(result, 80, 20)
    >>> bool(low < result.mean_difference < high)
    True
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}.")
    if n_train <= 0 or n_test <= 0:
        raise ValueError("n_train and n_test must be positive.")
    half = (stats.t.ppf(0.5 + level / 2, comparison.n_splits - 1) * comparison.std_difference
            * np.sqrt(1 / comparison.n_splits + n_test / n_train))
    return float(comparison.mean_difference - half), float(comparison.mean_difference + half)
