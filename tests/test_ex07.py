"""Exercise 07's checks: the solution's answers pass, valid alternatives pass, and realistic mistakes fail
with the message that names them."""

from __future__ import annotations

import json
import time
import timeit

import numpy as np
import pytest
from conftest import assert_fails
from imblearn.over_sampling import SMOTE, BorderlineSMOTE
from imblearn.pipeline import Pipeline, make_pipeline
from imblearn.under_sampling import NearMiss, RandomUnderSampler
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from course_utils import data
from course_utils.checks import Status
from course_utils.exercises import ex07

pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")

# --------------------------------------------------------------------------- #
# q1: the danger mask
# --------------------------------------------------------------------------- #


def _majority_counts(X, y, m, *, include_self=False):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    index = NearestNeighbors(n_neighbors=m + 1).fit(X).kneighbors(X, return_distance=False)
    return (y[index[:, :m] if include_self else index[:, 1:]] == 0).sum(axis=1)


def danger_solution(X, y, m_neighbors=10):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    index = NearestNeighbors(n_neighbors=m_neighbors + 1).fit(X).kneighbors(X, return_distance=False)
    n_majority = (y[index[:, 1:]] == 0).sum(axis=1)
    return (y == 1) & (n_majority >= m_neighbors / 2) & (n_majority < m_neighbors)


def danger_by_distance_matrix(X, y, m_neighbors=10):
    """Valid: a full distance matrix, the diagonal masked, argsort; returns a Python list of bools."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    distances = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1)[:, :m_neighbors]
    n_majority = (y[neighbours] == 0).sum(axis=1)
    return [bool(v) for v in (y == 1) & (2 * n_majority >= m_neighbors) & (n_majority != m_neighbors)]


def danger_from_imblearn(X, y, m_neighbors=10):
    """Valid output (not from scratch, but the check judges the mask): imbalanced-learn's own indices."""
    sampler = BorderlineSMOTE(m_neighbors=m_neighbors, k_neighbors=3, random_state=0)
    sampler.fit_resample(np.asarray(X, dtype=float), np.asarray(y))
    mask = np.zeros(len(y), dtype=int)  # 0/1 integers are accepted as booleans
    mask[sampler.in_danger_indices[1]] = 1
    return mask


def danger_same_class(X, y, m_neighbors=10):
    n_same = m_neighbors - _majority_counts(X, y, m_neighbors)
    return (np.asarray(y) == 1) & (n_same >= m_neighbors / 2) & (n_same < m_neighbors)


def danger_with_noise(X, y, m_neighbors=10):
    return (np.asarray(y) == 1) & (_majority_counts(X, y, m_neighbors) >= m_neighbors / 2)


def danger_counting_self(X, y, m_neighbors=10):
    n_majority = _majority_counts(X, y, m_neighbors, include_self=True)
    return (np.asarray(y) == 1) & (n_majority >= m_neighbors / 2) & (n_majority < m_neighbors)


def danger_strict(X, y, m_neighbors=10):
    n_majority = _majority_counts(X, y, m_neighbors)
    return (np.asarray(y) == 1) & (n_majority > m_neighbors / 2) & (n_majority < m_neighbors)


def danger_indices(X, y, m_neighbors=10):
    return np.flatnonzero(danger_solution(X, y, m_neighbors))


def danger_minority_rows_only(X, y, m_neighbors=10):
    return danger_solution(X, y, m_neighbors)[np.asarray(y) == 1]


def danger_minority_neighbours(X, y, m_neighbors=10):
    # Neighbours looked up among the minority rows only: no majority neighbour is ever found.
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    minority = X[y == 1]
    index = NearestNeighbors(n_neighbors=m_neighbors + 1).fit(minority).kneighbors(minority, return_distance=False)
    mask = np.zeros(len(y), dtype=bool)
    mask[np.flatnonzero(y == 1)] = (index[:, 1:] < 0).sum(axis=1) >= m_neighbors / 2
    return mask


def danger_prints(X, y, m_neighbors=10):
    print(danger_solution(X, y, m_neighbors).sum())


def danger_wrong_signature(X, y, m=10):
    return danger_solution(X, y, m)


@pytest.mark.parametrize("function", [danger_solution, danger_by_distance_matrix, danger_from_imblearn])
def test_q1_valid_functions_pass(function):
    assert ex07.q1.check(function).status is Status.CORRECT


def test_q1_definition_matches_imblearn_on_every_case():
    for seed in (0, 1, 2):
        for case in ex07._danger_cases(seed):
            assert np.array_equal(ex07.danger_reference(**case), ex07._imblearn_danger(**case))
            assert ex07.danger_reference(**case).any()  # every case has rows in danger


def test_q1_cases_tell_the_misreadings_apart():
    # Each misreading changes the mask on at least one generated case, so the check can tell it from the right one.
    cases = ex07._danger_cases(0)
    for wrong in (danger_same_class, danger_with_noise, danger_counting_self, danger_strict):
        assert any(not np.array_equal(wrong(**c), ex07.danger_reference(**c)) for c in cases), wrong.__name__


@pytest.mark.parametrize(
    "function, fragment",
    [
        (danger_same_class, "*same* class"),
        (danger_with_noise, "noise"),
        (danger_counting_self, "its own neighbour"),
        (danger_strict, "*at least*"),
        (danger_indices, "*indices*"),
        (danger_minority_rows_only, "one per *minority* row"),
        (danger_minority_neighbours, "flags no row at all"),
        (danger_prints, "returns `None`"),
        (danger_wrong_signature, "Keep the signature"),
    ],
)
def test_q1_realistic_mistakes_are_named(function, fragment):
    assert_fails(ex07.q1.check(function), fragment)


def test_q1_other_seeds_and_unfilled_function():
    assert ex07.q1.grade(ex07.q1.extract(danger_solution, seed=5), seed=5).status is Status.CORRECT
    assert ex07.q1.check(lambda X, y, m_neighbors=10: ...).status is Status.NOT_ATTEMPTED


# --------------------------------------------------------------------------- #
# q2: counts on yeast4
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def yeast():
    X, y = data.load_yeast4(return_X_y=True)
    return X.to_numpy(dtype=float), y.to_numpy()


def test_q2_solution_and_numpy_integers_pass(yeast):
    X, y = yeast
    n_danger = int(danger_solution(X, y).sum())
    n_noise = int(((y == 1) & (_majority_counts(X, y, 10) == 10)).sum())
    assert ex07.q2.check(n_danger, n_noise).status is Status.CORRECT
    assert ex07.q2.check(np.int64(n_danger), float(n_noise)).status is Status.CORRECT
    # The counts the lesson's story rests on: most minority rows of yeast4 sit on the border, few are safe.
    assert n_danger > (y == 1).sum() / 2 and n_noise > 0


def test_q2_mistakes(yeast):
    X, y = yeast
    right_danger = int(danger_solution(X, y).sum())
    right_noise = int(((y == 1) & (_majority_counts(X, y, 10) == 10)).sum())
    same_class = int(danger_same_class(X, y).sum())
    with_noise = int(danger_with_noise(X, y).sum())
    assert len({right_danger, same_class, with_noise}) == 3
    assert_fails(ex07.q2.check(same_class, right_noise), "*same* class", points=1)
    assert_fails(ex07.q2.check(with_noise, right_noise), "noise rows", points=1)
    assert_fails(ex07.q2.check(right_danger, right_danger), "number of rows in danger", points=1)
    assert_fails(ex07.q2.check(right_danger / (y == 1).sum(), right_noise), "not a share", points=1)


# --------------------------------------------------------------------------- #
# q3: a sampler chosen by CV, "passthrough" among the candidates
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def new_data():
    return data.make_imbalanced(n_samples=1200, imbalance_ratio=15, class_sep=0.8, label_noise=0.1, random_state=3)


def _pipe():
    return Pipeline([("scale", StandardScaler()), ("sampler", "passthrough"), ("model", LogisticRegression())])


def _cv():
    return RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)


def _candidates(first="passthrough"):
    return [first, SMOTE(random_state=0), BorderlineSMOTE(random_state=0), RandomUnderSampler(random_state=0)]


@pytest.fixture(scope="module")
def solution_search(new_data):
    X, y = new_data
    return GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring="average_precision", cv=_cv()).fit(X, y)


def test_q3_solution_passes(solution_search):
    assert ex07.q3.check(solution_search, solution_search.best_score_).status is Status.CORRECT


def test_q3_alternative_grid_passes(new_data, solution_search):
    # None means "no step" in an imblearn Pipeline too; a list of grids and another order are the same search.
    X, y = new_data
    candidates = _candidates(first=None)[::-1]
    search = GridSearchCV(_pipe(), [{"sampler": candidates[:2]}, {"sampler": candidates[2:]}],
                          scoring="average_precision", cv=_cv()).fit(X, y)
    assert search.best_score_ == pytest.approx(solution_search.best_score_)
    assert ex07.q3.check(search, search.best_score_).status is Status.CORRECT


def test_q3_mistakes(new_data, solution_search):
    X, y = new_data
    best = solution_search.best_score_
    no_passthrough = GridSearchCV(_pipe(), {"sampler": _candidates()[1:]}, scoring="average_precision",
                                  cv=_cv()).fit(X, y)
    assert_fails(ex07.q3.check(no_passthrough, best), '`"passthrough"`', points=1)
    by_accuracy = GridSearchCV(_pipe(), {"sampler": _candidates()}, cv=_cv()).fit(X, y)
    assert_fails(ex07.q3.check(by_accuracy, by_accuracy.best_score_), "accuracy", points=0)
    five_fold = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring="average_precision", cv=5).fit(X, y)
    assert_fails(ex07.q3.check(five_fold, five_fold.best_score_), "cv=cv", points=0)
    unfitted = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring="average_precision", cv=_cv())
    assert_fails(ex07.q3.check(unfitted, best), "not fitted", points=1, status=Status.UNCHECKABLE)  # issue 9: unfitted is not wrong
    assert_fails(ex07.q3.check(solution_search, round(best, 1)), "round", points=1)
    worst = float(np.min(solution_search.cv_results_["mean_test_score"]))
    assert_fails(ex07.q3.check(solution_search, worst), "one candidate", points=1)
    assert_fails(ex07.q3.check(solution_search, 100 * best), "percentage", points=1)


def test_q3_candidate_set_is_established_from_the_grid(new_data, solution_search):
    # learnerB78: Borderline-SMOTE replaced by SMOTE(k_neighbors=3), and the samplers' seeds changed, were accepted
    # with "compares passthrough and the three samplers".
    X, y = new_data
    best = solution_search.best_score_
    replaced = GridSearchCV(_pipe(), {"sampler": ["passthrough", SMOTE(random_state=0), SMOTE(k_neighbors=3, random_state=0),
                                                  RandomUnderSampler(random_state=0)]},
                            scoring="average_precision", cv=_cv()).fit(X, y)
    result = assert_fails(ex07.q3.check(replaced, replaced.best_score_), "no `BorderlineSMOTE` candidate", points=1)
    assert result.mistake.startswith("search=candidates")
    reseeded = GridSearchCV(_pipe(), {"sampler": ["passthrough", SMOTE(random_state=1), BorderlineSMOTE(random_state=1),
                                                  RandomUnderSampler(random_state=1)]},
                            scoring="average_precision", cv=_cv()).fit(X, y)
    assert_fails(ex07.q3.check(reseeded, reseeded.best_score_), "set differently", "`random_state=1`", points=1)
    message = ex07.q3.check(solution_search, best).message
    assert "three samplers" in message and "recorded" in message


def test_q3_without_passthrough_number_is_named(solution_search):
    scores = ex07._search_scores()
    if np.isclose(scores["without_passthrough"], scores["best"]):
        pytest.skip("a sampler wins here, so its best score is also the right answer")
    assert_fails(ex07.q3.check(solution_search, scores["without_passthrough"]), "samplers alone", points=1)


# --------------------------------------------------------------------------- #
# q4 / q5: the speed-up and its cost
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def big():
    return ex07._big_data()


@pytest.fixture(scope="module")
def fitted_models(big):
    X, y, _, _ = big
    full = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    fast = make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),
                         LogisticRegression()).fit(X, y)
    return full, fast


def _cpu_seconds(model, X, y):
    """The solution's timing: CPU seconds of the fastest of five fits."""
    return min(timeit.repeat(lambda: model.fit(X, y), number=1, repeat=5, timer=time.process_time))


@pytest.fixture(scope="module")
def report(big, fitted_models):
    """An honest report, measured here as the solution measures it."""
    X, y, _, _ = big
    full, fast = fitted_models
    with threadpool_limits(1):
        full_seconds, fast_seconds = _cpu_seconds(clone(full), X, y), _cpu_seconds(clone(fast), X, y)
    return {"full_seconds": full_seconds, "fast_seconds": fast_seconds, "speedup": full_seconds / fast_seconds}


def test_q4_solution_passes(fitted_models, report):
    full, fast = fitted_models
    assert ex07.q4.check(full, fast, report).status is Status.CORRECT
    as_numpy = {k: np.float64(v) for k, v in report.items()}
    assert ex07.q4.check(full, fast, as_numpy).status is Status.CORRECT


def test_q4_other_honest_timings_pass(big, fitted_models):
    # A single wall-clock timing (time.perf_counter), and the mean of several fits (timeit.timeit): both valid.
    X, y, _, _ = big
    full, fast = fitted_models
    start = time.perf_counter()
    full.fit(X, y)
    full_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fast.fit(X, y)
    fast_seconds = time.perf_counter() - start
    single = {"full_seconds": full_seconds, "fast_seconds": fast_seconds, "speedup": full_seconds / fast_seconds}
    assert ex07.q4.check(full, fast, single).status in (Status.CORRECT, Status.UNCHECKABLE)  # a busy machine
    full_mean = timeit.timeit(lambda: full.fit(X, y), number=3) / 3
    fast_mean = timeit.timeit(lambda: fast.fit(X, y), number=3) / 3
    mean = {"full_seconds": full_mean, "fast_seconds": fast_mean, "speedup": full_mean / fast_mean}
    assert ex07.q4.check(full, fast, mean).status in (Status.CORRECT, Status.UNCHECKABLE)


def test_q4_sampler_after_the_scaler_is_refused(big, fitted_models, report):
    # Learner pass 6: the step says "as its first step"; with the sampler second, the scaler still fits on all rows.
    X, y, _, _ = big
    full, _ = fitted_models
    fast = make_pipeline(StandardScaler(), RandomUnderSampler(sampling_strategy=0.1, random_state=0),
                         LogisticRegression()).fit(X, y)
    result = assert_fails(ex07.q4.check(full, fast, report), "`RandomUnderSampler` first", points=None)
    assert "fast_model=sampler-not-first" in result.mistake


def test_q4_report_mistakes(fitted_models, report):
    full, fast = fitted_models
    f, g = report["full_seconds"], report["fast_seconds"]
    assert_fails(ex07.q4.check(full, fast, {**report, "speedup": g / f}), "other way round", points=2)
    assert_fails(ex07.q4.check(full, fast, {**report, "speedup": 1.5 * f / g}), "not `full_seconds / fast_seconds`",
                 points=2)
    slower = {"full_seconds": f, "fast_seconds": 1.2 * f, "speedup": 1 / 1.2}
    # Not faster does not prove a slip (a busy machine can invert two short fits): could not be checked, no points.
    assert_fails(ex07.q4.check(full, fast, slower), "not faster", "timeit.repeat", status=Status.UNCHECKABLE,
                 points=2)
    in_ms = {"full_seconds": 600.0, "fast_seconds": 100.0, "speedup": 6.0}
    assert_fails(ex07.q4.check(full, fast, in_ms), "plausible fit time", points=2)
    result = ex07.q4.check(full, fast, {"full_seconds": f, "fast_seconds": g})
    assert result.status is Status.UNCHECKABLE and "'speedup'" in result.message


def test_q4_model_mistakes(big, fitted_models, report):
    X, y, _, _ = big
    full, _ = fitted_models
    X_small, y_small = X[:20_000], y[:20_000]
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_small, y_small)
    assert_fails(ex07.q4.check(full, plain, report), "RandomUnderSampler", points=2)
    smote = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()).fit(X_small, y_small)
    assert_fails(ex07.q4.check(full, smote, report), "not an under-sampler", points=2)
    unfitted = make_pipeline(RandomUnderSampler(sampling_strategy=0.1), StandardScaler(), LogisticRegression())
    assert_fails(ex07.q4.check(full, unfitted, report), "not fitted", points=2, status=Status.UNCHECKABLE)
    ratio = y.sum() / (len(y) - y.sum())
    nothing_removed = make_pipeline(RandomUnderSampler(sampling_strategy=ratio, random_state=0), StandardScaler(),
                                    LogisticRegression()).fit(X, y)
    # (its report, measured on the step's fast model, is also far from what this one costs: not judged here)
    assert_fails(ex07.q4.check(full, nothing_removed, report), "removed nothing", points=None)


# learnerC78's cases (step 4): numbers the check's own timing of the two models disproves, and models that are
# not the step's.


def test_q4_times_in_minutes_are_named(fitted_models, report):
    full, fast = fitted_models
    f, g = report["full_seconds"], report["fast_seconds"]
    result = assert_fails(ex07.q4.check(full, fast, {"full_seconds": f / 60, "fast_seconds": g / 60, "speedup": f / g}),
                          "minutes", points=2)
    assert result.mistake == "speed_report=minutes"


def test_q4_a_time_too_short_for_the_fit_is_refused(fitted_models):
    full, fast = fitted_models
    typed = {"full_seconds": 1.0, "fast_seconds": 0.001, "speedup": 1000.0}
    result = assert_fails(ex07.q4.check(full, fast, typed), "`fast_seconds`", "much shorter", points=2)
    assert result.mistake == "speed_report=too-short"


def test_q4_a_speedup_far_above_the_checks_cannot_pass(fitted_models, report):
    # Five fits summed for the full model, the fastest one for the fast model: 8.5 times where the fits give ~1.7.
    full, fast = fitted_models
    f, g = report["full_seconds"], report["fast_seconds"]
    summed = {"full_seconds": 5 * f, "fast_seconds": g, "speedup": 5 * f / g}
    assert_fails(ex07.q4.check(full, fast, summed), "far longer", "total of five fits", status=Status.UNCHECKABLE,
                 points=2)
    # Learner pass 6: both times summed over five fits (the speed-up then right) passed under the former factor 8.
    both = {"full_seconds": 5 * f, "fast_seconds": 5 * g, "speedup": f / g}
    assert_fails(ex07.q4.check(full, fast, both), "far longer", "total of five fits", status=Status.UNCHECKABLE,
                 points=2)
    # Three fits summed for the full model only: caught by the speed-up, as before.
    three = {"full_seconds": 3 * f, "fast_seconds": g, "speedup": 3 * f / g}
    assert_fails(ex07.q4.check(full, fast, three), "far above", "one fit each", status=Status.UNCHECKABLE, points=2)


def test_q4_full_model_fitted_on_part_of_the_rows_is_refused(big, fitted_models, report):
    X, y, _, _ = big
    _, fast = fitted_models
    half = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:50_000], y[:50_000])
    result = assert_fails(ex07.q4.check(half, fast, report), "not fitted on all of `X_big", points=2)
    assert result.mistake == "full_model=full-fit-rows"


@pytest.mark.parametrize("which", ["full without the scaler", "fast without the scaler", "fast with class weights"])
def test_q4_fast_model_must_be_full_model_with_a_sampler(big, fitted_models, report, which):
    X, y, _, _ = big
    full, fast = fitted_models
    sampler = RandomUnderSampler(sampling_strategy=0.1, random_state=0)
    if which == "full without the scaler":
        full = LogisticRegression(max_iter=1000).fit(X, y)
    elif which == "fast without the scaler":
        fast = make_pipeline(sampler, LogisticRegression()).fit(X, y)
    else:
        fast = make_pipeline(sampler, StandardScaler(), LogisticRegression(class_weight="balanced")).fit(X, y)
    result = assert_fails(ex07.q4.check(full, fast, report), "not `full_model` with an under-sampler", points=2)
    assert result.mistake == "fast_model=same-model"


def test_q4_other_under_samplers_are_named(big, fitted_models, report):
    # learnerC78 M1: NearMiss was "correct", and its slower fit was blamed on other programs.
    X, y, _, _ = big
    full, _ = fitted_models
    X_part, y_part = X[:20_000], y[:20_000]
    near_miss = make_pipeline(NearMiss(sampling_strategy=0.1), StandardScaler(), LogisticRegression()).fit(X_part, y_part)
    result = assert_fails(ex07.q4.check(full, near_miss, report), "`NearMiss`", "RandomUnderSampler", points=2)
    assert result.mistake == "fast_model=other-under-sampler"


def test_q4_fast_model_fitted_on_part_of_x_big_is_named(big, fitted_models, report):
    # learnerC78 M3: "not rows of X_big", though they were (the first 50,000).
    X, y, _, _ = big
    full, _ = fitted_models
    fast = make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),
                         LogisticRegression()).fit(X[:50_000], y[:50_000])
    assert_fails(ex07.q4.check(full, fast, report), "did not keep every positive", "a part of them", points=2)


def test_q5_solution_and_decision_function_pass(big, fitted_models):
    _, _, X_test, y_test = big
    full, fast = fitted_models
    ap_full = average_precision_score(y_test, full.predict_proba(X_test)[:, 1])
    ap_fast = average_precision_score(y_test, fast.predict_proba(X_test)[:, 1])
    assert ex07.q5.check(ap_full, ap_fast).status is Status.CORRECT
    # Scores in another unit rank the rows the same way: the same AP.
    assert ex07.q5.check(average_precision_score(y_test, full.decision_function(X_test)),
                         average_precision_score(y_test, fast.decision_function(X_test))).status is Status.CORRECT


def test_q5_mistakes(big, fitted_models):
    X, y, X_test, y_test = big
    full, fast = fitted_models
    ap_full = average_precision_score(y_test, full.predict_proba(X_test)[:, 1])
    ap_fast = average_precision_score(y_test, fast.predict_proba(X_test)[:, 1])
    assert_fails(ex07.q5.check(ap_fast, ap_full), "other model", points=0)
    assert_fails(ex07.q5.check(average_precision_score(y_test, full.predict(X_test)), ap_fast), "0/1 predictions",
                 points=1)
    assert_fails(ex07.q5.check(roc_auc_score(y_test, full.predict_proba(X_test)[:, 1]), ap_fast), "ROC-AUC", points=1)
    assert_fails(ex07.q5.check(ap_full, average_precision_score(y, fast.predict_proba(X)[:, 1])), "training data",
                 points=1)
    balanced = make_pipeline(RandomUnderSampler(random_state=0), StandardScaler(), LogisticRegression()).fit(X, y)
    ap_balanced = average_precision_score(y_test, balanced.predict_proba(X_test)[:, 1])
    assert_fails(ex07.q5.check(ap_full, ap_balanced), "sampling_strategy=0.1", points=1)
    assert_fails(ex07.q5.check(100 * ap_full, ap_fast), "percentage", points=1)


# --------------------------------------------------------------------------- #
# q6 and the lesson's prompts
# --------------------------------------------------------------------------- #


def test_q6_choice():
    assert ex07.q6.check("a").status is Status.CORRECT
    assert ex07.q6.check(" (A) ").status is Status.CORRECT
    assert_fails(ex07.q6.check("d"), "SVM-SMOTE")
    assert_fails(ex07.q6.check("b"), "safe rows are never starting points")


@pytest.mark.parametrize("prompt, right", [(ex07.p1, "b"), (ex07.p2, "a"), (ex07.p3, "b"), (ex07.p4, "b")])
def test_prompts_accept_their_answer(prompt, right):
    assert prompt.check(right).status is Status.CORRECT
    wrong = next(k for k in prompt.parts["my_prediction"].options if k != right)
    assert prompt.check(wrong).status is Status.INCORRECT


def test_q1_cases_exist_for_every_grader_seed():
    # The grader draws its seed below 2**32; the case generator must accept all of them (it once overflowed
    # NumPy's RandomState range, and the question became "could not be checked" under the grader).
    for seed in (0, 12_345_678, 2**32 - 1):
        cases = list(ex07.q1.parts["danger_mask"].make_cases(seed))
        assert cases, seed


# --------------------------------------------------------------------------- #
# learner78's cases
# --------------------------------------------------------------------------- #


def danger_wrong_class(X, y, m_neighbors=10):
    # learner78 attempt 1.14: label 0 taken as the minority
    from sklearn.neighbors import NearestNeighbors as NN

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    idx = NN(n_neighbors=m_neighbors + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    n_other = (y[idx] == 1).sum(axis=1)
    return (y == 0) & (n_other >= m_neighbors / 2) & (n_other < m_neighbors)


def danger_ignores_m(X, y, m_neighbors=10):
    # learner78 attempt 1.10: m hard-coded
    return danger_solution(X, y, 10)


def test_q1_wrong_class_and_ignored_m_are_named():
    result = assert_fails(ex07.q1.check(danger_wrong_class), "wrong class", "label 1")
    assert result.mistake == "wrong-class" and "user guide" not in result.message
    result = assert_fails(ex07.q1.check(danger_ignores_m), "`m_neighbors` argument")
    assert result.mistake == "ignores-m" and "user guide" not in result.message


def test_q2_standardised_features_are_named(yeast):
    X, y = yeast
    Xs = StandardScaler().fit_transform(X)
    n_danger, n_noise = int(danger_solution(Xs, y).sum()), int(((y == 1) & (_majority_counts(Xs, y, 10) == 10)).sum())
    result = assert_fails(ex07.q2.check(n_danger, n_noise), "standardised", points=0)
    assert result.mistake == "n_danger=standardised; n_noise=standardised"


def test_q3_list_of_the_same_splits_passes(new_data, solution_search):
    # learner78 attempts 3.15 and 3.2: valid, rejected before
    X, y = new_data
    search = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring="average_precision",
                          cv=list(_cv().split(X, y))).fit(X, y)
    assert ex07.q3.check(search, search.best_score_).status is Status.CORRECT


def test_q3_multi_metric_refit_on_ap_passes(new_data):
    # learner78 attempt 3.4: records AP and ROC-AUC, chooses by AP
    X, y = new_data
    search = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring={"ap": "average_precision", "auc": "roc_auc"},
                          refit="ap", cv=_cv()).fit(X, y)
    assert ex07.q3.check(search, search.best_score_).status is Status.CORRECT
    by_auc = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring={"ap": "average_precision", "auc": "roc_auc"},
                          refit="auc", cv=_cv()).fit(X, y)
    assert ex07.q3.check(by_auc, by_auc.best_score_).mistake.startswith("search=scoring")


def test_q3_scorer_objects_of_other_metrics_are_refused(new_data, solution_search):
    # learner78 attempts 3.22 (ROC-AUC scorer: "everything asked for") and 3.23 (F1 scorer with a stale best_ap)
    from sklearn.metrics import f1_score, get_scorer, make_scorer

    X, y = new_data
    by_f1 = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring=make_scorer(f1_score), cv=_cv()).fit(X, y)
    result = assert_fails(ex07.q3.check(by_f1, solution_search.best_score_), "F1", points=1)
    assert result.mistake == "search=recorded-scores"
    by_auc = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring=get_scorer("roc_auc"), cv=_cv()).fit(X, y)
    result = assert_fails(ex07.q3.check(by_auc, by_auc.best_score_), "ROC-AUC")
    assert "everything asked for" not in result.message
    # and the AP scorer built by hand is accepted (learner78 attempt 3.17)
    by_ap = GridSearchCV(_pipe(), {"sampler": _candidates()},
                         scoring=make_scorer(average_precision_score, response_method="predict_proba"),
                         cv=_cv()).fit(X, y)
    assert ex07.q3.check(by_ap, by_ap.best_score_).status is Status.CORRECT


def test_q3_search_on_part_of_the_rows_is_named(new_data):
    # learner78 attempt 3.12
    X, y = new_data
    half = GridSearchCV(_pipe(), {"sampler": _candidates()}, scoring="average_precision", cv=_cv()).fit(X[:600], y[:600])
    assert_fails(ex07.q3.check(half, half.best_score_), "600 rows", points=None)


def test_q3_other_numbers_for_best_ap_are_named(new_data, solution_search):
    # learner78 attempts 3.9 (training score), 3.10 (mean over candidates), 3.21 (spread of the best)
    X, y = new_data
    r = solution_search.cv_results_
    assert ex07.q3.check(solution_search, solution_search.score(X, y)).mistake == "best_ap=training-score"
    assert ex07.q3.check(solution_search, float(np.mean(r["mean_test_score"]))).mistake == "best_ap=mean-of-candidates"
    assert ex07.q3.check(solution_search, float(r["std_test_score"][solution_search.best_index_])).mistake == \
        "best_ap=spread-not-mean"


@pytest.mark.parametrize("strategy", [1.0, 0.5])
def test_q4_other_ratios_are_refused(big, fitted_models, report, strategy):
    # learner78 attempts 4.6 (1.0) and 4.14 (0.5)
    X, y, _, _ = big
    full, _ = fitted_models
    fast = make_pipeline(RandomUnderSampler(sampling_strategy=strategy, random_state=0), StandardScaler(),
                         LogisticRegression()).fit(X, y)
    result = assert_fails(ex07.q4.check(full, fast, report), "one positive for ten negatives", points=2)
    assert result.mistake == "fast_model=ratio"


def test_q4_fit_on_the_test_rows_is_refused(big, fitted_models, report):
    # learner78 attempt 4.11
    _, _, X_test, y_test = big
    full, _ = fitted_models
    fast = make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),
                         LogisticRegression()).fit(X_test, y_test)
    result = assert_fails(ex07.q4.check(full, fast, report), "*test* rows", points=2)
    assert result.mistake == "fast_model=fit-rows"


def test_q4_milliseconds_are_named(fitted_models):
    # learner78 attempt 4.8: 1000 x the seconds of this machine's fits
    full, fast = fitted_models
    in_ms = {"full_seconds": 180.0, "fast_seconds": 76.0, "speedup": 180 / 76}
    result = assert_fails(ex07.q4.check(full, fast, in_ms), "milliseconds", points=2)
    assert result.mistake == "speed_report=milliseconds"


def test_q4_unseeded_sampler_passes(big, fitted_models, report):
    X, y, _, _ = big
    full, _ = fitted_models
    fast = make_pipeline(RandomUnderSampler(sampling_strategy=0.1), StandardScaler(), LogisticRegression()).fit(X, y)
    assert ex07.q4.check(full, fast, report).status is Status.CORRECT


def test_q5_negative_class_column_is_named(big, fitted_models):
    # learner78 attempt 5.6
    _, _, X_test, y_test = big
    full, fast = fitted_models
    ap_full = average_precision_score(y_test, full.predict_proba(X_test)[:, 1])
    wrong = average_precision_score(y_test, fast.predict_proba(X_test)[:, 0])
    assert ex07.q5.check(ap_full, wrong).mistake == "ap_fast=wrong-class"


def test_q5_sampler_after_the_scaler_is_accepted(big):
    # a valid under-sampled fit (q4 accepts it) moves the AP by 0.02 %: within the course's tolerance
    X, y, X_test, y_test = big
    full = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    fast = make_pipeline(StandardScaler(), RandomUnderSampler(sampling_strategy=0.1, random_state=0),
                         LogisticRegression()).fit(X, y)
    assert ex07.q5.check(average_precision_score(y_test, full.predict_proba(X_test)[:, 1]),
                         average_precision_score(y_test, fast.predict_proba(X_test)[:, 1])).status is Status.CORRECT


def test_q5_both_models_refitted_on_the_test_rows_are_named(big):
    # learnerB78: both models refitted on X_test, AP on X_test, got only "too high".
    _, _, X_test, y_test = big
    full = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_test, y_test)
    fast = make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),
                         LogisticRegression()).fit(X_test, y_test)
    ap_full = average_precision_score(y_test, full.predict_proba(X_test)[:, 1])
    ap_fast = average_precision_score(y_test, fast.predict_proba(X_test)[:, 1])
    result = assert_fails(ex07.q5.check(ap_full, ap_fast), "refitted on `X_test, y_test`", points=0)
    assert result.mistake == "ap_full=refit-on-test; ap_fast=refit-on-test"


# learnerC78 A11 and M2 (step 3): the search must be over the given `pipe`; its passthrough scores alone did not
# show a rebuilt pipeline that resamples before it scales, or a changed model.


@pytest.mark.parametrize("pipe,fragment", [
    (Pipeline([("sampler", "passthrough"), ("scale", StandardScaler()), ("model", LogisticRegression())]),
     "resamples before it scales"),
    (Pipeline([("scale", StandardScaler()), ("sampler", "passthrough"),
               ("model", LogisticRegression(class_weight="balanced"))]), "`class_weight='balanced'`"),
])
def test_q3_a_search_over_another_pipeline_is_named(new_data, pipe, fragment):
    X, y = new_data
    search = GridSearchCV(pipe, {"sampler": _candidates()}, scoring="average_precision", cv=_cv()).fit(X, y)
    result = assert_fails(ex07.q3.check(search, search.best_score_), "not over the given `pipe`", fragment, points=None)
    assert result.mistake.startswith("search=given-pipe")


def test_q3_the_same_pipeline_under_other_step_names_passes(new_data):
    X, y = new_data
    pipe = Pipeline([("scaler", StandardScaler()), ("resample", "passthrough"), ("clf", LogisticRegression())])
    search = GridSearchCV(pipe, {"resample": _candidates()}, scoring="average_precision", cv=_cv()).fit(X, y)
    assert ex07.q3.check(search, search.best_score_).status is Status.CORRECT


def test_q5_trapezoid_area_is_named():
    # learnerC78 M4: `auc(recall, precision)` got "close... did you round?"; the slip is declared once, in checks.
    scores = ex07._big_scores()
    result = ex07.q5.check(scores["full_trapezoid"], scores["fast_trapezoid"])
    assert result.mistake == "ap_full=trapezoid; ap_fast=trapezoid" and "average_precision_score" in result.message


def test_q4_times_far_longer_than_the_fits_cannot_pass(fitted_models):
    # learnerC78 A3: 9 s and 4 s typed in, where the fits take a few hundredths of a second.
    full, fast = fitted_models
    typed = {"full_seconds": 9.0, "fast_seconds": 4.0, "speedup": 2.25}
    assert_fails(ex07.q4.check(full, fast, typed), "far longer", status=Status.UNCHECKABLE, points=2)


def test_q1_a_case_with_no_row_in_danger_is_judged():
    # The grader test's question seed made a case where no minority row is in danger: imbalanced-learn then records no
    # danger indices for the class, and the check raised KeyError ("could not be checked" for the solution).
    seed = 2514002820
    case = ex07._danger_cases(seed)[1]
    assert not ex07.danger_reference(case["X"], case["y"], case["m_neighbors"]).any()
    plain = json.loads(json.dumps(ex07.q1.extract(ex07.danger_reference, seed=seed)))
    assert ex07.q1.grade(plain, seed=seed).status is Status.CORRECT


def test_q4_a_fit_on_the_test_rows_is_not_called_minutes(big, fitted_models):
    # learnerE67 2.4: both models timed on the 20,000 test rows got "Your times look like minutes".
    _, _, X_test, y_test = big
    full, fast = fitted_models
    with threadpool_limits(1):
        f = _cpu_seconds(clone(full), X_test, y_test)
        g = _cpu_seconds(clone(fast), X_test, y_test)
    result = ex07.q4.check(full, fast, {"full_seconds": f, "fast_seconds": g, "speedup": f / g})
    assert "minutes" not in result.message and result.mistake == "speed_report=too-short", result.message


def test_q4_a_total_of_ten_fits_cannot_pass(big, fitted_models):
    # learnerE67 1.5: timeit.timeit(..., number=10) without dividing by 10.
    X, y, _, _ = big
    full, fast = fitted_models
    with threadpool_limits(1):
        a = timeit.timeit(lambda: clone(full).fit(X, y), number=10, timer=time.process_time)
        b = timeit.timeit(lambda: clone(fast).fit(X, y), number=10, timer=time.process_time)
    assert_fails(ex07.q4.check(full, fast, {"full_seconds": a, "fast_seconds": b, "speedup": a / b}), "far longer",
                 status=Status.UNCHECKABLE, points=2)
