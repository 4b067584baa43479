"""Checks for lesson 06 and exercise 06: production pipelines.

Lesson prompts ``p1``-``p3`` (no points) and exercise questions ``q1``-``q7``. The fitted models of
``q3``, ``q5`` and ``q6`` are scored on fresh draws from the exercise's problem, which the learner never
sees; ``q3`` also reads the search's description (``checks.describe_estimator``) to find the sampler,
the grid, the scorer, the splitter, and how many rows the final pipeline was fitted on, which reveals a
resampling done outside the pipeline.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np

from dataclasses import dataclass

from ..checks import DEFAULT_SEED, Choice, EstimatorSpec, Exercise, HeldoutScore, Number, incorrect
from ..data import make_imbalanced

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
    if p["class"] == "sklearn.pipeline.Pipeline":
        return ("That is scikit-learn's `Pipeline`, which cannot hold a sampler (fitting it fails). "
                "Use imblearn's: `from imblearn.pipeline import Pipeline`.")
    steps = p["steps"]
    if not steps:
        return (f"That is a bare `{_short_class(p)}`, not a pipeline. Build an imblearn `Pipeline` whose steps are "
                "the scaler, the sampler and the model: the sampler must be inside it.")
    if not p["class"].startswith("imblearn."):
        return "Use imblearn's `Pipeline` (`from imblearn.pipeline import Pipeline`): it is the one that accepts samplers."
    samplers = [i for i, s in enumerate(steps) if s["is_sampler"]]
    if not samplers:
        return ("Your pipeline has no sampler. Put `SMOTE(random_state=0)` inside it, between the scaler and the "
                "model: resampling outside the pipeline, before fitting or cross-validating, is the leak of step 1.")
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
            requirements=[(lambda d: _pipeline_problem(d) is None, _pipeline_problem)],
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
        (lambda d: _cv_problem(d) is None, _cv_problem),
    ],
    must_be_fitted=True,
)

q3 = exercise.question(
    "q3",
    (
        "search",
        HeldoutScore(
            make_heldout=_heldout,
            metric=_average_precision,
            minimum=0.47,
            response="predict_proba",
            metric_name="Average precision",
            spec=_search_spec,
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

def _rounded_threshold(v: float) -> bool:
    t = _C_FP / (_C_FP + _C_FN)
    return any(abs(v - round(t, d)) < 1e-12 or abs(v - int(t * 10**d) / 10**d) < 1e-12 for d in range(1, 5))


q4 = exercise.question(
    "q4",
    (
        "cost_threshold",
        Number(
            expected=_C_FP / (_C_FP + _C_FN),
            atol=0,
            rtol=1e-5,
            mistakes=[
                (_C_FP / _C_FN, "That is C_FP / C_FN. Compare the two expected costs instead: flagging costs "
                 "C_FP x (1 - p), not flagging costs C_FN x p. Flag when the second is larger."),
                (_C_FN / (_C_FP + _C_FN), "That is the other way round: a miss is the expensive mistake, so the "
                 "threshold must be low, to flag more cases."),
                (0.5, "0.5 is right only when both mistakes cost the same; here a miss costs 10 times a false alarm."),
                (1 / 6, "That is the lesson's threshold, for C_FN = 5. Here a miss costs 10."),
                (lambda v: 1 < v <= 100, "Give the threshold as a probability between 0 and 1."),
                (_rounded_threshold, "That looks like the threshold rounded: do not round, keep full precision "
                 "(compute it from `C_FP` and `C_FN`)."),
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


def _calibrated_if_fixed(d: dict) -> bool:
    return not _has(d, "FixedThresholdClassifier") or _has(d, "CalibratedClassifierCV")


def _tuned_on_costs(d: dict) -> bool:
    tuned = [x for x in _chain(d) if str(x.get("class", "")).endswith(".TunedThresholdClassifierCV")]
    return not tuned or not isinstance(tuned[0]["params"].get("scoring"), (str, type(None)))


_UNCALIBRATED = (
    "Your `FixedThresholdClassifier` applies `cost_threshold` to probabilities that were not calibrated: the best "
    "pipeline resamples, so its probabilities are inflated and the formula's threshold flags too many cases. "
    "Calibrate first: `CalibratedClassifierCV(search.best_estimator_, method=\"sigmoid\", cv=5)`, then wrap that "
    "in `FixedThresholdClassifier(..., threshold=cost_threshold)`."
)

_decision_requirements = [
    (lambda d: d["is_classifier"], "Pass a classifier: the model that makes the yes/no decisions."),
    (_starts_from_best_pipeline, "Start from the search's best pipeline, `search.best_estimator_` (scaler, SMOTE, "
     "model), as the step asks: the point is to turn the tuned pipeline into decisions."),
    (_calibrated_if_fixed, _UNCALIBRATED),
    (_tuned_on_costs, "Your `TunedThresholdClassifierCV` optimises balanced accuracy (its default) or another "
     "ready-made score, which ignores the costs. Give it a scorer built from the costs, or calibrate and apply "
     "`cost_threshold` with `FixedThresholdClassifier`."),
]

_decision_spec = EstimatorSpec(requirements=_decision_requirements, must_be_fitted=True)

_reloaded_spec = EstimatorSpec(
    requirements=[
        (
            lambda d: str(d["class"]).endswith((".FixedThresholdClassifier", ".TunedThresholdClassifierCV")),
            lambda d: f"Your reloaded model is a `{str(d['class']).rsplit('.', 1)[-1]}`: is this the `cost_model` you "
            "built in step 5? Save `cost_model` itself: `joblib.dump(cost_model, path)`, then load it back.",
        ),
        *_decision_requirements,
    ],
    must_be_fitted=True,
)


@dataclass
class _CostDecisions(HeldoutScore):
    """A fitted decision model scored on held-out data, as ``HeldoutScore`` with ``response="predict"``; its
    mean predicted probability on the same held-out inputs is exported too, to tell calibrated probabilities
    (mean close to the prevalence) from inflated ones when a fixed threshold is applied to them."""

    def extract(self, value, seed=DEFAULT_SEED):
        out = super().extract(value, seed)
        out["mean_proba"] = _mean_proba(value, self.make_heldout, seed)
        return out

    def judge(self, data, seed=DEFAULT_SEED):
        if self.spec is not None:
            self.spec.judge(data["estimator"], seed)
        mean = data.get("mean_proba")
        if mean is not None and _has(data["estimator"], "FixedThresholdClassifier"):
            prevalence = float(np.mean(self.make_heldout(seed)[1]))
            if float(mean) > 1.3 * prevalence:
                raise incorrect(
                    f"On fresh data your model's mean predicted probability is {float(mean):.3f}, "
                    f"{float(mean) / prevalence:.1f} times the share of positives: its probabilities are not "
                    "calibrated for these data, so `cost_threshold` does not apply to them. Check that the model was "
                    "fitted on `X_train, y_train`, and calibrate it with "
                    "`CalibratedClassifierCV(..., method=\"sigmoid\", cv=5)` before the threshold."
                )
        return super().judge(data, seed)


def _mean_proba(model, make_heldout, seed):
    """Mean of ``predict_proba(X)[:, 1]`` on the held-out inputs, or None (only the inputs reach this frame)."""
    X = make_heldout(seed)[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = np.asarray(model.predict_proba(X), dtype=float)
    except Exception:
        return None
    if proba.ndim != 2 or proba.shape[1] < 2 or proba.shape[0] != len(X) or not np.isfinite(proba).all():
        return None
    return float(proba[:, 1].mean())

q5 = exercise.question(
    "q5",
    (
        "cost_model",
        _CostDecisions(
            make_heldout=_heldout,
            metric=_share_saved,
            minimum=0.47,
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
            minimum=0.47,
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
