"""Exercise 03 checker: the solution's answers pass, realistic wrong answers fail with a message
that says what to change, and checks stay fast."""

from __future__ import annotations


import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex03
from conftest import assert_fails


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
    return assert_fails(result, *fragments, points=None)


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
    assert ex03.q1.check(right[:1]).status is Status.INCORRECT  # one number instead of two


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_q1_rounded_weights_say_rounded(solution, digits):
    incorrect(ex03.q1.check(np.round(solution["balanced_weights"], digits)), f"rounded to {digits} decimal")


# --------------------------------------------------------------------------- q2


def test_q2_solution_passes(solution, split):
    assert ex03.q2.check(solution["equivalent_threshold"])
    assert ex03.q2.check(np.mean(split[2]))  # it is the prevalence of y_train


def test_q2_wrong_answers(solution, split):
    w0, w1 = solution["balanced_weights"]
    right = solution["equivalent_threshold"]
    incorrect(ex03.q2.check(w0 / w1), "1 / (1 + w)")
    incorrect(ex03.q2.check(1 - right), "lower than 0.5")
    incorrect(ex03.q2.check(1 / (1 + w1)), "ratio of the two weights")
    incorrect(ex03.q2.check(0.5), "unweighted model")
    incorrect(ex03.q2.check(100 * right), "not as a percentage")
    incorrect(ex03.q2.check(round(100 * right, 2)), "not as a percentage")
    # The prevalence of all of y (or of y_test) is close to the right answer, but not it.
    y_all = np.r_[split[2], split[3]]
    incorrect(ex03.q2.check(np.mean(y_all)), "all of `y`", "y_train")
    incorrect(ex03.q2.check(np.mean(split[3])), "all of `y`", "y_train")


@pytest.mark.parametrize("digits", [2, 3, 4, 5])
def test_q2_rounded_threshold_says_rounded(solution, digits):
    """Rounding is diagnosed first: 0.05 (two decimals) is not read as 1 / w."""
    incorrect(ex03.q2.check(round(solution["equivalent_threshold"], digits)), f"rounded to {digits} decimal")


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
    result = incorrect(ex03.q4.check(100 * solution["precision_huge"], 100 * solution["ap_huge"]), "not as a percentage")
    assert result.message.count("not as a percentage") == 2
    ap_class_0 = average_precision_score(y_test, huge.predict_proba(X_test)[:, 0])
    incorrect(ex03.q4.check(solution["precision_huge"], ap_class_0), "`[:, 0]`")
    roc_auc = roc_auc_score(y_test, huge.predict_proba(X_test)[:, 1])
    incorrect(ex03.q4.check(solution["precision_huge"], roc_auc), "ROC-AUC")


def test_q4_scaler_is_required(solution, split):
    """The step asks for the pipeline with its StandardScaler; without it both numbers change a little."""
    X_train, X_test, y_train, y_test = split
    bare = LogisticRegression(class_weight={0: 1, 1: 1000}).fit(X_train, y_train)
    precision = precision_score(y_test, bare.predict(X_test))
    ap = average_precision_score(y_test, bare.predict_proba(X_test)[:, 1])
    result = incorrect(ex03.q4.check(precision, ap), "without its scaler")
    assert result.message.count("without its scaler") == 2


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_q4_rounding_is_treated_alike_for_both_numbers(solution, digits):
    result = ex03.q4.check(round(solution["precision_huge"], digits), round(solution["ap_huge"], digits))
    incorrect(result, "rounded to")
    assert result.points == 0


def test_every_expected_number_fails_when_rounded_and_passes_when_exact():
    """One tolerance (ATOL) for every number: a rounding to 1-4 decimals is refused (and gets the rounding message,
    tested per question above), the exact value passes."""
    for value in [*ex03._balanced(), ex03._threshold(), ex03._huge_scores()["precision"], ex03._huge_scores()["ap"],
                  *ex03._cv_f1()]:
        for digits in (1, 2, 3, 4):
            assert abs(round(value, digits) - value) > ex03.ATOL, (value, digits)


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
    incorrect(ex03.q5.check(train_f1, solution["best_weight"]), "data each model was fitted on",
              "cross_val_score(model, X_train, y_train, cv=cv")
    incorrect(ex03.q5.check(np.array(solution["cv_f1"]) + 0.01, solution["best_weight"]), "the `cv` given")


def test_q5_more_wrong_scores(solution, split):
    X_train, X_test, y_train, y_test = split
    weights, cv, right, best = solution["weights"], solution["cv"], np.asarray(solution["cv_f1"]), solution["best_weight"]

    def scores(X_, y_, model=None, **kwargs):
        return [
            cross_val_score(model(w) if model else make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})),
                            X_, y_, **kwargs).mean()
            for w in weights
        ]

    # F1 as a percentage: not "accuracy" any more.
    result = incorrect(ex03.q5.check(100 * right, best), "not as percentages")
    assert "accuracy" not in result.message
    incorrect(ex03.q5.check(np.sort(right), best), "wrong order")
    incorrect(ex03.q5.check(scores(X_train, y_train, cv=cv, scoring="roc_auc"), best), "ROC-AUC", "scoring='f1'")
    incorrect(ex03.q5.check(scores(X_train, y_train, cv=cv, scoring="average_precision"), best), "average precision")
    incorrect(ex03.q5.check(scores(X_train, y_train, cv=cv, scoring="recall"), best), "These are recall scores")
    incorrect(ex03.q5.check(scores(X_train, y_train, cv=5, scoring="f1"), best), "default folds", "cv=cv")
    bare = scores(X_train, y_train, model=lambda w: LogisticRegression(class_weight={0: 1, 1: w}), cv=cv, scoring="f1")
    incorrect(ex03.q5.check(bare, best), "without its scaler")
    test_f1 = []
    for w in weights:
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})).fit(X_train, y_train)
        test_f1.append(f1_score(y_test, model.predict(X_test)))
    incorrect(ex03.q5.check(test_f1, best), "on the test set", "training set only")
    # The position of the best score instead of the weight.
    index = int(np.argmax(right))
    assert index != best
    result = incorrect(ex03.q5.check(right, index), "index", "weights[...]")
    assert result.points == 1


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_q5_rounded_scores_say_rounded(solution, digits):
    incorrect(ex03.q5.check(np.round(solution["cv_f1"], digits), solution["best_weight"]), f"rounded to {digits} decimal")



def test_shape_mistakes_get_specific_messages(solution, split):
    y_train = split[2]
    per_row = solution["balanced_weights"][y_train]  # a sample_weight, not class weights
    incorrect(ex03.q1.check(per_row), "one weight per row")
    per_fold = np.tile(np.asarray(solution["cv_f1"])[:, None], (1, 5))
    incorrect(ex03.q5.check(per_fold, solution["best_weight"]), "every fold")
