"""The answer kinds and the Result/Question/Exercise machinery of course_utils.checks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.preprocessing import StandardScaler

from course_utils.checks import (
    Array,
    Choice,
    EstimatorSpec,
    Exercise,
    FunctionCases,
    HeldoutScore,
    Number,
    Status,
    describe_estimator,
)
from course_utils.data import make_imbalanced


@pytest.fixture
def exercise():
    return Exercise("ex99", "Test exercise")


def test_result_truth_value_text_and_html(exercise):
    q = exercise.question("q1", ("x", Number(2.0)), points=1, hints=["h"], solution="x = 2")
    right, wrong = q.check(2), q.check(3)
    assert bool(right) is True and bool(wrong) is False
    assert str(right).startswith("\u2714 ex99.q1: Correct.")
    assert "Incorrect" in wrong._repr_html_() and "too high" in str(wrong)
    assert right.points == 1 and wrong.points == 0 and right.max_points == 1
    assert json.loads(json.dumps(right.to_dict()))["status"] == "correct"


def test_html_escapes_learner_text(exercise):
    q = exercise.question("q1", ("c", Choice({"a": "x", "b": "y"}, "a")), points=1, hints=["h"], solution="c='a'")
    html = q.check("<script>").__repr__() + q.check("<script>")._repr_html_()
    assert "<script>" not in q.check("<script>")._repr_html_()
    assert "not an option" in html


def test_number_mistakes_and_direction(exercise):
    kind = Number(expected=lambda: 0.7512, atol=0.0001, mistakes=[(0.25, "That is 1 minus the answer.")])
    q = exercise.question("q1", ("x", kind), points=2, hints=["h"], solution="x = 0.75")
    assert q.check(0.75125).status is Status.CORRECT
    assert q.check(0.25).message == "That is 1 minus the answer."
    assert "too low" in q.check(0.5).message
    assert "looks rounded" in q.check(0.75).message
    assert "exactly the data" in q.check(0.7545).message  # close, but not a rounding of 0.7512
    assert q.check(np.float32(0.7512)).status is Status.CORRECT
    assert q.check(np.array([0.7512])).status is Status.CORRECT
    assert q.check("0.7512").status is Status.UNCHECKABLE
    assert q.check(True).status is Status.UNCHECKABLE
    assert q.check(float("nan")).status is Status.INCORRECT


def test_choice_is_case_and_space_insensitive_and_explains(exercise):
    kind = Choice({"a": "first", "b": "second"}, "b", {"a": "No: because."})
    q = exercise.question("q1", ("c", kind), points=1, hints=["h"], solution="c = 'b'")
    assert q.check(" B ").status is Status.CORRECT
    assert q.check("a").message.endswith("No: because.")
    assert q.check("z").status is Status.UNCHECKABLE


def test_array_shape_tips_and_counts(exercise):
    kind = Array(expected=lambda: np.arange(4.0))
    q = exercise.question("q1", ("a", kind), points=1, hints=["h"], solution="a = np.arange(4.0)")
    assert q.check([0, 1, 2, 3]).status is Status.CORRECT
    assert q.check(pd.Series([0, 1, 2, 3])).status is Status.CORRECT
    assert ".ravel()" in q.check(np.arange(4.0).reshape(4, 1)).message
    assert "1 of 4 values differ" in q.check([0, 1, 2, 4]).message
    assert "NaN" in q.check([0, np.nan, 2, 3]).message
    assert q.check(["a", "b", "c", "d"]).status is Status.UNCHECKABLE


def test_multi_part_question_gives_partial_credit(exercise):
    q = exercise.question(
        "q1", {"p": Number(0.5, atol=0.01), "r": Number(0.25, atol=0.01)}, points=2, hints=["h"], solution="p=0.5"
    )
    assert q.check(0.5, 0.25).points == 2
    partial = q.check(0.5, 0.9)
    assert partial.status is Status.INCORRECT and partial.points == 1
    assert "`r`: incorrect" in partial.message
    assert q.check(0.5).points == 1  # one part still blank
    assert q.check(0.5, 0.25, 1).status is Status.UNCHECKABLE


def test_extract_then_grade_round_trips_through_json(exercise):
    """The grader runs extract in the kernel and grade in its own process, via JSON."""
    q = exercise.question("q1", {"p": Number(0.5), "c": Choice({"a": "x", "b": "y"}, "b")}, points=2, hints=["h"], solution="")
    plain = json.loads(json.dumps(q.extract(0.5, "b")))
    assert q.grade(plain).points == 2
    forged = {"p": {"data": "not a number"}, "c": {"data": ["b"]}}
    assert q.grade(forged).points == 0
    claimed = {"p": {"status": "correct", "message": "trust me"}, "c": {"status": "correct", "message": ""}}
    assert q.grade(claimed).points == 0


def test_estimator_spec_reads_pipeline_structure(exercise):
    sampler_first = lambda d: [s["is_sampler"] for s in d["steps"]] == [False, True, False]  # noqa: E731
    spec = EstimatorSpec(requirements=[(sampler_first, "Put the sampler between the scaler and the model.")], must_be_fitted=True)
    q = exercise.question("q1", ("pipe", spec), points=1, hints=["h"], solution="")
    X, y = make_imbalanced(300, n_features=4, random_state=0)
    good = Pipeline([("scale", StandardScaler()), ("smote", SMOTE(random_state=0)), ("model", LogisticRegression())])
    assert q.check(good).status is Status.INCORRECT and "not fitted" in q.check(good).message
    good.fit(X, y)
    assert q.check(good).status is Status.CORRECT
    bad = Pipeline([("smote", SMOTE(random_state=0)), ("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    assert q.check(bad).message == "Put the sampler between the scaler and the model."
    assert q.check(LogisticRegression).status is Status.UNCHECKABLE
    description = describe_estimator(good)
    assert json.loads(json.dumps(description)) == description


def test_heldout_score_uses_fresh_data_and_never_sends_labels(exercise):
    calls = []

    def make_heldout(seed):
        calls.append(seed)
        return make_imbalanced(400, imbalance_ratio=5, draw=1000 + seed)

    kind = HeldoutScore(make_heldout, average_precision_score, minimum=0.5, response="predict_proba", metric_name="AP")
    q = exercise.question("q1", ("model", kind), points=1, hints=["h"], solution="")
    X, y = make_imbalanced(1000, imbalance_ratio=5)
    model = LogisticRegression().fit(X, y)
    assert q.check(model).status is Status.CORRECT
    data = q.extract(model, seed=7)
    assert calls[-1] == 7 and set(data["model"]["data"]) == {"estimator", "output"}
    assert q.grade(data, seed=7).status is Status.CORRECT
    constant = LogisticRegression().fit(X * 0, y)
    assert "AP on unseen data" in q.check(constant).message


def test_function_cases(exercise):
    def make_cases(seed):
        rng = np.random.default_rng(seed)
        return [{"x": rng.normal(size=3).tolist()} for _ in range(3)]

    def judge_case(kwargs, output):
        if not isinstance(output, dict) or "array" not in output:
            return "Return a NumPy array."
        return None if np.allclose(output["array"], np.square(kwargs["x"])) else "Square each value."

    q = exercise.question("q1", ("f", FunctionCases(make_cases, judge_case)), points=1, hints=["h"], solution="")
    assert q.check(lambda x: np.square(x)).status is Status.CORRECT
    assert q.check(lambda x: np.asarray(x)).message == "Square each value."
    assert "raised ZeroDivisionError" in q.check(lambda x: 1 / 0).message
    assert q.check(lambda x: ...).status is Status.NOT_ATTEMPTED
    forgot_return = q.check(lambda x: None)
    assert forgot_return.status is Status.INCORRECT and "return <your result>" in forgot_return.message
    assert q.check(np.square(2)).status is Status.UNCHECKABLE


def test_hints_are_successive_and_progress_summarises(exercise):
    q1 = exercise.question("q1", ("x", Number(1.0)), points=1, hints=["first", "second"], solution="x = 1")
    exercise.question("q2", ("y", Number(2.0)), points=3, hints=["only"], solution="y = 2")
    assert "first" in str(q1.hint()) and "second" in str(q1.hint()) and "last hint" in str(q1.hint())
    q1.check(1.0)
    q1.solution()
    summary = exercise.progress()
    assert summary.points == 1 and summary.max_points == 4
    assert "q1: correct (1/1) (solution viewed)" in str(summary)
    assert "q2: not attempted" in str(summary)
    assert "<table>" in summary._repr_html_()


def test_prompts_are_worth_nothing(exercise):
    p1 = exercise.prompt("p1", Choice({"a": "x", "b": "y"}, "a"), hints=["h"], solution="my_prediction = 'a'")
    result = p1.check("a")
    assert result and result.points == 0 and exercise.max_points == 0
    assert "p1" not in exercise.questions
