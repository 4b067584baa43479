"""Exercise 09 and lesson 09's prompts: for every question the solution's answer passes, valid
alternatives pass, and realistic wrong answers fail with their specific message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from imblearn.ensemble import BalancedRandomForestClassifier
from scipy import stats
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from course_utils import data
from course_utils.checks import Status
from course_utils.evaluation import compare_paired, paired_cv_scores
from course_utils.exercises import ex09
from conftest import assert_fails

pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")


def forests():
    return {
        "BRF": BalancedRandomForestClassifier(n_estimators=10, random_state=0),
        "RF": RandomForestClassifier(n_estimators=10, class_weight="balanced_subsample", random_state=0),
    }


@pytest.fixture(scope="module")
def ecoli():
    return data.load_ecoli4(return_X_y=True)


@pytest.fixture(scope="module")
def scores(ecoli):
    """The solution's paired scores."""
    return paired_cv_scores(forests(), *ecoli, scoring="average_precision", n_repeats=2)


@pytest.fixture(scope="module")
def comparison(scores):
    return compare_paired(scores["BRF"], scores["RF"], n_train=scores.attrs["n_train"], n_test=scores.attrs["n_test"])


def make_machine_data(n_normal, n_faults, kind, seed):
    # The solution notebook's given code.
    rng = np.random.default_rng(seed)
    shift = {"known": [3.0, 0, 0, 0, 0, 0], "new": [0, 2.5, -2.5, 0, 0, 0]}[kind]
    X = np.vstack([rng.normal(size=(n_normal, 6)), rng.normal(size=(n_faults, 6)) + shift])
    y = np.r_[np.zeros(n_normal, dtype=int), np.ones(n_faults, dtype=int)]
    return X, y


@pytest.fixture(scope="module")
def machines():
    X_train, y_train = make_machine_data(1500, 30, "known", seed=1)
    X_test, y_test = make_machine_data(2000, 40, "new", seed=2)
    return X_train, y_train, X_test, y_test


@pytest.fixture(scope="module")
def detector(machines):
    X_train, y_train, _, _ = machines
    return LocalOutlierFactor(novelty=True).fit(X_train[y_train == 0])


def grade_as_grader(question, *answers):
    plain = json.loads(json.dumps(question.extract(*answers)))  # what the grader receives
    return question.grade(plain)


# --------------------------------------------------------------------------- #
# Lesson prompts
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name, right", [("p1", "b"), ("p2", "b"), ("p3", "b")])
def test_prompts_accept_the_measured_answer_and_explain_the_others(name, right):
    prompt = ex09.exercise.prompts[name]
    assert prompt.check(right) and prompt.points == 0
    for key in prompt.parts["my_prediction"].options:
        if key != right:
            result = prompt.check(key)
            assert result.status is Status.INCORRECT and "Run the next" in result.message, result


# --------------------------------------------------------------------------- #
# q1
# --------------------------------------------------------------------------- #


def test_q1_solution_and_spellings_pass():
    assert ex09.q1.check("b").status is Status.CORRECT
    assert ex09.q1.check(" (B) ").status is Status.CORRECT


def test_q1_wrong_answers_say_why():
    assert_fails(ex09.q1.check("a"), "AP, which barely moved")
    assert_fails(ex09.q1.check("d"), "Overfitting would show in AP")


# --------------------------------------------------------------------------- #
# q2: the fair comparison
# --------------------------------------------------------------------------- #


def test_q2_solution_passes(comparison):
    result = ex09.q2.check(comparison.mean_difference, comparison.p_value)
    assert result.status is Status.CORRECT and result.points == 2


def test_q2_same_splits_by_hand_pass(ecoli):
    # A valid alternative: the splits written out, each model scored by cross_val_score on that same list.
    X, y = ecoli
    splits = list(RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0).split(X, y))
    brf, rf = (cross_val_score(m, X, y, cv=splits, scoring="average_precision") for m in forests().values())
    by_hand = compare_paired(brf, rf, n_train=len(splits[0][0]), n_test=len(splits[0][1]))
    assert ex09.q2.check(np.mean(brf - rf), by_hand.p_value).status is Status.CORRECT


def test_q2_sign_and_one_run_are_named(scores, comparison):
    assert_fails(ex09.q2.check(-comparison.mean_difference, comparison.p_value), "weighted forest minus the balanced",
                 points=1)
    one_run = float((scores["BRF"] - scores["RF"]).iloc[:5].mean())
    assert_fails(ex09.q2.check(one_run, comparison.p_value), "first 5 splits", points=1)


def test_q2_unpaired_folds_fail(ecoli):
    # Each model on its own shuffles: the difference of the means is not the paired difference of the step.
    X, y = ecoli
    models = forests()
    brf = cross_val_score(models["BRF"], X, y, scoring="average_precision",
                          cv=RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0))
    rf = cross_val_score(models["RF"], X, y, scoring="average_precision",
                         cv=RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=1))
    assert_fails(ex09.q2.check(float(brf.mean() - rf.mean()), 0.5), "same split for both", points=0)


def test_q2_p_value_slips_are_named(scores, comparison):
    right = comparison.mean_difference
    plain_t = stats.ttest_rel(scores["BRF"], scores["RF"]).pvalue
    assert_fails(ex09.q2.check(right, plain_t), "plain paired t-test", points=1)
    one_sided = compare_paired(scores["BRF"], scores["RF"], n_train=scores.attrs["n_train"],
                               n_test=scores.attrs["n_test"], alternative="greater").p_value
    assert_fails(ex09.q2.check(right, one_sided), "one-sided", points=1)
    swapped = compare_paired(scores["BRF"], scores["RF"], n_train=scores.attrs["n_test"],
                             n_test=scores.attrs["n_train"]).p_value
    assert_fails(ex09.q2.check(right, swapped), "swapped", points=1)


def test_q2_rounded_difference_is_called_rounded(comparison):
    assert_fails(ex09.q2.check(round(comparison.mean_difference, 2), comparison.p_value), "rounded", points=1)


# --------------------------------------------------------------------------- #
# q3: the verdict follows the measurement
# --------------------------------------------------------------------------- #


def test_q3_right_answer_is_what_the_measurement_says(comparison):
    assert comparison.p_value > 0.2 and abs(comparison.mean_difference) < comparison.std_difference
    assert ex09.q3.check("b").status is Status.CORRECT


def test_q3_wrong_answers_fail():
    assert_fails(ex09.q3.check("a"), "spread of the differences")
    assert_fails(ex09.q3.check("c"), "far above 0.05")


# --------------------------------------------------------------------------- #
# q4: the detector, fitted on the normal training rows only
# --------------------------------------------------------------------------- #


def test_q4_solution_and_alternatives_pass(machines, detector):
    X_train, y_train, _, _ = machines
    assert ex09.q4.check(detector).status is Status.CORRECT
    assert grade_as_grader(ex09.q4, detector).status is Status.CORRECT
    scaled = make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True)).fit(X_train[y_train == 0])
    assert ex09.q4.check(scaled).status is Status.CORRECT
    # settings that do not change the scores, the normal rows in another order, a DataFrame of them
    assert ex09.q4.check(LocalOutlierFactor(novelty=True, algorithm="brute", contamination=0.02,
                                            metric="euclidean").fit(X_train[y_train != 1])).status is Status.CORRECT
    shuffled = X_train[y_train == 0][np.random.default_rng(0).permutation(1500)]
    assert ex09.q4.check(LocalOutlierFactor(novelty=True).fit(shuffled)).status is Status.CORRECT
    assert grade_as_grader(ex09.q4, scaled).status is Status.CORRECT


def test_q4_wrong_rows_are_named(machines):
    X_train, y_train, X_test, _ = machines
    result = assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True).fit(X_train)), "faults included")
    assert result.mistake == "all-training-rows"
    result = assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True).fit(X_test)), "the test set's rows")
    assert result.mistake == "test-set"
    result = assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True).fit(np.vstack([X_train, X_test]))),
                          "training and test rows together")
    assert result.mistake == "all-data"
    assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True).fit(X_train[y_train == 1])), "fitted on the faults")


def test_q4_wrong_detector_settings_are_named(machines):
    X_train, y_train, _, _ = machines
    assert_fails(ex09.q4.check(LocalOutlierFactor().fit(X_train[y_train == 0])), "novelty=True")
    assert_fails(ex09.q4.check(IsolationForest(random_state=0).fit(X_train[y_train == 0])), "LocalOutlierFactor")
    assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True)), "not fitted", status=Status.UNCHECKABLE)


# --------------------------------------------------------------------------- #
# q5: the detector's AP
# --------------------------------------------------------------------------- #


def test_q5_solution_and_alternatives_pass(machines, detector):
    _, _, X_test, y_test = machines
    assert ex09.q5.check(average_precision_score(y_test, -detector.score_samples(X_test))).status is Status.CORRECT
    # Any strictly decreasing function of score_samples ranks the rows the same way.
    assert ex09.q5.check(average_precision_score(y_test, -detector.decision_function(X_test))).status is Status.CORRECT
    assert ex09.q5.check(average_precision_score(y_test, np.exp(-detector.score_samples(X_test)))).status is Status.CORRECT


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler(), RobustScaler()], ids=lambda s: type(s).__name__)
def test_q5_accepts_the_scaled_detector_that_q4_accepts(machines, scaler):
    """A scaler before the detector, fitted on the normal training rows, passes step 4: its AP must pass step 5."""
    X_train, y_train, X_test, y_test = machines
    scaled = make_pipeline(scaler, LocalOutlierFactor(novelty=True)).fit(X_train[y_train == 0])
    assert ex09.q4.check(scaled).status is Status.CORRECT
    result = ex09.q5.check(average_precision_score(y_test, -scaled.score_samples(X_test)))
    assert result.status is Status.CORRECT and "behind a scaler" in result.message


def test_q5_accepts_each_valid_value_not_the_range_between_them(machines, detector):
    """learnerB910: the range from the scaled to the plain AP let 0.42 (rounded) and a detector fitted with one fault
    (0.41892) through: each valid way is right within 0.1 % of its own value only."""
    X_train, y_train, X_test, y_test = machines
    exact = average_precision_score(y_test, -detector.score_samples(X_test))
    assert assert_fails(ex09.q5.check(round(exact, 2)), "rounded").mistake == "rounded"
    one_fault = LocalOutlierFactor(novelty=True).fit(X_train[1:1501])
    assert ex09.q5.check(average_precision_score(y_test, -one_fault.score_samples(X_test))).status is Status.INCORRECT
    plain = ex09.q5.check(exact)
    assert plain.status is Status.CORRECT and "scaler" not in plain.message


def test_q5_slips_are_named(machines, detector):
    X_train, _, X_test, y_test = machines
    assert_fails(ex09.q5.check(average_precision_score(y_test, detector.score_samples(X_test))), "high for normal rows")
    assert_fails(ex09.q5.check(average_precision_score(y_test, detector.predict(X_test) == -1)), "yes/no decisions")
    assert_fails(ex09.q5.check(roc_auc_score(y_test, -detector.score_samples(X_test))), "ROC-AUC")
    assert_fails(ex09.q5.check(average_precision_score(y_test, detector.predict(X_test))), "+1 for normal")
    all_rows = LocalOutlierFactor(novelty=True).fit(X_train)
    assert_fails(ex09.q5.check(average_precision_score(y_test, -all_rows.score_samples(X_test))), "faults included")
    on_test = LocalOutlierFactor().fit(X_test)
    assert_fails(ex09.q5.check(average_precision_score(y_test, -on_test.negative_outlier_factor_)),
                 "test rows themselves")


# --------------------------------------------------------------------------- #
# q6: supervised AP, and the choice it supports
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def supervised(machines):
    X_train, y_train, _, _ = machines
    return LogisticRegression(max_iter=1000).fit(X_train, y_train)


def test_q6_solution_and_alternative_pass(machines, supervised, detector):
    _, _, X_test, y_test = machines
    supervised_ap = average_precision_score(y_test, supervised.predict_proba(X_test)[:, 1])
    assert ex09.q6.check(supervised_ap, "a").status is Status.CORRECT
    # decision_function orders the rows as predict_proba does
    by_logit = average_precision_score(y_test, supervised.decision_function(X_test))
    assert ex09.q6.check(by_logit, "a").status is Status.CORRECT
    # the right choice is what the two measurements say
    detector_ap = average_precision_score(y_test, -detector.score_samples(X_test))
    assert detector_ap > 10 * supervised_ap


def test_q6_slips_are_named(machines, supervised):
    _, _, X_test, y_test = machines
    right = average_precision_score(y_test, supervised.predict_proba(X_test)[:, 1])
    assert_fails(ex09.q6.check(average_precision_score(y_test, supervised.predict(X_test)), "a"), "0/1 predictions",
                 points=1)
    assert_fails(ex09.q6.check(roc_auc_score(y_test, supervised.predict_proba(X_test)[:, 1]), "a"), "ROC-AUC", points=1)
    assert_fails(ex09.q6.check(right, "b"), "Compare the two APs", points=1)
    assert_fails(ex09.q6.check(average_precision_score(y_test, supervised.predict_proba(X_test)[:, 0]), "a"), "column 0",
                 points=1)


# --------------------------------------------------------------------------- #
# learner910: the exact cases of the report (wrong accepted, misleading messages)
# --------------------------------------------------------------------------- #


def test_q4_compares_the_fitted_rows_not_their_count(machines):
    """learner910 A1/C1: 1500 rows that are not exactly the normal training rows were accepted with "no fault,
    no test row"."""
    X_train, y_train, X_test, y_test = machines
    result = assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True).fit(X_train[1:1501])), "1 training fault")
    assert result.mistake == "faults-included"
    result = assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True).fit(X_test[:1500])), "1500 rows of the test set")
    assert result.mistake == "test-rows"
    rng = np.random.default_rng(0)
    pool = np.vstack([X_train[y_train == 0], X_test[y_test == 0]])
    mixed = LocalOutlierFactor(novelty=True).fit(pool[rng.choice(len(pool), 1500, replace=False)])
    assert assert_fails(ex09.q4.check(mixed), "rows of the test set").mistake == "test-rows"
    scaled_on_test = StandardScaler().fit(X_test)
    foreign = LocalOutlierFactor(novelty=True).fit(scaled_on_test.transform(X_train[y_train == 0]))
    assert assert_fails(ex09.q4.check(foreign), "neither set").mistake == "other-rows"
    twice = LocalOutlierFactor(novelty=True).fit(np.vstack([X_train[y_train == 0]] * 2))
    assert assert_fails(ex09.q4.check(twice), "repeated").mistake == "repeated-rows"
    # the same verdicts from the plain data the grader receives
    assert grade_as_grader(ex09.q4, mixed).mistake == "test-rows"


def test_q4_pipeline_steps_must_be_fitted_on_the_normal_training_rows(machines):
    X_train, y_train, X_test, _ = machines
    on_test = make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True)).fit(X_test[:1500])
    assert assert_fails(ex09.q4.check(on_test), "test set").mistake == "test-rows"
    refitted = make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True)).fit(X_train[y_train == 0])
    refitted.steps[0][1].fit(X_test)  # the scaler refitted on other rows after the detector was fitted
    assert assert_fails(ex09.q4.check(refitted), "not fitted on the training set's normal rows").mistake == \
        "steps-fitted-on-other-rows"


def test_q4_default_settings_are_required(machines):
    """learner910 A2/D1: n_neighbors=5 was accepted although the step says default settings."""
    X_train, y_train, _, _ = machines
    result = assert_fails(ex09.q4.check(LocalOutlierFactor(novelty=True, n_neighbors=5).fit(X_train[y_train == 0])),
                          "n_neighbors=5")
    assert result.mistake == "not-default-settings"
    manhattan = LocalOutlierFactor(novelty=True, metric="manhattan").fit(X_train[y_train == 0])
    assert assert_fails(ex09.q4.check(manhattan), "metric").mistake == "not-default-settings"


def test_q5_does_not_claim_the_learner_used_the_step_4_detector(machines):
    """learner910 C2: the AP of a non-default detector was answered "with the detector of step 4"."""
    X_train, y_train, X_test, y_test = machines
    five = LocalOutlierFactor(novelty=True, n_neighbors=5).fit(X_train[y_train == 0])
    result = assert_fails(ex09.q5.check(average_precision_score(y_test, -five.score_samples(X_test))),
                          "If step 4's check does not pass")
    assert "with the detector of step 4" not in result.message


def test_q5_more_slips_are_named(machines, detector):
    X_train, y_train, X_test, y_test = machines
    score = -detector.score_samples(X_test)
    result = assert_fails(ex09.q5.check(average_precision_score(y_train, -detector.score_samples(X_train))),
                          "training set")
    assert result.mistake == "training-set"
    assert assert_fails(ex09.q5.check(average_precision_score(y_test, score, pos_label=0)),
                        "pos_label").mistake == "pos-label-0"
    assert assert_fails(ex09.q5.check(100 * average_precision_score(y_test, score)), "percentage").mistake == \
        "percentage"
    on_test_normals = LocalOutlierFactor(novelty=True).fit(X_test[y_test == 0])
    assert assert_fails(ex09.q5.check(average_precision_score(y_test, -on_test_normals.score_samples(X_test))),
                        "test set's normal rows").mistake == "test-normals"


def test_q2_rounded_p_value_is_named_and_the_band_is_the_real_splits(scores, comparison, ecoli):
    """learner910 A6: p = 0.42 (exact 0.41721) was accepted through the band's 0.1 % margin."""
    right = comparison.mean_difference
    result = assert_fails(ex09.q2.check(right, 0.42), "rounded to 2 decimals", points=1)
    assert result.mistake == "ap_p_value=rounded"
    assert ex09.q2.check(right, 0.4172).status is Status.CORRECT  # 4 significant digits
    assert ex09.q2.check(right, 0.417).status is Status.CORRECT  # within 0.1 % of the exact value
    # one real split's sizes are fair; the band is exactly what the real splits give
    X, y = ecoli
    sizes = {(len(tr), len(te)) for tr, te in RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0).split(X, y)}
    assert set(ex09._split_sizes()) == sizes
    for n_train, n_test in sizes:
        p = compare_paired(scores["BRF"], scores["RF"], n_train=n_train, n_test=n_test).p_value
        assert ex09.q2.check(right, p).status is Status.CORRECT


def test_q2_one_sided_less_percentage_and_t_statistic_are_named(scores, comparison):
    """learner910 C3: alternative="less" got the generic "pass ... to compare_paired"."""
    right = comparison.mean_difference
    options = {"n_train": scores.attrs["n_train"], "n_test": scores.attrs["n_test"]}
    less = compare_paired(scores["BRF"], scores["RF"], alternative="less", **options).p_value
    result = assert_fails(ex09.q2.check(right, less), "two-sided", points=1)
    assert result.mistake == "ap_p_value=one-sided"
    assert assert_fails(ex09.q2.check(right, 41.7), "percentage", points=1).mistake == "ap_p_value=percentage"
    assert assert_fails(ex09.q2.check(right, comparison.t_statistic), "t statistic",
                        points=1).mistake == "ap_p_value=t-statistic"
    assert assert_fails(ex09.q2.check(100 * right, comparison.p_value), "percentage points",
                        points=1).mistake == "ap_difference=percentage"


def test_q6_training_set_and_test_fit_are_named(machines, supervised):
    X_train, y_train, X_test, y_test = machines
    on_train = average_precision_score(y_train, supervised.predict_proba(X_train)[:, 1])
    assert "training-set" in assert_fails(ex09.q6.check(on_train, "b"), "training set").mistake
    fitted_on_test = LogisticRegression(max_iter=1000).fit(X_test, y_test)
    ap = average_precision_score(y_test, fitted_on_test.predict_proba(X_test)[:, 1])
    assert "fitted-on-test-set" in assert_fails(ex09.q6.check(ap, "b"), "fitted on the test set").mistake


def test_q5_q6_other_areas_and_the_wrong_class_are_named():
    # learnerC910: the wrong class as positive got the generic message; the trapezoid-rule area is declared once in
    # checks (ex02, ex07 and here).
    assert ex09.q5.check(ex09._trapezoid(ex09._detector_scores())).mistake == "trapezoid"
    assert ex09.q5.check(ex09._ap_of_normals_by_normality()).mistake == "wrong-class"
    assert ex09.q6.check(ex09._trapezoid(ex09._supervised_proba()), "a").mistake == "supervised_ap=trapezoid"


def test_q6_a_standardised_logistic_regression_is_accepted():
    # learnerC910: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)) gave 0.02466 against 0.02424
    # and was refused with the step restated; it is the course's usual scaled model, measured the step's way.
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (X_train, y_train), (X_test, y_test) = ex09._machines()
    scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    ap = average_precision_score(y_test, scaled.predict_proba(X_test)[:, 1])
    result = ex09.q6.check(ap, "a")
    assert result.status is Status.CORRECT and "StandardScaler" in result.message
    assert ex09.q6.check(round(ap, 3), "a").status is not Status.CORRECT  # its own value, not a range
