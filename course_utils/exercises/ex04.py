"""Checks for lesson 04 and exercise 04: SMOTE mechanics.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q6``. For each question, the
property its step asks for, and how the check establishes it:

``q1``, ``q3``, ``q5`` (choices)
    The option that states what imbalanced-learn does (``sampling_strategy`` as N_min / N_maj after
    resampling; ``k_neighbors=1`` puts points on nearest-neighbour segments; same seed, different
    draws). Established by the option's letter, in any spelling.
``q2`` ``n_synthetic``
    The number of rows ``SMOTE(sampling_strategy=0.25)`` adds to the toy data. Established by comparing
    with imblearn's own rule, ``int(N_maj * 0.25) - N_min``, exactly (a count); the known misreadings of
    the float (share of all rows, of the minority, after resampling, ``'auto'``) are named.
``q4`` ``my_smote``
    A from-scratch SMOTE: ``n_new`` float64 rows, each ``x_i + gap * (x_j - x_i)`` where, for each new
    point independently, the base ``i`` is uniform among *all* minority samples, ``j`` uniform among
    *that* sample's ``k`` nearest minority neighbours, and the gap uniform on [0, 1); the same seed gives
    the same points. Established on fresh cases made from the seed: shapes and dtype; every point on a
    segment from a minority sample to one of its k nearest minority neighbours (else: which segments it
    lies on instead: majority, farther neighbours, itself, positions of ``X_min`` used in ``X``); two
    calls with the same and another seed. On a case with 2,000 new points from 12 samples, two
    goodness-of-fit tests (``_judge_spread``): a chi-square test of the counts per segment against the
    probabilities the three uniform draws give, and a Kolmogorov-Smirnov test of the gaps, each at
    ``DRAWS_ALPHA`` = 1e-6; a specific diagnosis (a constant gap, one base, one neighbour rank, bases
    from a subset, one neighbour per sample, gaps in one half) only where the points prove it. The false
    rejection rate measured over 200 seeds is stated in ``tests/test_ex04.py``.
``q6`` ``copies``, ``coef_gap``
    ``copies``: how often each original row appears in the randomly over-sampled data, exactly, in the
    original order. ``coef_gap``: the largest absolute coefficient difference between a fit on the copies
    and a fit with ``sample_weight=copies``; any value in [0, 1e-6] is right (the two fits agree to
    floating-point noise, about 1e-15, whatever the converged solver; 0 when rounded), a negative one is not.
``q7`` ``n_added_ecoli``, ``max_k_ecoli`` (transfer: ecoli4, which lesson 04 did not use)
    The rows ``SMOTE(sampling_strategy=0.5)`` adds to ecoli4 (imblearn's rule, exactly), and the largest
    ``k_neighbors`` SMOTE accepts there (N_minority - 1: ``NearestNeighbors`` is asked for k + 1 minority
    samples, itself included). Established from the class counts; the misreadings of the float, the count
    that includes the sample itself and the default 5 are named.

The judge of ``q4`` regenerates the data from the seed, so it needs nothing but the plain outputs.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from ..checks import Array, Choice, Exercise, FunctionCases, Number
from ..data import make_toy_2d

exercise = Exercise("ex04", "Exercise 04 - SMOTE mechanics")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 04 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "it picks minority samples at random and adds exact copies of them, so some samples appear "
            "several times",
            "b": "it picks a minority sample and one of its nearest minority neighbours, and adds a point at a "
            "random place on the segment between them",
            "c": "it fits a Gaussian (mean and covariance) to the minority samples and draws the new points from it",
        },
        correct="b",
        explanations={
            "a": "That is random over-sampling, and the myth that SMOTE is the same. Run the next cells and count "
            "the copies.",
            "b": "Run the next cells to see the new points and count the copies.",
            "c": "SMOTE fits no distribution: it only uses the minority samples and their neighbours. Run the next cells.",
        },
    ),
    hints=["The name: Synthetic Minority Over-sampling TEchnique. What does 'synthetic' suggest?"],
    solution='my_prediction = "b"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={"a": "100", "b": "30", "c": "110", "d": "220"},
        correct="a",
        explanations={
            "a": "0.5 x 200 majority rows = 100 minority rows after resampling. Run the next cell.",
            "b": "That would be 'add 50 % more minority rows'. The float is a target ratio, "
            "minority / majority, after resampling. Run the next cell.",
            "c": "110 is half of all 220 rows: that reads the float as the minority's share of all rows. "
            "It is a target ratio, minority / majority, after resampling. Run the next cell.",
            "d": "That is the size of the whole original data set. Run the next cell.",
        },
    ),
    hints=["For binary data, a float `sampling_strategy` is the ratio N_minority / N_majority wanted after resampling."],
    solution='my_prediction = "a"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "identical, up to rounding",
            "b": "close but different: the duplicated rows carry extra information",
            "c": "very different: one changes the data, the other the loss",
        },
        correct="a",
        explanations={
            "a": "Run the next cell to measure the difference.",
            "b": "A copy carries no new information: it adds the very same loss term a second time. Run the next cell.",
            "c": "Adding a row twice to a sum of per-row terms is the same as giving it weight 2. Run the next cell.",
        },
    ),
    hints=["The loss is a sum with one term per row. What does a duplicated row add to that sum?"],
    solution='my_prediction = "a"',
)

p4 = exercise.prompt(
    "p4",
    Choice(
        options={
            "a": "random over-sampling: the copies give each minority point more weight, so the tree flags a "
            "wider area around it",
            "b": "SMOTE: its new points fill the space between minority neighbours, so the tree's minority "
            "regions join up and grow",
            "c": "about the same: both add the same number of minority rows, so the tree flags about as many cases",
        },
        correct="b",
        explanations={
            "a": "A fully grown tree already isolates each minority point; copies sit exactly on it, so they add "
            "no new area to cover. Run the next cells.",
            "b": "Run the next cells to measure the regions, draw by draw.",
            "c": "The number of rows is the same, but not the places they cover: copies sit on the original "
            "points, SMOTE's points between them. Run the next cells.",
        },
    ),
    hints=["Where do the copies of random over-sampling sit, and where do SMOTE's new points sit? "
           "A fully grown tree gives the minority class the places where its training points are."],
    solution='my_prediction = "b"',
)

# --------------------------------------------------------------------------- #
# The exercise's toy data: must match the given code of the solution notebook.
# --------------------------------------------------------------------------- #

_TOY = {"n_samples": 330, "imbalance_ratio": 10, "random_state": 1}
STRATEGY = 0.25
#: Largest coefficient gap accepted in q6: the fits on copies and with sample weights agree to about 1e-15.
COEF_GAP_MAX = 1e-6


@cache
def _toy():
    return make_toy_2d(**_TOY)


def _toy_counts() -> tuple[int, int]:
    y = _toy()[1]
    return int(np.sum(y == 0)), int(np.sum(y == 1))


def _n_synthetic() -> float:
    n_majority, n_minority = _toy_counts()
    return float(int(n_majority * STRATEGY - n_minority))  # imblearn's rule for a float strategy


@cache
def _ros_copies() -> np.ndarray:
    from imblearn.over_sampling import RandomOverSampler

    X, y = _toy()
    ros = RandomOverSampler(random_state=0)
    ros.fit_resample(X, y)
    return np.bincount(ros.sample_indices_, minlength=len(y))


# --------------------------------------------------------------------------- #
# The from-scratch SMOTE: generated cases and their judge.
# --------------------------------------------------------------------------- #

#: (n_features, n_majority, n_minority, n_new, k_neighbors) of each generated case. The last one asks
#: for many new points from few minority samples, so that the judge can look at how the gaps and the
#: neighbours are drawn (see ``_judge_draws``).
SMOTE_CASES = (
    (2, 36, 12, 30, 3),
    (3, 45, 15, 40, 1),
    (4, 30, 16, 48, 5),
    (2, 30, 10, 7, 2),
    (2, 30, 12, 2000, 4),
)
#: Position of the repeats of the first case, with the same and with another ``random_state``.
SAME_SEED, OTHER_SEED = len(SMOTE_CASES), len(SMOTE_CASES) + 1
#: Cases with at least this many new points get the checks on how the gaps and neighbours are drawn.
MANY_NEW = 200


def _smote_cases(seed: int) -> list[dict]:
    """Fresh inputs for the learner's function: overlapping minority and majority clouds, shuffled.

    The last two cases repeat the first one, with the same and with another ``random_state``.
    """
    rng = np.random.default_rng([int(seed), 404])
    cases = []
    for n_features, n_majority, n_minority, n_new, k in SMOTE_CASES:
        minority = rng.normal(0.0, 1.0, size=(n_minority, n_features))
        majority = rng.normal(0.5, 1.3, size=(n_majority, n_features))
        X = np.vstack([majority, minority])
        y = np.r_[np.zeros(n_majority, dtype=int), np.ones(n_minority, dtype=int)]
        order = rng.permutation(len(y))
        cases.append(
            {"X": X[order], "y": y[order], "n_new": n_new, "k_neighbors": k, "random_state": int(rng.integers(1000))}
        )
    first = cases[0]
    cases.append({**first, "X": first["X"].copy(), "y": first["y"].copy()})
    cases.append({**first, "X": first["X"].copy(), "y": first["y"].copy(), "random_state": first["random_state"] + 1})
    return cases


def _positions(points: np.ndarray, starts: np.ndarray, ends: np.ndarray, tol: float):
    """For each point and segment: whether the point lies on the segment, on its line, and where (t)."""
    direction = ends - starts  # (s, d)
    length2 = np.maximum((direction**2).sum(axis=1), 1e-300)
    offset = points[:, None, :] - starts[None, :, :]  # (m, s, d)
    t = (offset * direction[None]).sum(axis=2) / length2  # (m, s)
    residual = np.sqrt(((offset - t[..., None] * direction[None]) ** 2).sum(axis=2))
    on_line = residual <= tol
    return on_line & (t >= -1e-9) & (t <= 1 + 1e-9), on_line, t


def _on_segments(points: np.ndarray, starts: np.ndarray, ends: np.ndarray, tol: float):
    """For each point and segment: whether the point lies on the segment, and whether on its line."""
    on_segment, on_line, _ = _positions(points, starts, ends, tol)
    return on_segment, on_line


def _neighbours(X_min: np.ndarray, k: int) -> np.ndarray:
    distances = np.sqrt(((X_min[:, None, :] - X_min[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distances, np.inf)
    return np.argsort(distances, axis=1)[:, :k]


def _describe_case(kwargs: dict) -> str:
    X, y = kwargs["X"], kwargs["y"]
    return (
        f"(test case: {int(np.sum(y == 1))} minority and {int(np.sum(y == 0))} majority samples, "
        f"{X.shape[1]} features, n_new={kwargs['n_new']}, k_neighbors={kwargs['k_neighbors']})"
    )


def _index_mix_up(points: np.ndarray, X: np.ndarray, X_min: np.ndarray, neighbours: np.ndarray, tol: float) -> bool:
    """Whether every point lies on a segment made by indexing ``X`` with positions in ``X_min``.

    ``X[i]`` is not the i-th minority sample: a learner who draws positions in ``X_min`` (or gets them
    from a ``NearestNeighbors`` fitted on ``X_min``) and then indexes ``X`` makes such segments.
    """
    n_min, k = neighbours.shape
    starts_at = np.repeat(np.arange(n_min), k)
    ends_at = neighbours.reshape(-1)
    found = np.zeros(len(points), dtype=bool)
    for start_from, end_from in ((X, X), (X_min, X), (X, X_min)):
        on_segment, _ = _on_segments(points, start_from[starts_at], end_from[ends_at], tol)
        found |= on_segment.any(axis=1)
    return bool(found.all())


#: p-value below which a goodness-of-fit test rejects (each of two tests). With the many-points case,
#: a right implementation fails one of them with probability about 2e-6 per check (see tests/test_ex04.py).
DRAWS_ALPHA = 1e-6


def _segments(X_min: np.ndarray, neighbours: np.ndarray):
    """The unordered segments SMOTE can draw on, and how many (base, neighbour) choices give each.

    Returns ``segment`` (segment id of each ordered pair ``(i, rank)``, in ``repeat(arange(n_min), k)``
    order), ``multiplicity`` (1, or 2 when the two ends are each other's neighbours) and ``bases`` (the
    base of each segment's only reading, -1 for a two-way segment).
    """
    n_min, k = neighbours.shape
    starts = np.repeat(np.arange(n_min), k)
    ends = neighbours.reshape(-1)
    keys = np.minimum(starts, ends) * n_min + np.maximum(starts, ends)
    unique, segment, multiplicity = np.unique(keys, return_inverse=True, return_counts=True)
    bases = np.full(len(unique), -1)
    one_way = multiplicity[segment] == 1
    bases[segment[one_way]] = starts[one_way]
    return segment, multiplicity, bases


#: z-score above which the test on consecutive pairs of new points (``_serial_dependence``) rejects. Its
#: statistic is a chi-square over about 900 sparse cells, so its null distribution is only roughly normal and
#: skewed to the right: the bound sits far above the largest z measured for right implementations (see
#: tests/test_ex04.py), and far below what sorted or cycled draws give (z in the hundreds).
SERIAL_Z_MAX = 10.0


def _serial_dependence(single_rows: np.ndarray, where: np.ndarray, probability: np.ndarray):
    """Whether consecutive new points depend on each other: ``(z, cycled)``, or None when they look independent.

    If the new points are drawn independently, the segments of the pairs of points ``(0, 1), (2, 3), ...`` are
    independent draws with probabilities ``probability[a] * probability[b]``: their counts are multinomial, and
    Pearson's chi-square has the known mean and variance of a multinomial's (Haldane), turned into ``z``.
    ``cycled``: the starting samples of consecutive points follow each other in order (``i, i + 1, ...``).
    """
    rows = int(single_rows.max()) + 1 if len(single_rows) else 0
    segment_of = np.full(rows + 1, -1)
    segment_of[single_rows] = where
    first, second = segment_of[0:rows - 1:2], segment_of[1:rows:2]
    keep = (first >= 0) & (second >= 0)
    n_pairs = int(keep.sum())
    cells = len(probability) ** 2
    if n_pairs < 4 * len(probability):
        return None
    pair_probability = np.outer(probability, probability).reshape(-1)
    observed = np.bincount(first[keep] * len(probability) + second[keep], minlength=cells)
    expected = n_pairs * pair_probability
    statistic = float(((observed - expected) ** 2 / expected).sum())
    variance = 2 * (cells - 1) + (np.sum(1 / pair_probability) - cells**2 - 2 * cells + 2) / n_pairs
    z = (statistic - (cells - 1)) / np.sqrt(variance)
    if z <= SERIAL_Z_MAX:
        return None
    return float(z), False


def _cycled(single_rows: np.ndarray, where: np.ndarray, bases: np.ndarray, n_min: int) -> bool:
    """Whether the known starting samples of consecutive new points follow each other in order, nearly always."""
    base_of = np.full(int(single_rows.max()) + 2, -1)
    base_of[single_rows] = bases[where]
    now, after = base_of[:-1], base_of[1:]
    known = (now >= 0) & (after >= 0)
    return known.sum() >= 50 and np.mean(after[known] == (now[known] + 1) % n_min) >= 0.9


def _rank_never_used(observed, expected, segment, multiplicity, n_min: int, k: int):
    """The neighbour rank whose one-way segments never got a point although many were expected, or None.

    Returns ``(rank, observed, expected)`` for the rank (0 = nearest) when the other ranks did get points.
    """
    ranks = np.tile(np.arange(k), n_min)
    one_way = multiplicity[segment] == 1
    got = np.array([observed[segment[one_way & (ranks == r)]].sum() for r in range(k)])
    about = np.array([expected[segment[one_way & (ranks == r)]].sum() for r in range(k)])
    unused = [r for r in range(k) if got[r] == 0 and about[r] >= 30]
    if len(unused) != 1:
        return None
    rank = unused[0]
    # The proof that the rank, not the sample, is skipped: samples whose rank-``rank`` segment got nothing start
    # points on their other one-way segments.
    starts = np.repeat(np.arange(n_min), k)
    skipped = {int(starts[p]) for p in np.flatnonzero(one_way & (ranks == rank))}
    active = sum(observed[segment[one_way & (starts == i) & (ranks != rank)]].sum() > 0 for i in skipped)
    if active >= 2:
        return rank, int(got[rank]), float(about[rank])
    return None


def _judge_spread(new: np.ndarray, X_min: np.ndarray, neighbours: np.ndarray, tol: float, case: str) -> str | None:
    """Goodness-of-fit of the draws, on a case with many new points from few minority samples.

    If each new point draws its base uniformly among all ``n`` minority samples, its neighbour uniformly
    among that base's ``k`` nearest, and its gap uniformly on [0, 1), each independently, then:

    * the counts of new points per segment are multinomial, with probability ``m / (n k)`` for a segment
      that ``m`` of the ``n k`` (base, neighbour) choices give (``m`` = 2 when its ends are each other's
      neighbours): a chi-square test;
    * the gap of a point on a one-way segment, measured from its base, is uniform on [0, 1); on a two-way
      segment the base is unknowable (``x_i + t (x_j - x_i) = x_j + (1 - t)(x_i - x_j)``), but ``|2t - 1|``
      is uniform whichever end it came from: a Kolmogorov-Smirnov test on all of them.

    A point on more than one segment (a gap within rounding of 0 or 1) is left out.
    """
    from scipy.stats import chi2, chisquare, kstest

    n_min, k = neighbours.shape
    segment, multiplicity, bases = _segments(X_min, neighbours)
    starts = np.repeat(np.arange(n_min), k)
    valid, _, t = _positions(new, X_min[starts], X_min[neighbours.reshape(-1)], tol)
    hits = np.zeros((len(new), len(multiplicity)), dtype=bool)
    for pair in range(len(segment)):
        hits[:, segment[pair]] |= valid[:, pair]
    single = hits.sum(axis=1) == 1
    where = hits[single].argmax(axis=1)
    # t of the first valid reading of each point, oriented from its base on a one-way segment.
    first = valid[single].argmax(axis=1)
    gap = t[single][np.arange(single.sum()), first]
    two_way = multiplicity[where] == 2
    gaps = np.where(two_way, np.abs(2 * gap - 1), gap)
    count = len(where)

    observed = np.bincount(where, minlength=len(multiplicity))
    expected = count * multiplicity / (n_min * k)
    test = chisquare(observed, expected)
    p_spread = float(test.pvalue)
    one_way = bases >= 0
    if p_spread < DRAWS_ALPHA:
        per_base_expected = np.bincount(bases[one_way], weights=expected[one_way], minlength=n_min)
        per_base_observed = np.bincount(bases[one_way], weights=observed[one_way], minlength=n_min)
        # Per sample with at least two one-way segments: how many of them got points, and how many points.
        spread = [(int((observed[mine] > 0).sum()), int(observed[mine].sum()))
                  for mine in (one_way & (bases == i) for i in range(n_min)) if mine.sum() >= 2]
        # The proof: a sample's points all on one of its segments, each such segment getting about all the
        # points its sample starts (not a share of them, as when one rank only is never drawn).
        share = count / n_min
        if sum(total >= 10 for _, total in spread) >= 2 and all(
            used <= 1 and (total == 0 or total >= 0.6 * share) for used, total in spread
        ):
            return (
                f"Each minority sample always interpolates toward the same one of its neighbours {case}: over "
                f"{count} new points, no sample used more than one of its segments. SMOTE draws the neighbour "
                "anew for every new point, uniformly among that sample's `k_neighbors` nearest, so that new points "
                "spread in several directions."
            )
        never_rank = _rank_never_used(observed, expected, segment, multiplicity, n_min, k)
        if never_rank is not None:
            rank, got, about = never_rank
            last = rank == k - 1
            return (
                f"Your function never picks the neighbour of rank {rank + 1} {case}: over {count} new points, the "
                f"segments from each sample to its {'k-th (farthest)' if last else f'number {rank + 1}'} neighbour got "
                f"{got} points where about {about:.0f} were expected. "
                + ("An off-by-one in the neighbour draw? `rng.integers(n)` draws 0 to n - 1: to pick one of the "
                   "`k_neighbors` columns, draw among `k_neighbors` values, not `k_neighbors - 1`."
                   if last else "Draw the neighbour uniformly among all `k_neighbors` columns of the sample's row.")
            )
        never = np.flatnonzero((per_base_expected >= 15) & (per_base_observed == 0))
        if len(never) and any(used >= 2 for used, _ in spread):
            return (
                f"{len(never)} of the {n_min} minority samples never start a new point {case}, although over "
                f"{count} new points each would start about {count / n_min:.0f}. SMOTE draws the sample each new "
                "point starts from uniformly among *all* the minority samples: check the range you draw it from."
            )
        worst = int(np.argmax(np.abs(observed - expected) / np.sqrt(expected)))
        return (
            f"Your new points are not spread over the segments the way SMOTE spreads them {case}: over {count} "
            f"new points on {len(multiplicity)} segments (chi-square test, p = {p_spread:.1g}), one segment got "
            f"{observed[worst]} points where about {expected[worst]:.0f} were expected. For every new point, "
            "SMOTE draws the starting sample uniformly among all the minority samples, then the neighbour "
            "uniformly among that sample's `k_neighbors` nearest, independently of the other new points."
        )
    serial = _serial_dependence(np.flatnonzero(single), where, multiplicity / (n_min * k))
    if serial is not None:
        z, _ = serial
        if _cycled(np.flatnonzero(single), where, bases, n_min):
            return (
                f"Your new points start from the minority samples in turn, not at random {case}: each new point starts "
                "from the sample after the previous point's. Over many points the counts look right, but SMOTE draws "
                "the starting sample of every new point at random, uniformly among all the minority samples, "
                "independently of the other new points."
            )
        return (
            f"Your new points are not drawn independently of each other {case}: the segment of each new point "
            f"depends on the segment of the point before it (a test on consecutive pairs of points, z = {z:.0f}). "
            "Did you sort, cycle or repeat the draws? SMOTE draws the starting sample, the neighbour and the gap "
            "of every new point at random, independently of the other new points."
        )
    p_even = float(chi2.cdf(test.statistic, len(observed) - 1))
    if p_even < DRAWS_ALPHA:
        return (
            f"Your new points are spread over the segments more evenly than random draws can be {case}: over {count} "
            f"new points on {len(multiplicity)} segments, the counts per segment are too close to their expected "
            f"values (chi-square test, lower tail, p = {p_even:.1g}). Did you share the points out in turn instead "
            "of drawing them? SMOTE draws the starting sample and the neighbour of every new point at random."
        )
    p_gap = float(kstest(gaps, "uniform").pvalue)
    if p_gap < DRAWS_ALPHA:
        one_way_gaps = gaps[~two_way]
        if len(one_way_gaps) >= 20 and one_way_gaps.max() < 0.5:
            return (
                f"All your gaps are below 0.5 {case}: every new point lies in the half of its segment next to the "
                "sample it starts from. Draw the gap uniformly on [0, 1), not on [0, 0.5)."
            )
        if len(one_way_gaps) >= 20 and one_way_gaps.min() > 0.5:
            return (
                f"All your gaps are above 0.5 {case}: every new point lies in the half of its segment next to the "
                "neighbour. Draw the gap uniformly on [0, 1)."
            )
        share = float(np.mean(one_way_gaps < 0.25)) if len(one_way_gaps) else float("nan")
        return (
            f"Your gaps are not uniform on [0, 1) {case}: over {count} new points a Kolmogorov-Smirnov test "
            f"rejects uniform gaps (p = {p_gap:.1g}); {share:.0%} of the points lie in the first quarter of their "
            "segment, against 25 % for uniform gaps. Draw each gap with one uniform draw on [0, 1), "
            "transformed in no way (no power, product or sum of draws)."
        )
    return None


def _judge_draws(new: np.ndarray, X_min: np.ndarray, neighbours: np.ndarray, tol: float, case: str) -> str | None:
    """How the random numbers were drawn, read off points that all lie on valid segments.

    A point on the segment from sample ``i`` to its neighbour of rank ``r`` at gap ``t`` is one
    reading of it; a point on a segment whose two ends are each other's neighbours has two readings
    (from either end, at ``t`` and ``1 - t``). Properties that must hold for *some* reading of every
    point (one gap, one neighbour rank, one start for all) use every reading; the distribution of the
    gaps uses the points with a single reading only, where the gap is known.
    """
    n_min, k = neighbours.shape
    rows = len(new)
    starts_at = np.repeat(np.arange(n_min), k)
    ranks = np.tile(np.arange(k), n_min)
    valid, _, t = _positions(new, X_min[starts_at], X_min[neighbours.reshape(-1)], tol)
    if rows >= 5:
        for gap in t[0][valid[0]]:
            if (valid & (np.abs(t - gap) <= 1e-6)).any(axis=1).all():
                if abs(gap - 0.5) <= 1e-6:
                    return (
                        f"All {rows} of your new points are midpoints of their segments {case}: the gap is always "
                        "0.5. Draw the gap at random, uniformly in [0, 1), one for each new point."
                    )
                return (
                    f"All {rows} of your new points sit at the same fraction ({gap:.3f}) of the way along their "
                    f"segments {case}: one gap is shared by every new point. Draw one gap for each new point (an "
                    "array of `n_new` draws), not a single `rng.random()`."
                )
    if rows >= 30:
        for start in np.flatnonzero(valid[0]):
            if (valid & (starts_at == starts_at[start])).any(axis=1).all():
                return (
                    f"All {rows} of your new points start from the same minority sample {case}. Draw the "
                    "sample each new point starts from at random, one draw for each new point, among all the "
                    "minority samples."
                )
    if k >= 3 and rows >= 30:
        for rank in range(k):
            if (valid & (ranks == rank)).any(axis=1).all():
                which = "the nearest neighbour" if rank == 0 else f"the neighbour of the same rank (number {rank + 1} in distance order)"
                return (
                    f"Every one of your new points uses {which} {case}. SMOTE picks the neighbour at random "
                    "among the `k_neighbors` nearest, one draw for each new point (not a single column for the whole "
                    "batch), so that new points spread in several directions."
                )
    if rows >= MANY_NEW:
        return _judge_spread(new, X_min, neighbours, tol, case)
    return None


def _judge_smote(kwargs: dict, output) -> str | None:
    X, y, n_new, k = kwargs["X"], kwargs["y"], kwargs["n_new"], kwargs["k_neighbors"]
    case = _describe_case(kwargs)
    X_min, X_maj = X[y == 1], X[y == 0]
    if output is None or output == "Ellipsis":
        return "Your function returned nothing for one of the calls: end it with `return` and the array of new samples."
    if isinstance(output, list):
        return (
            "Your function returned several values (a tuple). Return only the array of new samples, "
            "not `(X, y)` as imblearn's `fit_resample` does."
        )
    if not isinstance(output, dict) or "array" not in output:
        return "Your function must return a NumPy array of shape (n_new, n_features), not a single number or another object."
    shape = tuple(output["shape"])
    if len(shape) != 2:
        return f"Return a 2-D array of shape (n_new, n_features); yours has shape {shape} {case}."
    rows, columns = shape
    if columns != X.shape[1]:
        return f"Your array has {columns} columns; it needs one per feature of `X`, here {X.shape[1]} {case}."
    if rows != n_new:
        if rows == n_new + len(X_min):
            return (
                f"Your function returned {rows} rows: the {len(X_min)} original minority samples plus the "
                f"{n_new} new ones. Return only the {n_new} new samples {case}."
            )
        if rows == n_new + len(X):
            return f"Your function returned the original `X` as well as the new samples: return only the {n_new} new ones {case}."
        return (
            f"Your function returned {rows} new samples, but `n_new={n_new}` were asked for {case}. It must return "
            "exactly `n_new` rows, also when `n_new` is not a multiple of the number of minority samples: "
            "draw the sample each new point starts from at random."
        )
    if output["dtype"] != "float64":
        extra = ""
        if "int" in output["dtype"]:
            extra = " The gap \u03bb must be a float drawn in [0, 1), for example with `rng.random()`, not an integer."
        return (
            f"Your array has dtype {output['dtype']}; the new samples must be float64, the dtype of the `X` the "
            f"check passes (and what NumPy gives when it mixes `X` with gaps from `rng.random()`).{extra}"
        )
    new = np.asarray(output["array"], dtype=float).reshape(rows, columns)
    if not np.isfinite(new).all():
        return "Your array contains NaN or infinite values."
    if rows > 1 and (new == new[0]).all():
        return (
            f"All {rows} of your new points are the same point {case}. Did you create the generator "
            "inside your loop? A new generator made from the same seed restarts the same stream each time "
            "it is made: create it once, at the top of the function, and draw every number from it."
        )

    tol = 1e-8 * (1.0 + float(np.abs(X).max()))
    to_minority = np.sqrt(((new[:, None, :] - X_min[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    # A copy is exact (a gap of 0 or 1 gives a sample itself, up to rounding): a far tighter tolerance
    # than the segments', so that a right SMOTE drawing a tiny gap for one of many points never fails.
    copies = to_minority <= 1e-12 * (1.0 + float(np.abs(X).max()))
    if copies.all():
        return (
            f"All {rows} of your new points are exact copies of minority samples {case}: that is random "
            "over-sampling, not SMOTE. Each new point must be `x + gap * (neighbour - x)`, with a gap drawn "
            "uniformly in [0, 1)."
        )
    neighbours = _neighbours(X_min, k)
    starts = np.repeat(np.arange(len(X_min)), k)
    ends = neighbours.reshape(-1)
    valid, valid_line = _on_segments(new, X_min[starts], X_min[ends], tol)
    # Copies prove a sample used as its own neighbour only when every other point is right: otherwise a copy
    # may come from another slip (a neighbour taken from another sample's list can be the base itself).
    if copies.any() and valid[~copies].any(axis=1).all():
        return (
            f"{int(copies.sum())} of your {rows} new points are exact copies of minority samples {case}, and the "
            "others lie where SMOTE puts them. Did you "
            "count each sample as its own neighbour? The nearest minority sample to a minority sample is itself, "
            "at distance 0: `NearestNeighbors` fitted on the minority samples returns it in column 0 (ask for "
            "`k_neighbors + 1` neighbours and drop the first column), and a distance matrix you sort yourself has "
            "0 on its diagonal (leave the sample itself out)."
        )

    bad = ~valid.any(axis=1)
    if bad.any():
        wrong = new[bad]
        if _index_mix_up(wrong, X, X_min, neighbours, tol):
            return (
                f"{int(bad.sum())} of your {rows} new points join rows of `X` that are not the minority samples "
                f"you meant {case}: positions in `X_min` (the ones you draw, and the ones `kneighbors` returns "
                "when fitted on `X_min`) index `X_min`, not `X`. Row i of `X` is not the i-th minority sample."
            )
        i, j = np.triu_indices(len(X_min), k=1)
        both = np.vstack([X_min, X_maj])
        a, b = np.meshgrid(np.arange(len(X_min)), len(X_min) + np.arange(len(X_maj)), indexing="ij")
        maj_i, maj_j = np.triu_indices(len(X_maj), k=1)
        seg_start = np.r_[a.reshape(-1), len(X_min) + maj_i]
        seg_end = np.r_[b.reshape(-1), len(X_min) + maj_j]
        with_majority, _ = _on_segments(wrong, both[seg_start], both[seg_end], tol)
        n_majority = int(with_majority.any(axis=1).sum())
        if n_majority:
            return (
                f"{n_majority} of your {rows} new points lie on a segment that touches a majority sample {case}. "
                "SMOTE only uses minority samples: select them first (`X[y == 1]`), and find the neighbours "
                "among them only."
            )
        any_minority, _ = _on_segments(wrong, X_min[i], X_min[j], tol)
        n_far = int(any_minority.any(axis=1).sum())
        if n_far:
            return (
                f"{n_far} of your {rows} new points lie between two minority samples that are not among each "
                f"other's {k} nearest neighbours {case}: they are not on a segment from their starting sample to "
                "one of *its* nearest neighbours. Pick each neighbour in the starting sample's own row of the "
                "neighbour table, among its `k_neighbors` nearest minority samples: does your function use its "
                "`k_neighbors` argument (not a fixed number, nor all the minority samples), and the same index for "
                "the starting sample and for the row of neighbours?"
            )
        if valid_line[bad].any(axis=1).all():
            return (
                f"{int(bad.sum())} of your {rows} new points lie on the line through a sample and its neighbour, but "
                f"outside the segment between them {case}: the gap must be drawn in [0, 1), e.g. `rng.random()`."
            )
        return (
            f"{int(bad.sum())} of your {rows} new points do not lie between a minority sample and one of its "
            f"nearest minority neighbours {case}. Each new point must be `x + gap * (neighbour - x)`, with `x` a "
            "minority sample, `neighbour` one of its k nearest minority samples and the gap in [0, 1)."
        )
    return _judge_draws(new, X_min, neighbours, tol, case)


def _judge_smote_seeds(cases: list[dict], outputs: list) -> str | None:
    first, same_seed, other_seed = outputs[0], outputs[SAME_SEED], outputs[OTHER_SEED]
    if first["array"] != same_seed["array"]:
        return (
            "Two calls with the same `random_state` gave different points. Make one generator from that "
            "argument with `np.random.default_rng`, and draw every random number from it (not from "
            "`np.random` directly)."
        )
    if first["array"] == other_seed["array"]:
        return (
            "Two calls with different `random_state` values gave the same points: your function ignores "
            "`random_state` (is a seed fixed inside it?). Build the generator from the argument."
        )
    return None


def _explain_smote_error(kwargs: dict, error: str) -> str:
    k = kwargs["k_neighbors"]
    message = f"Your function raised {error} {_describe_case(kwargs)}."
    if error.startswith("IndexError") and f"axis 1 with size {k - 1}" in error:
        message += (
            f" Your table of neighbours has only {k - 1} column(s) for k_neighbors={k}: an off-by-one. "
            "`NearestNeighbors` fitted on the minority samples returns each sample itself in column 0, so ask "
            "for `n_neighbors=k_neighbors + 1` before you drop that column."
        )
    elif error.startswith("ValueError") and "high <= 0" in error and k == 1:
        message += (
            " With `k_neighbors=1` one of your draws had nothing to draw from: is it an off-by-one in the "
            "neighbour draw, such as a draw among `k_neighbors - 1` values? `rng.integers(n)` already draws 0 "
            "to n - 1, so a draw among `k_neighbors` values picks one of the `k_neighbors` columns."
        )
    return message


# --------------------------------------------------------------------------- #
# Exercise questions.
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    ("strategy_answer", Choice(
        options={
            "a": "after resampling, the minority class has 0.25 times as many samples as the majority class",
            "b": "SMOTE adds 25 % more minority samples",
            "c": "after resampling, the minority class makes up 25 % of all samples",
            "d": "25 % of the majority samples are removed",
        },
        correct="a",
        explanations={
            "a": "For binary data a float is the ratio N_minority / N_majority wanted after resampling.",
            "b": "The float is not a growth rate: SMOTE does not add a share of the minority samples it already "
            "has. Read again which counts the `sampling_strategy` entry of `help(SMOTE)` compares, and when.",
            "c": "The float is not a share of all samples: the total number of rows plays no part in it. Read again "
            "which two counts the `sampling_strategy` entry of `help(SMOTE)` compares.",
            "d": "SMOTE is an over-sampler: it only adds minority samples and never removes any.",
        },
    )),
    points=1,
    hints=["Read the `sampling_strategy` entry of `help(SMOTE)`: what does a float mean for binary data?"],
    solution='strategy_answer = "a"',
)

def _near_count(value: float, target: float) -> bool:
    return abs(value - target) < 0.5


_SHARE_OF_ALL = (
    "That reads 0.25 as a share of *all* rows. For binary data the float is the ratio N_minority / N_majority "
    "wanted after resampling; the majority class is not resampled."
)

q2 = exercise.question(
    "q2",
    ("n_synthetic", Number(
        expected=_n_synthetic,
        atol=1e-9,  # a count of rows: exactly
        mistakes=[
            (lambda v: _near_count(v, _toy_counts()[0] * STRATEGY),
             "That is the number of minority samples *after* resampling; subtract the ones that were already there."),
            (lambda v: _near_count(v, _toy_counts()[1] * STRATEGY),
             "The ratio is taken with respect to the majority class, not the minority class."),
            (lambda v: _near_count(v, _toy_counts()[0] - _toy_counts()[1]),
             "That is what the default `sampling_strategy='auto'` adds. Pass `sampling_strategy=0.25`."),
            (lambda v: _near_count(v, sum(_toy_counts()) * (1 + STRATEGY)) or _near_count(v, sum(_toy_counts()) + _n_synthetic()),
             "That is the size of the whole resampled data set. Count only the rows SMOTE added."),
            # Minority = 25 % of all rows after resampling (n_min / (n_maj + n_min) = 0.25), or 25 % of the
            # original rows: the float read as a share of all rows.
            (lambda v: any(_near_count(v, target) for target in (
                _toy_counts()[0] * STRATEGY / (1 - STRATEGY) - _toy_counts()[1],
                _toy_counts()[0] * STRATEGY / (1 - STRATEGY),
                sum(_toy_counts()) * STRATEGY - _toy_counts()[1],
                sum(_toy_counts()) * STRATEGY,
            )), _SHARE_OF_ALL),
            (lambda v: not float(v).is_integer(),
             "A number of rows is a whole number: count the rows of the resampled data and of the original data."),
        ],
    )),
    points=1,
    hints=[
        "`X_res, y_res = SMOTE(sampling_strategy=0.25, random_state=0).fit_resample(X_toy, y_toy)`.",
        "SMOTE keeps every original row and adds new minority rows: compare `len(y_res)` with `len(y_toy)`.",
    ],
    solution=(
        "X_res, y_res = SMOTE(sampling_strategy=0.25, random_state=0).fit_resample(X_toy, y_toy)\n"
        "n_synthetic = len(y_res) - len(y_toy)"
    ),
)

q3 = exercise.question(
    "q3",
    ("k_answer", Choice(
        options={
            "a": "only on the segments between each minority sample and its single nearest minority neighbour",
            "b": "anywhere between any two minority samples",
            "c": "exactly on top of existing minority samples",
            "d": "between a minority sample and its nearest sample of either class",
        },
        correct="a",
        explanations={
            "a": "With k = 1 there is only one neighbour to choose from, so SMOTE fills in the segments of a "
            "nearest-neighbour graph.",
            "b": "That would be k = N_minority - 1. With `k_neighbors=1` the neighbour can only be the nearest one.",
            "c": "Only the gap 0 would give a copy; the gap is drawn in [0, 1), so the points lie along segments.",
            "d": "SMOTE looks for neighbours among the minority samples only.",
        },
    )),
    points=1,
    hints=["`k_neighbors` is the number of nearest *minority* samples a new point can be interpolated toward."],
    solution='k_answer = "a"',
)

q4 = exercise.question(
    "q4",
    ("my_smote", FunctionCases(
        make_cases=_smote_cases,
        judge_case=_judge_smote,
        judge_all=_judge_smote_seeds,
        explain_error=_explain_smote_error,
    )),
    points=3,
    hints=[
        "Steps: `X_min = X[y == 1]`; `NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X_min)`; "
        "`kneighbors(X_min, return_distance=False)[:, 1:]` gives each sample's k neighbours (column 0 is the sample itself).",
        "With `rng = np.random.default_rng(random_state)`: draw `n_new` base indices with "
        "`rng.integers(len(X_min), size=n_new)`, one neighbour column each with `rng.integers(k_neighbors, size=n_new)`, "
        "and the gaps with `rng.random((n_new, 1))`.",
        "Then `X_min[base] + gap * (X_min[neighbour] - X_min[base])` is the array to return.",
    ],
    solution='''def my_smote(X, y, n_new, k_neighbors=5, random_state=None):
    """Make n_new synthetic minority samples, as SMOTE does.

    X: float64 array of shape (n_samples, n_features); y: labels, 1 = minority, 0 = majority.
    n_new: how many new samples to make. k_neighbors: each new sample lies between a minority
    sample and one of its k_neighbors nearest minority neighbours. random_state: seed; the
    same seed must give the same samples.
    Returns only the new samples: a float64 array of shape (n_new, n_features).
    """
    rng = np.random.default_rng(random_state)
    X_min = X[y == 1]
    nn = NearestNeighbors(n_neighbors=k_neighbors + 1).fit(X_min)
    neighbours = nn.kneighbors(X_min, return_distance=False)[:, 1:]  # drop each sample itself
    base = rng.integers(len(X_min), size=n_new)
    chosen = neighbours[base, rng.integers(k_neighbors, size=n_new)]
    gap = rng.random((n_new, 1))
    return X_min[base] + gap * (X_min[chosen] - X_min[base])''',
)

q5 = exercise.question(
    "q5",
    ("compare_answer", Choice(
        options={
            "a": "yes: with the same `random_state`, the two give the same points",
            "b": "no, but both lie on segments between minority neighbours: the random numbers are drawn differently",
            "c": "no: imblearn's points are copies of minority samples",
        },
        correct="b",
        explanations={
            "a": "The seed fixes a stream of random numbers, but imblearn draws its base samples, neighbours and "
            "gaps from its own generator, in its own order. Look at your two plots again.",
            "b": "Same method, different random draws: to test a random algorithm, check its properties "
            "(counts, segments, seeds), as this exercise's checker does, not equality with another implementation.",
            "c": "imblearn's SMOTE interpolates, like yours: look at the green points in its plot.",
        },
    )),
    points=1,
    hints=["Compare the two plots point by point. imblearn turns `random_state` into a legacy "
           "`np.random.RandomState` (scikit-learn's `check_random_state`), not your `default_rng`, and draws from it "
           "in its own order: would the same seed give the same points?"],
    solution='compare_answer = "b"',
)

q6 = exercise.question(
    "q6",
    {
        "copies": Array(
            expected=_ros_copies,
            atol=0,
            rtol=0,
            shape_mistakes=[
                ("swapped", lambda a, e: a.ndim == 0,
                 "`copies` holds a single number: are the two values in each other's places? The check takes "
                 "`copies` first, then `coef_gap`."),
                (lambda a, e: a.ndim == 1 and len(a) == e.sum(),
                 "You gave one value per *resampled* row; `copies` needs one count per *original* row of `X_toy`."),
                (lambda a, e: a.ndim == 1 and len(a) < len(e),
                 "`copies` needs one count per original row of `X_toy`, also for the rows that were never "
                 "copied (their count is 1): count every original index, up to `len(y_toy)`."),
            ],
            mistakes=[
                (lambda a, e: np.array_equal(a, e - 1),
                 "You counted only the added copies. Each original row is in the resampled data once, plus its "
                 "copies: count how often each index appears in `sample_indices_`."),
                (lambda a, e: np.array_equal(np.sort(a), np.sort(e)),
                 "Right counts, wrong order: `copies[i]` must be the count of original row `i`."),
                (lambda a, e: a.sum() != e.sum(),
                 "Your counts do not add up to the number of resampled rows: count how often each original "
                 "index appears in `ros.sample_indices_`."),
            ],
        ),
        "coef_gap": Number(
            # Any gap in [0, 1e-6] is right: the two fits agree to floating-point noise (about 1e-15), and
            # a learner who rounds it shows 0. A negative one is not: a signed difference, not a distance.
            expected=COEF_GAP_MAX / 2,
            atol=COEF_GAP_MAX / 2,
            tolerance_reason="any gap up to 1e-6 is floating-point noise",
            detect_rounding=False,
            mistakes=[
                ("negative", lambda v: v < 0,
                 "A gap is a distance, never negative: take the absolute value of the differences first, then the "
                 "largest one."),
            ],
            otherwise="The two models should have the same coefficients. Fit one on `(X_ros, y_ros)`, the other on "
            "`(X_toy, y_toy)` with `sample_weight=copies`, then take the largest absolute difference between "
            "their `coef_`.",
        ),
    },
    points=2,
    hints=[
        "`ros = RandomOverSampler(random_state=0)`; `X_ros, y_ros = ros.fit_resample(X_toy, y_toy)`; "
        "`ros.sample_indices_` lists, for each resampled row, the original row it came from.",
        "`copies = np.bincount(ros.sample_indices_, minlength=len(y_toy))`.",
        "`LogisticRegression().fit(X_toy, y_toy, sample_weight=copies)` versus `LogisticRegression().fit(X_ros, y_ros)`.",
    ],
    solution=(
        "ros = RandomOverSampler(random_state=0)\n"
        "X_ros, y_ros = ros.fit_resample(X_toy, y_toy)\n"
        "copies = np.bincount(ros.sample_indices_, minlength=len(y_toy))\n"
        "on_copies = LogisticRegression().fit(X_ros, y_ros)\n"
        "weighted = LogisticRegression().fit(X_toy, y_toy, sample_weight=copies)\n"
        "coef_gap = np.abs(on_copies.coef_ - weighted.coef_).max()"
    ),
)


# --------------------------------------------------------------------------- #
# q7, transfer: SMOTE's two settings on ecoli4, data lesson 04 did not use
# --------------------------------------------------------------------------- #

ECOLI_STRATEGY = 0.5


@cache
def _ecoli_counts() -> tuple[int, int]:
    from ..data import load_ecoli4

    y = load_ecoli4(return_X_y=True)[1].to_numpy()
    return int(np.sum(y == 0)), int(np.sum(y == 1))


def _ecoli_added() -> float:
    n_majority, n_minority = _ecoli_counts()
    return float(int(n_majority * ECOLI_STRATEGY) - n_minority)


def _ecoli(index: int):
    return lambda: float(_ecoli_counts()[index])


q7 = exercise.question(
    "q7",
    {
        "n_added_ecoli": Number(
            expected=_ecoli_added,
            detect_rounding=False,  # a count of rows: a neighbouring count is another count, not a rounding
            mistakes=[
                ("after-resampling", lambda v: _near_count(v, _ecoli_counts()[0] * ECOLI_STRATEGY),
                 "That is the number of minority samples *after* resampling; subtract the ones already there."),
                ("ratio-of-minority", lambda v: _near_count(v, _ecoli_counts()[1] * ECOLI_STRATEGY),
                 "The ratio is taken with respect to the majority class, not the minority class."),
                ("auto", lambda v: _near_count(v, _ecoli_counts()[0] - _ecoli_counts()[1]),
                 "That is what the default `sampling_strategy='auto'` adds. Pass `sampling_strategy=0.5`."),
                ("share-of-all", lambda v: _near_count(v, sum(_ecoli_counts()) * ECOLI_STRATEGY - _ecoli_counts()[1]),
                 _SHARE_OF_ALL.replace("0.25", "0.5")),
            ],
        ),
        "max_k_ecoli": Number(
            expected=lambda: float(_ecoli_counts()[1] - 1),
            detect_rounding=False,
            mistakes=[
                ("counts-itself", _ecoli(1), "With that many neighbours SMOTE stops with a ValueError: each minority "
                 "sample's neighbours are the *other* minority samples, and `NearestNeighbors` also counts the "
                 "sample itself, so it asks for `k_neighbors + 1` of them."),
                ("default-k", 5.0, "5 is the default, not the largest value SMOTE accepts here: try larger ones."),
                ("all-samples", lambda v: _near_count(v, sum(_ecoli_counts()) - 1),
                 "SMOTE looks for neighbours among the minority samples only, not among all the rows."),
            ],
        ),
    },
    points=2,
    hints=[
        "Count the classes of `y_ecoli` first. For a float `sampling_strategy`, SMOTE aims at "
        "N_minority = ratio x N_majority after resampling (rounded down).",
        "Each minority sample needs `k_neighbors` other minority samples, and `NearestNeighbors` is asked for "
        "`k_neighbors + 1` (the sample itself comes first). Try `SMOTE(k_neighbors=k).fit_resample(...)` around "
        "the number of minority samples.",
    ],
    solution=(
        "X_res_ecoli, y_res_ecoli = SMOTE(sampling_strategy=0.5, random_state=0).fit_resample(X_ecoli, y_ecoli)\n"
        "n_added_ecoli = len(y_res_ecoli) - len(y_ecoli)\n"
        "max_k_ecoli = int(y_ecoli.sum()) - 1"
    ),
)
