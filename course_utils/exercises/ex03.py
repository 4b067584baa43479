"""Checks for lesson 03 and exercise 03: class weights.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q5``. Every expected
value is computed from the course's generator, once, and cached.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..checks import Array, Choice, Exercise, Number
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
            "a": "it adds copies of the minority rows to the training data",
            "b": "it leaves the data alone and multiplies each sample's term in the loss",
            "c": "it only moves the threshold that `predict` uses after the fit",
        },
        correct="b",
        explanations={
            "a": "No rows are added: the model sees the same data. (Copying rows is random over-sampling, "
            "lesson 04, and it turns out to be equivalent.) Run the next cells.",
            "b": "Run the next cells: a class weight is a per-sample weight given to every sample of a class.",
            "c": "The weight acts during the fit, so the coefficients change; `predict` still uses 0.5. "
            "Run the next cells.",
        },
    ),
    hints=["Look at where `class_weight` is given: to the model, before `fit`. What does `fit` minimise?"],
    solution='my_prediction = "b"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "0.9",
            "b": "0.1",
            "c": "1/9, about 0.11",
            "d": "0.5: a weight does not touch the threshold",
        },
        correct="b",
        explanations={
            "a": "The weighted model says 'minority' more often, so the equivalent threshold is lower than 0.5, not higher.",
            "b": "1 / (1 + 9) = 0.1. Run the next cells to measure how closely this holds.",
            "c": "Close, but the odds are multiplied by w, so the threshold is 1 / (1 + w), not 1 / w.",
            "d": "`predict` still cuts at 0.5, but on probabilities the weight has pushed up. "
            "On the unweighted model's probabilities that is a lower cut.",
        },
    ),
    hints=["The weight multiplies the odds p / (1 - p) by w. When are the weighted odds above 1?"],
    solution='my_prediction = "b"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "precision and average precision both improve: more weight, more attention",
            "b": "recall creeps up, precision sinks toward the prevalence, and average precision does not improve",
            "c": "nothing changes: past 'balanced' the model is saturated",
        },
        correct="b",
        explanations={
            "a": "That is the myth. Run the next cells to measure it.",
            "b": "Run the next cells to measure by how much.",
            "c": "The weight keeps moving the fit: more and more samples get flagged. Run the next cells.",
        },
    ),
    hints=["If almost everything is flagged as minority, what fraction of the flags are right?"],
    solution='my_prediction = "b"',
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


def _model(weight):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: weight}))


@cache
def _huge_scores() -> dict:
    from sklearn.metrics import average_precision_score, precision_score, recall_score

    X_train, X_test, y_train, y_test = _split()
    model = _model(HUGE_WEIGHT).fit(X_train, y_train)
    pred, proba = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    train_pred = model.predict(X_train)
    return {
        "precision": precision_score(y_test, pred),
        "recall": recall_score(y_test, pred),
        "ap": average_precision_score(y_test, proba),
        "ap_from_labels": average_precision_score(y_test, pred),
        "train_precision": precision_score(y_train, train_pred),
        "train_ap": average_precision_score(y_train, model.predict_proba(X_train)[:, 1]),
    }


def _f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    tp = float(np.sum((y_true == 1) & (y_pred == 1)))
    denominator = float(np.sum(y_true == 1) + np.sum(y_pred == 1))
    return 2 * tp / denominator if denominator else 0.0


@cache
def _cv_f1() -> tuple[float, ...]:
    """Mean 5-fold stratified F1 of each weight, as `cross_val_score` computes it (but faster)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    X_train, _, y_train, _ = _split()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = np.zeros((len(CV_WEIGHTS), 5))
    for fold, (fit_rows, score_rows) in enumerate(cv.split(X_train, y_train)):
        scaler = StandardScaler().fit(X_train[fit_rows])
        X_fit, X_score = scaler.transform(X_train[fit_rows]), scaler.transform(X_train[score_rows])
        for i, weight in enumerate(CV_WEIGHTS):
            model = LogisticRegression(class_weight={0: 1, 1: weight}).fit(X_fit, y_train[fit_rows])
            scores[i, fold] = _f1(y_train[score_rows], model.predict(X_score))
    return tuple(float(s) for s in scores.mean(axis=1))


def _best_weight() -> float:
    return float(CV_WEIGHTS[int(np.argmax(_cv_f1()))])


def _close(a, b, atol):
    return abs(a - b) <= atol


# --------------------------------------------------------------------------- #
# Exercise questions.
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    ("balanced_weights", Array(
        expected=_balanced,
        atol=1e-4,
        rtol=0,
        shape_mistakes=[
            (lambda a, e: a.ndim == 1 and len(a) == int(_counts().sum()),
             "That is one weight per row (a `sample_weight`). Give one weight per class: "
             "`[weight of class 0, weight of class 1]`."),
        ],
        mistakes=[
            (lambda a, e: np.allclose(a, e[::-1], atol=1e-4),
             "Right numbers, wrong order: give `[weight of class 0, weight of class 1]`."),
            (lambda a, e: np.allclose(a, 1 / e, atol=1e-4),
             "Upside down: you computed n_c / (n_classes * n_samples). The rarer class must get the larger weight."),
            (lambda a, e: np.allclose(a, 2 * e, atol=1e-4),
             "Twice too large: divide by the number of classes too, n_samples / (n_classes * n_c)."),
            (lambda a, e: np.allclose(a, 1 / _counts(), rtol=1e-4),
             "1 / n_c has the right proportions but not the right scale: the formula is n_samples / (n_classes * n_c)."),
            (lambda a, e: np.allclose(a[1] / a[0], e[1] / e[0], rtol=1e-3),
             "The ratio between your weights is right, but not their scale: use n_samples / (n_classes * n_c)."),
            (lambda a, e: any(np.allclose(a, _balanced_of(labels), atol=1e-4) for labels in _other_labels()),
             "Those are the weights of other labels: count the classes of the training labels `y_train` only."),
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
        atol=5e-4,
        mistakes=[
            (lambda v: _close(v, _balanced()[0] / _balanced()[1], 5e-4),
             "That is 1 / w. The weight multiplies the odds p / (1 - p) by w, so the cut is at 1 / (1 + w)."),
            (lambda v: _close(v, 1 - _threshold(), 5e-4),
             "That is w / (1 + w), the other side: the weighted model flags more samples, so the cut is lower than 0.5."),
            (lambda v: _close(v, 1 / (1 + _balanced()[1]), 5e-4),
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


q4 = exercise.question(
    "q4",
    {
        "precision_huge": Number(
            expected=_huge("precision"),
            atol=5e-4,
            mistakes=[
                (lambda v: _close(v, _huge_scores()["recall"], 5e-4), "That is the recall. Precision is TP / (TP + FP)."),
                (lambda v: _close(v, _huge_scores()["train_precision"], 5e-4),
                 "That is the precision on the training data: score on `X_test`, `y_test`."),
            ],
        ),
        "ap_huge": Number(
            expected=_huge("ap"),
            atol=5e-4,
            mistakes=[
                (lambda v: _close(v, _huge_scores()["ap_from_labels"], 5e-4),
                 "You scored hard labels from `predict`. Average precision needs scores: "
                 "`predict_proba(X_test)[:, 1]`."),
                (lambda v: _close(v, _huge_scores()["train_ap"], 5e-4),
                 "That is the average precision on the training data: score on `X_test`, `y_test`."),
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


def _looks_like_accuracy(answer, expected):
    return bool(np.all(answer > 0.9))


def _grid_weight_nearest_balanced() -> float:
    counts = _counts()
    ratio = counts[0] / counts[1]
    return float(min(CV_WEIGHTS, key=lambda w: abs(w - ratio)))


def _in_grid(value: float) -> bool:
    return any(_close(value, w, 1e-9) for w in CV_WEIGHTS)


q5 = exercise.question(
    "q5",
    {
        "cv_f1": Array(
            expected=_cv_f1,
            atol=1e-6,
            rtol=0,
            shape_mistakes=[
                (lambda a, e: a.ndim == 2 and len(e) in a.shape,
                 "You kept the score of every fold. Give one number per weight: the `.mean()` of its "
                 "`cross_val_score` result."),
            ],
            mistakes=[
                (_looks_like_accuracy,
                 "These look like accuracy (or ROC-AUC) scores: pass `scoring='f1'` to `cross_val_score`."),
                (lambda a, e: np.allclose(a, e[::-1], atol=1e-6),
                 "Right scores, wrong order: keep the order of `weights`."),
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
