"""Exercise 08 and lesson 08's prompts: for every question the solution's answer passes, valid
alternatives pass, and realistic wrong answers fail with their specific message; the held-out checks
hold for several grading seeds (through the grader's plain-data route)."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer, precision_score, recall_score
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV, train_test_split
from sklearn.preprocessing import StandardScaler

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex08
from conftest import assert_fails

pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")

PROBLEM = dict(imbalance_ratio=24, class_sep=1.0, random_state=21)
C_FN, C_FP = 8, 2


def smote_pipeline():
    return make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression(max_iter=1000))


@pytest.fixture(scope="module")
def train():
    return data.make_imbalanced(n_samples=4000, **PROBLEM)


@pytest.fixture(scope="module")
def smote_model(train):
    return smote_pipeline().fit(*train)


@pytest.fixture(scope="module")
def repaired(train, smote_model):
    """The solution's repair."""
    return CalibratedClassifierCV(smote_model, method="sigmoid", cv=5).fit(*train)


@pytest.fixture(scope="module")
def plain(train):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(*train)


def grade_as_grader(question, answer, seed):
    plain_data = json.loads(json.dumps(question.extract(answer, seed=seed)))  # what the grader receives
    return question.grade(plain_data, seed=seed)


# --------------------------------------------------------------------------- #
# Lesson prompts
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name, right", [("p1", "b"), ("p2", "b"), ("p3", "b"), ("p4", "a")])
def test_prompts_accept_the_measured_answer_and_explain_the_others(name, right):
    prompt = ex08.exercise.prompts[name]
    assert prompt.check(right) and prompt.points == 0
    for key in prompt.parts["my_prediction"].options:
        if key != right:
            result = prompt.check(key)
            assert result.status is Status.INCORRECT and "Run the next" in result.message, result


# --------------------------------------------------------------------------- #
# q1: prior correction on probe inputs
# --------------------------------------------------------------------------- #


def solution_prior_correct(proba, train_prevalence, true_prevalence):
    odds = proba / (1 - proba)
    ratio = (true_prevalence / (1 - true_prevalence)) / (train_prevalence / (1 - train_prevalence))
    return odds * ratio / (1 + odds * ratio)


def test_q1_solution_and_valid_alternatives_pass():
    assert ex08.q1.check(solution_prior_correct).points == 2

    def by_logit_shift(proba, train_prevalence, true_prevalence):  # the same correction on the logit scale
        shift = logit(true_prevalence) - logit(train_prevalence)
        return expit(logit(np.asarray(proba)) + shift)

    def bayes_form(proba, train_prevalence, true_prevalence):  # p' = r p / (r p + 1 - p)
        r = (true_prevalence / (1 - true_prevalence)) * ((1 - train_prevalence) / train_prevalence)
        return [r * p / (r * p + 1 - p) for p in proba]

    def weights_form(proba, train_prevalence, true_prevalence):  # Elkan's class-weighted form
        a = true_prevalence / train_prevalence
        b = (1 - true_prevalence) / (1 - train_prevalence)
        return pd.Series(a * proba / (a * proba + b * (1 - proba)))

    for alternative in (by_logit_shift, bayes_form, weights_form):
        assert ex08.q1.check(alternative), alternative.__name__


def test_q1_wrong_formulas_are_named():
    def swapped(proba, train_prevalence, true_prevalence):
        return solution_prior_correct(proba, true_prevalence, train_prevalence)

    def multiplies_probabilities(proba, train_prevalence, true_prevalence):
        return proba * true_prevalence / train_prevalence

    def ratio_of_prevalences_on_odds(proba, train_prevalence, true_prevalence):
        odds = proba / (1 - proba) * true_prevalence / train_prevalence
        return odds / (1 + odds)

    def returns_odds(proba, train_prevalence, true_prevalence):
        return proba / (1 - proba) * (true_prevalence / (1 - true_prevalence)) / (train_prevalence / (1 - train_prevalence))

    def unchanged(proba, train_prevalence, true_prevalence):
        return proba

    def forgets_return(proba, train_prevalence, true_prevalence):
        solution_prior_correct(proba, train_prevalence, true_prevalence)

    def one_number(proba, train_prevalence, true_prevalence):
        return float(np.mean(solution_prior_correct(proba, train_prevalence, true_prevalence)))

    assert_fails(ex08.q1.check(swapped), "swapped the two prevalences")
    assert_fails(ex08.q1.check(multiplies_probabilities), "multiplied the probabilities", "**odds**")
    assert_fails(ex08.q1.check(ratio_of_prevalences_on_odds), "prior **odds**", "not pi / pi_s")
    assert_fails(ex08.q1.check(returns_odds), "returns the corrected **odds**")
    assert_fails(ex08.q1.check(unchanged), "unchanged, although the two prevalences differ")
    assert_fails(ex08.q1.check(forgets_return), "returns `None`")
    assert_fails(ex08.q1.check(one_number), "one corrected probability per input")
    assert ex08.q1.check(solution_prior_correct(np.array([0.5]), 0.5, 0.1)).status is Status.UNCHECKABLE


# --------------------------------------------------------------------------- #
# q2: repaired probabilities, judged on fresh data
# --------------------------------------------------------------------------- #


class TwiceCorrected(ClassifierMixin, BaseEstimator):
    """A realistic slip: the prior correction applied to probabilities that were already calibrated."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.fitted_ = True
        return self

    def predict_proba(self, X):
        p = solution_prior_correct(self.estimator.predict_proba(X)[:, 1], 0.5, 0.04)
        return np.column_stack([1 - p, p])


def test_q2_solution_passes_for_several_grading_seeds(repaired):
    assert ex08.q2.check(repaired).points == 2
    for seed in (1, 7, 123):
        assert grade_as_grader(ex08.q2, repaired, seed).status is Status.CORRECT, seed


def test_q2_other_repairs_pass(train, smote_model):
    X, y = train
    assert ex08.q2.check(CalibratedClassifierCV(smote_pipeline(), method="sigmoid", cv=10).fit(X, y))
    assert ex08.q2.check(CalibratedClassifierCV(smote_pipeline(), cv=2).fit(X, y))  # the default method is sigmoid
    X_fit, X_cal, y_fit, y_cal = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    held_out = CalibratedClassifierCV(FrozenEstimator(smote_pipeline().fit(X_fit, y_fit)), method="sigmoid")
    assert ex08.q2.check(held_out.fit(X_cal, y_cal))
    assert ex08.q2.check(CalibratedClassifierCV(smote_model, method="sigmoid", cv=3, ensemble=False).fit(X, y))


def test_q2_wrong_answers(train, smote_model, repaired, plain):
    X, y = train
    assert_fails(ex08.q2.check(smote_model), "still inflated", "not repaired")
    X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)
    on_resampled = CalibratedClassifierCV(smote_pipeline(), method="sigmoid", cv=3).fit(X_res, y_res)
    assert_fails(ex08.q2.check(on_resampled), "still inflated", "not resampled")
    assert_fails(ex08.q2.check(TwiceCorrected(repaired).fit(X, y)), "too *low*", "applied twice")
    assert_fails(ex08.q2.check(plain), "no SMOTE step", "rather than replacing it")
    assert_fails(ex08.q2.check(CalibratedClassifierCV(smote_pipeline(), method="sigmoid")), "not fitted",
                 status=Status.UNCHECKABLE)


# --------------------------------------------------------------------------- #
# q3: costs to a threshold and a weight
# --------------------------------------------------------------------------- #


def test_q3_solution_and_equivalent_forms():
    assert ex08.q3.check(C_FP / (C_FP + C_FN), C_FN / C_FP).points == 1
    assert ex08.q3.check(np.float64(0.2), Fraction(8, 2))
    assert ex08.q3.check(1 / (1 + C_FN / C_FP), 4)


def test_q3_wrong_answers():
    right_weight = C_FN / C_FP
    assert_fails(ex08.q3.check(C_FP / C_FN, right_weight), "C_FP / C_FN", points=0.5)
    assert_fails(ex08.q3.check(1 / (1 + C_FN), right_weight), "assumes a false alarm costs 1", points=0.5)
    assert_fails(ex08.q3.check(C_FN / (C_FP + C_FN), right_weight), "other way round", points=0.5)
    assert_fails(ex08.q3.check(0.5, right_weight), "both mistakes cost the same", points=0.5)
    assert_fails(ex08.q3.check(20, right_weight), "between 0 and 1", points=0.5)
    right_threshold = C_FP / (C_FP + C_FN)
    assert_fails(ex08.q3.check(right_threshold, C_FP / C_FN), "weigh *more*", points=0.5)
    assert_fails(ex08.q3.check(right_threshold, C_FN), "C_FN alone", points=0.5)
    assert_fails(ex08.q3.check(right_threshold, C_FN / (C_FP + C_FN)), "not a weight", points=0.5)


# --------------------------------------------------------------------------- #
# q4: the alert policy under a budget
# --------------------------------------------------------------------------- #


def solution_top_k(risk, k):
    order = np.argsort(-np.asarray(risk), kind="stable")
    flags = np.zeros(len(risk), dtype=int)
    flags[order[:k]] = 1
    return flags


def test_q4_solution_and_valid_alternatives_pass():
    assert ex08.q4.check(solution_top_k).points == 2

    def with_argpartition(risk, k):
        risk = np.asarray(risk)
        flags = np.zeros(len(risk), dtype=bool)
        if k >= len(risk):
            return ~flags
        if k > 0:
            flags[np.argpartition(-risk, k - 1)[:k]] = True
        return flags

    def with_pandas_rank(risk, k):
        return (pd.Series(risk).rank(ascending=False, method="first") <= k).astype(int).to_numpy()

    def as_list(risk, k):
        chosen = set(sorted(range(len(risk)), key=lambda i: -risk[i])[:k])
        return [1 if i in chosen else 0 for i in range(len(risk))]

    for alternative in (with_argpartition, with_pandas_rank, as_list):
        assert ex08.q4.check(alternative), alternative.__name__


def test_q4_wrong_answers():
    def threshold_at_kth(risk, k):
        risk = np.asarray(risk)
        if k == 0:
            return np.zeros(len(risk), dtype=int)
        kth = np.sort(risk)[::-1][min(k, len(risk)) - 1]
        return (risk >= kth).astype(int)

    def positions(risk, k):
        return np.argsort(-np.asarray(risk))[:k]

    def lowest(risk, k):
        flags = np.zeros(len(risk), dtype=int)
        flags[np.argsort(np.asarray(risk))[:k]] = 1
        return flags

    def one_too_many(risk, k):
        flags = np.zeros(len(risk), dtype=int)
        flags[np.argsort(-np.asarray(risk))[: k + 1]] = 1
        return flags

    def scores_not_flags(risk, k):
        return np.asarray(risk) * solution_top_k(risk, k)

    assert_fails(ex08.q4.check(threshold_at_kth), "ties at the k-th highest risk", "exactly k")
    assert_fails(ex08.q4.check(positions), "*positions*", "mask")
    assert_fails(ex08.q4.check(lowest), "*lowest* risks")
    assert_fails(ex08.q4.check(one_too_many), "the budget is exactly 5")
    assert_fails(ex08.q4.check(scores_not_flags), "values other than 0 and 1")


# --------------------------------------------------------------------------- #
# q5: precision and recall under the budget
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def day(smote_model):
    X_day, y_day = data.make_imbalanced(n_samples=1000, draw=7, **PROBLEM)
    flags = solution_top_k(smote_model.predict_proba(X_day)[:, 1], 25)
    return y_day, flags


def test_q5_solution_and_sklearn_route_pass(day):
    y_day, flags = day
    found = y_day[flags == 1].sum()
    assert ex08.q5.check(found / 25, found / y_day.sum()).points == 1
    assert ex08.q5.check(precision_score(y_day, flags), recall_score(y_day, flags))


def test_q5_wrong_answers(day):
    y_day, flags = day
    precision, recall = precision_score(y_day, flags), recall_score(y_day, flags)
    # each part names what it holds instead (issue 9: the message says which slip each value is)
    assert_fails(ex08.q5.check(recall, precision), "That is the recall", "That is the precision")
    assert_fails(ex08.q5.check(recall, recall), "That is the recall", points=0.5)
    assert_fails(ex08.q5.check(precision, precision), "That is the precision", points=0.5)
    assert_fails(ex08.q5.check(precision, 25 / y_day.sum()), "most any model could reach", points=0.5)
    assert_fails(ex08.q5.check(flags[y_day == 1].sum() / 1000, recall), "all the cases of the day", points=0.5)


# --------------------------------------------------------------------------- #
# q6: a decision rule scored by its cost on unseen data
# --------------------------------------------------------------------------- #


def cost_scorer():
    def neg_cost(y_true, y_pred):
        return -(C_FN * np.sum((y_true == 1) & (y_pred == 0)) + C_FP * np.sum((y_true == 0) & (y_pred == 1)))

    return make_scorer(neg_cost)


@pytest.fixture(scope="module")
def decision_rule(train, repaired):
    """The solution's rule."""
    return FixedThresholdClassifier(repaired, threshold=C_FP / (C_FP + C_FN)).fit(*train)


def test_q6_solution_passes_for_several_grading_seeds(decision_rule):
    assert ex08.q6.check(decision_rule).points == 2
    for seed in (1, 7, 123):
        assert grade_as_grader(ex08.q6, decision_rule, seed).status is Status.CORRECT, seed


def test_q6_other_rules_that_follow_the_costs_pass(train, plain):
    X, y = train
    assert ex08.q6.check(FixedThresholdClassifier(plain, threshold=C_FP / (C_FP + C_FN)).fit(X, y))
    assert ex08.q6.check(TunedThresholdClassifierCV(plain, scoring=cost_scorer(), cv=5).fit(X, y))
    weighted = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight={0: 1, 1: C_FN / C_FP}))
    assert ex08.q6.check(weighted.fit(X, y))


def test_q6_wrong_answers(train, smote_model, plain):
    X, y = train
    on_inflated = FixedThresholdClassifier(smote_model, threshold=C_FP / (C_FP + C_FN)).fit(X, y)
    assert_fails(ex08.q6.check(on_inflated), "inflated", "repair them first")
    assert_fails(ex08.q6.check(plain), "flags fewer cases than there are positives", "threshold well below 0.5")
    balanced_accuracy = TunedThresholdClassifierCV(plain, cv=5).fit(X, y)  # the default scoring ignores the costs
    assert ex08.q6.check(balanced_accuracy).mistake == "tuned-ignores-costs"
    assert_fails(ex08.q6.check(FixedThresholdClassifier(plain, threshold=0.2)), "not fitted", status=Status.UNCHECKABLE)


# --------------------------------------------------------------------------- #
# q7: a calibrator for a small calibration set
# --------------------------------------------------------------------------- #


def test_q7_calibrator_answer():
    assert ex08.q7.check("b")
    assert_fails(ex08.q7.check("a"), "follow noise")
    assert_fails(ex08.q7.check("c"), "throwing away")
    assert_fails(ex08.q7.check("d"), "ranking only")


def test_named_mistakes_carry_stable_ids():
    def swapped(proba, train_prevalence, true_prevalence):
        return solution_prior_correct(proba, true_prevalence, train_prevalence)

    def lowest(risk, k):
        flags = np.zeros(len(risk), dtype=int)
        flags[np.argsort(np.asarray(risk))[:k]] = 1
        return flags

    assert ex08.q1.check(swapped).mistake == "swapped-prevalences"
    assert ex08.q4.check(lowest).mistake == "lowest"
    assert ex08.q3.check(C_FP / C_FN, C_FN / C_FP).mistake == "threshold=cost-ratio"


# --------------------------------------------------------------------------- #
# learner78's cases (issue: 11 wrong accepted, 2 valid rejected, 5 misleading over exercises 07 and 08)
# --------------------------------------------------------------------------- #


def test_q2_in_sample_calibration_is_refused(train, smote_model):
    # learner78 attempt 2.4: calibrated on the rows the frozen model was fitted on.
    X, y = train
    in_sample = CalibratedClassifierCV(FrozenEstimator(smote_model), method="sigmoid").fit(X, y)
    result = assert_fails(ex08.q2.check(in_sample), "very rows", "not fitted on")
    assert result.mistake == "in-sample"
    assert grade_as_grader(ex08.q2, in_sample, 7).mistake == "in-sample"


def test_q2_frozen_model_calibrated_on_other_rows_passes(train, smote_model):
    # learner78 attempts 2.3 and 2.11: held-out rows, or the day's rows, are not the model's fit rows.
    X_day, y_day = data.make_imbalanced(n_samples=1000, draw=7, **PROBLEM)
    on_day = CalibratedClassifierCV(FrozenEstimator(smote_model), method="sigmoid").fit(X_day, y_day)
    assert ex08.q2.check(on_day).status is Status.CORRECT


def plain_pipeline():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@pytest.mark.parametrize("threshold, mistake", [(1 / (1 + C_FN), "threshold=unit-false-alarm"),
                                                (C_FP / C_FN, "threshold=cost-ratio"),
                                                (C_FN / (C_FP + C_FN), "threshold=inverted")])
def test_q6_q3_slips_are_refused(train, threshold, mistake):
    # learner78 attempts 6.12 (1/9) and 6.15 (0.25): they save about as much, but are the slips q3 names.
    rule = FixedThresholdClassifier(plain_pipeline(), threshold=threshold).fit(*train)
    assert ex08.q6.check(rule).mistake == mistake


def test_q6_threshold_tuned_for_f1_is_refused(train):
    # learner78 attempt 6.14
    rule = TunedThresholdClassifierCV(plain_pipeline(), scoring="f1", cv=5).fit(*train)
    assert_fails(ex08.q6.check(rule), "tuned for f1", "nothing of C_FN")


def test_q6_other_fit_rows_are_refused(train):
    # learner78 attempts 6.13 (the day's rows) and 6.18 (the first 1,000 training rows)
    X_day, y_day = data.make_imbalanced(n_samples=1000, draw=7, **PROBLEM)
    on_day = FixedThresholdClassifier(plain_pipeline(), threshold=0.2).fit(X_day, y_day)
    assert ex08.q6.check(on_day).mistake == "day-rows"
    X, y = train
    part = FixedThresholdClassifier(plain_pipeline(), threshold=0.2).fit(X[:1000], y[:1000])
    assert ex08.q6.check(part).mistake == "other-rows"


def test_q6_balanced_weights_are_named_without_smote(train):
    # learner78 attempt 6.8: the message spoke of SMOTE and `threshold`, which the answer did not use.
    weighted = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced")).fit(*train)
    result = assert_fails(ex08.q6.check(weighted), "class balance")
    assert result.mistake == "balanced-weights" and "SMOTE" not in result.message


def test_q6_valid_rules_pass_for_several_grading_seeds(train, repaired):
    # learner78 attempts 6.1-6.4, through the grader's plain-data route
    X, y = train
    rules = [FixedThresholdClassifier(plain_pipeline(), threshold=0.2).fit(X, y),
             make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight={0: 1, 1: 4})).fit(X, y),
             TunedThresholdClassifierCV(plain_pipeline(), scoring=cost_scorer(), cv=5).fit(X, y),
             FixedThresholdClassifier(FrozenEstimator(repaired), threshold=0.2).fit(X, y)]
    for rule in rules:
        for seed in (0, 3, 11):
            assert grade_as_grader(ex08.q6, rule, seed).status is Status.CORRECT, (rule, seed)


def test_q4_budget_larger_than_the_day_error_is_explained():
    # learner78 attempt 4.10: argpartition without capping k
    def uncapped(risk, k):
        risk = np.asarray(risk)
        flags = np.zeros(len(risk), dtype=int)
        if k > 0:
            flags[np.argpartition(-risk, k - 1)[:k]] = 1
        return flags

    assert_fails(ex08.q4.check(uncapped), "budget larger than the day", "flag every case")


def test_q5_other_policies_are_named(day):
    # learner78 attempts 5.6 (threshold 0.5), 5.7 (K + 1), 5.8 (percentages)
    y_day, flags = day
    precision, recall = precision_score(y_day, flags), recall_score(y_day, flags)
    p05, r05 = ex08._day_policy("threshold")
    assert ex08.q5.check(p05, r05).mistake == "precision_at_k=threshold-not-top-k; recall_at_k=threshold-not-top-k"
    p1, r1 = ex08._day_policy("k_plus_one")
    assert ex08.q5.check(p1, r1).mistake.startswith("precision_at_k=k-plus-one")
    # learner78 attempt 5.10 (another model's top K finds 18 frauds, as K + 1 cases do): no K + 1 claim on the recall
    assert "K + 1" not in ex08.q5.check(precision, r1).message
    assert ex08.q5.check(100 * precision, 100 * recall).mistake == "precision_at_k=percentage; recall_at_k=percentage"


# --------------------------------------------------------------------------- #
# learnerB78's cases
# --------------------------------------------------------------------------- #


def test_q6_cost_weight_passed_as_a_fit_parameter_passes(train):
    # learnerB78 R2 Q6 alt: refused as "fitted on other rows", though it was fitted on X_train with the cost weight.
    X_train, y_train = train
    positive_weight = C_FN / C_FP
    r6d = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    r6d.fit(X_train, y_train, logisticregression__sample_weight=np.where(y_train == 1, positive_weight, 1.0))
    result = ex08.q6.check(r6d)
    assert result.status is Status.CORRECT, result.message
    assert "other rows" not in result.message


def test_q6_other_rows_are_named_only_when_the_scaler_proves_them(train):
    X, y = train
    part = FixedThresholdClassifier(plain_pipeline(), threshold=0.2).fit(X[:1000], y[:1000])
    result = assert_fails(ex08.q6.check(part), "scaler saw 1,000 rows")
    assert result.mistake == "other-rows"


@pytest.mark.parametrize("cv", [5, 3])
def test_q2_isotonic_is_refused(train, smote_model, cv):
    # learnerB78 problem 2: the step asks for the method lesson 08 recommends for about 32 positives per fold.
    X_train, y_train = train
    rep = CalibratedClassifierCV(smote_model, method="isotonic", cv=cv).fit(X_train, y_train)
    result = assert_fails(ex08.q2.check(rep), "isotonic", "32 positives")
    assert result.mistake == "isotonic"


@pytest.mark.parametrize("n_rows", [2000, 1000])
def test_q2_calibrator_fitted_on_part_of_the_training_rows_is_refused(train, n_rows):
    # learnerB78 problem 3: the step says to use X_train, y_train.
    X_train, y_train = train
    rep = CalibratedClassifierCV(smote_pipeline(), method="sigmoid", cv=5).fit(X_train[:n_rows], y_train[:n_rows])
    result = assert_fails(ex08.q2.check(rep), f"{n_rows:,} rows", "all of `X_train, y_train`")
    assert result.mistake == "other-rows"
    single = CalibratedClassifierCV(smote_pipeline(), cv=5, ensemble=False).fit(X_train[:n_rows], y_train[:n_rows])
    assert ex08.q2.check(single).mistake == "other-rows"


def test_q5_k_minus_one_is_declared_so_the_rounding_claim_is_ambiguous(day):
    # learnerB78 attempt 5: K - 1 = 24 flags (16 found) gives recall 16/40 = 0.4, the right 0.425 rounded; the
    # message claimed only "rounded".
    y_day, _ = day
    p, r = ex08._day_policy("k_minus_one")
    assert round(r, 4) == 0.4
    result = assert_fails(ex08.q5.check(p, r), "K - 1 flagged cases", "2 known slips")
    assert result.mistake == "precision_at_k=k-minus-one; recall_at_k=k-minus-one|rounded"


def test_q6_cost_scorer_with_the_wrong_sign_is_named(train):
    # learnerB78 R2 Q6: make_scorer(cost) without greater_is_better=False maximises the cost (threshold about 0);
    # the message asked whether the threshold was applied to calibrated probabilities.
    X_train, y_train = train

    def cost_fn(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        return (C_FN * np.sum((y_true == 1) & (y_pred == 0)) + C_FP * np.sum((y_true == 0) & (y_pred == 1))) / len(y_true)

    r6a = TunedThresholdClassifierCV(plain_pipeline(), scoring=make_scorer(cost_fn), cv=5).fit(X_train, y_train)
    result = assert_fails(ex08.q6.check(r6a), "greater_is_better=False", "*costlier*")
    assert result.mistake == "scorer-sign"
    assert grade_as_grader(ex08.q6, r6a, 7).mistake == "scorer-sign"
    right = TunedThresholdClassifierCV(plain_pipeline(), scoring=make_scorer(cost_fn, greater_is_better=False),
                                       cv=5).fit(X_train, y_train)
    assert ex08.q6.check(right).status is Status.CORRECT


# --------------------------------------------------------------------------- #
# A fresh learner's q6 cases: rule parameters read as step 3 reads them; the formulas' values required where
# they apply; step 2's slips inside a rule
# --------------------------------------------------------------------------- #


def test_q6_threshold_for_class_0_passes(train, plain):
    # V1: identical decisions to p1 >= 0.2, refused as "threshold 0.8 ... the other way round".
    X_train, y_train = train
    rule = FixedThresholdClassifier(plain, threshold=0.8, pos_label=0).fit(X_train, y_train)
    for seed in (0, 7):
        result = grade_as_grader(ex08.q6, rule, seed)
        assert result.status is Status.CORRECT, result.message
    on_log_odds = FixedThresholdClassifier(plain, threshold=np.log(0.2 / 0.8), response_method="decision_function")
    assert ex08.q6.check(on_log_odds.fit(X_train, y_train)).status is Status.CORRECT
    both = FixedThresholdClassifier(plain, threshold=-np.log(0.2 / 0.8), pos_label=0, response_method="decision_function")
    assert ex08.q6.check(both.fit(X_train, y_train)).status is Status.CORRECT



@pytest.mark.parametrize("t", [0.4, 0.35, 0.3, 0.15])
def test_q6_threshold_on_calibrated_probabilities_must_be_the_costs(train, plain, t):
    # A6: within the score's tolerance, but not the threshold the costs give.
    X_train, y_train = train
    rule = FixedThresholdClassifier(plain, threshold=t).fit(X_train, y_train)
    result = assert_fails(ex08.q6.check(rule), f"threshold is {t:g}", "C_FP / (C_FP + C_FN) = 0.2")
    assert result.mistake == "threshold-not-from-costs"
    assert grade_as_grader(ex08.q6, rule, 7).mistake == "threshold-not-from-costs"


@pytest.mark.parametrize("w", [5, 3])
def test_q6_weight_on_the_plain_model_must_be_the_costs(train, w):
    # A6: weights that save about as much, but are not C_FN / C_FP.
    X_train, y_train = train
    rule = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight={0: 1, 1: w})).fit(X_train, y_train)
    result = assert_fails(ex08.q6.check(rule), f"positives {w} times", "C_FN / C_FP = 4")
    assert result.mistake == "weight-not-from-costs"


@pytest.mark.parametrize("class_weight", [{0: 1, 1: 4}, {1: 4}, {0: 0.25, 1: 1}, {0: 2, 1: 8}])
def test_q6_cost_weight_in_any_scaling_passes(train, class_weight):
    X_train, y_train = train
    rule = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight=class_weight)).fit(X_train, y_train)
    assert ex08.q6.check(rule).status is Status.CORRECT


def test_q6_thresholds_on_uncalibrated_scores_are_judged_by_the_score(train, smote_model):
    # A threshold mapped onto the SMOTE model's inflated risks (prior odds 24 : 1): the formulas do not fix it.
    X_train, y_train = train
    mapped = FixedThresholdClassifier(smote_model, threshold=6 / 7).fit(X_train, y_train)
    assert ex08.q6.check(mapped).status is Status.CORRECT


def test_q6_budget_rule_on_calibrated_probabilities_is_refused(train, plain):
    # A8: the top 2.5 % of the training scores, read off the rule as a threshold of about 0.32.
    X_train, y_train = train
    cut = float(np.quantile(plain.predict_proba(X_train)[:, 1], 0.975))
    rule = FixedThresholdClassifier(plain, threshold=cut).fit(X_train, y_train)
    assert_fails(ex08.q6.check(rule), "for a budget of alerts").mistake == "threshold-not-from-costs"


def test_q6_isotonic_calibration_inside_the_rule_passes(train, smote_model):
    # A7 (first rule): step 6 asks for calibrated probabilities, not for step 2's method; cross-fitted isotonic
    # gives them, so the score judges it.
    X_train, y_train = train
    rule = FixedThresholdClassifier(CalibratedClassifierCV(clone(smote_model), method="isotonic", cv=5),
                                    threshold=0.2).fit(X_train, y_train)
    assert ex08.q6.check(rule).status is Status.CORRECT


def test_q6_calibration_on_the_model_s_own_rows_is_refused(train, smote_model):
    # A7 (second rule): step 2's in-sample calibration, wrapped in a rule; detected as q2 detects it.
    X_train, y_train = train
    rule = FixedThresholdClassifier(CalibratedClassifierCV(FrozenEstimator(clone(smote_model).fit(X_train, y_train)),
                                                           method="sigmoid"), threshold=0.2).fit(X_train, y_train)
    result = assert_fails(ex08.q6.check(rule), "very rows", "not fitted on")
    assert result.mistake == "in-sample"
    assert grade_as_grader(ex08.q6, rule, 7).mistake == "in-sample"


def test_q6_calibrator_fitted_on_part_of_the_rows_is_refused(train):
    # The other-rows slip (q2 detects it from the calibrator's pipelines) inside a rule.
    X_train, y_train = train
    rule = FixedThresholdClassifier(CalibratedClassifierCV(smote_pipeline(), method="sigmoid", cv=5),
                                    threshold=0.2).fit(X_train[:1000], y_train[:1000])
    assert_fails(ex08.q6.check(rule), "1,000 rows").mistake == "other-rows"


def test_q6_threshold_tuned_on_the_model_s_own_rows_is_refused(train, plain):
    # A9: the threshold tuned on the rows the model was fitted on. An earlier test accepted it "as exercise 05's step 6
    # asks"; that was a misreading: exercise 05 refuses it (tuned-in-sample), as this step refuses a calibrator
    # learned on its model's own rows. Cross-validated tuning, or a model fitted on part of X_train, still passes.
    X_train, y_train = train
    rule = TunedThresholdClassifierCV(clone(plain).fit(X_train, y_train), scoring=cost_scorer(), cv="prefit",
                                      refit=False).fit(X_train, y_train)
    assert_fails(ex08.q6.check(rule), "fitted on", "cross-validate").mistake == "tuned-in-sample"
    frozen = TunedThresholdClassifierCV(FrozenEstimator(clone(plain).fit(X_train, y_train)), scoring=cost_scorer()
                                        ).fit(X_train, y_train)
    assert ex08.q6.check(frozen).mistake == "tuned-in-sample"
    part = TunedThresholdClassifierCV(clone(plain).fit(X_train[:3000], y_train[:3000]), scoring=cost_scorer(),
                                      cv="prefit", refit=False).fit(X_train[3000:], y_train[3000:])
    assert ex08.q6.check(part).mistake != "tuned-in-sample"
    assert ex08.q6.check(TunedThresholdClassifierCV(plain_pipeline(), scoring=cost_scorer(), cv=5).fit(X_train, y_train))


def test_q6_probability_threshold_on_the_log_odds_is_explained(train, plain):
    # M6: said "need a threshold well below 0.5".
    X_train, y_train = train
    rule = FixedThresholdClassifier(plain, threshold=0.2, response_method="decision_function").fit(X_train, y_train)
    result = assert_fails(ex08.q6.check(rule), "log-odds", "0.5498", "-1.386")
    assert result.mistake == "threshold-on-log-odds" and "well below 0.5" not in result.message


def test_q6_weight_and_threshold_together_count_the_costs_twice(train):
    # Said "is the threshold applied to calibrated probabilities?".
    X_train, y_train = train
    weighted = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight={0: 1, 1: 4}))
    rule = FixedThresholdClassifier(weighted, threshold=0.2).fit(X_train, y_train)
    assert_fails(ex08.q6.check(rule), "counts the costs twice").mistake == "costs-twice"
    assert ex08.q6.check(FixedThresholdClassifier(weighted, threshold=0.5).fit(X_train, y_train)).status is Status.CORRECT


def test_q2_temperature_scaling_is_named(train, smote_model):
    # M7: "Calibrate them with cross-validation on rows in their true proportions", which the learner did.
    X_train, y_train = train
    rep = CalibratedClassifierCV(smote_model, method="temperature", cv=5).fit(X_train, y_train)
    result = assert_fails(ex08.q2.check(rep), "temperature", "no intercept")
    assert result.mistake == "temperature" and "true proportions" not in result.message


def test_learner6_renamed_parameters_are_told_to_keep_the_steps_names():
    """Learner pass 6: a right function with renamed parameters got the raw TypeError (exercise 07 explains it)."""

    def prior_correct_renamed(p, pi_s, pi):
        return solution_prior_correct(p, pi_s, pi)

    def top_k_renamed(scores, budget):
        return solution_top_k(scores, budget)

    result = assert_fails(ex08.q1.check(prior_correct_renamed), "Keep the step's parameter names", "`proba`", points=0)
    assert "unexpected keyword argument" in result.message
    assert_fails(ex08.q4.check(top_k_renamed), "Keep the step's parameter names", "`risk`", "`k`", points=0)
