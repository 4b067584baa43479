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
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex05
from conftest import assert_fails


pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")




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
    # Both scores swapped: each part says what it holds (the other workflow's score), which names the swap.
    result = assert_fails(ex05.q1.check(ecoli["pipeline"], ecoli["leaky"]), "That is the pipeline's score",
                          "That is the leaky score")
    assert result.points == 0
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
    # Another splitter: the settings message.
    assert_fails(ex05.q1.check(other_cv, ecoli["pipeline"]), "given `sampler`, `cv`", points=1)
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
    assert_fails(ex05.q5.check(risk_smote, risk_plain), "other model's mean risk", points=0)
    # One of them the other model's value: named as such.
    assert_fails(ex05.q5.check(risk_smote, risk_smote), "other model's mean risk", points=1)
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
    assert_fails(ex05.q6.check(unfitted), "not fitted", status=Status.UNCHECKABLE)
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
    result = assert_fails(ex05.q6.check(on_test), "fitted on `X_test`", "untouched")
    assert result.mistake == "test-set"


def test_q5_rounding_is_refused_for_both_risks_and_percentages_are_named(synthetic):
    plain, smote, X_test = synthetic["plain"], synthetic["smote"], synthetic["X_test"]
    risk_plain = plain.predict_proba(X_test)[:, 1].mean()
    risk_smote = smote.predict_proba(X_test)[:, 1].mean()
    # The one rule: 4 significant digits pass; 3 decimals of 0.0328 do not, and the check says so.
    assert ex05.q5.check(float(f"{risk_plain:.4g}"), float(f"{risk_smote:.4g}"))
    result = ex05.q5.check(round(risk_plain, 3), round(risk_smote, 3))
    assert_fails(result, "rounded to 3 decimals", points=1)
    assert result.mistake == "mean_risk_plain=rounded"
    assert_fails(ex05.q5.check(100 * risk_plain, risk_smote), "fraction between 0 and 1", points=1)
    assert_fails(ex05.q5.check(risk_plain, 100 * risk_smote), "fraction between 0 and 1", points=1)


def test_q4_names_other_smote_routes_and_refuses_rounding(synthetic):
    X_train, y_train, X_test, y_test = (synthetic[k] for k in ("X_train", "y_train", "X_test", "y_test"))

    def f1(model, X=X_train, y=y_train):
        return f1_score(y_test, model.fit(X, y).predict(X_test))

    # Without a scaler, SMOTE before the scaler inside the pipeline, and SMOTE outside it on the raw features:
    # the last two give the very same model, and all three agree within the tolerance, so the message says
    # what they share (SMOTE on unscaled features) and never claims "outside the pipeline" alone.
    no_scaler = f1(make_pipeline(SMOTE(random_state=0), LogisticRegression()))
    before_scaler = f1(make_pipeline(SMOTE(random_state=0), StandardScaler(), LogisticRegression()))
    X_res, y_res = SMOTE(random_state=0).fit_resample(X_train, y_train)
    outside = f1(make_pipeline(StandardScaler(), LogisticRegression()), X_res, y_res)
    assert before_scaler == outside
    for value in (no_scaler, before_scaler, outside):
        result = assert_fails(ex05.q4.check(value), "unscaled features", "inside your pipeline", "or it ran outside")
        assert "smote-before-scaler" in result.mistake
    seed_1 = f1(make_pipeline(StandardScaler(), SMOTE(random_state=1), LogisticRegression()))
    assert_fails(ex05.q4.check(seed_1), "another `random_state`")
    assert_fails(ex05.q4.check(round(f1(
        make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression())), 3)), "rounded to 3 decimals")


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
    # To 4 significant digits: accepted (the one rule). To 3 decimals: accepted for `pipeline_f1`; `leaky_f1` is
    # checked to 0.02 % (its workflow's accuracy lies within 0.1 % of it), and says so.
    assert ex05.q1.check(float(f"{ecoli['leaky']:.4g}"), float(f"{ecoli['pipeline']:.4g}"))
    result = ex05.q1.check(round(ecoli["leaky"], 3), round(ecoli["pipeline"], 3))
    assert_fails(result, "rounded to 3 decimals", "checked to 0.02 %", points=1)
    assert_fails(ex05.q1.check(ecoli["leaky"], round(ecoli["pipeline"], 1)), "rounded to 1 decimal", points=1)


# --------------------------------------------------------------------------- #
# q6: the rows the threshold was chosen on (issue 9)
# --------------------------------------------------------------------------- #


def _plain():
    return make_pipeline(StandardScaler(), LogisticRegression())


@pytest.fixture(scope="module")
def carved(synthetic):
    """A validation split carved from the training set, and a model fitted on the rest of it."""
    from sklearn.model_selection import train_test_split

    X_fit, X_val, y_fit, y_val = train_test_split(synthetic["X_train"], synthetic["y_train"], test_size=0.3,
                                                  stratify=synthetic["y_train"], random_state=0)
    return X_fit, X_val, y_fit, y_val, _plain().fit(X_fit, y_fit)


def test_q6_accepts_every_leak_free_workflow(synthetic, carved):
    """Cross-validation inside X_train (default, explicit splitter, one shuffle split with or without refit), or a
    threshold tuned on a validation split carved from X_train: with ``cv="prefit"`` (still supported in
    scikit-learn 1.9) or with the model wrapped in ``FrozenEstimator`` (the way CalibratedClassifierCV now takes),
    scikit-learn's or imblearn's pipeline, a scorer object."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.metrics import make_scorer
    from sklearn.pipeline import make_pipeline as sk_make_pipeline

    X_train, y_train = synthetic["X_train"], synthetic["y_train"]
    X_fit, X_val, y_fit, y_val, model = carved
    workflows = {
        "splitter": TunedThresholdClassifierCV(_plain(), scoring="f1",
                                               cv=StratifiedKFold(5, shuffle=True, random_state=3)).fit(X_train, y_train),
        "shuffle split, no refit": TunedThresholdClassifierCV(_plain(), scoring="f1", cv=0.25, refit=False,
                                                              random_state=0).fit(X_train, y_train),
        "shuffle split, refit": TunedThresholdClassifierCV(_plain(), scoring="f1", cv=0.25,
                                                           random_state=0).fit(X_train, y_train),
        "prefit on a validation split": TunedThresholdClassifierCV(model, scoring="f1", cv="prefit",
                                                                   refit=False).fit(X_val, y_val),
        "frozen, validation split": TunedThresholdClassifierCV(FrozenEstimator(model), scoring="f1").fit(X_val, y_val),
        "frozen, splitter": TunedThresholdClassifierCV(FrozenEstimator(model), scoring="f1",
                                                       cv=StratifiedKFold(3, shuffle=True, random_state=0)).fit(X_val, y_val),
        "scikit-learn's pipeline": TunedThresholdClassifierCV(
            sk_make_pipeline(StandardScaler(), LogisticRegression()), scoring="f1").fit(X_train, y_train),
        "scorer object": TunedThresholdClassifierCV(_plain(), scoring=make_scorer(f1_score)).fit(X_train, y_train),
        # "prefit on its own training rows" stood here (cv="prefit", the model fitted on all of X_train, tuned on
        # X_train). Step 6 says otherwise: the threshold is chosen by cross-validation, or on a validation split
        # with the pipeline fitted "on the rest". That workflow is now refused, named "tuned-in-sample", as the
        # course refuses a calibrator fitted on its frozen model's own rows (ex06, ex08 q2):
        # test_q6_refuses_a_threshold_tuned_on_the_model_s_own_rows.
    }
    for name, tuned in workflows.items():
        result = ex05.q6.check(tuned)
        assert result and result.points == 2, (name, result)


def test_q6_refuses_a_threshold_tuned_on_the_model_s_own_rows(synthetic, carved):
    """Learner finding (fix0305, case 2): a frozen pipeline fitted on all of X_train, its threshold tuned on X_train,
    was accepted (F1 0.355). Step 6 tunes by cross-validation, or on a validation split the pipeline was not fitted
    on. The answer proves it: the frozen scaler saw all 2,000 rows of X_train with their means, and the thresholds
    tried run between scores of training rows. cv="prefit" and a validation split carved after the fit are the same
    slip."""
    from sklearn.frozen import FrozenEstimator

    X_train, y_train = synthetic["X_train"], synthetic["y_train"]
    X_fit, X_val, y_fit, y_val, model = carved
    base = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    tuned = TunedThresholdClassifierCV(FrozenEstimator(base), scoring="f1").fit(X_train, y_train)
    for slip in (tuned,
                 TunedThresholdClassifierCV(_plain().fit(X_train, y_train), scoring="f1", cv="prefit",
                                            refit=False).fit(X_train, y_train),
                 TunedThresholdClassifierCV(FrozenEstimator(base), scoring="f1").fit(X_val, y_val)):
        result = assert_fails(ex05.q6.check(slip), "fitted on", "all 2,000 rows", "cross-validate")
        assert result.mistake == "tuned-in-sample"
    # The valid ways around it still pass: cross-validation of a fresh pipeline, a pipeline frozen after a fit
    # on the rest of X_train and tuned on the validation split.
    assert ex05.q6.check(TunedThresholdClassifierCV(_plain(), scoring="f1").fit(X_train, y_train))
    assert ex05.q6.check(TunedThresholdClassifierCV(FrozenEstimator(model), scoring="f1").fit(X_val, y_val))


def test_q6_refuses_another_model_than_the_plain_pipeline(synthetic):
    """Learner finding (fix0305, case 1): a tuned HistGradientBoosting (F1 0.593) and a tuned LogisticRegression
    without the scaler (0.351) were accepted. Step 6 tunes the plain pipeline, StandardScaler then
    LogisticRegression; its model is checked as exercises 01-03 check that pipeline (shared requirements)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X_train, y_train = synthetic["X_train"], synthetic["y_train"]
    hgb = TunedThresholdClassifierCV(HistGradientBoostingClassifier(random_state=0), scoring="f1").fit(X_train, y_train)
    result = assert_fails(ex05.q6.check(hgb), "`HistGradientBoostingClassifier`", "`StandardScaler`")
    assert result.mistake == "not-pipeline"
    bare = TunedThresholdClassifierCV(LogisticRegression(), scoring="f1").fit(X_train, y_train)
    assert assert_fails(ex05.q6.check(bare), "without the `StandardScaler`").mistake == "no-scaler"
    others = {
        "C": (make_pipeline(StandardScaler(), LogisticRegression(C=10)), "settings-changed"),
        "liblinear": (make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear")), "liblinear"),
        "extra step": (make_pipeline(StandardScaler(), StandardScaler(), LogisticRegression()), "steps"),
        "not converged": (make_pipeline(StandardScaler(), LogisticRegression(solver="sag", max_iter=2)), "not-converged"),
    }
    import warnings

    for name, (pipe, mistake) in others.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = ex05.q6.check(TunedThresholdClassifierCV(pipe, scoring="f1").fit(X_train, y_train))
        assert result.status is Status.INCORRECT and result.mistake == mistake, (name, result)


def test_q6_accepts_the_plain_pipeline_in_every_valid_form(synthetic):
    """Step names, either library's pipeline, a converged solver with any max_iter, all-1 class weights."""
    from imblearn.pipeline import Pipeline

    X_train, y_train = synthetic["X_train"], synthetic["y_train"]
    for pipe in (Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))]),
                 make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cg")),
                 make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky")),
                 make_pipeline(StandardScaler(), LogisticRegression(class_weight={0: 1, 1: 1}))):
        result = ex05.q6.check(TunedThresholdClassifierCV(pipe, scoring="f1").fit(X_train, y_train))
        assert result and result.points == 2, (pipe, result)


def test_q6_refuses_a_threshold_tuned_on_the_test_set(synthetic, carved):
    """The issue's example: the model fitted on X_train, its threshold chosen on X_test with cv="prefit"."""
    from sklearn.frozen import FrozenEstimator

    X_test, y_test = synthetic["X_test"], synthetic["y_test"]
    plain = synthetic["plain"]
    for tuned in (
        TunedThresholdClassifierCV(plain, scoring="f1", cv="prefit", refit=False).fit(X_test, y_test),
        TunedThresholdClassifierCV(FrozenEstimator(plain), scoring="f1").fit(X_test, y_test),
        TunedThresholdClassifierCV(carved[-1], scoring="f1", cv="prefit", refit=False).fit(X_test, y_test),
    ):
        result = assert_fails(ex05.q6.check(tuned), "threshold was chosen on `X_test`", "cv=\"prefit\"")
        assert result.mistake == "threshold-on-test-set"
    both = TunedThresholdClassifierCV(plain, scoring="f1", cv="prefit", refit=False).fit(
        np.vstack([synthetic["X_train"], X_test]), np.r_[synthetic["y_train"], y_test])
    assert_fails(ex05.q6.check(both), "rows of `X_test` as well as `X_train`")


def test_q6_refuses_other_rows_and_other_scores(synthetic):
    from sklearn.metrics import make_scorer, recall_score

    X_train, y_train = synthetic["X_train"], synthetic["y_train"]
    X_res, y_res = SMOTE(random_state=0).fit_resample(X_train, y_train)
    result = assert_fails(ex05.q6.check(TunedThresholdClassifierCV(_plain(), scoring="f1").fit(X_res, y_res)),
                          "more than `X_train` has")
    assert result.mistake == "too-many-rows"
    half = TunedThresholdClassifierCV(_plain(), scoring="f1").fit(X_train[:1000], y_train[:1000])
    assert_fails(ex05.q6.check(half), "fitted on 1,000 rows", "not on `X_train, y_train`")
    # The threshold chosen on SMOTE-resampled rows. A synthetic point's score lies between those of the two
    # real rows it joins, so the grid's ends are still training rows' scores and the rows are not named; the
    # threshold is then far too low, and the score on fresh data refuses it.
    prefit_res = TunedThresholdClassifierCV(synthetic["plain"], scoring="f1", cv="prefit", refit=False).fit(X_res, y_res)
    assert_fails(ex05.q6.check(prefit_res), "flags far too many cases")
    # Made-up rows, beyond the training rows' scores: named.
    shifted = TunedThresholdClassifierCV(synthetic["plain"], scoring="f1", cv="prefit", refit=False).fit(
        X_train * 1.5, y_train)
    assert_fails(ex05.q6.check(shifted), "not chosen on rows of `X_train`")
    recall = TunedThresholdClassifierCV(_plain(), scoring=make_scorer(recall_score)).fit(X_train, y_train)
    assert_fails(ex05.q6.check(recall), 'scoring="f1"')


def test_q6_explicit_thresholds_on_a_validation_split_cannot_be_checked(synthetic, carved):
    X_fit, X_val, y_fit, y_val, model = carved
    tuned = TunedThresholdClassifierCV(model, scoring="f1", cv="prefit", refit=False,
                                       thresholds=np.linspace(0.01, 0.9, 50)).fit(X_val, y_val)
    assert_fails(ex05.q6.check(tuned), "could not establish", "thresholds", status=Status.UNCHECKABLE)


# --------------------------------------------------------------------------- #
# Valid alternatives for the other questions
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("question, letter", [(ex05.q2, "a"), (ex05.q3, "b"), (ex05.q7, "b")])
def test_choices_accept_every_spelling(question, letter):
    for spelling in (letter, letter.upper(), f"({letter})", f" {letter} "):
        assert question.check(spelling), spelling


def test_q1_accepts_other_ways_of_cross_validating(ecoli):
    """cross_validate instead of cross_val_score, a named imblearn Pipeline, a hand-written loop over the splits."""
    from imblearn.pipeline import Pipeline
    from sklearn.model_selection import cross_validate

    X, y = data.load_ecoli4(return_X_y=True)
    X, y = X.to_numpy(), y.to_numpy()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)
    leaky = cross_validate(make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)), X_res, y_res, cv=cv,
                           scoring="f1")["test_score"].mean()
    pipe = Pipeline([("scale", StandardScaler()), ("sample", RandomOverSampler(random_state=0)),
                     ("knn", KNeighborsClassifier(n_neighbors=5))])
    by_hand = np.mean([f1_score(y[test], pipe.fit(X[train], y[train]).predict(X[test])) for train, test in cv.split(X, y)])
    assert ex05.q1.check(leaky, by_hand)


def test_q4_accepts_f1_computed_by_hand_and_a_named_pipeline(synthetic):
    from imblearn.pipeline import Pipeline
    from sklearn.metrics import fbeta_score

    X_test, y_test = synthetic["X_test"], synthetic["y_test"]
    named = Pipeline([("scale", StandardScaler()), ("smote", SMOTE(random_state=0)), ("lr", LogisticRegression())])
    pred = named.fit(synthetic["X_train"], synthetic["y_train"]).predict(X_test)
    tp, fp, fn = np.sum((pred == 1) & (y_test == 1)), np.sum((pred == 1) & (y_test == 0)), np.sum((pred == 0) & (y_test == 1))
    for value in (2 * tp / (2 * tp + fp + fn), fbeta_score(y_test, pred, beta=1), float(f"{f1_score(y_test, pred):.4g}")):
        assert ex05.q4.check(value), value


def test_q5_accepts_numpy_and_pandas_means(synthetic):
    import pandas as pd

    X_test = synthetic["X_test"]
    plain, smote = synthetic["plain"], synthetic["smote"]
    assert ex05.q5.check(np.mean(plain.predict_proba(X_test)[:, -1]),
                         pd.DataFrame(smote.predict_proba(X_test), columns=[0, 1])[1].mean())


# --------------------------------------------------------------------------- #
# q8: transfer to abalone19
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def abalone():
    from sklearn.model_selection import train_test_split

    X, y = data.load_abalone19(return_X_y=True)
    return train_test_split(X.drop(columns="sex"), y, test_size=0.3, stratify=y, random_state=0)


def test_q8_transfer_right_answer_and_alternatives(abalone):
    X_train, X_test, y_train, y_test = abalone
    for solver in ({}, {"solver": "newton-cholesky"}):
        model = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression(**solver)).fit(X_train, y_train)
        proba = model.predict_proba(X_test)[:, 1]
        for ratio in (proba.mean() / y_test.mean(), np.mean(proba) * len(y_test) / np.sum(y_test.to_numpy() == 1)):
            assert ex05.q8.check(ratio), (solver, ratio)
    assert 20 < ratio < 60  # the damage grows with the imbalance: far above step 5's 8.5


def test_q8_transfer_wrong_answers_are_named(abalone):
    X_train, X_test, y_train, y_test = abalone
    smote = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()).fit(X_train, y_train)
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    risk = smote.predict_proba(X_test)[:, 1].mean()
    assert ex05.q8.check(y_test.mean() / risk).mistake == "swapped"
    assert_fails(ex05.q8.check(plain.predict_proba(X_test)[:, 1].mean() / y_test.mean()), "plain model's ratio")
    assert_fails(ex05.q8.check(risk), "mean predicted risk itself")
    assert_fails(ex05.q8.check(smote.predict_proba(X_train)[:, 1].mean() / y_train.mean()), "training split")
    assert_fails(ex05.q8.check(3.0), "divide the mean")


# --------------------------------------------------------------------------- a fresh learner's answers (v9d)
# Their exact code (/work/review/learner0406_work/ex05_build.py, ex05b_build.py).


@pytest.fixture(scope="module")
def learner5():
    """The learner's variables of part 2: X_train, y_train, X_test, y_test, plain, smote_pipe."""
    X_train, y_train, X_test, y_test = ex05._synthetic()
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    smote_pipe = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()).fit(X_train, y_train)
    return X_train, y_train, X_test, y_test, plain, smote_pipe


def test_learner_q4_metric_slips_point_at_the_metric_call(learner5):
    """W1: `pos_label=0` and `average="macro"` got "Build the pipeline exactly as the step says"; the pipeline
    was right, the metric call was not: each is named."""
    from sklearn.metrics import f1_score

    X_train, y_train, X_test, y_test, plain, smote_pipe = learner5
    result = assert_fails(ex05.q4.check(f1_score(y_test, smote_pipe.predict(X_test), pos_label=0)), "class 0", "pos_label")
    assert result.mistake == "wrong-class"
    result = assert_fails(ex05.q4.check(f1_score(y_test, smote_pipe.predict(X_test), average="macro")), "macro")
    assert result.mistake == "macro-average"


def test_learner_q8_prevalence_slips_are_named():
    """W3: the prevalence of all of abalone19, and the prevalence as a percentage, got a generic restatement."""
    X_ab, y_ab = data.load_abalone19(return_X_y=True)
    X_ab = X_ab.drop(columns="sex")
    X_ab_train, X_ab_test, y_ab_train, y_ab_test = train_test_split(X_ab, y_ab, test_size=0.3, stratify=y_ab, random_state=0)
    smote_abalone = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()).fit(X_ab_train, y_ab_train)
    p = smote_abalone.predict_proba(X_ab_test)[:, 1]
    assert ex05.q8.check(p.sum() / np.sum(np.asarray(y_ab_test) == 1))
    result = assert_fails(ex05.q8.check(p.mean() / y_ab.mean()), "all of abalone19")
    assert result.mistake == "all-data"
    result = assert_fails(ex05.q8.check(p.mean() / (100 * y_ab_test.mean())), "as a percentage")
    assert result.mistake == "percentage"


def test_learner5_q8_slips_are_named_not_the_step_restated(abalone):
    """Learner pass 5: six slips got the step restated; liblinear (0.14 % off) was refused without a reason."""
    import pandas as pd

    X_train, X_test, y_train, y_test = abalone
    X_all, y_all = pd.concat([X_train, X_test]), pd.concat([y_train, y_test])

    def pipe(*steps, scale=True):
        return make_pipeline(*((StandardScaler(),) if scale else ()), *steps)

    smote = pipe(SMOTE(random_state=0), LogisticRegression()).fit(X_train, y_train)
    risk = smote.predict_proba(X_test)[:, 1].mean()
    cases = {
        "training-prevalence": risk / y_train.mean(),
        "predicted-labels": smote.predict(X_test).mean() / y_test.mean(),
        "no-scaler": pipe(SMOTE(random_state=0), LogisticRegression(max_iter=5000), scale=False).fit(X_train, y_train)
        .predict_proba(X_test)[:, 1].mean() / y_test.mean(),
        "liblinear": pipe(SMOTE(random_state=0), LogisticRegression(solver="liblinear")).fit(X_train, y_train)
        .predict_proba(X_test)[:, 1].mean() / y_test.mean(),
        "other-seed": pipe(SMOTE(random_state=1), LogisticRegression()).fit(X_train, y_train)
        .predict_proba(X_test)[:, 1].mean() / y_test.mean(),
    }
    for mistake, value in cases.items():
        assert ex05.q8.check(value).mistake == mistake, (mistake, value)
    # The pipeline fitted on all rows, and the mean risk over all rows, land within 0.1 % of each other: both named.
    on_all = pipe(SMOTE(random_state=0), LogisticRegression()).fit(X_all, y_all).predict_proba(X_test)[:, 1].mean()
    assert set(ex05.q8.check(on_all / y_test.mean()).mistake.split("|")) == {"all-rows", "test-set"}
    assert "test-set" in ex05.q8.check(smote.predict_proba(X_all)[:, 1].mean() / y_all.mean()).mistake


def test_learner_two_parts_with_one_slip_each_give_a_reason(learner5):
    """W4: when both values share one slip, the second part said only "incorrect."; now it refers to the first."""
    X_train, y_train, X_test, y_test, plain, smote_pipe = learner5
    mean_risk_plain = plain.predict_proba(X_test)[:, 1].mean()
    mean_risk_smote = smote_pipe.predict_proba(X_test)[:, 1].mean()
    for plain_value, smote_value in [
        (plain.predict_proba(X_test)[:, 0].mean(), smote_pipe.predict_proba(X_test)[:, 0].mean()),
        (100 * mean_risk_plain, 100 * mean_risk_smote),
        (plain.predict(X_test).mean(), smote_pipe.predict(X_test).mean()),
    ]:
        message = assert_fails(ex05.q5.check(plain_value, smote_value)).message
        assert not message.endswith("`mean_risk_smote`: incorrect."), message
        assert "`mean_risk_smote`: incorrect. The same slip as `mean_risk_plain`." in message
    X_ecoli, y_ecoli = data.load_ecoli4(return_X_y=True)
    leaky_f1, pipeline_f1 = ex05._ecoli_f1("leaky"), ex05._ecoli_f1("pipeline")
    message = assert_fails(ex05.q1.check(round(leaky_f1, 2), round(pipeline_f1, 2))).message
    assert "`pipeline_f1`: incorrect. The same slip as `leaky_f1`." in message


def test_learner_q6_threshold_picked_on_the_test_set_is_named(learner5):
    """W5: a threshold chosen by hand on X_test, in a FixedThresholdClassifier, got "Wrap the plain pipeline in
    TunedThresholdClassifierCV"; the check now says the test set leaked. A hand-picked threshold chosen
    elsewhere is not called a leak."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import FixedThresholdClassifier

    X_train, y_train, X_test, y_test, plain, smote_pipe = learner5
    ths = np.linspace(0.05, 0.6, 56)
    best_t = ths[np.argmax([f1_score(y_test, (plain.predict_proba(X_test)[:, 1] >= t).astype(int)) for t in ths])]
    hand = FixedThresholdClassifier(make_pipeline(StandardScaler(), LogisticRegression()), threshold=best_t).fit(X_train, y_train)
    result = assert_fails(ex05.q6.check(hand), "best one for F1 on `X_test`", "leaked")
    assert result.mistake == "threshold-on-test-set"
    elsewhere = FixedThresholdClassifier(make_pipeline(StandardScaler(), LogisticRegression()), threshold=0.5).fit(X_train, y_train)
    result = assert_fails(ex05.q6.check(elsewhere), "TunedThresholdClassifierCV")
    assert "leaked" not in result.message


def test_step_1_says_why_cv_5_is_refused():
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "solutions" / "05_pitfalls.ipynb").read_text())
    text = next("".join(c["source"]) for c in nb["cells"] if "".join(c["source"]).startswith("### Step 1"))
    assert "not `cv=5`" in text and "depend" in text
