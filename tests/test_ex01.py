"""Exercise 01 and lesson 01's prompts: the solution's answer passes, realistic wrong answers fail
with their specific message, and every check is fast."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex01
from conftest import assert_fails

pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")




# --------------------------------------------------------------------------- #
# Shared answers, computed here the way a learner would.
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def y_abalone():
    return data.load_abalone19(return_X_y=True)[1]


@pytest.fixture(scope="module")
def abalone_counts(y_abalone):
    return y_abalone.value_counts().sort_index().to_numpy()


@pytest.fixture(scope="module")
def toy():
    X, y = data.make_toy_2d(n_samples=2000, imbalance_ratio=20, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    model = LogisticRegression().fit(X_train, y_train)
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test, "model": model}


# --------------------------------------------------------------------------- #
# q1: class counts
# --------------------------------------------------------------------------- #


def test_q1_solution_passes(abalone_counts, y_abalone):
    assert ex01.q1.check(abalone_counts)
    assert ex01.q1.check(list(abalone_counts))
    assert ex01.q1.check(np.bincount(y_abalone))
    assert ex01.q1.check(y_abalone.value_counts().sort_index())  # a Series works too


def test_q1_wrong_answers(abalone_counts, y_abalone):
    # value_counts() without sort_index is majority first here, so the realistic reversal is explicit:
    assert_fails(ex01.q1.check(abalone_counts[::-1]), "minority count first", "label 0")
    assert_fails(ex01.q1.check(y_abalone.value_counts(normalize=True).sort_index()), "shares", "counts")
    assert_fails(ex01.q1.check(100 * y_abalone.value_counts(normalize=True).sort_index()), "percentages")
    # Wrong shapes get their own message (Array(shape_mistakes=...)):
    assert_fails(ex01.q1.check(np.unique(y_abalone, return_counts=True)), "`(labels, counts)`", "np.unique")
    assert_fails(ex01.q1.check(abalone_counts[1]), "single number", "both counts")
    assert_fails(ex01.q1.check(y_abalone), "one value per row")
    assert_fails(ex01.q1.check([1, 2, 3]), "exactly two numbers", "majority count (label 0)")
    assert_fails(ex01.q1.check(y_abalone.value_counts().sort_index().reset_index()), "table of labels and counts")
    assert_fails(ex01.q1.check([4000, 30]), "values differ")  # otherwise the generic message


def test_q1_total_rows_and_extra_values(abalone_counts, y_abalone):
    majority, minority = abalone_counts
    # The number of rows in place of the majority count (either order):
    assert_fails(ex01.q1.check([len(y_abalone), minority]), "total number of rows", "label 0 only")
    assert_fails(ex01.q1.check([minority, len(y_abalone)]), "total number of rows")
    assert_fails(ex01.q1.check(data.load_abalone19().data.shape), "total number of rows")
    # A third value (a zero count, say): exactly two numbers.
    assert_fails(ex01.q1.check([majority, minority, 0]), "Give exactly two numbers", "then the minority count")


# --------------------------------------------------------------------------- #
# q2: imbalance ratio and prevalence, with partial credit
# --------------------------------------------------------------------------- #


def test_q2_solution_passes(abalone_counts):
    majority, minority = abalone_counts
    result = ex01.q2.check(majority / minority, minority / (majority + minority))
    assert result and result.points == 2


def test_q2_wrong_ratio(abalone_counts):
    majority, minority = abalone_counts
    prevalence = minority / (majority + minority)
    assert_fails(ex01.q2.check(minority / majority, prevalence), "other way round", points=1)
    assert_fails(ex01.q2.check((majority + minority) / minority, prevalence), "total / minority", points=1)
    assert_fails(ex01.q2.check(majority // minority, prevalence), "integer division (`//`)", "use `/`", points=1)
    # 129 is both the integer division and the rounding of 129.44: the check says it cannot tell which.
    both = assert_fails(ex01.q2.check(round(majority / minority), prevalence), "integer division",
                        "rounded to a whole number", "cannot tell which", points=1)
    assert both.mistake == "abalone_ir=integer-division|rounded"
    assert_fails(ex01.q2.check(prevalence, majority / minority), "hold each other's values", points=0)
    assert_fails(ex01.q2.check(float(majority), prevalence), "one class's count", points=1)
    assert_fails(ex01.q2.check(float(majority + minority), prevalence), "number of rows", points=1)
    # One part right earns its share of the points.
    assert ex01.q2.check(minority / majority, prevalence).points == 1


def test_q2_wrong_prevalence(abalone_counts):
    majority, minority = abalone_counts
    ratio = majority / minority
    assert_fails(ex01.q2.check(ratio, minority / majority), "minority / majority", "all rows", points=1)
    assert_fails(ex01.q2.check(ratio, 100 * minority / (majority + minority)), "percentage", points=1)
    assert_fails(ex01.q2.check(ratio, majority / (majority + minority)), "majority class", points=1)
    assert_fails(ex01.q2.check(ratio, round(minority / (majority + minority), 3)), "without rounding", points=1)
    assert_fails(ex01.q2.check(ratio, round(100 * minority / (majority + minority), 2)), "percentage", points=1)
    assert_fails(ex01.q2.check(ratio, minority // (majority + minority)), "integer division", points=1)
    assert ex01.q2.check(ratio, minority / majority).points == 1


def test_q2_rounding_is_judged_alike_for_both_numbers(abalone_counts):
    """Both parts use the course's one tolerance (0.1 %): 4 significant digits pass (issue 9: 129.44 and
    129.4 alike), fewer get "rounded", never "is right"."""
    majority, minority = abalone_counts
    ratio, prevalence = majority / minority, minority / (majority + minority)
    right = ex01.q2.check(ratio, prevalence)
    assert f"{ratio:.6g} is right" in right.message and f"{prevalence:.6g} is right" in right.message
    assert ex01.q2.check(float(f"{ratio:.6g}"), float(f"{prevalence:.6g}")).points == 2
    for typed in (129.44, 129.4, round(ratio, 1)):  # 4 significant digits or more
        assert ex01.q2.check(typed, float(f"{prevalence:.4g}")).points == 2, typed
    for digits in (1, 2):
        assert_fails(ex01.q2.check(ratio, float(f"{prevalence:.{digits}g}")), "rounded", "without rounding", points=1)
    assert_fails(ex01.q2.check(130.0, prevalence), "rounded to 2 significant digits", points=1)
    # 130 is not the integer division: the message names rounding only.
    assert "//" not in ex01.q2.check(130.0, prevalence).message
    assert ex01.q2.check(ratio, round(prevalence, 4)).mistake == "abalone_prevalence=rounded"


def test_q2_hints_say_more_each_time():
    hints = ex01.q2.hints
    assert len(hints) == 3
    assert "majority, minority = abalone_counts" in hints[0]
    assert "minority / (majority + minority)" in hints[1]
    assert "round" in hints[2] and "//" in hints[2]


# --------------------------------------------------------------------------- #
# q3: a function for any labels
# --------------------------------------------------------------------------- #


def ratio_unique(y):
    labels, counts = np.unique(y, return_counts=True)
    return counts.max() / counts.min()


def ratio_pandas(y):
    counts = pd.Series(y).value_counts()
    return counts.iloc[0] / counts.iloc[-1]


def ratio_assumes_one_is_minority(y):
    y = np.asarray(y)
    return (y == 0).sum() / (y == 1).sum()


def ratio_inverted(y):
    counts = pd.Series(y).value_counts()
    return counts.min() / counts.max()


def ratio_total_over_minority(y):
    return len(y) / pd.Series(y).value_counts().min()


def ratio_integer_division(y):
    counts = pd.Series(y).value_counts()
    return counts.max() // counts.min()


def ratio_returns_counts(y):
    return pd.Series(y).value_counts().to_numpy()


def ratio_returns_prevalence(y):
    counts = pd.Series(y).value_counts()
    return counts.min() / counts.sum()


def ratio_value_counts_on_array(y):
    return y.value_counts().max() / y.value_counts().min()


def ratio_forgets_return(y):
    counts = pd.Series(y).value_counts()
    counts.max() / counts.min()


def ratio_uses_global(y):
    labels, counts = np.unique(Y_ABALONE, return_counts=True)
    return counts.max() / counts.min()


def ratio_rounded(y):
    labels, counts = np.unique(y, return_counts=True)
    return round(counts.max() / counts.min(), 1)


def ratio_rounded_to_whole(y):
    labels, counts = np.unique(y, return_counts=True)
    return round(counts.max() / counts.min())


Y_ABALONE = data.load_abalone19(return_X_y=True)[1]


def test_q3_solutions_pass():
    assert ex01.q3.check(ratio_unique)
    assert ex01.q3.check(ratio_pandas)
    assert ex01.q3.check(data.imbalance_ratio)


@pytest.mark.parametrize(
    "function, fragments",
    [
        (ratio_assumes_one_is_minority, ["assumes label 1 is the minority"]),
        (ratio_inverted, ["minority / majority"]),
        (ratio_total_over_minority, ["total / minority"]),
        (ratio_integer_division, ["integer division", "use `/`"]),
        (ratio_returns_counts, ["returned an array", "one number"]),
        (ratio_returns_prevalence, ["class share"]),
        (ratio_value_counts_on_array, ["raised AttributeError"]),
        (ratio_uses_global, ["comes from abalone19", "argument `y`", "not a global variable"]),
        (ratio_rounded, ["the ratio rounded to 1 decimal", "without rounding"]),
        (ratio_rounded_to_whole, ["or rounding", "do not round"]),
    ],
    ids=lambda v: getattr(v, "__name__", "")[:40],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_q3_wrong_functions(function, fragments):
    assert_fails(ex01.q3.check(function), *fragments)


def ratio_bincount(y):
    counts = np.bincount(y)
    return counts.max() / counts.min()


def ratio_list_count(y):
    return max(y.count(0), y.count(1)) / min(y.count(0), y.count(1))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_q3_errors_name_the_input_that_broke_the_function():
    # FunctionCases(explain_error=...): the message says which input raised, and what to do.
    assert_fails(ex01.q3.check(ratio_value_counts_on_array), "For an array of", "pd.Series(y)")
    assert_fails(ex01.q3.check(ratio_bincount), "For a list of", "labels can be strings", "does not assume integer labels")
    assert_fails(ex01.q3.check(ratio_list_count), "has no attribute 'count'", "lists, NumPy arrays and Series")


def test_q3_division_by_zero_is_explained():
    def counts_zeros_and_ones(y):
        y = np.asarray(y)
        ones, zeros = (y == 1).sum(), (y == 0).sum()
        return max(ones, zeros) / min(ones, zeros)

    with np.errstate(divide="ignore", invalid="ignore"):
        assert_fails(ex01.q3.check(counts_zeros_and_ones), "divided by zero", "strings")


def test_q3_unfinished_and_not_a_function():
    forgot = ex01.q3.check(ratio_forgets_return)
    assert forgot.status is Status.INCORRECT and "return <your result>" in forgot.message

    def stub(y):
        """Size of the largest class divided by the size of the smallest."""
        return ...

    assert ex01.q3.check(stub).status is Status.NOT_ATTEMPTED
    assert_fails(ex01.q3.check(ratio_unique([0, 0, 1])), "Expected a function", status=Status.UNCHECKABLE)


def test_q3_cases_do_not_depend_on_hidden_state():
    # The grader draws its own cases: the same function passes for any seed.
    for seed in (0, 1, 7):
        plain = ex01.q3.parts["imbalance_ratio"]
        assert ex01.q3.grade({"imbalance_ratio": {"data": plain.extract(ratio_unique, seed)}}, seed)


# --------------------------------------------------------------------------- #
# q4: base rates
# --------------------------------------------------------------------------- #


def test_q4_solution_passes():
    sick = 10_000 * 0.02
    healthy = 10_000 - sick
    true_positives, false_positives = 0.90 * sick, (1 - 0.95) * healthy
    share = true_positives / (true_positives + false_positives)
    assert ex01.q4.check(share)
    assert ex01.q4.check(float(f"{share:.6g}"))  # the value shown by "... is right", typed back


def test_q4_wrong_answers():
    assert_fails(ex01.q4.check(0.90), "share of sick people who test positive")
    assert_fails(ex01.q4.check(0.02), "prevalence before testing")
    assert_fails(ex01.q4.check(0.95), "healthy people")
    assert_fails(ex01.q4.check(180), "count of people")
    assert_fails(ex01.q4.check(490), "count of people")
    assert_fails(ex01.q4.check(180 / 10_000), "whole population")
    assert_fails(ex01.q4.check(90 / 585), "prevalence of 1 %")
    assert_fails(ex01.q4.check(26.87), "percentage")
    assert_fails(ex01.q4.check(27), "percentage")


def screening(prevalence=0.02, sensitivity=0.90, specificity=0.95, population=10_000):
    sick = population * prevalence
    healthy = population - sick
    return sick, healthy, sensitivity * sick, (1 - specificity) * healthy


def test_q4_realistic_slips_are_named():
    sick, healthy, tp, fp = screening()
    # The three values of the learner's report, and the slips that produce them:
    assert_fails(ex01.q4.check(round(tp / (tp + 0.95 * healthy), 5)), "specificity where 1 - specificity belongs")
    assert_fails(ex01.q4.check(round(tp / fp, 4)), "true positives / false positives")
    assert_fails(ex01.q4.check(round(fp / (tp + fp), 4)), "false alarms")
    # Other slips:
    assert_fails(ex01.q4.check(tp / (tp + 0.05 * 10_000)), "among all 10,000 people")
    assert_fails(ex01.q4.check(sick / (sick + fp)), "every sick person")
    assert_fails(ex01.q4.check(0.95 * healthy / (0.95 * healthy + 0.10 * sick)), "*negative* tests")
    assert_fails(ex01.q4.check((tp + fp) / 10_000), "whole population")
    assert_fails(ex01.q4.check(tp + fp), "count of people")


def test_q4_rates_typed_as_percentages():
    sick, healthy, tp, fp = screening(prevalence=2)  # 20,000 "sick" people out of 10,000
    share = tp / (tp + fp)
    assert 1 < share < 1.1
    assert_fails(ex01.q4.check(share), "prevalence went in as a percentage", "0.02")
    assert "not a percentage" not in ex01.q4.check(share).message
    sick, healthy, tp, fp = screening(sensitivity=90)
    assert_fails(ex01.q4.check(tp / (tp + fp)), "90 % as 0.90")


def test_q4_rounding_is_refused_like_elsewhere():
    sick, healthy, tp, fp = screening()
    share = tp / (tp + fp)
    for rounded in (round(share, 1), round(share, 2), round(share, 3)):  # 0.269 is 0.13 % off: outside
        assert assert_fails(ex01.q4.check(rounded), "rounded to", "without rounding").mistake == "rounded"
    assert ex01.q4.check(round(share, 4))  # 4 significant digits pass
    truncated = assert_fails(ex01.q4.check(0.26), "too low")  # cut short: nothing proves a rounding
    assert truncated.mistake is None


# --------------------------------------------------------------------------- #
# q5: a plain model's minority recall
# --------------------------------------------------------------------------- #


def test_q5_solution_passes(toy):
    recall = recall_score(toy["y_test"], toy["model"].predict(toy["X_test"]))
    result = ex01.q5.check(toy["model"], recall)
    assert result and result.points == 2


def test_q5_wrong_recalls(toy):
    model, X_test, y_test = toy["model"], toy["X_test"], toy["y_test"]
    pred = model.predict(X_test)
    train_recall = recall_score(toy["y_train"], model.predict(toy["X_train"]))
    assert_fails(ex01.q5.check(model, train_recall), "training half", points=1)
    all_recall = recall_score(np.r_[toy["y_train"], y_test], model.predict(np.vstack([toy["X_train"], X_test])))
    assert_fails(ex01.q5.check(model, all_recall), "on all the data", points=1)
    fitted_on_all = LogisticRegression().fit(np.vstack([toy["X_train"], X_test]), np.r_[toy["y_train"], y_test])
    # Fitted on all the data: the model part fails too, with the same diagnosis.
    both = ex01.q5.check(fitted_on_all, recall_score(y_test, fitted_on_all.predict(X_test)))
    assert_fails(both, "fitted on all the data", points=0)
    assert "`model`: incorrect" in both.message and "`model`: correct" not in both.message
    assert_fails(ex01.q5.check(model, recall_score(y_test, pred, pos_label=0)), "majority class", points=1)
    assert_fails(ex01.q5.check(model, accuracy_score(y_test, pred)), "accuracy", points=1)
    assert_fails(ex01.q5.check(model, precision_score(y_test, pred)), "precision", points=1)
    assert ex01.q5.check(model, accuracy_score(y_test, pred)).points == 1  # the model part is right
    recall = recall_score(y_test, pred)
    assert_fails(ex01.q5.check(model, round(100 * recall, 2)), "percentage", points=1)
    assert_fails(ex01.q5.check(model, round(recall, 2)), "rounded to 2 decimals", points=1)
    assert_fails(ex01.q5.check(model, round(recall, 1)), "rounded to 1 decimal", points=1)
    assert ex01.q5.check(model, round(recall, 4))  # 4 significant digits pass
    found = int(((pred == 1) & (y_test == 1)).sum())
    assert_fails(ex01.q5.check(model, found), "count of minority test points", points=1)
    assert_fails(ex01.q5.check(model, int((y_test == 1).sum())), "count of minority test points", points=1)


def test_q5_model_must_be_fitted_on_the_training_half(toy):
    """The model part compares the fitted coefficients with a reference fit on X_train, y_train."""
    X_train, X_test, y_train, y_test = toy["X_train"], toy["X_test"], toy["y_train"], toy["y_test"]
    recall = recall_score(y_test, toy["model"].predict(X_test))
    on_test = LogisticRegression().fit(X_test, y_test)
    assert_fails(ex01.q5.check(on_test, recall), "fitted on the test half", "`X_train, y_train`", points=1)
    X, y = np.vstack([X_train, X_test]), np.r_[y_train, y_test]
    X_a, _, y_a, _ = train_test_split(X, y, test_size=0.5, stratify=y, random_state=1)
    assert_fails(ex01.q5.check(LogisticRegression().fit(X_a, y_a), recall),
                 "fitted on other data than `X_train, y_train`", points=1)
    X_b, _, y_b, _ = train_test_split(X, y, test_size=0.5, random_state=0)  # not stratified
    assert_fails(ex01.q5.check(LogisticRegression().fit(X_b, y_b), recall), "other data", points=1)
    assert_fails(ex01.q5.check(LogisticRegression(solver="liblinear").fit(X_train, y_train), recall),
                 "keep the default settings", "`solver`", points=1)
    # Another solver reaching the same optimum, more iterations, or a DataFrame pass.
    for same in (LogisticRegression(solver="newton-cg"), LogisticRegression(max_iter=1000)):
        assert ex01.q5.check(same.fit(X_train, y_train), recall)
    assert ex01.q5.check(LogisticRegression().fit(pd.DataFrame(X_train), y_train), recall)


def test_q5_correct_model_message_says_what_was_verified(toy):
    result = ex01.q5.check(toy["model"], recall_score(toy["y_test"], toy["model"].predict(toy["X_test"])))
    assert "fitted on `X_train, y_train`" in result.message
    assert "everything asked for" not in result.message


def test_q5_wrong_models(toy):
    X_train, y_train = toy["X_train"], toy["y_train"]
    recall = recall_score(toy["y_test"], toy["model"].predict(toy["X_test"]))
    balanced = LogisticRegression(class_weight="balanced").fit(X_train, y_train)
    assert_fails(ex01.q5.check(balanced, recall), "default `class_weight`", points=1)
    assert_fails(ex01.q5.check(LogisticRegression(C=0.01).fit(X_train, y_train), recall), "C=1.0", points=1)
    tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    assert_fails(ex01.q5.check(tree, recall), "LogisticRegression", points=1)
    pipe = make_pipeline(SMOTE(random_state=0), LogisticRegression()).fit(X_train, y_train)
    assert_fails(ex01.q5.check(pipe, recall), "not a pipeline", points=1)
    assert_fails(ex01.q5.check(LogisticRegression(), recall), "not fitted", "could not be checked",
                 status=Status.UNCHECKABLE, points=1)


def test_q5_one_step_pipeline_is_the_model(toy):
    """Learner finding (fix0305, case 5): `make_pipeline(LogisticRegression())` is the same model; it was rejected
    with "Fit a plain LogisticRegression, not a pipeline". A pipeline with any other step is still refused."""
    X_train, y_train = toy["X_train"], toy["y_train"]
    recall = recall_score(toy["y_test"], toy["model"].predict(toy["X_test"]))
    assert ex01.q5.check(make_pipeline(LogisticRegression()).fit(X_train, y_train), recall)
    one_weighted = make_pipeline(LogisticRegression(class_weight="balanced")).fit(X_train, y_train)
    assert_fails(ex01.q5.check(one_weighted, recall), "default `class_weight`", points=1)
    from sklearn.preprocessing import StandardScaler
    scaled = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    assert_fails(ex01.q5.check(scaled, recall), "not a pipeline", points=1)



# --------------------------------------------------------------------------- #
# q6, q7: concepts
# --------------------------------------------------------------------------- #


def test_q6_choices():
    assert ex01.q6.check("a")
    assert ex01.q6.check("(A)")
    assert_fails(ex01.q6.check("b"), "no point is dropped")
    assert_fails(ex01.q6.check("c"), "same centre and spread")
    assert_fails(ex01.q6.check("d"), "has a direction")
    assert_fails(ex01.q6.check("e"), "not an option", status=Status.UNCHECKABLE)
    assert_fails(ex01.q6.check(1), "option letters", status=Status.UNCHECKABLE)


def test_q7_choices():
    assert ex01.q7.check("b")
    assert_fails(ex01.q7.check("a"), "well-separated", "whatever their sizes")
    assert_fails(ex01.q7.check("c"), "shared about evenly")


# --------------------------------------------------------------------------- #
# Lesson prompts
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "prompt, right, wrong, fragment",
    [
        (ex01.p1, "a", "c", "pulls harder"),
        (ex01.p1, "a", "b", "compensates"),
        (ex01.p2, "c", "a", "not the share of positive tests"),
        (ex01.p2, "c", "d", "does carry information"),
        (ex01.p3, "b", "a", "very different damage"),
        (ex01.p3, "b", "c", "far apart"),
    ],
)
def test_lesson_prompts(prompt, right, wrong, fragment):
    assert prompt.check(right)
    assert prompt.points == 0
    assert_fails(prompt.check(wrong), fragment)


def test_hints_step_through_and_solution_is_marked():
    ex01.q4._hints_shown = 0
    first, second, third, again = ex01.q4.hint(), ex01.q4.hint(), ex01.q4.hint(), ex01.q4.hint()
    assert "Hint 1/3" in first.title and "Hint 2/3" in second.title and "last hint" in third.title
    assert again.text == third.text
    assert "share_truly_sick" in ex01.q4.solution().code


# --------------------------------------------------------------------------- #
# Speed: every check well under half a second, even on a cold cache.
# --------------------------------------------------------------------------- #




# --------------------------------------------------------------------------- #
# Issue 9: valid alternatives pass, mistakes are named only on proof, with stable ids
# --------------------------------------------------------------------------- #


def test_q1_alternatives(y_abalone):
    from collections import Counter

    counter = Counter(y_abalone.tolist())
    assert ex01.q1.check([counter[0], counter[1]])
    assert ex01.q1.check(np.unique(y_abalone.to_numpy(), return_counts=True)[1])
    assert ex01.q1.check(tuple(int((y_abalone == c).sum()) for c in (0, 1)))
    assert ex01.q1.check(pd.crosstab(y_abalone, "n")["n"])
    assert ex01.q1.check(y_abalone.value_counts().sort_index()[::-1]).mistake == "swapped"


def test_q2_alternatives_and_swapped_parts(y_abalone):
    counts = np.bincount(y_abalone)
    assert ex01.q2.check(np.float64(counts[0]) / counts[1], counts[1] / counts.sum())
    assert ex01.q2.check(y_abalone.value_counts().max() / y_abalone.value_counts().min(), y_abalone.mean())
    assert ex01.q2.check(129.4, 0.007667)  # typed to 4 significant digits
    swapped = ex01.q2.check(y_abalone.mean(), counts[0] / counts[1])
    assert swapped.mistake == "abalone_ir=swapped; abalone_prevalence=swapped" and swapped.points == 0


def test_q4_alternatives_and_swapped_rates():
    prevalence, sensitivity, specificity = 0.02, 0.90, 0.95
    bayes = sensitivity * prevalence / (sensitivity * prevalence + (1 - specificity) * (1 - prevalence))
    assert ex01.q4.check(bayes)
    assert ex01.q4.check(np.float32(180 / (180 + 490)))
    swapped = specificity * prevalence / (specificity * prevalence + (1 - sensitivity) * (1 - prevalence))
    assert assert_fails(ex01.q4.check(swapped), "exchanged the two rates").mistake == "swapped"


def test_q5_right_model_is_never_told_it_was_fitted_on_all_data(toy):
    """Issue 9 §3: with 47 minority test points recalls are multiples of 1/47; 22/47 is also the recall
    of a model fitted on all the data, but the model part proves the model is right."""
    result = ex01.q5.check(toy["model"], 22 / 47)
    assert result.points == 1 and "all the data" not in result.message and "`model`: correct" in result.message
    assert result.mistake is None
    assert ex01.q5.check(toy["model"], 23 / 47).mistake is None


def test_q5_alternatives(toy):
    X_train, X_test, y_train, y_test = toy["X_train"], toy["X_test"], toy["y_train"], toy["y_test"]
    from sklearn.metrics import confusion_matrix

    for same in (
        LogisticRegression(solver="newton-cholesky"),
        LogisticRegression(solver="sag", max_iter=5000),
        LogisticRegression(solver="saga", max_iter=5000),
        LogisticRegression(tol=1e-8, max_iter=10_000),
        LogisticRegression(class_weight={0: 1, 1: 1}),
    ):
        model = same.fit(X_train, y_train)
        pred = model.predict(X_test)
        by_hand = ((pred == 1) & (y_test == 1)).sum() / (y_test == 1).sum()
        assert ex01.q5.check(model, by_hand), same
    tn, fp, fn, tp = confusion_matrix(y_test, toy["model"].predict(X_test)).ravel()
    assert ex01.q5.check(toy["model"], tp / (tp + fn))
    proba = toy["model"].predict_proba(X_test)[:, 1]
    assert ex01.q5.check(toy["model"], recall_score(y_test, (proba > 0.5).astype(int)))


def test_q5_mistake_ids(toy):
    model, X_test, y_test = toy["model"], toy["X_test"], toy["y_test"]
    pred = model.predict(X_test)
    assert ex01.q5.check(model, recall_score(pred, y_test)).mistake == "minority_recall=swapped"
    assert ex01.q5.check(model, recall_score(y_test, pred, pos_label=0)).mistake == "minority_recall=wrong-class"
    on_all = LogisticRegression().fit(np.vstack([toy["X_train"], X_test]), np.r_[toy["y_train"], y_test])
    assert ex01.q5.check(on_all, recall_score(y_test, on_all.predict(X_test))).mistake == "model=all-data"


def _messages(answer):
    """Every fixed message a part can give for a wrong answer (mistakes and requirements)."""
    for mistake in getattr(answer, "mistakes", ()):
        message = mistake.message if hasattr(mistake, "message") else mistake[-1]
        if isinstance(message, str):
            yield message
    for requirement in getattr(answer, "requirements", ()):
        if isinstance(requirement[-1], str):
            yield requirement[-1]


@pytest.mark.parametrize("key", ["ex01", "ex02", "ex03"])
def test_wrong_answer_messages_never_hold_the_solution_code(key):
    """Issue 9 §3: the solution's code lines (or their right-hand sides) belong to solution() only."""
    import importlib

    module = importlib.import_module(f"course_utils.exercises.{key}")
    for question in module.exercise.questions.values():
        lines = [line.strip() for line in question.solution_code.splitlines() if len(line.strip()) > 12]
        sides = [line.split("=", 1)[1].strip() for line in lines if "=" in line and "==" not in line]
        secrets = lines + [side for side in sides if len(side) >= 25]
        for answer in question.parts.values():
            for message in _messages(answer):
                for secret in secrets:
                    assert secret not in message, (question.label, secret, message)


# --------------------------------------------------------------------------- #
# q8, transfer: ecoli4
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def ecoli():
    from sklearn.pipeline import make_pipeline as sk_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data.load_ecoli4(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    model = sk_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    return X_train, X_test, y_train, y_test, model


def _q8_fit(model, X_fit, y_fit, X_test, y_test):
    """The learner's step 8: fit ``model``, then both recalls on the test half."""
    model.fit(X_fit, y_fit)
    pred = model.predict(X_test)
    return model, recall_score(y_test, pred), recall_score(y_test, pred, pos_label=0)


def test_q8_solution_and_alternatives_pass(ecoli):
    from sklearn.metrics import confusion_matrix
    from sklearn.pipeline import Pipeline
    from sklearn.pipeline import make_pipeline as sk_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test, model = ecoli
    pred = model.predict(X_test)
    assert ex01.q8.check(model, recall_score(y_test, pred), recall_score(y_test, pred, pos_label=0))
    tn, fp, fn, tp = confusion_matrix(y_test, pred).ravel()
    assert ex01.q8.check(model, tp / (tp + fn), tn / (tn + fp))
    # Every converged solver, and other step names, are the same model.
    for settings in ({"solver": "newton-cholesky"}, {"solver": "newton-cg"}, {"solver": "sag", "max_iter": 1000},
                     {"solver": "saga", "max_iter": 1000}):
        other = sk_pipeline(StandardScaler(), LogisticRegression(**settings))
        assert ex01.q8.check(*_q8_fit(other, X_train, y_train, X_test, y_test)), settings
    named = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    assert ex01.q8.check(*_q8_fit(named, X_train, y_train, X_test, y_test))


def test_q8_mistakes(ecoli):
    X_train, X_test, y_train, y_test, model = ecoli
    pred = model.predict(X_test)
    recall, majority = recall_score(y_test, pred), recall_score(y_test, pred, pos_label=0)
    # 0.8 is the training recall and also liblinear's test recall. With the default fit as the model part, it
    # was no liblinear fit: only the training half is named (learner pass 5: the liblinear slip was a red herring).
    train_recall = ex01.q8.check(model, recall_score(y_train, model.predict(X_train)), majority)
    assert train_recall.mistake == "ecoli_recall=training-set", train_recall
    assert "training half" in train_recall.message and "liblinear" not in train_recall.message
    # Without a model to rule it out (not set), the value alone cannot tell which.
    alone = ex01.q8.check(..., recall_score(y_train, model.predict(X_train)), majority)
    assert alone.mistake == "ecoli_recall=liblinear|training-set" and "cannot tell" in alone.message
    assert ex01.q8.check(model, 100 * recall, majority).mistake == "ecoli_recall=percentage"
    # Exchanged: each part names what it holds (1.0 is also the precision, so that part says it cannot tell).
    exchanged = ex01.q8.check(model, majority, recall)
    assert exchanged.mistake == "ecoli_recall=swapped|wrong-class; ecoli_majority_recall=wrong-class"
    # 1.0 is the precision (swapped arguments) and the majority's recall: the check says it cannot tell which.
    both = ex01.q8.check(model, precision_score(y_test, pred), majority)
    assert both.mistake == "ecoli_recall=swapped|wrong-class" and "cannot tell which" in both.message
    assert ex01.q8.check(model, recall, accuracy_score(y_test, pred)).mistake == "ecoli_majority_recall=accuracy"


def test_q8_liblinear_is_named_not_called_the_training_recall(ecoli):
    """Learner finding 4: liblinear's test recall (0.8) equals the training recall; the check named only the
    training half. liblinear penalises the intercept (another model): the model part says so, and the recall
    part says it cannot tell the two apart (consistent with ex02 q7 and ex03 q4)."""
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test, _ = ecoli
    answer = _q8_fit(make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear")),
                     X_train, y_train, X_test, y_test)
    result = ex01.q8.check(*answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == "ecoli_model=liblinear; ecoli_recall=liblinear|training-set"
    assert "penalises the intercept" in result.message and "cannot tell which" in result.message


def test_q8_checks_the_model_rows_and_settings(ecoli):
    """Learner finding 8: a model fitted on the test half or on all rows only got "0.9 is too high", a model
    without its scaler "0 is too low". The model part now names the leak and the missing scaler."""
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test, _ = ecoli
    on_test = _q8_fit(make_pipeline(StandardScaler(), LogisticRegression()), X_test, y_test, X_test, y_test)
    assert ex01.q8.check(*on_test).mistake.startswith("ecoli_model=test-set")
    X_all, y_all = pd.concat([X_train, X_test]), pd.concat([y_train, y_test])
    on_all = _q8_fit(make_pipeline(StandardScaler(), LogisticRegression()), X_all, y_all, X_test, y_test)
    assert ex01.q8.check(*on_all).mistake.startswith("ecoli_model=all-data")
    unscaled = _q8_fit(LogisticRegression(), X_train, y_train, X_test, y_test)
    assert ex01.q8.check(*unscaled).mistake.startswith("ecoli_model=no-scaler")
    weighted = _q8_fit(make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced")),
                       X_train, y_train, X_test, y_test)
    assert ex01.q8.check(*weighted).mistake.startswith("ecoli_model=class-weight")
    with pytest.warns(ConvergenceWarning):
        stopped = _q8_fit(make_pipeline(StandardScaler(), LogisticRegression(solver="saga", max_iter=5)),
                          X_train, y_train, X_test, y_test)
    assert ex01.q8.check(*stopped).mistake.startswith("ecoli_model=not-converged")
    unfitted = ex01.q8.check(make_pipeline(StandardScaler(), LogisticRegression()), *on_test[1:])
    assert "could not be checked" in unfitted.message


def test_q8_percentage_is_named_in_every_part(ecoli):
    """Learner finding 7: `100*ecoli_majority_recall` got a bare "incorrect." (its message, the same as the
    other part's, was dropped as a repeat). A repeated reason is now said to be the same."""
    _, _, _, _, model = ecoli
    result = ex01.q8.check(model, 100 * 0.7, 100 * 1.0)
    assert result.mistake == "ecoli_recall=percentage; ecoli_majority_recall=percentage"
    assert "`ecoli_majority_recall`: incorrect. The same slip as `ecoli_recall`." in result.message
    alone = ex01.q8.check(model, 0.7, 100 * 1.0)
    assert "`ecoli_majority_recall`: incorrect. That is a percentage" in alone.message


def test_q8_one_part_unset_is_not_incorrect(ecoli):
    """Learner finding 6: one part right and one still `...` was "Incorrect"; nothing is incorrect, so the
    question is not attempted yet (the right parts keep their share of the points)."""
    _, _, _, _, model = ecoli
    result = ex01.q8.check(model, 0.7, ...)
    assert result.status is Status.NOT_ATTEMPTED
    assert "`ecoli_recall`: correct." in result.message and "`ecoli_majority_recall`: not attempted." in result.message
    assert result.points > 0
    assert ex01.q8.check(model, 0.5, ...).status is Status.INCORRECT


def test_q1_hints_guide_without_giving_the_answer():
    """Learner finding 9: hint 2 practically stated the answer (`value_counts().sort_index()`)."""
    for hint in ex01.q1.hints:
        assert "sort_index" not in hint and "bincount" not in hint


def test_q8_answer_states_what_the_numbers_show(ecoli):
    """The solution's answer: 7 of 10 minority proteins found, every majority one; accuracy about 0.98, 168 rows."""
    X_train, X_test, y_train, y_test, model = ecoli
    pred = model.predict(X_test)
    assert int(((pred == 1) & (y_test == 1)).sum()) == 7 and int(y_test.sum()) == 10
    assert recall_score(y_test, pred, pos_label=0) == 1.0
    assert len(y_test) == 168 and round(accuracy_score(y_test, pred), 2) == 0.98
