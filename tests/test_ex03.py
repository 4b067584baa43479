"""Exercise 03 checker: the solution's answers pass, realistic wrong answers fail with a message
that says what to change, and checks stay fast."""

from __future__ import annotations


import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex03
from conftest import assert_fails

pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")


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


def _rounded_says_rounded_or_passes(check, rounded, exact, digits):
    """The one tolerance (0.1 %): a rounding within it passes; one outside it is called rounded."""
    result = check()
    if np.allclose(rounded, exact, rtol=1e-3, atol=1e-9):
        assert result.status is Status.CORRECT, result
    else:
        incorrect(result, "rounded to")
        assert "rounded" in (result.mistake or ""), result.mistake


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_q1_rounded_weights_say_rounded(solution, digits):
    rounded = np.round(solution["balanced_weights"], digits)
    _rounded_says_rounded_or_passes(lambda: ex03.q1.check(rounded), rounded, solution["balanced_weights"], digits)


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
    """0.05 (two decimals) is called rounded, not read as 1 / w."""
    rounded = round(solution["equivalent_threshold"], digits)
    _rounded_says_rounded_or_passes(lambda: ex03.q2.check(rounded), rounded, solution["equivalent_threshold"], digits)


# --------------------------------------------------------------------------- q3


def test_q3_choice():
    assert ex03.q3.check("b")
    incorrect(ex03.q3.check("a"), "false alarms")
    incorrect(ex03.q3.check("c"), "not saturated")
    assert ex03.q3.check(2).status is Status.UNCHECKABLE


# --------------------------------------------------------------------------- q4


def test_q4_solution_passes(solution):
    result = ex03.q4.check(solution["huge"], solution["precision_huge"], solution["ap_huge"])
    assert result and result.points == 3


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
    result = incorrect(ex03.q4.check(solution["huge"], recall, solution["ap_huge"]), "That is the recall")
    assert result.points == 2  # partial credit for the right parts (the model, the AP)
    train_precision = precision_score(y_train, huge.predict(X_train))
    incorrect(ex03.q4.check(solution["huge"], train_precision, solution["ap_huge"]), "training data")
    ap_labels = average_precision_score(y_test, huge.predict(X_test))
    incorrect(ex03.q4.check(solution["huge"], solution["precision_huge"], ap_labels), "predict_proba")
    ap_train = average_precision_score(y_train, huge.predict_proba(X_train)[:, 1])
    incorrect(ex03.q4.check(solution["huge"], solution["precision_huge"], ap_train), "training data")
    result = incorrect(ex03.q4.check(solution["huge"], 100 * solution["precision_huge"], 100 * solution["ap_huge"]), "not as a percentage")
    assert result.mistake == "precision_huge=percentage; ap_huge=percentage"
    ap_class_0 = average_precision_score(y_test, huge.predict_proba(X_test)[:, 0])
    incorrect(ex03.q4.check(solution["huge"], solution["precision_huge"], ap_class_0), "`[:, 0]`")
    roc_auc = roc_auc_score(y_test, huge.predict_proba(X_test)[:, 1])
    incorrect(ex03.q4.check(solution["huge"], solution["precision_huge"], roc_auc), "ROC-AUC")


def test_q4_converged_solvers_are_not_rejected(split):
    """Issue 9 §2: the step constrains the optimum, not one solver run; step names are free."""
    X_train, X_test, y_train, y_test = split
    variants = [
        make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000}, tol=1e-8, max_iter=10_000)),
        make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000}, solver="newton-cholesky")),
        make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000}, solver="newton-cg")),
        Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(class_weight={0: 1.0, 1: 1000.0}))]),
    ]
    for model in variants:
        result = ex03.q4.check(*_q4_answer(model, split))
        assert result.status is Status.CORRECT, (model, result)


def _q4_answer(model, split):
    X_train, X_test, y_train, y_test = split
    model.fit(X_train, y_train)
    return (model, precision_score(y_test, model.predict(X_test)),
            average_precision_score(y_test, model.predict_proba(X_test)[:, 1]))


def test_q4_no_scaler_is_named_from_the_model(split):
    """Learner finding 1: without the scaler, precision 26/406 equals newton-cholesky's, and AP lies in the
    solvers' range, so the numbers alone were accepted. The step's model is now checked itself."""
    hn = LogisticRegression(class_weight={0: 1, 1: 1000})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the learner's exact code; unscaled lbfgs may warn
        answer = _q4_answer(hn, split)
    result = ex03.q4.check(*answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == "huge=no-scaler" and "StandardScaler" in result.message


def test_q4_liblinear_and_leaks_are_refused(split):
    """Learner finding 3: liblinear (another model: a penalised intercept) is refused here as in ex01 q8 and
    ex02 q7, although its numbers fall inside the solvers' range; a fit on the test set is named from the scaler."""
    X_train, X_test, y_train, y_test = split
    lib = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000}, solver="liblinear"))
    result = ex03.q4.check(*_q4_answer(lib, split))
    assert result.status is Status.INCORRECT and result.mistake == "huge=liblinear"
    assert "penalises the intercept" in result.message
    on_test = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1000})).fit(X_test, y_test)
    assert ex03.q4.check(on_test, 0.06, 0.5).mistake.startswith("huge=test-set")
    plain = _q4_answer(make_pipeline(StandardScaler(), LogisticRegression()), split)
    assert ex03.q4.check(*plain).mistake.startswith("huge=class-weight")


def test_q4_left_out_class_weighs_1(split):
    """Learner finding (fix0305, case 3): `class_weight={1: 1000}` gives class 0 weight 1, so it fits exactly the
    model of `{0: 1, 1: 1000}`; it was rejected with "has `class_weight={'1': 1000}`". Weights are compared per
    class, a left-out class at 1; every weight scaled alike is another model (another effective `C`), refused."""
    X_train, X_test, y_train, y_test = split
    exact = make_pipeline(StandardScaler(), LogisticRegression(class_weight={1: 1000})).fit(X_train, y_train)
    assert np.allclose(exact[-1].coef_, make_pipeline(StandardScaler(), LogisticRegression(
        class_weight={0: 1, 1: 1000})).fit(X_train, y_train)[-1].coef_, rtol=0, atol=0)
    for weights in ({1: 1000}, {1: 1000.0}, {np.int64(1): 1000, np.int64(0): 1}):
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight=weights))
        result = ex03.q4.check(*_q4_answer(model, split))
        assert result.status is Status.CORRECT, (weights, result)
    scaled = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 2, 1: 2000}))
    result = ex03.q4.check(*_q4_answer(scaled, split))
    assert result.mistake.startswith("huge=class-weight") and "`class_weight={0: 2, 1: 2000}`" in result.message


def test_q4_class_weight_keys_are_shown_as_typed(split):
    """Learner finding (fix0305, case 4): `{0: 1000, 1: 1}` was quoted as `{'0': 1000, '1': 1}`."""
    swapped = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1000, 1: 1}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no positive predicted: precision's UndefinedMetricWarning
        answer = _q4_answer(swapped, split)
    result = ex03.q4.check(*answer)
    assert result.mistake.startswith("huge=class-weight")
    assert "`class_weight={0: 1000, 1: 1}`" in result.message and "'0'" not in result.message



@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_q4_rounding_is_treated_alike_for_both_numbers(solution, digits):
    for name, value in (("precision_huge", solution["precision_huge"]), ("ap_huge", solution["ap_huge"])):
        rounded = round(value, digits)
        args = {"precision_huge": solution["precision_huge"], "ap_huge": solution["ap_huge"], name: rounded}
        result = ex03.q4.check(solution["huge"], args["precision_huge"], args["ap_huge"])
        if result.status is not Status.CORRECT:
            assert result.mistake == f"{name}=rounded", (name, digits, result)


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
    incorrect(ex03.q5.check(train_f1, solution["best_weight"]), "data each model was fitted on", "folds `cv`")
    incorrect(ex03.q5.check(np.array(solution["cv_f1"]) + 0.01, solution["best_weight"]), "`cv=cv`")


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
    incorrect(ex03.q5.check(bare, best), "without its scaler")  # CV scores do differ without it (0.028 at w=1)
    test_f1 = []
    for w in weights:
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})).fit(X_train, y_train)
        test_f1.append(f1_score(y_test, model.predict(X_test)))
    incorrect(ex03.q5.check(test_f1, best), "on the test set", "training set only")
    # The position of the best score instead of the weight.
    index = int(np.argmax(right))
    assert index != best
    # Issue 9 §3: the index (1) is also a weight of the grid: the check says it cannot tell which.
    result = incorrect(ex03.q5.check(right, index), "an index", "look the weight up", "a weight of the grid",
                       "cannot tell which")
    assert result.points == 1 and result.mistake == "best_weight=index|not-best"


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_q5_rounded_scores_say_rounded(solution, digits):
    rounded = np.round(solution["cv_f1"], digits)
    _rounded_says_rounded_or_passes(lambda: ex03.q5.check(rounded, solution["best_weight"]), rounded,
                                    np.asarray(solution["cv_f1"]), digits)



def test_shape_mistakes_get_specific_messages(solution, split):
    y_train = split[2]
    per_row = solution["balanced_weights"][y_train]  # a sample_weight, not class weights
    incorrect(ex03.q1.check(per_row), "one weight per row")
    per_fold = np.tile(np.asarray(solution["cv_f1"])[:, None], (1, 5))
    incorrect(ex03.q5.check(per_fold, solution["best_weight"]), "every fold")


# --------------------------------------------------------------------------- issue 9: alternatives and ids


@pytest.fixture(scope="module")
def series_split(split):
    """The notebook's labels are Series (the type lesson 03 used)."""
    import pandas as pd

    X_train, X_test, y_train, y_test = split
    return X_train, X_test, pd.Series(y_train, name="label"), pd.Series(y_test, name="label")


def test_q1_alternatives(series_split):
    _, _, y_train, _ = series_split
    counts = y_train.value_counts().sort_index()
    assert ex03.q1.check(len(y_train) / (2 * counts))  # a Series, as the lesson computes it
    assert ex03.q1.check(compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train))
    assert ex03.q1.check([len(y_train) / (2 * (y_train == c).sum()) for c in (0, 1)])
    assert ex03.q1.check((len(y_train) / (2 * counts))[::-1]).mistake == "swapped"


def test_q2_alternatives_and_swapped(solution, series_split):
    _, _, y_train, _ = series_split
    w0, w1 = solution["balanced_weights"]
    assert ex03.q2.check(w0 / (w0 + w1))  # the same cut, written another way
    assert ex03.q2.check(y_train.mean())
    assert ex03.q2.check(1 / (1 + w0 / w1)).mistake == "swapped"


def test_q4_by_hand(solution, split):
    X_train, X_test, y_train, y_test = split
    pred = solution["huge"].predict(X_test)
    tp, fp = int(((pred == 1) & (y_test == 1)).sum()), int(((pred == 1) & (y_test == 0)).sum())
    scores = solution["huge"].decision_function(X_test)  # same ranking as the probabilities
    assert ex03.q4.check(solution["huge"], tp / (tp + fp), average_precision_score(y_test, scores))
    assert ex03.q4.check(solution["huge"], solution["ap_huge"], solution["precision_huge"]).mistake == (
        "precision_huge=swapped; ap_huge=swapped")


def test_q5_alternatives(solution, series_split):
    from sklearn.model_selection import GridSearchCV, cross_validate

    X_train, _, y_train, _ = series_split
    weights, cv = solution["weights"], solution["cv"]
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    search = GridSearchCV(pipe, {"logisticregression__class_weight": [{0: 1, 1: w} for w in weights]},
                          scoring="f1", cv=cv).fit(X_train, y_train)
    grid_f1 = search.cv_results_["mean_test_score"]
    assert ex03.q5.check(grid_f1, search.best_params_["logisticregression__class_weight"][1])
    by_validate = [cross_validate(make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w},
                                                                                      solver="newton-cholesky")),
                                  X_train, y_train, cv=cv, scoring="f1")["test_score"].mean() for w in weights]
    assert ex03.q5.check(by_validate, weights[int(np.argmax(by_validate))])
    by_hand = []
    for w in weights:
        fold_f1 = []
        for fit_rows, score_rows in cv.split(X_train, y_train):
            model = make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w}))
            model.fit(X_train[fit_rows], y_train.iloc[fit_rows])
            fold_f1.append(f1_score(y_train.iloc[score_rows], model.predict(X_train[score_rows])))
        by_hand.append(np.mean(fold_f1))
    assert ex03.q5.check(by_hand, weights[int(np.argmax(by_hand))])


def test_q5_best_weight_follows_the_learners_own_scores(solution):
    """Issue 9 §3: a learner whose own scores make weight 1 the best is right to pick 1; it is not 'an index'."""
    own = np.array(solution["cv_f1"]) + np.array([0.2, 0, 0, 0, 0])  # wrong scores, but 1 is their best
    result = ex03.q5.check(own, 1)
    assert "`best_weight`: correct" in result.message and "index" not in result.message
    assert result.points == 1  # the scores themselves are still wrong
    # Learner pass 5: the right weight (3) is right whatever the scores beside it; before, reversed scores made 3
    # "the position of the best mean F1 (an index)", a slip the answer did not prove.
    assert "`best_weight`: correct" in ex03.q5.check(own, 3).message
    reversed_scores = ex03.q5.check(np.array(solution["cv_f1"])[::-1], 3)
    assert "`best_weight`: correct" in reversed_scores.message and "index" not in reversed_scores.message
    assert ex03.q5.check(own, 10).mistake == "best_weight=not-best"


# --------------------------------------------------------------------------- q6, transfer: ecoli4


@pytest.fixture(scope="module")
def ecoli():
    X, y = data.load_ecoli4(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    weights = [1, 3, 10, 30, 100]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = [cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})),
                              X_train, y_train, cv=cv, scoring="f1").mean() for w in weights]
    return X_train, y_train, weights, cv, scores


def test_q6_solution_and_alternatives_pass(ecoli):
    from sklearn.model_selection import GridSearchCV

    X_train, y_train, weights, cv, scores = ecoli
    assert ex03.q6.check(scores, weights[int(np.argmax(scores))])
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky")),
                          {"logisticregression__class_weight": [{0: 1, 1: w} for w in weights]},
                          scoring="f1", cv=cv).fit(X_train.to_numpy(), y_train.to_numpy())
    assert ex03.q6.check(list(search.cv_results_["mean_test_score"]),
                         search.best_params_["logisticregression__class_weight"][1])


def test_q6_mistakes(ecoli):
    X_train, y_train, weights, cv, scores = ecoli
    best = weights[int(np.argmax(scores))]
    reversed_scores = scores[::-1]  # the choice follows the learner's own scores: 30 is their best
    assert ex03.q6.check(reversed_scores, weights[int(np.argmax(reversed_scores))]).mistake == "ecoli_cv_f1=order"
    assert ex03.q6.check(100 * np.asarray(scores), best).mistake == "ecoli_cv_f1=percentage"
    assert ex03.q6.check(scores, 10).mistake == "ecoli_best_weight=balanced-weight"  # 'balanced' is about 15.8
    assert ex03.q6.check(scores, 100).mistake == "ecoli_best_weight=largest"
    index = ex03.q6.check(scores, int(np.argmax(scores)))  # 1: an index, and a weight of the grid
    assert index.mistake == "ecoli_best_weight=index|not-best" and index.points == 1
    five_folds = [cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})),
                                  X_train, y_train, cv=5, scoring="f1").mean() for w in weights]
    assert_fails(ex03.q6.check(five_folds, weights[int(np.argmax(five_folds))]), "`cv=cv`", points=1)


def test_q6_answer_states_what_the_numbers_show(ecoli):
    """The solution's answer: weight 3 best (about 0.86); 10 and 30 about 0.81 and 0.74; 2 or 3 positives a fold."""
    X_train, y_train, weights, cv, scores = ecoli
    assert weights[int(np.argmax(scores))] == 3 and round(scores[1], 2) == 0.86
    assert (round(scores[2], 2), round(scores[3], 2)) == (0.81, 0.74)
    assert int(y_train.sum()) == 14
    assert {int(y_train.iloc[rows].sum()) for _, rows in cv.split(X_train, y_train)} <= {2, 3}


def test_q5_scaling_leak_is_undetectable_and_harmless_here(split):
    """Learner finding 2: a scaler fitted on all of X outside the CV is a leak, but here it gives F1 scores
    bit-identical to the pipeline's, so no check on the scores can see it (the module docstring says so).
    This test pins that fact: if the data changed so that the leak moved a score, the check would need the
    workflow itself."""
    from sklearn.model_selection import cross_val_score as cvs

    X_train, X_test, y_train, _ = split
    X = np.vstack([X_train, X_test])
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    Xs_ = StandardScaler().fit(X).transform(X_train)
    leaky = [cvs(LogisticRegression(class_weight={0: 1, 1: wt}), Xs_, y_train, cv=cv, scoring="f1").mean()
             for wt in ex03.CV_WEIGHTS]
    right = [cvs(make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: wt})), X_train, y_train,
                 cv=cv, scoring="f1").mean() for wt in ex03.CV_WEIGHTS]
    assert leaky == right  # bit-identical: the property is not visible in what the step hands in
    assert ex03.q5.check(leaky, ex03.CV_WEIGHTS[int(np.argmax(leaky))])


def test_q6_non_numeric_string_gets_no_float_advice(ecoli):
    """Learner finding 5: `ecoli_best_weight = "balanced"` was told to convert with float(...), which raises."""
    _, _, _, _, scores = ecoli
    result = ex03.q6.check(scores, "balanced")
    assert "float(" not in result.message and "'balanced'" in result.message
    assert "float(" in ex03.q6.check(scores, "3").message  # a number in quotes: float() does convert it


def test_q6_default_folds_are_named_like_q5(ecoli):
    """Learner finding 9: cv=5 gets the exact message of q5 (unshuffled default folds), not a generic one."""
    X_train, y_train, weights, _, _ = ecoli
    five_folds = [cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: w})),
                                  X_train, y_train, cv=5, scoring="f1").mean() for w in weights]
    result = ex03.q6.check(five_folds, weights[int(np.argmax(five_folds))])
    assert result.mistake.startswith("ecoli_cv_f1=default-folds") and "default folds" in result.message
