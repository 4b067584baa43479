"""Checks for lesson 10 and exercise 10: more than two classes, and the capstone.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q6``. What each step asks
for, and how its check establishes it:

- ``q1`` macro-F1 and balanced accuracy of the given model's out-of-fold predictions on the full
  yeast set: both recomputed here from the same splitter (``StratifiedKFold(5, shuffle=True,
  random_state=0)``) and compared within the course's tolerance; the realistic other numbers
  (accuracy, weighted F1, the scores of predictions on the rows the model was fitted on) are named.
- ``q2`` per-class recall, in the order of ``classes``: the diagonal of the row-normalised confusion
  matrix of the same predictions; a Series or dict labelled by exactly the classes is aligned on its labels
  first (each value under its own class is right, in any order), anything else is read by position;
  per-class precision (the column-normalised diagonal), raw counts and another class order are named.
- ``q3`` the largest ``k_neighbors`` SMOTE can use in every training fold of that splitter: computed
  from the folds themselves (smallest class count in a training fold, minus one, because SMOTE asks
  for ``k_neighbors + 1`` neighbours counting the sample itself).
- ``q4`` a function returning a ``sampling_strategy`` dict: run on generated label vectors (strings,
  integers, a pandas Series, a class at exactly the minimum, a minimum below every class), called
  positionally as SMOTE calls it (the parameter names are the learner's); right when
  SMOTE given the dict would leave every class at ``max(count, minimum)`` rows and never ask a class
  for fewer rows than it has (which SMOTE refuses). Two cases share a minimum but no class: the same
  non-empty dict for both proves a function that ignores the labels it is passed (a notebook's ``y``), and
  that is named before the per-case verdicts.
- ``q5`` the cost-optimal threshold for calibrated probabilities: C_FP / (C_FP + C_FN) from the stated
  costs; the cost ratio and the swapped fraction are named.
- ``q6`` the capstone. ``capstone_model`` must be a fitted classifier with ``predict_proba`` (its
  scores) and ``predict`` (its decisions, at the learner's threshold). Its scores and decisions on the
  vault's inputs -- rows of page-blocks0 the learner was never given -- are scored here by average
  precision and by expected cost per block, against the vault's labels, which never enter the
  learner's kernel when the instructor's grader runs it. The capstone's data are ``X_blocks``, ``y_blocks``
  in the notebook, so that Part 1's yeast ``X``, ``y`` are not overwritten. ``capstone_cv_cost`` is the learner's
  validation estimate of that expected cost, from their own data; it is right when it agrees with
  the cost measured on the vault within chance (three standard errors of the difference), and is not,
  to the last digit, the cost of the model's own decisions on the learner's rows (an in-sample cost) or on
  the vault. Feedback names leakage where the model proves it (a step fitted on more rows than the learner's
  data has, before any sampler; a scaler fitted on as many rows as ``X_blocks`` but with other statistics; a
  near-perfect vault score); it cannot see every use of the vault (a threshold tuned on it). An estimate
  that disagrees with the vault's cost beyond chance is said not to match this model's decisions: named as the
  cost of the same scores at another threshold (1/11 or 0.5) when it matches that, otherwise asked whether it
  is another rule's, with leakage named only as what it would mean if it is this model's own. Leaks whose
  bias is below chance (``-best_score_`` of a threshold search, a threshold tuned on all the rows then
  cross-validated as fixed, a scaler fitted outside the CV) cannot be seen: step 6 says so. Also named:
  thresholds applied to uncalibrated probabilities (logistic recalibration on the vault rejects calibration),
  the default threshold 0.5, the swapped threshold C_FN / (C_FP + C_FN), a ``pos_label`` other than 1 and a
  probability threshold applied to ``decision_function`` (from the fitted threshold wrapper's parameters, or,
  for 0.5 and the swapped threshold, from the decisions themselves), a final model fitted on a
  subset, and a missing validation estimate -- without showing any vault row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import warnings
from functools import cache
from pathlib import Path

import numpy as np

from ..checks import (
    DEFAULT_SEED,
    RTOL,
    Answer,
    Array,
    Choice,
    Exercise,
    Feedback,
    FunctionCases,
    HeldoutScore,
    Mistake,
    Number,
    Question,
    Result,
    Status,
    as_plain_number,
    describe_estimator,
    incorrect,
    percentage_mistake,
    swapped_mistake,
    uncheckable,
    wrong_split_mistake,
)
from ..data import PAGE_BLOCKS_COSTS, load_page_blocks, load_yeast
from ..threshold_reading import names_class_one as _names_class_one, threshold_wrappers as _threshold_wrappers

exercise = Exercise("ex10", "Exercise 10 - many classes, and the capstone")
progress = exercise.progress

C_FN = PAGE_BLOCKS_COSTS["false_negative"]
C_FP = PAGE_BLOCKS_COSTS["false_positive"]
#: Capstone pass marks on the vault. A plain logistic regression on log-scaled features, thresholded
#: at C_FP / (C_FP + C_FN), reaches AP 0.88 and a cost of 0.15 per block there; at the default 0.5
#: it costs 0.34, and with class_weight="balanced" thresholded at 1/11 it costs 0.24 (measured when
#: this exercise was written; tests/test_ex10.py re-measures them).
AP_MIN = 0.85
COST_MAX = 0.20
#: No model that never saw the vault came near this AP on it (best measured: 0.95, a random forest);
#: models fitted on the vault's rows reach 0.998 or more.
AP_SEEN = 0.99
#: Leakage is named when the learner's estimate is this many standard errors below the vault's cost.
Z_LEAK = 3.0
#: Mistake ids of a model that saw rows other than the learner's training data.
LEAK_MISTAKES = ("fitted-on-other-rows", "fitted-on-vault")

_VAULT = Path(__file__).resolve().parent.parent / "datasets" / "page_blocks0_vault.csv"

# --------------------------------------------------------------------------- #
# Lesson 10 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "accuracy is higher than balanced accuracy, by a few points",
            "b": "the two are equal, to within 0.01",
            "c": "balanced accuracy is higher than accuracy",
        },
        correct="a",
        explanations={
            "a": "Run the next cells to see by how much, and which classes make the difference.",
            "b": "They would be equal if the recall did not depend on the class, or if the small classes' "
            "recalls happened to average out. Run the next cells: several small classes are recalled worse "
            "than the biggest ones (though not the smallest).",
            "c": "That happens when the small classes are recalled better than the big ones. Run the next "
            "cells to see which classes the model gets right.",
        },
    ),
    hints=["Accuracy weights each class by its size; balanced accuracy gives each class the same weight."],
    solution='my_prediction = "a"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "it rises, like every class's",
            "b": "it stays about the same",
            "c": "it falls",
        },
        correct="c",
        explanations={
            "a": "The weights move the boundaries towards the big classes: some of their rows now go to the "
            "small ones. Run the next cells.",
            "b": "Run the next cells: the weights move every boundary, the big classes' too.",
            "c": "Run the next cells to see by how much.",
        },
    ),
    hints=["With `class_weight='balanced'` a CYT row weighs about 0.3 and an ERL row about 30."],
    solution='my_prediction = "c"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "it runs: SMOTE uses fewer neighbours where a class is small",
            "b": "it stops with an error",
            "c": "it runs, but leaves the ERL class out",
        },
        correct="b",
        explanations={
            "a": "SMOTE does not adapt `k_neighbors` to the class. Run the next cell.",
            "b": "Run the next cell to see the message.",
            "c": "SMOTE skips no class it was asked to over-sample. Run the next cell.",
        },
    ),
    hints=["How many ERL rows are left in a training fold of 5-fold CV, and how many neighbours does k=5 need?"],
    solution='my_prediction = "b"',
)

p4 = exercise.prompt(
    "p4",
    Choice(
        options={
            "a": "the weighted model: it was trained to care about the positives",
            "b": "about the same",
            "c": "the plain model",
        },
        correct="c",
        explanations={
            "a": "At 1/11, no: the weights already push its probabilities up, and the threshold 1/11 then "
            "pushes a second time. Run the next cell, which also repairs that level: then the weighted model "
            "is the cheaper one.",
            "b": "Run the next cell.",
            "c": "At 1/11, yes. Run the next cell to see by how much, and what happens once the weighted "
            "model's probabilities are repaired.",
        },
    ),
    hints=["The threshold C_FP / (C_FP + C_FN) assumes calibrated probabilities. Are the weighted model's?"],
    solution='my_prediction = "c"',
)

# --------------------------------------------------------------------------- #
# Part 1: many classes (full yeast set)
# --------------------------------------------------------------------------- #


def _splitter():
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=5, shuffle=True, random_state=0)


def _model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@cache
def _yeast():
    X, y = load_yeast(return_X_y=True)
    return X, y.to_numpy()


@cache
def _classes() -> tuple:
    return tuple(np.unique(_yeast()[1]).tolist())


@cache
def _out_of_fold() -> np.ndarray:
    from sklearn.model_selection import cross_val_predict

    X, y = _yeast()
    return cross_val_predict(_model(), X, y, cv=_splitter())


@cache
def _unshuffled() -> np.ndarray:
    """Out-of-fold predictions under ``cv=5`` (unshuffled stratified folds) instead of the given ``cv``."""
    from sklearn.model_selection import cross_val_predict

    X, y = _yeast()
    return cross_val_predict(_model(), X, y, cv=5)


#: The unshuffled folds' predictions cost a second cross-validation: they are computed only for a wrong
#: answer within this relative distance of the right one (tests/test_ex10.py asserts that they lie inside it).
_NEAR_MISS = 0.1


def _near_miss(value, right) -> bool:
    """A number within ``_NEAR_MISS`` (relative) of the right one; an array of fractions within ``_NEAR_MISS`` of
    the right ones on average."""
    value, right = np.asarray(value, dtype=float), np.asarray(right, dtype=float)
    if value.shape != right.shape or not np.isfinite(value).all():
        return False
    if value.ndim == 0:
        return bool(abs(value - right) <= _NEAR_MISS * abs(right))
    return bool(np.abs(value - right).mean() <= _NEAR_MISS)


@cache
def _in_sample() -> np.ndarray:
    X, y = _yeast()
    return _model().fit(X, y).predict(X)


def _scores(y_pred) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, precision_score

    y = _yeast()[1]
    return {
        "adjusted_balanced_accuracy": balanced_accuracy_score(y, y_pred, adjusted=True),
        "macro_f1": f1_score(y, y_pred, average="macro", zero_division=0),
        "weighted_f1": f1_score(y, y_pred, average="weighted", zero_division=0),
        "accuracy": accuracy_score(y, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y, y_pred),
        "macro_precision": precision_score(y, y_pred, average="macro", zero_division=0),
    }


@cache
def _oof_scores() -> dict:
    return _scores(_out_of_fold())


@cache
def _in_sample_scores() -> dict:
    return _scores(_in_sample())


@cache
def _unshuffled_scores() -> dict:
    return _scores(_unshuffled())


def _unshuffled_mistake(key: str, what: str) -> Mistake:
    def match(value: float) -> bool:
        right = _oof_scores()[key]
        return _near_miss(value, right) and math.isclose(value, _unshuffled_scores()[key], rel_tol=RTOL)

    return Mistake("unshuffled-cv", match,
                   f"That is the {what} of predictions from unshuffled folds (`cv=5`). Use the given `cv` "
                   "(shuffled, `random_state=0`): other folds give other predictions.")


def _confusion(normalize):
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(_yeast()[1], _out_of_fold(), labels=list(_classes()), normalize=normalize)


@cache
def _recall_per_class() -> np.ndarray:
    return np.diagonal(_confusion("true")).copy()


@cache
def _precision_per_class() -> np.ndarray:
    return np.diagonal(_confusion("pred")).copy()


@cache
def _precision_with_nan() -> np.ndarray:
    """Per-class precision as the diagonal over the column sums: NaN for a class never predicted (0 / 0)."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(_yeast()[1], _out_of_fold(), labels=list(_classes())).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diagonal(matrix) / matrix.sum(axis=0)


def _recall_of(y_pred) -> np.ndarray:
    from sklearn.metrics import recall_score

    return recall_score(_yeast()[1], y_pred, labels=list(_classes()), average=None, zero_division=0)


@cache
def _f1_per_class() -> np.ndarray:
    from sklearn.metrics import f1_score

    return f1_score(_yeast()[1], _out_of_fold(), labels=list(_classes()), average=None, zero_division=0)


def _is_precision(a, e) -> bool:
    """The per-class precisions, with 0 or NaN (0 / 0) for a class never predicted."""
    nan = _precision_with_nan()
    if np.allclose(a, _precision_per_class(), rtol=RTOL, atol=1e-9):
        return True
    return bool(np.array_equal(np.isnan(a), np.isnan(nan)) and np.isnan(a).any()
                and np.allclose(a[~np.isnan(a)], nan[~np.isnan(nan)], rtol=RTOL, atol=1e-9))


@cache
def _correct_counts() -> np.ndarray:
    return np.diagonal(_confusion(None)).astype(float)


@cache
def _recall_by_size() -> np.ndarray:
    """Per-class recall listed from the biggest class to the smallest (``value_counts`` order)."""
    y = _yeast()[1]
    labels, counts = np.unique(y, return_counts=True)
    recall = dict(zip(labels, _recall_per_class()))
    return np.array([recall[label] for label in labels[np.argsort(-counts, kind="stable")]])


_OTHER_METRIC = "That is the {what}, not the {wanted}."

q1 = exercise.question(
    "q1",
    {
        "macro_f1": Number(
            expected=lambda: _oof_scores()["macro_f1"],
            mistakes=[
                # Macro-F1 and balanced accuracy lie within 0.1 % of each other here: named when matched exactly.
                Mistake("balanced-accuracy", lambda: _oof_scores()["balanced_accuracy"],
                        "That is the balanced accuracy (the mean of the per-class recalls); macro-F1 is the mean of "
                        "the per-class F1 scores: `f1_score(..., average=\"macro\")`.", exact=True),
                Mistake("accuracy", lambda: _oof_scores()["accuracy"],
                        "That is the accuracy (also the micro-averaged F1): use `f1_score(..., average=\"macro\")`, "
                        "the plain mean of the ten per-class F1 scores."),
                Mistake("weighted", lambda: _oof_scores()["weighted_f1"],
                        "That is the F1 weighted by class size (`average=\"weighted\"`): the big classes dominate it. "
                        "Use `average=\"macro\"`."),
                wrong_split_mistake(lambda: _in_sample_scores()["macro_f1"],
                                    "That is the macro-F1 of a model predicting the rows it was fitted on. Score the "
                                    "out-of-fold predictions `y_pred` from `cross_val_predict`."),
                _unshuffled_mistake("macro_f1", "macro-F1"),
                percentage_mistake(lambda: _oof_scores()["macro_f1"]),
            ],
            otherwise="That is not the macro-F1 of the given model's out-of-fold predictions: use the given `model` "
            "and `cv` unchanged in `cross_val_predict`, then `f1_score` with `average=\"macro\"` and "
            "`zero_division=0`.",
        ),
        "balanced_acc": Number(
            expected=lambda: _oof_scores()["balanced_accuracy"],
            mistakes=[
                Mistake("macro-f1", lambda: _oof_scores()["macro_f1"],
                        "That is the macro-F1; balanced accuracy is the mean of the per-class recalls: "
                        "`balanced_accuracy_score`.", exact=True),
                Mistake("accuracy", lambda: _oof_scores()["accuracy"],
                        "That is the accuracy: use `balanced_accuracy_score`, the mean of the per-class recalls."),
                Mistake("macro-precision", lambda: _oof_scores()["macro_precision"],
                        "That is the mean of the per-class precisions; balanced accuracy is the mean of the "
                        "per-class recalls."),
                wrong_split_mistake(lambda: _in_sample_scores()["balanced_accuracy"],
                                    "That is the balanced accuracy of a model predicting the rows it was fitted on. "
                                    "Score the out-of-fold predictions `y_pred`."),
                Mistake("adjusted", lambda: _oof_scores()["adjusted_balanced_accuracy"],
                        "That is the *adjusted* balanced accuracy (`adjusted=True`: chance is rescaled to 0). The "
                        "step asks for the plain one, the mean of the per-class recalls: keep the default."),
                _unshuffled_mistake("balanced_accuracy", "balanced accuracy"),
                percentage_mistake(lambda: _oof_scores()["balanced_accuracy"]),
            ],
            otherwise="That is not the balanced accuracy of the given model's out-of-fold predictions: use the given "
            "`model` and `cv` unchanged in `cross_val_predict`, then `balanced_accuracy_score`.",
        ),
    },
    points=2,
    hints=[
        "`y_pred = cross_val_predict(model, X, y, cv=cv)` gives one out-of-fold prediction per row.",
        "`f1_score(y, y_pred, average=\"macro\", zero_division=0)` and `balanced_accuracy_score(y, y_pred)`.",
    ],
    solution=(
        "y_pred = cross_val_predict(model, X, y, cv=cv)\n"
        "macro_f1 = f1_score(y, y_pred, average=\"macro\", zero_division=0)\n"
        "balanced_acc = balanced_accuracy_score(y, y_pred)"
    ),
)


def _same_sorted(a, e) -> bool:
    return a.shape == e.shape and np.allclose(np.sort(a), np.sort(e), rtol=RTOL, atol=1e-9)


def _aligned_on_classes(value):
    """The values of a Series or dict labelled by exactly the classes, in the order of ``classes``; None for any
    other answer (an unlabelled array, a Series with a positional index, labels that are not the classes), which
    is then read by position."""
    try:
        import pandas as pd

        if isinstance(value, dict):
            labels, values = list(value.keys()), list(value.values())
        elif isinstance(value, pd.Series):
            labels, values = list(value.index), list(value.to_numpy())
        else:
            return None
        names = [str(label.item() if isinstance(label, np.generic) else label) for label in labels]
        classes = [str(c) for c in _classes()]
        if len(names) != len(classes) or len(set(names)) != len(names) or set(names) != set(classes):
            return None
        by_name = dict(zip(names, values))
        return [by_name[c] for c in classes]
    except Exception:  # noqa: BLE001 - an unreadable answer is read by position, and its own check says why
        return None


class _PerClass(Array):
    """Per-class values in the order of ``classes``. A Series or dict labelled by the classes is right when each
    value sits under its own class, whatever the order of the labels: it is aligned on them before judging."""

    def extract(self, value, seed=DEFAULT_SEED):
        aligned = _aligned_on_classes(value)
        if aligned is None and isinstance(value, dict):
            raise uncheckable(f"A dict is read by its keys, which must be exactly the {len(_classes())} classes of "
                              "`classes`, one value each; the keys of yours are not those. Or give an array in the order "
                              "of `classes`.")
        return super().extract(value if aligned is None else aligned, seed)


q2 = exercise.question(
    "q2",
    (
        "recall_per_class",
        _PerClass(
            expected=_recall_per_class,
            rtol=RTOL,
            atol=1e-9,
            mistakes=[
                Mistake("precision", _is_precision,
                        lambda a: "Those are the per-class precisions: the diagonal divided by the column sums (the "
                        "predicted counts" + ("; the NaN is a class never predicted, 0 / 0" if np.isnan(a).any() else "")
                        + "), or by the row sums of `confusion_matrix(y_pred, y)`, whose arguments are then swapped. "
                        "Recall divides by the true class: `confusion_matrix(y, y_pred, ...)` (true labels first), "
                        "normalised by its rows (`normalize=\"true\"`)."),
                wrong_split_mistake(lambda a, e: np.allclose(a, _recall_of(_in_sample()), rtol=RTOL, atol=1e-9),
                                    "Those are the recalls of a model predicting the rows it was fitted on. Use the "
                                    "out-of-fold predictions `y_pred` of step 1."),
                Mistake("unshuffled-cv", lambda a, e: _near_miss(a, e) and np.allclose(a, _recall_of(_unshuffled()),
                                                                                         rtol=RTOL, atol=1e-9),
                        "Those are the recalls of predictions from unshuffled folds (`cv=5`). Use the given `cv`, as "
                        "in step 1: the same `y_pred`."),
                Mistake("percentage", lambda a, e: np.allclose(a, 100 * e, rtol=RTOL, atol=1e-6) and np.any(e),
                        "Those are percentages; give each recall as a fraction between 0 and 1."),
                Mistake("f1", lambda a, e: np.allclose(a, _f1_per_class(), rtol=RTOL, atol=1e-9),
                        "Those are the per-class F1 scores; recall is the share of each true class predicted right."),
                Mistake("counts", lambda a, e: np.allclose(a, _correct_counts(), rtol=RTOL, atol=1e-9),
                        "Those are counts of rows predicted right. Recall is a share: normalise the confusion "
                        "matrix by its rows (`normalize=\"true\"`) before taking the diagonal."),
                Mistake("order", lambda a, e: np.allclose(a, _recall_by_size(), rtol=RTOL, atol=1e-9)
                        or (_same_sorted(a, e) and not np.allclose(a, e, rtol=RTOL, atol=1e-9)),
                        "Right values, wrong order: list them in the order of `classes` (alphabetical), e.g. with "
                        "`labels=classes` in `confusion_matrix` or `recall_score`. (A Series or dict labelled by the "
                        "classes is read by its labels: then each value must sit under its own class.)"),
            ],
        ),
    ),
    points=1,
    hints=[
        "`confusion_matrix(y, y_pred, labels=classes, normalize=\"true\")` has the recalls on its diagonal.",
        "`recall_score(y, y_pred, labels=classes, average=None)` gives the same numbers.",
    ],
    solution=(
        "matrix = confusion_matrix(y, y_pred, labels=classes, normalize=\"true\")\n"
        "recall_per_class = np.diagonal(matrix)"
    ),
)


@cache
def _max_k() -> int:
    X, y = _yeast()
    smallest = min(
        np.unique(y[train], return_counts=True)[1].min() for train, _ in _splitter().split(X, y)
    )
    return int(smallest) - 1


q3 = exercise.question(
    "q3",
    (
        "max_k",
        Number(
            expected=lambda: float(_max_k()),
            detect_rounding=False,
            mistakes=[
                Mistake("fold-size", lambda: float(_max_k() + 1),
                        "That is how many ERL rows a training fold holds. SMOTE asks for `k_neighbors + 1` "
                        "neighbours, the sample itself included, so k can be at most one less."),
                Mistake("whole-data", 5.0,
                        "5 is how many ERL rows the whole set has (and SMOTE's default k). In 5-fold CV each "
                        "training fold holds only four of them; count them with `np.unique(y[train], "
                        "return_counts=True)`."),
            ],
            otherwise="Count each class's rows in every training fold of `cv`; SMOTE needs `k_neighbors + 1` of "
            "them in the smallest.",
        ),
    ),
    points=1,
    hints=[
        "Loop over `cv.split(X, y)` and find the smallest class count among the training rows.",
        "SMOTE asks a class's `NearestNeighbors` for `k_neighbors + 1` neighbours (the sample is its own nearest).",
    ],
    solution=(
        "smallest = min(np.unique(y[train], return_counts=True)[1].min() for train, _ in cv.split(X, y))\n"
        "max_k = int(smallest) - 1"
    ),
)


def _strategy_cases(seed: int) -> list[dict]:
    import pandas as pd

    rng = np.random.default_rng([10, 4, seed])

    def labels(counts, names):
        y = np.repeat(np.asarray(names), counts)
        return y[rng.permutation(len(y))]

    small = int(rng.integers(3, 9))
    return [
        {"y": labels([60, 25, small, 40], ["CYT", "ME1", "ERL", "NUC"]), "minimum": 40},  # one at exactly 40
        {"y": labels([100, 12, 7], [0, 1, 2]), "minimum": 30},
        {"y": pd.Series(labels([50, 9, 20], ["a", "b", "c"]), name="target"), "minimum": 20},
        {"y": labels([30, 20], ["x", "y"]), "minimum": 10},  # no class below the minimum: an empty dict
        {"y": labels([80, small + 1, 33, 14, 5], [3, 1, 4, 5, 9]), "minimum": int(rng.integers(25, 35))},
        # The first case's minimum with labels it does not share: a function that ignores the labels it is
        # passed (reading a `y` of the notebook instead) returns the same dict for both.
        {"y": labels([70, 12, 45], ["p", "q", "r"]), "minimum": 40},
    ]


def _strategy_to_plain(raw):
    if raw is Ellipsis or raw is None:  # the blank placeholder and a forgotten `return`, as FunctionCases reads them
        return "Ellipsis" if raw is Ellipsis else None
    if not isinstance(raw, dict):
        return {"not_a_dict": type(raw).__name__}
    items = []
    for key, value in raw.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
        integral = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
        plain_key = key.item() if isinstance(key, np.generic) else key
        # SMOTE matches the keys to the labels exactly: 1 and "1" are different classes to it.
        numeric_key = isinstance(plain_key, (int, float)) and not isinstance(plain_key, bool)
        items.append([str(plain_key), number, integral, numeric_key])
    return {"items": items}


def _judge_strategy(kwargs, output):
    y = np.asarray(kwargs["y"])
    minimum = int(kwargs["minimum"])
    labels, counts = np.unique(y, return_counts=True)
    count = {str(label.item() if isinstance(label, np.generic) else label): int(n) for label, n in zip(labels, counts)}
    if not isinstance(output, dict) or "items" not in output:
        kind = output.get("not_a_dict") if isinstance(output, dict) else type(output).__name__
        return (f"Return a dict `{{class: rows wanted}}` (got {kind}).", "not-a-dict")
    wanted = {}
    numeric_labels = np.asarray(labels).dtype.kind in "iuf"
    for key, number, integral, *kind in output["items"]:
        if key in count and kind and bool(kind[0]) != numeric_labels:
            given, wanted_kind = ("a number", "strings") if kind[0] else ("a string", "numbers")
            return (f"Your dict's key for class {key} is {given}, but the labels of this `y` are {wanted_kind}: "
                    "SMOTE matches the keys to the labels exactly, so use the labels themselves as keys, as "
                    "`value_counts()` or `np.unique` give them.", "key-type")
        if key not in count:
            return (f"Your dict names the class {key!r}, which is not among the labels of `y`: use the labels "
                    "themselves as keys (`y.value_counts()` or `np.unique(y, return_counts=True)`).", "unknown-class")
        if number is None or not integral:
            return (f"The value for class {key!r} is not a whole number of rows: SMOTE wants integers.", "not-integer")
        wanted[key] = int(number)
    small = {key: n for key, n in count.items() if n < minimum}
    if small and all(wanted.get(key) == minimum - n for key, n in small.items()) and any(minimum - n < n for n in small.values()):
        return ("Your dict gives how many rows to *add* to each class; SMOTE's dict wants how many rows each class "
                "should *have* after resampling (the minimum itself).", "rows-to-add")
    for key, n in count.items():
        target = wanted.get(key, n)
        if target < n:
            return (f"Class {key!r} has {n} rows and your dict asks for {target}: an over-sampler cannot remove rows "
                    "(SMOTE raises an error). Leave classes that already have enough rows out of the dict.",
                    "asks-fewer")
        if target != max(n, minimum):
            if key not in wanted:
                return (f"Class {key!r} has {n} rows, fewer than {minimum}, but is missing from your dict.", "missing-class")
            return (f"Class {key!r} has {n} rows: raise it to {max(n, minimum)}, not {target}.", "wrong-target")
    return None


def _ignores_labels(cases, outputs):
    """A message when the function returned the same non-empty dict for two label vectors that share no class (with
    the same ``minimum``): its output does not depend on the labels it is passed, and names classes that one of
    the two does not have. None otherwise."""
    import json

    seen = {}
    for kwargs, output in zip(cases, outputs):
        if not (isinstance(output, dict) and output.get("items")):
            continue
        try:
            key = (int(kwargs["minimum"]), frozenset(json.dumps(item) for item in output["items"]))
        except (TypeError, ValueError):
            continue
        labels = {str(label) for label in np.unique(np.asarray(kwargs["y"]))}
        if any(not labels & other for other in seen.get(key, [])):
            return ("Your function returned the same dict for two label vectors that have no class in common (with "
                    "the same `minimum`): it does not count the labels it is passed. SMOTE calls it with each "
                    "training fold's labels as its first argument: count those (whatever you name that parameter), "
                    "not a `y` defined outside the function.", "ignores-labels")
        seen.setdefault(key, []).append(labels)
    return None


class _StrategyCases(FunctionCases):
    """``FunctionCases`` that first names a function ignoring its labels (proved across two cases), before the
    per-case verdicts, which would only say that a key is not a class of one case's labels."""

    def judge(self, data, seed=DEFAULT_SEED):
        cases = self.make_cases(seed)
        if isinstance(data, list) and len(data) == len(cases):
            problem = _ignores_labels(cases, data)
            if problem:
                raise incorrect(*problem)
        return super().judge(data, seed)


q4 = exercise.question(
    "q4",
    (
        "raise_small_classes",
        # Called as SMOTE's sampling_strategy is, positionally: the parameter names are the learner's.
        _StrategyCases(make_cases=_strategy_cases, judge_case=_judge_strategy, to_plain=_strategy_to_plain,
                       positional=True),
    ),
    points=1,
    hints=[
        "Count the rows of each class, e.g. with `pd.Series(y).value_counts()`.",
        "Keep only the classes below the minimum: `{label: minimum for label, n in counts.items() if n < minimum}`.",
    ],
    solution=(
        "def raise_small_classes(y, minimum):\n"
        "    counts = pd.Series(y).value_counts()\n"
        "    return {label: int(minimum) for label, n in counts.items() if n < minimum}"
    ),
)

q5 = exercise.question(
    "q5",
    (
        "cost_threshold",
        Number(
            expected=C_FP / (C_FP + C_FN),
            mistakes=[
                Mistake("cost-ratio", C_FP / C_FN,
                        "That is the ratio of the costs, C_FP / C_FN. Compare the expected costs: flagging costs "
                        "C_FP x (1 - p), not flagging costs C_FN x p; the threshold is the p where they are equal."),
                swapped_mistake(C_FN / (C_FP + C_FN),
                                "You swapped the costs: a missed non-text block (C_FN = 10) is the expensive one, so "
                                "the threshold is low."),
                Mistake("default", 0.5, "0.5 is the best threshold only when both mistakes cost the same."),
                Mistake("inverse-cost-ratio", C_FN / C_FP, "That is the ratio of the costs, C_FN / C_FP: a threshold is a "
                        "probability, between 0 and 1. Compare the expected costs of flagging and of not flagging."),
                percentage_mistake(C_FP / (C_FP + C_FN), "That is a percentage; a threshold on probabilities is a "
                                   "fraction between 0 and 1."),
                Mistake("prevalence", lambda: _learner_rows()[1],
                        "That is the share of non-text blocks in `y_blocks` (the prevalence). The cost-optimal threshold "
                        "for calibrated probabilities depends on the two costs only: compare the expected cost of "
                        "flagging, C_FP x (1 - p), with that of not flagging, C_FN x p."),
            ],
        ),
    ),
    points=1,
    hints=["Flag a block when C_FN x p > C_FP x (1 - p).", "Solve for p: the threshold is C_FP / (C_FP + C_FN)."],
    solution="cost_threshold = C_FP / (C_FP + C_FN)",
)

# --------------------------------------------------------------------------- #
# Part 2: the capstone, scored on the vault
# --------------------------------------------------------------------------- #


@cache
def _vault():
    import pandas as pd

    frame = pd.read_csv(_VAULT)
    y = frame.pop("target").to_numpy()
    return frame, y


def _vault_draw(seed: int = DEFAULT_SEED):
    """The vault is one fixed set of rows: every seed gets the same inputs and labels."""
    return _vault()


@cache
def _learner_rows() -> tuple[int, float]:
    _, y = load_page_blocks(return_X_y=True)
    return len(y), float(y.mean())


def expected_cost(y_true, decisions) -> float:
    """Mean cost per block of 0/1 decisions under the capstone's costs (C_FN = 10, C_FP = 1).

    Parameters
    ----------
    y_true, decisions : array-like of shape (n_samples,)
        True labels and decisions, 1 = not a text block.

    Returns
    -------
    float
    """
    return float(np.mean(_costs_per_row(np.asarray(y_true), np.asarray(decisions))))


def _costs_per_row(y, decisions) -> np.ndarray:
    y = np.asarray(y).astype(int)
    decisions = np.asarray(decisions).astype(int)
    return np.where((y == 1) & (decisions == 0), C_FN, 0.0) + np.where((y == 0) & (decisions == 1), C_FP, 0.0)


def _rows_seen_anywhere(description: dict | None) -> list[int]:
    """Rows counted by every fitted step of a (nested) description that records them, up to a pipeline's first
    sampler (a sampler inside the pipeline is the right place for one)."""
    if not isinstance(description, dict):
        return []
    seen = []
    for step in description.get("steps") or []:
        if not isinstance(step, dict):
            continue
        if step.get("is_sampler"):
            break  # the steps after a sampler inside the pipeline see its resampled rows, by design
        seen.append(step.get("n_samples_seen"))
    return [int(n) for n in seen if isinstance(n, int)] + _rows_seen_anywhere(description.get("inner"))


def _implied_threshold(proba: np.ndarray, decisions: np.ndarray):
    """``(low, high)``: the decisions are ``proba >= t`` for every t in (low, high]; None if no t gives them."""
    flagged, kept = proba[decisions == 1], proba[decisions == 0]
    if len(flagged) == 0 or len(kept) == 0 or kept.max() >= flagged.min():
        return None
    return float(kept.max()), float(flagged.min())


def _fitted_chain(estimator, depth: int = 0) -> list:
    """The estimator and the fitted copies it wraps (``estimator_``, ``best_estimator_``), outermost first.
    Not the per-fold copies of a cross-validated wrapper (``calibrated_classifiers_``): those see folds."""
    chain = [estimator]
    if depth < 4:
        for attr in ("best_estimator_", "estimator_"):
            try:
                inner = getattr(estimator, attr, None)
            except Exception:
                inner = None
            if inner is not None and hasattr(inner, "fit") and not isinstance(inner, type):
                return chain + _fitted_chain(inner, depth + 1)
    return chain


def _fit_rows_evidence(model) -> dict:
    """What the fitted model's own steps prove about the rows they were fitted on (computed in the learner's kernel).

    For the first step of each pipeline in the model's fitted chain that records statistics of its input
    (a scaler's ``mean_`` and ``var_``), with only stateless or fitted non-resampling steps before it: whether
    those statistics are the learner's whole ``X_blocks``'s (through the same steps), and how many rows it saw.
    Also whether the pipeline applies a log transform (for the low-AP advice).
    """
    evidence = {"scalers": [], "log_transform": False}
    try:
        X, _ = load_page_blocks(return_X_y=True)
        for estimator in _fitted_chain(model):
            steps = getattr(estimator, "steps", None)
            if not isinstance(steps, list):
                continue
            for position, (_, step) in enumerate(steps):
                func = getattr(step, "func", None)
                if func is not None and "log" in str(getattr(func, "__name__", "")):
                    evidence["log_transform"] = True
                if hasattr(step, "fit_resample"):
                    break  # the steps after a sampler see resampled rows
                mean, var = getattr(step, "mean_", None), getattr(step, "var_", None)
                if mean is None or var is None:
                    continue
                seen = int(np.max(getattr(step, "n_samples_seen_", 0)))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    Xt = np.asarray(estimator[:position].transform(X) if position else X, dtype=float)
                same = (Xt.shape[1] == np.size(mean)
                        and np.allclose(Xt.mean(axis=0), mean, rtol=1e-7, atol=1e-9)
                        and np.allclose(Xt.var(axis=0), var, rtol=1e-6, atol=1e-9))
                evidence["scalers"].append({"class": type(step).__name__, "n_seen": seen, "same_as_X": bool(same)})
                break
    except Exception:  # noqa: BLE001 - evidence is optional: without it the other checks still run
        pass
    return evidence


def _expected_transform(model) -> str | None:
    """The usual transform of the learner's ``X_blocks`` that the model ranks far better than ``X_blocks`` as the data gives it.

    A model fitted on transformed features but handed the raw blocks ranks them poorly; given the same
    transform of ``X_blocks``, it ranks its own rows well again. That proves the transform was applied outside it.
    """
    try:
        from sklearn.metrics import average_precision_score
        from sklearn.preprocessing import StandardScaler

        X, y = load_page_blocks(return_X_y=True)
        y = np.asarray(y)
        logged = np.log1p(np.asarray(X, dtype=float))
        versions = {
            "X as the data gives it": X,
            "a log transform": _like_X(X, logged),
            "a scaler": _like_X(X, StandardScaler().fit_transform(X)),
            "a log transform and a scaler": _like_X(X, StandardScaler().fit_transform(logged)),
        }
        aps = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, version in versions.items():
                scores = np.asarray(model.predict_proba(version), dtype=float)[:, 1]
                if np.isfinite(scores).all():
                    aps[name] = float(average_precision_score(y, scores))
        raw = aps.pop("X as the data gives it", None)
        if raw is None or not aps:
            return None
        best = max(aps, key=aps.get)
        return best if aps[best] >= AP_MIN and aps[best] >= raw + 0.2 else None
    except Exception:  # noqa: BLE001 - evidence is optional
        return None


def _like_X(X, values):
    """``values`` with ``X``'s columns when ``X`` is a DataFrame (a model fitted on one expects its names)."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return values
    import pandas as pd

    return pd.DataFrame(values, columns=columns, index=X.index)


def _in_sample_cost(model) -> float | None:
    """The cost of the model's own decisions on the learner's ``X_blocks``, ``y_blocks`` (the rows the step fits it on)."""
    try:
        X, y = load_page_blocks(return_X_y=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            decisions = np.asarray(model.predict(X)).astype(float)
        if decisions.shape != (len(y),) or not np.isin(decisions, [0.0, 1.0]).all():
            return None
        return expected_cost(np.asarray(y), decisions)
    except Exception:  # noqa: BLE001
        return None


def _tuning_score(model) -> float | None:
    """``best_score_`` of a fitted ``TunedThresholdClassifierCV`` (the score of the threshold it chose, on the folds
    it chose it on), None for any other model."""
    try:
        score = float(getattr(model, "best_score_"))
        return score if math.isfinite(score) and hasattr(model, "best_threshold_") else None
    except Exception:  # noqa: BLE001
        return None


CALIBRATION_ALPHA = 0.001
"""The capstone says "not calibrated" only when logistic recalibration rejects calibration at this level."""


def calibration_evidence(y, proba) -> dict:
    """Logistic recalibration of ``proba`` on the labels ``y`` (as lesson 08 and exercise 06 measure it).

    Fits logit P(y = 1) = a + b * logit(proba) by maximum likelihood, without a penalty, and tests
    calibration (a = 0 and b = 1) against it with a likelihood-ratio test (2 degrees of freedom).

    Returns
    -------
    dict
        ``intercept`` a, ``slope`` b, ``mean`` (mean of ``proba``), ``prevalence`` (mean of ``y``) and
        ``p_value`` of the likelihood-ratio test: small means the labels show the probabilities are
        not calibrated; large means they do not show it (which is not proof that they are).
    """
    from scipy import stats
    from scipy.special import expit, logit
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y).astype(int)
    p = np.clip(np.asarray(proba, dtype=float), 1e-12, 1 - 1e-12)
    z = logit(p).reshape(-1, 1)

    def log_likelihood(q):
        q = np.clip(q, 1e-12, 1 - 1e-12)
        return float(np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)))

    if len(np.unique(y)) < 2:
        return {"intercept": 0.0, "slope": 1.0, "mean": float(p.mean()), "prevalence": float(y.mean()), "p_value": 1.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recalibration = LogisticRegression(C=np.inf, max_iter=1000).fit(z, y)
    a, b = float(recalibration.intercept_[0]), float(recalibration.coef_[0, 0])
    statistic = max(2 * (log_likelihood(expit(a + b * z.ravel())) - log_likelihood(p)), 0.0)
    return {"intercept": a, "slope": b, "mean": float(p.mean()), "prevalence": float(y.mean()),
            "p_value": float(stats.chi2.sf(statistic, df=2))}


class VaultDecisions(HeldoutScore):
    """A fitted classifier's scores and decisions on the capstone's vault, judged by AP and by cost.

    The inputs come from ``make_heldout`` (the grader replaces it with the inputs it sends); the
    labels are read only by :meth:`judge`.
    """

    def extract(self, value, seed=DEFAULT_SEED):
        description = describe_estimator(value)
        if not description["fitted"]:
            raise uncheckable(f"Your model is not fitted yet, so it could not be checked: call `{self.fit_call}` on it first.")
        X = self.make_heldout(seed)[0]
        outputs = {}
        for method in ("predict_proba", "predict"):
            if getattr(value, method, None) is None:
                raise uncheckable(f"Your model has no `{method}` method: the capstone needs scores (`predict_proba`) "
                                  "and decisions (`predict`).")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outputs[method] = np.asarray(getattr(value, method)(X))
            except Exception as error:
                raise uncheckable(f"Your model failed when asked to `{method}` on new blocks ({type(error).__name__}). "
                                  "Was it fitted on the columns of `X_blocks`?") from None
        proba = outputs["predict_proba"]
        classes = [str(c) for c in np.asarray(getattr(value, "classes_", [0, 1])).tolist()]
        if proba.ndim != 2 or proba.shape[1] != 2 or classes not in (["0", "1"], ["False", "True"]):
            raise uncheckable("Your model should be a binary classifier of `y_blocks` (classes 0 and 1).")
        decisions = outputs["predict"]
        if decisions.shape != (len(proba),) or not np.isin(decisions.astype(float), [0.0, 1.0]).all():
            raise uncheckable("`predict` should give one decision per block, 0 or 1.")
        return {
            "estimator": description,
            "output": proba[:, 1].astype(float).tolist(),
            "decisions": decisions.astype(float).tolist(),
            "evidence": _fit_rows_evidence(value),
            "in_sample_cost": _in_sample_cost(value),
            "expected_transform": _expected_transform(value),
            "tuning_score": _tuning_score(value),
        }

    def judge(self, data, seed=DEFAULT_SEED):
        _, y = self.make_heldout(seed)
        proba = np.asarray(data["output"], dtype=float)
        decisions = np.asarray(data["decisions"], dtype=float)
        if proba.shape != (len(y),) or decisions.shape != (len(y),) or not np.isfinite(proba).all():
            raise uncheckable("Your model returned the wrong number of scores or decisions.")
        from sklearn.metrics import average_precision_score

        n_learner, prevalence = _learner_rows()
        seen = [n for n in _rows_seen_anywhere(data.get("estimator")) if n > n_learner]
        if seen:
            raise incorrect(
                f"A step of your model was fitted on {max(seen)} rows, but your data has {n_learner}: it saw rows "
                "that are not your training data -- resampled rows (resampling before the pipeline, so that test "
                "rows leak into training), or rows of the vault. Fit the whole pipeline on `X_blocks` and `y_blocks` (or on "
                "your training split) only, with any sampler inside it.",
                mistake="fitted-on-other-rows",
            )
        evidence = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
        scalers = [e for e in evidence.get("scalers") or [] if isinstance(e, dict)]
        other = [e for e in scalers if e.get("n_seen") == n_learner and e.get("same_as_X") is False]
        if other:
            raise incorrect(
                f"The `{other[0].get('class')}` of your model was fitted on {n_learner} rows, as many as `X_blocks` has, but "
                "its statistics (mean and variance) are not those of `X_blocks`: the rows it saw are not your data's "
                "rows (some replaced, by vault rows or by others). Fit the whole pipeline on `X_blocks` and `y_blocks`.",
                mistake="fitted-on-other-rows",
            )
        ap = float(average_precision_score(y, proba))
        if ap >= AP_SEEN:
            raise incorrect(
                f"Your model's AP on the vault is {ap:.3f}, far above what any model that never saw these rows reached "
                f"in our tests (about 0.95). It has most likely been fitted on vault rows (the file "
                "`page_blocks0_vault.csv` in the course package): refit it on `X_blocks` and `y_blocks` only.",
                mistake="fitted-on-vault",
            )
        cost = expected_cost(y, decisions)
        flag_all = C_FP * (1 - prevalence)
        problems, ids = [], []
        transform = data.get("expected_transform")
        # Proved in the learner's kernel: the model ranks a transformed X far better than X itself.
        raw_inputs = isinstance(transform, str) and ap < AP_MIN
        if ap < AP_MIN:
            fewer = [n for n in _rows_seen_anywhere(data.get("estimator")) if 0 < n < n_learner]
            if raw_inputs:
                advice = (f"Your model ranks your own rows `X_blocks` well only after {transform} that is not part of it, "
                          "and the vault's blocks arrive as `X_blocks` has them. Put that step inside the model, in a "
                          "pipeline, so that it is applied to every block the model scores.")
            elif fewer:
                advice = (f"A step of your model was fitted on {max(fewer)} rows only, while `X_blocks` has {n_learner}: "
                          "fit the final model on all of `X_blocks`, `y_blocks` (validation is for the estimate, not the final fit).")
            elif evidence.get("log_transform"):
                advice = ("Your pipeline already log-transforms the features: try another model (a tree ensemble), "
                          "and check that the score you pass on is the positive class's probability.")
            else:
                advice = "The features are very skewed: try a log transform before a linear model, or a tree ensemble."
            problems.append(f"Its average precision on the vault is {ap:.3f}; it needs {AP_MIN:.2f}: the scores rank "
                            f"blocks poorly. {advice}")
            ids.append("transform-outside-model" if raw_inputs else "low-ap")
        if cost > COST_MAX:
            problems.append(f"Its decisions cost {cost:.3f} per block on the vault; they need to cost at most "
                            f"{COST_MAX:.2f} (flagging every block would cost {flag_all:.3f}).")
            ids.append("high-cost")
            # Calibration is not the question while the model does not see the features it was fitted on.
            why, mistake = self._why_costly(proba, decisions, prevalence, None if raw_inputs else y,
                                            estimator=data.get("estimator"))
            problems.append(why)
            ids.append(mistake)
        if problems:
            return Result(Status.INCORRECT, " ".join(p for p in problems if p),
                          mistake="|".join(i for i in ids if i) or None)
        return Result(
            Status.CORRECT,
            f"On the vault (rows you never saw): AP {ap:.3f} (needed {AP_MIN:.2f}) and an expected cost of {cost:.3f} "
            f"per block (at most {COST_MAX:.2f}; flagging every block would cost {flag_all:.3f}).",
        )

    @staticmethod
    def _why_costly(proba, decisions, prevalence, y=None, estimator=None):
        if decisions.sum() == 0:
            return "Your model flags no block at all, so every non-text block is missed at a cost of 10.", "flags-none"
        if decisions.sum() == len(decisions):
            return "Your model flags every block.", "flags-all"
        wrappers = _threshold_wrappers(estimator)
        for name, _, pos_label, _ in wrappers:
            if pos_label is not None and not _names_class_one(pos_label):
                return (f"Your `{name}` has `pos_label={pos_label!r}`: it applies its threshold to the probability of "
                        f"class {pos_label!r} (a text block), so it flags a block only when that probability is below "
                        "the threshold: at 1/11, only blocks it is more than 10/11 sure are not text. The class to "
                        "flag is 1 (not text): leave `pos_label` at its default.", "pos-label")
        swapped = C_FN / (C_FP + C_FN)
        for name, threshold, _, response in wrappers:
            if response == "decision_function" and isinstance(threshold, (int, float)) and 0 < threshold < 1:
                return (f"Your `{name}` applies `threshold={threshold:.4g}` to `decision_function` "
                        "(`response_method=\"decision_function\"`): to scores on another scale (log-odds for a logistic "
                        "regression), not to probabilities. C_FP / (C_FP + C_FN) is a probability: leave "
                        "`response_method` at its default (`\"auto\"`, which uses `predict_proba`).", "decision-scores")
            if isinstance(threshold, (int, float)) and math.isclose(threshold, swapped, rel_tol=1e-3):
                return (f"Your `{name}` decides at `threshold={threshold:.4g}`, which is C_FN / (C_FP + C_FN): the costs "
                        f"are swapped. A missed non-text block (C_FN = {C_FN:g}) is the expensive mistake, so a block "
                        "is worth flagging already at a low probability: C_FP / (C_FP + C_FN).", "swapped-threshold")
        bounds = _implied_threshold(proba, decisions)
        if bounds is not None and bounds[0] < 0.5 <= bounds[1]:
            return (f"Your decisions are those of the default threshold 0.5. With C_FN = {C_FN:g} and C_FP = {C_FP:g}, "
                    "choose the threshold from the costs: `FixedThresholdClassifier` at C_FP / (C_FP + C_FN) on "
                    "calibrated probabilities, or `TunedThresholdClassifierCV` with a cost scorer.", "default-threshold")
        if bounds is not None and bounds[0] < swapped <= bounds[1]:
            return (f"Your decisions are those of the threshold {swapped:.4g} = C_FN / (C_FP + C_FN) on your model's "
                    f"probabilities: the costs are swapped. A missed non-text block (C_FN = {C_FN:g}) is the expensive "
                    "mistake, so a block is worth flagging already at a low probability: C_FP / (C_FP + C_FN).",
                    "swapped-threshold")
        if y is None:
            return "", ""
        evidence = calibration_evidence(y, proba)
        if evidence["p_value"] < CALIBRATION_ALPHA:
            if not prevalence / 1.5 <= evidence["mean"] <= prevalence * 1.5:
                fault = (f"their mean on the vault's blocks is {evidence['mean']:.3f}, while {prevalence:.1%} of the "
                         "blocks in your data are positive")
            else:
                fault = (f"their mean is about right, but their calibration slope on the vault is {evidence['slope']:.2f} "
                         "(1 = calibrated; below 1 the risks are too extreme, above 1 too timid)")
            return (f"Your probabilities are not calibrated: {fault}; logistic recalibration on the vault rejects "
                    "calibration (intercept 0 and slope 1) clearly. The threshold C_FP / (C_FP + C_FN) is right only "
                    "for calibrated probabilities: calibrate them (`CalibratedClassifierCV`, or prior correction after "
                    "class weights or resampling), or tune the threshold by cross-validation "
                    "(`TunedThresholdClassifierCV`).", "uncalibrated-threshold")
        return "", ""


def _other_threshold(claim, proba, decisions, y, band):
    """``(name, t)`` of the threshold -- the costs' C_FP / (C_FP + C_FN) or the default 0.5 -- at which the model's own
    vault scores cost what the learner estimated (within ``band``), when the model's decisions are not those of
    that threshold; None otherwise (no scores, or no such threshold)."""
    try:
        proba = np.asarray(proba, dtype=float)
        decisions = np.asarray(decisions, dtype=float)
        if proba.shape != decisions.shape or proba.shape != (len(y),) or not np.isfinite(proba).all():
            return None
        for name, t in ((f"C_FP / (C_FP + C_FN) = {C_FP / (C_FP + C_FN):.4f}", C_FP / (C_FP + C_FN)),
                        ("the default threshold 0.5", 0.5)):
            rule = (proba >= t).astype(float)
            if np.array_equal(rule, decisions):
                continue  # the model decides there: no other rule
            if abs(claim - float(_costs_per_row(y, rule).mean())) <= band:
                return name, t
    except Exception:  # noqa: BLE001 - without the scores, the general message stands
        return None
    return None


class CostEstimate(Answer):
    """The learner's validation estimate of the capstone's expected cost per block.

    Judged against the cost the learner's own decisions reach on the vault (handed over by
    :class:`_Capstone`): right when the two agree within ``Z_LEAK`` standard errors of their
    difference.
    """

    expects = "a number"
    extract_uses_seed = False

    def extract(self, value, seed=DEFAULT_SEED):
        return as_plain_number(value)

    def judge(self, data, seed=DEFAULT_SEED):
        claim = data.get("value") if isinstance(data, dict) else data
        decisions = data.get("decisions") if isinstance(data, dict) else None
        claim = float(claim)
        if -C_FN <= claim < 0:
            raise incorrect("Your estimate is negative: scikit-learn's scorers negate costs so that greater is better "
                            "(as `best_score_` of a search with a cost scorer does). Store the cost itself, "
                            f"{-claim:.3f}.", mistake="negated")
        if not 0 <= claim <= C_FN:
            raise incorrect(f"An expected cost per block lies between 0 and {C_FN:g}: store the mean cost of your "
                            "decisions over the rows you validated on (not a total, not a percentage).",
                            mistake="out-of-range")
        if decisions is None:
            raise uncheckable("Your estimate is compared with your model's cost on the vault, so `capstone_model` "
                              "must pass its own check first.")
        _, y = _vault()
        costs = _costs_per_row(y, np.asarray(decisions, dtype=float))
        vault_cost = float(costs.mean())
        if math.isclose(claim, vault_cost, rel_tol=1e-9, abs_tol=1e-12) and vault_cost > 0:
            # Costs on the vault are multiples of 1 / len(vault); a validation over the learner's rows gives
            # multiples of 1 / (their count) or of a fold's size: the two agree to the last digit only by
            # measuring on the vault.
            raise incorrect(
                "Your estimate is, to the last digit, your model's cost on the vault itself: it was measured on the "
                "vault's rows. A validation estimate comes from your own data, `X_blocks` and `y_blocks` (cross-validation), "
                "before the vault is looked at.",
                mistake="vault-estimate",
            )
        in_sample = data.get("in_sample_cost") if isinstance(data, dict) else None
        if isinstance(in_sample, (int, float)) and math.isclose(claim, float(in_sample), rel_tol=1e-9, abs_tol=1e-12):
            # Both costs are multiples of 1 / len(X) when the folds pool or have equal sizes, so an honest
            # estimate can land on the in-sample cost: measured for the solution's decider, 1 split seed in 200.
            # Equality does not prove the slip, so this is "could not be checked", not "incorrect".
            raise Feedback(
                Status.UNCHECKABLE,
                f"Your estimate ({claim:.4f}) is, to the last digit, the cost of `capstone_model`'s own decisions on "
                "`X_blocks`, `y_blocks`, the rows it was fitted on, so it cannot be told from an in-sample cost (a threshold tuned "
                "and scored on those rows gives this too), which is not a validation estimate. If you "
                "cross-validated the whole decider, this is a coincidence (about 1 split seed in 200): validate "
                "again with another seed and store that estimate. If not, estimate on rows that the model deciding "
                "them was not fitted on.",
                "in-sample-estimate",
            )
        tuning = data.get("tuning_score") if isinstance(data, dict) else None
        if isinstance(tuning, (int, float)) and any(math.isclose(claim, s * float(tuning), rel_tol=1e-9, abs_tol=1e-12)
                                                    for s in (-1.0, 1.0)):
            # Learner pass 6: `-tuned.best_score_` passed. It is the cost of the threshold the search chose, on the
            # folds it chose it on: the best of many candidates, so biased low, and no estimate of the final model.
            raise incorrect(
                "Your estimate is the search's own `best_score_`: the cost of the threshold it chose, measured on the "
                "same folds it chose it on. Picking the best of many thresholds makes that score optimistic. Estimate by "
                "cross-validating the whole `TunedThresholdClassifierCV` (its own tuning inside each fold).",
                mistake="tuning-score-estimate",
            )
        n_learner, _ = _learner_rows()
        se_vault = float(costs.std(ddof=1) / math.sqrt(len(costs)))
        # A cross-validated estimate over the learner's rows has about the same per-row spread.
        se_claim = se_vault * math.sqrt(len(costs) / n_learner)
        band = Z_LEAK * math.sqrt(se_vault**2 + se_claim**2)
        transform = data.get("expected_transform") if isinstance(data, dict) else None
        if claim < vault_cost - band and isinstance(transform, str):
            raise incorrect(
                f"Your validation estimate ({claim:.3f}) is far below your model's cost on the vault ({vault_cost:.3f}): "
                f"your model expects {transform} that is not part of it, so it does not see the vault's blocks as it "
                "saw the rows you validated on. Put every transform inside the model (a pipeline) and validate that "
                "whole model.",
                mistake="transform-outside-model",
            )
        # The estimate of another rule (0.5, or C_FP / (C_FP + C_FN)) than the model decides by. Beyond chance, a match
        # within chance names it; within chance, an estimate more than 2 standard errors from its own rule's cost and
        # within 1 of another rule's names it too (learner pass 6: a model at 0.5 with the 1/11 rule's estimate
        # passed, 0.150 from its own cost against a band of 0.152; a likelihood ratio of about e^4 or more).
        gap, se = abs(claim - vault_cost), band / Z_LEAK
        tolerance = band if gap > band else se if gap > 2 * se else None
        other = _other_threshold(claim, data.get("output"), decisions, y, tolerance) if tolerance else None
        if other is not None:
            where, _ = other
            raise incorrect(
                f"Your validation estimate ({claim:.3f}) is far from your model's cost on the vault ({vault_cost:.3f}; "
                f"chance explains about {band:.3f}) and close to what your model's own scores cost there when decided at "
                f"{where}, while `capstone_model.predict` decides at another threshold. Is your estimate that of another "
                "rule than the one you handed in? Hand in the rule you validated (`FixedThresholdClassifier` or "
                "`TunedThresholdClassifierCV` around your pipeline), or validate the one you hand in.",
                mistake="other-rule",
            )
        if claim < vault_cost - band:
            raise incorrect(
                f"Your validation estimate ({claim:.3f}) is lower than your model's cost on the vault ({vault_cost:.3f}) "
                f"by more than chance explains ({Z_LEAK:g} standard errors: {band:.3f}): it does not match this "
                "model's decisions. Is it the estimate of another rule than the one `capstone_model.predict` applies "
                "(another threshold, another model)? Then validate the system you hand in. If it is this system's "
                "own estimate, it is too optimistic to be chance, which is what leakage does: something fitted on "
                "the rows you scored (resampling before splitting, a threshold chosen on the same rows it was "
                "scored on, or a final model scored on its own training rows). Estimate by cross-validating the "
                "whole pipeline, sampler and threshold inside.",
                mistake="optimistic-estimate",
            )
        if claim > vault_cost + band:
            raise incorrect(
                f"Your validation estimate ({claim:.3f}) is higher than your model's cost on the vault ({vault_cost:.3f}) "
                f"by more than chance explains ({band:.3f}): is it the cost of another rule than the one "
                "`capstone_model.predict` applies (another threshold, another model)?",
                mistake="other-rule",
            )
        return Result(Status.CORRECT, f"Your validation estimate {claim:.3f} agrees with the cost on the vault "
                                      f"({vault_cost:.3f}) within chance (\u00b1{band:.3f}).")


#: Different models a learner may check against the vault in one session before the check warns that choosing among
#: them by the vault's numbers is tuning on it (learner pass 6 found the best vault threshold by looping the check).
VAULT_LOOKS = 5


class _Capstone(Question):
    """q6: hands the model's vault decisions to the estimate's judge, and names a missing estimate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._models_seen: set[str] = set()
        self._last_model: str | None = None

    def evaluate(self, *values):
        self._last_model = None
        result = super().evaluate(*values)
        if self._last_model is not None:
            self._models_seen.add(self._last_model)
        if len(self._models_seen) > VAULT_LOOKS:
            result = dataclasses.replace(result, message=result.message + (
                f" Note: you have checked {len(self._models_seen)} different models against the vault in this session. "
                "Choosing among them by the vault's numbers tunes your model on the vault, which then no longer "
                "measures unseen data (lesson 05's leak, with the vault as the test set). Choose with your own "
                "validation, and look at the vault once, at the end."))
            self.last_result = result
        return result

    def grade(self, extracted, seed=DEFAULT_SEED):
        extracted = dict(extracted)
        model = extracted.get("capstone_model") or {}
        estimate = extracted.get("capstone_cv_cost") or {}
        decisions = model["data"].get("decisions") if isinstance(model.get("data"), dict) else None
        if decisions is not None:
            self._last_model = hashlib.sha256(np.asarray(decisions, dtype=float).tobytes()
                                              + np.asarray(model["data"].get("output") or [], dtype=float).tobytes()).hexdigest()
        if decisions is not None and self._leaked(model["data"], seed):
            decisions = None  # an estimate cannot be compared with the vault cost of a model that saw the vault
            extracted["capstone_cv_cost"] = {
                "status": Status.UNCHECKABLE.value,
                "message": "Your estimate cannot be compared with the vault while your model has seen rows that are "
                "not your training data: fix `capstone_model` first.",
            }
        elif "data" in estimate:
            model_data = model["data"] if isinstance(model.get("data"), dict) else {}
            extracted["capstone_cv_cost"] = {"data": {"value": estimate["data"], "decisions": decisions,
                                                      "output": model_data.get("output"),
                                                      "in_sample_cost": model_data.get("in_sample_cost"),
                                                      "expected_transform": model_data.get("expected_transform"),
                                                      "tuning_score": model_data.get("tuning_score")}}
        elif "data" in model and estimate.get("status") == Status.NOT_ATTEMPTED.value:
            extracted["capstone_cv_cost"] = {
                "status": Status.NOT_ATTEMPTED.value,
                "message": "Missing validation: store in `capstone_cv_cost` the expected cost per block that your "
                "validation (cross-validation on `X_blocks`, `y_blocks`) predicts for your model. Without it you could not know "
                "the cost before the vault told you.",
            }
        return super().grade(extracted, seed)

    def _leaked(self, data, seed) -> bool:
        try:
            self.parts["capstone_model"].judge(data, seed)
        except Feedback as feedback:
            return feedback.mistake in LEAK_MISTAKES
        except Exception:  # noqa: BLE001 - malformed data is reported by the model's own judge
            return False
        return False


q6 = _Capstone(
    "ex10.q6",
    {
        "capstone_model": VaultDecisions(
            make_heldout=_vault_draw,
            metric=lambda y, p: float("nan"),  # VaultDecisions.judge scores AP and cost itself
            minimum=AP_MIN,
            response="predict_proba",
            metric_name="average precision",
            fit_call=".fit(X_blocks, y_blocks)",
        ),
        "capstone_cv_cost": CostEstimate(),
    },
    points=4,
    hints=[
        "A plain logistic regression on `np.log1p` of the features, scaled, ranks the blocks well and its mean "
        "probability matches the share of positives; `FixedThresholdClassifier(model, threshold=cost_threshold)` "
        "then decides at the cost threshold and passes. Lesson 10 measured cheaper rules too: the same model "
        "with class weights, its odds divided by the weight (prior correction), or with a tuned threshold.",
        "Validate before you look: `cross_val_predict(decider, X_blocks, y_blocks, cv=...)` gives out-of-fold decisions; their "
        "`expected_cost` is your `capstone_cv_cost`.",
        "Fit the final model on all of `X_blocks`, `y_blocks`. Class weights or SMOTE shift the probabilities: then repair them "
        "(divide the odds by the weight, lesson 08) or tune the threshold (`TunedThresholdClassifierCV`) "
        "instead of using 1/11 on them as they are.",
    ],
    solution=(
        "log_model = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(max_iter=1000))\n"
        "decider = FixedThresholdClassifier(log_model, threshold=cost_threshold)\n"
        "cv_decisions = cross_val_predict(decider, X_blocks, y_blocks, cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0))\n"
        "capstone_cv_cost = ex10.expected_cost(y_blocks, cv_decisions)\n"
        "capstone_model = decider.fit(X_blocks, y_blocks)"
    ),
)
exercise.questions["q6"] = q6
