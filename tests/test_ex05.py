"""Exercise 05 and lesson 05's prompts: the solution's answer passes, realistic wrong answers fail
with their specific message, the held-out check is stable across seeds, and every check is fast."""

from __future__ import annotations

import json

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex05
from conftest import assert_fails




# --------------------------------------------------------------------------- #
# Answers computed here the way a learner would, following the notebook's steps.
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def ecoli():
    X, y = data.load_ecoli4(return_X_y=True)
    X, y = X.to_numpy(), y.to_numpy()
    sampler = RandomOverSampler(random_state=0)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)

    def score(model, X_, y_):
        return cross_val_score(model, X_, y_, cv=cv, scoring="f1").mean()

    X_res, y_res = sampler.fit_resample(X, y)
    knn = lambda *steps: make_pipeline(*steps, KNeighborsClassifier(n_neighbors=5))  # noqa: E731
    return {
        "leaky": score(knn(StandardScaler()), X_res, y_res),
        "leaky_unscaled": score(knn(), X_res, y_res),
        "pipeline": score(knn(StandardScaler(), sampler), X, y),
        "sampler_first": score(knn(sampler, StandardScaler()), X, y),
        "plain": score(knn(StandardScaler()), X, y),
    }


@pytest.fixture(scope="module")
def synthetic():
    problem = dict(imbalance_ratio=30, class_sep=0.7, random_state=6)
    X_train, y_train = data.make_imbalanced(n_samples=2000, **problem)
    X_test, y_test = data.make_imbalanced(n_samples=20_000, draw=1, **problem)
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    smote = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()).fit(X_train, y_train)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test, "plain": plain, "smote": smote}


def _tuned(synthetic, *steps, **kwargs):
    model = make_pipeline(*(steps or (StandardScaler(),)), LogisticRegression(**kwargs.pop("lr", {})))
    return TunedThresholdClassifierCV(model, **kwargs).fit(synthetic["X_train"], synthetic["y_train"])


@pytest.fixture(scope="module")
def tuned(synthetic):
    return _tuned(synthetic, scoring="f1")


# --------------------------------------------------------------------------- #
# Lesson prompts
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name, right", [("p1", "c"), ("p2", "b"), ("p3", "b"), ("p4", "b")])
def test_prompts_accept_the_measured_answer_and_explain_the_others(name, right):
    prompt = ex05.exercise.prompts[name]
    assert prompt.check(right) and prompt.points == 0
    for key in prompt.parts["my_prediction"].options:
        if key != right:
            result = prompt.check(key)
            assert result.status is Status.INCORRECT and "Run the next" in result.message, result


# --------------------------------------------------------------------------- #
# q1: leaky and leak-free CV scores on ecoli4
# --------------------------------------------------------------------------- #


def test_q1_solution_passes(ecoli):
    result = ex05.q1.check(ecoli["leaky"], ecoli["pipeline"])
    assert result and result.points == 2
    assert ecoli["leaky"] > ecoli["pipeline"] + 0.15  # the exercise shows a real gap


def test_q1_wrong_answers(ecoli):
    # Both scores swapped: each part says which workflow that number belongs to.
    assert_fails(ex05.q1.check(ecoli["pipeline"], ecoli["leaky"]), "pipeline's score", "leaky score")
    # Right leaky score; the "pipeline" forgot the sampler, or put it first, or dropped the scaler.
    assert_fails(ex05.q1.check(ecoli["leaky"], ecoli["plain"]), "without any resampling", points=1)
    assert_fails(ex05.q1.check(ecoli["leaky"], ecoli["sampler_first"]), "resamples before scaling", points=1)
    # Leaky workflow without the scaler, and a percentage.
    assert_fails(ex05.q1.check(ecoli["leaky_unscaled"], ecoli["pipeline"]), "no scaler", points=1)
    assert_fails(ex05.q1.check(100 * ecoli["leaky"], ecoli["pipeline"]), "percentage", points=1)
    # The default score (accuracy) instead of F1; another splitter than the given `cv`.
    X, y = data.load_ecoli4(return_X_y=True)
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X.to_numpy(), y.to_numpy())
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
    accuracy = cross_val_score(knn, X_res, y_res, cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0)).mean()
    assert_fails(ex05.q1.check(accuracy, ecoli["pipeline"]), "accuracy", 'scoring="f1"', points=1)
    other_cv = cross_val_score(knn, X_res, y_res, cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=1),
                               scoring="f1").mean()
    # Within 1 % of the right value: the shared near-miss message.
    assert_fails(ex05.q1.check(other_cv, ecoli["pipeline"]), "outside the tolerance", "settings the step asks for",
                 points=1)
    # Far from it: the settings message.
    assert_fails(ex05.q1.check(0.5, ecoli["pipeline"]), "given `sampler`, `cv`", points=1)


# --------------------------------------------------------------------------- #
# q2, q3, q7: concept questions
# --------------------------------------------------------------------------- #


def test_q2_recall_cause():
    assert ex05.q2.check("a")
    assert_fails(ex05.q2.check("b"), "inflates precision")
    assert_fails(ex05.q2.check("c"), "no new information")


def test_q3_noise_remedy():
    assert ex05.q3.check("b")
    assert_fails(ex05.q3.check("a"), "farther neighbours")
    assert_fails(ex05.q3.check("c"), "copies the mislabelled points")
    assert_fails(ex05.q3.check("d"), "multiplies the noise")


def test_q7_verdict():
    assert ex05.q7.check("b")
    assert_fails(ex05.q7.check("a"), "SMOTE was lower")
    assert_fails(ex05.q7.check("c"), "far above")


# --------------------------------------------------------------------------- #
# q4, q5: SMOTE's F1 and the calibration damage
# --------------------------------------------------------------------------- #


def test_q4_solution_passes_and_wrong_answers(synthetic):
    X_train, y_train, X_test, y_test = (synthetic[k] for k in ("X_train", "y_train", "X_test", "y_test"))
    assert ex05.q4.check(f1_score(y_test, synthetic["smote"].predict(X_test)))
    assert_fails(ex05.q4.check(f1_score(y_test, synthetic["plain"].predict(X_test))), "plain model's F1")
    assert_fails(ex05.q4.check(f1_score(y_train, synthetic["smote"].predict(X_train))), "training set")
    ros = make_pipeline(StandardScaler(), RandomOverSampler(random_state=0), LogisticRegression()).fit(X_train, y_train)
    assert_fails(ex05.q4.check(f1_score(y_test, ros.predict(X_test))), "exactly as the step says")


def test_q5_solution_passes_and_wrong_answers(synthetic):
    plain, smote, X_test, X_train = synthetic["plain"], synthetic["smote"], synthetic["X_test"], synthetic["X_train"]
    risk_plain = plain.predict_proba(X_test)[:, 1].mean()
    risk_smote = smote.predict_proba(X_test)[:, 1].mean()
    assert ex05.q5.check(risk_plain, risk_smote)
    assert risk_smote > 5 * risk_plain  # the damage the step is about
    # predict() instead of predict_proba(); the class-0 column; the training set; the models swapped.
    assert_fails(ex05.q5.check(risk_plain, smote.predict(X_test).mean()), "share of cases predicted positive", points=1)
    assert_fails(ex05.q5.check(risk_plain, smote.predict_proba(X_test)[:, 0].mean()), "class 0", points=1)
    assert_fails(ex05.q5.check(plain.predict_proba(X_train)[:, 1].mean(), risk_smote), "training set", points=1)
    assert_fails(ex05.q5.check(risk_smote, risk_plain), "other model's mean risk")
    assert_fails(ex05.q5.check(synthetic["y_test"].mean(), risk_smote), "prevalence", points=1)
    assert_fails(ex05.q5.check(plain.predict_proba(X_test).mean(), risk_smote), "always 0.5", points=1)


# --------------------------------------------------------------------------- #
# q6: the tuned threshold, scored on fresh data
# --------------------------------------------------------------------------- #


def test_q6_solution_passes(tuned):
    result = ex05.q6.check(tuned)
    assert result and "F1 on unseen data" in result.message


@pytest.mark.parametrize("seed", [0, 1, 7, 123, 20240601])
def test_q6_solution_passes_for_any_grading_seed(tuned, seed):
    data_ = ex05.q6.extract(tuned, seed=seed)
    assert ex05.q6.grade(json.loads(json.dumps(data_)), seed=seed).status is Status.CORRECT


def test_q6_wrong_answers(synthetic):
    plain, smote = synthetic["plain"], synthetic["smote"]
    assert_fails(ex05.q6.check(plain), "TunedThresholdClassifierCV")
    assert_fails(ex05.q6.check(_tuned(synthetic, StandardScaler(), SMOTE(random_state=0), scoring="f1")), "without SMOTE")
    assert_fails(ex05.q6.check(_tuned(synthetic, scoring="f1", lr={"class_weight": "balanced"})), "without class weights")
    assert_fails(ex05.q6.check(_tuned(synthetic, cv=3)), "balanced accuracy", 'scoring="f1"')
    unfitted = TunedThresholdClassifierCV(make_pipeline(StandardScaler(), LogisticRegression()), scoring="f1")
    assert_fails(ex05.q6.check(unfitted), "not fitted")
    assert smote is not None


def test_q6_threshold_tuning_beats_both_untuned_models(synthetic, tuned):
    """The exercise's story holds on fresh data: SMOTE < plain < tuned threshold for F1."""
    X, y = data.make_imbalanced(n_samples=50_000, draw=77, imbalance_ratio=30, class_sep=0.7, random_state=6)
    f1 = {name: f1_score(y, model.predict(X)) for name, model in
          [("plain", synthetic["plain"]), ("smote", synthetic["smote"]), ("tuned", tuned)]}
    assert f1["smote"] < f1["plain"] < f1["tuned"] - 0.08, f1


# --------------------------------------------------------------------------- #
# Speed
# --------------------------------------------------------------------------- #


# --------------------------------------------------------------------------- #
# After a learner's run: one relative tolerance, rounding refused alike, more routes named
# --------------------------------------------------------------------------- #


def test_q6_refuses_a_model_fitted_on_the_test_set(synthetic):
    on_test = TunedThresholdClassifierCV(make_pipeline(StandardScaler(), LogisticRegression()), scoring="f1")
    on_test.fit(synthetic["X_test"], synthetic["y_test"])
    assert_fails(ex05.q6.check(on_test), "fitted on 20,000 rows", "X_train, y_train", "2,000 rows")


def test_q5_rounding_is_refused_for_both_risks_and_percentages_are_named(synthetic):
    plain, smote, X_test = synthetic["plain"], synthetic["smote"], synthetic["X_test"]
    risk_plain = plain.predict_proba(X_test)[:, 1].mean()
    risk_smote = smote.predict_proba(X_test)[:, 1].mean()
    result = ex05.q5.check(round(risk_plain, 3), round(risk_smote, 3))
    assert_fails(result, "0.033 looks rounded", "0.276 looks rounded")
    assert_fails(ex05.q5.check(100 * risk_plain, risk_smote), "fraction between 0 and 1", points=1)
    assert_fails(ex05.q5.check(risk_plain, 100 * risk_smote), "fraction between 0 and 1", points=1)


def test_q4_names_other_smote_routes_and_refuses_rounding(synthetic):
    X_train, y_train, X_test, y_test = (synthetic[k] for k in ("X_train", "y_train", "X_test", "y_test"))

    def f1(model, X=X_train, y=y_train):
        return f1_score(y_test, model.fit(X, y).predict(X_test))

    assert_fails(ex05.q4.check(f1(make_pipeline(SMOTE(random_state=0), LogisticRegression()))), "no scaler")
    X_res, y_res = SMOTE(random_state=0).fit_resample(X_train, y_train)
    assert_fails(ex05.q4.check(f1(make_pipeline(StandardScaler(), LogisticRegression()), X_res, y_res)),
                 "outside the pipeline", "unscaled")
    seed_1 = f1(make_pipeline(StandardScaler(), SMOTE(random_state=1), LogisticRegression()))
    assert_fails(ex05.q4.check(seed_1), "another `random_state`")
    assert_fails(ex05.q4.check(round(f1(
        make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression())), 3)), "looks rounded")


def test_q1_names_a_single_split_and_cv5_and_refuses_rounding(ecoli):
    X, y = data.load_ecoli4(return_X_y=True)
    X, y = X.to_numpy(), y.to_numpy()
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)
    from sklearn.model_selection import train_test_split

    X_tr, X_te, y_tr, y_te = train_test_split(X_res, y_res, test_size=0.3, stratify=y_res, random_state=0)
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
    single_split = f1_score(y_te, knn.fit(X_tr, y_tr).predict(X_te))
    assert_fails(ex05.q1.check(single_split, ecoli["pipeline"]), "single `train_test_split`", points=1)
    leaky_cv5 = cross_val_score(knn, X_res, y_res, cv=5, scoring="f1").mean()
    assert_fails(ex05.q1.check(leaky_cv5, ecoli["pipeline"]), "`cv=5`", points=1)
    pipe = make_pipeline(StandardScaler(), RandomOverSampler(random_state=0), KNeighborsClassifier(n_neighbors=5))
    assert_fails(ex05.q1.check(ecoli["leaky"], cross_val_score(pipe, X, y, cv=5, scoring="f1").mean()), "`cv=5`",
                 points=1)
    assert_fails(ex05.q1.check(round(ecoli["leaky"], 3), round(ecoli["pipeline"], 3)), "looks rounded")
