"""Exercise 02 and lesson 02's prompts: the solution's answer passes, realistic wrong answers fail
with their own message, and every check is fast. Expected values are recomputed here, independently
of the checker module."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    auc,
    average_precision_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from course_utils import data
from course_utils.checks import Number, Status
from course_utils.exercises import ex02


# --------------------------------------------------------------------------- #
# The learner's world, rebuilt as the solution notebook builds it
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def split():
    X, y = data.load_yeast4(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=42)


@pytest.fixture(scope="module")
def baseline(split):
    X_train, X_test, y_train, y_test = split
    return DummyClassifier(strategy="most_frequent").fit(X_train, y_train)


@pytest.fixture(scope="module")
def model(split):
    X_train, X_test, y_train, y_test = split
    return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced")).fit(X_train, y_train)


@pytest.fixture(scope="module")
def gen():
    return data.make_imbalanced(n_samples=2000, imbalance_ratio=30, class_sep=0.7, random_state=3)


def assert_incorrect(result, *fragments):
    assert result.status is Status.INCORRECT, result
    assert result.points == 0 or result.points < result.max_points
    for fragment in fragments:
        assert fragment.lower() in result.message.lower(), (fragment, result.message)


# --------------------------------------------------------------------------- #
# q1: the baseline's accuracy
# --------------------------------------------------------------------------- #


def test_q1_solution_passes(split, baseline):
    X_train, X_test, y_train, y_test = split
    answer = accuracy_score(y_test, baseline.predict(X_test))
    result = ex02.q1.check(answer)
    assert result.status is Status.CORRECT and result.points == 1
    assert ex02.q1.check(baseline.score(X_test, y_test))
    assert ex02.q1.check(np.float64(answer))


def test_q1_realistic_mistakes(split, baseline):
    X_train, X_test, y_train, y_test = split
    pred = baseline.predict(X_test)
    assert_incorrect(ex02.q1.check(recall_score(y_test, pred)), "recall instead of its accuracy")
    assert_incorrect(ex02.q1.check(100 * accuracy_score(y_test, pred)), "percentage")
    assert_incorrect(ex02.q1.check(float(y_test.mean())), "prevalence")
    assert_incorrect(ex02.q1.check(0.5), "balanced accuracy")
    assert_incorrect(ex02.q1.check(baseline.score(X_train, y_train)), "accuracy on the training set", "y_train")
    assert_incorrect(ex02.q1.check(1 - float(y_train.mean())), "accuracy on the training set")
    assert_incorrect(ex02.q1.check(round(accuracy_score(y_test, pred), 2)), "looks rounded to 2 decimals")
    assert_incorrect(ex02.q1.check(0.9), "too low")


def test_q1_whole_dataset_and_training_set_get_their_own_message(split):
    X_train, X_test, y_train, y_test = split
    _, y = data.load_yeast4(return_X_y=True)
    whole = ex02.q1.check(1 - float(y.mean()))
    assert_incorrect(whole, "whole dataset", "all of `y`")
    assert "training set" not in whole.message
    train = ex02.q1.check(1 - float(y_train.mean()))
    assert "whole dataset" not in train.message
    # The learner's report: 0.96563 typed from `1 - y.mean()`.
    assert_incorrect(ex02.q1.check(0.96563), "whole dataset")
    # Every prevalence, of whichever data, is a prevalence.
    for prevalence in (y_test.mean(), y_train.mean(), y.mean()):
        assert_incorrect(ex02.q1.check(float(prevalence)), "share of positives")


def test_q1_perfect_score_is_not_called_rounded():
    result = ex02.q1.check(1.0)
    assert_incorrect(result, "perfect 1.0 is not what the baseline gets")
    assert "rounded" not in result.message
    assert_incorrect(ex02.q1.check(1), "perfect 1.0")


def test_q1_wrong_form_is_not_a_wrong_answer():
    assert ex02.q1.check("0.966").status is Status.UNCHECKABLE
    assert ex02.q1.check().status is Status.NOT_ATTEMPTED


# --------------------------------------------------------------------------- #
# q2: precision and recall (two parts, partial credit)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def pr(split, model):
    X_train, X_test, y_train, y_test = split
    pred = model.predict(X_test)
    return {
        "precision": precision_score(y_test, pred),
        "recall": recall_score(y_test, pred),
        "precision_0": precision_score(y_test, pred, pos_label=0),
        "recall_0": recall_score(y_test, pred, pos_label=0),
        "precision_macro": precision_score(y_test, pred, average="macro"),
        "recall_macro": recall_score(y_test, pred, average="macro"),
        "precision_weighted": precision_score(y_test, pred, average="weighted"),
        "recall_weighted": recall_score(y_test, pred, average="weighted"),
        "precision_train": precision_score(y_train, model.predict(X_train)),
        "recall_train": recall_score(y_train, model.predict(X_train)),
    }


def test_q2_solution_passes(pr, split, model):
    result = ex02.q2.check(pr["precision"], pr["recall"])
    assert result.status is Status.CORRECT and result.points == 2
    # Four decimals are within the tolerance (0.0001); three are not (see test_rounding_rule_is_even_handed).
    assert ex02.q2.check(round(pr["precision"], 4), round(pr["recall"], 4))


def test_q2_swapped_precision_and_recall(pr):
    result = ex02.q2.check(pr["recall"], pr["precision"])
    assert_incorrect(result, "recall instead of the precision", "precision instead of the recall")
    assert result.points == 0


def test_q2_other_realistic_mistakes(pr):
    assert_incorrect(ex02.q2.check(pr["precision_0"], pr["recall_0"]), "majority class", "pos_label=1")
    assert_incorrect(ex02.q2.check(pr["precision_macro"], pr["recall_macro"]), "macro average")
    assert_incorrect(ex02.q2.check(pr["precision_weighted"], pr["recall_weighted"]), "weighted average")
    assert_incorrect(ex02.q2.check(pr["precision_train"], pr["recall_train"]), "training set")
    assert_incorrect(ex02.q2.check(100 * pr["precision"], 100 * pr["recall"]), "percentage")
    # Read off classification_report's two decimals (the learner's report: 0.13 and 0.67): both parts are
    # rounded, both are refused, with the same message naming the tolerance.
    rounded = ex02.q2.check(round(pr["precision"], 2), round(pr["recall"], 2))
    assert_incorrect(rounded, "`model_precision`: incorrect. That looks rounded to 2 decimals",
                     "`model_recall`: incorrect. That looks rounded to 2 decimals", "up to 0.0001")
    assert rounded.points == 0
    assert_incorrect(ex02.q2.check(0.13, 0.67), "rounded to 2 decimals")


def test_q2_partial_credit(pr):
    result = ex02.q2.check(pr["precision"], pr["precision"])
    assert result.status is Status.INCORRECT and result.points == 1
    assert "`model_precision`: correct" in result.message
    half = ex02.q2.check(pr["precision"])
    assert half.status is Status.INCORRECT and half.points == 1 and "Set `model_recall` first" in half.message


# --------------------------------------------------------------------------- #
# q3: average precision
# --------------------------------------------------------------------------- #


def test_q3_solution_passes(split, model):
    X_train, X_test, y_train, y_test = split
    assert ex02.q3.check(average_precision_score(y_test, model.predict_proba(X_test)[:, 1]))


def test_q3_realistic_mistakes(split, model):
    X_train, X_test, y_train, y_test = split
    proba = model.predict_proba(X_test)
    precision, recall, _ = precision_recall_curve(y_test, proba[:, 1])
    assert_incorrect(ex02.q3.check(average_precision_score(y_test, model.predict(X_test))), "hard 0/1", "predict_proba")
    assert_incorrect(ex02.q3.check(average_precision_score(y_test, proba[:, 0])), "column 0")
    assert_incorrect(ex02.q3.check(roc_auc_score(y_test, proba[:, 1])), "ROC-AUC")
    assert_incorrect(ex02.q3.check(auc(recall, precision)), "trapezoidal")
    assert_incorrect(
        ex02.q3.check(average_precision_score(y_train, model.predict_proba(X_train)[:, 1])), "training set"
    )
    assert_incorrect(ex02.q3.check(100 * average_precision_score(y_test, proba[:, 1])), "percentage")
    assert_incorrect(ex02.q3.check(round(average_precision_score(y_test, proba[:, 1]), 2)), "looks rounded")
    # Same ranking, same AP: decision_function is as good as predict_proba here.
    assert ex02.q3.check(average_precision_score(y_test, model.decision_function(X_test)))


# --------------------------------------------------------------------------- #
# q4 and q6: concept choices
# --------------------------------------------------------------------------- #


def test_q4_choice():
    assert ex02.q4.check("c") and ex02.q4.check(" C ") and ex02.q4.check("(c)")
    assert_incorrect(ex02.q4.check("a"), "rewards doing nothing")
    assert_incorrect(ex02.q4.check("b"), "barely moves with the prevalence")
    assert_incorrect(ex02.q4.check("d"), "optimistic")
    assert ex02.q4.check("e").status is Status.UNCHECKABLE
    assert ex02.q4.check(3).status is Status.UNCHECKABLE


def test_q6_choice():
    assert ex02.q6.check("b")
    assert_incorrect(ex02.q6.check("a"), "about four per test fold")
    assert_incorrect(ex02.q6.check("c"), "says nothing on its own")
    assert_incorrect(ex02.q6.check("d"), "larger than the noise")
    # Scores are fractions everywhere in the course, differences too.
    assert ex02.q6.parts["cv_choice"].options["d"].startswith("A is better by 0.05 (5 points of F1)")
    assert "%" not in "".join(ex02.q6.parts["cv_choice"].options.values())


# --------------------------------------------------------------------------- #
# q1-q3: one rounding rule, and realistic mistakes that cannot be confused
# --------------------------------------------------------------------------- #


def _number_parts():
    for question in (ex02.q1, ex02.q2, ex02.q3):
        for name, answer in question.parts.items():
            assert isinstance(answer, Number)
            yield question, name, answer


def test_rounding_rule_is_even_handed():
    """Every expected value of q1-q3: the same tolerance, 4 decimals pass, 1 to 3 decimals are refused."""
    for question, name, answer in _number_parts():
        assert answer.atol == ex02.ATOL == 1e-4 and answer.rtol == 0
        expected = float(answer.expected())
        assert answer.judge(round(expected, 4)).status is Status.CORRECT, (name, expected)
        for digits in (1, 2, 3):
            value = round(expected, digits)
            result = answer.judge(value)
            assert result.status is Status.INCORRECT, (name, digits, value)
            if value not in (0, 1):
                # Named by the fewest decimals that give this value (0.130 is 0.13, "2 decimals").
                fewest = min(d for d in (1, 2, 3) if round(expected, d) == value)
                assert f"rounded to {fewest} decimal" in result.message, (name, digits, result.message)
                assert "up to 0.0001" in result.message


def test_mistake_windows_do_not_overlap():
    """No value can match two different messages, nor both the right answer and a mistake."""
    for question, name, answer in _number_parts():
        windows = [(float(answer.expected()), answer.atol, "right")]
        windows += [(ex02._lookup(m.key), m.atol, message) for m, message in answer.mistakes
                    if isinstance(m, ex02._Near)]
        assert len(windows) >= 5, name
        for i, (a, tol_a, msg_a) in enumerate(windows):
            for b, tol_b, msg_b in windows[i + 1:]:
                if msg_a != msg_b:
                    assert abs(a - b) > tol_a + tol_b, (name, msg_a[:40], a, msg_b[:40], b)


# --------------------------------------------------------------------------- #
# q5: a model scored on fresh data
# --------------------------------------------------------------------------- #


def test_q5_solution_passes(gen):
    ranker = make_pipeline(StandardScaler(), LogisticRegression()).fit(*gen)
    result = ex02.q5.check(ranker)
    assert result.status is Status.CORRECT and result.points == 2, result
    assert "needed 0.50" in result.message


def test_q5_other_reasonable_models_pass(gen):
    assert ex02.q5.check(LogisticRegression(class_weight="balanced").fit(*gen))
    assert ex02.q5.check(make_pipeline(StandardScaler(), KNeighborsClassifier(15)).fit(*gen))


def test_q5_realistic_mistakes(gen, split):
    X_gen, y_gen = gen
    dummy = ex02.q5.check(DummyClassifier(strategy="most_frequent").fit(X_gen, y_gen))
    assert_incorrect(dummy, "needs to reach 0.50", "same score")
    tree = ex02.q5.check(DecisionTreeClassifier(random_state=0).fit(X_gen, y_gen))
    assert_incorrect(tree, "needs to reach 0.50", "only 0 and 1", "overfits")
    one_nn = ex02.q5.check(KNeighborsClassifier(1).fit(X_gen, y_gen))
    assert_incorrect(one_nn, "only 0 and 1")
    # A depth-limited tree is not fully grown: its message speaks of leaves and coarse ranking instead.
    shallow = ex02.q5.check(DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_gen, y_gen))
    assert_incorrect(shallow, "needs to reach 0.50", "few distinct values", "one per leaf", "graded scores")
    assert "fully grown tree or" not in shallow.message
    # Not fitted: the message quotes this question's data, not X_train.
    assert_incorrect(ex02.q5.check(LogisticRegression()), "not fitted", "`.fit(X_gen, y_gen)`")
    X_train, _, y_train, _ = split
    wrong_data = ex02.q5.check(LogisticRegression(max_iter=1000).fit(X_train, y_train))
    assert wrong_data.status is Status.UNCHECKABLE and "same columns" in wrong_data.message


@pytest.mark.parametrize("model", [SVC(), RidgeClassifier()], ids=["SVC", "RidgeClassifier"])
def test_q5_model_without_predict_proba_gets_a_tip(gen, model):
    result = ex02.q5.check(model.fit(*gen))
    assert result.status is Status.UNCHECKABLE, result
    assert "no `predict_proba`" in result.message and "CalibratedClassifierCV" in result.message


def test_q5_verdict_from_plain_data_in_another_process(gen):
    """The grader's path: extract in the kernel, ship JSON, grade elsewhere."""
    ranker = make_pipeline(StandardScaler(), LogisticRegression()).fit(*gen)
    shipped = json.loads(json.dumps(ex02.q5.extract(ranker, seed=7)))
    assert ex02.q5.grade(shipped, seed=7).status is Status.CORRECT
    tree = DecisionTreeClassifier(random_state=0).fit(*gen)
    shipped = json.loads(json.dumps(ex02.q5.extract(tree, seed=7)))
    assert ex02.q5.grade(shipped, seed=7).status is Status.INCORRECT


def test_q5_fresh_data_is_the_same_problem_but_not_the_training_sample(gen):
    X_gen, y_gen = gen
    X_new, y_new = ex02._heldout(0)
    assert X_new.shape[1] == X_gen.shape[1]
    assert abs(y_new.mean() - y_gen.mean()) < 0.005
    assert not np.isin(X_new[:, 0], X_gen[:, 0]).any()


# --------------------------------------------------------------------------- #
# Lesson prompts
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "name, right, wrong, fragment",
    [
        ("p1", "c", "d", "recall"),
        ("p1", "c", "a", "share of positives"),
        ("p2", "c", "b", "one metric among seven"),
        ("p2", "c", "a", "false alarms"),
        ("p3", "b", "c", "depends on how many negatives"),
        ("p3", "b", "a", "very differently"),
        ("p4", "c", "a", "moves F1 by about 0.15"),
        ("p4", "c", "b", "wider still"),
    ],
)
def test_prompts(name, right, wrong, fragment):
    prompt = getattr(ex02, name)
    result = prompt.check(right)
    assert result.status is Status.CORRECT and result.max_points == 0
    assert_incorrect(prompt.check(wrong), fragment)
    assert prompt.solution_code == f'my_prediction = "{right}"'


# --------------------------------------------------------------------------- #
# Speed and bookkeeping
# --------------------------------------------------------------------------- #



def test_solution_states_the_tolerance_and_the_options_of_the_checker():
    import nbformat

    path = Path(__file__).resolve().parent.parent / "solutions" / "02_misleading_accuracy.ipynb"
    markdown = [" ".join(c.source.split()) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    assert f"up to {ex02.ATOL:g} only" in markdown[0]
    for question, variable in ((ex02.q4, "metric_choice"), (ex02.q6, "cv_choice")):
        for key, text in question.parts[variable].options.items():
            assert any(f"**{key}** {text}" in cell for cell in markdown), (question.label, key)


def test_points_and_progress():
    assert list(ex02.exercise.questions) == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert ex02.exercise.max_points == 8
    assert list(ex02.exercise.prompts) == ["p1", "p2", "p3", "p4", "p5"]
    text = str(ex02.progress())
    assert "Exercise 02" in text and "/8 points" in text


def test_hints_are_successive():
    ex02.q3._hints_shown = 0
    first, second, third = ex02.q3.hint(), ex02.q3.hint(), ex02.q3.hint()
    assert "Hint 1/2" in first.title and "Hint 2/2" in second.title and "last hint" in second.title
    assert third.title == second.title
    assert "average_precision_score" in str(ex02.q3.solution())
