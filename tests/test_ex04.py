"""Exercise 04 checker: the solution passes; wrong answers, and wrong SMOTE implementations in
particular, fail with a message that says why; checks stay fast; the judge needs plain data only."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from course_utils import data, plots
from course_utils.checks import Status
from course_utils.exercises import ex04
from conftest import assert_fails


pytestmark = pytest.mark.usefixtures("wrong_answer_messages_never_quote_the_solution")


def incorrect(result, *fragments):
    return assert_fails(result, *fragments, points=None)


# --------------------------------------------------------------------------- implementations of SMOTE


def my_smote(X, y, n_new, k_neighbors=5, random_state=None):
    """The solution notebook's implementation."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    nn = NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X_min)
    neighbours = nn.kneighbors(X_min, return_distance=False)[:, 1:]
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    gap = rng.random((n_new, 1))
    return X_min[base] + gap * (X_min[chosen] - X_min[base])


def loop_smote(X, y, n_new, k_neighbors=5, random_state=None):
    """Another right implementation: a Python loop, a legacy RandomState, (1 - gap) x + gap nn."""
    from sklearn.utils import check_random_state

    random = check_random_state(random_state)
    X_min = X[y == 1]
    neighbours = NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X_min).kneighbors(X_min, return_distance=False)
    rows = []
    for _ in range(n_new):
        i = random.randint(len(X_min))
        j = neighbours[i, random.randint(1, k_neighbors + 1)]
        gap = random.uniform()
        rows.append((1 - gap) * X_min[i] + gap * X_min[j])
    return np.array(rows)


def imblearn_smote(X, y, n_new, k_neighbors=5, random_state=None):
    """imblearn's SMOTE, wrapped to this signature: the reference must pass too."""
    target = {1: int(np.sum(y == 1)) + n_new}
    X_res, _ = SMOTE(sampling_strategy=target, k_neighbors=k_neighbors, random_state=random_state).fit_resample(X, y)
    return X_res[len(X):]


def _neighbours(X_min, k):
    return NearestNeighbors(n_neighbors=k + 1).fit(X_min).kneighbors(X_min, return_distance=False)[:, 1:]


def duplicates(X, y, n_new, k_neighbors=5, random_state=None):
    """Random over-sampling in disguise: copies of minority samples."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    return X_min[rng.integers(len(X_min), size=n_new)]


def toward_majority(X, y, n_new, k_neighbors=5, random_state=None):
    """Neighbours searched among all samples, so some are majority samples."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X).kneighbors(X_min, return_distance=False)[:, 1:]
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.random((n_new, 1)) * (X[chosen] - X_min[base])


def ignores_k(X, y, n_new, k_neighbors=5, random_state=None):
    """Always five neighbours, whatever k_neighbors says."""
    return my_smote(X, y, n_new, 5, random_state)


def any_minority_partner(X, y, n_new, k_neighbors=5, random_state=None):
    """Interpolates toward any other minority sample: ignores k another way."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    base = rng.integers(len(X_min), size=n_new)
    other = (base + rng.integers(1, len(X_min), size=n_new)) % len(X_min)
    return X_min[base] + rng.random((n_new, 1)) * (X_min[other] - X_min[base])


def nearest_only(X, y, n_new, k_neighbors=5, random_state=None):
    """Ignores k a third way: always the nearest neighbour."""
    return my_smote(X, y, n_new, 1, random_state)


def wrong_count(X, y, n_new, k_neighbors=5, random_state=None):
    """n_new // n_minority new points per minority sample: too few when n_new is not a multiple."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = _neighbours(X_min, k_neighbors)
    base = np.repeat(np.arange(len(X_min)), n_new // len(X_min))
    chosen = neighbours[base, rng.integers(k_neighbors, size=len(base))]
    return X_min[base] + rng.random((len(base), 1)) * (X_min[chosen] - X_min[base])


def own_neighbour(X, y, n_new, k_neighbors=5, random_state=None):
    """Forgets that NearestNeighbors returns each sample itself first."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = NearestNeighbors(n_neighbors=k_neighbors).fit(X_min).kneighbors(X_min, return_distance=False)
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def global_random(X, y, n_new, k_neighbors=5, random_state=None):
    """Draws from np.random's global state: not reproducible."""
    X_min = X[y == 1]
    neighbours = _neighbours(X_min, k_neighbors)
    base = np.random.randint(len(X_min), size=n_new)
    chosen = neighbours[base, np.random.randint(k_neighbors, size=n_new)]
    return X_min[base] + np.random.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def fixed_seed(X, y, n_new, k_neighbors=5, random_state=None):
    return my_smote(X, y, n_new, k_neighbors, 42)


def with_originals(X, y, n_new, k_neighbors=5, random_state=None):
    return np.vstack([X[y == 1], my_smote(X, y, n_new, k_neighbors, random_state)])


def wide_gap(X, y, n_new, k_neighbors=5, random_state=None):
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = _neighbours(X_min, k_neighbors)
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.uniform(-1, 1, (n_new, 1)) * (X_min[chosen] - X_min[base])


def integer_gap(X, y, n_new, k_neighbors=5, random_state=None):
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = _neighbours(X_min, k_neighbors)
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.integers(0, 2, (n_new, 1)) * (X_min[chosen] - X_min[base])


def like_fit_resample(X, y, n_new, k_neighbors=5, random_state=None):
    new = my_smote(X, y, n_new, k_neighbors, random_state)
    return np.vstack([X, new]), np.r_[y, np.ones(n_new, dtype=int)]


def as_float32(X, y, n_new, k_neighbors=5, random_state=None):
    return my_smote(X, y, n_new, k_neighbors, random_state).astype(np.float32)


def transposed(X, y, n_new, k_neighbors=5, random_state=None):
    return my_smote(X, y, n_new, k_neighbors, random_state).T


def forgot_return(X, y, n_new, k_neighbors=5, random_state=None):
    my_smote(X, y, n_new, k_neighbors, random_state)


def by_hand_neighbours(X, y, n_new, k_neighbors=5, random_state=None):
    """A right implementation without NearestNeighbors: a distance matrix, sorted, the sample itself left out."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    distances = np.linalg.norm(X_min[:, None, :] - X_min[None, :, :], axis=2)
    neighbours = np.argsort(distances, axis=1)[:, 1:k_neighbors + 1]
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def _draw(X, y, n_new, k_neighbors, random_state):
    """The solution's draws, for the wrong implementations below to change one of them."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = _neighbours(X_min, k_neighbors)
    base = rng.integers(len(X_min), size=n_new)
    column = rng.integers(k_neighbors, size=n_new)
    return rng, X_min, neighbours, base, column


def midpoints(X, y, n_new, k_neighbors=5, random_state=None):
    """A constant gap of 0.5."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    chosen = neighbours[base, column]
    return X_min[base] + 0.5 * (X_min[chosen] - X_min[base])


def one_gap_for_all(X, y, n_new, k_neighbors=5, random_state=None):
    """A single gap, drawn once, shared by every new point."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    chosen = neighbours[base, column]
    return X_min[base] + rng.random() * (X_min[chosen] - X_min[base])


def half_gaps(X, y, n_new, k_neighbors=5, random_state=None):
    """Gaps drawn in [0, 0.5): every point in the half of its segment next to the sample."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    chosen = neighbours[base, column]
    return X_min[base] + rng.uniform(0, 0.5, (n_new, 1)) * (X_min[chosen] - X_min[base])


def one_column_for_all(X, y, n_new, k_neighbors=5, random_state=None):
    """One neighbour column drawn for the whole batch."""
    rng, X_min, neighbours, base, _ = _draw(X, y, n_new, k_neighbors, random_state)
    chosen = neighbours[base, rng.integers(k_neighbors)]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def one_base_for_all(X, y, n_new, k_neighbors=5, random_state=None):
    """One minority sample drawn for the whole batch."""
    rng, X_min, neighbours, _, column = _draw(X, y, n_new, k_neighbors, random_state)
    base = np.full(n_new, rng.integers(len(X_min)))
    chosen = neighbours[base, column]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def generator_in_loop(X, y, n_new, k_neighbors=5, random_state=None):
    """default_rng(random_state) re-created inside the loop: every new point is the same."""
    X_min = X[y == 1]
    neighbours = _neighbours(X_min, k_neighbors)
    rows = []
    for _ in range(n_new):
        rng = np.random.default_rng(random_state)
        i = rng.integers(len(X_min))
        j = neighbours[i, rng.integers(k_neighbors)]
        rows.append(X_min[i] + rng.random() * (X_min[j] - X_min[i]))
    return np.array(rows)


def indexes_X(X, y, n_new, k_neighbors=5, random_state=None):
    """Positions in X_min used to index X."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    chosen = neighbours[base, column]
    return X[base] + rng.random((n_new, 1)) * (X[chosen] - X[base])


def neighbours_from_X(X, y, n_new, k_neighbors=5, random_state=None):
    """Only the neighbour positions (from a NearestNeighbors fitted on X_min) used to index X."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    chosen = neighbours[base, column]
    return X_min[base] + rng.random((n_new, 1)) * (X[chosen] - X_min[base])


def off_by_one(X, y, n_new, k_neighbors=5, random_state=None):
    """n_neighbors=k_neighbors, then column 0 dropped: only k - 1 neighbours, and an IndexError."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    neighbours = NearestNeighbors(n_neighbors=k_neighbors).fit(X_min).kneighbors(X_min, return_distance=False)[:, 1:]
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def own_neighbour_by_hand(X, y, n_new, k_neighbors=5, random_state=None):
    """A sorted distance matrix, the sample itself kept (no NearestNeighbors)."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    distances = np.linalg.norm(X_min[:, None, :] - X_min[None, :, :], axis=2)
    neighbours = np.argsort(distances, axis=1)[:, :k_neighbors]
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


# Wrong in how the random numbers are drawn, though every point lies on a valid segment: only a
# goodness-of-fit test on many draws tells them from a right SMOTE.


def squared_gap(X, y, n_new, k_neighbors=5, random_state=None):
    """Gaps in [0, 1), but not uniform: squared uniform draws crowd the points near their base."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    return X_min[base] + rng.random((n_new, 1)) ** 2 * (X_min[neighbours[base, column]] - X_min[base])


def beta_gap(X, y, n_new, k_neighbors=5, random_state=None):
    """Gaps in (0, 1), bunched in the middle (Beta(2, 2))."""
    rng, X_min, neighbours, base, column = _draw(X, y, n_new, k_neighbors, random_state)
    return X_min[base] + rng.beta(2, 2, (n_new, 1)) * (X_min[neighbours[base, column]] - X_min[base])


def neighbour_once_per_sample(X, y, n_new, k_neighbors=5, random_state=None):
    """One neighbour drawn per minority sample, then reused by every new point that starts from it."""
    rng, X_min, neighbours, base, _ = _draw(X, y, n_new, k_neighbors, random_state)
    column = rng.integers(k_neighbors, size=len(X_min))
    return X_min[base] + rng.random((n_new, 1)) * (X_min[neighbours[base, column[base]]] - X_min[base])


def base_from_half(X, y, n_new, k_neighbors=5, random_state=None):
    """Bases drawn among the first half of the minority samples only."""
    rng, X_min, neighbours, _, column = _draw(X, y, n_new, k_neighbors, random_state)
    base = rng.integers(len(X_min) // 2, size=n_new)
    return X_min[base] + rng.random((n_new, 1)) * (X_min[neighbours[base, column]] - X_min[base])


def base_off_by_one(X, y, n_new, k_neighbors=5, random_state=None):
    """Bases drawn with `integers(len(X_min) - 1)`: the last minority sample never starts a point."""
    rng, X_min, neighbours, _, column = _draw(X, y, n_new, k_neighbors, random_state)
    base = rng.integers(len(X_min) - 1, size=n_new)
    return X_min[base] + rng.random((n_new, 1)) * (X_min[neighbours[base, column]] - X_min[base])


def nearer_neighbours_favoured(X, y, n_new, k_neighbors=5, random_state=None):
    """Neighbour rank = the smaller of two draws: the nearest neighbours are picked more often."""
    rng, X_min, neighbours, base, _ = _draw(X, y, n_new, k_neighbors, random_state)
    column = np.minimum(rng.integers(k_neighbors, size=n_new), rng.integers(k_neighbors, size=n_new))
    return X_min[base] + rng.random((n_new, 1)) * (X_min[neighbours[base, column]] - X_min[base])


def k_plus_one_with_itself(X, y, n_new, k_neighbors=5, random_state=None):
    """The neighbour drawn among k + 1 columns of `kneighbors`, the sample itself included."""
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    table = NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X_min).kneighbors(X_min, return_distance=False)
    base = rng.integers(len(X_min), size=n_new)
    chosen = table[base, rng.integers(k_neighbors + 1, size=n_new)]
    return X_min[base] + rng.random((n_new, 1)) * (X_min[chosen] - X_min[base])


def vectorised_pandas(X, y, n_new, k_neighbors=5, random_state=None):
    """A right implementation another way: pandas for the selection, a legacy RandomState, gaps as a column."""
    import pandas as pd

    random = np.random.RandomState(random_state)
    X_min = pd.DataFrame(X)[pd.Series(y) == 1].to_numpy()
    neighbours = NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X_min).kneighbors(X_min)[1][:, 1:]
    pairs = random.randint(0, neighbours.size, size=n_new)  # imblearn's way: one draw per (sample, rank) pair
    base, chosen = pairs // k_neighbors, neighbours.reshape(-1)[pairs]
    return X_min[base] + random.uniform(size=n_new)[:, None] * (X_min[chosen] - X_min[base])


# --------------------------------------------------------------------------- q4: the from-scratch SMOTE


RIGHT = [my_smote, loop_smote, imblearn_smote, by_hand_neighbours, vectorised_pandas]


@pytest.mark.parametrize("function", RIGHT)
def test_right_implementations_pass(function):
    result = ex04.q4.check(function)
    assert result, result
    assert result.points == 3


@pytest.mark.parametrize(
    "function, fragments",
    [
        # The four the issue names:
        (duplicates, ["exact copies", "random over-sampling", "[0, 1)", "(test case:"]),
        (toward_majority, ["touches a majority sample", "SMOTE only uses minority samples"]),
        (ignores_k, ["not among each other's", "k_neighbors"]),
        (wrong_count, ["new samples, but `n_new=", "exactly `n_new` rows"]),
        # More ways to go wrong, each with its own message:
        (any_minority_partner, ["not among each other's", "all the minority samples"]),
        (nearest_only, ["nearest neighbour", "at random among the `k_neighbors` nearest"]),
        (own_neighbour, ["own neighbour", "k_neighbors + 1"]),
        (own_neighbour_by_hand, ["own neighbour", "distance matrix", "diagonal"]),
        (global_random, ["same `random_state` gave different points", "`np.random.default_rng`"]),
        (fixed_seed, ["different `random_state` values gave the same points"]),
        (with_originals, ["original minority samples plus", "Return only"]),
        (wide_gap, ["outside the segment", "[0, 1)"]),
        (integer_gap, ["exact copies"]),
        (like_fit_resample, ["several values", "not `(X, y)`"]),
        (as_float32, ["dtype float32", "float64"]),
        (transposed, ["columns", "one per feature"]),
        (forgot_return, []),
        # How the random numbers are drawn (the judge reads them off the points):
        (midpoints, ["midpoints", "always 0.5"]),
        (one_gap_for_all, ["same fraction", "one gap for each new point"]),
        (half_gaps, ["below 0.5", "[0, 1)", "n_new=2000"]),
        (one_column_for_all, ["Every one of your new points uses", "one draw for each new point"]),
        (one_base_for_all, ["same minority sample", "one draw for each new point"]),
        (generator_in_loop, ["are the same point", "generator", "inside your loop"]),
        # Every point on a valid segment, but drawn with the wrong distribution (goodness-of-fit tests):
        (squared_gap, ["not uniform on [0, 1)", "Kolmogorov-Smirnov", "first quarter"]),
        (beta_gap, ["not uniform on [0, 1)", "Kolmogorov-Smirnov"]),
        (neighbour_once_per_sample, ["always interpolates toward the same one of its neighbours"]),
        (base_from_half, ["never start a new point", "*all* the minority samples"]),
        (base_off_by_one, ["not spread over the segments", "chi-square"]),
        (nearer_neighbours_favoured, ["not spread over the segments", "chi-square", "uniformly among"]),
        (k_plus_one_with_itself, ["exact copies", "own neighbour"]),
        # Indexing X with positions in X_min:
        (indexes_X, ["index `X_min`, not `X`"]),
        (neighbours_from_X, ["index `X_min`, not `X`"]),
        (off_by_one, ["raised IndexError", "off-by-one", "n_neighbors=k_neighbors + 1"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_wrong_implementations_fail_and_say_why(function, fragments):
    result = ex04.q4.check(function)
    if function is forgot_return:
        assert result.status is Status.INCORRECT and "return <your result>" in result.message
        return
    incorrect(result, *fragments)
    assert result.points == 0
    assert "Traceback" not in result.message and "_judge" not in result.message


def test_wrong_count_names_the_case():
    message = ex04.q4.check(wrong_count).message
    assert "minority and" in message and "n_new=" in message and "k_neighbors=" in message


def test_smote_function_that_raises_reports_the_error():
    def broken(X, y, n_new, k_neighbors=5, random_state=None):
        return X[y == 1][np.arange(n_new) + 10_000]

    incorrect(ex04.q4.check(broken), "raised IndexError")


def test_smote_check_is_not_a_function():
    assert ex04.q4.check(my_smote(*_case_args())).status is Status.UNCHECKABLE


def _case_args():
    case = ex04._smote_cases(0)[0]
    return case["X"], case["y"], case["n_new"], case["k_neighbors"], case["random_state"]


def test_cases_are_fresh_per_seed_and_reproducible():
    first, again, other = ex04._smote_cases(0), ex04._smote_cases(0), ex04._smote_cases(7)
    assert all(np.array_equal(a["X"], b["X"]) for a, b in zip(first, again))
    assert not np.array_equal(first[0]["X"], other[0]["X"])
    # Minority and majority overlap, and the labels are shuffled.
    for case in first[:4]:
        assert 0 < case["y"][: len(case["y"]) // 2].mean() < 1
        assert case["k_neighbors"] < np.sum(case["y"] == 1)
    # n_new is not always a multiple of the minority count; k = 1 is tested.
    assert any(c["n_new"] % np.sum(c["y"] == 1) for c in first)
    assert {c["k_neighbors"] for c in first} >= {1, 5}
    # The learner's function may modify its inputs: the repeated cases get their own arrays.
    assert first[ex04.SAME_SEED]["X"] is not first[0]["X"]
    assert np.array_equal(first[ex04.SAME_SEED]["X"], first[0]["X"])
    assert first[ex04.OTHER_SEED]["random_state"] != first[0]["random_state"]


def test_judge_runs_on_plain_data_in_another_process():
    """The grader's way: extract in the learner's kernel, send JSON, judge in a fresh process."""
    for function, status in [(my_smote, "correct"), (toward_majority, "incorrect")]:
        extracted = ex04.q4.extract(function, seed=3)
        code = (
            "import json, sys\n"
            "from course_utils.exercises import ex04\n"
            "print(json.dumps(ex04.q4.grade(json.loads(sys.stdin.read()), seed=3).to_dict()))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], input=json.dumps(extracted), capture_output=True,
                             text=True, check=True)
        assert json.loads(out.stdout)["status"] == status


#: Wrong in the distribution of the draws only: every point lies on a valid segment.
DRAWN_WRONG = {squared_gap: "not uniform on [0, 1)", beta_gap: "not uniform on [0, 1)",
               neighbour_once_per_sample: "same one of its neighbours", base_from_half: "never start",
               nearer_neighbours_favoured: "not spread over the segments", half_gaps: "below 0.5"}


def measure_false_rejections(seeds=range(1000, 1200)):
    """Verdicts of q4 over many grader seeds: {implementation: number of seeds where it was refused}.

    Run ``python tests/test_ex04.py`` to measure it (about 3 minutes on one core). Measured when the
    goodness-of-fit tests were written (200 seeds, 1000-1199, ``DRAWS_ALPHA = 1e-6``): right
    implementations refused 0 times out of 1,000 (my_smote, loop_smote, imblearn_smote,
    by_hand_neighbours, vectorised_pandas: 0 each); each of DRAWN_WRONG refused at all 200 seeds;
    base_off_by_one, the subtlest (one of 12 samples never a base), at 199 of 200. The two tests (chi-square on the segments, KS on the
    gaps) each reject a right implementation with probability 1e-6 by construction: about 2e-6 per
    check, so a false rejection would take some 500,000 checks.

    Re-measured (v9d) with the tests added for draws that are too even or depend on each other (the lower tail
    of the chi-square, at ``DRAWS_ALPHA``, and the test on consecutive pairs of points, ``SERIAL_Z_MAX`` = 10),
    same 200 seeds: right implementations refused 0 times out of 1,000; the z of the test on consecutive pairs
    ranged from -2.8 to 2.8 over those 1,000 checks (far below 10); smote_cycle, smote_sorted and
    smote_shared_out (DEPENDENT_OR_EVEN) refused at all 200 seeds (smote_cycle named "in turn" at 180).
    """
    refused = {}
    for function in [*RIGHT, *DRAWN_WRONG, base_off_by_one, *DEPENDENT_OR_EVEN]:
        refused[function.__name__] = sum(
            ex04.q4.grade(ex04.q4.extract(function, seed=seed), seed=seed).status is not Status.CORRECT
            for seed in seeds
        )
    return refused


def test_other_seeds_give_the_same_verdicts():
    """The grader draws its seed at random: right implementations pass and wrong ones fail at every seed.

    A few fixed seeds here; see :func:`measure_false_rejections` for the rates over 200 seeds (right
    implementations: 0 refusals in 1,000 checks; each wrong one refused at all 200 seeds).
    """
    wrong = {duplicates: "exact copies", toward_majority: "majority", ignores_k: "not among", wrong_count: "n_new=",
             midpoints: "midpoints", one_gap_for_all: "same fraction",
             one_column_for_all: "one draw for each new point", one_base_for_all: "same minority sample",
             **DRAWN_WRONG}
    for seed in (1, 2, 3, 12345, 987654):
        for right in RIGHT:
            result = ex04.q4.grade(ex04.q4.extract(right, seed=seed), seed=seed)
            assert result.status is Status.CORRECT, (seed, right.__name__, result.message)
        for function, fragment in wrong.items():
            result = ex04.q4.grade(ex04.q4.extract(function, seed=seed), seed=seed)
            assert result.status is Status.INCORRECT and fragment in result.message, (seed, function.__name__, result)


def test_the_goodness_of_fit_tests_have_a_null_distribution():
    """Under a right SMOTE the chi-square and KS p-values are uniform on (0, 1): the tests are calibrated, so
    ``DRAWS_ALPHA`` is the false-rejection rate of each. Over 25 seeds and two implementations, the 100 p-values
    pass a KS test of uniformity and none falls below ``DRAWS_ALPHA``."""
    from scipy import stats

    recorded = []
    real_chisquare, real_kstest = stats.chisquare, stats.kstest

    def chisquare(*args, **kwargs):
        result = real_chisquare(*args, **kwargs)
        recorded.append(result.pvalue)
        return result

    def kstest(*args, **kwargs):
        result = real_kstest(*args, **kwargs)
        recorded.append(result.pvalue)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stats, "chisquare", chisquare)
        patch.setattr(stats, "kstest", kstest)
        for seed in range(25):
            for right in (my_smote, imblearn_smote):
                assert ex04.q4.grade(ex04.q4.extract(right, seed=seed), seed=seed), (seed, right.__name__)
    p = np.array(recorded)
    assert len(p) == 100 and p.min() > ex04.DRAWS_ALPHA
    assert real_kstest(p, "uniform").pvalue > 0.01


def test_one_case_has_many_new_points_from_few_minority_samples():
    case = ex04._smote_cases(0)[len(ex04.SMOTE_CASES) - 1]
    assert case["n_new"] >= ex04.MANY_NEW >= 20 * np.sum(case["y"] == 1) // 2
    assert 2 <= case["k_neighbors"] < np.sum(case["y"] == 1)



# --------------------------------------------------------------------------- the other questions


@pytest.fixture(scope="module")
def toy():
    return data.make_toy_2d(n_samples=330, imbalance_ratio=10, random_state=1)


def test_p2_explanations_match_the_numbers():
    """200 majority and 20 minority points: (b) 30 = 20 x 1.5, (c) 110 = half of all 220 rows."""
    assert ex04.p2.check("a")
    incorrect(ex04.p2.check("b"), "50 %")
    incorrect(ex04.p2.check("c"), "half of all 220 rows")
    assert "majority count" not in ex04.p2.check("c").message


def test_q1_sampling_strategy_meaning():
    assert ex04.q1.check("a")
    incorrect(ex04.q1.check("b"), "not a growth rate")
    incorrect(ex04.q1.check("c"), "not a share of all samples")
    incorrect(ex04.q1.check("d"), "never removes")


def test_q2_counts_what_smote_adds(toy):
    X_toy, y_toy = toy
    X_res, y_res = SMOTE(sampling_strategy=0.25, random_state=0).fit_resample(X_toy, y_toy)
    n_synthetic = len(y_res) - len(y_toy)
    assert ex04.q2.check(n_synthetic)
    n_majority, n_minority = np.sum(y_toy == 0), np.sum(y_toy == 1)
    incorrect(ex04.q2.check(np.sum(y_res == 1)), "*after* resampling")
    incorrect(ex04.q2.check(0.25 * n_minority), "majority class")
    _, y_auto = SMOTE(random_state=0).fit_resample(X_toy, y_toy)
    incorrect(ex04.q2.check(len(y_auto) - len(y_toy)), "'auto'")
    incorrect(ex04.q2.check(len(y_res)), "whole resampled data set")
    assert ex04.q2.check("45").status is Status.UNCHECKABLE
    # 0.25 read as the minority's share of all rows: after resampling (70 added, 100 in all), or of the
    # original rows (52.5 added, 82.5 in all).
    for share_of_all in (70, 100, 0.25 * len(y_toy) - n_minority, 0.25 * len(y_toy)):
        incorrect(ex04.q2.check(share_of_all), "share of *all* rows")
    incorrect(ex04.q2.check(45.5), "whole number")
    incorrect(ex04.q2.check(float("inf")), "whole number")


def test_q3_k_neighbors_meaning():
    assert ex04.q3.check("a")
    incorrect(ex04.q3.check("b"), "k = N_minority - 1")
    incorrect(ex04.q3.check("c"), "[0, 1)")
    incorrect(ex04.q3.check("d"), "minority samples only")


def test_q5_comparison():
    assert ex04.q5.check("b")
    incorrect(ex04.q5.check("a"), "own order")
    incorrect(ex04.q5.check("c"), "interpolates")


def test_q5_premise_same_seed_different_points(toy):
    X_toy, y_toy = toy
    mine = my_smote(X_toy, y_toy, n_new=60, k_neighbors=5, random_state=0)
    X_imb, _ = SMOTE(sampling_strategy={1: 90}, k_neighbors=5, random_state=0).fit_resample(X_toy, y_toy)
    assert mine.shape == X_imb[len(X_toy):].shape
    assert not np.allclose(mine, X_imb[len(X_toy):])


def test_q6_random_oversampling_is_a_sample_weight(toy):
    X_toy, y_toy = toy
    ros = RandomOverSampler(random_state=0)
    X_ros, y_ros = ros.fit_resample(X_toy, y_toy)
    copies = np.bincount(ros.sample_indices_, minlength=len(y_toy))
    on_copies = LogisticRegression().fit(X_ros, y_ros)
    weighted = LogisticRegression().fit(X_toy, y_toy, sample_weight=copies)
    coef_gap = round(np.abs(on_copies.coef_ - weighted.coef_).max(), 6)
    result = ex04.q6.check(copies, coef_gap)
    assert result and result.points == 2

    incorrect(ex04.q6.check(copies - 1, coef_gap), "only the added copies")
    incorrect(ex04.q6.check(copies[::-1], coef_gap), "wrong order")
    incorrect(ex04.q6.check(np.ones_like(copies), coef_gap), "add up")
    assert ex04.q6.check(np.bincount(y_ros), coef_gap).status is Status.INCORRECT  # wrong shape
    unweighted = LogisticRegression().fit(X_toy, y_toy)
    wrong_gap = np.abs(on_copies.coef_ - unweighted.coef_).max()  # forgot sample_weight
    result = incorrect(ex04.q6.check(copies, wrong_gap), "sample_weight=copies")
    assert result.points == 1
    result = incorrect(ex04.q6.check(copies, -wrong_gap), "absolute value")
    assert "known slips" not in result.message and result.mistake == "coef_gap=negative"
    # A signed difference: rejected when negative, even when tiny.
    signed = (weighted.coef_ - on_copies.coef_).min()
    incorrect(ex04.q6.check(copies, min(signed, -1e-16)), "absolute value")
    # Unrounded, the gap is floating-point noise: accepted too.
    assert ex04.q6.check(copies, np.abs(on_copies.coef_ - weighted.coef_).max())


# --------------------------------------------------------------------------- the plot helper lesson 04 uses


def test_plot_synthetic_marks_copies_and_new_points(toy):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_toy, y_toy = toy
    X_ros, _ = RandomOverSampler(random_state=0).fit_resample(X_toy, y_toy)
    X_sm, _ = SMOTE(random_state=0).fit_resample(X_toy, y_toy)
    fig, axes = plt.subplots(1, 2)
    plots.plot_synthetic(X_toy, y_toy, X_ros[len(X_toy):], ax=axes[0], title="ROS")
    plots.plot_synthetic(X_toy, y_toy, X_sm[len(X_toy):], ax=axes[1])
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels[-1] == f"new: {len(X_ros) - len(X_toy)} at {np.sum(y_toy == 1)} distinct locations"
    assert axes[0].get_title() == "ROS"
    new_points = axes[1].collections[-1]
    assert new_points.get_facecolor()[0][:3] == pytest.approx(matplotlib.colors.to_rgb(plots.SYNTHETIC_COLOR))
    plt.close(fig)


def test_a_crash_names_the_case():
    def crashes_on_small_k(X, y, n_new, k_neighbors=5, random_state=None):
        if k_neighbors < 2:
            raise ValueError("k too small")
        return my_smote(X, y, n_new, k_neighbors, random_state)

    incorrect(ex04.q4.check(crashes_on_small_k), "raised ValueError: k too small", "k_neighbors=1")


def test_q6_shape_mistakes(toy):
    X_toy, y_toy = toy
    ros = RandomOverSampler(random_state=0)
    ros.fit_resample(X_toy, y_toy)
    incorrect(ex04.q6.check(np.ones(len(ros.sample_indices_)), 0.0), "*resampled* row")
    incorrect(ex04.q6.check(np.bincount(ros.sample_indices_)[:-5], 0.0), "never copied", "up to `len(y_toy)`")


# --------------------------------------------------------------------------- valid alternatives, every question


@pytest.mark.parametrize("question, letter", [(ex04.q1, "a"), (ex04.q3, "a"), (ex04.q5, "b")])
def test_choices_accept_every_spelling_of_the_right_letter(question, letter):
    for spelling in (letter, letter.upper(), f"({letter})", f" {letter} ", f"'{letter}'"):
        assert question.check(spelling), spelling


def test_q2_accepts_every_way_of_counting(toy):
    X_toy, y_toy = toy
    X_res, y_res = SMOTE(sampling_strategy=0.25, random_state=0).fit_resample(X_toy, y_toy)
    import pandas as pd

    for n_synthetic in (
        len(y_res) - len(y_toy),
        X_res.shape[0] - X_toy.shape[0],
        np.sum(y_res == 1) - np.sum(y_toy == 1),  # a NumPy integer
        pd.Series(y_res).value_counts()[1] - pd.Series(y_toy).value_counts()[1],
        float(len(y_res) - len(y_toy)),
        int(np.sum(y_toy == 0) * 0.25) - int(np.sum(y_toy == 1)),  # from the rule, without resampling
    ):
        assert ex04.q2.check(n_synthetic), n_synthetic


def test_q6_accepts_other_ways_of_counting_and_other_solvers(toy):
    """``copies`` by pandas or ``np.unique``; ``coef_gap`` rounded or not, with another converged solver."""
    import pandas as pd

    X_toy, y_toy = toy
    ros = RandomOverSampler(random_state=0)
    X_ros, y_ros = ros.fit_resample(X_toy, y_toy)
    by_pandas = pd.Series(ros.sample_indices_).value_counts().reindex(range(len(y_toy)), fill_value=0)
    index, counts = np.unique(ros.sample_indices_, return_counts=True)
    by_unique = np.zeros(len(y_toy), dtype=int)
    by_unique[index] = counts
    for solver in ("lbfgs", "newton-cholesky"):
        on_copies = LogisticRegression(solver=solver).fit(X_ros, y_ros)
        weighted = LogisticRegression(solver=solver).fit(X_toy, y_toy, sample_weight=by_unique)
        gap = np.abs(on_copies.coef_ - weighted.coef_).max()
        for copies, coef_gap in [(by_pandas, gap), (by_unique, round(gap, 6)), (by_unique.tolist(), float(gap))]:
            result = ex04.q6.check(copies, coef_gap)
            assert result and result.points == 2, (solver, result)


def test_q6_values_given_in_each_others_places_cannot_be_read_as_right(toy):
    X_toy, y_toy = toy
    ros = RandomOverSampler(random_state=0)
    ros.fit_resample(X_toy, y_toy)
    copies = np.bincount(ros.sample_indices_, minlength=len(y_toy))
    result = ex04.q6.check(0.0, copies)
    assert not result and result.points == 0
    assert "each other's places" in result.message and "swapped" in result.mistake


# --------------------------------------------------------------------------- q7: transfer to ecoli4


def test_q7_transfer_to_ecoli4_right_answers_and_alternatives():
    X, y = data.load_ecoli4(return_X_y=True)
    X_res, y_res = SMOTE(sampling_strategy=0.5, random_state=0).fit_resample(X, y)
    right = (len(y_res) - len(y), int(y.sum()) - 1)
    assert ex04.q7.check(*right)
    # Counted another way (NumPy on the labels), and the largest k found by trying.
    largest = max(k for k in range(1, 30) if _smote_accepts(X, y, k))
    assert ex04.q7.check(np.sum(y_res == 1) - np.sum(y == 1), largest)
    assert largest == right[1]


def _smote_accepts(X, y, k):
    try:
        SMOTE(k_neighbors=k, random_state=0).fit_resample(X, y)
        return True
    except ValueError:
        return False


def test_q7_transfer_wrong_answers_are_named():
    X, y = data.load_ecoli4(return_X_y=True)
    n_majority, n_minority = int(np.sum(y == 0)), int(y.sum())
    added = int(0.5 * n_majority) - n_minority
    assert_fails(ex04.q7.check(int(0.5 * n_majority), n_minority - 1), "*after* resampling", points=1)
    assert_fails(ex04.q7.check(n_majority - n_minority, n_minority - 1), "'auto'", points=1)
    assert_fails(ex04.q7.check(added, n_minority), "ValueError", "itself", points=1)
    assert_fails(ex04.q7.check(added, 5), "default", points=1)
    result = assert_fails(ex04.q7.check(n_minority - 1, added), "hold each other's values")
    assert "swapped" in result.mistake




# --------------------------------------------------------------------------- a fresh learner's answers (v9d)
# Their exact code (/work/review/learner0406_work/ex04_build.py, ex04b_build.py).


def _parts(X, y, k):
    X_min = np.asarray(X)[np.asarray(y) == 1]
    return X_min, NearestNeighbors(n_neighbors=k).fit(X_min).kneighbors(return_distance=False)


def smote_cycle(X, y, n_new, k_neighbors=5, random_state=None):
    """Base samples cycled in order instead of drawn at random."""
    rng = np.random.default_rng(random_state)
    X_min = np.asarray(X)[np.asarray(y) == 1]
    neigh = NearestNeighbors(n_neighbors=k_neighbors).fit(X_min).kneighbors(return_distance=False)
    i = np.arange(n_new) % len(X_min)
    j = neigh[i, rng.integers(0, k_neighbors, size=n_new)]
    lam = rng.random(size=(n_new, 1))
    return X_min[i] + lam * (X_min[j] - X_min[i])


def smote_sorted(X, y, n_new, k_neighbors=5, random_state=None):
    """Bases drawn at random, then sorted: the right counts, but each point depends on the previous one."""
    rng = np.random.default_rng(random_state)
    X_min, neigh = _parts(X, y, k_neighbors)
    i = np.sort(rng.integers(len(X_min), size=n_new))
    j = neigh[i, rng.integers(k_neighbors, size=n_new)]
    return X_min[i] + rng.random((n_new, 1)) * (X_min[j] - X_min[i])


def smote_shared_out(X, y, n_new, k_neighbors=5, random_state=None):
    """Bases and neighbour ranks shared out in turn, then shuffled: counts too even to be random."""
    rng = np.random.default_rng(random_state)
    X_min, neigh = _parts(X, y, k_neighbors)
    pairs = rng.permutation(np.arange(n_new) % (len(X_min) * k_neighbors))
    i, r = pairs // k_neighbors, pairs % k_neighbors
    j = neigh[i, r]
    return X_min[i] + rng.random((n_new, 1)) * (X_min[j] - X_min[i])


def smote_offneigh2(X, y, n_new, k_neighbors=5, random_state=None):
    rng = np.random.default_rng(random_state); X_min, neigh = _parts(X, y, k_neighbors)
    i = rng.integers(len(X_min), size=n_new); j = neigh[i, rng.integers(max(k_neighbors - 1, 1), size=n_new)]
    return X_min[i] + rng.random((n_new, 1)) * (X_min[j] - X_min[i])


def smote_mismatch(X, y, n_new, k_neighbors=5, random_state=None):
    rng = np.random.default_rng(random_state); X_min, neigh = _parts(X, y, k_neighbors)
    i = rng.integers(len(X_min), size=n_new); r = rng.integers(len(X_min), size=n_new)
    j = neigh[r, rng.integers(k_neighbors, size=n_new)]
    return X_min[i] + rng.random((n_new, 1)) * (X_min[j] - X_min[i])


def smote_offneigh(X, y, n_new, k_neighbors=5, random_state=None):
    rng = np.random.default_rng(random_state)
    X_min = np.asarray(X)[np.asarray(y) == 1]
    neigh = NearestNeighbors(n_neighbors=k_neighbors).fit(X_min).kneighbors(return_distance=False)
    i = rng.integers(0, len(X_min), size=n_new)
    j = neigh[i, rng.integers(0, k_neighbors - 1, size=n_new)]
    lam = rng.random(size=(n_new, 1))
    return X_min[i] + lam * (X_min[j] - X_min[i])


def test_learner_cycled_bases_are_refused_as_not_drawn_at_random():
    """P1: bases cycled in order pass the chi-square (the counts are right, only too even) but not the test on
    consecutive points; sorted draws and shares given out in turn are refused too. The new tests' false
    rejections, measured with the others by :func:`measure_false_rejections` (200 seeds x 5 right
    implementations): 0 of 1,000; largest z of the test on consecutive pairs for a right implementation
    below ``SERIAL_Z_MAX`` (see the constant's comment)."""
    incorrect(ex04.q4.check(smote_cycle), "in turn, not at random", "n_new=2000")
    incorrect(ex04.q4.check(smote_sorted), "not drawn independently")
    result = ex04.q4.check(smote_shared_out)
    assert result.status is Status.INCORRECT and ("more evenly" in result.message or "independently" in result.message)


def test_learner_kth_neighbour_never_used_is_named():
    """P2: `integers(max(k - 1, 1))` never picks the k-th neighbour; the check says so, not that every sample
    always interpolates toward the same neighbour (false: with k = 4 each sample uses 3)."""
    result = incorrect(ex04.q4.check(smote_offneigh2), "never picks the neighbour of rank 4", "off-by-one")
    assert "same one of its neighbours" not in result.message


def test_learner_neighbour_from_another_samples_list_is_not_called_own_neighbour():
    """P3: a neighbour taken from another sample's row makes a few copies (when that row holds the base), but
    most points are off every valid segment: the check says that, not "own neighbour"."""
    result = incorrect(ex04.q4.check(smote_mismatch), "not on a segment from their starting sample", "own row")
    assert "own neighbour" not in result.message


def test_learner_off_by_one_at_k_1_points_at_the_draw():
    """W2: `integers(0, k_neighbors - 1)` raises at k_neighbors=1; the message points at the off-by-one."""
    incorrect(ex04.q4.check(smote_offneigh), "raised ValueError: high <= 0", "off-by-one", "k_neighbors - 1")


def test_q1_wrong_options_do_not_state_the_right_definition():
    """A wrong option's explanation says why it is wrong without giving option (a) away."""
    for letter in "bcd":
        message = ex04.q1.check(letter).message
        assert "N_minority / N_majority" not in message and "0.25 times" not in message, message


#: Every point on a valid segment and the right counts on average, but draws that are not independent or too even.
DEPENDENT_OR_EVEN = [smote_cycle, smote_sorted, smote_shared_out]

if __name__ == "__main__":
    print(measure_false_rejections())
