"""Checks for lesson 01 and exercise 01: imbalance basics.

Lesson prompts ``p1``-``p3`` (no points) and exercise questions ``q1``-``q7``. Every expected
value is computed from the shipped data or the course's generators, once, and cached.
"""

from __future__ import annotations

import math
import numbers
from functools import cache

import numpy as np

from ..checks import Array, Choice, EstimatorSpec, Exercise, FunctionCases, Number, describe_type
from ..data import load_abalone19, make_toy_2d

exercise = Exercise("ex01", "Exercise 01 - imbalance basics")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 01 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "the minority region shrinks: the boundary moves into the minority cloud",
            "b": "the minority region grows: the model compensates for the rare class",
            "c": "the boundary stays put: only the number of points changes",
        },
        correct="a",
        explanations={
            "a": "Run the next cells to see by how much.",
            "b": "Nothing in a plain model compensates for rarity. Run the next cells and watch the orange region.",
            "c": "The fit weighs every training point equally, so the class with more points pulls harder. "
            "Run the next cells to see it.",
        },
    ),
    hints=["Each training point adds one term to the loss the model minimises. Which class adds more terms?"],
    solution='my_prediction = "a"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={"a": "about 90 %", "b": "about 50 %", "c": "about 15 %", "d": "about 1 %"},
        correct="c",
        explanations={
            "a": "90 % is the share of sick people who test positive, not the share of positive tests "
            "that come from sick people. Run the next cell to count both groups.",
            "b": "Lower still. Run the next cell: the false alarms from the large healthy group outnumber the true alarms.",
            "c": "Run the next cell to see where the number comes from.",
            "d": "Higher than that: the test does carry information. Run the next cell to count.",
        },
    ),
    hints=["Out of 10,000 people, how many are sick? How many healthy people test positive anyway?"],
    solution='my_prediction = "c"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "about the same for both problems: the ratio is what matters",
            "b": "much more when the classes overlap",
            "c": "much more when the classes are well separated",
        },
        correct="b",
        explanations={
            "a": "Run the next cell: the same ratio does very different damage depending on the overlap.",
            "b": "Run the next cell to measure it.",
            "c": "When the classes are far apart, a boundary can separate them whatever their sizes. "
            "Run the next cell to measure it.",
        },
    ),
    hints=["Where would a minority point have to be for a majority vote to outweigh it?"],
    solution='my_prediction = "b"',
)

# --------------------------------------------------------------------------- #
# Expected values, computed once.
# --------------------------------------------------------------------------- #


@cache
def _abalone_counts() -> tuple[int, int]:
    y = load_abalone19().target
    return int((y == 0).sum()), int((y == 1).sum())


def _abalone_ir() -> float:
    majority, minority = _abalone_counts()
    return majority / minority


def _abalone_prevalence() -> float:
    majority, minority = _abalone_counts()
    return minority / (majority + minority)


# Base-rate question: a screening test in a population of 10,000.
_POPULATION, _PREVALENCE, _SENSITIVITY, _SPECIFICITY = 10_000, 0.02, 0.90, 0.95


def _screening() -> dict:
    sick = _POPULATION * _PREVALENCE
    healthy = _POPULATION - sick
    true_pos = _SENSITIVITY * sick
    false_pos = (1 - _SPECIFICITY) * healthy
    return {"sick": sick, "true_pos": true_pos, "false_pos": false_pos, "ppv": true_pos / (true_pos + false_pos)}


# Toy problem of question 5: must match the given code of the solution notebook.
_TOY = {"n_samples": 2000, "imbalance_ratio": 20, "random_state": 0}


@cache
def _toy_scores() -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, precision_score, recall_score
    from sklearn.model_selection import train_test_split

    X, y = make_toy_2d(**_TOY)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    model = LogisticRegression().fit(X_train, y_train)
    pred = model.predict(X_test)
    fitted_on_all = LogisticRegression().fit(X, y)
    return {
        "recall": recall_score(y_test, pred),
        "train_recall": recall_score(y_train, model.predict(X_train)),
        "all_data_recall": recall_score(y, model.predict(X)),
        "fitted_on_all_recall": recall_score(y_test, fitted_on_all.predict(X_test)),
        "majority_recall": recall_score(y_test, pred, pos_label=0),
        "precision": precision_score(y_test, pred),
        "accuracy": accuracy_score(y_test, pred),
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "f1": f1_score(y_test, pred),
    }


def _near(key: str, atol: float = 0.002):
    return lambda v: abs(v - _toy_scores()[key]) <= atol


# --------------------------------------------------------------------------- #
# Exercise 01
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    (
        "abalone_counts",
        Array(
            expected=lambda: np.array(_abalone_counts(), dtype=float),
            atol=0.5,
            rtol=0,
            mistakes=[
                (
                    lambda a, e: np.allclose(a, e[::-1]),
                    "You have the minority count first: put the count of label 0 (majority) first, "
                    "then the count of label 1 (minority).",
                ),
                (
                    lambda a, e: np.isclose(a.sum(), 1.0, atol=0.01),
                    "Those are the shares of each class; give the counts (numbers of rows) instead.",
                ),
                (
                    lambda a, e: np.isclose(a.sum(), 100.0, atol=1.0),
                    "Those are percentages; give the counts (numbers of rows) instead.",
                ),
            ],
            shape_mistakes=[
                (
                    lambda a, e: a.shape == (2, 2) and np.allclose(a[1], e),
                    "That is the pair `(labels, counts)` returned by `np.unique(..., return_counts=True)`; "
                    "keep only the counts: `labels, counts = np.unique(...)`.",
                ),
                (
                    lambda a, e: a.ndim == 0 or a.size == 1,
                    "That is a single number; give both counts, the majority (label 0) first.",
                ),
                (
                    lambda a, e: a.ndim == 1 and a.size == sum(_abalone_counts()),
                    "That is one value per row (the labels themselves); count the rows of each class instead.",
                ),
            ],
        ),
    ),
    points=1,
    hints=[
        "`y_abalone.value_counts()` counts the rows of each label.",
        "`y_abalone.value_counts().sort_index()` lists label 0 first; `np.bincount(y_abalone)` does too.",
    ],
    solution="abalone_counts = y_abalone.value_counts().sort_index().to_numpy()",
)

q2 = exercise.question(
    "q2",
    {
        "abalone_ir": Number(
            expected=_abalone_ir,
            atol=0.01,
            mistakes=[
                (
                    lambda v: v < 1,
                    "The imbalance ratio is majority / minority, so it is at least 1: "
                    "you divided the other way round (or computed a share).",
                ),
                (
                    lambda v: abs(v - _abalone_ir() - 1) < 0.05,
                    "That is total / minority; divide the majority count by the minority count.",
                ),
                (
                    lambda v: abs(v - round(v)) < 1e-9 and abs(v - _abalone_ir()) < 1,
                    "Integer division (`//`) dropped the fraction: use `/`.",
                ),
                (
                    lambda v: v in _abalone_counts(),
                    "That is one class's count; the ratio divides the majority count by the minority count.",
                ),
            ],
        ),
        "abalone_prevalence": Number(
            expected=_abalone_prevalence,
            atol=2e-5,
            mistakes=[
                (
                    lambda v: abs(v - _abalone_counts()[1] / _abalone_counts()[0]) < 2e-5,
                    "That is minority / majority. The prevalence divides the minority count by all rows "
                    "(minority + majority).",
                ),
                (
                    lambda v: abs(v - 100 * _abalone_prevalence()) < 0.01,
                    "That is a percentage; give the prevalence as a fraction between 0 and 1.",
                ),
                (
                    lambda v: abs(v - (1 - _abalone_prevalence())) < 0.001,
                    "That is the share of the majority class; the prevalence is the share of the minority (label 1).",
                ),
                (
                    lambda v: abs(v - _abalone_prevalence()) < 0.001,
                    "Close, but do not round: keep the full value.",
                ),
            ],
        ),
    },
    points=2,
    hints=[
        "Use the two counts from the previous step.",
        "Ratio: majority count / minority count. Prevalence: minority count / number of rows.",
    ],
    solution=(
        "majority, minority = abalone_counts\n"
        "abalone_ir = majority / minority\n"
        "abalone_prevalence = minority / (majority + minority)"
    ),
)


def _ratio_cases(seed: int) -> list[dict]:
    """Label arrays of several forms; the counts depend on the seed."""
    import pandas as pd

    rng = np.random.default_rng([seed, 101])
    a, b, c, d = (int(n) for n in rng.integers([40, 20, 30, 15], [90, 60, 80, 40]))
    small = [int(n) for n in rng.integers(2, 9, size=4)]

    def shuffled(values):
        return list(rng.permutation(np.array(values, dtype=object)))

    return [
        {"y": np.array(shuffled([0] * a + [1] * small[0]), dtype=int)},  # 1 is the minority
        {"y": np.array(shuffled([1] * b + [0] * small[1]), dtype=int)},  # 1 is the majority
        {"y": [str(v) for v in shuffled(["ok"] * c + ["fraud"] * small[2])]},  # a list of strings
        {"y": pd.Series(shuffled(["neg"] * d + ["pos"] * small[3]), dtype="str")},  # a Series
        {"y": np.array(shuffled([0] * 12 + [1] * 12), dtype=int)},  # balanced
    ]


def _describe_labels(y) -> str:
    values = [v.item() if hasattr(v, "item") else v for v in np.asarray(y, dtype=object)]
    labels = sorted(set(values), key=str)
    kind = "a list" if isinstance(y, list) else ("a Series" if hasattr(y, "to_numpy") else "an array")
    parts = " and ".join(f"{values.count(lab)} labels {lab!r}" for lab in labels)
    return f"{kind} of {parts}"


def _ratio_to_plain(value):
    """Plain form of one return value; NaN and infinity become markers the judge explains."""
    if value is None:
        return None
    if value is Ellipsis:
        return "Ellipsis"
    if isinstance(value, (bool, np.bool_)):
        return {"repr_type": "bool"}
    if isinstance(value, numbers.Real):
        number = float.__new__(float, float(value))
        if math.isnan(number):
            return {"special": "nan"}
        if math.isinf(number):
            return {"special": "inf"}
        return number
    if isinstance(value, tuple):
        return ["tuple"]
    if isinstance(value, (np.ndarray, list)) or hasattr(value, "to_numpy"):
        return {"array": True}
    return {"repr_type": describe_type(value)}


def _judge_ratio(kwargs: dict, output) -> str | None:
    y = kwargs["y"]
    _, counts = np.unique(np.asarray(y, dtype=object).astype(str), return_counts=True)
    majority, minority = int(counts.max()), int(counts.min())
    expected = majority / minority
    where = f"For {_describe_labels(y)}"
    if isinstance(output, dict) and "special" in output:
        return (
            f"{where}, your function returned {output['special']}: it divided by zero. Does it look for a label "
            "that is not there (for instance `0` or `1` when the labels are strings)? Count the labels that occur."
        )
    if output is None:
        return "Your function returns `None` for some inputs: does every path end with `return ...`?"
    if isinstance(output, dict):
        if "array" in output:
            return f"{where}, your function returned an array; return one number: majority count / minority count."
        return f"{where}, your function returned a {output.get('repr_type', 'non-number')}; return a number."
    if isinstance(output, list):
        return f"{where}, your function returned several values; return one number: majority count / minority count."
    if not isinstance(output, (int, float)):
        return f"{where}, your function did not return a number."
    value = float(output)
    if math.isclose(value, expected, rel_tol=1e-9):
        return None
    ones = sum(1 for v in np.asarray(y, dtype=object) if str(v) == "1")
    if math.isclose(value, 1 / expected, rel_tol=1e-9):
        if ones == majority:
            return (
                f"{where}, your function returned {value:.4g}. It assumes label 1 is the minority, but here "
                "label 1 is the majority: count both classes and divide the larger count by the smaller."
            )
        return f"{where}, your function returned {value:.4g}: that is minority / majority. Divide the other way round."
    if math.isclose(value, (majority + minority) / minority, rel_tol=1e-9):
        return f"{where}, your function returned {value:.4g}: that is total / minority. Divide the majority count instead."
    if math.isclose(value, minority / (majority + minority), rel_tol=1e-9) or math.isclose(
        value, majority / (majority + minority), rel_tol=1e-9
    ):
        return f"{where}, your function returned {value:.4g}: that is a class share, not the ratio of the two counts."
    if value == math.floor(expected):
        return f"{where}, your function returned {value:.4g}: integer division (`//`) dropped the fraction; use `/`."
    return f"{where}, your function returned {value:.4g}; the ratio of the two counts is different."


def _explain_ratio_error(kwargs: dict, error: str) -> str:
    y = kwargs["y"]
    where = f"For {_describe_labels(y)}, your function raised {error}."
    is_text = any(isinstance(v, str) for v in np.asarray(y, dtype=object))
    if "value_counts" in error:
        return f"{where} Lists and NumPy arrays have no `.value_counts()`: wrap the input, `pd.Series(y)`, or use `np.unique`."
    if is_text:
        return f"{where} The labels can be strings: count them with `np.unique(y, return_counts=True)`."
    if isinstance(y, list):
        return f"{where} The input can be a plain list: convert it with `np.asarray(y)` first."
    return f"{where} Make it work for lists, NumPy arrays and Series, with numbers or strings."


q3 = exercise.question(
    "q3",
    (
        "imbalance_ratio",
        FunctionCases(
            make_cases=_ratio_cases,
            judge_case=_judge_ratio,
            to_plain=_ratio_to_plain,
            explain_error=_explain_ratio_error,
        ),
    ),
    points=2,
    hints=[
        "Do not assume which label is the minority, nor that labels are numbers: count every distinct label.",
        "`labels, counts = np.unique(y, return_counts=True)` works for lists, arrays and Series, "
        "with numbers or strings.",
        "Return `counts.max() / counts.min()`.",
    ],
    solution=(
        "def imbalance_ratio(y):\n"
        '    """Size of the largest class divided by the size of the smallest."""\n'
        "    labels, counts = np.unique(y, return_counts=True)\n"
        "    return counts.max() / counts.min()"
    ),
)

q4 = exercise.question(
    "q4",
    (
        "share_truly_sick",
        Number(
            expected=lambda: _screening()["ppv"],
            atol=0.002,
            mistakes=[
                (
                    lambda v: abs(v - _SENSITIVITY) < 0.002,
                    "0.90 is the share of sick people who test positive. The question asks the reverse: "
                    "among the positive tests, which share comes from sick people?",
                ),
                (
                    lambda v: abs(v - _PREVALENCE) < 0.0005,
                    "That is the prevalence before testing; a positive test should raise it. "
                    "Count the true and the false positives.",
                ),
                (
                    lambda v: abs(v - _SPECIFICITY) < 0.002,
                    "0.95 is the share of healthy people the test clears; it does not answer the question.",
                ),
                (
                    lambda v: abs(v - _screening()["true_pos"]) < 0.5 or abs(v - _screening()["false_pos"]) < 0.5,
                    "That is a count of people; give the share: true positives / all positives.",
                ),
                (
                    lambda v: abs(v - _screening()["true_pos"] / _POPULATION) < 0.0005,
                    "You divided by the whole population; divide by the number of positive tests "
                    "(true positives + false positives).",
                ),
                (
                    lambda v: abs(v - 0.15385) < 0.002,
                    "That is the lesson's answer for a prevalence of 1 %; here the prevalence is 2 %.",
                ),
                (
                    lambda v: 1 < v <= 100,
                    "Give the share as a fraction between 0 and 1, not a percentage.",
                ),
            ],
        ),
    ),
    points=1,
    hints=[
        "Out of 10,000 people, 2 % are sick. How many sick people test positive? How many healthy people test positive?",
        "True positives = 0.90 x sick; false positives = (1 - 0.95) x healthy. The share is true / (true + false).",
    ],
    solution=(
        "sick = 10_000 * 0.02\n"
        "healthy = 10_000 - sick\n"
        "true_positives = 0.90 * sick\n"
        "false_positives = (1 - 0.95) * healthy\n"
        "share_truly_sick = true_positives / (true_positives + false_positives)"
    ),
)


def _is_logistic(d: dict) -> bool:
    return d["class"].endswith(".LogisticRegression")


q5 = exercise.question(
    "q5",
    {
        "model": EstimatorSpec(
            requirements=[
                (
                    lambda d: not d["steps"],
                    "Fit a plain `LogisticRegression`, not a pipeline: the toy data needs no preprocessing.",
                ),
                (_is_logistic, "Use a `LogisticRegression` for this step."),
                (
                    lambda d: d["params"].get("class_weight") in (None, {}),
                    "Keep the default `class_weight` for now: this step measures what a plain model does. "
                    "Re-weighting comes in a later lesson.",
                ),
                (
                    lambda d: d["params"].get("C") == 1.0,
                    "Keep the default regularisation (`C=1.0`), so your recall matches the check.",
                ),
            ],
            must_be_fitted=True,
        ),
        "minority_recall": Number(
            expected=lambda: _toy_scores()["recall"],
            atol=0.002,
            mistakes=[
                (_near("train_recall"), "That is the recall on the training set; compute it on the test set."),
                (
                    _near("all_data_recall"),
                    "That is the recall on all the data; compute it on the test half (`X_test`, `y_test`) only.",
                ),
                (
                    _near("fitted_on_all_recall"),
                    "Your model seems to have been fitted on all the data, test half included: "
                    "fit it on `X_train, y_train` only, then score it on the test half.",
                ),
                (
                    _near("majority_recall"),
                    "That is the recall of the majority class (label 0); the minority is label 1.",
                ),
                (_near("accuracy"), "That is the accuracy; compute the recall of the minority class (label 1)."),
                (_near("precision"), "That is the precision; recall = minority points found / all minority points."),
                (_near("balanced_accuracy"), "That is the balanced accuracy; compute the recall of label 1 alone."),
                (_near("f1"), "That is the F1 score; compute the recall of label 1 alone."),
            ],
        ),
    },
    points=2,
    hints=[
        "`model = LogisticRegression().fit(X_train, y_train)`, then predict on `X_test`.",
        "`recall_score(y_test, y_pred)` is the share of minority (label 1) test points the model finds.",
    ],
    solution=(
        "model = LogisticRegression().fit(X_train, y_train)\n"
        "y_pred = model.predict(X_test)\n"
        "minority_recall = recall_score(y_test, y_pred)"
    ),
)

q6 = exercise.question(
    "q6",
    (
        "why_drift",
        Choice(
            options={
                "a": "each training point counts once in the fit, so the many majority points outweigh the few minority ones",
                "b": "logistic regression treats the rare minority points as outliers and leaves them out of the fit",
                "c": "the minority cloud itself gets smaller as the ratio grows, and the boundary follows it",
                "d": "with fewer minority points the boundary moves at random, in no particular direction",
            },
            correct="a",
            explanations={
                "a": "The loss is a sum over points; with 20 majority points per minority point, the majority "
                "dominates that sum, and a boundary moved into the minority cloud makes it smaller.",
                "b": "Logistic regression keeps and weighs every point; no point is dropped.",
                "c": "In the toy data the minority cloud has the same centre and spread at every ratio; "
                "only its number of points changes.",
                "d": "Fewer points do make the fit noisier, but the drift has a direction: always into the "
                "minority cloud, as your recall showed.",
            },
        ),
    ),
    points=1,
    hints=["What does the model minimise, and how many terms of that sum come from each class?"],
    solution='why_drift = "a"',
)

q7 = exercise.question(
    "q7",
    (
        "hardest_problem",
        Choice(
            options={
                "a": "imbalance ratio 100, classes well separated",
                "b": "imbalance ratio 10, classes heavily overlapping",
                "c": "imbalance ratio 1, classes heavily overlapping",
            },
            correct="b",
            explanations={
                "a": "With well-separated classes a boundary fits between them whatever their sizes: "
                "the lesson measured a minority recall close to 1 even at ratio 100.",
                "b": "Overlap decides how much the imbalance costs: in the overlap region the larger class wins, "
                "and at ratio 10 it wins most of it.",
                "c": "With balanced classes the overlap region is shared about evenly, so the model still "
                "finds most minority points.",
            },
        ),
    ),
    points=1,
    hints=["Look back at the lesson's myth buster: which mattered more, the ratio or the overlap?"],
    solution='hardest_problem = "b"',
)
