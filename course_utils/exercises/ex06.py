"""Checks for lesson 06 and exercise 06: production pipelines.

Lesson prompts ``p1``-``p3`` (no points) and exercise questions ``q1``-``q7``. The fitted models of
``q3``, ``q5`` and ``q6`` are scored on fresh draws from the exercise's problem, which the learner never
sees. For each question, the property its step asks for, and how the check establishes it:

``q1``, ``q7`` (choices)
    The option the lessons support. Established by the letter, in any spelling.
``q2`` ``pipe``
    An imblearn pipeline scaler -> SMOTE(random_state) -> classifier whose sampler and classifier are named
    ``"smote"`` and ``"model"``: the names step 3's grid uses, so that whatever this check accepts works in
    step 3. Established from its description (classes, order, names); "no sampler" is said when there is
    none, and "scikit-learn's Pipeline refuses a sampler" only when it holds one.
``q3`` ``search``
    A fitted grid search of that pipeline over the sampling ratio, ``k_neighbors`` and the class weights,
    scored by average precision, on stratified folds, fitted on the original ``X_train`` (its final pipeline
    saw exactly 3,000 rows: more reveals a resampling outside the pipeline). Established from its
    description: the grid must offer at least the step's values for each parameter (``_grid_values_problem``), and a
    scorer object is judged by what the search recorded for its best setting, compared with the checker's own
    scores of that setting on the same splits (``_scoring_evidence``; its ``pos_label`` when they cannot be
    recomputed); then its average precision on fresh data must be at most 0.035 below the plain scaled logistic
    regression's on the same draw (the course's reference).
``q4`` ``cost_threshold``
    C_FP / (C_FP + C_FN) = 1/11, within the course's 0.1 %. The costs swapped, their ratio, 0.5 and the
    lesson's 1/6 are named.
``q5`` ``cost_model``, ``q6`` ``reloaded``
    A classifier started from the search's best pipeline, fitted on ``X_train``, whose decisions minimise
    the expected cost. Two routes establish it: (a) a ``FixedThresholdClassifier`` whose threshold *is*
    step 4's cost threshold (within 0.1 %), applied to probabilities that are calibrated, judged on fresh
    data by logistic recalibration (calibration slope and calibration-in-the-large offset, with bounds set
    from measurements, see ``CALIBRATION_OFFSET_MAX``), not by their mean alone, and learned on rows the
    model did not see (cross-fitting or a held-out split: a ``FrozenEstimator`` around a model fitted on all of
    ``X_train`` is named, read off its scaler's row count and means, ``_calibrated_in_sample``); (b) a
    ``TunedThresholdClassifierCV`` whose scorer weighs a miss C_FN / C_FP = 10 times a false alarm, read by
    calling the scorer on decisions with known numbers of misses and false alarms
    (``_scorer_cost_ratio``). Then the share of the cost saved on fresh data must be at most 0.025 below the plain
    scaled logistic regression's at the cost threshold, on the same draw. ``q6`` also
    requires the reloaded object to be a thresholded classifier. A threshold with ``pos_label=0`` is read on class
    1's probability (``1 - cost_threshold`` passes); a pipeline whose SMOTE keeps its defaults (``pipe`` untuned,
    which no setting of step 3's grid gives) is refused even when it scores; a low score that the model's settings
    explain (``pos_label``, class weights favouring the negatives) is said from them.
``q8`` ``yeast_threshold``, ``yeast_alarms`` (transfer: yeast4, which lesson 06 did not use)
    The cost threshold for other costs (C_FN = 30, C_FP = 2: 1/16), and the number of test proteins flagged
    by the calibrated scaled logistic regression the step prescribes at that threshold. Established by
    recomputing both; the swapped costs, step 4's threshold, 0.5, the uncalibrated model and the training
    split are named.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..checks import (DEFAULT_SEED, RTOL, Choice, EstimatorSpec, Exercise, Feedback, HeldoutScore, Mistake, Number,
                      Result, Status, describe_estimator, incorrect, percentage_mistake, swapped_mistake, uncheckable)
from ..data import make_imbalanced
from ..pipeline_checks import LIBLINEAR_MESSAGE, REGULARISATION_MESSAGE, default_regularisation
from ..threshold_reading import names_class_one, threshold_on_class_one, threshold_wrappers

exercise = Exercise("ex06", "Exercise 06 - production pipelines")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 06 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "1,000: the sampler is skipped at prediction time",
            "b": "more than 1,000: SMOTE adds synthetic rows first, as during `fit`",
            "c": "fewer than 1,000: the sampler removes noisy rows first",
        },
        correct="a",
        explanations={
            "a": "Run the next cell to check it.",
            "b": "SMOTE needs labels to know which rows are minority; new data has none. Run the next cell.",
            "c": "SMOTE only adds rows, and only during `fit`. Run the next cell.",
        },
    ),
    hints=["Resampling needs the labels. Does new data come with labels?"],
    solution='my_prediction = "a"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "1/5 = 0.2, the ratio of the costs",
            "b": "1/6 \u2248 0.167",
            "c": "5/6 \u2248 0.833",
            "d": "0.5, whatever the costs",
        },
        correct="b",
        explanations={
            "a": "Close, but compare the two expected costs: flagging costs C_FP x (1 - p), not flagging costs "
            "C_FN x p. Run the next cells.",
            "b": "Run the next cells for the derivation.",
            "c": "That would flag only near-certain cases, although a miss costs five times a false alarm. "
            "Run the next cells.",
            "d": "0.5 is best only when both mistakes cost the same. Run the next cells.",
        },
    ),
    hints=["Flag when the expected cost of not flagging, C_FN x p, exceeds that of flagging, C_FP x (1 - p)."],
    solution='my_prediction = "b"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "both stay where they were: the model has not changed",
            "b": "recall stays about the same; precision falls",
            "c": "both fall",
        },
        correct="b",
        explanations={
            "a": "The model is the same, but precision also depends on how many positives there are. Run the next cells.",
            "b": "Run the next cells to see it, and when the alert rule fires.",
            "c": "Recall only looks at the positives, and they look the same as before. Run the next cells.",
        },
    ),
    hints=["Recall is computed among the positives only; precision among the alarms, which also come from negatives."],
    solution='my_prediction = "b"',
)

# --------------------------------------------------------------------------- #
# The exercise's problem. The settings must match the given code of the solution notebook.
# --------------------------------------------------------------------------- #

_PROBLEM = {"imbalance_ratio": 19, "class_sep": 1.0, "random_state": 16}
_N_TRAIN, _N_HELDOUT = 3000, 20_000
_C_FN, _C_FP = 10, 1


@cache
def _heldout(seed: int):
    """Fresh draws from the exercise's problem: the learner's model has never seen them."""
    return make_imbalanced(n_samples=_N_HELDOUT, draw=1000 + int(seed), **_PROBLEM)


def _average_precision(y_true, scores) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y_true, scores))


@cache
def _plain_model():
    """The reference on each grading draw: the scaled logistic regression, no sampler, fitted on ``X_train``. Its
    probabilities are calibrated, so it decides at the cost threshold as it is."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(*_training_set())


@cache
def _plain_proba(seed: int) -> np.ndarray:
    return _plain_model().predict_proba(_heldout(seed)[0])[:, 1]


def _plain_ap(seed: int) -> float:
    return _average_precision(np.asarray(_heldout(seed)[1]), _plain_proba(seed))


def _plain_rule_saved(seed: int) -> float:
    return _share_saved(np.asarray(_heldout(seed)[1]), (_plain_proba(seed) >= _C_FP / (_C_FP + _C_FN)).astype(int))


# The bars, on the same draw as the reference (measured on 150 draws; a fixed bar of 0.47 rejected the solution on
# 1 draw in 200 for q3, and on the grader test's draw for q5, since the whole class shares one draw):
# - q3: the solution's AP is 0.0056 +- 0.0013 below the plain model's (at most 0.009); the fixed bar sat 0.036 below
#   the solution's mean AP, and so does this one.
# - q5/q6: the solution's share saved is the plain rule's +- 0.004 (at worst 0.012 below); the calibrated best
#   pipeline at 0.5 saves 0.21-0.33 less, the SMOTE pipeline uncalibrated at 1/11 0.006-0.054 less, the plain
#   model at 0.2 (not the cost threshold) 0.008-0.078 less (both also named from the model itself).
_AP_SHORTFALL, _SAVED_SHORTFALL = 0.035, 0.025


def _share_saved(y_true, y_pred) -> float:
    """1 - cost of the decisions / cost of flagging nobody (every positive missed)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred) >= 0.5
    cost = _C_FN * np.sum((y_true == 1) & ~y_pred) + _C_FP * np.sum((y_true == 0) & y_pred)
    return float(1 - cost / (_C_FN * np.sum(y_true == 1)))


# --------------------------------------------------------------------------- #
# Reading pipeline descriptions (plain data from checks.describe_estimator).
# --------------------------------------------------------------------------- #


def _short_class(step: dict) -> str:
    return str(step.get("class", "")).rsplit(".", 1)[-1]


def _pipeline_problem(p: dict | None) -> str | None:
    """What is wrong with a described pipeline, or None when it is scaler -> SMOTE -> classifier."""
    if p is None:
        return "No pipeline found: build one with imblearn's `Pipeline`."
    steps = p["steps"]
    if not steps:
        return (f"That is a bare `{_short_class(p)}`, not a pipeline. Build an imblearn `Pipeline` whose steps are "
                "the scaler, the sampler and the model: the sampler must be inside it.")
    samplers = [i for i, s in enumerate(steps) if s["is_sampler"]]
    if not samplers:
        where = (" scikit-learn's `Pipeline` cannot hold one: use imblearn's, `from imblearn.pipeline import Pipeline`."
                 if p["class"] == "sklearn.pipeline.Pipeline" else "")
        return ("Your pipeline has no sampler. Put `SMOTE(random_state=0)` inside it, between the scaler and the "
                "model: resampling outside the pipeline, before fitting or cross-validating, is the leak of step 1."
                + where)
    if not p["class"].startswith("imblearn."):
        # Only reachable unfitted: scikit-learn's Pipeline refuses to fit with a sampler inside.
        return ("That is scikit-learn's `Pipeline`: it refuses to fit with a sampler inside. Use imblearn's, "
                "`from imblearn.pipeline import Pipeline`, which accepts samplers.")
    sampler = steps[samplers[0]]
    if "SMOTE" not in _short_class(sampler):
        return f"Use `SMOTE(random_state=0)` as the sampler, as the step asks (you have `{_short_class(sampler)}`)."
    if samplers[-1] == len(steps) - 1:
        return "The sampler cannot be the last step: the order is scaler, sampler, then the model."
    scalers = [i for i, s in enumerate(steps) if "Scaler" in _short_class(s)]
    if not scalers:
        return "Start the pipeline with `StandardScaler()`: SMOTE measures distances, which need scaled features."
    if scalers[0] > samplers[0]:
        return ("Put the scaler before the sampler: SMOTE interpolates between nearest neighbours, and distances "
                "only make sense once the features are scaled.")
    if not p["is_classifier"]:
        return "The last step must be the classifier, for example `LogisticRegression(max_iter=1000)`."
    if sampler["params"].get("random_state") is None:
        return "Give SMOTE a `random_state` (`SMOTE(random_state=0)`), so that your results can be reproduced."
    return None


def _is_logistic(p: dict) -> bool:
    """Whether a described pipeline ends in a ``LogisticRegression``."""
    return bool(p.get("steps")) and p["steps"][-1]["class"].endswith(".LogisticRegression")


#: The step names the grid of step 3 uses (``smote__k_neighbors``, ``model__class_weight``).
_STEP_NAMES = {"sampler": "smote", "model": "model"}


def _names_problem(p: dict) -> str | None:
    """Whether the pipeline's step names are the ones step 3's grid refers to."""
    steps = p.get("steps") or []
    sampler = next((s["name"] for s in steps if s["is_sampler"]), None)
    model = steps[-1]["name"] if steps else None
    if sampler == _STEP_NAMES["sampler"] and model == _STEP_NAMES["model"]:
        return None
    found = ", ".join(f'"{s["name"]}"' for s in steps)
    return (f"Your steps are named {found}. Name the sampler \"smote\" and the classifier \"model\", as the step "
            "asks: the grid of step 3 refers to them as `smote__...` and `model__...`, and with other names "
            "`GridSearchCV` stops with \"Invalid parameter\". (`make_pipeline` names each step after its class, "
            "so build the pipeline with `Pipeline([(name, step), ...])`.)")


def _search_grid_keys(d: dict) -> set:
    params = d["params"]
    grid = params.get("param_grid", params.get("param_distributions"))
    grids = grid if isinstance(grid, list) else [grid]
    return {str(k) for g in grids if isinstance(g, dict) for k in g}


def _missing_grid_parameter(d: dict) -> str | None:
    keys = _search_grid_keys(d)
    for suffix, what in [("__sampling_strategy", "the sampling ratio (`smote__sampling_strategy`)"),
                         ("__k_neighbors", "SMOTE's `k_neighbors` (`smote__k_neighbors`)"),
                         ("__class_weight", "the class weights (`model__class_weight`)")]:
        if not any(k.endswith(suffix) for k in keys):
            return f"Your grid does not tune {what}; the step asks for the sampling ratio, `k_neighbors` and class weights."
    return None


#: The values step 3 lists for each parameter of the grid. A grid must offer at least these (more is fine; a list of
#: grids or a randomized search's lists may spread them over several candidates).
_STEP_GRID = {
    "__sampling_strategy": ("smote__sampling_strategy", (0.1, 0.3, 1.0)),
    "__k_neighbors": ("smote__k_neighbors", (3, 10)),
    "__class_weight": ("model__class_weight", (None, "balanced")),
}
#: For two classes, these strings make SMOTE balance the classes: the ratio 1.0.
_BALANCING_STRATEGIES = ("auto", "minority", "not majority", "all")


def _grid_offers(d: dict, suffix: str) -> list | None:
    """Every value the search offers for the parameter ending in ``suffix`` (over all its grids), or None when one
    of them cannot be read (a distribution, an estimator): then what it offers is unknown."""
    params = d["params"]
    grid = params.get("param_grid", params.get("param_distributions"))
    grids = grid if isinstance(grid, list) else [grid]
    offered = []
    for g in grids:
        if not isinstance(g, dict):
            continue
        for key, values in g.items():
            if not str(key).endswith(suffix):
                continue
            if not isinstance(values, list):
                return None
            for value in values:
                if isinstance(value, dict):  # an estimator or another object: unreadable
                    return None
                offered.append(1.0 if suffix == "__sampling_strategy" and value in _BALANCING_STRATEGIES else value)
    return offered


def _offers(offered: list, value) -> bool:
    if value is None or isinstance(value, str):
        return any(v is value or v == value for v in offered if v is None or isinstance(v, str))
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isclose(v, value, rel_tol=1e-9)
               for v in offered)


def _literal(value) -> str:
    return f'`"{value}"`' if isinstance(value, str) else f"`{value!r}`"


def _grid_values_problem(d: dict) -> str | None:
    """The values of step 3 the grid does not offer, or None (also when they cannot be read)."""
    missing = []
    for suffix, (name, values) in _STEP_GRID.items():
        offered = _grid_offers(d, suffix)
        if offered is None:
            continue
        lacking = [v for v in values if not _offers(offered, v)]
        if lacking:
            missing.append(f"`{name}` lacks {', '.join(map(_literal, lacking))} "
                           f"(the step lists {', '.join(map(_literal, values))})")
    if not missing:
        return None
    return ("Your grid does not offer every value the step lists: " + "; ".join(missing) + ". Give each parameter "
            "at least the step's values, so that validation can choose among them (more values are fine).")


def _scoring_problem(d: dict) -> str | None:
    scoring = d["params"].get("scoring")
    if scoring in (None, "accuracy"):
        return ("Your search picks settings by accuracy (the default when `scoring` is not given). Accuracy rewards "
                'ignoring the minority class: use `scoring="average_precision"`.')
    if scoring in ("recall", "precision"):
        return (f"`scoring=\"{scoring}\"` alone can be maximised by flagging everything (recall) or almost nothing "
                '(precision). Use a score that balances both, such as `scoring="average_precision"`.')
    if scoring == "f1":
        return ('`scoring="f1"` judges each setting at the threshold 0.5, which step 5 replaces anyway. The step '
                'asks for the quality of the ranking, whatever the threshold: `scoring="average_precision"`.')
    if isinstance(scoring, str) and scoring != "average_precision":
        return f'The step asks for average precision: `scoring="average_precision"` (you have `"{scoring}"`).'
    return None


_METRIC_NAMES = {"ap_class_0": "the average precision of the majority class (label 0, `pos_label=0`)",
                 "roc_auc": "ROC-AUC", "f1": "F1 at the threshold 0.5", "recall": "recall at the threshold 0.5",
                 "precision": "precision at the threshold 0.5", "accuracy": "accuracy",
                 "balanced_accuracy": "balanced accuracy"}


def _same_scores(found, reference) -> bool:
    found, reference = np.asarray(found, dtype=float), np.asarray(reference, dtype=float)
    return found.shape == reference.shape and bool(np.allclose(found, reference, rtol=1e-6, atol=1e-9))


def _scoring_evidence(search) -> dict | None:
    """What a search scored by a scorer object (not a metric's name) measured: the scores it recorded for its best
    candidate on each split, and that candidate's scores by several metrics, recomputed by the checker on the same
    splits of ``X_train`` (refitting it on each training fold; about 0.05 s). Also the scorer's own arguments.
    None for a metric's name (judged by the name) or when nothing can be read."""
    scoring = getattr(search, "scoring", None)
    if scoring is None or isinstance(scoring, str):
        return None
    evidence = {"kwargs": None, "recorded": None, "metrics": None}
    refit = getattr(search, "refit", True)
    scorer = scoring.get(refit) if isinstance(scoring, dict) and isinstance(refit, str) else scoring
    if isinstance(scorer, str):
        return None
    kwargs = getattr(scorer, "_kwargs", None)
    if isinstance(kwargs, dict):
        evidence["kwargs"] = {str(k): (v if isinstance(v, (str, bool)) else
                                       int(v) if isinstance(v, numbers.Integral) else float(v))
                              for k, v in kwargs.items() if isinstance(v, (numbers.Real, str))}
    evidence["function"] = str(getattr(getattr(scorer, "_score_func", None), "__name__", ""))
    try:
        from sklearn.base import clone
        from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, f1_score,
                                     precision_score, recall_score, roc_auc_score)
        from sklearn.model_selection import check_cv

        key = "score" if not isinstance(scoring, (dict, list, tuple)) else refit
        results, index = search.cv_results_, int(search.best_index_)
        n_splits = int(search.n_splits_)
        if not isinstance(key, str) or not 0 < n_splits <= 20:
            return evidence
        recorded = [float(results[f"split{i}_test_{key}"][index]) for i in range(n_splits)]
        X, y = _training_set()
        splits = list(check_cv(search.cv, y, classifier=True).split(X, y))
        if len(splits) != n_splits:
            return evidence
        candidate = clone(search.estimator).set_params(**results["params"][index])
        metrics = {name: [] for name in ("ap", *_METRIC_NAMES)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for train, test in splits:
                model = clone(candidate).fit(X[train], y[train])
                proba, pred, truth = model.predict_proba(X[test]), model.predict(X[test]), y[test]
                metrics["ap"].append(float(average_precision_score(truth, proba[:, 1])))
                metrics["ap_class_0"].append(float(average_precision_score(truth == 0, proba[:, 0])))
                metrics["roc_auc"].append(float(roc_auc_score(truth, proba[:, 1])))
                for name, metric in (("f1", f1_score), ("recall", recall_score), ("precision", precision_score)):
                    metrics[name].append(float(metric(truth, pred, zero_division=0)))
                metrics["accuracy"].append(float(accuracy_score(truth, pred)))
                metrics["balanced_accuracy"].append(float(balanced_accuracy_score(truth, pred)))
        evidence["recorded"], evidence["metrics"] = recorded, metrics
    except Exception:  # an odd search (a generator of splits, another estimator): judged by the scorer's arguments
        pass
    return evidence


def _scorer_measures(d: dict) -> str | None:
    """What a scorer object measures, when the search proves it: "ap", another metric of ``_METRIC_NAMES``, or
    None when unknown. First the scores the search recorded for its best candidate (compared with the checker's
    recomputation on the same splits), then the scorer's ``pos_label``."""
    evidence = d.get("scoring_evidence") or {}
    recorded, metrics = evidence.get("recorded"), evidence.get("metrics") or {}
    if recorded is not None:
        for name, scores in metrics.items():
            if _same_scores(recorded, scores):
                return name
    pos_label = (evidence.get("kwargs") or {}).get("pos_label")
    if pos_label is not None and not isinstance(pos_label, bool) and pos_label in (0, "0"):
        return "ap_class_0" if evidence.get("function") == "average_precision_score" else "pos_label_0"
    return None


def _scorer_problem(d: dict) -> str | None:
    measured = _scorer_measures(d)
    if measured in (None, "ap"):
        return None
    if measured == "ap_class_0":
        return ("Your scorer measures the average precision of the majority class, label 0 (`pos_label=0`): the "
                "scores your search recorded equal that on its splits. Finding the negatives is easy (almost every "
                "row is one), so every setting scores near 1 and the search cannot tell them apart. Score by the "
                "average precision of the positives, label 1: `scoring=\"average_precision\"`, or leave "
                "`pos_label` out of your scorer.")
    if measured == "pos_label_0":
        return ("Your scorer has `pos_label=0`: it scores how well the majority class, label 0, is found, which "
                "almost every setting does. Score by the average precision of the positives, label 1: "
                "`scoring=\"average_precision\"`.")
    return (f"The scores your search recorded are its best setting's {_METRIC_NAMES[measured]} on its splits: your "
            "scorer measures that, not average precision. Use `scoring=\"average_precision\"`.")


def _cv_problem(d: dict) -> str | None:
    cv = d["params"].get("cv")
    name = str(cv.get("repr_type", "")) if isinstance(cv, dict) else ""
    if name and "Stratified" not in name and ("KFold" in name or "ShuffleSplit" in name):
        return (f"Your search splits with `{name.rsplit('.', 1)[-1]}`, which ignores the classes: with few positives "
                "some folds get many fewer than others. Use `StratifiedKFold(n_splits=5, shuffle=True, random_state=0)`.")
    return None


def _rows_seen(d: dict):
    inner = d.get("inner") or {}
    steps = inner.get("steps") or []
    return steps[0].get("n_samples_seen") if steps else None


def _rows_message(d: dict) -> str:
    rows = _rows_seen(d)
    if rows > _N_TRAIN:
        return (f"Leak: your search's final pipeline was fitted on {rows:,} rows, but `X_train` has {_N_TRAIN:,}. "
                "The data were resampled (or enlarged) before they reached the pipeline, so every validation fold "
                "held synthetic points made from its training folds, and the scores that chose the settings were "
                "inflated. Fit the search on the original `X_train, y_train`: the SMOTE step inside the pipeline "
                "resamples each training fold on its own.")
    return (f"Your search's final pipeline was fitted on {rows:,} rows, but `X_train` has {_N_TRAIN:,}. "
            "Fit it on all of the original `X_train, y_train`, without resampling or subsetting them first.")


# --------------------------------------------------------------------------- #
# Exercise 06
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    (
        "leak_answer",
        Choice(
            options={
                "a": "nothing, as long as a separate test set is kept apart",
                "b": "the validation folds contain synthetic points made from their training folds' neighbours, and "
                "are balanced themselves: the scores that choose the settings are inflated",
                "c": "SMOTE should run after `GridSearchCV`, on the best model's predictions",
                "d": "`cv=5` is not stratified",
            },
            correct="b",
            explanations={
                "a": "A clean test set shows the damage afterwards, but the settings were already chosen on leaky "
                "validation scores. The tuning itself is compromised.",
                "b": "Both causes from lesson 05: synthetic neighbours of validation points in the training folds, "
                "and resampled validation folds. The fix is to put the sampler inside the pipeline.",
                "c": "SMOTE resamples training data; it has nothing to do with predictions.",
                "d": "For a classifier, an integer `cv` already means `StratifiedKFold`. The problem is elsewhere.",
            },
        ),
    ),
    points=1,
    hints=["Which rows end up in the validation folds of the search, and where did they come from?"],
    solution='leak_answer = "b"',
)

q2 = exercise.question(
    "q2",
    (
        "pipe",
        EstimatorSpec(
            requirements=[
                (lambda d: _pipeline_problem(d) is None, _pipeline_problem),
                ("step-names", lambda d: _names_problem(d) is None, _names_problem),
                # Learner pass 5: `C=0.01` passed, and carried into the search of step 3, whose grid does not tune C.
                ("settings-changed", lambda d: not _is_logistic(d) or default_regularisation(d["steps"][-1]["params"]),
                 REGULARISATION_MESSAGE),
                ("liblinear", lambda d: not _is_logistic(d) or d["steps"][-1]["params"].get("solver") != "liblinear",
                 LIBLINEAR_MESSAGE),
            ],
        ),
    ),
    points=1,
    hints=[
        "`from imblearn.pipeline import Pipeline`, then `Pipeline([(name, step), ...])` with three steps.",
        'Steps: `("scale", StandardScaler())`, `("smote", SMOTE(random_state=0))`, '
        '`("model", LogisticRegression(max_iter=1000))`.',
    ],
    solution=(
        "pipe = Pipeline([\n"
        '    ("scale", StandardScaler()),\n'
        '    ("smote", SMOTE(random_state=0)),\n'
        '    ("model", LogisticRegression(max_iter=1000)),\n'
        "])"
    ),
)

_search_spec = EstimatorSpec(
    requirements=[
        (
            lambda d: bool(d["steps"]) is False or d["class"].endswith("SearchCV"),
            "That is a pipeline, not the search. Pass the fitted `GridSearchCV` object itself (`search`), so the "
            "check can see how it was tuned.",
        ),
        (
            lambda d: d["class"].endswith(("GridSearchCV", "RandomizedSearchCV")),
            "Tune with `GridSearchCV(pipe, param_grid, ...)`, fit it, and pass the fitted search.",
        ),
        (
            lambda d: d["params"].get("refit") is not False,
            "Keep `refit=True` (the default): the search must refit the best pipeline on all of `X_train`, "
            "so that it can predict.",
        ),
        (lambda d: _pipeline_problem(d["inner"]) is None, lambda d: _pipeline_problem(d["inner"])),
        (lambda d: _rows_seen(d) in (None, _N_TRAIN), _rows_message),
        (lambda d: _missing_grid_parameter(d) is None, _missing_grid_parameter),
        (lambda d: _scoring_problem(d) is None, _scoring_problem),
        ("scorer", lambda d: _scorer_problem(d) is None, _scorer_problem),
        (lambda d: _cv_problem(d) is None, _cv_problem),
        ("grid-values", lambda d: _grid_values_problem(d) is None, _grid_values_problem),
    ],
    must_be_fitted=True,
)


@dataclass
class _SearchScore(HeldoutScore):
    """``HeldoutScore`` whose description also carries what a scorer object measured (``_scoring_evidence``)."""

    def extract(self, value, seed=DEFAULT_SEED):
        out = super().extract(value, seed)
        try:
            out["estimator"]["scoring_evidence"] = _scoring_evidence(value)
        except Exception:  # the evidence is optional: without it nothing is named
            out["estimator"]["scoring_evidence"] = None
        return out

q3 = exercise.question(
    "q3",
    (
        "search",
        _SearchScore(
            make_heldout=_heldout,
            metric=_average_precision,
            minimum=0.47,  # unused: the bar is set by the plain model on the same draw
            response="predict_proba",
            metric_name="Average precision",
            spec=_search_spec,
            reference=_plain_ap,
            max_shortfall=_AP_SHORTFALL,
            reference_name="the plain scaled logistic regression",
        ),
    ),
    points=3,
    hints=[
        "`param_grid` is a dict: `{\"smote__sampling_strategy\": [...], \"smote__k_neighbors\": [...], "
        "\"model__class_weight\": [None, \"balanced\"]}`.",
        "`GridSearchCV(pipe, param_grid, scoring=\"average_precision\", cv=StratifiedKFold(n_splits=5, shuffle=True, "
        "random_state=0))`, then `.fit(X_train, y_train)`: the original data, not resampled.",
        "Sampling ratios must stay above the training data's ratio (about 0.05): for example 0.1, 0.3 and 1.0.",
    ],
    solution=(
        "param_grid = {\n"
        '    "smote__sampling_strategy": [0.1, 0.3, 1.0],\n'
        '    "smote__k_neighbors": [3, 10],\n'
        '    "model__class_weight": [None, "balanced"],\n'
        "}\n"
        'search = GridSearchCV(pipe, param_grid, scoring="average_precision",\n'
        "                      cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0))\n"
        "search = search.fit(X_train, y_train)"
    ),
)

COST_THRESHOLD = _C_FP / (_C_FP + _C_FN)

q4 = exercise.question(
    "q4",
    (
        "cost_threshold",
        Number(
            expected=COST_THRESHOLD,
            mistakes=[
                ("cost-ratio", _C_FP / _C_FN, "That is C_FP / C_FN. Compare the two expected costs instead: flagging "
                 "costs C_FP x (1 - p), not flagging costs C_FN x p. Flag when the second is larger."),
                swapped_mistake(_C_FN / (_C_FP + _C_FN), "That is the other way round, C_FN and C_FP swapped: a miss "
                                "is the expensive mistake, so the threshold must be low, to flag more cases."),
                ("half", 0.5, "0.5 is right only when both mistakes cost the same; here a miss costs 10 times a false "
                 "alarm."),
                ("lesson-threshold", 1 / 6, "That is the lesson's threshold, for C_FN = 5. Here a miss costs 10."),
                percentage_mistake(COST_THRESHOLD, "Give the threshold as a probability between 0 and 1, not a "
                                   "percentage."),
            ],
        ),
    ),
    points=1,
    hints=["Flag a case with probability p when C_FN x p > C_FP x (1 - p). Solve for p."],
    solution="cost_threshold = C_FP / (C_FP + C_FN)",
)

_decision_mistakes = [
    (
        lambda out, score: out.mean() > 0.3,
        "Your model flags far more cases than the costs justify. If you applied the threshold to a pipeline whose "
        "probabilities are inflated by resampling, calibrate it first (`CalibratedClassifierCV`), or let "
        "`TunedThresholdClassifierCV` find the threshold for these scores.",
    ),
    (
        lambda out, score: out.mean() < 0.06,
        "Your model flags few cases, barely more than the 5 % that are positive: a miss costs 10 times a false "
        "alarm, so the threshold must sit far below 0.5. Did you apply `cost_threshold`?",
    ),
    (
        lambda out, score: True,
        "Check that the model was fitted on `X_train, y_train`, and that the decision rule follows the costs: "
        "`cost_threshold` applied to calibrated probabilities, or "
        "`TunedThresholdClassifierCV` with a cost-based `scoring` (its default, balanced accuracy, ignores the costs).",
    ),
]

def _chain(d: dict | None) -> list:
    """The description and those of the estimators it wraps, outermost first."""
    out = []
    while d is not None and len(out) < 6:
        out.append(d)
        d = d.get("inner")
    return out


def _has(d: dict, name: str) -> bool:
    return any(str(x.get("class", "")).endswith("." + name) for x in _chain(d))


def _starts_from_best_pipeline(d: dict) -> bool:
    return any(step.get("is_sampler") for x in _chain(d) for step in x.get("steps") or [])


#: SMOTE's own defaults, which `pipe` of step 2 keeps: no search over step 3's grid returns them (its ratios are
#: numbers, and it offers k_neighbors 3 and 10).
_SMOTE_DEFAULTS = {"sampling_strategy": "auto", "k_neighbors": 5}


def _untuned_sampler(d: dict) -> dict | None:
    """The SMOTE step's parameters when they are SMOTE's defaults (`pipe` as step 2 built it, untuned), else None."""
    for x in _chain(d):
        for step in x.get("steps") or []:
            if step.get("is_sampler"):
                params = step.get("params") or {}
                if all(params.get(k) == v for k, v in _SMOTE_DEFAULTS.items()):
                    return params
                return None
    return None


def _untuned_message(d: dict) -> str:
    return ("Your model starts from a pipeline whose SMOTE keeps its defaults (`sampling_strategy=\"auto\"`, "
            "`k_neighbors=5`): that is `pipe` as step 2 built it, not the search's best pipeline. No setting of "
            "step 3's grid gives these values. Start from `search.best_estimator_`, the pipeline with the settings "
            "the search chose.")


def _fixed(d: dict) -> dict | None:
    return next((x for x in _chain(d) if str(x.get("class", "")).endswith(".FixedThresholdClassifier")), None)


def _tuned(d: dict) -> dict | None:
    return next((x for x in _chain(d) if str(x.get("class", "")).endswith(".TunedThresholdClassifierCV")), None)


def _calibrated_if_fixed(d: dict) -> bool:
    return _fixed(d) is None or _has(d, "CalibratedClassifierCV")


def _fixed_threshold(d: dict):
    threshold = (_fixed(d) or {}).get("params", {}).get("threshold")
    return threshold if isinstance(threshold, (int, float)) else None


def _fixed_pos_label(d: dict):
    return (_fixed(d) or {}).get("params", {}).get("pos_label")


def _threshold_is_cost(d: dict) -> bool:
    """A fixed threshold must be step 4's cost threshold (the course's tolerance, 0.1 %), on the probability of
    class 1: with ``pos_label=0`` the threshold applies to class 0's, so ``1 - cost_threshold`` is the same rule."""
    if _fixed(d) is None:
        return True
    threshold = threshold_on_class_one(_fixed_threshold(d), _fixed_pos_label(d))
    return threshold is not None and math.isclose(threshold, COST_THRESHOLD, rel_tol=RTOL)


def _pos_label_flips_the_threshold(d: dict) -> bool:
    """``pos_label`` other than 1 with step 4's threshold itself: the threshold applies to class 0's probability."""
    pos_label, threshold = _fixed_pos_label(d), _fixed_threshold(d)
    return (_fixed(d) is not None and pos_label is not None and not names_class_one(pos_label)
            and threshold is not None and math.isclose(threshold, COST_THRESHOLD, rel_tol=RTOL))


def _pos_label_message(d: dict) -> str:
    pos_label = _fixed_pos_label(d)
    return (f"Your `FixedThresholdClassifier` has `pos_label={pos_label!r}`: it applies `cost_threshold` to the "
            f"probability of class {pos_label!r}, the negatives, so it flags a case only when its probability of being "
            f"positive is above 1 - {COST_THRESHOLD:.4g} = {1 - COST_THRESHOLD:.4g}: only the cases it is almost sure "
            "of. The positives, the cases to flag, are class 1: leave `pos_label` at its default.")


def _threshold_message(d: dict) -> str:
    threshold = threshold_on_class_one(_fixed_threshold(d), _fixed_pos_label(d))
    if _fixed_threshold(d) is not None and threshold is None:
        return (f"Your `FixedThresholdClassifier` has `pos_label={_fixed_pos_label(d)!r}`, which is not a class of "
                "`y_train` (0 or 1): leave `pos_label` at its default, and pass `threshold=cost_threshold`.")
    if threshold is None:
        return ("Your `FixedThresholdClassifier` has no numeric threshold: pass `threshold=cost_threshold`, the "
                "threshold of step 4.")
    said = (" That is the lesson's threshold, for C_FN = 5." if math.isclose(threshold, 1 / 6, rel_tol=RTOL) else
            " That is 0.5, right only when both mistakes cost the same." if math.isclose(threshold, 0.5) else "")
    pos_label = _fixed_pos_label(d)
    on = "" if pos_label is None or names_class_one(pos_label) else (
        f" (its threshold {_fixed_threshold(d):.4g} on class 0's probability, with `pos_label=0`)")
    return (f"Your `FixedThresholdClassifier` applies the threshold {threshold:.4g}{on}, not step 4's cost threshold "
            f"C_FP / (C_FP + C_FN) = {COST_THRESHOLD:.4g}.{said} Pass `threshold=cost_threshold`.")


def _fixed_on_probabilities(d: dict) -> bool:
    fixed = _fixed(d)
    return fixed is None or fixed["params"].get("response_method") in ("auto", "predict_proba")


def _tuned_on_costs(d: dict) -> bool:
    """A tuned threshold must optimise the costs: a scorer that weighs a miss C_FN / C_FP times a false alarm."""
    tuned = _tuned(d)
    if tuned is None:
        return True
    ratio = d.get("scorer_cost_ratio")
    return ratio is not None and math.isclose(ratio, _C_FN / _C_FP, rel_tol=RTOL)


def _tuned_message(d: dict) -> str:
    ratio = d.get("scorer_cost_ratio")
    if ratio is not None:
        return (f"Your `TunedThresholdClassifierCV`'s scorer weighs a miss {ratio:.3g} times a false alarm; here a "
                f"miss costs {_C_FN / _C_FP:g} times as much. Build the scorer from `C_FN` and `C_FP`.")
    return ("Your `TunedThresholdClassifierCV` optimises a score that is not the cost of the decisions (its "
            "default, balanced accuracy, or another ready-made score ignores the costs). Give it a scorer that "
            "adds C_FN for each miss and C_FP for each false alarm (`make_scorer(..., greater_is_better=False)`), "
            "or calibrate and apply `cost_threshold` with `FixedThresholdClassifier`.")


_UNCALIBRATED = (
    "Your `FixedThresholdClassifier` applies `cost_threshold` to probabilities that were not calibrated: the best "
    "pipeline resamples, so its probabilities are inflated and the formula's threshold flags too many cases. "
    "Wrap the best pipeline in `CalibratedClassifierCV` (cross-validated, fitted on `X_train, y_train`) and apply "
    "the threshold to that."
)

_IN_SAMPLE = (
    "Your calibration was learned on rows the model had been trained on: the `FrozenEstimator` inside "
    "`CalibratedClassifierCV` wraps a model fitted on all of `X_train`, so every row the calibrator saw is a row "
    "the model saw, where its probabilities look better than on new data. Calibrate on rows the model did not "
    "see: let `CalibratedClassifierCV` cross-fit (`cv=5`, without `FrozenEstimator`), or fit the model on part of "
    "`X_train` and calibrate the frozen model on the rest."
)


@cache
def _training_set():
    """The exercise's ``X_train, y_train`` (the given code of the solution notebook)."""
    return make_imbalanced(n_samples=_N_TRAIN, **_PROBLEM)


def _fitted_on_all_training_rows(model) -> bool:
    """Whether ``model`` (a pipeline, or a search predicting with its best pipeline) was fitted on all of
    ``X_train``: its first step, a scaler, saw as many rows, with the same means."""
    model = getattr(model, "best_estimator_", model)
    first = model.steps[0][1] if getattr(model, "steps", None) else None
    seen, mean = getattr(first, "n_samples_seen_", None), getattr(first, "mean_", None)
    if seen is None or mean is None:
        return False
    X_train = _training_set()[0]
    return int(np.max(seen)) == len(X_train) and bool(np.allclose(mean, X_train.mean(axis=0), rtol=1e-10, atol=1e-12))


def _calibrated_in_sample(model) -> bool:
    """Whether a calibrator inside ``model`` was fitted on rows its model was trained on.

    With a ``FrozenEstimator`` (or ``cv="prefit"``), ``CalibratedClassifierCV`` fits the calibrator on the rows
    passed to ``fit`` and leaves the model as it is. The learner has no rows but ``X_train``: when the frozen
    model was fitted on all of them, every calibration row is one it saw. (Cross-fitting, ``cv=5``, fits each
    calibrator on a fold its model did not see, and is not looked at here.) Limit: a model frozen after a fit on
    part of ``X_train`` and calibrated on all of it is not named (its rows cannot be read back).
    """
    for estimator in _estimators_in(model):
        if type(estimator).__name__ != "CalibratedClassifierCV":
            continue
        for pair in getattr(estimator, "calibrated_classifiers_", None) or []:
            inner = getattr(pair, "estimator", None)
            if type(inner).__name__ == "FrozenEstimator":
                inner = inner.estimator
            elif getattr(estimator, "cv", None) != "prefit":
                continue
            if _fitted_on_all_training_rows(inner):
                return True
    return False


_decision_requirements = [
    (lambda d: d["is_classifier"], "Pass a classifier: the model that makes the yes/no decisions."),
    (_starts_from_best_pipeline, "Start from the search's best pipeline, `search.best_estimator_` (scaler, SMOTE, "
     "model), as the step asks: the point is to turn the tuned pipeline into decisions."),
    ("threshold-pos-label", lambda d: not _pos_label_flips_the_threshold(d), _pos_label_message),
    ("threshold-not-cost", _threshold_is_cost, _threshold_message),
    ("uncalibrated", _calibrated_if_fixed, _UNCALIBRATED),
    ("calibrated-in-sample", lambda d: not d.get("calibrated_in_sample"), _IN_SAMPLE),
    ("threshold-on-scores", _fixed_on_probabilities, lambda d: (
        "Your `FixedThresholdClassifier` asks for `response_method=\"decision_function\"`, but "
        f"`{_short_class(_fixed(d).get('inner') or {})}` has no `decision_function`, so the model fails as soon as "
        "it predicts. " if _fixed(d).get("wraps_decision_function") is False else "")
     + "Apply `cost_threshold` to probabilities: leave `response_method` at its default (or "
     "`\"predict_proba\"`); a decision function is not a probability."),
    ("tuned-not-on-costs", _tuned_on_costs, _tuned_message),
]

_decision_spec = EstimatorSpec(requirements=_decision_requirements, must_be_fitted=True)

_reloaded_spec = EstimatorSpec(
    requirements=[
        (
            lambda d: str(d["class"]).endswith((".FixedThresholdClassifier", ".TunedThresholdClassifierCV")),
            lambda d: f"Your reloaded model is a `{str(d['class']).rsplit('.', 1)[-1]}`: is this the `cost_model` you "
            "built in step 5? Save `cost_model` itself with `joblib.dump`, then load it back.",
        ),
        *_decision_requirements,
    ],
    must_be_fitted=True,
)

#: Calibration on fresh data, by logistic recalibration ``logit P(y=1) = offset + slope * logit(p)``.
#: Measured over three fresh draws of 20,000 rows (about 1,000 positives): models calibrated with
#: ``CalibratedClassifierCV`` (sigmoid or isotonic, cv=5, or cv=3 without ensemble) had offsets
#: (slope fixed at 1) within +-0.04 and slopes 0.88-1.16; the best pipeline uncalibrated had an offset of
#: -0.62 to -0.64 (its mean risk 1.47 times the prevalence), temperature scaling -0.47 to -0.49 (1.32 times),
#: SMOTE at ratio 1 -3.0 (4.8 times). The standard errors are about 0.035 and 0.05, so the bounds below sit
#: more than 4 standard errors from every calibrated model measured and far from the inflated ones.
CALIBRATION_OFFSET_MAX = 0.2
CALIBRATION_SLOPE_RANGE = (0.75, 1.35)


def _calibration(y_true, proba) -> dict:
    """Calibration slope, calibration-in-the-large offset and Brier score of probabilities ``proba``."""
    from scipy.special import expit, logit

    y_true, proba = np.asarray(y_true, dtype=float), np.asarray(proba, dtype=float)
    z = logit(np.clip(proba, 1e-9, 1 - 1e-9))
    # Two small maximum-likelihood fits by Newton's method (a 2 x 2 system): logistic recalibration
    # ``y ~ a + b z`` for the slope, and ``y ~ offset + z`` (slope fixed at 1) for calibration-in-the-large.
    design = np.c_[np.ones_like(z), z]
    coef = np.zeros(2)
    for _ in range(50):
        q = expit(design @ coef)
        hessian = design.T @ (design * (q * (1 - q))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, design.T @ (y_true - q))
        coef += step
        if np.abs(step).max() < 1e-10:
            break
    slope = float(coef[1])
    offset = 0.0
    for _ in range(50):
        q = expit(z + offset)
        step = float((y_true - q).sum() / max((q * (1 - q)).sum(), 1e-12))
        offset += step
        if abs(step) < 1e-12:
            break
    return {"slope": slope, "offset": offset, "brier": float(np.mean((proba - y_true) ** 2)),
            "mean": float(np.mean(proba)), "prevalence": float(np.mean(y_true))}


class _PatternClassifier:
    """A stand-in classifier whose predictions are its input's first column: to read what a scorer rewards."""

    _estimator_type = "classifier"
    classes_ = np.array([0, 1])

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, ClassifierTags, TargetTags

        return Tags(estimator_type="classifier", classifier_tags=ClassifierTags(), target_tags=TargetTags(required=True))

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0].astype(int)


def _scorer_cost_ratio(scoring) -> float | None:
    """How many false alarms a miss is worth to ``scoring``, when its score is an affine function of the costs.

    The scorer is called on decisions with known numbers of misses and false alarms, for two mixes of positives
    and negatives; it encodes costs when, in each mix, ``score = a + b * misses + c * false_alarms`` fits every
    call exactly with ``b, c < 0``, and ``b / c`` is the same in both mixes. (A score that weighs errors by the
    class sizes, such as balanced accuracy, fits each mix with another ratio: n_negatives / n_positives.)
    """
    if scoring is None or isinstance(scoring, str) or not callable(scoring):
        return None
    ratios = []
    for positives, negatives in ((10, 90), (30, 70)):
        y_true = np.r_[np.ones(positives, dtype=int), np.zeros(negatives, dtype=int)]
        rows, scores = [], []
        for miss_share, alarm_share in ((0, 0), (1, 0), (0, 1), (0.5, 0.2), (0.2, 0.5), (0.7, 0.1), (0.3, 0.9)):
            misses, alarms = round(miss_share * positives), round(alarm_share * negatives)
            pred = np.r_[np.zeros(misses), np.ones(positives - misses), np.ones(alarms),
                         np.zeros(negatives - alarms)].astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    scores.append(float(scoring(_PatternClassifier(), pred[:, None], y_true)))
                except Exception:  # a scorer that will not take the stand-in: its metric on the decisions directly
                    function, sign = getattr(scoring, "_score_func", None), getattr(scoring, "_sign", None)
                    if function is None or sign is None:
                        return None
                    scores.append(float(sign * function(y_true, pred, **(getattr(scoring, "_kwargs", None) or {}))))
            rows.append((1.0, misses, alarms))
        A, b = np.asarray(rows), np.asarray(scores)
        coef, *_ = np.linalg.lstsq(A, b, rcond=None)
        if not np.allclose(A @ coef, b, rtol=1e-9, atol=1e-9 * (1 + np.abs(b).max())) or coef[1] >= 0 or coef[2] >= 0:
            return None
        ratios.append(float(coef[1] / coef[2]))
    return ratios[0] if math.isclose(ratios[0], ratios[1], rel_tol=1e-6) else None


@dataclass
class _CostDecisions(HeldoutScore):
    """A fitted decision model scored on held-out data, as ``HeldoutScore`` with ``response="predict"``.

    ``extract`` also exports the model's probabilities on the same held-out inputs (to judge their calibration
    where a fixed threshold is applied to them) and, for a tuned threshold, how its scorer weighs a miss
    against a false alarm (``_scorer_cost_ratio``).
    """

    def extract(self, value, seed=DEFAULT_SEED):
        try:
            out = super().extract(value, seed)
        except Feedback as failed:
            out = _failed_on_decision_function(value, failed)
            if out is None:
                raise
            return out
        out["proba"] = _probabilities(value, self.make_heldout, seed)
        try:
            out["estimator"]["calibrated_in_sample"] = _calibrated_in_sample(value)
        except Exception:  # the evidence is optional: without it nothing is named
            out["estimator"]["calibrated_in_sample"] = False
        tuned = next((m for m in _estimators_in(value) if type(m).__name__ == "TunedThresholdClassifierCV"), None)
        try:
            out["estimator"]["scorer_cost_ratio"] = _scorer_cost_ratio(getattr(tuned, "scoring", None))
        except Exception:  # a scorer that fails on the stand-in counts as not built from the costs
            out["estimator"]["scorer_cost_ratio"] = None
        return out

    def judge(self, data, seed=DEFAULT_SEED):
        if self.spec is not None:
            self.spec.judge(data["estimator"], seed)
        if data.get("output") is None:  # the model failed to predict, for a reason the requirements did not name
            raise uncheckable(str(data.get("failed") or "Your model failed when asked to predict on new data."))
        proba = data.get("proba")
        if _fixed(data["estimator"]) is not None:
            if proba is None:
                raise uncheckable("Your model's `predict_proba` failed on fresh data, so the calibration of the "
                                  "probabilities your threshold applies to could not be checked.")
            y = self.make_heldout(seed)[1]
            found = _calibration(y, np.asarray(proba, dtype=float))
            low, high = CALIBRATION_SLOPE_RANGE
            if abs(found["offset"]) > CALIBRATION_OFFSET_MAX or not low <= found["slope"] <= high:
                raise incorrect(
                    f"On fresh data your model's probabilities are not calibrated, so `cost_threshold` does not apply "
                    f"to them: a logistic recalibration finds a slope of {found['slope']:.2f} (1 when calibrated; "
                    f"accepted {low}-{high}) and an offset of {found['offset']:+.2f} (0 when calibrated; accepted "
                    f"within +-{CALIBRATION_OFFSET_MAX}); their mean is {found['mean']:.3f} for a share of positives "
                    f"of {found['prevalence']:.3f}, and their Brier score {found['brier']:.4f}. Check that the model "
                    "was fitted on `X_train, y_train`, and calibrate it with cross-validation "
                    "(`CalibratedClassifierCV`) before the threshold.", "uncalibrated")
        result = super().judge(data, seed)
        if result.status is Status.CORRECT and _untuned_sampler(data["estimator"]) is not None:
            # Judged after the score, so that a model that also fails on fresh data hears why it does.
            raise incorrect(_untuned_message(data["estimator"]), "untuned-pipeline")
        reason = _described_reason(data["estimator"]) if result.status is Status.INCORRECT else None
        if reason is None:
            return result
        # A low score the model's own settings explain: say that, rather than guess from the number of alarms.
        score = float(self.metric(np.asarray(self.make_heldout(seed)[1]), np.asarray(data["output"], dtype=float)))
        return Result(Status.INCORRECT, f"{self.metric_name} on unseen data is {score:.3f}; it needs to reach "
                      f"{self.needed(seed)[1]}. {reason[1]}", mistake=reason[0])


def _failed_on_decision_function(model, failed) -> dict | None:
    """The plain data of a ``FixedThresholdClassifier(response_method="decision_function")`` around a model that has
    no ``decision_function`` (``CalibratedClassifierCV``): it fails on ``predict``. None for any other failure."""
    try:
        description = describe_estimator(model)
        fixed = _fixed(description)
        wrapper = next((m for m in _estimators_in(model) if type(m).__name__ == "FixedThresholdClassifier"), None)
        if fixed is None or wrapper is None or getattr(wrapper, "response_method", None) != "decision_function":
            return None
        inner = getattr(wrapper, "estimator_", None) or getattr(wrapper, "estimator", None)
        if hasattr(inner, "decision_function"):
            return None
        fixed["wraps_decision_function"] = False
        return {"estimator": description, "output": None, "proba": None, "failed": failed.message}
    except Exception:  # the original failure is reported
        return None


def _class_weights(d: dict) -> tuple[float, float] | None:
    """``(weight of class 0, weight of class 1)`` of the first classifier in the chain given a ``class_weight``
    dict, else None."""
    for x in _chain(d):
        params = (x["steps"][-1].get("params") if x.get("steps") else x.get("params")) or {}
        weights = params.get("class_weight")
        if isinstance(weights, dict) and weights:
            try:
                w0, w1 = float(weights.get("0", 1.0)), float(weights.get("1", 1.0))
            except (TypeError, ValueError):
                return None
            return (w0, w1) if w0 > 0 and w1 > 0 else None
    return None


def _described_reason(d: dict) -> tuple[str, str] | None:
    """The reason for a low score that the model's settings prove, as ``(mistake id, message)``, or None."""
    for name, _, pos_label, _ in threshold_wrappers(d):
        if pos_label is not None and not names_class_one(pos_label):
            return ("pos-label", f"Your `{name}` has `pos_label={pos_label!r}`: it decides on the probability of class "
                    f"{pos_label!r}, the negatives, so it flags the cases it is least sure are negative, far fewer "
                    "than the costs justify. The positives, the cases to flag, are class 1: leave `pos_label` at its "
                    "default.")
    weights = _class_weights(d)
    if weights is not None and weights[0] > weights[1]:
        w0, w1 = weights
        said = ("C_FN on the negatives and C_FP on the positives: the costs swapped. " if
                math.isclose(w0 / w1, _C_FN / _C_FP, rel_tol=RTOL) else "")
        return ("swapped-class-weights", f"Your model's `class_weight` weighs class 0 (the negatives) {w0:g} and class "
                f"1 (the positives) {w1:g}: {said}A miss, a positive left unflagged, is the expensive mistake "
                f"(C_FN = {_C_FN}, a false alarm C_FP = {_C_FP}), so weighing the negatives more makes the model flag "
                "even fewer cases. Start from `search.best_estimator_` as it is, and turn its calibrated "
                "probabilities into decisions with `cost_threshold`.")
    return None


def _estimators_in(model) -> list:
    """``model`` and the estimators it wraps, outermost first (fitted copies preferred)."""
    out = []
    while model is not None and len(out) < 6:
        out.append(model)
        model = getattr(model, "estimator_", None) or getattr(model, "estimator", None)
    return out


def _probabilities(model, make_heldout, seed):
    """``predict_proba(X)[:, 1]`` on the held-out inputs as a list, or None (only the inputs reach this frame)."""
    X = make_heldout(seed)[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = np.asarray(model.predict_proba(X), dtype=float)
    except Exception:
        return None
    if proba.ndim != 2 or proba.shape[1] < 2 or proba.shape[0] != len(X) or not np.isfinite(proba).all():
        return None
    return proba[:, 1].tolist()


q5 = exercise.question(
    "q5",
    (
        "cost_model",
        _CostDecisions(
            make_heldout=_heldout,
            metric=_share_saved,
            minimum=0.47,  # unused: the bar is set by the plain rule on the same draw
            reference=_plain_rule_saved,
            max_shortfall=_SAVED_SHORTFALL,
            reference_name="the plain scaled logistic regression at the cost threshold",
            response="predict",
            metric_name="Share of the cost saved (against flagging nobody)",
            spec=_decision_spec,
            mistakes=_decision_mistakes,
        ),
    ),
    points=2,
    hints=[
        "The threshold C_FP / (C_FP + C_FN) assumes calibrated probabilities; the search's best pipeline resamples, "
        "so its probabilities are inflated.",
        "`CalibratedClassifierCV(search.best_estimator_, method=\"sigmoid\", cv=5)` calibrates; "
        "`FixedThresholdClassifier(calibrated, threshold=cost_threshold)` applies the threshold. Fit on `X_train, y_train`.",
    ],
    solution=(
        'calibrated = CalibratedClassifierCV(search.best_estimator_, method="sigmoid", cv=5)\n'
        "cost_model = FixedThresholdClassifier(calibrated, threshold=cost_threshold).fit(X_train, y_train)"
    ),
)

q6 = exercise.question(
    "q6",
    (
        "reloaded",
        _CostDecisions(
            make_heldout=_heldout,
            metric=_share_saved,
            minimum=0.47,  # unused: the bar is set by the plain rule on the same draw
            reference=_plain_rule_saved,
            max_shortfall=_SAVED_SHORTFALL,
            reference_name="the plain scaled logistic regression at the cost threshold",
            response="predict",
            metric_name="Share of the cost saved by the reloaded model",
            spec=_reloaded_spec,
            mistakes=_decision_mistakes,
        ),
    ),
    points=1,
    hints=["`joblib.dump(cost_model, path)`, then `reloaded = joblib.load(path)`."],
    solution=(
        'path = Path(tempfile.mkdtemp()) / "cost_model.joblib"\n'
        "_ = joblib.dump(cost_model, path)\n"
        "reloaded = joblib.load(path)"
    ),
)

q7 = exercise.question(
    "q7",
    (
        "predict_time_answer",
        Choice(
            options={
                "a": "nothing: samplers run only during `fit`; new rows go through the scaler and the model",
                "b": "it oversamples the new rows first, so there are more predictions than rows",
                "c": "it needs the labels, so the reloaded model cannot predict without `y`",
            },
            correct="a",
            explanations={
                "a": "imblearn's `Pipeline` calls `fit_resample` only inside `fit`, and skips samplers in "
                "`predict`, `predict_proba` and `transform`.",
                "b": "There is exactly one prediction per row: lesson 06 checked it, and so did the check of step 6.",
                "c": "Predicting never needs labels: the sampler, which would need them, is skipped.",
            },
        ),
    ),
    points=1,
    hints=["Resampling needs labels. Does new data come with labels?"],
    solution='predict_time_answer = "a"',
)


# --------------------------------------------------------------------------- #
# q8, transfer: the cost threshold for other costs, on yeast4 (data lesson 06 did not use)
# --------------------------------------------------------------------------- #

#: The costs of q8: a missed protein of the minority class costs 30, a false alarm 2.
YEAST_C_FN, YEAST_C_FP = 30, 2
YEAST_THRESHOLD = YEAST_C_FP / (YEAST_C_FP + YEAST_C_FN)


@cache
def _yeast_data() -> tuple:
    """q8's yeast4 (all rows, then the step's split) and the model the step prescribes, unfitted."""
    from imblearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from ..data import load_yeast4

    X, y = load_yeast4(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    return X, y, X_train, X_test, y_train, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@cache
def _yeast_scores() -> dict:
    """q8's calibrated probabilities on yeast4's test split (and, for its mistakes, on the training split and
    without calibration), with the model the step prescribes."""
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV

    _X, _y, X_train, X_test, y_train, model = _yeast_data()
    calibrated = CalibratedClassifierCV(model, method="sigmoid", cv=5).fit(X_train, y_train)
    return {"test": calibrated.predict_proba(X_test)[:, 1], "train": calibrated.predict_proba(X_train)[:, 1],
            "uncalibrated": clone(model).fit(X_train, y_train).predict_proba(X_test)[:, 1]}


@cache
def _yeast_slip_scores() -> dict:
    """The test split's probabilities of two more slips (isotonic calibration, a model fitted on all rows): fitted
    only when a wrong count is judged, so that a right answer stays fast."""
    from sklearn.calibration import CalibratedClassifierCV

    X, y, X_train, X_test, y_train, model = _yeast_data()
    isotonic = CalibratedClassifierCV(model, method="isotonic", cv=5).fit(X_train, y_train)
    on_all_rows = CalibratedClassifierCV(model, method="sigmoid", cv=5).fit(X, y)
    return {"isotonic": isotonic.predict_proba(X_test)[:, 1], "all_rows": on_all_rows.predict_proba(X_test)[:, 1]}


def _alarms(threshold: float, rows: str = "test"):
    def count() -> float:
        scores = _yeast_scores().get(rows)
        return float(np.sum((scores if scores is not None else _yeast_slip_scores()[rows]) >= threshold))

    return count


q8 = exercise.question(
    "q8",
    {
        "yeast_threshold": Number(
            expected=YEAST_THRESHOLD,
            mistakes=[
                swapped_mistake(YEAST_C_FN / (YEAST_C_FP + YEAST_C_FN), "That is the other way round, C_FN and C_FP "
                                "swapped: a miss is the expensive mistake, so the threshold must be low."),
                ("cost-ratio", YEAST_C_FP / YEAST_C_FN, "That is C_FP / C_FN. Compare the two expected costs: flag "
                 "when C_FN x p > C_FP x (1 - p)."),
                ("step-4-costs", COST_THRESHOLD, "That is step 4's threshold, for a miss that costs 10 times a false "
                 "alarm. Here the costs are 30 and 2."),
            ],
        ),
        "yeast_alarms": Number(
            expected=_alarms(YEAST_THRESHOLD),
            detect_rounding=False,  # a count: a neighbouring count is another count
            mistakes=[
                ("step-4-threshold", _alarms(COST_THRESHOLD), "That is the count at step 4's threshold, 1/11: apply "
                 "the threshold for this step's costs."),
                ("threshold-0.5", _alarms(0.5), "That is the count at the default threshold 0.5 (`predict` of the "
                 "calibrated model): apply the cost threshold."),
                ("uncalibrated", lambda v: abs(v - _alarms(YEAST_THRESHOLD, "uncalibrated")()) < 0.5
                 and abs(v - _alarms(YEAST_THRESHOLD)()) >= 0.5,
                 "That is the count for the uncalibrated pipeline: the cost threshold applies to calibrated "
                 "probabilities. Wrap the pipeline in `CalibratedClassifierCV` as the step says."),
                ("training-set", _alarms(YEAST_THRESHOLD, "train"), "That is counted on the training split; count "
                 "the flagged proteins of the test split."),
                # Learner pass 5: these slips land on the uncalibrated count too; a count that several slips give
                # names them all ("cannot tell which"), not one of them as the cause.
                ("isotonic", _alarms(YEAST_THRESHOLD, "isotonic"), "That is the count with isotonic calibration; the "
                 "step asks for `method=\"sigmoid\"`."),
                ("test-set", _alarms(YEAST_THRESHOLD, "all_rows"), "That is the count of a model fitted on all of "
                 "yeast4, the test split included: fit on `X_y4_train, y_y4_train` only."),
                Mistake("cost-ratio-threshold", _alarms(YEAST_C_FP / YEAST_C_FN), "That is the count at the threshold "
                        "C_FP / C_FN: derive the threshold from the two expected costs, as `yeast_threshold` asks.",
                        unless_right="yeast_threshold"),
            ],
            otherwise="Count the test proteins your model flags: fit `FixedThresholdClassifier` around the calibrated "
            "pipeline the step describes, with `threshold=yeast_threshold`, on the training split, then add up "
            "its predictions on the test split.",
        ),
    },
    points=2,
    hints=[
        "The same reasoning as step 4 with other costs: flag when C_FN x p > C_FP x (1 - p).",
        "`FixedThresholdClassifier(CalibratedClassifierCV(<scaled logistic regression>, method=\"sigmoid\", cv=5), "
        "threshold=yeast_threshold)`, fitted on `X_y4_train, y_y4_train`; then sum its predictions on `X_y4_test`.",
    ],
    solution=(
        "yeast_threshold = C_FP_Y4 / (C_FP_Y4 + C_FN_Y4)\n"
        "calibrated_y4 = CalibratedClassifierCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),\n"
        "                                       method=\"sigmoid\", cv=5)\n"
        "yeast_model = FixedThresholdClassifier(calibrated_y4, threshold=yeast_threshold).fit(X_y4_train, y_y4_train)\n"
        "yeast_alarms = int(yeast_model.predict(X_y4_test).sum())"
    ),
)
