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
  step, score by average precision, use the given repeated splits and search the given ``pipe`` (scaler, sampler
  slot, model, at their given settings); its best score must equal the score of that search run by the checker.
- ``q4`` (``full_model``, ``fast_model``, ``speed_report``): an under-sampling speed-up measured and reported.
  ``fast_model`` must be ``full_model`` with a ``RandomUnderSampler`` added, both fitted on ``X_big``. The check
  times both models itself (CPU time of one thread, which other programs do not inflate) and compares: the report
  must be internally consistent (``speedup`` = ``full_seconds`` / ``fast_seconds``), in seconds of one fit (never
  far below the check's CPU time), and a report whose fast fit was not faster, or whose speed-up is far above the
  check's, could not be checked (timing noise on a busy machine can move a wall-clock ratio). The under-sampler's
  kept rows establish the fit rows and the ratio; refits of ``full_model`` on ``X_big`` establish its fit rows.
- ``q5`` (``ap_full``, ``ap_fast``): what the speed-up costs, as test-set AP of both models, compared with
  the checker's own fits.
- ``q6`` (``borderline2_difference``): what Borderline-SMOTE 2 does differently (concept).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..checks import (
    DEFAULT_SEED,
    Answer,
    Choice,
    RTOL,
    EstimatorSpec,
    Exercise,
    Question,
    FunctionCases,
    Mistake,
    Number,
    Result,
    Status,
    as_plain_number,
    describe_estimator,
    describe_type,
    incorrect,
    trapezoid_mistake,
    uncheckable,
    roc_auc_mistake,
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
    # No key when no minority row is in danger (a grading draw can make such a case: seed 2514002820's second).
    mask[sampler.in_danger_indices.get(1, np.array([], dtype=int))] = True
    return mask


def _misreadings(X, y, m: int) -> list[tuple[np.ndarray, str, str]]:
    """Masks that realistic misreadings of the definition produce: (mask, message, stable mistake id)."""
    y = np.asarray(y)
    minority = y == 1
    n_majority = _neighbour_majority_counts(X, y, m)
    n_majority_self = _neighbour_majority_counts(X, y, m, include_self=True)
    n_same = m - n_majority
    return [
        (minority & (n_same >= m / 2) & (n_same < m),
         "You counted neighbours of the *same* class (minority). " + _DANGER_SOURCE, "same-class"),
        (minority & (n_majority >= m / 2),
         "Your mask also flags minority rows whose m neighbours are *all* majority rows. Those are *noise* for "
         "Borderline-SMOTE, not danger: the count must stay below m.", "noise-included"),
        (minority & (n_majority_self >= m / 2) & (n_majority_self < m),
         "Each row was counted as its own neighbour. Ask `NearestNeighbors` for m + 1 neighbours and drop the "
         "first column (the row itself).", "self-counted"),
        (minority & (n_majority > m / 2) & (n_majority < m),
         "Your mask misses rows with exactly half of their neighbours in the majority: the rule is *at least* "
         "half, m/2 <= count.", "strict-half"),
        (minority & (n_majority_self > m / 2) & (n_majority_self < m),
         "Each row was counted as its own neighbour, and the rule needs *at least* half (>=, not >).",
         "self-counted-strict"),
        # Label 0 taken as the minority: the rule applied to the majority rows, counting their label-1 neighbours.
        (~minority & (n_same >= m / 2) & (n_same < m),
         "Your mask flags majority rows (label 0) and no minority row: you applied the rule to the wrong class. "
         "The minority is label 1: for each label-1 row, count its neighbours of label 0.", "wrong-class"),
        ((n_majority >= m / 2) & (n_majority < m) | (~minority & (m - n_majority >= m / 2) & (n_majority > 0)),
         "Your mask flags majority rows too: only minority (label 1) rows can be in danger.", "majority-rows"),
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
    for mask, message, mistake in _misreadings(X, y, m):
        if np.array_equal(answer, mask):
            return message, mistake
    if answer.any():
        # The (non-empty) mask of another m: the function ignores its argument, or hard-codes a value.
        for other in range(1, 21):
            if other != m and np.array_equal(answer, danger_reference(X, y, other)):
                return (f"For m_neighbors = {m} your function returned the mask for m = {other}: use the "
                        "`m_neighbors` argument the check passes, not a fixed number.", "ignores-m")
    else:
        return ("Your function flags no row at all. The m neighbours must come from all of `X` (both classes), "
                "and a minority row is in danger when at least half of them are majority rows (but not all).",
                "flags-nothing")
    y = np.asarray(y)
    if (answer & (y != 1)).any():
        return (f"Your mask flags {int((answer & (y != 1)).sum())} majority rows (label 0): only minority rows "
                "(label 1) can be in danger.", "majority-rows")
    extra, missed = int((answer & ~expected).sum()), int((~answer & expected).sum())
    return (f"Your mask differs from the definition (and from imbalanced-learn's `in_danger_indices`) on {extra + missed} "
            f"of {len(y)} rows, for m = {m}: it flags {extra} minority rows that are not in danger and misses {missed} "
            "that are. Check each part of the rule: the m neighbours come from all of `X`, the row itself excluded; "
            "count the majority rows among them; danger is m/2 <= count < m.")


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
        "`y[neighbours] == 0` marks the majority neighbours; sum it along each row to count them. A row is in "
        "danger when three conditions hold at once (combine them with `&`): it is a minority row, at least half "
        "of its neighbours are majority rows, and not all of them are.",
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
    from sklearn.preprocessing import StandardScaler

    n_majority_std = _neighbour_majority_counts(StandardScaler().fit_transform(X), y, m)
    return {
        "danger_std": int((minority & (n_majority_std >= m / 2) & (n_majority_std < m)).sum()),
        "noise_std": int((minority & (n_majority_std == m)).sum()),
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


_STANDARDISED = ("That is the count on standardised features. The step counts on yeast4's features as they are "
                 "(Borderline-SMOTE itself sees them unscaled): pass `X_yeast` unchanged.")


def _standardised(key: str, target: str):
    """Matches the count on standardised features, when it differs from the count on the features as they are."""
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
                Mistake("standardised", _standardised("danger_std", "danger"), _STANDARDISED),
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
                Mistake("standardised", _standardised("noise_std", "noise"), _STANDARDISED),
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
    best = int(main.best_index_)
    n_splits = main.n_splits_
    return {
        "passthrough_splits": [float(main.cv_results_[f"split{i}_test_score"][0]) for i in range(n_splits)],
        "best_std": float(main.cv_results_["std_test_score"][best]),
        "mean_of_candidates": float(np.mean(means)),
        "training_score": float(main.score(X, y)),
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


def _sampler_candidates(d: dict) -> list:
    """The candidates the fitted search tried for the ``sampler`` step (``None`` counted as "passthrough"), each
    described with its parameters; read from ``cv_results_["params"]`` by the spec's ``extract``."""
    return d.get("sampler_candidates") or []


def _read_sampler_candidates(value) -> list:
    from course_utils.checks import describe_estimator

    tried = [p for p in (getattr(value, "cv_results_", None) or {}).get("params", [])]
    out = []
    for params in tried[:50]:
        for key, candidate in params.items():
            if str(key).split("__")[-1] == "sampler":
                out.append("passthrough" if candidate is None or candidate == "passthrough"
                           else describe_estimator(candidate) if hasattr(candidate, "get_params")
                           else {"class": type(candidate).__name__, "params": {}})
    return out


def _step_candidates() -> list:
    from course_utils.checks import describe_estimator

    return [c if isinstance(c, str) else describe_estimator(c) for c in _candidates()]


def _same_candidate(mine, step) -> bool:
    if isinstance(step, str) or isinstance(mine, str):
        return mine == step
    return (isinstance(mine, dict) and mine.get("class") == step["class"]
            and {k: v for k, v in (mine.get("params") or {}).items()} == step["params"])


def _candidate_set_requirement(d: dict) -> bool:
    mine, step = _sampler_candidates(d), _step_candidates()
    if not mine:  # no "sampler" key (another step name): named by the other requirements
        return True
    return len(mine) == len(step) and all(any(_same_candidate(m, s) for m in mine) for s in step)


def _candidate_label(c) -> str:
    if isinstance(c, str):
        return f'"{c}"'
    params = ", ".join(f"{k}={v!r}" for k, v in sorted((c.get("params") or {}).items()))
    return f"{_short(c)}({params})"


def _short(c: dict) -> str:
    return str(c.get("class", "")).rsplit(".", 1)[-1]


def _candidate_set_message(d: dict) -> str:
    mine, step = _sampler_candidates(d), _step_candidates()
    for s in step:
        if any(_same_candidate(m, s) for m in mine):
            continue
        same_class = [m for m in mine if isinstance(m, dict) and not isinstance(s, str) and m.get("class") == s["class"]]
        if same_class:
            theirs = same_class[0].get("params") or {}
            changed = ", ".join(f"`{k}={theirs.get(k)!r}`" for k in sorted(s["params"]) if theirs.get(k) != s["params"][k])
            return (f"Your `{_short(s)}` candidate is set differently from the step's ({changed}): the step asks for "
                    "each sampler with `random_state=0` and its other settings at their defaults.")
        return (f"Your grid has no `{_short(s)}` candidate with the step's settings; the step compares "
                '`"passthrough"`, SMOTE, Borderline-SMOTE and random under-sampling, each with `random_state=0` and '
                f"its other settings at their defaults (your candidates: {', '.join(map(_candidate_label, mine))}).")
    return (f"Your grid offers {len(mine)} candidates for the sampler step "
            f"({', '.join(map(_candidate_label, mine))}); the step asks for exactly four: `\"passthrough\"`, SMOTE, "
            "Borderline-SMOTE and random under-sampling.")


def _is_search(d: dict) -> bool:
    return d["class"].endswith((".GridSearchCV", ".RandomizedSearchCV"))


_METRIC_NAMES = {"roc_auc": "ROC-AUC", "f1": "F1", "accuracy": "accuracy", "balanced_accuracy": "balanced accuracy",
                 "precision": "precision", "recall": "recall"}


def _refit_scoring(d: dict):
    """The scoring the search refits on (and reports as ``best_score_``), as plain data, or None for the default."""
    scoring, refit = d["params"].get("scoring"), d["params"].get("refit", True)
    if isinstance(scoring, list):  # a list of metric names: the refit one is named by ``refit``
        return refit if isinstance(refit, str) and refit in scoring else {"multi": scoring}
    if isinstance(scoring, dict) and "repr_type" not in scoring and "class" not in scoring:
        return scoring.get(refit) if isinstance(refit, str) and refit in scoring else {"multi": sorted(scoring)}
    return scoring


def _scoring_requirement(d: dict) -> bool:
    """False only when the parameters *prove* another metric: scorer objects are judged by their recorded scores."""
    scoring = _refit_scoring(d)
    return scoring == "average_precision" or (isinstance(scoring, dict) and "multi" not in scoring)


def _scoring_message(d: dict) -> str:
    scoring = _refit_scoring(d)
    if scoring is None:
        return ('Your search scores by accuracy, the default. Pass `scoring="average_precision"`: accuracy rewards '
                "predicting the majority.")
    if isinstance(scoring, dict) and "multi" in scoring:
        return (f"Your search records several metrics ({', '.join(map(str, scoring['multi']))}) but does not refit on "
                "one of them by name: set `refit` to the name of your average-precision metric, so that the search "
                "chooses, and reports `best_score_`, by average precision.")
    return (f"Your search chooses by {_METRIC_NAMES.get(scoring, repr(scoring))}; this step compares by average "
            'precision: `scoring="average_precision"`.')


def _cv_requirement(d: dict) -> bool:
    """False only when ``cv`` *proves* other splits: an integer or another splitter class. A list of splits or a
    RepeatedStratifiedKFold is judged by the scores it gave."""
    cv = d["params"].get("cv")
    if isinstance(cv, list):
        return True
    return isinstance(cv, dict) and cv.get("repr_type", "").endswith("RepeatedStratifiedKFold")


def _cv_message(d: dict) -> str:
    cv = d["params"].get("cv")
    what = ("5-fold splits (the default)" if cv is None else f"`cv={cv}`" if isinstance(cv, int) else
            f"a `{str(cv.get('repr_type', cv)).rsplit('.', 1)[-1]}`" if isinstance(cv, dict) else f"`cv={cv!r}`")
    return (f"Your search splits with {what}. Pass the given splitter, `cv=cv`: its 10 repeated stratified "
            "splits make the comparison less noisy than one 5-fold split, with few positives.")


@cache
def _passthrough_split_scores() -> dict:
    """The "passthrough" candidate's score on each of the given splits, by several metrics (for naming a wrong one)."""
    from sklearn.model_selection import cross_validate

    X, y = _search_data()
    scoring = ["average_precision", *_METRIC_NAMES]
    result = cross_validate(_search_pipeline(), X, y, scoring=scoring, cv=_search_cv())
    return {name: [float(v) for v in result[f"test_{name}"]] for name in scoring}


def _same_scores(found, reference) -> bool:
    found, reference = np.asarray(found, dtype=float), np.asarray(reference, dtype=float)
    if found.shape != reference.shape:
        return False
    # The same splits in another order give the same scores in another order.
    return bool(np.allclose(found, reference, rtol=1e-6, atol=1e-9)
                or np.allclose(np.sort(found), np.sort(reference), rtol=1e-6, atol=1e-9))


def _rows_fitted(d: dict) -> int | None:
    inner = d.get("inner")
    for step in (inner or {}).get("steps") or []:
        if step.get("n_samples_seen") is not None:
            return step["n_samples_seen"]
    return None


def _recorded_scores_requirement(d: dict) -> bool:
    recorded = d.get("recorded") or {}
    if recorded.get("passthrough") is None:  # no passthrough candidate, or unreadable: named by other requirements
        return True
    return _same_scores(recorded["passthrough"], _search_scores()["passthrough_splits"])


def _recorded_scores_message(d: dict) -> str:
    recorded = d["recorded"]["passthrough"]
    n_rows = _rows_fitted(d)
    n_expected = len(_search_data()[1])
    if n_rows is not None and n_rows != n_expected:
        return (f"Your search was fitted on {n_rows:,} rows: fit it on all of `X_new, y_new` ({n_expected:,} rows), "
                "so that its splits are the given ones.")
    if len(recorded) != len(_search_scores()["passthrough_splits"]):
        return (f"Your search used {len(recorded)} splits; the given `cv` makes {len(_search_scores()['passthrough_splits'])} "
                "(5 folds, repeated twice). Pass `cv=cv`, or the list of its splits.")
    for metric, scores in _passthrough_split_scores().items():
        if metric != "average_precision" and _same_scores(recorded, scores):
            return (f'The scores your search recorded for `"passthrough"` are its {_METRIC_NAMES[metric]} on the given '
                    "splits: your scorer measures that metric, not average precision. Score by average precision "
                    "(the metric's name, or a scorer built on `average_precision_score` from the probabilities).")
    return ('The scores your search recorded for `"passthrough"` are not its average precision on the given splits. '
            "Check that it scores by average precision (from the probabilities, not the 0/1 predictions), splits with "
            "`cv=cv`, and searches over the given `pipe`.")


def _pipe_difference(d: dict) -> str | None:
    """How the searched pipeline differs from the given ``pipe`` (scaler, then the sampler slot, then the model,
    both at their given settings); None when it does not, or cannot be read."""
    searched = d.get("searched")
    if not searched or not searched["steps"]:
        return None
    steps = searched["steps"]
    slots = [i for i, step in enumerate(steps) if step["class"] == "passthrough" or step["is_sampler"]]
    if len(slots) != 1:
        return None  # no sampler slot: named by the "pipe" requirement
    given = [st for st in describe_estimator(_search_pipeline())["steps"] if st["class"] != "passthrough"]
    others = [st for i, st in enumerate(steps) if i != slots[0]]
    if [st["class"] for st in others] != [st["class"] for st in given]:
        return f"apart from the sampler, its steps are {_describe_steps([[st['class'], None] for st in others])}"
    for mine, theirs in zip(others, given):
        changed = sorted(k for k in theirs["params"] if mine["params"].get(k) != theirs["params"][k])
        if changed:
            name, params = mine["class"].rsplit(".", 1)[-1], mine["params"]
            settings = ", ".join(f"`{k}={params.get(k)!r}`" for k in changed)
            return f"its `{name}` is set differently ({settings})"
    if slots[0] == 0:
        return "it resamples before it scales"
    if slots[0] == len(steps) - 1:
        return "its sampler comes after the model"
    return None


@dataclass
class _SearchSpec(EstimatorSpec):
    """The fitted search, plus the scores it recorded for the "passthrough" candidate on each split.

    Those scores establish what the step asks for whatever form the learner chose (a metric name, a scorer
    object, a multi-metric search refitted on AP; ``cv=cv``, an identical splitter, or the list of its splits):
    they equal the average precision of the plain pipeline on the given splits only when both are right.
    """

    def extract(self, value, seed=DEFAULT_SEED):
        description = super().extract(value, seed)
        description["recorded"] = {"passthrough": None}
        try:
            description["sampler_candidates"] = _read_sampler_candidates(value)
        except Exception:  # an odd search: its candidates are not judged
            description["sampler_candidates"] = []
        try:
            description["searched"] = describe_estimator(value.estimator)
        except Exception:  # no readable estimator: judged by its scores
            description["searched"] = None
        try:
            results = getattr(value, "cv_results_", None)
            refit = getattr(value, "refit", True)
            key = "score" if not isinstance(getattr(value, "scoring", None), (dict, list, tuple)) else refit
            if results is not None and isinstance(key, str):
                index = next((i for i, params in enumerate(results["params"])
                              if any(isinstance(v, str) and v == "passthrough" or v is None for v in params.values())),
                             None)
                n_splits = sum(1 for name in results if name.startswith("split") and name.endswith(f"_test_{key}"))
                if index is not None and 0 < n_splits <= 100:
                    description["recorded"]["passthrough"] = [
                        float(results[f"split{i}_test_{key}"][index]) for i in range(n_splits)]
        except Exception:  # an odd search: judged by its parameters alone
            pass
        return description

    def judge(self, data, seed=DEFAULT_SEED):
        super().judge(data, seed)
        # Verified: the grid's sampler candidates (read from its parameters: the four of the step, with their
        # settings), and the scores recorded for "passthrough" (average precision on the given splits).
        return Result(Status.CORRECT, 'Your grid offers `"passthrough"` and the step\'s three samplers, and the '
                      'scores your search recorded for `"passthrough"` are its average precision on the given splits.')


_search_spec = _SearchSpec(
    requirements=[
        ("not-a-search", _is_search,
         "Wrap the pipeline in `GridSearchCV(...)` and fit that: the search is what chooses the sampler."),
        ("no-grid", lambda d: bool(_grid_values(d)), "Give the search a grid for the sampler step, e.g. "
         '`{"sampler": ["passthrough", SMOTE(random_state=0), ...]}`.'),
        ("no-passthrough", _offers_passthrough, 'Add `"passthrough"` to the sampler candidates: validation must be '
         "allowed to choose *no* resampling."),
        ("samplers", lambda d: _n_samplers(d) >= 3, "Offer the three samplers of the step (SMOTE, Borderline-SMOTE "
         'and random under-sampling) beside `"passthrough"`.'),
        ("candidates", _candidate_set_requirement, _candidate_set_message),
        ("scoring", _scoring_requirement, _scoring_message),
        ("cv", _cv_requirement, _cv_message),
        ("pipe", lambda d: d["inner"] is None or any(s["class"] == "passthrough" or s["is_sampler"]
                                                     for s in d["inner"]["steps"]),
         "Search over the given `pipe`, whose `sampler` step the grid replaces."),
        ("given-pipe", lambda d: _pipe_difference(d) is None,
         lambda d: f"Your search is not over the given `pipe`: {_pipe_difference(d)}. Search the given `pipe` "
         "(`scale` → `sampler` → `model`): the samplers must see scaled features (SMOTE finds neighbours by distance), "
         "and only the sampler may change between candidates."),
        ("recorded-scores", _recorded_scores_requirement, _recorded_scores_message),
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
            mistakes=[
                Mistake("without-passthrough", _search_is("without_passthrough"), 'That is the best of the samplers '
                        'alone: add `"passthrough"` to the candidates, and let validation compare it.'),
                Mistake("other-candidate", lambda v: any(math.isclose(v, m, rel_tol=RTOL) for m in _search_scores()["means"])
                        and not math.isclose(v, _search_scores()["best"], rel_tol=RTOL),
                        "That is the mean score of one candidate, but not of the best one: read the fitted search's "
                        "score of its best candidate."),
                Mistake("training-score", lambda: _search_scores()["training_score"],
                        "That is the best model's AP on the rows it was fitted on (`search.score(X_new, y_new)`): "
                        "the step asks for its mean score over the validation splits, which the fitted search stores."),
                Mistake("spread-not-mean", lambda: _search_scores()["best_std"],
                        "That is the spread (standard deviation) of the best candidate's scores over the splits; the "
                        "step asks for their mean."),
                Mistake("mean-of-candidates", lambda: _search_scores()["mean_of_candidates"],
                        "That is the mean over all four candidates; the step asks for the best candidate's mean score."),
                Mistake("percentage", lambda v: 1 < v <= 100, "Give the AP as a fraction between 0 and 1, not a percentage."),
            ],
        ),
    },
    points=2,
    hints=[
        "The grid's key is the pipeline's step name with nothing after it (`\"sampler\"`), and its values are whole "
        "steps: the string `\"passthrough\"` (no resampling) and the three samplers of the step, each with "
        "`random_state=0`.",
        'grid = `{"sampler": ["passthrough", SMOTE(random_state=0), BorderlineSMOTE(random_state=0), '
        "RandomUnderSampler(random_state=0)]}`.",
        "Give `GridSearchCV` the pipeline, the grid, the scoring the step names and the given splitter, then fit it "
        "on `X_new, y_new`. After fitting, the search stores the best candidate's mean validation score in one of its "
        "attributes ending in `_` (`best_...`).",
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
_MAX_FULL_SECONDS, _MAX_FAST_SECONDS = 30.0, 10.0


@cache
def _big_data():
    X, y = make_imbalanced(_N_BIG, **_BIG_PROBLEM)
    X_test, y_test = make_imbalanced(_N_BIG_TEST, draw=1, **_BIG_PROBLEM)
    return X, y, X_test, y_test


_TIMING_REPEATS = 2  # CPU time varies little: the faster of two keeps the check near 0.2 s


def _timed_refit(model) -> dict | None:
    """The check's own timing of ``model``: CPU seconds of the faster of two fits of a clone on ``X_big``, and
    whether the refits reproduce ``model``'s probabilities on test rows (None when two refits disagree).

    CPU time of one thread is what the fit itself costs: other programs on the machine (a class graded in parallel,
    a shared Colab) do not count in it, unlike the wall clock. Measured on a machine with six busy programs: the
    ratio full / fast stayed 1.6-1.8 in CPU time, while single wall-clock timings fell to 1.08.
    """
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    X, y, X_test, _ = _big_data()
    probe = X_test[:2000]
    best, outputs = math.inf, []
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(_TIMING_REPEATS):
                refit = clone(model)
                start = time.process_time()
                refit.fit(X, y)
                best = min(best, time.process_time() - start)
                if len(outputs) < 2 or _ == _TIMING_REPEATS - 1:
                    outputs.append(np.asarray(refit.predict_proba(probe))[:, -1])
            mine = np.asarray(model.predict_proba(probe))[:, -1]
    except Exception:  # a model that cannot be cloned or refitted here: judged without the check's timing
        return None
    deterministic = np.allclose(outputs[0], outputs[-1], rtol=1e-6, atol=1e-9)
    return {"cpu_seconds": best,
            "refit_matches": bool(np.allclose(outputs[-1], mine, rtol=1e-5, atol=1e-8)) if deterministic else None}


def _model_steps(d: dict) -> list:
    """The model without its samplers, as (class, parameters) per step: what full and fast must share."""
    if d["steps"]:
        return [[s["class"], s["params"]] for s in d["steps"] if not s["is_sampler"]]
    return [[d["class"], d["params"]]]


def _describe_steps(steps: list) -> str:
    return " → ".join(f"`{cls.rsplit('.', 1)[-1]}`" for cls, _ in steps) or "nothing"


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


_RATIO = 0.1  # the step's sampling_strategy: one positive kept for ten negatives


def _kept(d: dict) -> dict | None:
    """What the fitted under-sampler kept, from its ``sample_indices_``: rows, positives and negatives of ``X_big``."""
    indices = (d.get("under_sampler") or {}).get("indices")
    if indices is None:
        return None
    X, y, _, y_test = _big_data()
    indices = np.asarray(indices, dtype=np.int64)
    positives = np.flatnonzero(y == 1)
    on_big = indices.size > 0 and indices.min() >= 0 and indices.max() < len(y) and bool(np.isin(positives, indices).all())
    # The under-sampler keeps every positive: a fit on the test rows keeps every positive of ``y_test`` instead.
    on_test = (not on_big and indices.size > 0 and indices.min() >= 0 and indices.max() < len(y_test)
               and bool(np.isin(np.flatnonzero(y_test == 1), indices).all()))
    kept = y[indices[indices < len(y)]] if on_big else None
    return {"on_big": on_big, "on_test": on_test, "n_positive": None if kept is None else int(kept.sum()),
            "n_negative": None if kept is None else int((kept == 0).sum())}


def _fitted_on_big(d: dict) -> bool:
    kept = _kept(d)
    return kept is None or kept["on_big"]


def _fitted_on_big_message(d: dict) -> str:
    if _kept(d)["on_test"]:
        return ("Your under-sampler kept every positive of the *test* rows: `fast_model` was fitted on `X_test, "
                "y_test`. Fit it on `X_big, y_big`, and keep the test rows for step 5.")
    return ("Your under-sampler did not keep every positive of `X_big, y_big`, as it does when fitted on all of them: "
            "`fast_model` was fitted on a part of them, or on other rows. Fit it on all of `X_big, y_big`, as "
            "`full_model`.")


def _asked_ratio(d: dict) -> bool:
    kept = _kept(d)
    if kept is None or not kept["on_big"]:
        return True
    # sampling_strategy=0.1 keeps int(n_positive / 0.1) negatives; allow one row either way for rounding.
    return abs(kept["n_negative"] - kept["n_positive"] / _RATIO) <= 1


def _ratio_message(d: dict) -> str:
    kept = _kept(d)
    per_positive = kept["n_negative"] / max(kept["n_positive"], 1)
    return (f"Your under-sampler kept {kept['n_positive']:,} positives and {kept['n_negative']:,} negatives, "
            f"{per_positive:.3g} negatives per positive; the step keeps one positive for ten negatives. Set the "
            "under-sampler's `sampling_strategy` as the step says (a float is positives / negatives *after* "
            "resampling).")


@dataclass
class _FastSpec(EstimatorSpec):
    """The fitted under-sampled pipeline, plus what its under-sampler kept (``sample_indices_``).

    The kept indices establish both properties the step states: the fit was on the rows of ``X_big`` (every one
    of its positives is kept, and no index lies outside it), and the ratio after resampling is one positive for
    ten negatives.
    """

    def extract(self, value, seed=DEFAULT_SEED):
        description = super().extract(value, seed)
        description["under_sampler"] = None
        try:
            for _, step in (getattr(value, "steps", None) or [])[:10]:
                if hasattr(step, "fit_resample") and ".under_sampling." in type(step).__module__ + ".":
                    indices = getattr(step, "sample_indices_", None)
                    if indices is not None and np.size(indices) <= 2 * _N_BIG:
                        description["under_sampler"] = {"indices": np.asarray(indices, dtype=np.int64).tolist()}
                    break
        except Exception:  # an odd sampler: judged by the rows its next step saw
            pass
        if description["fitted"] and _random_under_sampler(description) and _fitted_on_big(description):
            description["timing"] = _timed_refit(value)
        return description

    def judge(self, data, seed=DEFAULT_SEED):
        super().judge(data, seed)
        return Result(Status.CORRECT, "Your `fast_model` is `full_model` with a `RandomUnderSampler` that kept one "
                      "positive for ten negatives, fitted on `X_big, y_big`.")


def _random_under_sampler(d: dict) -> bool:
    return any(s["class"].endswith(".RandomUnderSampler") for s in d["steps"] if s["is_sampler"])


def _same_model(d: dict) -> bool:
    """``fast_model`` without its sampler is ``full_model`` (the question hands over full's steps)."""
    return d.get("full_steps") is None or _model_steps(d) == d["full_steps"]


_fast_spec = _FastSpec(
    requirements=[
        ("not-a-pipeline", lambda d: bool(d["steps"]) and d["is_classifier"], lambda d: _sampler_message(d)),
        ("no-under-sampler", _has_under_sampler, _sampler_message),
        ("other-under-sampler", _random_under_sampler,
         lambda d: "Your under-sampler is `" + next(s["class"].rsplit(".", 1)[-1] for s in d["steps"] if s["is_sampler"])
         + "`; this step times `RandomUnderSampler`, which only drops rows. Others (NearMiss, cleaning methods) "
         "compute neighbours first, which can cost more time than the dropped rows save."),
        # Learner pass 6: a sampler after the scaler passed; the scaler then still fits on all rows, part of the cost
        # the step measures the saving of.
        ("sampler-not-first", lambda d: d["steps"][0]["is_sampler"],
         "Put the `RandomUnderSampler` first, as the step says: every later step (the scaler too) is then fitted on "
         "the kept rows only, which is the saving this step measures."),
        ("same-model", _same_model,
         lambda d: f"Your `fast_model` is not `full_model` with an under-sampler added: apart from its sampler it is "
         f"{_describe_steps(_model_steps(d))}, while `full_model` is {_describe_steps(d['full_steps'])} (or their "
         "settings differ). Time the same model both ways, so that only the rows it is fitted on differ."),
        ("removed-nothing", lambda d: _rows_after_sampler(d) in (None,) or _rows_after_sampler(d) < _N_BIG,
         lambda d: f"The step after your sampler saw {_rows_after_sampler(d):,} rows, all of `X_big`: the "
         "under-sampler removed nothing. Use `sampling_strategy=0.1`."),
        ("fit-rows", _fitted_on_big, _fitted_on_big_message),
        ("ratio", _asked_ratio, _ratio_message),
    ],
    must_be_fitted=True,
    fit_call=".fit(X_big, y_big)",
)


@dataclass
class _FullSpec(EstimatorSpec):
    """The model fitted on all of ``X_big`` without resampling, and the check's own timing of it."""

    def extract(self, value, seed=DEFAULT_SEED):
        description = super().extract(value, seed)
        if description["fitted"] and not any(s["is_sampler"] for s in description["steps"]):
            description["timing"] = _timed_refit(value)
        return description

    def judge(self, data, seed=DEFAULT_SEED):
        super().judge(data, seed)
        return Result(Status.CORRECT, "Your `full_model` was fitted on all of `X_big, y_big`, without resampling.")


_full_spec = _FullSpec(
    requirements=[
        ("not-a-model", lambda d: d["is_classifier"],
         "`full_model` must be a classifier: `make_pipeline(StandardScaler(), LogisticRegression())`."),
        ("full-resampled", lambda d: not any(s["is_sampler"] for s in d["steps"]),
         "`full_model` has a sampler: it is the model fitted on *all* the rows, without resampling, which "
         "`fast_model` is compared with."),
        ("full-fit-rows", lambda d: (d.get("timing") or {}).get("refit_matches") is not False,
         "Your `full_model` was not fitted on all of `X_big, y_big`: refitted on them, the same model gives other "
         "probabilities. Fit it on `X_big, y_big`, as `fast_model`."),
    ],
    must_be_fitted=True,
    fit_call=".fit(X_big, y_big)",
)


class _SpeedQuestion(Question):
    """q4: hands ``full_model``'s steps to ``fast_model``'s judge, and both models' timings by the check to the
    report's judge, so that the report is compared with what these fits cost on this machine."""

    def grade(self, extracted, seed=DEFAULT_SEED):
        extracted = {name: dict(item) if isinstance(item, dict) else item for name, item in extracted.items()}
        full, fast, report = (
            (extracted.get(name) or {}).get("data") for name in ("full_model", "fast_model", "speed_report"))
        if isinstance(full, dict) and isinstance(fast, dict):
            extracted["fast_model"]["data"] = {**fast, "full_steps": _model_steps(full)}
            timings = [(d.get("timing") or {}).get("cpu_seconds") for d in (full, fast)]
            if isinstance(report, dict) and all(isinstance(t, float) and t > 0 for t in timings):
                extracted["speed_report"]["data"] = {**report, "measured": {"full": timings[0], "fast": timings[1]}}
        return super().grade(extracted, seed)


# An honest timing is never much shorter than the CPU time the check measures for the same fit (the wall clock
# includes it; half of it leaves room for a BLAS with two threads, while a fit on the 20,000 test rows is a fifth); nor is an honest speed-up twice the check's (CPU-time ratios stay within 1.6-1.8 under load; a
# single wall-clock timing on a busy machine can stray further, and then gets "could not be checked", never "wrong").
_SHORTEST_SHARE, _LARGEST_SPEEDUP_FACTOR = 0.5, 2.0
# Nor is an honest single fit 3.5 times the check's CPU time (CPU time stays within about 1.3 times under load; a
# loaded machine stretched these fits' wall-clock time 2-3.4 times); a total of five fits is (learner pass 6: a
# report of five fits summed passed under the former factor of 8).
_LONGEST_FACTOR = 3.5


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
            if not (math.isfinite(seconds) and seconds > 0):
                raise incorrect(f"`{name}` = {seconds:g} is not a plausible fit time in seconds: measure it with "
                                "a wall clock read just before and just after the `.fit(...)` call.", "implausible")
        # A logistic regression on these rows takes a fraction of a second (0.2 s for all 100,000 rows, 0.08 s for
        # the 21,571 kept ones on the course's reference machine); bounds a hundred times higher still hold on a
        # loaded machine, and a time in milliseconds exceeds them on any machine.
        if full > _MAX_FULL_SECONDS or fast > _MAX_FAST_SECONDS:
            in_ms = 0 < full / 1000 <= _MAX_FULL_SECONDS and 0 < fast / 1000 <= _MAX_FAST_SECONDS
            raise incorrect(
                f"`full_seconds` = {full:g} and `fast_seconds` = {fast:g} are not plausible fit times in seconds"
                + (": they look like milliseconds. `timeit` and the `time` module count seconds; store the "
                   "differences of their readings as they are." if in_ms else
                   ": time only the `.fit(...)` call, reading the wall clock just before and just after it."),
                "milliseconds" if in_ms else "implausible")
        if not math.isfinite(speedup) or speedup <= 0:
            raise incorrect(f"`speedup` = {speedup:g} is not a ratio of two fit times.")
        if math.isclose(speedup, fast / full, rel_tol=0.01) and not math.isclose(full, fast, rel_tol=0.01):
            raise incorrect("Your `speedup` is `fast_seconds / full_seconds`: divide the other way round, "
                            "full / fast, so that a speed-up is above 1.", "inverted")
        if not math.isclose(speedup, full / fast, rel_tol=0.01):
            raise incorrect(f"Your `speedup` ({speedup:.3g}) is not `full_seconds / fast_seconds` "
                            f"({full / fast:.3g}): compute it from the two times you measured.")
        measured = data.get("measured")
        if measured:
            pairs = (("full_seconds", full, measured["full"]), ("fast_seconds", fast, measured["fast"]))
            # Minutes only when both times, read as minutes, are close to the check's (a fit on fewer rows, such as
            # the 20,000 test rows, is too short without being minutes).
            in_minutes = all(0.5 * cpu <= 60 * seconds <= 5 * cpu for _, seconds, cpu in pairs)
            for name, seconds, cpu in pairs:
                if seconds < _SHORTEST_SHARE * cpu:
                    raise incorrect(
                        f"`{name}` = {seconds:.3g} s is much shorter than one fit of that model takes on this machine: "
                        f"the check just timed it at {cpu:.2g} s of CPU time."
                        + (" Your times look like minutes: store seconds, as `timeit` and the `time` module give them."
                           if in_minutes else " Store the seconds of one fit of each model, measured around its "
                           "`.fit(X_big, y_big)` call."), "minutes" if in_minutes else "too-short")
        if measured and any(seconds > _LONGEST_FACTOR * cpu for _, seconds, cpu in pairs):
            name, seconds, cpu = next(p for p in pairs if p[1] > _LONGEST_FACTOR * p[2])
            raise uncheckable(
                f"`{name}` = {seconds:.3g} s is far longer than one fit of that model takes on this machine: the check "
                f"just timed it at {cpu:.2g} s of CPU time. Time only the `.fit(X_big, y_big)` call, one fit (or the "
                "fastest of several: `timeit.timeit(..., number=5)` returns the total of five fits, "
                "`min(timeit.repeat(..., number=1, repeat=5))` the fastest one), and run the cell again.")
        if full <= fast:
            # Not proof of a slip: on a busy machine (a class graded in parallel, a shared Colab) an honest single
            # timing of these short fits can come out inverted (measured: ratios down to 1.08 under load).
            raise uncheckable("In your report the under-sampled fit was not faster, so the speed-up could not be "
                              "checked. Check what each time measures: `full_seconds` is `full_model` (no sampler) "
                              "fitted on all of `X_big`, `fast_seconds` is `fast_model`; time only the two "
                              "`.fit(...)` calls. If both are right, another program slowed a fit down: measure CPU "
                              "time, which other programs do not inflate, the fastest of five fits: `min(timeit.repeat("
                              "lambda: model.fit(X_big, y_big), number=1, repeat=5, timer=time.process_time))`, and run "
                              "the cell again.")
        if measured and speedup > _LARGEST_SPEEDUP_FACTOR * measured["full"] / measured["fast"]:
            raise uncheckable(
                f"Your speed-up ({speedup:.3g}) is far above what these two fits give on this machine: the check just "
                f"timed them at {measured['full'] / measured['fast']:.2g} times (CPU time, the faster of two fits each). "
                "Check that both times measure one fit each, the same way: not a total of several fits for one and a "
                "single fit for the other, and not other work inside the timed code. Then run the cell again.")
        # No number in the verdict: a timing changes from run to run, and the stored outputs must not.
        return Result(Status.CORRECT, "Your report is consistent, in seconds, and close to the check's own timing of "
                      "your two models: the under-sampled fit was faster. Compare the speed-up with how many times "
                      "fewer rows it used.")


q4 = _SpeedQuestion(
    "ex07.q4",
    {"full_model": _full_spec, "fast_model": _fast_spec, "speed_report": _SpeedReport()},
    points=3,
    hints=[
        "`min(timeit.repeat(lambda: full_model.fit(X_big, y_big), number=1, repeat=5, timer=time.process_time))` "
        "is the CPU time of the fastest of five fits; do the same for `fast_model`.",
        "Store the two times you measured, in seconds as `timeit` gives them, under the step's keys; the speed-up "
        "is how many times longer the full fit took than the fast one.",
    ],
    solution=(
        "full_model = make_pipeline(StandardScaler(), LogisticRegression())\n"
        "fast_model = make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),\n"
        "                           LogisticRegression())\n"
        "# CPU seconds of the fastest of five fits: other programs on the machine do not count in them.\n"
        "full_seconds = min(timeit.repeat(lambda: full_model.fit(X_big, y_big), number=1, repeat=5,\n"
        "                                 timer=time.process_time))\n"
        "fast_seconds = min(timeit.repeat(lambda: fast_model.fit(X_big, y_big), number=1, repeat=5,\n"
        "                                 timer=time.process_time))\n"
        'speed_report = {"full_seconds": full_seconds, "fast_seconds": fast_seconds,\n'
        '                "speedup": full_seconds / fast_seconds}'
    ),
)
exercise.questions["q4"] = q4


@cache
def _big_scores() -> dict:
    """Test-set AP of the full and the under-sampled model, and realistic other numbers."""
    from imblearn.pipeline import make_pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score
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
        out[f"{name}_column0"] = float(average_precision_score(y_test, model.predict_proba(X_test)[:, 0]))
        precision, recall, _ = precision_recall_curve(y_test, score)
        out[f"{name}_trapezoid"] = float(auc(recall, precision))
    return out


@cache
def _refit_on_test_scores() -> dict:
    """Test-set AP of both models refitted on the test rows themselves (only computed for a wrong answer)."""
    from imblearn.pipeline import make_pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.preprocessing import StandardScaler

    _, _, X_test, y_test = _big_data()
    models = {
        "full": make_pipeline(StandardScaler(), LogisticRegression()),
        "fast": make_pipeline(RandomUnderSampler(sampling_strategy=0.1, random_state=0), StandardScaler(),
                              LogisticRegression()),
    }
    return {name: float(average_precision_score(y_test, m.fit(X_test, y_test).predict_proba(X_test)[:, 1]))
            for name, m in models.items()}


def _refit_on_test_is(kind: str):
    return lambda v: math.isclose(v, _refit_on_test_scores()[kind], rel_tol=RTOL) and not math.isclose(
        _refit_on_test_scores()[kind], _big_scores()[kind], rel_tol=RTOL)


def _ap_is(key: str, target: str):
    return lambda v: math.isclose(v, _big_scores()[key], rel_tol=RTOL) and not math.isclose(
        _big_scores()[key], _big_scores()[target], rel_tol=RTOL
    )


def _ap_mistakes(kind: str) -> list:
    other = "fast" if kind == "full" else "full"
    return [
        Mistake("wrong-class", _ap_is(f"{kind}_column0", kind), "That AP ranks the rows by column 0 of "
                "`predict_proba`, the probability of the *negative* class: rank by the positive class's column."),
        (_ap_is(other, kind), "That is the other model's AP: check which model each variable names."),
        roc_auc_mistake(_ap_is(f"{kind}_auc", kind)),
        trapezoid_mistake(_ap_is(f"{kind}_trapezoid", kind)),
        (_ap_is(f"{kind}_labels", kind), "That AP was computed from 0/1 predictions (`predict`); use the scores: "
         "`predict_proba(X_test)[:, 1]`."),
        (_ap_is(f"{kind}_train", kind), "That AP is measured on the training data; use `X_test, y_test`."),
        Mistake("refit-on-test", _refit_on_test_is(kind), "That is the AP of the model refitted on `X_test, y_test` "
                "and scored on the same rows: score the models fitted in step 4 (on `X_big, y_big`) on the test rows, "
                "without fitting them again."),
        *([(_ap_is("balanced", kind), "That is the AP after under-sampling to 1:1 (the default strategy): use "
            "`sampling_strategy=0.1`.")] if kind == "fast" else []),
        (lambda v: 1 < v <= 100, "Give the AP as a fraction between 0 and 1, not a percentage."),
    ]


q5 = exercise.question(
    "q5",
    {
        # The course's tolerance: the sampler after the scaler (a valid under-sampled fit) moves the AP by 0.02 %.
        "ap_full": Number(expected=lambda: _big_scores()["full"], mistakes=_ap_mistakes("full")),
        "ap_fast": Number(expected=lambda: _big_scores()["fast"], mistakes=_ap_mistakes("fast")),
    },
    points=2,
    hints=[
        "`average_precision_score` takes the true labels and one score per row; score each test row by the model's "
        "probability of the positive class.",
        "`predict_proba` returns one column per class, in the order of `model.classes_`: the positive class (1) is "
        "the second column. Do it for each of the two fitted models, on the test rows.",
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
