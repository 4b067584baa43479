"""Exercise 03 checker: the solution's answers pass, realistic wrong answers fail with a message
that says what to change, and checks stay fast."""

from __future__ import annotations


import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex03


@pytest.fixture(scope="module")
def split():
    """The exercise's data, made exactly as the solution notebook's given code makes it."""
    X, y = data.make_imbalanced(n_samples=2000, imbalance_ratio=20, n_features=6, label_noise=0.05, random_state=0)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def solution(split):
    X_train, X_test, y_train, y_test = split
    counts = np.bincount(y_train)
    balanced_weights = len(y_train) / (2 * counts)
    w = balanced_weights[1] / balanced_weights[0]
    huge = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000})).fit(X_train, y_train)
    weights = [1, 3, 10, 20, 100]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    cv_f1 = [
        cross_val_score(
            make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w_})),
            X_train, y_train, cv=cv, scoring="f1",
        ).mean()
        for w_ in weights
    ]
    return {
        "counts": counts,
        "balanced_weights": balanced_weights,
        "equivalent_threshold": 1 / (1 + w),
        "huge": huge,
        "precision_huge": precision_score(y_test, huge.predict(X_test)),
        "ap_huge": average_precision_score(y_test, huge.predict_proba(X_test)[:, 1]),
        "weights": weights,
        "cv": cv,
        "cv_f1": cv_f1,
        "best_weight": weights[int(np.argmax(cv_f1))],
    }


def incorrect(result, *fragments):
    assert result.status is Status.INCORRECT, result
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result


# --------------------------------------------------------------------------- q1


def test_q1_solution_passes_and_matches_sklearn(solution, split):
    y_train = split[2]
    assert ex03.q1.check(solution["balanced_weights"])
    assert ex03.q1.check(compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train))
    assert ex03.q1.check(list(solution["balanced_weights"]))


def test_q1_wrong_answers(solution, split):
    right, counts = solution["balanced_weights"], solution["counts"]
    incorrect(ex03.q1.check(right[::-1]), "wrong order")
    incorrect(ex03.q1.check(1 / right), "Upside down")
    incorrect(ex03.q1.check(2 * right), "number of classes")
    incorrect(ex03.q1.check(1 / counts), "scale")
    incorrect(ex03.q1.check(len(split[3]) / (2 * np.bincount(split[3]))), "y_train")  # test labels by mistake
    y_all = np.r_[split[2], split[3]]
    incorrect(ex03.q1.check(len(y_all) / (2 * np.bincount(y_all))), "y_train")  # all labels
    incorrect(ex03.q1.check(np.round(right, 2)), "do not round")
    assert ex03.q1.check(right[:1]).status is Status.INCORRECT  # one number instead of two


# --------------------------------------------------------------------------- q2


def test_q2_solution_passes(solution, split):
    assert ex03.q2.check(solution["equivalent_threshold"])
    assert ex03.q2.check(np.mean(split[2]))  # it is the prevalence of y_train


def test_q2_wrong_answers(solution):
    w0, w1 = solution["balanced_weights"]
    incorrect(ex03.q2.check(w0 / w1), "1 / (1 + w)")
    incorrect(ex03.q2.check(1 - solution["equivalent_threshold"]), "lower than 0.5")
    incorrect(ex03.q2.check(1 / (1 + w1)), "ratio of the two weights")
    incorrect(ex03.q2.check(0.5), "unweighted model")


# --------------------------------------------------------------------------- q3


def test_q3_choice():
    assert ex03.q3.check("b")
    incorrect(ex03.q3.check("a"), "false alarms")
    incorrect(ex03.q3.check("c"), "not saturated")
    assert ex03.q3.check(2).status is Status.UNCHECKABLE


# --------------------------------------------------------------------------- q4


def test_q4_solution_passes(solution):
    result = ex03.q4.check(solution["precision_huge"], solution["ap_huge"])
    assert result and result.points == 2


def test_q4_measured_story(solution, split):
    """The exercise's point: precision near the prevalence, AP below the smaller weights'."""
    X_train, X_test, y_train, y_test = split
    assert solution["precision_huge"] < 2 * y_test.mean()
    assert recall_score(y_test, solution["huge"].predict(X_test)) > 0.85
    for weight in [1, (y_train == 0).sum() / (y_train == 1).sum()]:
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: weight})).fit(X_train, y_train)
        assert average_precision_score(y_test, model.predict_proba(X_test)[:, 1]) > solution["ap_huge"]


def test_q4_wrong_answers(solution, split):
    X_train, X_test, y_train, y_test = split
    huge = solution["huge"]
    recall = recall_score(y_test, huge.predict(X_test))
    result = incorrect(ex03.q4.check(recall, solution["ap_huge"]), "That is the recall")
    assert result.points == 1  # partial credit for the right part
    train_precision = precision_score(y_train, huge.predict(X_train))
    incorrect(ex03.q4.check(train_precision, solution["ap_huge"]), "training data")
    ap_labels = average_precision_score(y_test, huge.predict(X_test))
    incorrect(ex03.q4.check(solution["precision_huge"], ap_labels), "predict_proba")
    ap_train = average_precision_score(y_train, huge.predict_proba(X_train)[:, 1])
    incorrect(ex03.q4.check(solution["precision_huge"], ap_train), "training data")


# --------------------------------------------------------------------------- q5


def test_q5_solution_passes(solution):
    assert ex03.q5.check(solution["cv_f1"], solution["best_weight"])
    assert ex03.q5.check(np.array(solution["cv_f1"]), np.int64(solution["best_weight"]))


def test_q5_wrong_answers(solution, split):
    X_train, _, y_train, _ = split
    weights, cv = solution["weights"], solution["cv"]

    def scores(**kwargs):
        return [
            cross_val_score(
                make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})),
                X_train, y_train, cv=cv, **kwargs,
            ).mean()
            for w in weights
        ]

    accuracy = scores()  # forgot scoring="f1"
    incorrect(ex03.q5.check(accuracy, solution["best_weight"]), "scoring='f1'")
    incorrect(ex03.q5.check(solution["cv_f1"][::-1], solution["best_weight"]), "order")
    result = incorrect(ex03.q5.check(solution["cv_f1"], 100), "largest weight")
    assert result.points == 1
    incorrect(ex03.q5.check(solution["cv_f1"], 7), "one of the weights")
    incorrect(ex03.q5.check(solution["cv_f1"], 20), "'balanced'")
    # Fitted and scored on the whole training set, or on other folds: a message that says what to use.
    train_f1 = []
    for w in weights:
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})).fit(X_train, y_train)
        train_f1.append(f1_score(y_train, model.predict(X_train)))
    incorrect(ex03.q5.check(train_f1, solution["best_weight"]), "cross_val_score(model, X_train, y_train, cv=cv")
    incorrect(ex03.q5.check(np.array(solution["cv_f1"]) + 0.01, solution["best_weight"]), "the `cv` given")



def test_shape_mistakes_get_specific_messages(solution, split):
    y_train = split[2]
    per_row = solution["balanced_weights"][y_train]  # a sample_weight, not class weights
    incorrect(ex03.q1.check(per_row), "one weight per row")
    per_fold = np.tile(np.asarray(solution["cv_f1"])[:, None], (1, 5))
    incorrect(ex03.q5.check(per_fold, solution["best_weight"]), "every fold")
