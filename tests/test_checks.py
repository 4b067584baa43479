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
    Mistake,
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


def test_number_alternatives_are_points_not_a_range(exercise):
    """Each alternative is right within the tolerance of its own value; the values between them are not."""
    kind = Number(expected=0.4194, alternatives=lambda: {0.4226: "another valid way"})
    q = exercise.question("q1", ("x", kind), points=1, hints=["h"], solution="x = 0.4194")
    assert q.check(0.41941).status is Status.CORRECT
    other = q.check(0.42262)
    assert other.status is Status.CORRECT and "another valid way" in other.message
    assert q.check(0.4210).status is Status.INCORRECT  # between the two: neither
    assert q.check(0.42).mistake == "rounded"


def test_number_mistakes_and_direction(exercise):
    kind = Number(expected=lambda: 0.7512, mistakes=[Mistake("one-minus", 0.2488, "That is 1 minus the answer.")])
    q = exercise.question("q1", ("x", kind), points=2, hints=["h"], solution="x = 0.75")
    assert q.check(0.75125).status is Status.CORRECT
    one_minus = q.check(0.2488)
    assert one_minus.message == "That is 1 minus the answer." and one_minus.mistake == "one-minus"
    assert "too low" in q.check(0.5).message and q.check(0.5).mistake is None
    rounded = q.check(0.75)
    assert "rounded to 2 decimals" in rounded.message and rounded.mistake == "rounded"
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
    assert q.check("a").mistake == "chose-a"  # counted in the class report (instructor rehearsal: letters were not)
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
    # Learner pass 5: "Expected shape (5,), got ()" was jargon; the counts say it in words.
    assert "Expected 4 values (shape (4,)), got a single number" in q.check(3.0).message
    assert "Expected 4 values, got 3" in q.check([0, 1, 2]).message


def test_multi_part_question_gives_partial_credit(exercise):
    q = exercise.question(
        "q1", {"p": Number(0.5, atol=0.01), "r": Number(0.25, atol=0.01)}, points=2, hints=["h"], solution="p=0.5"
    )
    assert q.check(0.5, 0.25).points == 2
    partial = q.check(0.5, 0.9)
    assert partial.status is Status.INCORRECT and partial.points == 1
    assert "`r`: incorrect" in partial.message
    unfinished = q.check(0.5)  # one part still blank: it keeps its point, and says "Unfinished", not "Not attempted"
    assert unfinished.points == 1 and unfinished.status is Status.NOT_ATTEMPTED
    assert str(unfinished).startswith("\u2026 ex99.q1: Unfinished.") and "Unfinished." in unfinished._repr_html_()
    other = exercise.question("q2", {"p": Number(0.5), "r": Number(0.25)}, points=2, hints=["h"], solution="p=0.5")
    other.check(0.5)
    assert "q2: unfinished (1/2)" in str(exercise.summary()) and "Unfinished" in exercise.summary()._repr_html_()
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
    assert q.check(good).status is Status.UNCHECKABLE and "not fitted" in q.check(good).message
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


# --------------------------------------------------------------------------- #
# One tolerance for numbers (checks.RTOL), and mistakes named only on proof
# --------------------------------------------------------------------------- #


def test_one_tolerance_four_significant_digits_pass_fewer_say_rounded(exercise):
    from course_utils.checks import ATOL_FLOOR, RTOL

    assert RTOL == 1e-3 and ATOL_FLOOR == 1e-9
    q = exercise.question("q1", ("x", Number(129.4375)), points=1, hints=["h"], solution="x = 1")
    for typed in (129.4375, 129.44, 129.4, 129.438):  # 4+ significant digits
        assert q.check(typed).status is Status.CORRECT, typed
    assert_rounded = q.check(129.0)
    assert assert_rounded.mistake == "rounded" and "whole number" in assert_rounded.message
    hundred = q.check(100.0)
    assert hundred.mistake == "rounded" and "1 significant digit" in hundred.message
    small = exercise.question("q2", ("x", Number(0.0123456)), points=1, hints=["h"], solution="x = 1")
    assert small.check(0.01235).status is Status.CORRECT
    assert small.check(0.012).mistake == "rounded"
    zero = exercise.question("q3", ("x", Number(0.0)), points=1, hints=["h"], solution="x = 0")
    assert zero.check(0.0).status is Status.CORRECT and zero.check(1e-10).status is Status.CORRECT
    assert zero.check(1e-6).status is Status.INCORRECT


def test_looks_rounded_only_when_provably_rounded(exercise):
    q = exercise.question("q1", ("x", Number(0.7512)), points=1, hints=["h"], solution="x = 1")
    for not_a_rounding in (0.7545, 0.749, 0.7):
        result = q.check(not_a_rounding)
        assert result.mistake is None and "rounded" not in result.message.split(":")[0], not_a_rounding
    assert q.check(0.0).mistake is None  # rounding to 0 is never called rounding
    assert q.check(0.8).mistake == "rounded" and q.check(0.751).status is Status.CORRECT


def test_a_mistake_is_named_only_when_no_other_matches(exercise):
    shared = 0.3
    kind = Number(
        0.42,
        mistakes=[
            Mistake("recall", shared, "That is the recall."),
            Mistake("f1", shared, "That is the F1 score."),
            Mistake("precision-class-0", 0.9, "That is the precision of class 0."),
            Mistake("overlaps-right", 0.42, "Never said: the right answer wins."),
        ],
    )
    q = exercise.question("q1", ("x", kind), points=1, hints=["h"], solution="x = 1")
    both = q.check(shared)
    assert both.status is Status.INCORRECT and both.mistake == "recall|f1"
    assert "2 known slips" in both.message and "recall" in both.message and "F1" in both.message
    assert q.check(0.9).mistake == "precision-class-0"
    assert q.check(0.42).status is Status.CORRECT


def test_shared_builders_have_stable_ids(exercise):
    from course_utils.checks import (
        percentage_mistake,
        rounded_mistake,
        swapped_mistake,
        wrong_class_mistake,
        wrong_split_mistake,
    )

    expected = 0.2468
    kind = Number(
        expected,
        mistakes=[
            percentage_mistake(expected),
            swapped_mistake(0.61, "Swapped."),
            wrong_class_mistake(0.97, "Class 0."),
            wrong_split_mistake(0.33, "Training set."),
        ],
    )
    q = exercise.question("q1", ("x", kind), points=1, hints=["h"], solution="x = 1")
    assert q.check(24.68).mistake == "percentage"
    assert q.check(25).mistake == "percentage"  # a percentage rounded to a whole number is still one
    assert q.check(0.61).mistake == "swapped" and q.check(0.97).mistake == "wrong-class"
    assert q.check(0.33).mistake == "training-set"
    assert q.check(0.25).mistake == "rounded"
    assert rounded_mistake(expected).id == "rounded"
    assert q.check(0.5).mistake is None


def test_mistake_ids_reach_to_dict_and_multi_part_results(exercise):
    kind_a = Number(0.5, mistakes=[Mistake("half-off", 0.25, "Half.")])
    kind_b = Number(0.2, mistakes=[Mistake("doubled", 0.4, "Doubled.")])
    q = exercise.question("q1", {"a": kind_a, "b": kind_b}, points=2, hints=["h"], solution="")
    result = q.check(0.25, 0.4)
    assert result.mistake == "a=half-off; b=doubled"
    assert json.loads(json.dumps(result.to_dict()))["mistake"] == "a=half-off; b=doubled"
    assert q.check(0.5, 0.2).to_dict()["mistake"] is None


def test_array_mistakes_and_rounding(exercise):
    kind = Array(
        expected=[0.52631, 10.0],
        rtol=1e-3,
        atol=1e-9,
        mistakes=[Mistake("swapped", lambda a, e: np.allclose(a, e[::-1]), "Wrong order.")],
    )
    q = exercise.question("q1", ("w", kind), points=1, hints=["h"], solution="")
    assert q.check([0.5263, 10.0]).status is Status.CORRECT
    assert q.check([10.0, 0.52631]).mistake == "swapped"
    rounded = q.check([0.53, 10.0])
    assert rounded.mistake == "rounded" and "2 decimals" in rounded.message


def test_unfitted_model_could_not_be_checked(exercise):
    spec = EstimatorSpec(requirements=[], must_be_fitted=True)
    held = HeldoutScore(lambda seed: make_imbalanced(200, draw=seed), average_precision_score, minimum=0.5, response="predict_proba")
    q = exercise.question("q1", {"a": spec, "b": held}, points=2, hints=["h"], solution="")
    message = q.check(LogisticRegression(), LogisticRegression()).message
    assert message.startswith("`a`: could not be checked. Your model is not fitted yet, so it could not be checked")
    assert message.endswith("`b`: could not be checked. The same reason as `a`.")  # the same words are not repeated
    assert q.check(LogisticRegression(), LogisticRegression()).status is Status.UNCHECKABLE


def test_blank_placeholder_says_what_to_do(exercise):
    q = exercise.question("q1", ("x", Number(1.0)), points=1, hints=["h"], solution="x = 1")
    result = q.check(...)
    assert result.status is Status.NOT_ATTEMPTED and "placeholder" in result.message and "error" in result.message


def test_progress_shows_best_status_and_latest_where_it_differs(exercise):
    q1 = exercise.question("q1", ("x", Number(1.0)), points=1, hints=["h"], solution="x = 1")
    q2 = exercise.question("q2", {"a": Number(1.0), "b": Number(2.0)}, points=2, hints=["h"], solution="")
    exercise.question("q3", ("z", Number(3.0)), points=1, hints=["h"], solution="")
    q1.check(1.0)
    q1.check(5.0)  # experimenting after a right answer loses nothing
    q2.check(1.0, 7.0)  # half right
    q2.check(9.0, 9.0)
    summary = exercise.progress()
    assert summary.points == 2 and summary.max_points == 4
    text = str(summary)
    assert "q1: correct (1/1); latest check: incorrect (0/1)" in text
    assert "q2: incorrect (1/2); latest check: incorrect (0/2)" in text
    assert "q3: not attempted (0/1)\n" in text + "\n"
    assert "latest check" in summary._repr_html_()
    q1.check(1.0)
    assert "q1: correct (1/1)\n" in str(exercise.progress()) + "\n"


# --------------------------------------------------------------------------- #
# A check always shows: real kernels, as JupyterLab, Colab and nbval run them
# --------------------------------------------------------------------------- #

_SETUP = """
from course_utils.checks import Exercise, Number
ex = Exercise("ex99", "T")
q = ex.question("q1", ("x", Number(2.0)), points=1, hints=["first hint", "second hint"], solution="x = 2")
"""

_CELLS = {
    "two checks": "q.check(2)\nq.check(3)",
    "check then print": "q.check(2)\nprint('after')",
    "hint then solution": "q.hint()\nq.solution()",
    "last expression": "q.check(2)",
    "assigned then last": "r = q.check(3)\nr",
    "progress": "ex.progress()",
    "later cell": "r",
    "returned value used": "bool(q.check(2)), q.check(3).status.value",
    "in a loop": "for value in (1, 2, 3):\n    q.check(value)",
    "semicolon": "q.check(2);",
}


def _kernel_outputs():
    import nbformat
    from nbclient import NotebookClient

    from conftest import ROOT

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(_SETUP)] + [nbformat.v4.new_code_cell(code) for code in _CELLS.values()]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return {name: cell.outputs for name, cell in zip(_CELLS, nb.cells[1:])}


def _shown(outputs):
    """The verdicts and notes a cell showed, as text, in order (any output type)."""
    texts = []
    for output in outputs:
        if output.output_type == "stream":
            texts.append(("stream", output.text))
        else:
            texts.append((output.output_type, output.data.get("text/plain", "")))
    return texts


@pytest.mark.notebook
def test_every_call_shows_exactly_once_in_a_real_kernel():
    outputs = _kernel_outputs()
    shown = {name: _shown(out) for name, out in outputs.items()}
    for name, out in outputs.items():
        for output in out:
            if output.output_type == "display_data":
                assert "text/html" in output.data and output.data["text/html"].startswith("<div"), name
    assert [t for _, t in shown["two checks"]] == ["\u2714 ex99.q1: Correct. 2 is right.", "\u2718 ex99.q1: Incorrect. 3 is too high."]
    assert [k for k, _ in shown["two checks"]] == ["display_data", "display_data"]
    assert shown["check then print"] == [("display_data", "\u2714 ex99.q1: Correct. 2 is right."), ("stream", "after\n")]
    hint, solution = shown["hint then solution"]
    assert "first hint" in hint[1] and "x = 2" in solution[1]
    assert len(shown["last expression"]) == 1 and shown["last expression"][0][0] == "display_data"
    assert len(shown["assigned then last"]) == 1
    assert len(shown["progress"]) == 1 and "best check" in shown["progress"][0][1]
    assert len(shown["later cell"]) == 1 and "Incorrect" in shown["later cell"][0][1]  # shown again on request
    assert [k for k, _ in shown["returned value used"]] == ["display_data", "display_data", "execute_result"]
    assert shown["returned value used"][-1][1] == "(True, 'incorrect')"
    assert len(shown["in a loop"]) == 3
    assert len(shown["semicolon"]) == 1


def test_plain_python_prints_the_verdict():
    import subprocess
    import sys

    code = _SETUP + "r = q.check(2)\nq.hint()\nprint('returned:', bool(r), r.status.value)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "\u2714 ex99.q1: Correct. 2 is right.",
        "Hint 1/2 for ex99.q1: first hint",
        "returned: True correct",
    ]


def test_parts_given_in_each_others_places_are_named_swapped(exercise):
    q = exercise.question("q1", {"precision": Number(0.25), "recall": Number(0.8)}, points=2, hints=["h"], solution="")
    swapped = q.check(0.8, 0.25)
    assert swapped.points == 0 and "hold each other's values" in swapped.message
    assert swapped.mistake == "precision=swapped; recall=swapped"
    assert q.check(0.8, 0.8).mistake is None  # one value in two places is not a swap
    assert q.check(0.25, 0.8)


def test_exact_mistake_inside_the_tolerance(exercise):
    """A wrong quantity within 0.1 % of the right one is named only when matched exactly."""
    right, all_rows = 431 / 446, 1433 / 1484  # test rows vs all rows: 0.08 % apart
    kind = Number(right, mistakes=[Mistake("all-data", lambda: all_rows, "Score the test rows only.", exact=True)])
    q = exercise.question("q1", ("x", kind), points=1, hints=["h"], solution="")
    assert q.check(all_rows).mistake == "all-data"
    assert q.check(0.96563).mistake == "all-data"  # typed to 5 digits: the wrong value at that precision
    assert q.check(0.966).status is Status.CORRECT  # 3 digits: cannot be told apart
    assert q.check(right) and q.check(0.9664) and q.check(0.96637)
