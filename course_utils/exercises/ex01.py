"""Checks for exercise 01: imbalance basics."""

from functools import cache

import numpy as np

from ..checks import Choice, EstimatorSpec, Exercise, Number
from ..data import load_abalone19, load_yeast4

exercise = Exercise("ex01", "Exercise 01 - imbalance basics")
progress = exercise.progress


@cache
def _abalone_ir():
    return load_abalone19().imbalance_ratio


@cache
def _yeast_prevalence():
    return float(load_yeast4().target.mean())


q1 = exercise.question(
    "q1",
    ("abalone_ir", Number(
        expected=_abalone_ir,
        atol=0.05,
        mistakes=[
            (lambda v: v < 1, "The imbalance ratio is majority / minority, so it is at least 1: you divided the other way round."),
            (lambda v: abs(v - _abalone_ir() - 1) < 0.05,
             "That is total / minority; divide the majority count by the minority count."),
        ],
    )),
    points=1,
    hints=["Count each class with `y.value_counts()`.", "Divide the larger count by the smaller one."],
    solution="counts = y_abalone.value_counts()\nabalone_ir = counts.max() / counts.min()",
)

q2 = exercise.question(
    "q2",
    ("yeast_prevalence", Number(
        expected=_yeast_prevalence,
        atol=0.0005,
        mistakes=[(lambda v: 1 < v <= 100, "Give the prevalence as a fraction between 0 and 1, not a percentage.")],
    )),
    points=1,
    hints=["The prevalence is the share of positives (label 1).", "The mean of a 0/1 column is the share of ones."],
    solution="yeast_prevalence = y_yeast.mean()",
)

q3 = exercise.question(
    "q3",
    ("boundary_answer", Choice(
        options={
            "a": "it moves into the minority region, so fewer points are predicted minority",
            "b": "it moves into the majority region, so more points are predicted minority",
            "c": "it stays where it is; only the number of points changes",
        },
        correct="a",
        explanations={
            "a": "With fewer minority points, errors on them cost the model little in total loss.",
            "b": "Look again at the figure: the minority region shrinks as the ratio grows.",
            "c": "The loss sums over samples, so with more majority samples the fit favours them.",
        },
    )),
    points=1,
    hints=["Compare the orange regions in the figure across the panels."],
    solution='boundary_answer = "a"',
)

q4 = exercise.question(
    "q4",
    ("model", EstimatorSpec(
        requirements=[
            (lambda d: d["class"].endswith("LogisticRegression"), "Use a `LogisticRegression`."),
        ],
        must_be_fitted=True,
    )),
    points=1,
    hints=["`LogisticRegression()` then `.fit(X, y)`."],
    solution="model = LogisticRegression().fit(X_toy, y_toy)",
)
