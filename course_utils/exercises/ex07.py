"""Checks for lesson 07 and exercise 07: beyond plain SMOTE.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q6``. Every expected value is
computed from the shipped or generated data, once, and cached. What each question establishes:

- ``q1`` (``danger_mask``, a function): Borderline-SMOTE's danger set, by its definition (Han et al.
  2005; imbalanced-learn's code): a minority row is *in danger* when m/2 <= (majority rows among its m
  nearest neighbours in all of ``X``, itself excluded) < m. The function is run on generated data sets
  (several seeds, sizes, even and odd m) and its mask must equal the definition's row for row; the
  definition is also compared with imbalanced-learn's ``BorderlineSMOTE.in_danger_indices`` on every case,
  so the learner's mask matches the library too. Realistic misreadings (the user guide's "same class"
  prose, noise counted as danger, the row counted as its own neighbour, "more than half") are recognised
  from the mask they produce.
- ``q2`` (``n_danger``, ``n_noise``): the counts on yeast4, compared with the definition's counts.
- ``q3`` (``search``, ``best_ap``): a sampler chosen by cross-validation inside one pipeline. The fitted
  search must offer ``"passthrough"`` (no resampling) among at least three candidates for the sampler
  step, score by average precision, and use the given repeated splits; its best score must equal the
  score of that search run by the checker.
- ``q4`` (``fast_model``, ``speed_report``): an under-sampling speed-up measured and reported. Robust to
  machine speed: the report must be internally consistent (``speedup`` = ``full_seconds`` /
  ``fast_seconds`` as the learner measured them, both plausible fit times), the under-sampled fit must be
  faster, and ``fast_model`` must be a fitted pipeline whose model was fitted after an under-sampler
  (fewer rows: a scaler after the sampler records how many).
- ``q5`` (``ap_full``, ``ap_fast``): what the speed-up costs, as test-set AP of both models, compared with
  the checker's own fits.
- ``q6`` (``borderline2_difference``): what Borderline-SMOTE 2 does differently (concept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..checks import (
    DEFAULT_SEED,
    Answer,
    Choice,
    EstimatorSpec,
    Exercise,
    FunctionCases,
    Number,
    Result,
    Status,
    as_plain_number,
    describe_type,
    incorrect,
    rounding_mistakes,
    uncheckable,
)
from ..data import load_yeast4, make_imbalanced, make_toy_2d

exercise = Exercise("ex07", "Exercise 07 - beyond plain SMOTE")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 07 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "SMOTE: it interpolates from every minority point, outliers included",
            "b": "Borderline-SMOTE 2: it starts from the border and may step towards majority neighbours",
            "c": "KMeans-SMOTE: it interpolates inside clusters, wherever they are",
            "d": "SVM-SMOTE: it starts from the support vectors, which sit on the margin",
        },
        correct="b",
        explanations={
            "a": "SMOTE starts from every minority point, but most of them sit inside the minority cloud. Run the next "
            "cells to count where each method's points land.",
            "b": "Run the next cells to count how many land in majority territory.",
            "c": "KMeans-SMOTE only interpolates inside clusters with a high enough minority share, so it stays away "
            "from the majority. Run the next cells.",
            "d": "SVM-SMOTE starts from support vectors on the margin. From those in danger it interpolates towards "
            "a minority neighbour; from the safe ones it extrapolates, outward from the minority towards the "
            "majority, but only by a short step. Run the next cells to count where its points land.",
        },
    ),
    hints=["Which method starts *only* from points near the border, and may interpolate towards a majority point?"],
    solution='my_prediction = "b"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": '`kind_sel="all"` removes more: one dissenting neighbour is enough',
            "b": '`kind_sel="mode"` removes more: it looks at the majority of the neighbours',
            "c": "both remove the same points: they differ only in how ties are broken",
        },
        correct="a",
        explanations={
            "a": "Run the next cells to count by how much.",
            "b": '"mode" needs most of the neighbours to disagree, "all" only one: "mode" is the stricter test for '
            "removal, so it removes fewer. Run the next cells.",
            "c": "They are different rules, not tie-breakers: run the next cells to count.",
        },
    ),
    hints=['`kind_sel="all"` keeps a point only if *all* its neighbours agree with its label.'],
    solution='my_prediction = "a"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "most samplers beat it on AP, with HistGradientBoosting and logistic regression alike",
            "b": "few or none beat it by more than the noise of the comparison, for either model",
            "c": "most samplers beat it with logistic regression, and none with HistGradientBoosting",
        },
        correct="b",
        explanations={
            "a": "Run the next cells: resampling mostly moves the operating point, which the tuned threshold moves "
            "already.",
            "b": "Run the next cells to see the paired differences.",
            "c": "That is the claim to test for weak learners. Run the next cells.",
        },
    ),
    hints=["The baseline already moves its threshold. What is left for a sampler to improve?"],
    solution='my_prediction = "b"',
)

p4 = exercise.prompt(
    "p4",
    Choice(
        options={
            "a": "about as many times faster as there are fewer rows",
            "b": "faster, but by fewer times than the rows shrink",
            "c": "no faster: gradient boosting bins the features once, whatever the rows",
        },
        correct="b",
        explanations={
            "a": "Part of a fit does not shrink with the rows (setting up, the trees' fixed costs). Run the next cells.",
            "b": "Run the next cells to see the curve.",
            "c": "Binning and building histograms both scale with the rows. Run the next cells.",
        },
    ),
    hints=["Does every part of a fit scale with the number of rows?"],
    solution='my_prediction = "b"',
)

# --------------------------------------------------------------------------- #
# q1 / q2: Borderline-SMOTE's danger set.
# --------------------------------------------------------------------------- #

_DANGER_SOURCE = (
    "Han et al. (2005) and imbalanced-learn's code define it by the *majority* neighbours: "
    "m/2 <= (majority rows among the m nearest neighbours) < m. (The imbalanced-learn user guide's prose "
    "says 'same class': that sentence is wrong.)"
)


def _neighbour_majority_counts(X, y, m: int, *, include_self: bool = False) -> np.ndarray:
    """Majority rows among each row's m nearest neighbours in all of ``X`` (the row itself excluded)."""
    from sklearn.neighbors import NearestNeighbors

    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    index = NearestNeighbors(n_neighbors=m + 1).fit(X).kneighbors(X, return_distance=False)
    # With distinct rows, each row is its own nearest neighbour: column 0.
    neighbours = index[:, :m] if include_self else index[:, 1:]
    return (y[neighbours] == 0).sum(axis=1)


def danger_reference(X, y, m_neighbors: int = 10) -> np.ndarray:
    """Boolean mask of the minority rows in danger, by the definition (the reference for ``q1``)."""
    y = np.asarray(y)
    n_majority = _neighbour_majority_counts(X, y, m_neighbors)
    return (y == 1) & (n_majority >= m_neighbors / 2) & (n_majority < m_neighbors)


def _imblearn_danger(X, y, m_neighbors: int) -> np.ndarray:
    """The same mask, from imbalanced-learn's ``BorderlineSMOTE.in_danger_indices``."""
    from imblearn.over_sampling import BorderlineSMOTE

    y = np.asarray(y)
    sampler = BorderlineSMOTE(m_neighbors=m_neighbors, k_neighbors=3, random_state=0)
    sampler.fit_resample(np.asarray(X, dtype=float), y)
    mask = np.zeros(len(y), dtype=bool)
    mask[sampler.in_danger_indices[1]] = True
    return mask


def _misreadings(X, y, m: int) -> list[tuple[np.ndarray, str]]:
    """Masks that realistic misreadings of the definition produce, with what to tell the learner."""
    y = np.asarray(y)
    minority = y == 1
    n_majority = _neighbour_majority_counts(X, y, m)
    n_majority_self = _neighbour_majority_counts(X, y, m, include_self=True)
    n_same = m - n_majority
    return [
        (minority & (n_same >= m / 2) & (n_same < m),
         "You counted neighbours of the *same* class (minority). " + _DANGER_SOURCE),
        (minority & (n_majority >= m / 2),
         "Your mask also flags minority rows whose m neighbours are *all* majority rows. Those are *noise* for "
         "Borderline-SMOTE, not danger: the count must stay below m."),
        (minority & (n_majority_self >= m / 2) & (n_majority_self < m),
         "Each row was counted as its own neighbour. Ask `NearestNeighbors` for m + 1 neighbours and drop the "
         "first column (the row itself)."),
        (minority & (n_majority > m / 2) & (n_majority < m),
         "Your mask misses rows with exactly half of their neighbours in the majority: the rule is *at least* "
         "half, m/2 <= count."),
        (minority & (n_majority_self > m / 2) & (n_majority_self < m),
         "Each row was counted as its own neighbour, and the rule needs *at least* half (>=, not >)."),
        ((n_majority >= m / 2) & (n_majority < m) | (~minority & (m - n_majority >= m / 2) & (n_majority > 0)),
         "Your mask flags majority rows too: only minority (label 1) rows can be in danger."),
    ]


def _danger_cases(seed: int) -> list[dict]:
    """Generated data sets: 2-D toys of several sizes and ratios, and a 5-D set; even and odd m."""
    seed = int(seed)
    cases = []
    for i, (n, ratio, sep, m) in enumerate([(300, 8, 1.0, 10), (240, 5, 1.5, 5), (400, 12, 0.8, 7), (200, 4, 1.2, 6)]):
        X, y = make_toy_2d(n, imbalance_ratio=ratio, class_sep=sep, random_state=(100 * seed + i) % 2**32)  # any grader seed (up to 2**32 - 1)
        cases.append({"X": X, "y": y, "m_neighbors": m})
    X, y = make_imbalanced(300, imbalance_ratio=6, class_sep=0.8, n_features=5, random_state=7, draw=seed)
    cases.append({"X": X, "y": y, "m_neighbors": 10})
    return cases


def _judge_danger(kwargs: dict, output) -> str | None:
    X, y, m = kwargs["X"], np.asarray(kwargs["y"]), kwargs["m_neighbors"]
    expected = danger_reference(X, y, m)
    library = _imblearn_danger(X, y, m)
    if not np.array_equal(expected, library):  # pragma: no cover - the definition is the library's
        return None if output is None else "The check could not compare with imbalanced-learn on this case."
    if not isinstance(output, dict) or "array" not in output:
        return "Return a NumPy array of booleans, one per row of `X` (True for a minority row in danger)."
    answer = np.asarray(output["array"])
    n_minority = int((y == 1).sum())
    if answer.ndim == 1 and answer.shape == (n_minority,) and n_minority != len(y):
        return (f"Your array has {n_minority} values, one per *minority* row. Return one value per row of `X` "
                f"({len(y)}), False for every majority row.")
    if answer.shape != (len(y),):
        if answer.ndim == 1 and answer.size and np.array_equal(np.sort(answer), np.flatnonzero(expected)):
            return ("You returned the *indices* of the rows in danger. Return a boolean mask instead, one value per "
                    "row: `mask = np.zeros(len(y), dtype=bool); mask[indices] = True`.")
        return f"Expected {len(y)} values (one per row of `X`), got an array of shape {tuple(answer.shape)}."
    if not np.isin(answer, (0, 1)).all():
        return "Return booleans (True/False), one per row, not scores or counts."
    answer = answer.astype(bool)
    if np.array_equal(answer, expected):
        return None
    for mask, message in _misreadings(X, y, m):
        if np.array_equal(answer, mask):
            return message
    if not answer.any():
        return ("Your function flags no row at all. The m neighbours must come from all of `X` (both classes), "
                "and a minority row is in danger when at least half of them are majority rows (but not all).")
    wrong = int((answer != expected).sum())
    return (f"Your mask differs from the definition (and from imbalanced-learn's `in_danger_indices`) on {wrong} "
            f"of {len(y)} rows, for m = {m}. " + _DANGER_SOURCE)


def _explain_danger_error(kwargs: dict, error: str) -> str | None:
    if "m_neighbors" in error and "unexpected keyword" in error:
        return "Keep the signature `danger_mask(X, y, m_neighbors=10)`: the check calls it with these names."
    return None


q1 = exercise.question(
    "q1",
    (
        "danger_mask",
        FunctionCases(make_cases=_danger_cases, judge_case=_judge_danger, explain_error=_explain_danger_error),
    ),
    points=2,
    hints=[
        "`NearestNeighbors(n_neighbors=m_neighbors + 1).fit(X).kneighbors(X, return_distance=False)` gives each row "
        "followed by its m nearest neighbours; drop column 0 (the row itself).",
        "Count the majority neighbours: `n_majority = (y[neighbours] == 0).sum(axis=1)`; then "
        "`(y == 1) & (n_majority >= m_neighbors / 2) & (n_majority < m_neighbors)`.",
    ],
    solution=(
        "def danger_mask(X, y, m_neighbors=10):\n"
        '    """Boolean mask of the minority rows in danger (Borderline-SMOTE)."""\n'
        "    X, y = np.asarray(X, dtype=float), np.asarray(y)\n"
        "    index = NearestNeighbors(n_neighbors=m_neighbors + 1).fit(X).kneighbors(X, return_distance=False)\n"
        "    n_majority = (y[index[:, 1:]] == 0).sum(axis=1)\n"
        "    return (y == 1) & (n_majority >= m_neighbors / 2) & (n_majority < m_neighbors)"
    ),
)


@cache
def _yeast():
    X, y = load_yeast4(return_X_y=True)
    return X.to_numpy(dtype=float), y.to_numpy()


@cache
def _yeast_counts() -> dict:
    X, y = _yeast()
    m = 10
    n_majority = _neighbour_majority_counts(X, y, m)
    n_majority_self = _neighbour_majority_counts(X, y, m, include_self=True)
    minority = y == 1
    n_same = m - n_majority
    return {
        "danger": int((minority & (n_majority >= m / 2) & (n_majority < m)).sum()),
        "noise": int((minority & (n_majority == m)).sum()),
        "safe": int((minority & (n_majority < m / 2)).sum()),
        "prose": int((minority & (n_same >= m / 2) & (n_same < m)).sum()),
        "with_noise": int((minority & (n_majority >= m / 2)).sum()),
        "self": int((minority & (n_majority_self >= m / 2) & (n_majority_self < m)).sum()),
        "self_noise": int((minority & (n_majority_self == m)).sum()),
        "minority": int(minority.sum()),
    }


def _count(key: str):
    return lambda: _yeast_counts()[key]


def _is_count(key: str, target: str):
    """Matches the count ``key`` when it differs from the expected count ``target``."""
    return lambda v: v == _yeast_counts()[key] and _yeast_counts()[key] != _yeast_counts()[target]


q2 = exercise.question(
    "q2",
    {
        "n_danger": Number(
            expected=_count("danger"),
            atol=0,
            mistakes=[
                (_is_count("prose", "danger"), "That is the count with neighbours of the *same* class. "
                 + _DANGER_SOURCE),
                (_is_count("with_noise", "danger"), "That count includes the noise rows (all m neighbours in the "
                 "majority): danger stops below m."),
                (_is_count("self", "danger"), "Each row was counted as its own neighbour: use m + 1 neighbours and "
                 "drop the row itself."),
                (_is_count("safe", "danger"), "That is the number of *safe* minority rows (fewer than half of the "
                 "neighbours in the majority)."),
                (lambda v: 0 < v < 1, "Give the number of rows, not a share: `danger.sum()`."),
            ],
        ),
        "n_noise": Number(
            expected=_count("noise"),
            atol=0,
            mistakes=[
                (_is_count("danger", "noise"), "That is the number of rows in danger; noise rows have *all* m "
                 "neighbours in the majority."),
                (_is_count("safe", "noise"), "That is the number of *safe* minority rows; noise rows have *all* m "
                 "neighbours in the majority."),
                (_is_count("self_noise", "noise"), "Each row was counted as its own neighbour: use m + 1 neighbours "
                 "and drop the row itself."),
                (lambda v: 0 < v < 1, "Give the number of rows, not a share."),
            ],
        ),
    },
    points=2,
    hints=[
        "Call your `danger_mask(X_yeast, y_yeast, m_neighbors=10)` and sum it.",
        "For noise you need the majority count itself: every one of the m neighbours is a majority row.",
    ],
    solution=(
        "n_danger = int(danger_mask(X_yeast, y_yeast, m_neighbors=10).sum())\n"
        "index = NearestNeighbors(n_neighbors=11).fit(X_yeast).kneighbors(X_yeast, return_distance=False)\n"
        "n_majority = (y_yeast[index[:, 1:]] == 0).sum(axis=1)\n"
        "n_noise = int(((y_yeast == 1) & (n_majority == 10)).sum())"
    ),
)

# --------------------------------------------------------------------------- #
# q3: choosing a sampler by cross-validation, "passthrough" among the candidates.
# --------------------------------------------------------------------------- #

#: The transfer data set of step 3: noisy labels on a blurred border, drawn for this exercise only.
_SEARCH_PROBLEM = {"n_samples": 1200, "imbalance_ratio": 15, "class_sep": 0.8, "label_noise": 0.1, "random_state": 3}


@cache
def _search_data():
    return make_imbalanced(**_SEARCH_PROBLEM)


def _search_cv():
    from sklearn.model_selection import RepeatedStratifiedKFold

    return RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)


def _candidates():
    from imblearn.over_sampling import SMOTE, BorderlineSMOTE
    from imblearn.under_sampling import RandomUnderSampler

    return ["passthrough", SMOTE(random_state=0), BorderlineSMOTE(random_state=0), RandomUnderSampler(random_state=0)]


def _search_pipeline():
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()), ("sampler", "passthrough"), ("model", LogisticRegression())])


@cache
def _search_scores() -> dict:
    """The step's search, run by the checker: its best score and every candidate's mean score.

    A search with another scoring or splitter is named by the ``search`` part (its requirements), so only
    this one search is run here: the first check stays fast.
    """
    from sklearn.model_selection import GridSearchCV

    X, y = _search_data()

    main = GridSearchCV(_search_pipeline(), {"sampler": _candidates()}, scoring="average_precision",
                        cv=_search_cv()).fit(X, y)
    means = main.cv_results_["mean_test_score"]
    return {
        "best": float(main.best_score_),
        "without_passthrough": float(max(means[1:])),
        "passthrough": float(means[0]),
        "means": [float(v) for v in means],
    }


def _search_is(key: str):
    return lambda v: math.isclose(v, _search_scores()[key], rel_tol=1e-6) and not math.isclose(
        _search_scores()[key], _search_scores()["best"], rel_tol=1e-6
    )


def _grid_values(d: dict) -> list:
    """Every candidate list in the search's grid (a dict, or a list of dicts)."""
    grid = d["params"].get("param_grid", d["params"].get("param_distributions"))
    grids = grid if isinstance(grid, list) else [grid]
    values = []
    for g in grids:
        if isinstance(g, dict):
            for candidates in g.values():
                values.extend(candidates if isinstance(candidates, list) else [candidates])
    return values


def _offers_passthrough(d: dict) -> bool:
    return any(v in ("passthrough", None) for v in _grid_values(d))


def _n_samplers(d: dict) -> int:
    return sum(isinstance(v, dict) and str(v.get("class", "")).startswith("imblearn.") for v in _grid_values(d))


def _is_search(d: dict) -> bool:
    return d["class"].endswith((".GridSearchCV", ".RandomizedSearchCV"))


def _scores_ap(d: dict) -> bool:
    scoring = d["params"].get("scoring")
    return scoring == "average_precision" or (isinstance(scoring, dict) and "Scorer" in str(scoring.get("repr_type", "")))


def _scoring_message(d: dict) -> str:
    scoring = d["params"].get("scoring")
    if scoring is None:
        return ('Your search scores by accuracy, the default. Pass `scoring="average_precision"`: accuracy rewards '
                "predicting the majority.")
    return f'Your search scores by {scoring!r}; this step compares by average precision: `scoring="average_precision"`.'


def _uses_given_cv(d: dict) -> bool:
    cv = d["params"].get("cv")
    return isinstance(cv, dict) and cv.get("repr_type", "").endswith("RepeatedStratifiedKFold")


_search_spec = EstimatorSpec(
    requirements=[
        (_is_search, "Wrap the pipeline in `GridSearchCV(...)` and fit that: the search is what chooses the sampler."),
        (lambda d: bool(_grid_values(d)), "Give the search a grid for the sampler step, e.g. "
         '`{"sampler": ["passthrough", SMOTE(random_state=0), ...]}`.'),
        (_offers_passthrough, 'Add `"passthrough"` to the sampler candidates: validation must be allowed to choose '
         "*no* resampling."),
        (lambda d: _n_samplers(d) >= 3, "Offer the three samplers of the step (SMOTE, Borderline-SMOTE and random "
         'under-sampling) beside `"passthrough"`.'),
        (_scores_ap, _scoring_message),
        (_uses_given_cv, "Pass the given splitter, `cv=cv` (repeated stratified folds): with few positives, one "
         "5-fold split is a noisy judge."),
        (lambda d: d["inner"] is None or any(s["class"] == "passthrough" or s["is_sampler"] for s in d["inner"]["steps"]),
         "Search over the given `pipe`, whose `sampler` step the grid replaces."),
    ],
    must_be_fitted=True,
    fit_call=".fit(X_new, y_new)",
)

q3 = exercise.question(
    "q3",
    {
        "search": _search_spec,
        "best_ap": Number(
            expected=lambda: _search_scores()["best"],
            atol=0,
            rtol=1e-6,
            mistakes=[
                *rounding_mistakes(lambda: _search_scores()["best"], tolerance=1e-6, digits=(2, 3, 4)),
                (_search_is("without_passthrough"), 'That is the best of the samplers alone: add `"passthrough"` to the '
                 "candidates, and let validation compare it."),
                (lambda v: any(math.isclose(v, m, rel_tol=1e-6) for m in _search_scores()["means"]),
                 "That is the mean score of one candidate, but not of the best one: read the fitted search's score of its best candidate."),
                (lambda v: 1 < v <= 100, "Give the AP as a fraction between 0 and 1, not a percentage."),
            ],
        ),
    },
    points=2,
    hints=[
        'grid = `{"sampler": ["passthrough", SMOTE(random_state=0), BorderlineSMOTE(random_state=0), '
        "RandomUnderSampler(random_state=0)]}`.",
        '`search = GridSearchCV(pipe, grid, scoring="average_precision", cv=cv).fit(X_new, y_new)`, then '
        "`best_ap = search.best_score_`.",
    ],
    solution=(
        'grid = {"sampler": ["passthrough", SMOTE(random_state=0), BorderlineSMOTE(random_state=0),\n'
        "                    RandomUnderSampler(random_state=0)]}\n"
        'search = GridSearchCV(pipe, grid, scoring="average_precision", cv=cv).fit(X_new, y_new)\n'
        "best_ap = search.best_score_"
    ),
)

# --------------------------------------------------------------------------- #
# q4 / q5: the under-sampling speed-up and its cost in AP.
# --------------------------------------------------------------------------- #

_BIG_PROBLEM = {"imbalance_ratio": 50, "class_sep": 0.8, "n_features": 20, "random_state": 11}
_N_BIG, _N_BIG_TEST = 100_000, 20_000


@cache
def _big_data():
    X, y = make_imbalanced(_N_BIG, **_BIG_PROBLEM)
    X_test, y_test = make_imbalanced(_N_BIG_TEST, draw=1, **_BIG_PROBLEM)
    return X, y, X_test, y_test


def _rows_after_sampler(d: dict) -> int | None:
    """Rows the first step after the under-sampler saw at fit time, when that step records them."""
    steps = d["steps"]
    for i, step in enumerate(steps):
        if step["is_sampler"]:
            for later in steps[i + 1:]:
                if later["n_samples_seen"] is not None:
                    return later["n_samples_seen"]
    return None


def _has_under_sampler(d: dict) -> bool:
    return any(s["is_sampler"] and ".under_sampling." in s["class"] for s in d["steps"][:-1])


def _sampler_message(d: dict) -> str:
    if not d["steps"]:
        return ("`fast_model` must be a pipeline: `make_pipeline(RandomUnderSampler(...), StandardScaler(), "
                "LogisticRegression())`.")
    if any(s["is_sampler"] for s in d["steps"]):
        return ("Your pipeline's sampler is not an under-sampler (or it is the last step). This step times "
                "*under*-sampling: `RandomUnderSampler(sampling_strategy=0.1, random_state=0)` before the model.")
    return "Put `RandomUnderSampler(sampling_strategy=0.1, random_state=0)` in the pipeline, before the model."


_fast_spec = EstimatorSpec(
    requirements=[
        (lambda d: bool(d["steps"]) and d["is_classifier"], lambda d: _sampler_message(d)),
        (_has_under_sampler, _sampler_message),
        (lambda d: _rows_after_sampler(d) in (None,) or _rows_after_sampler(d) < _N_BIG,
         lambda d: f"The step after your sampler saw {_rows_after_sampler(d):,} rows, all of `X_big`: the "
         "under-sampler removed nothing. Use `sampling_strategy=0.1`."),
    ],
    must_be_fitted=True,
    fit_call=".fit(X_big, y_big)",
)


@dataclass
class _SpeedReport(Answer):
    """A measured speed-up: ``{"full_seconds": t_full, "fast_seconds": t_fast, "speedup": t_full / t_fast}``.

    Timings differ between machines and runs, so nothing is compared with a stored time: the report must be
    consistent with itself, plausible as fit times, and show the under-sampled fit faster.
    """

    keys = ("full_seconds", "fast_seconds", "speedup")
    expects = 'a dict with "full_seconds", "fast_seconds" and "speedup"'
    extract_uses_seed = False

    def extract(self, value, seed=DEFAULT_SEED):
        if not isinstance(value, dict):
            raise uncheckable(
                f'Expected a dict such as `{{"full_seconds": t_full, "fast_seconds": t_fast, "speedup": ...}}`, but '
                f"got {describe_type(value)}."
            )
        missing = [k for k in self.keys if k not in value]
        if missing:
            raise uncheckable(f"Your dict has no {', '.join(repr(k) for k in missing)}: give all three keys.")
        return {k: as_plain_number(value[k]) for k in self.keys}

    def judge(self, data, seed=DEFAULT_SEED):
        full, fast, speedup = (float(data[k]) for k in self.keys)
        for name, seconds in (("full_seconds", full), ("fast_seconds", fast)):
            if not (math.isfinite(seconds) and 0 < seconds < 600):
                raise incorrect(f"`{name}` = {seconds:g} is not a plausible fit time in seconds: measure it with "
                                "a wall clock read just before and just after the `.fit(...)` call.")
            if seconds > 1_000_000:  # pragma: no cover - covered by the bound above
                raise incorrect("Give the times in seconds.")
        if not math.isfinite(speedup) or speedup <= 0:
            raise incorrect(f"`speedup` = {speedup:g} is not a ratio of two fit times.")
        if math.isclose(speedup, fast / full, rel_tol=0.01) and not math.isclose(full, fast, rel_tol=0.01):
            raise incorrect("Your `speedup` is `fast_seconds / full_seconds`: divide the other way round, "
                            "full / fast, so that a speed-up is above 1.")
        if not math.isclose(speedup, full / fast, rel_tol=0.01):
            raise incorrect(f"Your `speedup` ({speedup:.3g}) is not `full_seconds / fast_seconds` "
                            f"({full / fast:.3g}): compute it from the two times you measured.")
        if full <= fast:
            raise incorrect("In your report the under-sampled fit was not faster. Time only the `.fit(...)` calls, "
                            "each just after the other, and run the cell again.")
        # No number in the verdict: a timing changes from run to run, and the stored outputs must not.
        return Result(Status.CORRECT, "Your report is consistent, and by your own measurement the under-sampled fit "
                      "was faster. Compare the speed-up with how many times fewer rows it used.")


q4 = exercise.question(
    "q4",
    {"fast_model": _fast_spec, "speed_report": _SpeedReport()},
    points=2,
    hints=[
        "`start = time.perf_counter(); full_model.fit(X_big, y_big); full_seconds = time.perf_counter() - start`, "
        "and the same for `fast_model`.",
        '`speed_report = {"full_seconds": full_seconds, "fast_seconds": fast_seconds, '
        '"speedup": full_seconds / fast_seconds}`.',
    ],
    solution=(
        "full_model = make_pipeline(StandardScaler(), LogisticRegression())\n"
        "fast_model = make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),\n"
        "                           LogisticRegression())\n"
        "start = time.perf_counter()\n"
        "full_model.fit(X_big, y_big)\n"
        "full_seconds = time.perf_counter() - start\n"
        "start = time.perf_counter()\n"
        "fast_model.fit(X_big, y_big)\n"
        "fast_seconds = time.perf_counter() - start\n"
        'speed_report = {"full_seconds": full_seconds, "fast_seconds": fast_seconds,\n'
        '                "speedup": full_seconds / fast_seconds}'
    ),
)


@cache
def _big_scores() -> dict:
    """Test-set AP of the full and the under-sampled model, and realistic other numbers."""
    from imblearn.pipeline import make_pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.preprocessing import StandardScaler

    X, y, X_test, y_test = _big_data()
    out = {}
    models = {
        "full": make_pipeline(StandardScaler(), LogisticRegression()),
        "fast": make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),
                              LogisticRegression()),
        "balanced": make_pipeline(RandomUnderSampler(random_state=0), StandardScaler(), LogisticRegression()),
    }
    for name, model in models.items():
        model.fit(X, y)
        score = model.predict_proba(X_test)[:, 1]
        out[name] = float(average_precision_score(y_test, score))
        out[f"{name}_auc"] = float(roc_auc_score(y_test, score))
        out[f"{name}_labels"] = float(average_precision_score(y_test, model.predict(X_test)))
        out[f"{name}_train"] = float(average_precision_score(y, model.predict_proba(X)[:, 1]))
    return out


def _ap_is(key: str, target: str):
    return lambda v: math.isclose(v, _big_scores()[key], rel_tol=1e-4) and not math.isclose(
        _big_scores()[key], _big_scores()[target], rel_tol=1e-4
    )


def _ap_mistakes(kind: str) -> list:
    other = "fast" if kind == "full" else "full"
    return [
        (_ap_is(other, kind), "That is the other model's AP: check which model each variable names."),
        (_ap_is(f"{kind}_auc", kind), "That is the ROC-AUC; this step asks for `average_precision_score`."),
        (_ap_is(f"{kind}_labels", kind), "That AP was computed from 0/1 predictions (`predict`); use the scores: "
         "`predict_proba(X_test)[:, 1]`."),
        (_ap_is(f"{kind}_train", kind), "That AP is measured on the training data; use `X_test, y_test`."),
        *([(_ap_is("balanced", kind), "That is the AP after under-sampling to 1:1 (the default strategy): use "
            "`sampling_strategy=0.1`.")] if kind == "fast" else []),
        (lambda v: 1 < v <= 100, "Give the AP as a fraction between 0 and 1, not a percentage."),
    ]


q5 = exercise.question(
    "q5",
    {
        "ap_full": Number(expected=lambda: _big_scores()["full"], atol=0, rtol=1e-4, mistakes=_ap_mistakes("full")),
        "ap_fast": Number(expected=lambda: _big_scores()["fast"], atol=0, rtol=1e-4, mistakes=_ap_mistakes("fast")),
    },
    points=2,
    hints=[
        "`average_precision_score(y_test, model.predict_proba(X_test)[:, 1])` for each of the two fitted models.",
    ],
    solution=(
        "ap_full = average_precision_score(y_test, full_model.predict_proba(X_test)[:, 1])\n"
        "ap_fast = average_precision_score(y_test, fast_model.predict_proba(X_test)[:, 1])"
    ),
)

# --------------------------------------------------------------------------- #
# q6: what Borderline-SMOTE 2 does differently.
# --------------------------------------------------------------------------- #

q6 = exercise.question(
    "q6",
    (
        "borderline2_difference",
        Choice(
            options={
                "a": "it also interpolates from a danger row towards its *majority* neighbours, with a gap below 0.5, "
                "so its new points reach further into majority territory",
                "b": "it also uses the safe minority rows as starting points, so its new points spread over the whole "
                "minority region",
                "c": "it first removes the noise rows from the data, so its new points stay inside the minority region",
                "d": "it starts from the support vectors of an SVM instead of the danger rows, so its new points "
                "follow the fitted margin",
            },
            correct="a",
            explanations={
                "a": "A gap below 0.5 keeps the new point closer to the minority row than to the majority one, but "
                "it is still a step towards the majority: the lesson measured the share that lands in majority "
                "territory.",
                "b": "Both variants start from the danger rows only; the safe rows are never starting points.",
                "c": "Neither variant removes rows: noise rows are simply not used as starting points, by either.",
                "d": "That is SVM-SMOTE, a different method.",
            },
        ),
    ),
    points=1,
    hints=["Both variants start from the same danger rows. What else may Borderline-SMOTE 2 pick as the other end of the segment?"],
    solution='borderline2_difference = "a"',
)

__all__ = ["exercise", "progress", "danger_reference"] + [f"p{i}" for i in range(1, 5)] + [f"q{i}" for i in range(1, 7)]
