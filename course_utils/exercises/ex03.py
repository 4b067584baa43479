"""Checks for lesson 03 and exercise 03: class weights.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q6``. Every expected
value is computed from the course's generator, once, and cached. Numbers follow the course's one
tolerance, :data:`course_utils.checks.RTOL` (0.1 %).

What each step asks for, and how its check establishes it
----------------------------------------------------------
q1 ``balanced_weights``
    Property: n_samples / (n_classes * n_c) for each class of ``y_train``, class 0 first. Check:
    both values within 0.1 % of that formula (``np.bincount``, ``value_counts``,
    ``compute_class_weight`` give it alike). Reversed order is named ``"swapped"``.
q2 ``equivalent_threshold``
    Property: 1 / (1 + w) with w = weight of class 1 / weight of class 0 from step 1. Check:
    within 0.1 % of that value (which equals the prevalence of ``y_train``). w inverted is named
    ``"swapped"``.
q3 ``huge_weight_prediction``
    Property: the predicted option. Check: the option letter.
q4 ``huge``, ``precision_huge``, ``ap_huge``
    Property: the pipeline StandardScaler + LogisticRegression with class weight {0: 1, 1: 1000},
    fitted on the training set, and its precision (from ``predict``) and average precision (from
    the minority-class probabilities) on the test set. Check: the model itself by
    :class:`~course_utils.pipeline_checks.ScaledLogisticSpec` (steps, class weight, settings, a
    converged fit, not liblinear; its scaler's means prove the rows it was fitted on) -- the numbers
    alone cannot: the features are on one scale already, so the fit without the scaler reaches
    numbers inside the solvers' range. Each number within 0.1 % of the range reached by that
    pipeline fitted with the converged solvers of :data:`CONVERGED_SOLVERS` -- not of one run: at
    weight 1000 the default lbfgs stops a little before the optimum, and a prediction near the cut
    flips between solvers.
q5 ``cv_f1``, ``best_weight``
    Property: the mean 5-fold F1 over the folds ``cv`` on the training set, one per weight, and
    the weight with the highest of those means. Check: ``cv_f1`` within 0.1 % of the means
    ``cross_val_score(..., cv=cv, scoring="f1")`` gives (converged solvers agree to 1e-6 here;
    ``cross_validate``, a loop over ``cv.split`` or ``GridSearchCV(..., cv=cv)`` give the same);
    ``best_weight`` equal to the weight of the largest value of the learner's *own* ``cv_f1``,
    so a value that is both an index and a weight is never called "an index" alone.
    Not established: that the scaler sits inside the cross-validation. A scaler fitted on all of
    ``X`` outside it (a leak) gives F1 means bit-identical to the pipeline's on this data (the
    features are already on one scale; tests/test_ex03.py pins this), so nothing the step hands in
    can show it, and here it changes no number. The step's text and solution teach the pipeline.
q6 ``ecoli_cv_f1``, ``ecoli_best_weight`` (transfer: ecoli4, which lesson 03 did not use)
    Property and check: as q5, on ecoli4's training split with the grid ``ECOLI_WEIGHTS`` and the
    same folds ``cv`` (the default unshuffled folds of ``cv=5`` are named, as in q5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Callable

import numpy as np

from ..checks import (
    ATOL_FLOOR,
    DEFAULT_SEED,
    RTOL,
    Array,
    Choice,
    Exercise,
    Mistake,
    Number,
    Question,
    Result,
    Status,
    _mistake_feedback,
    near,
    percentage_mistake,
    swapped_mistake,
    wrong_class_mistake,
    wrong_split_mistake,
    roc_auc_mistake,
)
from ..data import make_imbalanced
from .. import pipeline_checks
from ..pipeline_checks import ScaledLogisticSpec, column_means

exercise = Exercise("ex03", "Exercise 03 - class weights")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 03 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "about 28, the imbalance ratio 1,433 / 51, with weight 1 for each majority row",
            "b": "about 14.5, with about 0.5 for each majority row",
            "c": "about 0.97, one minus the share of positives, with about 0.03 for each majority row",
        },
        correct="b",
        explanations={
            "a": "28 is the *ratio* of the two weights, and 'balanced' keeps that ratio; but it also sets their "
            "scale, so that the total weight equals the number of rows. Run the next cells.",
            "b": "n_samples / (n_classes * n_c) = 1484 / (2 * 51), about 14.5, and 1484 / (2 * 1433), about 0.52. "
            "Run the next cells to check it against scikit-learn.",
            "c": "Those weights have the right direction but the wrong size: 'balanced' gives each class the same "
            "total weight, n_samples / n_classes. Run the next cells.",
        },
    ),
    hints=["'balanced' gives each class the same total weight, n_samples / n_classes = 742 on yeast4. "
           "How much is that per minority row?"],
    solution='my_prediction = "b"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "nearly all, above 95 %: the weight and the threshold are the same rule",
            "b": "most, but far from all: between 60 % and 90 %",
            "c": "few, below 30 %: the two rules flag mostly different rows",
        },
        correct="b",
        explanations={
            "a": "That holds only if the model is calibrated and can represent the truth. Run the next cells: "
            "the weighted fit also bends the slopes.",
            "b": "Run the next cells to measure it, and to see how the share changes with the weight.",
            "c": "The two rules move the boundary the same way and by about the same amount. Run the next cells.",
        },
    ),
    hints=["The threshold argument assumed a calibrated model that can represent the truth. Does a real "
           "logistic regression on yeast4 meet that exactly, roughly, or not at all?"],
    solution='my_prediction = "b"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "it rises: a heavier minority weight makes each minority flag more deliberate",
            "b": "it stays about the same: past 'balanced' the model is saturated and stops moving",
            "c": "it falls toward the prevalence: the model flags so many rows that most flags are wrong",
        },
        correct="c",
        explanations={
            "a": "That is the myth: the weight makes flags cheaper for the model, not more careful. "
            "Run the next cells to measure it.",
            "b": "The weight keeps moving the fit: more and more rows get flagged. Run the next cells.",
            "c": "Run the next cells to measure by how much, and what happens to recall and average precision.",
        },
    ),
    hints=["If almost everything is flagged as minority, what fraction of the flags are right?"],
    solution='my_prediction = "c"',
)

p4 = exercise.prompt(
    "p4",
    Choice(
        options={
            "a": "the logistic regression",
            "b": "the random forest of fully grown trees",
            "c": "both alike: the weights are the same",
        },
        correct="a",
        explanations={
            "a": "Run the next cell to measure how much each one moves.",
            "b": "A fully grown tree ends in pure leaves; a leaf holding only majority samples votes majority "
            "whatever the weight. Run the next cell.",
            "c": "The same weights enter very different fits. Run the next cell.",
        },
    ),
    hints=["A fully grown tree splits until its leaves are pure. Can a weight change the vote of a pure leaf?"],
    solution='my_prediction = "a"',
)

# --------------------------------------------------------------------------- #
# Exercise data: must match the given code of the solution notebook.
# --------------------------------------------------------------------------- #

_PROBLEM = {"n_samples": 2000, "imbalance_ratio": 20, "n_features": 6, "label_noise": 0.05, "random_state": 0}
CV_WEIGHTS = (1, 3, 10, 20, 100)
HUGE_WEIGHT = 1000

#: Solver settings that reach the optimum of the weighted loss (the spread of their fits bounds what a valid
#: answer to step 4 may differ by). sag and saga do not converge at weight 1000 in 10,000 iterations: the model
#: part of step 4 names a fit that stopped at ``max_iter``. liblinear is refused by the model part (it
#: penalises the intercept: another model), though its numbers happen to fall in the range here.
CONVERGED_SOLVERS = tuple(
    s for s in pipeline_checks.CONVERGED_SOLVERS if s.get("solver") not in ("sag", "saga")
)


@cache
def _split():
    from sklearn.model_selection import train_test_split

    X, y = make_imbalanced(**_PROBLEM)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def _counts() -> np.ndarray:
    y_train = _split()[2]
    return np.bincount(y_train, minlength=2).astype(float)


def _balanced_of(labels) -> np.ndarray:
    counts = np.bincount(np.asarray(labels), minlength=2).astype(float)
    return counts.sum() / (2 * counts)


def _balanced() -> np.ndarray:
    return _balanced_of(_split()[2])


def _other_labels():
    _, _, _, y_test = _split()
    return [y_test, np.r_[_split()[2], y_test]]


def _threshold() -> float:
    w0, w1 = _balanced()
    return 1 / (1 + w1 / w0)


def _other_prevalences() -> list[float]:
    """Minority shares of the test labels and of all labels: what 1 / (1 + w) gives from their weights."""
    return [float(np.mean(labels)) for labels in _other_labels()]


def _model(weight, scaled=True):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = LogisticRegression(class_weight={0: 1, 1: weight})
    return make_pipeline(StandardScaler(), model) if scaled else model


@cache
def _huge_scores() -> dict:
    from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

    X_train, X_test, y_train, y_test = _split()
    model = _model(HUGE_WEIGHT).fit(X_train, y_train)
    pred, proba = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    train_pred = model.predict(X_train)
    return {
        "precision": precision_score(y_test, pred),
        "recall": recall_score(y_test, pred),
        "ap": average_precision_score(y_test, proba),
        "ap_from_labels": average_precision_score(y_test, pred),
        "ap_class_0": average_precision_score(y_test, 1 - proba),
        "roc_auc": roc_auc_score(y_test, proba),
        "train_precision": precision_score(y_train, train_pred),
        "train_ap": average_precision_score(y_train, model.predict_proba(X_train)[:, 1]),
    }


@cache
def _huge_unscaled() -> dict:
    """The same model without its StandardScaler (a mistake: the step asks for the pipeline)."""
    from sklearn.metrics import average_precision_score, precision_score

    X_train, X_test, y_train, y_test = _split()
    model = _model(HUGE_WEIGHT, scaled=False).fit(X_train, y_train)
    return {
        "precision": precision_score(y_test, model.predict(X_test)),
        "ap": average_precision_score(y_test, model.predict_proba(X_test)[:, 1]),
    }


def _f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    tp = float(np.sum((y_true == 1) & (y_pred == 1)))
    denominator = float(np.sum(y_true == 1) + np.sum(y_pred == 1))
    return 2 * tp / denominator if denominator else 0.0


def _cv_runs(folds, scaled: bool = True) -> list:
    """For each weight, the (true labels, predictions, decision values) of each fold, fitted on the rest."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X_train, _, y_train, _ = _split()
    runs = [[] for _ in CV_WEIGHTS]
    for fit_rows, score_rows in folds:
        X_fit, X_score = X_train[fit_rows], X_train[score_rows]
        if scaled:
            scaler = StandardScaler().fit(X_fit)
            X_fit, X_score = scaler.transform(X_fit), scaler.transform(X_score)
        for i, weight in enumerate(CV_WEIGHTS):
            model = LogisticRegression(class_weight={0: 1, 1: weight}).fit(X_fit, y_train[fit_rows])
            runs[i].append((y_train[score_rows], model.predict(X_score), model.decision_function(X_score)))
    return runs


def _folds(shuffle: bool = True):
    from sklearn.model_selection import StratifiedKFold

    X_train, _, y_train, _ = _split()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0) if shuffle else StratifiedKFold(n_splits=5)
    return list(cv.split(X_train, y_train))


@cache
def _cv() -> list:
    """The exercise's 5-fold stratified CV, as `cross_val_score` runs it (but faster)."""
    return _cv_runs(_folds())


def _mean_f1(runs) -> tuple[float, ...]:
    return tuple(float(np.mean([_f1(truth, pred) for truth, pred, _ in folds])) for folds in runs)


@cache
def _cv_f1() -> tuple[float, ...]:
    """Mean 5-fold stratified F1 of each weight, as `cross_val_score` computes it."""
    return _mean_f1(_cv())


def _average_ranks(values: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def _roc_auc(truth: np.ndarray, score: np.ndarray) -> float:
    positive = truth == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((_average_ranks(score)[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_precision(truth: np.ndarray, score: np.ndarray) -> float:
    """As `average_precision_score`: the precision at each distinct threshold, weighted by the recall gained."""
    order = np.argsort(-score, kind="mergesort")
    truth, score = truth[order], score[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tp = np.cumsum(truth)[last]
    precision, recall = tp / (last + 1), tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


#: Other scores a learner may compute instead of F1, from (true labels, predictions, decision values).
_SCORERS = {
    "accuracy": lambda t, p, d: float(np.mean(t == p)),
    "roc_auc": lambda t, p, d: _roc_auc(t, d),
    "average_precision": lambda t, p, d: _average_precision(t, d),
    "balanced_accuracy": lambda t, p, d: float(np.mean([np.mean(p[t == c] == c) for c in (0, 1)])),
    "precision": lambda t, p, d: _ratio(float(np.sum((t == 1) & (p == 1))), float(np.sum(p == 1))),
    "recall": lambda t, p, d: _ratio(float(np.sum((t == 1) & (p == 1))), float(np.sum(t == 1))),
}


@cache
def _cv_other_metric(name: str) -> tuple[float, ...]:
    """Mean CV score of each weight under another scorer: what a wrong or missing `scoring=` gives."""
    score = _SCORERS[name]
    return tuple(float(np.mean([score(*fold) for fold in folds])) for folds in _cv())


@cache
def _single_fit_f1() -> dict:
    """F1 of each weight fitted once on the whole training set, scored on the test set or on the training set."""
    X_train, X_test, y_train, y_test = _split()
    test, train = [], []
    for weight in CV_WEIGHTS:
        model = _model(weight).fit(X_train, y_train)
        test.append(_f1(y_test, model.predict(X_test)))
        train.append(_f1(y_train, model.predict(X_train)))
    return {"test": tuple(test), "train": tuple(train)}


@cache
def _cv_f1_default_folds() -> tuple[float, ...]:
    """`cross_val_score(..., cv=5)` or no `cv`: stratified folds without shuffling."""
    return _mean_f1(_cv_runs(_folds(shuffle=False)))


@cache
def _cv_f1_unscaled() -> tuple[float, ...]:
    return _mean_f1(_cv_runs(_folds(), scaled=False))


def _best_weight() -> float:
    return float(CV_WEIGHTS[int(np.argmax(_cv_f1()))])


def _close(a, b, atol):
    return abs(a - b) <= atol


def _same_ratio(answer: np.ndarray, expected: np.ndarray) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.allclose(answer[1] / answer[0], expected[1] / expected[0], rtol=1e-3))


@cache
def _huge_by_solver() -> tuple[dict, ...]:
    """Precision and average precision of step 4's pipeline fitted by each converged solver."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, precision_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = _split()
    results = []
    for settings in CONVERGED_SOLVERS:
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: HUGE_WEIGHT}, **settings))
        model.fit(X_train, y_train)
        results.append({
            "precision": float(precision_score(y_test, model.predict(X_test))),
            "ap": float(average_precision_score(y_test, model.predict_proba(X_test)[:, 1])),
        })
    return tuple(results)


_PERCENT = "Give it as a fraction between 0 and 1, not as a percentage (0.05 rather than 5)."
_TRAIN = "That is measured on the training data: score on `X_test`, `y_test`."


def _percent_of(expected):
    return percentage_mistake(expected, _PERCENT)


def _near_array(values):
    """Array predicate: every value within the course's tolerance of ``values`` (lazy)."""
    return lambda a, e: bool(np.allclose(a, np.asarray(_resolve(values), dtype=float), rtol=RTOL, atol=ATOL_FLOOR))


def _resolve(values):
    return values() if callable(values) else values


# --------------------------------------------------------------------------- #
# Exercise questions.
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    ("balanced_weights", Array(
        expected=_balanced,
        rtol=RTOL,
        atol=ATOL_FLOOR,
        shape_mistakes=[
            Mistake("sample-weights", lambda a, e: a.ndim == 1 and len(a) == int(_counts().sum()),
                    "That is one weight per row (a `sample_weight`). Give one weight per class: "
                    "`[weight of class 0, weight of class 1]`."),
        ],
        mistakes=[
            swapped_mistake(lambda a, e: np.allclose(a, e[::-1], rtol=RTOL),
                            "Right numbers, wrong order: give `[weight of class 0, weight of class 1]`."),
            Mistake("upside-down", lambda a, e: np.allclose(a, 1 / e, rtol=RTOL),
                    "Upside down: you computed n_c / (n_classes * n_samples). The rarer class must get the larger "
                    "weight."),
            Mistake("twice", lambda a, e: np.allclose(a, 2 * e, rtol=RTOL),
                    "Twice too large: divide by the number of classes too, n_samples / (n_classes * n_c)."),
            Mistake("inverse-counts", lambda a, e: np.allclose(a, 1 / _counts(), rtol=RTOL),
                    "1 / n_c has the right proportions but not the right scale: the formula is "
                    "n_samples / (n_classes * n_c)."),
            wrong_split_mistake(
                lambda a, e: any(np.allclose(a, _balanced_of(labels), rtol=RTOL) for labels in _other_labels()),
                "Those are the weights of other labels: count the classes of the training labels `y_train` only.",
                id="other-labels"),
            Mistake("scale",
                    lambda a, e: _same_ratio(a, e) and not np.allclose(a, 1 / _counts(), rtol=RTOL)
                    and not np.allclose(a, 2 * e, rtol=RTOL),
                    "The ratio between your weights is right, but not their scale: use n_samples / (n_classes * n_c)."),
        ],
    )),
    points=1,
    hints=[
        "The formula is n_samples / (n_classes * n_c), where n_c is the number of samples of class c.",
        "`np.bincount(y_train)` (or `y_train.value_counts().sort_index()`) gives `[n_0, n_1]`; `len(y_train)` gives "
        "n_samples.",
    ],
    solution="counts = np.bincount(y_train)\nbalanced_weights = len(y_train) / (2 * counts)",
)

q2 = exercise.question(
    "q2",
    ("equivalent_threshold", Number(
        expected=_threshold,
        mistakes=[
            _percent_of(_threshold),
            wrong_split_mistake(lambda v: any(near(p)(v) for p in _other_prevalences()),
                                "You used all of `y` (or the test labels `y_test`), not `y_train`: compute the "
                                "threshold from the balanced weights of the training labels (step 1).",
                                id="other-labels"),
            Mistake("one-over-w", near(lambda: _balanced()[0] / _balanced()[1]),
                    "That is 1 / w. The weight multiplies the odds p / (1 - p) by w, so the cut is at 1 / (1 + w)."),
            swapped_mistake(near(lambda: 1 - _threshold()),
                            "That is w / (1 + w): the two weights are swapped in w. The weighted model flags more "
                            "samples, so the cut is lower than 0.5: w = (weight of class 1) / (weight of class 0)."),
            Mistake("class-1-weight-only", near(lambda: 1 / (1 + _balanced()[1])),
                    "Only the ratio of the two weights matters: w = (weight of class 1) / (weight of class 0)."),
            Mistake("predict-threshold", lambda v: v == 0.5,
                    "`predict` cuts at 0.5 on the weighted model; the question asks for the cut on the unweighted "
                    "model's probabilities."),
        ],
    )),
    points=1,
    hints=[
        "First turn the two balanced weights into one number: w = (weight of class 1) / (weight of class 0).",
        "A weight w acts like the threshold 1 / (1 + w) on a calibrated, unweighted model.",
    ],
    solution="w = balanced_weights[1] / balanced_weights[0]\nequivalent_threshold = 1 / (1 + w)",
)

q3 = exercise.question(
    "q3",
    ("huge_weight_prediction", Choice(
        options={
            "a": "precision goes up: the model now pays attention to the minority",
            "b": "precision falls close to the prevalence, while recall is near 1",
            "c": "precision and recall both stay where they were with the balanced weight",
        },
        correct="b",
        explanations={
            "a": "The model flags almost everything as minority, so most flags are false alarms. Measure it in the next step.",
            "b": "Almost everything gets flagged, so nearly every positive is caught and most flags are wrong. "
            "Measure it in the next step.",
            "c": "A weight far past 'balanced' keeps moving the fit; it is not saturated. Measure it in the next step.",
        },
    )),
    points=1,
    hints=["If a model flagged every sample, what would its precision be?"],
    solution='huge_weight_prediction = "b"',
)


def _huge(key):
    return lambda: _huge_scores()[key]


def _by_solver(key):
    return lambda: [run[key] for run in _huge_by_solver()]


_SOLVERS_REASON = (
    "any converged solver's fit of this pipeline is accepted, but not liblinear's: its penalised intercept makes "
    "another model"
)

q4 = exercise.question(
    "q4",
    {
        "huge": ScaledLogisticSpec(
            means=lambda: column_means(_split()[0], _split()[1]),
            class_weight={0: 1, 1: HUGE_WEIGHT},
            correct_message="The scaled `LogisticRegression` with `class_weight={0: 1, 1: 1000}`, fitted on "
            "`X_train, y_train`.",
        ),
        "precision_huge": Number(
            expected=_huge("precision"),
            valid_values=_by_solver("precision"),
            tolerance_reason=_SOLVERS_REASON,
            mistakes=[
                _percent_of(_huge("precision")),
                swapped_mistake(_huge("recall"), "That is the recall, which is also what `precision_score` returns "
                                "with its two arguments swapped: the true labels come first. Precision is "
                                "TP / (TP + FP)."),
                wrong_split_mistake(_huge("train_precision"), _TRAIN),
            ],
        ),
        "ap_huge": Number(
            expected=_huge("ap"),
            valid_values=_by_solver("ap"),
            tolerance_reason=_SOLVERS_REASON,
            mistakes=[
                _percent_of(_huge("ap")),
                Mistake("hard-predictions", _huge("ap_from_labels"),
                        "You scored hard labels from `predict`. Average precision needs scores: the "
                        "minority-class column of `predict_proba`."),
                wrong_class_mistake(_huge("ap_class_0"),
                                    "You scored the probabilities of class 0, column `[:, 0]`. The minority class is "
                                    "label 1: column `[:, 1]`."),
                roc_auc_mistake(_huge("roc_auc")),
                wrong_split_mistake(_huge("train_ap"), _TRAIN),
            ],
        ),
    },
    points=3,
    hints=[
        "The weights belong to the model: `LogisticRegression(class_weight=...)` takes a dict from each label to "
        "its weight, 1 for label 0 and 1000 for label 1 here. Keep the scaler in front, and fit on the training half.",
        "`huge = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000})).fit(X_train, y_train)`.",
        "`precision_score(y_test, huge.predict(X_test))` and "
        "`average_precision_score(y_test, huge.predict_proba(X_test)[:, 1])`.",
    ],
    solution=(
        "huge = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000}))\n"
        "huge.fit(X_train, y_train)\n"
        "precision_huge = precision_score(y_test, huge.predict(X_test))\n"
        "ap_huge = average_precision_score(y_test, huge.predict_proba(X_test)[:, 1])"
    ),
)


def _same_scores(values):
    """Mistake test: the answer matches a tuple of scores computed another way."""
    return _near_array(values)


def _near_then(values):
    """Like `_same_scores`, for values that cost a new cross-validation: computed only for answers near
    the expected ones (these variants differ from them by a few hundredths), so that a far-off answer
    stays fast to check."""
    same = _same_scores(values)
    return lambda a, e: bool(np.allclose(a, e, rtol=0, atol=0.06)) and same(a, e)


def _other_scorer(name: str, label: str):
    return Mistake(
        f"scoring-{name.replace('_', '-')}",
        _same_scores(lambda: _cv_other_metric(name)),
        f"These are {label} scores: pass `scoring='f1'` to `cross_val_score`.",
    )


def _scores_of(data, size: int) -> np.ndarray | None:
    """The learner's own mean F1 per weight, when ``data`` holds one finite number per weight."""
    try:
        scores = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        return None
    return scores if scores.shape == (size,) and np.isfinite(scores).all() else None


@dataclass
class _BestWeight(Number):
    """The weight of a grid with the highest mean F1 in the learner's own scores.

    Its plain data is ``{"value": ..., "scores": the learner's scores or None}`` (see
    :class:`_ChoiceFollowsScores`): the choice is judged against the scores it was made from, so a
    right choice from scores that are wrong elsewhere is still a right choice, and "an index" is
    said only with the learner's own argmax. Ties: any weight with the highest score is right.

    Parameters (besides :class:`Number`'s)
    ----------
    weights : tuple of float
        The grid, in the order of the scores.
    reference : callable
        The right scores, used when the learner's cannot be read.
    balanced_ratio : callable
        The imbalance ratio of the training labels (what 'balanced' corresponds to).
    scores_name, weights_name : str
        The notebook's names of the scores and of the grid, for messages.
    """

    weights: tuple = CV_WEIGHTS
    reference: Callable = None
    balanced_ratio: Callable = None
    scores_name: str = "cv_f1"
    weights_name: str = "weights"

    def judge(self, data, seed=DEFAULT_SEED):
        value, scores = (data.get("value"), data.get("scores")) if isinstance(data, dict) else (data, None)
        value = float(value)
        mine = _scores_of(scores, len(self.weights))
        scores = mine if mine is not None else np.asarray(self.reference(), dtype=float)
        best_index = int(np.argmax(scores))
        winners = [float(w) for w, score in zip(self.weights, scores) if score == scores.max()]
        if value in winners:
            whose = f"your `{self.scores_name}`" if mine is not None else "the cross-validation"
            return Result(Status.CORRECT, f"{value:g} is the weight with the highest mean F1 in {whose}.")
        if mine is not None:
            # Scores wrong elsewhere (reversed, standard deviations...) but a choice that is the right weight:
            # the choice is right, and no slip can be read from it.
            right = np.asarray(self.reference(), dtype=float)
            if value in [float(w) for w, score in zip(self.weights, right) if score == right.max()]:
                return Result(Status.CORRECT, f"{value:g} is the weight with the highest mean F1 in the "
                                              "cross-validation the step asks for.")
        in_grid = any(value == w for w in self.weights)
        ratio = self.balanced_ratio()
        near_balanced = float(min(self.weights, key=lambda w: abs(w - ratio)))
        mistakes = [
            Mistake("index", lambda v: v == best_index,
                    f"{best_index} is the position of the best mean F1 in `{self.scores_name}` (an index), not the "
                    f"weight itself: look the weight up in `{self.weights_name}`."),
            Mistake("not-in-grid", lambda v: not in_grid, f"Pick one of the weights in `{self.weights_name}`."),
            Mistake("largest", lambda v: v == max(self.weights),
                    "The largest weight is not the best one here: pick the weight with the highest mean F1."),
            Mistake("balanced-weight", lambda v: v == near_balanced,
                    "That is about the 'balanced' weight (the imbalance ratio), but it is not the one with the "
                    "highest mean F1 in your CV."),
            Mistake("not-best", lambda v: in_grid and v not in (max(self.weights), near_balanced),
                    f"{value:g} is a weight of the grid, but not the one with the highest mean F1: compare the "
                    f"values of `{self.scores_name}`."),
        ]
        return _mistake_feedback([m for m in mistakes if m.match(value)], value)


class _ChoiceFollowsScores(Question):
    """A question whose choice part is judged against its scores part (see :class:`_BestWeight`)."""

    def __init__(self, *args, scores: str, choice: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.scores_part, self.choice_part = scores, choice

    def grade(self, extracted, seed=DEFAULT_SEED):
        extracted = dict(extracted)
        choice = extracted.get(self.choice_part)
        if isinstance(choice, dict) and "data" in choice:
            item = extracted.get(self.scores_part)
            scores = item.get("data") if isinstance(item, dict) else None
            extracted[self.choice_part] = {"data": {"value": choice["data"], "scores": scores}}
        return super().grade(extracted, seed)


def _training_ratio() -> float:
    counts = _counts()
    return counts[0] / counts[1]


q5 = _ChoiceFollowsScores(
    "ex03.q5",
    {
        "cv_f1": Array(
            expected=_cv_f1,
            rtol=RTOL,
            atol=ATOL_FLOOR,
            shape_mistakes=[
                Mistake("per-fold", lambda a, e: a.ndim == 2 and len(e) in a.shape,
                        "You kept the score of every fold. Give one number per weight: the `.mean()` of its "
                        "`cross_val_score` result."),
            ],
            mistakes=[
                # Cheap mistakes first; the ones that need more fits come last, and are computed only when reached.
                Mistake("percentage", lambda a, e: np.all(a > 1) and np.allclose(a / 100, e, rtol=RTOL, atol=0.005),
                        "Give the scores as fractions between 0 and 1, not as percentages (0.5 rather than 50)."),
                Mistake("order", lambda a, e: np.allclose(np.sort(a), np.sort(e), rtol=RTOL)
                        and not np.allclose(a, e, rtol=RTOL),
                        "Right scores, wrong order: keep the order of `weights`, one mean F1 per weight."),
                _other_scorer("accuracy", "accuracy (the default score of `cross_val_score` for a classifier)"),
                _other_scorer("roc_auc", "ROC-AUC"),
                _other_scorer("average_precision", "average precision"),
                _other_scorer("balanced_accuracy", "balanced accuracy"),
                _other_scorer("precision", "precision"),
                _other_scorer("recall", "recall"),
                wrong_split_mistake(_same_scores(lambda: _single_fit_f1()["test"]),
                                    "Those are F1 scores on the test set, one fit per weight. Choose the weight by "
                                    "cross-validation on the training set only, with the folds `cv`; the test set "
                                    "stays untouched.", id="test-set"),
                wrong_split_mistake(_same_scores(lambda: _single_fit_f1()["train"]),
                                    "Those are F1 scores on the data each model was fitted on: they say how well it "
                                    "fits, not how well it predicts. Score each weight by cross-validation on the "
                                    "training set, with the folds `cv`."),
                Mistake("default-folds", _near_then(_cv_f1_default_folds),
                        "Those are F1 scores on `cross_val_score`'s default folds (unshuffled). Pass the folds given, "
                        "`cv=cv`, so that every weight is scored on the same shuffled stratified folds."),
                Mistake("no-scaler", _near_then(_cv_f1_unscaled),
                        "That is the model without its scaler. Score the whole pipeline the step describes, "
                        "`StandardScaler` then `LogisticRegression(class_weight={0: 1, 1: w})`."),
            ],
            otherwise="Your scores differ from the expected ones. For each weight, score the pipeline the step "
            "describes with `cross_val_score` on `X_train, y_train`, with `cv=cv` and `scoring='f1'`, and keep the "
            "`.mean()`.",
        ),
        "best_weight": _BestWeight(expected=_best_weight, direction_hint=False, detect_rounding=False,
                                   reference=_cv_f1, balanced_ratio=_training_ratio),
    },
    points=2,
    hints=[
        "For each `w` in `weights`: build `make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w}))` "
        "and call `cross_val_score(model, X_train, y_train, cv=cv, scoring='f1')`; keep the mean.",
        "`best_weight = weights[int(np.argmax(cv_f1))]`.",
    ],
    solution=(
        "cv_f1 = []\n"
        "for w in weights:\n"
        "    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w}))\n"
        "    cv_f1.append(cross_val_score(model, X_train, y_train, cv=cv, scoring='f1').mean())\n"
        "best_weight = weights[int(np.argmax(cv_f1))]"
    ),
    scores="cv_f1",
    choice="best_weight",
)
exercise.questions["q5"] = q5


# --------------------------------------------------------------------------- #
# q6, transfer: choose the weight by cross-validation on ecoli4 (data lesson 03 did not use)
# --------------------------------------------------------------------------- #
ECOLI_WEIGHTS = (1, 3, 10, 30, 100)


@cache
def _ecoli_split():
    from sklearn.model_selection import train_test_split

    from ..data import load_ecoli4

    X, y = load_ecoli4(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@cache
def _ecoli_cv_f1(shuffle: bool = True) -> tuple[float, ...]:
    """Mean F1 of each weight over ``StratifiedKFold(5, shuffle=True, random_state=0)`` on the training split,
    as ``cross_val_score`` computes it (scaler fitted on each fold's training rows); with ``shuffle=False``,
    over the unshuffled folds ``cv=5`` gives."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    X_train, _, y_train, _ = _ecoli_split()
    X, y = np.asarray(X_train, dtype=float), np.asarray(y_train)
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=0) if shuffle else StratifiedKFold(n_splits=5)
    folds = splitter.split(X, y)
    scores = [[] for _ in ECOLI_WEIGHTS]
    for fit_rows, score_rows in folds:
        scaler = StandardScaler().fit(X[fit_rows])
        X_fit, X_score = scaler.transform(X[fit_rows]), scaler.transform(X[score_rows])
        for i, weight in enumerate(ECOLI_WEIGHTS):
            model = LogisticRegression(class_weight={0: 1, 1: weight}).fit(X_fit, y[fit_rows])
            scores[i].append(_f1(y[score_rows], model.predict(X_score)))
    return tuple(float(np.mean(s)) for s in scores)


def _ecoli_ratio() -> float:
    y_train = np.asarray(_ecoli_split()[2])
    return float(np.sum(y_train == 0) / np.sum(y_train == 1))


q6 = _ChoiceFollowsScores(
    "ex03.q6",
    {
        "ecoli_cv_f1": Array(
            expected=_ecoli_cv_f1,
            rtol=RTOL,
            atol=ATOL_FLOOR,
            shape_mistakes=[
                Mistake("per-fold", lambda a, e: a.ndim == 2 and len(e) in a.shape,
                        "You kept the score of every fold. Give one number per weight: the mean over the folds."),
            ],
            mistakes=[
                Mistake("percentage", lambda a, e: np.all(a > 1) and np.allclose(a / 100, e, rtol=RTOL, atol=0.005),
                        "Give the scores as fractions between 0 and 1, not as percentages (0.5 rather than 50)."),
                Mistake("order", lambda a, e: np.allclose(np.sort(a), np.sort(e), rtol=RTOL)
                        and not np.allclose(a, e, rtol=RTOL),
                        "Right scores, wrong order: keep the order of `ecoli_weights`, one mean F1 per weight."),
                Mistake("default-folds", _same_scores(lambda: _ecoli_cv_f1(shuffle=False)),
                        "Those are F1 scores on `cross_val_score`'s default folds (unshuffled). Pass the folds given, "
                        "`cv=cv`, so that every weight is scored on the same shuffled stratified folds."),
            ],
            otherwise="Your scores differ from the expected ones. For each weight of `ecoli_weights`, score "
            "the scaled, weighted logistic regression with `cross_val_score` on `X_ec_train, y_ec_train`, with "
            "`cv=cv` and `scoring='f1'`, and keep the `.mean()`.",
        ),
        "ecoli_best_weight": _BestWeight(
            expected=lambda: float(ECOLI_WEIGHTS[int(np.argmax(_ecoli_cv_f1()))]),
            direction_hint=False,
            detect_rounding=False,
            weights=ECOLI_WEIGHTS,
            reference=_ecoli_cv_f1,
            balanced_ratio=_ecoli_ratio,
            scores_name="ecoli_cv_f1",
            weights_name="ecoli_weights",
        ),
    },
    points=2,
    hints=[
        "Step 5 again, on other data: the same loop over the weights, with `X_ec_train, y_ec_train` and the `cv` "
        "defined in step 5.",
        "`ecoli_best_weight = ecoli_weights[int(np.argmax(ecoli_cv_f1))]`.",
    ],
    solution=(
        "ecoli_cv_f1 = []\n"
        "for w in ecoli_weights:\n"
        "    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w}))\n"
        "    ecoli_cv_f1.append(cross_val_score(model, X_ec_train, y_ec_train, cv=cv, scoring='f1').mean())\n"
        "ecoli_best_weight = ecoli_weights[int(np.argmax(ecoli_cv_f1))]"
    ),
    scores="ecoli_cv_f1",
    choice="ecoli_best_weight",
)
exercise.questions["q6"] = q6
