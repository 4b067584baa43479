"""Checks for lesson 08 and exercise 08: from scores to decisions, and how to repair probabilities.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q7``. What each question
establishes, and how:

- ``q1`` (prior correction): the learner's function is run on probe inputs (several pairs of
  prevalences, upward and downward corrections, equal prevalences, probabilities near 0 and 1, and a
  random probe per grading seed) and compared with odds x [pi/(1-pi)] / [pi_s/(1-pi_s)] element by element.
  Wrong outputs are matched against the formulas of the usual mistakes before they are named.
- ``q2`` (repaired probabilities): the fitted model's ``predict_proba`` on fresh draws of the exercise's
  problem, which the learner never sees, must have a Brier score below a bar that every calibrated repair
  clears and the unrepaired pipeline misses by far, *and* a mean risk within 20 % of the fresh data's
  prevalence; the model must still contain the SMOTE pipeline (the step repairs it, it does not replace it).
- ``q3`` (costs): the threshold C_FP / (C_FP + C_FN) and the weight C_FN / C_FP, as numbers.
- ``q4`` (alert budget): the learner's function is run on probe scores, ties and edge cases included; it
  must flag exactly min(k, n) cases, and no unflagged case may score higher than a flagged one.
- ``q5``: precision and recall of the top-k policy on the given day, recomputed here from the same data
  and the same (deterministic) SMOTE pipeline.
- ``q6`` (held-out decision rule): the fitted rule's ``predict`` on fresh draws, scored by the share of
  the cost it saves against flagging nobody, with the exercise's costs, against the cost rule on the same draw.
  Every way that follows the costs passes (calibrate and threshold, tune on a cost scorer, weight, ...). Since
  near the best threshold the cost changes little, the fitted rule's parameters are also read as step 3 reads
  them (``pos_label`` and log-odds included): where the formulas fix them (a threshold on calibrated
  probabilities, a weight, alone or with a threshold, on the plain logistic regression), they must have the
  formulas' value (``_THRESHOLD_SLACK``); on other scores (SMOTE's, another model's) only step 3's named slips
  are. Step 2's slips inside the rule (a calibrator fitted on its frozen model's own rows, or on other rows)
  are detected as q2 detects them.
- ``q7``: which calibrator suits a small calibration set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numbers

import numpy as np

from ..checks import (DEFAULT_SEED, Choice, EstimatorSpec, Exercise, FunctionCases, HeldoutScore, Mistake, Number, Result,
                      Status, incorrect, percentage_mistake)
from ..data import make_imbalanced
from ..pipeline_checks import class_weights

exercise = Exercise("ex08", "Exercise 08 - from scores to decisions")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 08 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "ROC-AUC rises by more than 0.05: the weighted model finds the positives better",
            "b": "ROC-AUC moves by less than 0.01",
            "c": "ROC-AUC falls by more than 0.05: the inflated risks blur the ranking",
        },
        correct="b",
        explanations={
            "a": "The weights raise every risk, positives and negatives alike. Run the next cells.",
            "b": "Run the next cells to measure it, on paired folds, and to see what AP, which weighs the top of "
            "the ranking, says.",
            "c": "Inflated risks are still in nearly the same order. Run the next cells.",
        },
    ),
    hints=["ROC-AUC depends only on the order of the cases. Do weights change the order much, or the level?"],
    solution='my_prediction = "b"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "it rises: the corrected risks separate the classes better",
            "b": "it stays exactly the same: the correction keeps the order of the cases",
            "c": "it falls: shrinking the risks squeezes the positives together with the negatives",
        },
        correct="b",
        explanations={
            "a": "The correction multiplies every case's odds by the same number. Run the next cell.",
            "b": "Run the next cell: it compares the two ROC-AUCs exactly.",
            "c": "Multiplying every odds by the same positive number keeps their order. Run the next cell.",
        },
    ),
    hints=["The correction multiplies every case's odds by one and the same positive number."],
    solution='my_prediction = "b"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "1/10 = 0.100, one over the weight",
            "b": "1/11 \u2248 0.091, one over one plus the weight",
            "c": "10/11 \u2248 0.909, the weight over one plus the weight",
            "d": "0.5, the same threshold as the weighted model",
        },
        correct="b",
        explanations={
            "a": "Close: the weight multiplies the odds by 10, and odds x 10 > 1 means odds > 1/10, a probability "
            "of 1/11. Run the next cells.",
            "b": "Run the next cells to see where the two rules agree, and where they do not.",
            "c": "That would flag only near-certain cases; the weight makes the model flag *more*. Run the next cells.",
            "d": "The weight already moved the weighted model's risks up; the plain model needs a lower threshold "
            "to flag the same cases. Run the next cells.",
        },
    ),
    hints=["A weight w multiplies the odds by w. The weighted model flags when its odds exceed 1."],
    solution='my_prediction = "b"',
)

p4 = exercise.prompt(
    "p4",
    Choice(
        options={
            "a": "about 0.62: the 20 checks, not the model, cap how many frauds can be found",
            "b": "1.0: a good enough model puts every fraud in its top 20",
            "c": "0.02: 20 checks out of 1,000 transactions",
        },
        correct="a",
        explanations={
            "a": "Run the next cell to see how close the model gets to that ceiling.",
            "b": "Even a perfect ranking fills only 20 checks, and there are about 32 frauds. Run the next cell.",
            "c": "Recall counts the frauds found among all frauds, not the share of transactions checked. Run the next cell.",
        },
    ),
    hints=["Recall = frauds found / frauds that day. How many frauds can 20 checks find at most?"],
    solution='my_prediction = "a"',
)

# --------------------------------------------------------------------------- #
# The exercise's problem. The settings must match the given code of the solution notebook.
# --------------------------------------------------------------------------- #

_PROBLEM = {"imbalance_ratio": 24, "class_sep": 1.0, "random_state": 21}
_N_TRAIN, _N_HELDOUT = 4000, 40_000
_C_FN, _C_FP = 8, 2
_K, _DAY = 25, {"n_samples": 1000, "draw": 7}
# q2's bar: calibrated repairs of the SMOTE pipeline score 0.028-0.030 on fresh draws, the unrepaired
# pipeline about 0.11, and predicting the prevalence for every case 0.04 x 0.96 = 0.038.
_MAX_BRIER, _MEAN_RATIO = 0.032, (0.8, 1.25)
# q6's bar: rules that follow the costs save 0.29-0.37 of the cost on fresh draws; the plain model at 0.5
# saves about 0.25, and thresholds applied to the unrepaired SMOTE risks lose money (negative shares).
_MIN_SAVED = 0.27


@cache
def _heldout(seed: int):
    """Fresh draws from the exercise's problem: the learner's models have never seen them."""
    return make_imbalanced(n_samples=_N_HELDOUT, draw=1000 + int(seed), **_PROBLEM)


@cache
def _train_data():
    """The given training rows (the same call as the notebook's given code)."""
    return make_imbalanced(n_samples=_N_TRAIN, **_PROBLEM)


@cache
def _day_data():
    return make_imbalanced(**_DAY, **_PROBLEM)


def _refit_predictions(model, X, y, X_probe, method: str):
    """``model`` cloned, refitted on ``(X, y)``, asked for ``method`` on ``X_probe`` (positive column), as a list."""
    import warnings

    from sklearn.base import clone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refit = clone(model).fit(X, y)
        out = np.asarray(getattr(refit, method)(X_probe), dtype=float)
    return (out[:, 1] if out.ndim == 2 else out).tolist()


@cache
def _day_scores():
    """The given day's labels, and the scores of the given SMOTE pipeline on it (refitted here: deterministic)."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X_train, y_train = make_imbalanced(n_samples=_N_TRAIN, **_PROBLEM)
    model = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    X_day, y_day = make_imbalanced(**_DAY, **_PROBLEM)
    return model.predict_proba(X_day)[:, 1], y_day


def _top_k_counts():
    scores, y_day = _day_scores()
    flagged = np.argsort(-scores, kind="stable")[:_K]
    hits = int(y_day[flagged].sum())
    return hits, int(y_day.sum())


def _precision_at_k() -> float:
    hits, _ = _top_k_counts()
    return hits / _K


def _recall_at_k() -> float:
    hits, positives = _top_k_counts()
    return hits / positives


# --------------------------------------------------------------------------- #
# q1: prior correction, on probe inputs
# --------------------------------------------------------------------------- #

_GRID = np.array([0.001, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999])


def _prior_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng([8, int(seed)])
    return [
        {"proba": _GRID.copy(), "train_prevalence": 0.5, "true_prevalence": 0.04},
        {"proba": _GRID.copy(), "train_prevalence": 0.2, "true_prevalence": 0.05},
        {"proba": _GRID.copy(), "train_prevalence": 0.01, "true_prevalence": 0.1},
        {"proba": np.array([0.0, 0.25, 0.6]), "train_prevalence": 0.3, "true_prevalence": 0.3},
        {"proba": np.array([0.0, 0.05, 0.5]), "train_prevalence": 0.5, "true_prevalence": 0.02},
        {"proba": rng.uniform(0.01, 0.99, size=12).round(4), "train_prevalence": round(float(rng.uniform(0.3, 0.6)), 3),
         "true_prevalence": round(float(rng.uniform(0.01, 0.1)), 3)},
    ]


def _corrected(proba, train_prevalence, true_prevalence):
    proba = np.asarray(proba, dtype=float)
    ratio = (true_prevalence / (1 - true_prevalence)) / (train_prevalence / (1 - train_prevalence))
    return ratio * proba / (ratio * proba + 1 - proba)


def _wrong_formulas(proba, pi_s, pi):
    """The usual mistakes, each as the output it would give on this case."""
    odds = proba / np.where(proba < 1, 1 - proba, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return [
            ("swapped-prevalences", _corrected(proba, pi, pi_s), "You swapped the two prevalences: the ratio is the *true* prior odds over "
             "the *training* prior odds, so that a model trained on balanced data has its risks lowered."),
            ("probability-ratio", proba * pi / pi_s, "You multiplied the probabilities by the ratio of the prevalences. Multiply the "
             "**odds** p / (1 - p) instead, then turn them back into a probability: odds / (1 + odds)."),
            ("prevalence-ratio", odds * pi / pi_s / (1 + odds * pi / pi_s), "The ratio must be of the prior **odds**: "
             "[pi / (1 - pi)] / [pi_s / (1 - pi_s)], not pi / pi_s."),
            ("returns-odds", odds * (pi / (1 - pi)) / (pi_s / (1 - pi_s)), "Your function returns the corrected **odds**. Turn "
             "them back into probabilities: p = odds / (1 + odds)."),
            ("unchanged", proba, "Your function returns the probabilities unchanged, although the two prevalences differ."),
        ]


def _judge_prior_case(case: dict, output) -> str | tuple[str, str] | None:
    proba = np.asarray(case["proba"], dtype=float)
    pi_s, pi = case["train_prevalence"], case["true_prevalence"]
    described = f"proba={np.round(proba, 3).tolist()}, train_prevalence={pi_s}, true_prevalence={pi}"
    if isinstance(output, dict) and "array" in output:
        answer = np.asarray(output["array"], dtype=float)
    elif isinstance(output, (int, float)):
        answer = np.asarray([float(output)])
    else:
        return ("Your function must return the corrected probabilities as an array, one per input probability "
                f"(for {described} it returned something else).")
    if answer.shape != proba.shape:
        return (f"For {described} your function returned {answer.size} value(s) of shape {tuple(answer.shape)}; "
                f"expected one corrected probability per input, shape {proba.shape}.")
    expected = _corrected(proba, pi_s, pi)
    if np.allclose(answer, expected, rtol=1e-6, atol=1e-12):
        return None
    if np.isnan(answer).any():
        return f"For {described} your function returned NaN: check the computation for probabilities such as 0."
    if pi == pi_s:
        return (f"With equal prevalences ({described}) nothing changed between training and deployment, so the "
                "probabilities must come back unchanged.", "equal-prevalences")
    for mistake, wrong, message in _wrong_formulas(proba, pi_s, pi):
        if np.allclose(answer, wrong, rtol=1e-6, atol=1e-12):
            return message + f" (Seen for {described}.)", mistake
    return f"For {described} your function returned {np.round(answer, 4).tolist()}, expected {np.round(expected, 4).tolist()}."


q1 = exercise.question(
    "q1",
    (
        "prior_correct",
        FunctionCases(make_cases=_prior_cases, judge_case=_judge_prior_case),
    ),
    points=2,
    hints=[
        "Turn each probability into odds, p / (1 - p); multiply by the ratio of the prior odds, "
        "[pi / (1 - pi)] / [pi_s / (1 - pi_s)], with pi the true prevalence and pi_s the training one.",
        "Then back to a probability: odds / (1 + odds). Work on NumPy arrays, so the whole array is done at once.",
    ],
    solution=(
        "def prior_correct(proba, train_prevalence, true_prevalence):\n"
        '    """Correct probabilities learned at `train_prevalence` for the `true_prevalence`."""\n'
        "    odds = proba / (1 - proba)\n"
        "    ratio = (true_prevalence / (1 - true_prevalence)) / (train_prevalence / (1 - train_prevalence))\n"
        "    return odds * ratio / (1 + odds * ratio)"
    ),
)

# --------------------------------------------------------------------------- #
# q2: repaired probabilities, on fresh data
# --------------------------------------------------------------------------- #


def _chain(d: dict | None) -> list:
    """A description and those of the estimators it wraps, outermost first."""
    out = []
    while d is not None and len(out) < 6:
        out.append(d)
        d = d.get("inner")
    return out


def _has_sampler(d: dict) -> bool:
    return any(step.get("is_sampler") for x in _chain(d) for step in x.get("steps") or [])


def _short_class(d: dict) -> str:
    return str(d.get("class", "")).rsplit(".", 1)[-1]


_N_PROBE = 2000  # held-out rows on which a refit is compared with the learner's fitted model


def _in_sample_evidence(value, seed: int) -> dict | None:
    """For a calibrator wrapped around a frozen model: the frozen model and the calibrator, each recomputed on the
    training rows, and the calibrator itself, on held-out rows. Equal to the learner's on both counts proves the
    calibrator learned on the rows the model was fitted on (``_calibrated_in_sample``; q2 and q6 share it)."""
    import warnings

    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    frozen = value.get_params(deep=False).get("estimator") if hasattr(value, "get_params") else None
    if not (isinstance(value, CalibratedClassifierCV) and isinstance(frozen, FrozenEstimator)):
        return None
    inner = frozen.estimator
    X_train, y_train = _train_data()
    X_probe = _heldout(seed)[0][:_N_PROBE]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = np.asarray(inner.predict_proba(X_probe), dtype=float)[:, 1].tolist()
        recalibrated = CalibratedClassifierCV(FrozenEstimator(inner), method=value.method).fit(X_train, y_train)
        calibrated_on_train = recalibrated.predict_proba(X_probe)[:, 1].tolist()
        calibrated = np.asarray(value.predict_proba(X_probe), dtype=float)[:, 1].tolist()
    return {"model": model, "model_refit": _refit_predictions(inner, X_train, y_train, X_probe, "predict_proba"),
            "calibrated": calibrated, "calibrated_on_train": calibrated_on_train}


def _calibrated_in_sample(evidence: dict | None) -> bool:
    """The frozen model was fitted on the training rows, and the calibrator learned on them too."""
    return bool(evidence) and _close_lists(evidence["model"], evidence["model_refit"]) and _close_lists(
        evidence["calibrated"], evidence["calibrated_on_train"])


_IN_SAMPLE_WHY = ("learned on `X_train, y_train`, the very rows the frozen model was fitted on. On those rows the "
                  "model's scores are better than on new data, so the map it learns is too confident.")
_IN_SAMPLE_FIX = ("Calibrate on rows the model was not fitted on: let `CalibratedClassifierCV` cross-fit with internal "
                  "folds (`cv=...`, without `FrozenEstimator`), or hold rows out *before* fitting the model.")


_PARTITION_CV = ("KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold")


def _calibration_rows(value) -> dict | None:
    """The rows a cross-fitting calibrator was fitted on, read from its fitted pipelines' first scalers: with folds
    that partition the rows, each row is in k - 1 training folds, so the scalers' counts sum to n (k - 1) and their
    weighted means average to the rows' mean (one pipeline on all rows when ``ensemble=False``). None when that
    cannot be read (no scaler first, a frozen model, other splitters)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    if not isinstance(value, CalibratedClassifierCV) or isinstance(value.estimator, FrozenEstimator):
        return None
    cv = value.cv
    if not (cv is None or isinstance(cv, numbers.Integral) or type(cv).__name__ in _PARTITION_CV):
        return None
    scalers = []
    for calibrated in getattr(value, "calibrated_classifiers_", []):
        steps = getattr(calibrated.estimator, "steps", None)
        first = steps[0][1] if steps else None
        if getattr(first, "mean_", None) is None or np.ndim(getattr(first, "n_samples_seen_", None)) != 0:
            return None
        scalers.append(first)
    if not scalers:
        return None
    counts = np.array([float(s.n_samples_seen_) for s in scalers])
    means = np.array([np.asarray(s.mean_, dtype=float) for s in scalers])
    k = len(scalers)
    n = counts[0] if k == 1 else counts.sum() / (k - 1)
    X_train, _ = _train_data()
    mean = (counts[:, None] * means).sum(axis=0) / counts.sum()
    same = bool(np.isclose(n, _N_TRAIN)) and mean.shape == (X_train.shape[1],) and bool(
        np.allclose(mean, X_train.mean(axis=0), rtol=1e-7, atol=1e-9))
    return {"n": int(round(n)), "same_rows": same}


def _close_lists(a, b) -> bool:
    return a is not None and b is not None and len(a) == len(b) and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


@dataclass
class _FreshCalibration(HeldoutScore):
    """Predicted probabilities on fresh data, judged by their Brier score and their mean against the prevalence;
    a calibrator fitted on the rows its frozen model was fitted on is refused from the fitted object itself."""

    def extract(self, value, seed=DEFAULT_SEED):
        data = super().extract(value, seed)
        try:
            data["in_sample"] = _in_sample_evidence(value, seed)
        except Exception:  # a model the recomputation cannot rebuild: judged by its probabilities alone
            data["in_sample"] = None
        try:
            data["method"] = str(getattr(value, "method", "")) or None
            data["rows"] = _calibration_rows(value)
        except Exception:  # judged by its probabilities alone
            data["method"], data["rows"] = None, None
        return data

    def judge(self, data, seed=DEFAULT_SEED):
        if self.spec is not None:
            self.spec.judge(data["estimator"], seed)
        _, y = self.make_heldout(seed)
        proba = np.asarray(data["output"], dtype=float)
        if proba.shape != (len(y),):
            raise incorrect("Your model returned the wrong number of probabilities.")
        if _calibrated_in_sample(data.get("in_sample")):
            return Result(Status.INCORRECT, mistake="in-sample",
                          message=f"Your calibrator {_IN_SAMPLE_WHY} {_IN_SAMPLE_FIX}")
        brier = float(np.mean((proba - y) ** 2))
        prevalence, mean = float(np.mean(y)), float(np.mean(proba))
        ratio = mean / prevalence
        measured = (f"On fresh data: Brier score {brier:.4f} (needed at most {_MAX_BRIER}), mean risk {mean:.3f} "
                    f"for a prevalence of {prevalence:.3f} ({ratio:.2f} x).")
        if ratio > 2:
            if data.get("method") == "temperature":
                return Result(Status.INCORRECT, mistake="temperature", message=measured + " The risks are still "
                              "inflated. Your calibrator uses the temperature method: it divides the model's log-odds "
                              "by one number and has no intercept, so it can sharpen or soften the risks but cannot "
                              "lower them all, and SMOTE raised them all. Use the method with two parameters, a slope "
                              "and an intercept, that lesson 08 recommends for few positives.")
            return Result(Status.INCORRECT, mistake="inflated", message=measured + " The risks are still inflated: the SMOTE model's probabilities "
                          "were not repaired. Calibrate them with cross-validation on rows in their true proportions "
                          "(the training rows, not resampled).")
        if data.get("method") == "isotonic":
            return Result(Status.INCORRECT, mistake="isotonic", message=(
                "Your calibrator uses the isotonic method. Each calibration fold holds only about 32 positives here: "
                "a free-form step function follows their noise. The step asks for the method lesson 08 recommends "
                "for so few positives, the one with two parameters."))
        rows = data.get("rows")
        if rows is not None and not rows["same_rows"]:
            return Result(Status.INCORRECT, mistake="other-rows", message=(
                f"Your calibrator was fitted on {rows['n']:,} rows" + (" other than" if rows["n"] == _N_TRAIN else
                ", not on all") + " the 4,000 of `X_train` (its pipelines' scalers saw them). Fit it on all of "
                "`X_train, y_train`: its internal folds already keep the calibration rows apart."))
        if brier <= _MAX_BRIER and _MEAN_RATIO[0] <= ratio <= _MEAN_RATIO[1]:
            return Result(Status.CORRECT, measured)
        if ratio < _MEAN_RATIO[0]:
            return Result(Status.INCORRECT, mistake="too-low", message=measured + " Your risks are now too *low*: was the correction applied twice, "
                          "or to probabilities that were already calibrated?")
        return Result(Status.INCORRECT, measured + " Calibrate with `CalibratedClassifierCV` on rows the model was "
                      "not fitted on (`cv=5`, or a held-out split with `FrozenEstimator`); with few positives prefer "
                      "`method=\"sigmoid\"`.")


_repair_spec = EstimatorSpec(
    requirements=[
        (lambda d: d["is_classifier"], "Pass a classifier with `predict_proba`: the repaired model."),
        (_has_sampler, lambda d: f"Your `{_short_class(d)}` contains no SMOTE step. The step repairs `smote_model`'s "
         "probabilities: wrap `smote_model` (or the same pipeline) in `CalibratedClassifierCV`, rather than replacing it "
         "with another model."),
    ],
    must_be_fitted=True,
)

q2 = exercise.question(
    "q2",
    (
        "repaired",
        _FreshCalibration(
            make_heldout=_heldout,
            metric=lambda y, p: 0.0,  # unused: judge() computes the Brier score and the mean risk itself
            minimum=0.0,
            response="predict_proba",
            metric_name="Brier score",
            spec=_repair_spec,
        ),
    ),
    points=2,
    hints=[
        "`CalibratedClassifierCV` learns the map from the pipeline's scores to risks, on rows the pipeline was "
        "not fitted on: `cv=5` does that with internal folds.",
        "Give `CalibratedClassifierCV` the SMOTE pipeline, internal folds (`cv=...`) and the method lesson 08 "
        "recommends when each calibration fold holds only a few dozen positives; fit it on the original training "
        "data, not resampled.",
    ],
    solution='repaired = CalibratedClassifierCV(smote_model, method="sigmoid", cv=5).fit(X_train, y_train)',
)

# --------------------------------------------------------------------------- #
# q3: from costs to a threshold and a weight
# --------------------------------------------------------------------------- #

q3 = exercise.question(
    "q3",
    {
        "threshold": Number(
            expected=_C_FP / (_C_FP + _C_FN),
            mistakes=[
                Mistake("cost-ratio", _C_FP / _C_FN, "That is C_FP / C_FN. Compare the two expected costs instead: flagging costs "
                 "C_FP x (1 - p), not flagging costs C_FN x p; flag when the second is larger, and solve for p."),
                Mistake("unit-false-alarm", 1 / (1 + _C_FN), "That is 1 / (1 + C_FN), which assumes a false alarm costs 1. Here it costs C_FP = "
                 f"{_C_FP}: put both costs into the formula."),
                Mistake("inverted", _C_FN / (_C_FP + _C_FN), "That is the other way round: a miss is the expensive mistake, so the "
                 "threshold must be low, to flag more cases."),
                Mistake("default-threshold", 0.5, "0.5 is right only when both mistakes cost the same."),
                Mistake("not-a-probability", lambda v: 1 < v <= 100, "Give the threshold as a probability between 0 and 1."),
            ],
        ),
        "positive_weight": Number(
            expected=_C_FN / _C_FP,
            mistakes=[
                Mistake("inverted", _C_FP / _C_FN, "That is C_FP / C_FN: the positives must weigh *more*, since missing one costs more."),
                Mistake("cost-not-ratio", float(_C_FN), "That is C_FN alone. The weight is relative to the negatives' weight: C_FN / C_FP."),
                Mistake("probability-not-weight", _C_FN / (_C_FP + _C_FN), "That is a probability, not a weight: the weight is C_FN / C_FP."),
            ],
        ),
    },
    points=1,
    hints=[
        "Threshold: flag a case of probability p when C_FN x p > C_FP x (1 - p). Solve for p.",
        "Weight: a weight w on the positives multiplies the odds by w; the weighted model flags when odds x w > 1. "
        "Which w gives the same threshold?",
    ],
    solution="threshold = C_FP / (C_FP + C_FN)\npositive_weight = C_FN / C_FP",
)

# --------------------------------------------------------------------------- #
# q4: an alert policy under a budget
# --------------------------------------------------------------------------- #


def _alert_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng([84, int(seed)])
    return [
        {"risk": rng.uniform(size=40).round(6), "k": 5},
        {"risk": np.array([0.9, 0.2, 0.5, 0.5, 0.5, 0.1, 0.7]), "k": 3},  # ties at the k-th place
        {"risk": np.array([0.3, 0.1, 0.2]), "k": 0},
        {"risk": np.array([0.3, 0.1, 0.2]), "k": 10},  # a budget larger than the day
        {"risk": rng.beta(0.5, 8, size=200).round(6), "k": 17},
    ]


def _judge_alert_case(case: dict, output) -> str | tuple[str, str] | None:
    risk, k = np.asarray(case["risk"], dtype=float), int(case["k"])
    n, want = len(risk), min(int(case["k"]), len(risk))
    described = f"{n} cases and k={k}"
    if not (isinstance(output, dict) and "array" in output):
        return (f"For {described} your function returned {type(output).__name__}: return one 0/1 (or True/False) "
                "value per case, 1 for the cases to check.")
    flags = np.asarray(output["array"], dtype=float).ravel()
    if flags.shape != (n,):
        if flags.size == want and want and set(np.unique(flags)) <= set(range(n)) and len(np.unique(flags)) == want:
            return ("Your function returns the *positions* of the cases to check. Return a mask instead: one 0/1 "
                    "value per case, 1 for the k cases with the highest risk.", "positions")
        return f"For {described} your function returned {flags.size} values; expected one per case ({n})."
    if not set(np.unique(flags)) <= {0.0, 1.0}:
        return f"For {described} your function returned values other than 0 and 1: flag with 1 (or True), else 0.", "not-flags"
    chosen = flags == 1
    count = int(chosen.sum())
    if count != want:
        if count > want and want and np.sum(risk >= np.sort(risk)[::-1][want - 1]) == count:
            return (f"For {described} your function flagged {count} cases: ties at the k-th highest risk let a "
                    "threshold (`risk >= kth value`) flag more than k. Rank the cases instead and take exactly k, "
                    "for example with `np.argsort`.", "ties-flag-more")
        if k > n:
            return f"For {described} your function flagged {count} cases: with more checks than cases, flag them all."
        return f"For {described} your function flagged {count} cases; the budget is exactly {want}."
    if want and chosen.any() and (~chosen).any() and risk[chosen].min() < risk[~chosen].max():
        if np.allclose(np.sort(risk[chosen]), np.sort(risk)[:want]):
            return (f"For {described} your function flagged the *lowest* risks: sort in decreasing order "
                    "(`np.argsort(-risk)`).", "lowest")
        return f"For {described} a case you did not flag has a higher risk than one you flagged: flag the k highest."
    return None


def _explain_alert_error(case: dict, error: str) -> str | None:
    n, k = len(case["risk"]), int(case["k"])
    if k > n:
        return (f"Your function raised an error for {n} cases and k={k}, a budget larger than the day "
                f"({error.split(':')[0]}). With more checks than cases, flag every case: cap k at the number of cases, "
                "or select with slicing, which is safe beyond the end.")
    if k == 0:
        return (f"Your function raised an error for k=0 ({error.split(':')[0]}): with no budget, flag no case.")
    return None


q4 = exercise.question(
    "q4",
    (
        "top_k_alerts",
        FunctionCases(make_cases=_alert_cases, judge_case=_judge_alert_case, explain_error=_explain_alert_error),
    ),
    points=2,
    hints=[
        "`np.argsort(-risk)` lists the positions from the highest risk to the lowest; keep the first k.",
        "Start from an array of zeros, one per case, and set the positions of the first k cases of that order to "
        "1. Slicing beyond the end of an array is safe, so k larger than the day needs no special case.",
    ],
    solution=(
        "def top_k_alerts(risk, k):\n"
        '    """1 for the k cases with the highest risk (all of them if there are fewer), 0 for the others."""\n'
        "    order = np.argsort(-np.asarray(risk), kind=\"stable\")\n"
        "    flags = np.zeros(len(risk), dtype=int)\n"
        "    flags[order[:k]] = 1\n"
        "    return flags"
    ),
)

# --------------------------------------------------------------------------- #
# q5: precision and recall that follow from the budget
# --------------------------------------------------------------------------- #


def _day_policy(policy: str) -> tuple[float, float]:
    """Precision and recall of realistic other policies on the day: k + 1 or k - 1 cases, the k lowest, or the
    threshold 0.5."""
    scores, y_day = _day_scores()
    if policy == "threshold":
        flagged = scores >= 0.5
    else:
        order = np.argsort(scores if policy == "lowest" else -scores, kind="stable")
        flagged = np.zeros(len(scores), dtype=bool)
        flagged[order[: {"k_plus_one": _K + 1, "k_minus_one": _K - 1}.get(policy, _K)]] = True
    hits = int(y_day[flagged].sum())
    return hits / max(int(flagged.sum()), 1), hits / int(y_day.sum())


def _policy_mistakes(which: int, name: str) -> list:
    """Mistakes shared by both parts (``which``: 0 for precision, 1 for recall)."""
    # Only values that prove the policy: a recall is found / positives for any policy that finds as many frauds
    # (K + 1 cases may find as many as another model's K), so K + 1 is named from the precision alone, and a
    # recall is named "threshold 0.5" only because no K-case policy can reach it. Zero (the K lowest) proves nothing.
    right = _precision_at_k if which == 0 else _recall_at_k
    return [
        Mistake("threshold-not-top-k", lambda: _day_policy("threshold")[which],
                f"That is the {name} of flagging every case with probability 0.5 or more. The budget decides: flag "
                "exactly the K highest-ranked cases, with your `top_k_alerts`."),
        *([Mistake("k-plus-one", lambda: _day_policy("k_plus_one")[0],
                   "That is the precision of K + 1 flagged cases: flag exactly K."),
           Mistake("k-minus-one", lambda: _day_policy("k_minus_one")[0],
                   "That is the precision of K - 1 flagged cases: flag exactly K.")] if which == 0 else []),
        # The recall of K - 1 cases is not proof of them (another ranking may find as many frauds), but it is
        # declared so that a value it shares with another slip (here 16 / 40 = 0.4, also 0.425 rounded) is
        # reported as ambiguous rather than as that slip alone.
        *([Mistake("k-minus-one", lambda: _day_policy("k_minus_one")[1],
                   "That is the recall of K - 1 flagged cases (or of a ranking that finds as few frauds): flag exactly "
                   "the K highest-ranked cases.")] if which == 1 else []),
        percentage_mistake(right),
    ]


def _day_recall_ceiling() -> float:
    _, positives = _top_k_counts()
    return min(_K / positives, 1.0)


q5 = exercise.question(
    "q5",
    {
        "precision_at_k": Number(
            expected=_precision_at_k,
            mistakes=[
                Mistake("recall-not-precision", _recall_at_k, "That is the recall: precision divides the frauds found by the k cases checked."),
                Mistake("divided-by-day", lambda: _precision_at_k() * _K / _DAY["n_samples"],
                        "You divided by all the cases of the day; precision divides by the k cases checked."),
                *_policy_mistakes(0, "precision"),
            ],
        ),
        "recall_at_k": Number(
            expected=_recall_at_k,
            mistakes=[
                Mistake("precision-not-recall", _precision_at_k, "That is the precision: recall divides the frauds found by all frauds of the day."),
                Mistake("recall-ceiling", _day_recall_ceiling, "That is k / frauds, the most any model could reach. Count the frauds your "
                 "flagged cases actually hold."),
                *_policy_mistakes(1, "recall"),
            ],
        ),
    },
    points=1,
    hints=[
        "`flags = top_k_alerts(smote_model.predict_proba(X_day)[:, 1], K)`; then the frauds found are "
        "`y_day[flags == 1].sum()`.",
        "precision = found / K; recall = found / y_day.sum().",
    ],
    solution=(
        "day_flags = top_k_alerts(smote_model.predict_proba(X_day)[:, 1], K)\n"
        "found = y_day[day_flags == 1].sum()\n"
        "precision_at_k = found / K\n"
        "recall_at_k = found / y_day.sum()"
    ),
)

# --------------------------------------------------------------------------- #
# q6: a decision rule, scored by its cost on data the learner never sees
# --------------------------------------------------------------------------- #


def _share_saved(y_true, y_pred) -> float:
    """1 - cost of the decisions / cost of flagging nobody (every positive missed)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred) >= 0.5
    cost = _C_FN * np.sum((y_true == 1) & ~y_pred) + _C_FP * np.sum((y_true == 0) & y_pred)
    return float(1 - cost / (_C_FN * np.sum(y_true == 1)))


@cache
def _reference_rule():
    """The cost rule for calibrated probabilities: the plain scaled logistic regression at C_FP / (C_FP + C_FN)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import FixedThresholdClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return FixedThresholdClassifier(model, threshold=_C_FP / (_C_FP + _C_FN)).fit(*_train_data())


@cache
def _reference_saved(seed: int) -> float:
    X, y = _heldout(seed)
    return _share_saved(y, _reference_rule().predict(X))


def _q3_threshold_slip(threshold: float):
    """The mistake of q3 a threshold is, if any (the right threshold is not a slip)."""
    if np.isclose(threshold, _C_FP / (_C_FP + _C_FN), rtol=1e-3):
        return None
    return next((m for m in q3.parts["threshold"].all_mistakes()
                 if m.id != "rounded" and not callable(m.match) and np.isclose(threshold, float(m.match), rtol=1e-3)), None)


def _final_params(d: dict) -> dict:
    """Parameters of the estimator at the bottom of the chain (the last step of the innermost pipeline)."""
    last = _chain(d)[-1]
    return last["steps"][-1]["params"] if last.get("steps") else last.get("params", {})


def _weight_ratio(weight):
    """A ``class_weight`` as the positives' weight over the negatives' ("balanced" kept; None when there is none or
    it cannot be read). Read by :func:`course_utils.pipeline_checks.class_weights` (a left-out class weighs 1)."""
    if weight == "balanced":
        return "balanced"
    weights = class_weights(weight) if isinstance(weight, dict) else None
    if not isinstance(weights, dict) or weights[0] == 0:
        return None
    return weights[1] / weights[0]


def _positive_weight(d: dict):
    return _weight_ratio(_final_params(d).get("class_weight"))


def _wrapper(d: dict, name: str) -> dict | None:
    return next((x for x in _chain(d) if _short_class(x) == name), None)


# The threshold and the weight the step's formulas fix, and the slack around them. Both are judged on one scale:
# the threshold on the calibrated probability of the positive class that the rule amounts to by step 3's formulas
# (a weight w multiplies the odds by w, so at the threshold t the weighted model flags when the unweighted odds
# exceed odds(t) / w). The slack, 0.005 on that scale, admits every rounding a learner types (0.2; 0.8 with
# `pos_label=0`; -1.39 or -1.4 on the log-odds; a weight of 3.9 or 4.1), and stays far from every other value the
# lesson and step 3 name (thresholds 1/9, 0.15, 1/6, 0.25, 0.5; weights 0.25, 0.8, 8). Measured on a fresh draw of
# 40,000 rows, the plain model at 0.195 and at 0.205 decides 0.24 % of the rows differently; at 1/6 or 0.25 instead
# of 0.2 it changes about 0.95 %.
_COST_THRESHOLD = _C_FP / (_C_FP + _C_FN)
_COST_WEIGHT = _C_FN / _C_FP
_THRESHOLD_SLACK = 0.005


def _from_costs(effective: float) -> bool:
    return abs(effective - _COST_THRESHOLD) <= _THRESHOLD_SLACK


def _odds_threshold(p: float, weight: float) -> float:
    """The unweighted probability above which a model weighted by ``weight`` has a probability above ``p``."""
    if p <= 0 or p >= 1:
        return float(p)
    odds = p / (1 - p) / weight
    return odds / (1 + odds)


def _scores_of(d: dict | None) -> tuple[str | None, float | None]:
    """What a threshold wrapper's inner model scores (bare, in a pipeline without a sampler, or frozen):
    ("calibrator", None) for a calibrator; ("plain", None) for the plain logistic regression; ("weighted", w) for
    that regression with the class weight w; (None, None) for anything else (a sampler, another model, a search):
    scores whose threshold the formulas do not fix."""
    while d is not None and _short_class(d) == "FrozenEstimator":
        d = d.get("inner")
    if d is None:
        return None, None
    if _short_class(d) == "CalibratedClassifierCV":
        return "calibrator", None
    if d.get("inner") is not None or _has_sampler(d):
        return None, None
    final = d["steps"][-1] if d.get("steps") else d
    if _short_class(final) == "CalibratedClassifierCV":
        return "calibrator", None
    if _short_class(final) != "LogisticRegression":
        return None, None
    weight = _weight_ratio(final.get("params", {}).get("class_weight"))
    if final.get("params", {}).get("class_weight") is None or weight == 1.0:
        return "plain", None
    return ("weighted", weight) if isinstance(weight, float) and weight > 0 else (None, None)


def _threshold_reading(fixed: dict) -> dict | None:
    """A ``FixedThresholdClassifier``'s threshold read as step 3 reads one: the probability of the positive class
    above which it flags a case (``pos_label`` and ``response_method`` taken into account), on which scores."""
    from scipy.special import expit

    params = fixed.get("params", {})
    t, pos, method = params.get("threshold", "auto"), params.get("pos_label"), params.get("response_method", "auto")
    scores, weight = _scores_of(fixed.get("inner"))
    if pos not in (None, 0, 1) or method not in ("auto", "predict_proba", "decision_function"):
        return None
    if method == "auto":  # every model whose scores are read here has predict_proba, tried first
        method = "predict_proba"
    if t == "auto":
        t = 0.5 if method == "predict_proba" else 0.0
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not np.isfinite(t):
        return None
    t, positive = float(t), pos != 0
    if method == "predict_proba":
        p = t if positive else 1 - t
    elif scores in ("plain", "weighted"):
        p = float(expit(t if positive else -t))  # a logistic regression's decision function is its log-odds
    else:
        return None
    effective = _odds_threshold(p, weight) if scores == "weighted" else p
    if positive and method == "predict_proba":
        said = f"Your rule's threshold is {t:.4g}"
    elif method == "predict_proba":
        said = (f"Your rule's threshold {t:.4g} applies to the probability of class 0 (`pos_label=0`), so it flags a "
                f"case when its probability of being positive is above {p:.4g}")
    else:
        said = (f"Your rule's threshold {t:.4g} applies to the log-odds (`response_method=\"decision_function\"`"
                + ("" if positive else ", `pos_label=0`") + f"), so it flags a case when its probability is above {p:.4g}")
    return {"threshold": t, "p": p, "effective": effective, "method": method, "positive": positive,
            "scores": scores, "weight": weight, "said": said}


def _how_to_write(reading: dict) -> str:
    """Step 3's threshold written the way the learner's rule reads its threshold."""
    from scipy.special import logit

    c = _COST_THRESHOLD
    if reading["method"] == "decision_function":
        value = float(logit(c)) if reading["positive"] else -float(logit(c))
        return (f"on the log-odds, that is {'' if reading['positive'] else 'minus '}log({c:g} / {1 - c:g}) "
                f"= {value:.3f}")
    if not reading["positive"]:
        return f"on the probability of class 0, that is 1 - {c:g} = {1 - c:g}"
    return f"that is {c:g}"


def _threshold_slip(reading: dict | None) -> tuple[str, str] | None:
    """The slip a threshold rule proves, judged from its parameters when the formulas fix them."""
    if reading is None:
        return None
    p, scores = reading["p"], reading["scores"]
    calibrated = scores in ("plain", "calibrator")
    if scores == "weighted":
        weight, effective = reading["weight"], reading["effective"]
        if _from_costs(effective):
            return None
        if _from_costs(p) and _from_costs(1 / (1 + weight)):
            return ("costs-twice", f"Your rule counts the costs twice: its model weighs the positives {weight:.4g} times "
                    f"the negatives (step 3's weight) *and* its threshold is step 3's {p:.4g}. Each of the two alone "
                    "moves the decisions as far as the costs ask; together they flag a case from a probability of "
                    f"about {effective:.2g}. Keep one of them: the weight at the threshold 0.5, or the threshold on a "
                    "model without class weights.")
        if abs(p - 0.5) < 1e-9:
            return _weight_slip(weight)
        return ("threshold-not-from-costs", f"{reading['said']}, on a model that weighs the positives {weight:.4g} "
                "times the negatives: by step 3's formulas (a weight w multiplies the odds by w) that flags a case when "
                f"its unweighted probability is above {effective:.3g}, where the costs ask for "
                f"C_FP / (C_FP + C_FN) = {_COST_THRESHOLD:g}. Use step 3's weight at the threshold 0.5, or step 3's "
                "threshold on a model without class weights.")
    if calibrated:
        if _from_costs(p):
            return None
        t = reading["threshold"]
        if reading["method"] == "decision_function" and _from_costs(t):
            return ("threshold-on-log-odds", f"{reading['said']}, not above {t:.4g}: step 3's threshold is a "
                    "probability, and the decision function gives log-odds. Write the threshold "
                    f"{_how_to_write(reading)}, or threshold the probabilities (`response_method=\"predict_proba\"`).")
        if not reading["positive"] and _from_costs(t):
            return ("threshold-pos-label", f"{reading['said']}: the other way round. With `pos_label=0` the threshold "
                    f"applies to the probability of class 0; {_how_to_write(reading)}. Or leave `pos_label` out: "
                    "the positives are class 1.")
    slip = _q3_threshold_slip(p) if reading["method"] == "predict_proba" else None
    if slip is not None:
        return (f"threshold={slip.id}", f"{reading['said']}. " + slip.says(p) + " (Step 3 names this slip too.)")
    if calibrated:
        return ("threshold-not-from-costs", f"{reading['said']}. On calibrated probabilities the costs fix the "
                f"threshold: C_FP / (C_FP + C_FN) = {_COST_THRESHOLD:g} (step 3)"
                + ("" if reading["positive"] and reading["method"] == "predict_proba" else f"; {_how_to_write(reading)}")
                + ". A "
                "threshold chosen another way (by eye, for a budget of alerts, for another metric) is not the one the "
                "costs give, even where it costs about as much on fresh data: near the best threshold the cost "
                "changes little. Use step 3's threshold, or let `TunedThresholdClassifierCV` choose one with a scorer "
                "that counts the costs.")
    return None


def _weight_slip(weight: float) -> tuple[str, str] | None:
    """A class weight on the plain logistic regression at the threshold 0.5, judged against step 3's weight."""
    if not (np.isfinite(weight) and weight > 0):
        return None  # no weight a learner means: the score judges it
    if _from_costs(1 / (1 + weight)):
        return None
    slip = next((m for m in q3.parts["positive_weight"].all_mistakes()
                 if m.id != "rounded" and not callable(m.match) and np.isclose(weight, float(m.match), rtol=1e-3)), None)
    if slip is not None:
        return (f"weight={slip.id}", f"Your model weighs the positives {weight:.4g} times the negatives. "
                + slip.says(weight))
    return ("weight-not-from-costs", f"Your model weighs the positives {weight:.4g} times the negatives. The costs fix "
            f"that weight: C_FN / C_FP = {_COST_WEIGHT:g} (step 3), with the negatives weighing 1 (any scaling of the "
            "two works, only their ratio counts). A weight chosen another way is not the one the costs give, even "
            "where it costs about as much on fresh data: near the best weight the cost changes little.")


def _proven_slip(d: dict) -> tuple[str, str] | None:
    """A slip the fitted rule's own parameters prove: (mistake id, message), or None. A threshold or a weight that
    the step's formulas fix (a threshold on calibrated probabilities, a weight on the plain logistic regression) must
    have the formula's value; on other scores (SMOTE's, another model's) only step 3's named slips are named."""
    chain = _chain(d)
    fixed = _wrapper(d, "FixedThresholdClassifier")
    tuned = _wrapper(d, "TunedThresholdClassifierCV")
    if fixed is not None and (tuned is None or chain.index(fixed) < chain.index(tuned)):
        slip = _threshold_slip(_threshold_reading(fixed))
        if slip is not None:
            return slip
    if tuned is not None:
        scoring = tuned["params"].get("scoring", "balanced_accuracy")
        if scoring is None or isinstance(scoring, str):
            metric = scoring or "balanced_accuracy"
            return ("tuned-ignores-costs", f"Your threshold was tuned for {metric.replace('_', ' ')}, which knows "
                    "nothing of C_FN and C_FP: tune it on a scorer that counts the cost of the decisions (for example "
                    "`make_scorer` around a function of `y_true, y_pred` returning minus the cost).")
    if fixed is None and tuned is None:
        weight = _positive_weight(d)
        if weight == "balanced":
            return ("balanced-weights", "`class_weight=\"balanced\"` weighs the positives by the class balance (about "
                    "24 : 1 here), not by the costs: at the threshold 0.5 such a model flags far too many cases. The "
                    "weight that follows the costs is step 3's `positive_weight`.")
        if isinstance(weight, float):
            searched = any(_short_class(x).endswith("SearchCV") for x in chain)  # a weight tuned: judged by the score
            if _scores_of(d)[0] == "weighted" and not searched:
                return _weight_slip(weight)
            slip = _weight_slip(weight)
            if slip is not None and slip[0].startswith("weight="):
                return slip
    return None


def _find_calibrator(rule):
    """The calibrator inside a fitted rule (under threshold wrappers and ``FrozenEstimator``), or None."""
    from sklearn.calibration import CalibratedClassifierCV

    model = rule
    for _ in range(4):
        if isinstance(model, CalibratedClassifierCV):
            return model
        name = type(model).__name__
        if name in ("FixedThresholdClassifier", "TunedThresholdClassifierCV"):
            model = getattr(model, "estimator_", None)
        elif name == "FrozenEstimator":
            model = getattr(model, "estimator", None)
        else:
            return None
    return None


def _tuned_in_sample(rule) -> bool:
    """A ``TunedThresholdClassifierCV`` that tunes without cross-validation (``cv="prefit"``, or around a
    ``FrozenEstimator``) a model whose scaler saw all of ``X_train``: the rule is fitted on ``X_train``, so its
    threshold was chosen on the model's own training rows (as exercise 05's ``_tuned_in_sample``)."""
    if type(rule).__name__ != "TunedThresholdClassifierCV":
        return False
    model = rule.get_params(deep=False).get("estimator")
    frozen = type(model).__name__ == "FrozenEstimator"
    if not (rule.cv == "prefit" or frozen):
        return False
    rows = _scaler_rows(model.estimator if frozen else model)
    return bool(rows and rows["same_rows"])


def _scaler_rows(rule) -> dict | None:
    """The rows the fitted rule's first scaler saw (a pipeline's first step with ``n_samples_seen_`` and ``mean_``,
    under a threshold wrapper or directly), against the training rows; None when there is no such scaler, or
    when it sits under a cross-fitting calibrator (its copies saw folds)."""
    model = rule
    for _ in range(3):
        if hasattr(model, "steps"):
            break
        inner = getattr(model, "estimator_", None)
        if inner is None:
            return None
        model = inner
    if not hasattr(model, "steps"):
        return None
    first = model.steps[0][1]
    n, mean = getattr(first, "n_samples_seen_", None), getattr(first, "mean_", None)
    if n is None or mean is None or np.ndim(n) != 0:
        return None
    X_train, _ = _train_data()
    same = int(n) == _N_TRAIN and np.shape(mean) == (X_train.shape[1],) and bool(
        np.allclose(mean, X_train.mean(axis=0), rtol=1e-7, atol=1e-9))
    return {"n": int(n), "same_rows": same}


def _scorer_prefers_cost(rule) -> dict | None:
    """For a threshold tuned on a ``make_scorer`` scorer: whether that scorer, signed as the search uses it, rates
    four decision sets on the training labels (nobody, everybody, the positives, the negatives flagged) in the order
    of their cost for this step, costliest highest (the sign slip: a cost scorer without ``greater_is_better=False``)."""
    from sklearn.model_selection import TunedThresholdClassifierCV

    if not isinstance(rule, TunedThresholdClassifierCV):
        return None
    scorer = rule.scoring
    func, sign = getattr(scorer, "_score_func", None), getattr(scorer, "_sign", None)
    if func is None or sign not in (1, -1):
        return None
    _, y = _train_data()
    y = np.asarray(y)
    decisions = [np.zeros_like(y), np.ones_like(y), y.copy(), 1 - y]
    costs = [_C_FN * np.sum((y == 1) & (d == 0)) + _C_FP * np.sum((y == 0) & (d == 1)) for d in decisions]
    scores = [sign * float(func(y, d, **getattr(scorer, "_kwargs", {}))) for d in decisions]
    order_cost, order_score = np.argsort(costs), np.argsort(scores)
    return {"prefers_cost": bool(np.array_equal(order_cost, order_score) and len(set(scores)) == len(scores)),
            "best_threshold": float(getattr(rule, "best_threshold_", float("nan")))}


def _inflated_smote(d: dict) -> bool:
    """A SMOTE pipeline whose probabilities are thresholded without being calibrated first."""
    return _has_sampler(d) and not any(_short_class(x) == "CalibratedClassifierCV" for x in _chain(d))


# q6's bar: fresh draws of 40,000 rows make the share saved noisy (sd about 0.015), so a rule is compared, on
# the same draw, with the cost rule the step's formulas give (the plain model at C_FP / (C_FP + C_FN)). Measured
# on 25 draws: the solution's repair scores 0.017-0.044 below it, other valid repairs up to 0.064 below, rules at
# the default threshold 0.5 0.081-0.130 below. Slips that save about as much (a threshold or weight that the
# formulas fix with another value, q3's wrong thresholds, a threshold tuned for another metric, a calibrator
# fitted on its model's own rows, other fit rows) are refused from the fitted rule itself, not from the score.
_MAX_SHORTFALL = 0.075


@dataclass
class _DecisionRule(HeldoutScore):
    """The rule's decisions on fresh data, compared with the cost rule on the same draw; slips that the fitted rule
    proves (its parameters, or its decisions against the same rule refitted on other rows) are named first."""

    def extract(self, value, seed=DEFAULT_SEED):
        data = super().extract(value, seed)
        try:
            data["cost_sign"] = _scorer_prefers_cost(value)
        except Exception:  # a scorer that cannot be probed: judged by the decisions
            data["cost_sign"] = None
        try:  # step 2's slip inside the rule: probabilities calibrated on the rows their frozen model was fitted on
            data["in_sample"] = _in_sample_evidence(_find_calibrator(value), seed)
        except Exception:  # a calibrator the recomputation cannot rebuild: judged by the decisions
            data["in_sample"] = None
        try:
            data["tuned_in_sample"] = _tuned_in_sample(value)
        except Exception:  # an odd wrapper: judged by the decisions
            data["tuned_in_sample"] = False
        data["refits"] = None
        try:
            X_probe = self.make_heldout(seed)[0][:_N_PROBE]
            X_train, y_train = _train_data()
            refits = {"train": _refit_predictions(value, X_train, y_train, X_probe, "predict")}
            if not np.array_equal(refits["train"], data["output"][:_N_PROBE]):
                # Differs: is the rule deterministic (then the rows differ), and were they the day's rows? Always
                # asked, however long the refits take: a verdict must not depend on how busy the machine is.
                refits["train_again"] = _refit_predictions(value, X_train, y_train, X_probe, "predict")
                refits["day"] = _refit_predictions(value, *_day_data(), X_probe, "predict")
                refits["scaler_rows"] = _scaler_rows(value)
                if refits["scaler_rows"] is None:  # under a cross-fitting calibrator: its pipelines' scalers
                    rows = _calibration_rows(_find_calibrator(value))
                    refits["scaler_rows"] = None if rows is None else {**rows, "by": "calibrator"}
            data["refits"] = refits
        except Exception:  # a rule that cannot be cloned and refitted: judged by its decisions alone
            pass
        return data

    def judge(self, data, seed=DEFAULT_SEED):
        if self.spec is not None:
            self.spec.judge(data["estimator"], seed)
        X, y = self.make_heldout(seed)
        output = np.asarray(data["output"], dtype=float)
        if output.shape != (len(y),):
            raise incorrect("Your model returned the wrong number of predictions.")
        d = data["estimator"]
        slip = _proven_slip(d)
        if slip is not None:
            return Result(Status.INCORRECT, slip[1], mistake=slip[0])
        if _calibrated_in_sample(data.get("in_sample")):
            return Result(Status.INCORRECT, mistake="in-sample", message=(
                f"Your rule thresholds probabilities whose calibrator {_IN_SAMPLE_WHY} Step 3's threshold assumes "
                f"probabilities that are calibrated on new data. {_IN_SAMPLE_FIX}"))
        if data.get("tuned_in_sample"):
            return Result(Status.INCORRECT, mistake="tuned-in-sample", message=(
                "Your threshold was tuned on the rows its model was fitted on: a model fitted on all of `X_train` "
                "(its scaler's row count and means say so), tuned on `X_train` without cross-validation (`cv=\"prefit\"` "
                "or a `FrozenEstimator`). On those rows the model's scores look better than on new data, so the "
                "threshold suits a picture that is too good (lesson and exercise 05). Let `TunedThresholdClassifierCV` "
                "cross-validate a fresh model (its default `cv`), or fit the model on part of `X_train` and tune on "
                "the rest."))
        sign = data.get("cost_sign")
        if sign is not None and sign["prefers_cost"]:
            return Result(Status.INCORRECT, mistake="scorer-sign", message=(
                "Your threshold was tuned on a scorer that rates *costlier* decisions higher: asked to score "
                "flagging nobody, everybody, exactly the positives and exactly the negatives, it ranks them by "
                f"their cost, highest first, so the search picked the threshold {sign['best_threshold']:.3g}. The "
                "search maximises the score: give `make_scorer` `greater_is_better=False` for a cost, or return "
                "minus the cost."))
        refits, mine = data.get("refits") or {}, output[:_N_PROBE].tolist()
        if refits.get("train_again") is not None and refits["train"] != mine and refits["train"] == refits["train_again"]:
            if refits.get("day") == mine:
                return Result(Status.INCORRECT, mistake="day-rows", message=(
                    "Your rule was fitted on the day's 1,000 rows (`X_day, y_day`): refitted on them it makes exactly "
                    "your decisions. Fit it on `X_train, y_train`, the 4,000 training rows."))
            # Other decisions than the plain refit do not prove other rows: fit parameters (a cost-based
            # `sample_weight`) change them too. Only a scaler that saw other rows proves it; else the score judges.
            rows = refits.get("scaler_rows")
            if rows is not None and not rows["same_rows"]:
                return Result(Status.INCORRECT, mistake="other-rows", message=(
                    "Your rule was fitted on other rows: " + ("its calibrator's pipelines saw" if rows.get("by") else
                                                              "its scaler saw") + f" {rows['n']:,} rows"
                    + (" that are not the 4,000 of `X_train`" if rows["n"] == _N_TRAIN else
                       ", not the 4,000 of `X_train`") + ". Fit it on all of `X_train, y_train`."))
        score, reference = self.metric(np.asarray(y), output), _reference_saved(seed)
        measured = (f"{self.metric_name} on unseen data: {score:.3f}; the cost rule of step 3 saves {reference:.3f} on "
                    f"the same data (needed: no more than {_MAX_SHORTFALL:.3f} below it).")
        if score >= reference - _MAX_SHORTFALL:
            return Result(Status.CORRECT, measured)
        if _inflated_smote(d):
            why = ("Your rule thresholds the SMOTE pipeline's probabilities, which are inflated: repair them first "
                   "(step 2), since the formula's threshold assumes calibrated probabilities.", "inflated")
        elif output.mean() > 0.1:
            why = ("Your rule flags far more cases than the costs justify: is the threshold applied to calibrated "
                   "probabilities?", "flags-too-many")
        elif output.mean() < 0.03:
            why = ("Your rule flags fewer cases than there are positives: a miss costs four times a false alarm, so "
                   "the decisions need a threshold well below 0.5 (or the matching weight).", "flags-too-few")
        else:
            why = ("Check that the rule follows the costs: step 3's threshold applied to calibrated probabilities, "
                   "step 3's weight, or a threshold tuned on a scorer that counts the costs.", None)
        return Result(Status.INCORRECT, f"{measured} {why[0]}", mistake=why[1])


q6 = exercise.question(
    "q6",
    (
        "decision_rule",
        _DecisionRule(
            make_heldout=_heldout,
            metric=_share_saved,
            minimum=0.0,  # unused: judge() compares with the cost rule on the same draw
            response="predict",
            metric_name="Share of the cost saved (against flagging nobody)",
            spec=EstimatorSpec(requirements=[(lambda d: d["is_classifier"], "Pass a classifier: the model whose "
                                              "`predict` makes the decisions.")], must_be_fitted=True),
        ),
    ),
    points=2,
    hints=[
        "`FixedThresholdClassifier(model, threshold=...)` turns a model's probabilities into decisions at a "
        "threshold of your choice. Which model's probabilities can the formula's threshold be trusted on?",
        "Step 2 gave you calibrated probabilities and step 3 the threshold for these costs: put the two together in "
        "one classifier and fit it on the training rows.",
    ],
    solution="decision_rule = FixedThresholdClassifier(repaired, threshold=threshold).fit(X_train, y_train)",
)

# --------------------------------------------------------------------------- #
# q7: which calibrator for a small calibration set
# --------------------------------------------------------------------------- #

q7 = exercise.question(
    "q7",
    (
        "calibrator_answer",
        Choice(
            options={
                "a": "isotonic, on the 500 rows through `FrozenEstimator`: it can follow any monotone distortion",
                "b": "sigmoid, on the 500 rows through `FrozenEstimator`: two parameters are what 15 positives can support",
                "c": "`CalibratedClassifierCV(model, cv=5)` fitted on the 500 rows alone: internal folds reuse every row",
                "d": "no calibration: the model's ROC-AUC is good, so its probabilities are too",
            },
            correct="b",
            explanations={
                "a": "Isotonic fits a step function with as many steps as the data allow; with 15 positives its steps "
                "follow noise, and its ties can cost ranking quality. Lesson 08 measured isotonic needing hundreds "
                "of positives to catch up with sigmoid.",
                "b": "Sigmoid fits two numbers (intercept and slope on the score), which few positives can pin down; "
                "`FrozenEstimator` keeps the fitted model as it is.",
                "c": "`cv=5` refits the model itself on the 500 rows, throwing away what it learned from the full "
                "training data.",
                "d": "ROC-AUC measures the ranking only: lesson 08's SMOTE model kept its ROC-AUC with risks about six "
                "times too high.",
            },
        ),
    ),
    points=1,
    hints=["How many parameters can 15 positives pin down? And which option keeps the fitted model as it is?"],
    solution='calibrator_answer = "b"',
)
