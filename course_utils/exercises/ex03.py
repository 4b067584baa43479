"""Checks for lesson 03 and exercise 03: class weights.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q5``. Every expected
value is computed from the course's generator, once, and cached.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..checks import Array, Choice, Exercise, Number, percentage_mistake, rounding_message, rounding_mistakes
from ..data import make_imbalanced

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

#: Tolerance of every number of the exercise. Every expected value is computed exactly by the learner's
#: code, so any rounding (to 1-5 decimals) fails, with a message that says so (tests/test_ex03.py checks it).
ATOL = 1e-6
#: Tolerance of the realistic mistakes (rounding and percentages are matched first).
MISTAKE_ATOL = 1e-4


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


_DIGITS = (1, 2, 3, 4, 5)


def _rounding_message(digits: int) -> str:
    return rounding_message(digits, ATOL)


def _rounded(expected) -> list:
    """Mistakes for a number rounded to 1-5 decimals. A rounding to exactly 0 is left to other messages."""
    return rounding_mistakes(expected, tolerance=ATOL, digits=_DIGITS)


def _array_rounded() -> list:
    """The same for arrays: every value rounded to the same number of decimals."""

    def match(digits):
        return lambda a, e: np.allclose(a, np.round(e, digits), rtol=0, atol=1e-12)

    return [(match(digits), _rounding_message(digits)) for digits in _DIGITS]


_PERCENT = "Give it as a fraction between 0 and 1, not as a percentage (0.05 rather than 5)."


def _percent_of(expected, atol: float = 0.005) -> tuple:
    return percentage_mistake(expected, _PERCENT, atol=atol)


# --------------------------------------------------------------------------- #
# Exercise questions.
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    ("balanced_weights", Array(
        expected=_balanced,
        atol=ATOL,
        rtol=0,
        shape_mistakes=[
            (lambda a, e: a.ndim == 1 and len(a) == int(_counts().sum()),
             "That is one weight per row (a `sample_weight`). Give one weight per class: "
             "`[weight of class 0, weight of class 1]`."),
        ],
        mistakes=[
            (lambda a, e: np.allclose(a, e[::-1], rtol=0, atol=MISTAKE_ATOL),
             "Right numbers, wrong order: give `[weight of class 0, weight of class 1]`."),
            *_array_rounded(),
            (lambda a, e: np.allclose(a, 1 / e, rtol=0, atol=MISTAKE_ATOL),
             "Upside down: you computed n_c / (n_classes * n_samples). The rarer class must get the larger weight."),
            (lambda a, e: np.allclose(a, 2 * e, rtol=0, atol=MISTAKE_ATOL),
             "Twice too large: divide by the number of classes too, n_samples / (n_classes * n_c)."),
            (lambda a, e: np.allclose(a, 1 / _counts(), rtol=1e-4),
             "1 / n_c has the right proportions but not the right scale: the formula is n_samples / (n_classes * n_c)."),
            (lambda a, e: any(np.allclose(a, _balanced_of(labels), rtol=0, atol=MISTAKE_ATOL) for labels in _other_labels()),
             "Those are the weights of other labels: count the classes of the training labels `y_train` only."),
            (_same_ratio,
             "The ratio between your weights is right, but not their scale: use n_samples / (n_classes * n_c)."),
            (lambda a, e: np.allclose(a, e, rtol=0.01),
             "Close, but not close enough: compute the weights with code and do not round them."),
        ],
    )),
    points=1,
    hints=[
        "The formula is n_samples / (n_classes * n_c), where n_c is the number of samples of class c.",
        "`np.bincount(y_train)` gives `[n_0, n_1]`; `len(y_train)` gives n_samples.",
    ],
    solution="counts = np.bincount(y_train)\nbalanced_weights = len(y_train) / (2 * counts)",
)

q2 = exercise.question(
    "q2",
    ("equivalent_threshold", Number(
        expected=_threshold,
        atol=ATOL,
        mistakes=[
            # Rounding first: the right answer rounded must never read as another mistake.
            *_rounded(_threshold),
            _percent_of(_threshold, atol=5e-4),
            (lambda v: any(_close(v, p, MISTAKE_ATOL) for p in _other_prevalences()),
             "You used all of `y` (or the test labels `y_test`), not `y_train`: compute the threshold from the "
             "balanced weights of the training labels (step 1)."),
            (lambda v: _close(v, _balanced()[0] / _balanced()[1], MISTAKE_ATOL),
             "That is 1 / w. The weight multiplies the odds p / (1 - p) by w, so the cut is at 1 / (1 + w)."),
            (lambda v: _close(v, 1 - _threshold(), MISTAKE_ATOL),
             "That is w / (1 + w), the other side: the weighted model flags more samples, so the cut is lower than 0.5."),
            (lambda v: _close(v, 1 / (1 + _balanced()[1]), MISTAKE_ATOL),
             "Only the ratio of the two weights matters: w = (weight of class 1) / (weight of class 0)."),
            (lambda v: _close(v, 0.5, 1e-9),
             "`predict` cuts at 0.5 on the weighted model; the question asks for the cut on the unweighted model's probabilities."),
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


def _near_huge(key: str, atol: float = MISTAKE_ATOL):
    return lambda v: _close(v, _huge_scores()[key], atol)


_NO_SCALER = (
    "That is the model without its scaler. Fit the whole pipeline the step asks for, "
    "`make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000}))`."
)
_HUGE_TRAIN = "That is measured on the training data: score on `X_test`, `y_test`."

q4 = exercise.question(
    "q4",
    {
        "precision_huge": Number(
            expected=_huge("precision"),
            atol=ATOL,
            mistakes=[
                *_rounded(_huge("precision")),
                _percent_of(_huge("precision")),
                (_near_huge("recall"), "That is the recall. Precision is TP / (TP + FP)."),
                (_near_huge("train_precision"), _HUGE_TRAIN),
                (lambda v: _close(v, _huge_unscaled()["precision"], ATOL * 10), _NO_SCALER),
            ],
        ),
        "ap_huge": Number(
            expected=_huge("ap"),
            atol=ATOL,
            mistakes=[
                *_rounded(_huge("ap")),
                _percent_of(_huge("ap")),
                (_near_huge("ap_from_labels"),
                 "You scored hard labels from `predict`. Average precision needs scores: "
                 "`predict_proba(X_test)[:, 1]`."),
                (_near_huge("ap_class_0"),
                 "You scored the probabilities of class 0, column `[:, 0]`. The minority class is label 1: "
                 "`predict_proba(X_test)[:, 1]`."),
                (_near_huge("roc_auc"),
                 "That is the ROC-AUC (`roc_auc_score`). Average precision is `average_precision_score`."),
                (_near_huge("train_ap"), _HUGE_TRAIN),
                (lambda v: _close(v, _huge_unscaled()["ap"], ATOL * 10), _NO_SCALER),
            ],
        ),
    },
    points=2,
    hints=[
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
    return lambda a, e: np.allclose(a, np.asarray(values() if callable(values) else values), rtol=0, atol=MISTAKE_ATOL)


def _near_then(values):
    """Like `_same_scores`, for values that cost a new cross-validation: computed only for answers near
    the expected ones (these variants differ from them by a few hundredths), so that a far-off answer
    stays fast to check."""
    same = _same_scores(values)
    return lambda a, e: bool(np.allclose(a, e, rtol=0, atol=0.06)) and same(a, e)


def _other_scorer(name: str, label: str):
    return (
        _same_scores(lambda: _cv_other_metric(name)),
        f"These are {label} scores: pass `scoring='f1'` to `cross_val_score`.",
    )


def _grid_weight_nearest_balanced() -> float:
    counts = _counts()
    ratio = counts[0] / counts[1]
    return float(min(CV_WEIGHTS, key=lambda w: abs(w - ratio)))


def _in_grid(value: float) -> bool:
    return any(_close(value, w, 1e-9) for w in CV_WEIGHTS)


def _best_index() -> int:
    return int(np.argmax(_cv_f1()))


q5 = exercise.question(
    "q5",
    {
        "cv_f1": Array(
            expected=_cv_f1,
            atol=ATOL,
            rtol=0,
            shape_mistakes=[
                (lambda a, e: a.ndim == 2 and len(e) in a.shape,
                 "You kept the score of every fold. Give one number per weight: the `.mean()` of its "
                 "`cross_val_score` result."),
            ],
            mistakes=[
                # Cheap mistakes first; the ones that need more fits come last, and are computed only when reached.
                (lambda a, e: np.all(a > 1) and np.allclose(a / 100, e, rtol=0, atol=0.005),
                 "Give the scores as fractions between 0 and 1, not as percentages (0.5 rather than 50)."),
                *_array_rounded(),
                (lambda a, e: np.allclose(np.sort(a), np.sort(e), rtol=0, atol=ATOL),
                 "Right scores, wrong order: keep the order of `weights`, one mean F1 per weight."),
                _other_scorer("accuracy", "accuracy (the default score of `cross_val_score` for a classifier)"),
                _other_scorer("roc_auc", "ROC-AUC"),
                _other_scorer("average_precision", "average precision"),
                _other_scorer("balanced_accuracy", "balanced accuracy"),
                _other_scorer("precision", "precision"),
                _other_scorer("recall", "recall"),
                (_same_scores(lambda: _single_fit_f1()["test"]),
                 "Those are F1 scores on the test set, one fit per weight. Choose the weight by cross-validation "
                 "on the training set only: `cross_val_score(model, X_train, y_train, cv=cv, scoring='f1')`; "
                 "the test set stays untouched."),
                (_same_scores(lambda: _single_fit_f1()["train"]),
                 "Those are F1 scores on the data each model was fitted on: they say how well it fits, not how "
                 "well it predicts. Use `cross_val_score(model, X_train, y_train, cv=cv, scoring='f1')`."),
                (_near_then(_cv_f1_default_folds),
                 "Those are F1 scores on `cross_val_score`'s default folds (unshuffled). Pass the folds given, "
                 "`cv=cv`, so that every weight is scored on the same shuffled stratified folds."),
                (_near_then(_cv_f1_unscaled),
                 "That is the model without its scaler. Score the whole pipeline, "
                 "`make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w}))`."),
                (lambda a, e: bool(np.all((a > 0.9) & (a <= 1))),
                 "These look like accuracy (or ROC-AUC) scores: pass `scoring='f1'` to `cross_val_score`."),
                (lambda a, e: True,
                 "Your scores differ from the expected ones. For each weight, score the pipeline "
                 "`make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w}))` with "
                 "`cross_val_score(model, X_train, y_train, cv=cv, scoring='f1')`, using the `cv` given, "
                 "and keep the `.mean()`."),
            ],
        ),
        "best_weight": Number(
            expected=_best_weight,
            atol=1e-9,
            direction_hint=False,
            mistakes=[
                (lambda v: _close(v, _best_index(), 1e-9),
                 "That is the position of the best mean F1 in `cv_f1` (an index), not the weight itself: "
                 "look the weight up, `weights[...]`. (If you meant the weight 1: compare the values of `cv_f1` "
                 "again.)"),
                (lambda v: not _in_grid(v), "Pick one of the weights in `weights`."),
                (lambda v: _close(v, max(CV_WEIGHTS), 1e-9),
                 "The largest weight is not the best one here: pick the weight with the highest mean F1."),
                (lambda v: _close(v, _grid_weight_nearest_balanced(), 1e-9),
                 "That is about the 'balanced' weight (the imbalance ratio), but it is not the one with the highest "
                 "mean F1 in your CV."),
                (lambda v: True, "That is not the weight with the highest mean F1: compare the values of `cv_f1`."),
            ],
        ),
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
)
