"""Checks for lesson 09 and exercise 09: balanced ensembles, and when not to resample.

Lesson prompts ``p1``-``p3`` (no points) and exercise questions ``q1``-``q6``. What each question
establishes, and how:

- ``q1`` (what a balanced ensemble's gain is): a choice between explanations of "balanced accuracy at 0.5
  jumps, AP barely moves".
- ``q2`` (an ensemble compared fairly): ``ap_difference`` is the mean over the splits of the paired AP
  differences, BalancedRandomForest minus the weighted random forest, on ecoli4's 2 x 5 repeated stratified
  folds (``paired_cv_scores(..., n_repeats=2)``: seed 0). The check recomputes both models' AP on those
  same splits: a difference measured on other splits, or on one model's folds only, does not match.
  ``ap_p_value`` is the two-sided corrected p-value of ``compare_paired`` on those differences, with the
  folds' training and test sizes: it establishes that the paired differences, not the two means, were
  tested, and with the Nadeau-Bengio correction. The accepted band spans the p-values of the mean fold sizes
  and of the sizes some split really has; a p-value typed with 3 significant digits or fewer that is outside
  the band is called rounded (the 0.1 % margin is for computed values, not rounded ones).
- ``q3``: the conclusion the measured p-value supports.
- ``q4`` (a one-class detector fitted honestly): the fitted ``LocalOutlierFactor(novelty=True)`` (alone or
  at the end of a pipeline) must have the default score-changing settings (``n_neighbors=20``, Euclidean
  distance) and must have been fitted on exactly the normal rows of the training set. The detector stores the
  rows it was fitted on (``_fit_X``); the check matches every stored row with the training and test rows (as
  the pipeline's earlier steps transform them), so it establishes which rows were used -- all 1500 normal
  training rows, each once, and nothing else -- and names faults, test rows, repeated or foreign rows. A
  pipeline's earlier steps must transform rows as the same steps refitted on the normal training rows do.
- ``q5`` (the detector evaluated honestly): ``detector_ap`` is the AP of the anomaly score
  (``-score_samples``) on the test set against its labels. Any strictly decreasing function of
  ``score_samples`` (``-decision_function`` too) has the same AP. The usual slips (the score's sign,
  ``predict``'s +1/-1 labels, the detector's 0/1 decisions, ROC-AUC, a detector fitted on other rows, the
  training set scored, ``pos_label=0``, a percentage) are recomputed and named.
- ``q6`` (a choice justified by a measurement): ``supervised_ap`` is the AP of the given logistic
  regression on the same test set, and ``better_model`` the model the two measured APs favour.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np

import math

from ..checks import (
    ATOL_FLOOR,
    DEFAULT_SEED,
    RTOL,
    Answer,
    Choice,
    Exercise,
    Mistake,
    Number,
    Result,
    Status,
    _rounding_of,
    _significant_digits,
    describe_estimator,
    incorrect,
    percentage_mistake,
    rounding_message,
    uncheckable,
    wrong_split_mistake,
    roc_auc_mistake,
    trapezoid_mistake,
)

exercise = Exercise("ex09", "Exercise 09 - balanced ensembles and one-class detectors")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 09 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "AP, by more than 0.1: balanced trees rank the positives much better",
            "b": "balanced accuracy at 0.5, by more than 0.1, while AP moves by less than 0.05",
            "c": 'nothing much: `class_weight="balanced_subsample"` already balances each tree',
        },
        correct="b",
        explanations={
            "a": "Each balanced tree sees few negatives; that does not make the ranking better. Run the next cells.",
            "b": "Run the next cells to measure it, and to see where the gain comes from.",
            "c": "Fully grown trees end in pure leaves, so the weights change little in the forest's votes. "
            "Run the next cells.",
        },
    ),
    hints=["AP does not depend on a threshold; balanced accuracy at 0.5 does. Which one can a change of the "
           "training balance move without changing the ranking?"],
    solution='my_prediction = "b"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "it rises: the model now pays attention to the positives",
            "b": "it does not change at all",
            "c": "it falls: the weights distort the class distributions",
        },
        correct="b",
        explanations={
            "a": "Uniform weights within a class leave its mean and variance unchanged. Run the next cell.",
            "b": "Run the next cell: the weights change the prior only.",
            "c": "Uniform weights within a class leave its mean and variance unchanged. Run the next cell.",
        },
    ),
    hints=["What does GaussianNB estimate from the data? Which of those estimates can a weight that is the same "
           "for every row of a class change?"],
    solution='my_prediction = "b"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "the detectors win: 32 positives are too few to learn from, and rare cases are outliers",
            "b": "the detectors are near chance (the prevalence); logistic regression, weak as it is, does better",
            "c": "they are about equal",
        },
        correct="b",
        explanations={
            "a": "Rare is not the same as unusual: an old abalone looks like an ordinary adult. Run the next cell.",
            "b": "Run the next cell to measure it.",
            "c": "Run the next cell: the supervised model learns which direction matters; the detectors cannot.",
        },
    ),
    hints=["A detector flags rows that look unlike the normal ones. Do abalones with 19 rings look unlike the others?"],
    solution='my_prediction = "b"',
)

# --------------------------------------------------------------------------- #
# The exercise's data. The settings must match the given code of the solution notebook.
# --------------------------------------------------------------------------- #

_N_TREES = 10
_N_REPEATS = 2
_TRAIN = {"n_normal": 1500, "n_faults": 30, "kind": "known", "seed": 1}
_TEST = {"n_normal": 2000, "n_faults": 40, "kind": "new", "seed": 2}


def _make_machine_data(n_normal, n_faults, kind, seed):
    """The lesson's machine data: six standardised sensors, normal rows then faults of one kind."""
    rng = np.random.default_rng(seed)
    shift = {"known": [3.0, 0, 0, 0, 0, 0], "new": [0, 2.5, -2.5, 0, 0, 0]}[kind]
    X = np.vstack([rng.normal(size=(n_normal, 6)), rng.normal(size=(n_faults, 6)) + shift])
    y = np.r_[np.zeros(n_normal, dtype=int), np.ones(n_faults, dtype=int)]
    return X, y


@cache
def _machines():
    return _make_machine_data(**_TRAIN), _make_machine_data(**_TEST)


@cache
def _ensemble_scores():
    """AP of both forests on ecoli4's 2 x 5 repeated stratified folds (seed 0), split by split."""
    from imblearn.ensemble import BalancedRandomForestClassifier
    from sklearn.ensemble import RandomForestClassifier

    from ..data import load_ecoli4
    from ..evaluation import paired_cv_scores

    X, y = load_ecoli4(return_X_y=True)
    models = {
        "BRF": BalancedRandomForestClassifier(n_estimators=_N_TREES, random_state=0),
        "RF": RandomForestClassifier(n_estimators=_N_TREES, class_weight="balanced_subsample", random_state=0),
    }
    return paired_cv_scores(models, X, y, scoring="average_precision", n_repeats=_N_REPEATS)


def _comparison(**kwargs):
    from ..evaluation import compare_paired

    scores = _ensemble_scores()
    options = {"n_train": scores.attrs["n_train"], "n_test": scores.attrs["n_test"], **kwargs}
    return compare_paired(scores["BRF"], scores["RF"], **options)


def _ap_difference() -> float:
    return _comparison().mean_difference


def _ap_p_value() -> float:
    return _comparison().p_value


@cache
def _split_sizes() -> tuple:
    """The (training, test) sizes of the step's splits: 336 rows in 5 stratified folds give 269/67 or 268/68."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    from ..data import load_ecoli4

    X, y = load_ecoli4(return_X_y=True)
    splitter = RepeatedStratifiedKFold(n_splits=5, n_repeats=_N_REPEATS, random_state=0)
    return tuple(sorted({(len(train), len(test)) for train, test in splitter.split(X, y)}))


def _p_values_for_fold_sizes() -> list:
    """The p-value with one split's own sizes instead of the mean sizes: either is a fair reading of n_train and
    n_test. Only sizes some split of the step has (not every floor/ceil combination)."""
    from ..evaluation import compare_paired

    scores = _ensemble_scores()
    return [compare_paired(scores["BRF"], scores["RF"], n_train=a, n_test=b).p_value for a, b in _split_sizes()]


def _valid_p_values() -> list:
    return [_ap_p_value(), *_p_values_for_fold_sizes()]


def _p_rounded(value: float) -> bool:
    """A p-value typed with 3 significant digits or fewer that is a rounding of a valid p-value and lies outside
    the valid band itself: accepted only through the band's 0.1 % margin, which is there for computed values, not
    for rounded ones (the course's one tolerance rule, checks.TOLERANCE_RULE)."""
    valid = _valid_p_values()
    if _significant_digits(value) > 3 or min(valid) <= value <= max(valid):
        return False
    if math.isclose(value, _ap_p_value(), rel_tol=RTOL, abs_tol=ATOL_FLOOR):
        return False
    return any(_rounding_of(value, v) is not None for v in valid)


def _p_rounding_message(value: float) -> str:
    how = next((h for h in (_rounding_of(value, v) for v in _valid_p_values()) if h), "to fewer digits")
    return rounding_message(how)


def _less_p() -> float:
    return _comparison(alternative="less").p_value


def _t_statistic() -> float:
    return _comparison().t_statistic


def _one_run_difference() -> float:
    scores = _ensemble_scores()
    return float((scores["BRF"] - scores["RF"]).iloc[:5].mean())


def _uncorrected_p() -> float:
    from scipy import stats

    scores = _ensemble_scores()
    return float(stats.ttest_rel(scores["BRF"], scores["RF"]).pvalue)


def _one_sided_p() -> float:
    return _comparison(alternative="greater").p_value


def _swapped_sizes_p() -> float:
    scores = _ensemble_scores()
    from ..evaluation import compare_paired

    return compare_paired(scores["BRF"], scores["RF"], n_train=scores.attrs["n_test"], n_test=scores.attrs["n_train"]).p_value


@cache
def _fitted_detector(all_rows: bool = False):
    """LOF(novelty=True) fitted on the normal training rows (or on all of them): fitted once, and shared by the
    slips that score it another way (its decisions, ``predict``'s labels, the training rows)."""
    from sklearn.neighbors import LocalOutlierFactor

    (X_train, y_train), _ = _machines()
    return LocalOutlierFactor(novelty=True).fit(X_train if all_rows else X_train[y_train == 0])


@cache
def _detector_scores(fitted_on: str = "honest"):
    """Anomaly scores on the test set of LOF(novelty=True) fitted on the rows ``fitted_on`` names.

    Each is computed only when asked for: a right answer needs the honest one alone.
    """
    from sklearn.neighbors import LocalOutlierFactor

    (X_train, y_train), (X_test, y_test) = _machines()
    if fitted_on == "test-set":  # the transductive slip: fitted on the rows it scores
        return -LocalOutlierFactor().fit(X_test).negative_outlier_factor_
    if fitted_on == "test-normals":  # a novelty detector fitted on the test set's normal rows
        return -LocalOutlierFactor(novelty=True).fit(X_test[y_test == 0]).score_samples(X_test)
    detector = _fitted_detector(fitted_on == "all-training-rows")
    if fitted_on == "decisions":
        return (detector.predict(X_test) == -1).astype(float)
    if fitted_on == "raw-predict":  # predict's own labels: +1 normal, -1 anomaly
        return detector.predict(X_test).astype(float)
    if fitted_on == "training-rows-scored":  # the honest detector scored on the training set
        return -detector.score_samples(X_train)
    return -detector.score_samples(X_test)


def _ap(scores) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(_machines()[1][1], scores))


def _detector_ap() -> float:
    return _ap(_detector_scores())


@cache
def _scaled_detector_ways() -> dict:
    """The AP of the same detector behind a scaler fitted on the same rows, with what that way is: step 4 accepts
    that pipeline (the step says no scaling is needed, not that it is wrong), so its exact AP is a valid answer to
    step 5 too. Each is right within the course's tolerance of its own value, not the range between them."""
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    (X_train, y_train), (X_test, _) = _machines()
    normal = X_train[y_train == 0]
    return {_ap(-make_pipeline(scaler, LocalOutlierFactor(novelty=True)).fit(normal).score_samples(X_test)):
            "the detector behind a scaler fitted on the same rows"
            for scaler in (StandardScaler(), MinMaxScaler(), RobustScaler())}


@cache
def _scaled_supervised_ways() -> dict:
    """The AP of the same logistic regression behind the course's scaler (learnerC910: 0.0247 against 0.0242,
    refused). Standardising changes what the penalty does, so the number moves a little, but it is the course's
    usual logistic regression measured the step's way: right within the tolerance of its own value, not the range
    between the two. Other scalers move it far more (MinMaxScaler: 0.037) and are not accepted."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (X_train, y_train), (X_test, _) = _machines()
    scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    return {_ap(scaled.predict_proba(X_test)[:, 1]): "the logistic regression behind a `StandardScaler`"}


def _detector_ap_on_training_set() -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(_machines()[0][1], _detector_scores("training-rows-scored")))


def _detector_ap_of_normals() -> float:
    """``pos_label=0``: the AP of finding the *normal* rows with the anomaly score."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(1 - _machines()[1][1], _detector_scores()))


def _supervised_proba():
    from sklearn.linear_model import LogisticRegression

    (X_train, y_train), (X_test, _) = _machines()
    return LogisticRegression(max_iter=1000).fit(X_train, y_train).predict_proba(X_test)[:, 1]


def _supervised_ap() -> float:
    return _ap(_supervised_proba())


def _supervised_ap_on_training_set() -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score

    (X_train, y_train), _ = _machines()
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    return float(average_precision_score(y_train, model.predict_proba(X_train)[:, 1]))


def _supervised_ap_fitted_on_test_set() -> float:
    from sklearn.linear_model import LogisticRegression

    _, (X_test, y_test) = _machines()
    return _ap(LogisticRegression(max_iter=1000).fit(X_test, y_test).predict_proba(X_test)[:, 1])


def _trapezoid(scores) -> float:
    from sklearn.metrics import auc, precision_recall_curve

    precision, recall, _ = precision_recall_curve(_machines()[1][1], scores)
    return float(auc(recall, precision))


def _ap_of_normals_by_normality() -> float:
    """The wrong class as positive: the normal rows found by ``score_samples`` (high for normal rows)."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(1 - _machines()[1][1], -_detector_scores()))


def _roc_auc(scores) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(_machines()[1][1], scores))


# --------------------------------------------------------------------------- #
# Exercise 09
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    (
        "gain_answer",
        Choice(
            options={
                "a": "the balanced forest ranks the positives better than the weighted forest",
                "b": "the balanced forest mostly moved the operating point: its 0.5 is a low threshold in the "
                "real data's terms, and against the weighted forest with a moved threshold no difference is detected",
                "c": "balanced accuracy is the wrong metric: only AP counts",
                "d": "the weighted forest overfits, so its balanced accuracy is low",
            },
            correct="b",
            explanations={
                "a": "A better ranking would raise AP, which barely moved.",
                "b": "AP measures the ranking and barely moved; balanced accuracy at 0.5 depends on the threshold, "
                "and the balanced forest's probabilities are those of a balanced world.",
                "c": "Balanced accuracy is a fine decision metric; the point is *where* the threshold sits when it is "
                "measured.",
                "d": "Overfitting would show in AP too, which is about the same for both.",
            },
        ),
    ),
    points=1,
    hints=["AP does not depend on the threshold; balanced accuracy at 0.5 does. Which of the two moved?"],
    solution='gain_answer = "b"',
)

q2 = exercise.question(
    "q2",
    {
        "ap_difference": Number(
            expected=_ap_difference,
            mistakes=[
                Mistake("sign", lambda v: np.isclose(v, -_ap_difference(), rtol=1e-3, atol=1e-9),
                        "That is the weighted forest minus the balanced one: subtract in the order the step asks, "
                        "BalancedRandomForest minus RF."),
                Mistake("one-run", _one_run_difference,
                        "That is the mean over the first 5 splits only (one 5-fold run). Use both repetitions: "
                        "`n_repeats=2`."),
                percentage_mistake(_ap_difference, "That is the difference in percentage points; give it as a "
                                   "difference of APs, which are fractions between 0 and 1."),
            ],
            otherwise="That is not the mean paired AP difference on the splits of the step. Score both models in one "
            '`paired_cv_scores(models, X_ecoli, y_ecoli, scoring="average_precision", n_repeats=2)` call, so that '
            "every row is the same split for both, and take the mean of the row-wise differences "
            "(`compare_paired(...).mean_difference`). Check the models' settings too: 10 trees, `random_state=0`.",
        ),
        "ap_p_value": Number(
            expected=_ap_p_value,
            valid_values=_p_values_for_fold_sizes,
            tolerance_reason="the sizes of one split, or their means, are both fair values of n_train and n_test",
            mistakes=[
                Mistake("rounded", _p_rounded, _p_rounding_message, exact=True),
                Mistake("uncorrected", _uncorrected_p,
                        "That is the plain paired t-test, which treats overlapping folds as independent and is "
                        "overconfident. Use `compare_paired`, which applies Nadeau and Bengio's correction."),
                Mistake("one-sided", _one_sided_p,
                        "That is a one-sided p-value (`alternative=\"greater\"`). The step asks for the two-sided "
                        'one, whether the two differ at all: keep `alternative="two-sided"` (the default).'),
                Mistake("one-sided", _less_p,
                        "That is a one-sided p-value (`alternative=\"less\"`), half of the two-sided one here. The "
                        'step asks for the two-sided one, whether the two differ at all: keep `alternative="two-sided"` '
                        "(the default)."),
                Mistake("sizes-swapped", _swapped_sizes_p,
                        "`n_train` and `n_test` are swapped: `n_train` is the number of rows each model is fitted "
                        "on (about 4/5 of the data), `n_test` the rows it is scored on. "
                        '`scores.attrs["n_train"]` and `scores.attrs["n_test"]` hold them.'),
                Mistake("t-statistic", lambda v: any(math.isclose(v, s * _t_statistic(), rel_tol=RTOL) for s in (1, -1)),
                        "That is the t statistic of the comparison, not its p-value: store the `p_value` field."),
                percentage_mistake(_ap_p_value, "That is the p-value as a percentage; a p-value is a probability "
                                   "between 0 and 1: store `p_value` as it is.", atol=0.004),
            ],
            otherwise="Pass the two columns of your paired scores to `compare_paired`, with "
            '`n_train=scores.attrs["n_train"]` and `n_test=scores.attrs["n_test"]`, and store its `p_value`.',
        ),
    },
    points=2,
    hints=[
        "`paired_cv_scores` scores every model of its dict on the same splits: one row per split, one column per "
        "model. Its defaults are 5 folds and `random_state=0`; set `n_repeats=2`.",
        "`compare_paired` takes the two models' columns of those scores, first the balanced forest, and the rows each "
        'model was fitted on and scored on (`scores.attrs` holds both); its result has the mean difference and the '
        "corrected two-sided p-value.",
    ],
    solution=(
        "scores = paired_cv_scores(forests, X_ecoli, y_ecoli, scoring=\"average_precision\", n_repeats=2)\n"
        "comparison = compare_paired(scores[\"BRF\"], scores[\"RF\"], n_train=scores.attrs[\"n_train\"],\n"
        "                            n_test=scores.attrs[\"n_test\"])\n"
        "ap_difference = comparison.mean_difference\n"
        "ap_p_value = comparison.p_value"
    ),
)

q3 = exercise.question(
    "q3",
    (
        "ap_verdict",
        Choice(
            options={
                "a": "the balanced forest ranks ecoli4's positives better: the paired difference is positive",
                "b": "the two cannot be told apart on ecoli4: the difference is small against the spread of the "
                "paired differences (corrected p well above 0.05)",
                "c": "the weighted forest ranks clearly better (corrected p below 0.05)",
            },
            correct="b",
            explanations={
                "a": "A positive mean difference is not enough: compare it with the spread of the differences, which "
                "is what the corrected p-value does.",
                "b": "With 20 positives, 4 per test fold, AP moves a lot from fold to fold, and the mean difference "
                "is well inside that noise.",
                "c": "Look at your p-value again: it is far above 0.05.",
            },
        ),
    ),
    points=1,
    hints=["Read the corrected p-value you computed: below 0.05 the difference is clear; well above, it is noise."],
    solution='ap_verdict = "b"',
)


# --------------------------------------------------------------------------- #
# q4: the detector, fitted on the normal training rows only
# --------------------------------------------------------------------------- #

#: The settings of LocalOutlierFactor that change its scores; the step asks for their defaults. (``algorithm``,
#: ``leaf_size`` and ``n_jobs`` change only how the neighbours are found; ``contamination`` only where
#: ``predict`` cuts the score, which this exercise does not use.)
_LOF_DEFAULTS = {"n_neighbors": 20, "metric": "minkowski", "p": 2, "metric_params": None}
#: Fitted rows larger than this are not read (the check only needs to know they are not the right rows).
_MAX_FIT_ROWS = 20_000


def _final_step(estimator):
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        last = steps[-1]
        return last[1] if isinstance(last, tuple) and len(last) == 2 else None
    return estimator


def _plain_rows(array):
    array = np.asarray(array, dtype=float)
    if array.ndim != 2 or not np.isfinite(array).all():
        return None
    return array.tolist()


def _scores_change(params: dict) -> dict:
    """The score-changing settings that differ from the defaults (Euclidean spelled another way is the default)."""
    changed = {}
    n_neighbors = params.get("n_neighbors")
    if n_neighbors != _LOF_DEFAULTS["n_neighbors"]:
        changed["n_neighbors"] = n_neighbors
    metric, p = params.get("metric"), params.get("p")
    euclidean = (metric == "minkowski" and p in (2, 2.0)) or metric in ("euclidean", "l2")
    if not euclidean:
        changed["metric"] = metric if metric != "minkowski" else f"minkowski, p={p}"
    if params.get("metric_params") not in (None, {}):
        changed["metric_params"] = "set"
    return changed


@dataclass
class _DetectorFit(Answer):
    """A fitted LocalOutlierFactor(novelty=True), alone or last in a pipeline: its settings and the rows it holds.

    ``extract`` reads the rows the detector stores from its fit (``_fit_X``), and for a pipeline the
    outputs of the steps before it on the exercise's training and test rows, both as fitted by the
    learner and as refitted on the normal training rows. ``judge`` then matches every stored row
    with the rows it can be: the check establishes which rows the detector was fitted on, not how
    many.
    """

    expects = "a fitted LocalOutlierFactor"
    extract_uses_seed = False

    def extract(self, value, seed=DEFAULT_SEED):
        description = describe_estimator(value)
        final = _final_step(value)
        name = type(final).__name__ if final is not None else ""
        params = {}
        try:
            if hasattr(final, "get_params"):
                raw = final.get_params(deep=False)
                params = {k: raw.get(k) for k in ("novelty", *_LOF_DEFAULTS)}
                params = {k: (v if v is None or isinstance(v, (bool, str)) else
                              float(v) if isinstance(v, (int, float, np.number)) else "set") for k, v in params.items()}
        except Exception:
            params = {}
        steps = getattr(value, "steps", None)
        data = {"fitted": description["fitted"], "final": name, "params": params, "rows": None, "fit_rows": None,
                "pipeline": isinstance(steps, list) and len(steps) > 1, "views": None}
        try:
            fitted_rows = getattr(final, "n_samples_fit_", None)
            if isinstance(fitted_rows, (int, np.integer)) and not isinstance(fitted_rows, bool):
                data["rows"] = int(fitted_rows)
            stored = getattr(final, "_fit_X", None)
            if stored is not None and data["rows"] is not None and data["rows"] <= _MAX_FIT_ROWS:
                data["fit_rows"] = _plain_rows(stored)
        except Exception:
            pass
        if name == "LocalOutlierFactor" and data["pipeline"] and data["fit_rows"] is not None:
            data["views"] = self._views(value)
        return data

    @staticmethod
    def _views(pipeline):
        """The steps before the detector applied to the training and test rows: as fitted, and refitted on the
        training set's normal rows (None when they cannot be applied)."""
        from sklearn.base import clone

        (X_train, y_train), (X_test, _) = _machines()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prefix = pipeline[:-1]
                refit = clone(prefix).fit(X_train[y_train == 0])
                return {"train": _plain_rows(prefix.transform(X_train)), "test": _plain_rows(prefix.transform(X_test)),
                        "refit_test": _plain_rows(refit.transform(X_test))}
        except Exception:
            return None

    def judge(self, data, seed=DEFAULT_SEED):
        if data["final"] != "LocalOutlierFactor":
            raise incorrect(
                f"The step asks for a `LocalOutlierFactor(novelty=True)` (got `{data['final'] or 'something else'}`): "
                "fit that detector, with its default settings.", "wrong-detector")
        params = data.get("params") or {}
        if params.get("novelty") is not True:
            raise incorrect(
                "Create it with `novelty=True`. Without it, LocalOutlierFactor can only score the rows it was fitted "
                "on (`fit_predict`), so you would have to fit it on the test rows.", "novelty-false")
        if not data["fitted"] or data["rows"] is None:
            raise uncheckable("Your detector is not fitted yet, so it could not be checked: call "
                              "`.fit(X_train[y_train == 0])` on it first.")
        changed = _scores_change(params)
        if changed:
            listed = ", ".join(f"`{k}={v!r}`" if not isinstance(v, float) else f"`{k}={v:g}`" for k, v in changed.items())
            raise incorrect(f"Your detector does not have the default settings the step asks for ({listed}): they change "
                            "every score, so your AP would not be the step's. Create it as `LocalOutlierFactor(novelty=True)` "
                            "and nothing else that changes the neighbourhood.", "not-default-settings")
        (X_train, y_train), (X_test, y_test) = _machines()
        n_normal = int((y_train == 0).sum())
        if data["fit_rows"] is None:
            raise incorrect(f"Your detector was fitted on {data['rows']} rows; the training set has {n_normal} normal "
                            "rows. Fit it on exactly those: `X_train[y_train == 0]`.", "wrong-rows")
        fit_rows = np.asarray(data["fit_rows"], dtype=float)
        views = data.get("views")
        if views is None and data.get("pipeline"):
            raise uncheckable("The steps before the detector in your pipeline could not be applied to the exercise's "
                              "rows (`X_train`, `X_test`), so the rows the detector was fitted on could not be read.")
        if views:
            train_view = np.asarray(views["train"], dtype=float)
            test_view = np.asarray(views["test"], dtype=float)
        else:
            train_view, test_view = X_train, X_test
        if fit_rows.ndim != 2 or train_view.ndim != 2 or fit_rows.shape[1] != train_view.shape[1]:
            raise incorrect(f"Your detector was fitted on rows with {fit_rows.shape[-1]} columns, not the training set's "
                            f"{X_train.shape[1]} sensors: fit it on `X_train[y_train == 0]`.", "other-rows")
        found = _match_rows(fit_rows, train_view, test_view, y_train, y_test)
        steps_refitted_differ = bool(views) and not _same(views["test"], views["refit_test"])
        if steps_refitted_differ and found["other"] == found["rows"]:
            raise incorrect("The steps before the detector in your pipeline were not fitted on the training set's normal "
                            "rows: they transform the rows differently from the same steps refitted on "
                            "`X_train[y_train == 0]`. Fit the whole pipeline on those rows, in one `.fit` call.",
                            "steps-fitted-on-other-rows")
        if not (found["normal"] == n_normal and found["rows"] == n_normal):
            raise incorrect(_rows_message(found, n_normal, len(y_train), len(y_test)),
                            _rows_mistake(found, n_normal, len(y_train), len(y_test)))
        if steps_refitted_differ:
            raise incorrect("The steps before the detector in your pipeline were not fitted on the training set's normal "
                            "rows: they transform the rows differently from the same steps refitted on "
                            "`X_train[y_train == 0]`. Fit the whole pipeline on those rows, in one `.fit` call.",
                            "steps-fitted-on-other-rows")
        how = " (through the steps of your pipeline, fitted on those rows)" if views else ""
        return Result(Status.CORRECT, f"Fitted on exactly the {n_normal} normal training rows{how}, with the "
                                      "default settings: no fault, no test row.")


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-9)


def _match_rows(fit_rows, train_view, test_view, y_train, y_test) -> dict:
    """Which rows the detector holds: each stored row matched (to 1e-7 relative) with a row of the training or
    test set as the detector sees them. Counts distinct rows of each kind, repeats and unmatched rows."""
    from scipy.spatial import cKDTree

    candidates = np.vstack([train_view, test_view])
    kind = np.r_[np.where(y_train == 0, 0, 1), np.where(y_test == 0, 2, 3)]  # 0 normal, 1 fault, 2/3 test
    distance, index = cKDTree(candidates).query(fit_rows, k=1)
    scale = 1e-7 * (1.0 + np.abs(fit_rows).max(axis=1))
    matched = distance <= scale
    distinct = np.unique(index[matched])
    counts = np.bincount(kind[distinct], minlength=4)
    return {"rows": len(fit_rows), "normal": int(counts[0]), "faults": int(counts[1]), "test": int(counts[2] + counts[3]),
            "other": int((~matched).sum()), "repeats": int(matched.sum() - len(distinct))}


def _rows_mistake(found, n_normal, n_train, n_test) -> str:
    if found["other"]:
        return "other-rows"
    if found["test"]:
        if found["test"] == n_test and found["normal"] + found["faults"] == n_train:
            return "all-data"
        return "test-set" if found["test"] == n_test and not found["normal"] else "test-rows"
    if found["faults"]:
        if found["normal"] == n_normal and found["faults"] == n_train - n_normal:
            return "all-training-rows"
        return "wrong-class" if not found["normal"] else "faults-included"
    return "repeated-rows" if found["repeats"] else "missing-rows"


def _rows_message(found, n_normal, n_train, n_test) -> str:
    """What the stored rows prove, in the learner's terms."""
    mistake = _rows_mistake(found, n_normal, n_train, n_test)
    if mistake == "all-training-rows":
        return (f"Your detector was fitted on all {n_train} training rows, faults included: it learned that the known "
                "faults are normal. Fit it on the normal rows only: `X_train[y_train == 0]`.")
    if mistake == "all-data":
        return "Your detector was fitted on the training and test rows together: fit it on `X_train[y_train == 0]` only."
    if mistake == "test-set":
        return ("Your detector was fitted on the test set's rows: fit it on the training set's normal rows, "
                "`X_train[y_train == 0]`; the test rows must stay unseen.")
    if mistake == "wrong-class":
        return ("Your detector was fitted on the faults: a novelty detector learns what *normal* looks like. Fit it on "
                "`X_train[y_train == 0]`.")
    parts = []
    if found["normal"]:
        parts.append(f"{found['normal']} of the {n_normal} normal training rows")
    if found["faults"]:
        parts.append(f"{found['faults']} training fault{'s' if found['faults'] != 1 else ''}")
    if found["test"]:
        parts.append(f"{found['test']} row{'s' if found['test'] != 1 else ''} of the test set")
    if found["other"]:
        parts.append(f"{found['other']} row{'s' if found['other'] != 1 else ''} that are in neither set as given "
                     "(transformed, or made up)")
    if found["repeats"]:
        parts.append(f"{found['repeats']} repeated row{'s' if found['repeats'] != 1 else ''}")
    held = "; ".join(parts) or "no row of the exercise"
    advice = {
        "other-rows": " A scaling, if you want one, goes in a pipeline with the detector, fitted on the same rows; "
                      "the features are already on one scale.",
        "test-rows": " The test rows must stay unseen until you evaluate.",
        "faults-included": " A fault among them teaches the detector that faults are normal.",
    }.get(mistake, "")
    return (f"Your detector holds {found['rows']} rows: {held}. Fit it on exactly the training set's normal rows, "
            f"`X_train[y_train == 0]`.{advice}")


q4 = exercise.question(
    "q4",
    ("detector", _DetectorFit()),
    points=1,
    hints=[
        "A novelty detector learns what normal looks like: it must see the normal rows of the training set, and "
        "nothing else.",
        "Select the rows of `X_train` whose label in `y_train` is 0 with a boolean mask, and fit the detector on "
        "those alone.",
    ],
    solution="detector = LocalOutlierFactor(novelty=True).fit(X_train[y_train == 0])",
)

q5 = exercise.question(
    "q5",
    (
        "detector_ap",
        Number(
            expected=_detector_ap,
            alternatives=_scaled_detector_ways,
            mistakes=[
                Mistake("sign", lambda: _ap(-_detector_scores()),
                        "That is the AP of `score_samples` itself, which is *high for normal rows*. Score each row by "
                        "how anomalous it looks: `-detector.score_samples(X_test)`."),
                Mistake("decisions", lambda: _ap(_detector_scores("decisions")),
                        "That is the AP of the detector's yes/no decisions (`predict`). AP needs a score that ranks "
                        "the rows: `-detector.score_samples(X_test)`."),
                Mistake("raw-predict", lambda: _ap(_detector_scores("raw-predict")),
                        "That is the AP of `predict`'s labels, +1 for normal and -1 for anomalies: backwards, and only "
                        "two values. AP needs a score that ranks the rows: `-detector.score_samples(X_test)`."),
                roc_auc_mistake(lambda: _roc_auc(_detector_scores())),
                trapezoid_mistake(lambda: _trapezoid(_detector_scores())),
                Mistake("wrong-class", lambda: _ap_of_normals_by_normality(),
                        "That is the AP of finding the *normal* rows (`y_test == 0`), ranked by how normal they look. "
                        "The positives are the faults, label 1: rank the test rows by how anomalous they look."),
                Mistake("all-training-rows", lambda: _ap(_detector_scores("all-training-rows")),
                        "That is the AP of a detector fitted on all training rows, faults included. Fit it on "
                        "`X_train[y_train == 0]` (step 4)."),
                Mistake("test-set", lambda: _ap(_detector_scores("test-set")),
                        "That is the AP of a detector fitted on the test rows themselves. Fit it on the normal "
                        "training rows (step 4), then score the test rows with `score_samples`."),
                Mistake("test-normals", lambda: _ap(_detector_scores("test-normals")),
                        "That is the AP of a detector fitted on the test set's normal rows: it has seen the rows it "
                        "is evaluated on. Fit it on the normal training rows (step 4)."),
                wrong_split_mistake(_detector_ap_on_training_set,
                                    "That is the AP on the training set (`X_train`, `y_train`), whose normal rows the "
                                    "detector was fitted on. The step evaluates it on the test set, `X_test` and "
                                    "`y_test`."),
                Mistake("pos-label-0", _detector_ap_of_normals,
                        "That is the AP of finding the *normal* rows (`pos_label=0`). The positives are the faults, "
                        "label 1: keep the default `pos_label`."),
                percentage_mistake(_detector_ap),
            ],
            otherwise="That is not the AP of the step-4 detector's anomaly score on the test set. If step 4's check "
            "does not pass, fix the detector first (the normal training rows, the default settings), then score the "
            "test rows with `-detector.score_samples(X_test)` against `y_test`.",
        ),
    ),
    points=1,
    hints=[
        "`score_samples` is high for rows that look normal; the positives are the anomalies.",
        "Turn `score_samples` on the test rows into a score that is high for anomalies, then compare it with "
        "`y_test` by average precision.",
    ],
    solution="detector_ap = average_precision_score(y_test, -detector.score_samples(X_test))",
)

q6 = exercise.question(
    "q6",
    {
        "supervised_ap": Number(
            expected=_supervised_ap,
            alternatives=_scaled_supervised_ways,
            mistakes=[
                Mistake("decisions", lambda: _ap(_supervised_proba() >= 0.5),
                        "That is the AP of the 0/1 predictions. Use the probabilities: `predict_proba(X_test)[:, 1]`."),
                Mistake("wrong-column", lambda: _ap(1 - _supervised_proba()),
                        "That is the AP of column 0, the probability of *normal*. Use the faults' column: "
                        "`predict_proba(X_test)[:, 1]`."),
                roc_auc_mistake(lambda: _roc_auc(_supervised_proba())),
                trapezoid_mistake(lambda: _trapezoid(_supervised_proba())),
                wrong_split_mistake(_supervised_ap_on_training_set,
                                    "That is the AP on the training set, the rows the model was fitted on. Score it "
                                    "on the test set, as the detector: `X_test`, `y_test`."),
                wrong_split_mistake(_supervised_ap_fitted_on_test_set,
                                    "That is the AP of a model fitted on the test set itself: it has seen the new "
                                    "faults' labels. Fit it on `X_train, y_train`, then score `X_test`.",
                                    id="fitted-on-test-set"),
                percentage_mistake(_supervised_ap),
            ],
            otherwise="That is not the test-set AP of `LogisticRegression(max_iter=1000)` fitted on all of `X_train, "
            "y_train`. Check the rows it was fitted on (only the training rows: a model that saw test faults has "
            "leaked), the rows it was scored on, and the score you ranked by (the probability of a fault).",
        ),
        "better_model": Choice(
            options={
                "a": "the one-class detector: it finds the new kind of fault far better",
                "b": "the supervised model: it was trained with labelled faults",
                "c": "neither: both are at chance",
            },
            correct="a",
            explanations={
                "a": "Its AP is far above the supervised model's, which is near chance: the labelled faults were of "
                "another kind.",
                "b": "Compare the two APs you measured: labels of one kind of fault do not teach another kind.",
                "c": "Compare the detector's AP with the prevalence of faults in the test set (about 0.02).",
            },
        ),
    },
    points=2,
    hints=[
        "Score the supervised model exactly as the detector: AP on the test set, from a score (its probabilities).",
        "Then compare `detector_ap` with `supervised_ap`, and both with the test set's prevalence.",
    ],
    solution=(
        "supervised = LogisticRegression(max_iter=1000).fit(X_train, y_train)\n"
        "supervised_ap = average_precision_score(y_test, supervised.predict_proba(X_test)[:, 1])\n"
        'better_model = "a"'
    ),
)
