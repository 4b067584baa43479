"""Checks for lesson 05 and exercise 05: pitfalls.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions ``q1``-``q7``. Every expected value is
computed from the shipped data, once, and cached. For each question, the property its step asks for, and
how the check establishes it:

``q1`` ``leaky_f1``, ``pipeline_f1``
    The mean 5-fold F1 (the given shuffled splitter) of the 5-NN model on ecoli4: resampled before the
    split, and with the sampler inside the pipeline. Established by recomputing both workflows on the same
    folds; numbers within the course's 0.1 %, except ``leaky_f1`` at 0.02 %, because that workflow's
    accuracy lies 0.065 % from its F1 (4 significant digits still pass). The routes a learner takes
    instead (swapped, the other workflow, no scaler, sampler first, accuracy, ``cv=5``, one split) are
    recomputed and named only when the value matches them.
``q2``, ``q3``, ``q7`` (choices)
    The option the lesson's measurements support. Established by the letter, in any spelling.
``q4`` ``smote_f1``
    The test-set F1 of scaler -> SMOTE(random_state=0) -> LR fitted on the training set. Established by
    recomputing it; a value that matches SMOTE on unscaled features is told that SMOTE ran before the
    scaler *or* outside the pipeline (the two give the same model, so the value cannot tell which).
``q5`` ``mean_risk_plain``, ``mean_risk_smote``
    The mean predicted probability of class 1 on the test set of each model. Established by recomputing
    both (swapped values are named "swapped", one model's value in the other's place is named).
``q6`` ``tuned``
    The step's plain pipeline (``StandardScaler`` then ``LogisticRegression`` at its given settings, no
    sampler, no class weights), checked by the requirements exercises 01-03 use for that pipeline
    (``pipeline_checks.scaled_logistic_requirements``: any step names, either library's pipeline, a frozen
    one, any converged solver but liblinear), whose decision threshold is tuned for F1, where the rows the
    threshold was chosen on are training rows, and so are the rows the model was fitted on, but not the
    same rows: step 6 tunes by cross-validation, or on a validation split the pipeline was not fitted on.
    The fitted object does not keep its rows, so the check reads them off what it keeps
    (``_threshold_rows``): the model's rows from its scaler's row count and mean; for cross-validation with a refit, the threshold's rows are folds of the model's
    rows; otherwise (``cv="prefit"``, ``FrozenEstimator``, one split without refit) the thresholds tried
    are ``linspace(lowest, highest score of the tuning rows)``, so ``best_threshold_`` must lie on such a
    grid whose two ends are scores of training rows (a subset of ``X_train`` always passes; ``X_test``,
    ``X_train`` + ``X_test`` and made-up rows are named); a model fitted before the tuning on all of
    ``X_train`` and tuned on rows of it is tuned in-sample (``_tuned_in_sample``), named. Limits: a model fitted on part of ``X_train`` is
    accepted from its row count (its rows cannot be read back), and resampled tuning rows whose extreme
    scores are real rows are not named (the F1 on fresh data then refuses them). Then the F1 on 20,000
    fresh rows must reach 0.30.
``q8`` ``risk_ratio_abalone`` (transfer: abalone19, which lesson 05 did not use)
    The mean predicted risk of scaler -> SMOTE -> LR on abalone19's test split divided by its prevalence
    (about 35 at an imbalance ratio of 129). Established by recomputing it with each converged solver
    (``_Q8_SOLVERS``), within 0.1 % of any; the inverted ratio, the plain model's, the undivided mean and
    the training split's are named.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..checks import (DEFAULT_SEED, Choice, EstimatorSpec, Exercise, HeldoutScore, Mistake, Number, Result, Status, near,
                      percentage_mistake, rounding_message, swapped_mistake, uncheckable, wrong_class_mistake,
                      wrong_split_mistake)
from ..data import load_ecoli4, make_imbalanced
from ..pipeline_checks import (LIBLINEAR_MESSAGE, SOLVERS_REASON, fitted_state, same_class_weights,
                              scaled_logistic_requirements)

exercise = Exercise("ex05", "Exercise 05 - pitfalls")
progress = exercise.progress

# --------------------------------------------------------------------------- #
# Lesson 05 prompts (predict, then check): worth no points.
# --------------------------------------------------------------------------- #

p1 = exercise.prompt(
    "p1",
    Choice(
        options={
            "a": "about the same: cross-validation is an honest estimate",
            "b": "a little higher, within 0.1",
            "c": "far higher: more than twice the vault score",
        },
        correct="c",
        explanations={
            "a": "Cross-validation is honest only if the test folds are untouched. Here they were resampled "
            "together with the training folds. Run the next cells to measure the gap.",
            "b": "Much more than that. Run the next cells to measure the gap.",
            "c": "Run the next cells to measure how far.",
        },
    ),
    hints=["After resampling, where do the copies and synthetic neighbours of a minority test point end up?"],
    solution='my_prediction = "c"',
)

p2 = exercise.prompt(
    "p2",
    Choice(
        options={
            "a": "it skips it: a minority point whose nearest neighbours are all majority points is treated as an "
            "outlier and gets no synthetic neighbours",
            "b": "it uses it like any other: new minority points are drawn on the segments from it to its minority "
            "neighbours, wherever they lie",
            "c": "it drops it: SMOTE first removes minority points that touch the majority class, as Tomek links "
            "would, then interpolates between the rest",
        },
        correct="b",
        explanations={
            "a": "SMOTE has no outlier detection: every minority point is used as a starting point. Run the next cells.",
            "b": "Run the next cells to count how many such points it makes, and where they land.",
            "c": "SMOTE only adds points; removing them is the job of cleaning methods such as Tomek links or ENN. "
            "Run the next cells to see what SMOTE makes of it.",
        },
    ),
    hints=["SMOTE picks a minority point, one of its k nearest minority neighbours, and a point on the segment between them."],
    solution='my_prediction = "b"',
)

p3 = exercise.prompt(
    "p3",
    Choice(
        options={
            "a": "SMOTE: balanced training data is what the model needed",
            "b": "the tuned threshold, without any balancing",
            "c": "no balancing at 0.5: the plain model is best",
        },
        correct="b",
        explanations={
            "a": "SMOTE beats the plain model at 0.5, but most of its gain comes from moving the operating point, "
            "which a tuned threshold does directly. Run the next cells.",
            "b": "Run the next cells to see by how much, and how noisy the comparison is.",
            "c": "At 0.5 the plain model finds few positives, which costs F1. Run the next cells.",
        },
    ),
    hints=["Resampling changes what the model learns and where its 0.5 threshold falls. Which of the two matters for F1?"],
    solution='my_prediction = "b"',
)

p4 = exercise.prompt(
    "p4",
    Choice(
        options={
            "a": "close to 0.034: the model still knows positives are rare",
            "b": "several times higher than 0.034",
            "c": "lower than 0.034",
        },
        correct="b",
        explanations={
            "a": "The model learnt from data where half the rows were positive; it has no way to know the real "
            "prevalence. Run the next cells.",
            "b": "Run the next cells to see how many times higher.",
            "c": "SMOTE adds positives, so the model sees more of them, not fewer. Run the next cells.",
        },
    ),
    hints=["What share of positives did the model see during training, after SMOTE?"],
    solution='my_prediction = "b"',
)

# --------------------------------------------------------------------------- #
# Expected values, computed once. The settings must match the given code of the
# solution notebook.
# --------------------------------------------------------------------------- #

_CV_SEED = 0
_PROBLEM = {"imbalance_ratio": 30, "class_sep": 0.7, "random_state": 6}
_N_TRAIN, _N_TEST, _N_HELDOUT = 2000, 20_000, 20_000


@cache
def _ecoli():
    X, y = load_ecoli4(return_X_y=True)
    return X.to_numpy(), y.to_numpy()


def _cv():
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=5, shuffle=True, random_state=_CV_SEED)


def _ecoli_f1(workflow: str) -> float:
    return _ecoli_scores(workflow)["f1"]


@cache
def _ecoli_scores(workflow: str) -> dict:
    """Mean 5-fold CV F1 and accuracy on ecoli4 of one workflow (the right ones and the realistic wrong ones).

    The same number as ``cross_val_score(make_pipeline(*steps, KNeighborsClassifier(n_neighbors=5)),
    X, y, cv=cv, scoring="f1").mean()``: the steps are chained by hand, as imblearn's pipeline
    chains them, because that is several times faster and a check must answer quickly.
    """
    from imblearn.over_sampling import RandomOverSampler
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = _ecoli()
    if workflow.startswith("leaky"):
        X, y = RandomOverSampler(random_state=0).fit_resample(X, y)
    steps = {
        "leaky": ["scale"],
        "leaky_unscaled": [],
        "pipeline": ["scale", "sample"],
        "pipeline_sampler_first": ["sample", "scale"],
        "pipeline_unscaled": ["sample"],
        "plain": ["scale"],
    }[workflow]
    scores, accuracies = [], []
    for train, test in _cv().split(X, y):
        X_fit, y_fit, X_test = X[train], y[train], X[test]
        for step in steps:
            if step == "scale":
                scaler = StandardScaler().fit(X_fit)
                X_fit, X_test = scaler.transform(X_fit), scaler.transform(X_test)
            else:  # a sampler resamples the training fold only
                X_fit, y_fit = RandomOverSampler(random_state=0).fit_resample(X_fit, y_fit)
        pred = KNeighborsClassifier(n_neighbors=5).fit(X_fit, y_fit).predict(X_test)
        true_pos = np.sum((y[test] == 1) & (pred == 1))
        scores.append(2 * true_pos / max(np.sum(y[test] == 1) + np.sum(pred == 1), 1))
        accuracies.append(np.mean(pred == y[test]))
    return {"f1": float(np.mean(scores)), "accuracy": float(np.mean(accuracies))}


def _matches(ref, expected=None):
    """Matches ``ref()`` within the course's tolerance (a rounded value gets the shared "rounded" mistake)."""
    return near(ref)


_Q1_SETTINGS = ("Use the given `sampler`, `cv` and `knn_model()` exactly as defined, `scoring=\"f1\"`, and the mean "
                "of the five fold scores: another splitter, model or score gives another number.")


def _near_f1(workflow: str, target: str):
    return _matches(lambda: _ecoli_f1(workflow), lambda: _ecoli_f1(target))


def _near_accuracy(workflow: str):
    return _matches(lambda: _ecoli_scores(workflow)["accuracy"], lambda: _ecoli_f1(workflow))


@cache
def _ecoli_variants() -> dict:
    """Realistic other routes on ecoli4: a single train/test split of the resampled data, and `cv=5`."""
    from imblearn.pipeline import make_pipeline
    from imblearn.over_sampling import RandomOverSampler
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = _ecoli()
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)

    def knn(*steps):
        return make_pipeline(*steps, KNeighborsClassifier(n_neighbors=5))

    splits = []
    for test_size in (0.2, 0.25, 0.3):
        for stratify in (None, y_res):
            for seed in (0, 42):
                X_tr, X_te, y_tr, y_te = train_test_split(X_res, y_res, test_size=test_size, stratify=stratify,
                                                          random_state=seed)
                pred = knn(StandardScaler()).fit(X_tr, y_tr).predict(X_te)
                splits.append(float(2 * np.sum((y_te == 1) & (pred == 1)) / (np.sum(y_te == 1) + np.sum(pred == 1))))
    return {
        "split": splits,
        "leaky_cv5": float(cross_val_score(knn(StandardScaler()), X_res, y_res, cv=5, scoring="f1").mean()),
        "pipeline_cv5": float(cross_val_score(knn(StandardScaler(), RandomOverSampler(random_state=0)), X, y, cv=5,
                                              scoring="f1").mean()),
    }


#: Tolerance for matching a value of a family of near-identical wrong routes (12 single splits, 12 seeds):
#: a computed value matches its route to 1e-9, and 0.02 % keeps a value rounded to 4 significant digits
#: while a route never claims a value it did not produce (the widest, 0.1 %, would cover 2.4 % of [0.95, 1]).
_EXACT = 2e-4


def _rounded_within(expected, *, rtol: float) -> Mistake:
    """The "rounded" mistake for a value checked more tightly than the course's 0.1 %."""

    def how(value: float) -> str | None:
        exact = float(expected())
        if math.isclose(value, exact, rel_tol=rtol):
            return None
        for places in range(0, 7):
            if math.isclose(value, round(exact, places), rel_tol=1e-9, abs_tol=1e-12):
                return f"to {places} decimal{'' if places == 1 else 's'}" if places else "to a whole number"
        return None

    return Mistake("rounded", lambda v: how(v) is not None,
                   lambda v: rounding_message(how(v)) + " This value is checked to 0.02 %.")


def _single_split(v: float) -> bool:
    return any(near(split, rtol=_EXACT)(v) for split in _ecoli_variants()["split"])


_SINGLE_SPLIT = ("That looks like the F1 of a single `train_test_split` of the resampled data. The step asks for "
                 "cross-validation with the given splitter `cv`, and the mean of the five fold scores.")
_CV5 = ("That is the score with `cv=5` (five folds, not shuffled). Pass the given splitter, `cv=cv`: it shuffles "
        "with a fixed seed, so the folds are the ones the check uses.")


_ACCURACY = "That is the accuracy, the default score of `cross_val_score`: pass `scoring=\"f1\"`."


@cache
def _synthetic():
    X_train, y_train = make_imbalanced(n_samples=_N_TRAIN, **_PROBLEM)
    X_test, y_test = make_imbalanced(n_samples=_N_TEST, draw=1, **_PROBLEM)
    return X_train, y_train, X_test, y_test


@cache
def _fitted(kind: str):
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X_train, y_train, _, _ = _synthetic()
    steps = [StandardScaler(), SMOTE(random_state=0)] if kind == "smote" else [StandardScaler()]
    return make_pipeline(*steps, LogisticRegression()).fit(X_train, y_train)


@cache
def _synthetic_numbers() -> dict:
    from sklearn.metrics import f1_score

    X_train, y_train, X_test, y_test = _synthetic()
    out = {"prevalence": float(y_test.mean())}
    for kind in ("plain", "smote"):
        model = _fitted(kind)
        proba = model.predict_proba(X_test)
        out[f"{kind}_f1"] = float(f1_score(y_test, model.predict(X_test)))
        out[f"{kind}_f1_class0"] = float(f1_score(y_test, model.predict(X_test), pos_label=0))
        out[f"{kind}_f1_macro"] = float(f1_score(y_test, model.predict(X_test), average="macro"))
        out[f"{kind}_train_f1"] = float(f1_score(y_train, model.predict(X_train)))
        out[f"{kind}_risk"] = float(proba[:, 1].mean())
        out[f"{kind}_risk_class0"] = float(proba[:, 0].mean())
        out[f"{kind}_alarm_rate"] = float(model.predict(X_test).mean())
        out[f"{kind}_train_risk"] = float(model.predict_proba(X_train)[:, 1].mean())
    return out


def _num(key: str):
    return lambda: _synthetic_numbers()[key]


def _is(key: str, target: str):
    """Matches the number ``key`` (full precision or rounded) when the question expects ``target``."""
    return _matches(_num(key), _num(target))


@cache
def _smote_variants() -> dict:
    """Test-set F1 of realistic other SMOTE routes for step 4."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    X_train, y_train, X_test, y_test = _synthetic()

    def f1(model, X=X_train, y=y_train):
        return float(f1_score(y_test, model.fit(X, y).predict(X_test)))

    X_res, y_res = SMOTE(random_state=0).fit_resample(X_train, y_train)  # outside any pipeline, raw features
    return {
        "no_scaler": f1(make_pipeline(SMOTE(random_state=0), LogisticRegression())),
        "outside_raw": f1(make_pipeline(StandardScaler(), LogisticRegression()), X_res, y_res),
        "seeds": [f1(make_pipeline(StandardScaler(), SMOTE(random_state=seed), LogisticRegression()))
                  for seed in (*range(1, 11), 42, 123)],
    }


def _smote_variant(key: str):
    return _matches(lambda: _smote_variants()[key], _num("smote_f1"))


def _other_seed(v: float) -> bool:
    return any(near(seed_f1, rtol=_EXACT)(v) for seed_f1 in _smote_variants()["seeds"])


@cache
def _heldout(seed: int):
    """Fresh draws from the exercise's problem, never given to the learner."""
    return make_imbalanced(n_samples=_N_HELDOUT, draw=1000 + int(seed), **_PROBLEM)


def _f1(y_true, y_pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, (np.asarray(y_pred) >= 0.5).astype(int), zero_division=0))


# --------------------------------------------------------------------------- #
# Exercise 05
# --------------------------------------------------------------------------- #

q1 = exercise.question(
    "q1",
    {
        "leaky_f1": Number(
            expected=lambda: _ecoli_f1("leaky"),
            # The leaky workflow's accuracy lies 0.065 % from its F1: within the course's 0.1 %, so this one value
            # is checked to 0.02 %, which still accepts it rounded to 4 significant digits.
            rtol=2e-4,
            tolerance_reason="checked to 0.02 %, because the accuracy of the same workflow lies within 0.1 % of it",
            detect_rounding=False,  # the shared "rounded" mistake assumes the 0.1 % rule; _LEAKY_ROUNDED below
            mistakes=[
                (_near_f1("pipeline", "leaky"), "That is the pipeline's score. For `leaky_f1`, resample all of `X_ecoli`, "
                 "`y_ecoli` first, then cross-validate `knn_model()` on the resampled data."),
                (_near_f1("plain", "leaky"), "That is the score without any resampling. Resample with "
                 "`sampler.fit_resample` first, then cross-validate on the resampled data."),
                (_near_f1("leaky_unscaled", "leaky"), "Close, but your model has no scaler: cross-validate "
                 "`knn_model()`, which scales the features before the vote."),
                (_single_split, _SINGLE_SPLIT),
                (_matches(lambda: _ecoli_variants()["leaky_cv5"], lambda: _ecoli_f1("leaky")), _CV5),
                percentage_mistake(lambda: _ecoli_f1("leaky")),
                ("accuracy", near(lambda: _ecoli_scores("leaky")["accuracy"], rtol=_EXACT), _ACCURACY),
                _rounded_within(lambda: _ecoli_f1("leaky"), rtol=2e-4),
            ],
            otherwise=_Q1_SETTINGS,
        ),
        "pipeline_f1": Number(
            expected=lambda: _ecoli_f1("pipeline"),
            mistakes=[
                (_near_f1("leaky", "pipeline"), "That is the leaky score: you cross-validated on resampled data. Cross-validate "
                 "the pipeline on the original `X_ecoli`, `y_ecoli`; the pipeline resamples the training folds itself."),
                (_near_f1("plain", "pipeline"), "That is the score without any resampling: put `sampler` inside the pipeline, "
                 "between the scaler and the classifier."),
                (_near_f1("pipeline_sampler_first", "pipeline"), "Your pipeline resamples before scaling. Put the steps in the "
                 "order asked: `StandardScaler()`, then `sampler`, then the classifier."),
                (_near_f1("pipeline_unscaled", "pipeline"), "Your pipeline has no scaler: start it with "
                 "`StandardScaler()`."),
                (_matches(lambda: _ecoli_variants()["pipeline_cv5"], lambda: _ecoli_f1("pipeline")), _CV5),
                percentage_mistake(lambda: _ecoli_f1("pipeline")),
                (_near_accuracy("pipeline"), _ACCURACY),
            ],
            otherwise=_Q1_SETTINGS,
        ),
    },
    points=2,
    hints=[
        "Leaky: `X_res, y_res = sampler.fit_resample(X_ecoli, y_ecoli)`, then `cross_val_score(knn_model(), X_res, "
        "y_res, cv=cv, scoring=\"f1\")`, and take the `.mean()`.",
        "Leak-free: `pipe = make_pipeline(StandardScaler(), sampler, KNeighborsClassifier(n_neighbors=5))`, then "
        "`cross_val_score(pipe, X_ecoli, y_ecoli, cv=cv, scoring=\"f1\").mean()`.",
    ],
    solution=(
        "X_res, y_res = sampler.fit_resample(X_ecoli, y_ecoli)\n"
        'leaky_f1 = cross_val_score(knn_model(), X_res, y_res, cv=cv, scoring="f1").mean()\n'
        "pipe = make_pipeline(StandardScaler(), sampler, KNeighborsClassifier(n_neighbors=5))\n"
        'pipeline_f1 = cross_val_score(pipe, X_ecoli, y_ecoli, cv=cv, scoring="f1").mean()'
    ),
)

q2 = exercise.question(
    "q2",
    (
        "recall_cause",
        Choice(
            options={
                "a": "each minority point of a test fold has exact copies in the training folds, and the "
                "nearest-neighbour vote finds them",
                "b": "the test folds are about half minority, so the model's alarms are rarely wrong",
                "c": "random oversampling gives the model more information about the minority class",
                "d": "the classes of ecoli4 are well separated, so any workflow finds every positive",
            },
            correct="a",
            explanations={
                "a": "Random oversampling copies minority rows before the split into folds, so copies of a test "
                "point sit in the training folds: its nearest neighbour is itself.",
                "b": "That is the other cause, and it inflates precision, not recall: the share of alarms that are "
                "right. Recall only looks at the positives.",
                "c": "Copies carry no new information; the pipeline's recall, measured without the leak, is much lower.",
                "d": "The pipeline's recall on the same data is much lower, so the data alone do not explain it.",
            },
        ),
    ),
    points=1,
    hints=["Recall = positives found / all positives. What makes a positive in a test fold easy to find after resampling?"],
    solution='recall_cause = "a"',
)

q3 = exercise.question(
    "q3",
    (
        "noise_remedy",
        Choice(
            options={
                "a": "SMOTE with a larger `k_neighbors`, to dilute the mislabelled points",
                "b": "clean the data: SMOTE followed by ENN (`SMOTEENN`), or remove the suspect minority points "
                "before oversampling",
                "c": "random oversampling instead of SMOTE, since it creates no new locations",
                "d": "more SMOTE (`sampling_strategy=1.0`), so that real minority points outnumber the mislabelled ones",
            },
            correct="b",
            explanations={
                "a": "SMOTE still draws segments from each mislabelled point, now towards farther neighbours: "
                "longer lines of synthetic points through the majority region.",
                "b": "Cleaning removes points whose neighbourhood disagrees with their label, including most "
                "synthetic points SMOTE drew from the mislabelled ones.",
                "c": "Random oversampling copies the mislabelled points too, so each of them counts many times.",
                "d": "More oversampling also makes more points from the mislabelled ones: it multiplies the noise "
                "along with the signal.",
            },
        ),
    ),
    points=1,
    hints=["SMOTE uses every minority point as a starting point, mislabelled or not. What removes such points?"],
    solution='noise_remedy = "b"',
)

q4 = exercise.question(
    "q4",
    (
        "smote_f1",
        Number(
            expected=_num("smote_f1"),
            mistakes=[
                (_is("plain_f1", "smote_f1"), "That is the plain model's F1 (no SMOTE). Fit the pipeline with SMOTE "
                 "and score its predictions on `X_test`."),
                (_is("smote_train_f1", "smote_f1"), "That is the F1 on the training set; compute it on `X_test`, "
                 "`y_test`."),
("no-scaler", _smote_variant("no_scaler"), "Your model has no scaler: SMOTE and the logistic regression "
                 "worked on the raw features. Start the pipeline with `StandardScaler()`, then SMOTE, then the model."),
                # SMOTE before the scaler inside the pipeline and SMOTE outside it, on the raw X_train, give the
                # very same model: the value cannot tell them apart, so the message names both.
                ("smote-before-scaler", _smote_variant("outside_raw"), "SMOTE resampled the unscaled features: either "
                 "it comes before `StandardScaler()` inside your pipeline, or it ran outside the pipeline on the raw "
                 "`X_train` (both give this value). SMOTE measures distances, so put it inside the pipeline, after "
                 "the scaler, and fit the pipeline on the original `X_train, y_train`."),
                wrong_class_mistake(_num("smote_f1_class0"), "That is the F1 of class 0, the majority class "
                                    "(`pos_label=0`). The step asks for the F1 of the minority class, label 1: the "
                                    "default `pos_label` of `f1_score`."),
                ("macro-average", _num("smote_f1_macro"), "That is the macro-averaged F1 (`average=\"macro\"`): the "
                 "mean of the F1 of both classes, lifted by the easy majority class. The step asks for the F1 of the "
                 "minority class alone, `f1_score`'s default (`average=\"binary\"`, `pos_label=1`)."),
                (_other_seed, "That is SMOTE with another `random_state`: use `SMOTE(random_state=0)`, as the step "
                 "says, so that your synthetic points are the ones the check uses."),
                percentage_mistake(_num("smote_f1")),
            ],
            otherwise="Build the pipeline exactly as the step says (`StandardScaler()`, `SMOTE(random_state=0)`, "
            "`LogisticRegression()` with its defaults), fit it on `X_train, y_train`, and compute the F1 of its "
            "predictions on the test set, `X_test` and `y_test`.",
        ),
    ),
    points=1,
    hints=[
        "`smote_pipe = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression())`, then `.fit(X_train, y_train)`.",
        "`f1_score(y_test, smote_pipe.predict(X_test))`.",
    ],
    solution=(
        "smote_pipe = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()).fit(X_train, y_train)\n"
        "smote_f1 = f1_score(y_test, smote_pipe.predict(X_test))"
    ),
)


def _risk_mistakes(kind: str) -> list:
    other = "smote" if kind == "plain" else "plain"
    target = f"{kind}_risk"
    return [
        (_is(f"{kind}_alarm_rate", target), "That is the share of cases predicted positive (`predict`); the mean "
         "predicted risk averages the probabilities of class 1 given by `predict_proba`."),
        (_is(f"{kind}_risk_class0", target), "That is the mean probability of class 0; take column 1, the minority class."),
        (_is(f"{kind}_train_risk", target), "That is computed on the training set; use `X_test`."),
        (_is(f"{other}_risk", target), "That is the other model's mean risk: check which model you used."),
        (_is("prevalence", target), "That is the prevalence of the test set, not the model's mean predicted risk."),
        percentage_mistake(_num(target)),
        (lambda v: abs(v - 0.5) < 1e-9, "That is the mean over both columns of `predict_proba`, which is always 0.5 "
         "(each row sums to 1). Take column 1 only, the probability of the minority class."),
    ]


def _risk_otherwise(kind: str) -> str:
    model = "the plain model (`plain`)" if kind == "plain" else "the SMOTE pipeline (`smote_pipe`)"
    return (f"Average the predicted probability of class 1 (column 1 of `predict_proba`) over the test set, for "
            f"{model}.")


q5 = exercise.question(
    "q5",
    {
        "mean_risk_plain": Number(expected=_num("plain_risk"), mistakes=_risk_mistakes("plain"),
                                  otherwise=_risk_otherwise("plain")),
        "mean_risk_smote": Number(expected=_num("smote_risk"), mistakes=_risk_mistakes("smote"),
                                  otherwise=_risk_otherwise("smote")),
    },
    points=2,
    hints=[
        "`model.predict_proba(X_test)` has one column per class; column 1 is the minority class.",
        "`plain.predict_proba(X_test)[:, 1].mean()`, and the same with `smote_pipe`.",
    ],
    solution=(
        "mean_risk_plain = plain.predict_proba(X_test)[:, 1].mean()\n"
        "mean_risk_smote = smote_pipe.predict_proba(X_test)[:, 1].mean()"
    ),
)


def _chain(d: dict | None) -> list:
    """A description and those of the estimators it wraps, outermost first."""
    out = []
    while d is not None and len(out) < 6:
        out.append(d)
        d = d.get("inner")
    return out


def _model_steps(d: dict) -> list:
    """The steps of the pipeline the threshold is tuned for (inside any FrozenEstimator), or []."""
    return next((x["steps"] for x in _chain(d)[1:] if x.get("steps")), [])


def _model_params(d: dict) -> list:
    return [x.get("params") or {} for x in _chain(d)[1:]]


_NO_MODEL = {"class": "", "steps": [], "params": {}}


def _tuned_model(d: dict) -> dict:
    """The description of the model whose threshold is tuned (inside any ``FrozenEstimator``), with the iteration
    count its fit recorded (``n_iter``, read by ``extract``)."""
    model = next((x for x in _chain(d)[1:] if not str(x.get("class", "")).endswith(".FrozenEstimator")), None)
    return {**(model or _NO_MODEL), "n_iter": d.get("model_n_iter")}


def _fitted_model(tuned):
    """The classifier a fitted ``TunedThresholdClassifierCV`` predicts with, unwrapped from ``FrozenEstimator``."""
    model = getattr(tuned, "estimator_", None)
    while model is not None and type(model).__name__ == "FrozenEstimator":
        model = getattr(model, "estimator", None)
    return model


def _fit_rows(model) -> str | None:
    """Which of the exercise's row sets ``model`` was fitted on: "train", "test", "train+test", or None.

    A scaler in front records its rows (count and mean). A model without one is not the step's pipeline and is
    refused before its rows matter, so it is not refitted here (a refit of another model, such as gradient
    boosting, cost most of the check's half second).
    """
    X_train, y_train, X_test, y_test = _synthetic()
    sets = {"train": (X_train, y_train), "test": (X_test, y_test),
            "train+test": (np.vstack([X_train, X_test]), np.r_[y_train, y_test])}
    first = model.steps[0][1] if hasattr(model, "steps") and model.steps else None
    seen, mean = getattr(first, "n_samples_seen_", None), getattr(first, "mean_", None)
    if seen is not None and mean is not None:
        for name, (X, _) in sets.items():
            if int(np.max(seen)) == len(X) and np.allclose(mean, X.mean(axis=0), rtol=1e-10, atol=1e-12):
                return name
        return None
    return None


def _grid_ends(threshold: float, scores: np.ndarray, n_thresholds: int) -> bool:
    """Whether ``threshold`` is a point of ``np.linspace(a, b, n_thresholds)`` with ``a`` and ``b`` in ``scores``.

    ``TunedThresholdClassifierCV`` tries the thresholds ``np.linspace(min, max, thresholds)`` of the scores of the
    rows it tunes on, so its ``best_threshold_`` is such a point, with ``a`` and ``b`` the lowest and highest score
    of those rows. Matched to 1e-12: any other pair of scores lands on it with a negligible probability.
    """
    values = np.unique(scores)
    t = float(threshold)
    close = lambda a, b: np.isclose(a, b, rtol=1e-12, atol=1e-15)  # noqa: E731
    if close(values, t).any():  # an end itself (the first or last point of the grid)
        return True
    below, above = values[values < t], values[values > t]
    if not len(below) or not len(above):
        return False
    for i in range(1, n_thresholds - 1):
        b = below + (t - below) * (n_thresholds - 1) / i
        at = np.clip(np.searchsorted(above, b), 1, len(above) - 1)
        for candidate in (above[at - 1], above[at]):
            ok = close(below + i * (candidate - below) / (n_thresholds - 1), t) & close(candidate, b)
            if ok.any():
                return True
    return False


def _threshold_rows(tuned) -> dict:
    """Evidence on the rows ``tuned`` chose its threshold on and its model was fitted on (plain data)."""
    X_train, _, X_test, _ = _synthetic()
    model = _fitted_model(tuned)
    evidence = {"model_rows": None, "threshold_rows": None}
    if model is None:
        return evidence
    evidence["model_rows"] = _fit_rows(model)
    frozen = type(getattr(tuned, "estimator_", None)).__name__ == "FrozenEstimator"
    if tuned.cv != "prefit" and not frozen and tuned.refit:
        # Cross-validation on the rows passed to fit, and the final model refitted on all of them: the
        # threshold was chosen on (folds of) the model's rows.
        evidence["threshold_rows"] = evidence["model_rows"] or "same-as-model"
        return evidence
    # The model was fitted before, or apart from, the tuning: the threshold was chosen on its scores of the rows
    # passed to the tuner's fit, none of them held out by the tuner itself.
    evidence["fixed_model"] = tuned.cv == "prefit" or frozen or not tuned.refit
    n_thresholds = tuned.thresholds
    if not isinstance(n_thresholds, (int, np.integer)):
        return evidence
    method = tuned.response_method if tuned.response_method != "auto" else (
        "predict_proba" if hasattr(model, "predict_proba") else "decision_function")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = lambda X: np.asarray(getattr(model, method)(X))  # noqa: E731
        train_scores, test_scores = score(X_train), score(X_test)
    if method == "predict_proba":
        train_scores, test_scores = train_scores[:, 1], test_scores[:, 1]
    t, n = float(tuned.best_threshold_), int(n_thresholds)

    def on_grid_of(scores):  # tuned on exactly these rows: the grid spans their lowest to highest score
        return bool(np.isclose(np.linspace(scores.min(), scores.max(), n), t, rtol=1e-12, atol=1e-15).any())

    if _grid_ends(t, train_scores, n):  # on some rows of X_train (any subset has its ends among them)
        evidence["threshold_rows"] = "train"
    elif on_grid_of(test_scores):
        evidence["threshold_rows"] = "test"
    elif on_grid_of(np.r_[train_scores, test_scores]):
        evidence["threshold_rows"] = "train+test"
    else:
        evidence["threshold_rows"] = "other"
    return evidence


def _tuned_rows(d: dict):
    """Rows the first step of the tuned pipeline saw (a scaler counts them), or None when unknown."""
    steps = _model_steps(d)
    return steps[0].get("n_samples_seen") if steps else None


def _scorer_function(scoring) -> str | None:
    """The metric's function name of a scorer object (``make_scorer(f1_score)`` -> ``"f1_score"``), or None."""
    function = getattr(scoring, "_score_func", None)
    return getattr(function, "__name__", None)


def _scoring_is_f1(d: dict) -> bool:
    scoring = d["params"].get("scoring")
    if scoring == "f1":
        return True
    kwargs = d.get("scorer_kwargs") or {}
    return d.get("scorer_function") == "f1_score" or (
        d.get("scorer_function") == "fbeta_score" and kwargs.get("beta") == 1)


def _scoring_message(d: dict) -> str:
    scoring = d["params"].get("scoring")
    if scoring == "balanced_accuracy":
        return ("Your `TunedThresholdClassifierCV` optimises balanced accuracy, its default. "
                'Pass `scoring="f1"` so that it picks the threshold with the best F1.')
    return 'Pass `scoring="f1"`: this step picks the threshold with the best F1.'


_NOT_ON_TEST = ("`X_test` must stay untouched until the comparison of step 7: choose the threshold by "
                "cross-validation inside `X_train`, or on a validation split carved from `X_train`.")

def _fixed_threshold_best_on_test(model) -> bool:
    """Whether a ``FixedThresholdClassifier``'s threshold is the best one for F1 on ``X_test``.

    The evidence of a threshold picked by looking at the test set: its test-set F1 is at least that of every
    threshold in steps of 0.01 (a threshold chosen on other rows does that only by chance).
    """
    if type(model).__name__ != "FixedThresholdClassifier" or not hasattr(model, "estimator_"):
        return False
    threshold = model.threshold
    if not isinstance(threshold, (int, float, np.floating)) or model.response_method not in ("auto", "predict_proba"):
        return False
    _, _, X_test, y_test = _synthetic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = model.estimator_.predict_proba(X_test)[:, 1]
    grid = np.r_[np.arange(1, 100) / 100, float(threshold)]
    flagged = scores[None, :] >= grid[:, None]  # one row per threshold: F1 of all of them at once
    true_pos = (flagged & (y_test == 1)[None, :]).sum(axis=1)
    f1 = 2 * true_pos / np.maximum(flagged.sum(axis=1) + np.sum(y_test == 1), 1)
    return bool(f1[-1] >= f1[:-1].max() - 1e-12)


_tuned_structure = [
    ("threshold-on-test-set", lambda d: not d.get("fixed_best_on_test"), lambda d: (
        f"Your threshold, {d['params'].get('threshold'):.3g}, is the best one for F1 on `X_test`: no threshold in "
        "steps of 0.01 does better there, so it looks chosen by looking at the test set. Then the test set has "
        "leaked into the model, and the comparison of step 7 on it flatters it. Choose the threshold on `X_train` "
        "only: `TunedThresholdClassifierCV` does it by cross-validation.")),
    (
        lambda d: d["class"].endswith(".TunedThresholdClassifierCV"),
        "Wrap the plain pipeline in `TunedThresholdClassifierCV(...)` and fit that: this step moves the "
        "threshold instead of resampling.",
    ),
    (lambda d: d["inner"] is not None, "Give `TunedThresholdClassifierCV` the plain pipeline to tune."),
    (
        lambda d: not any(s["is_sampler"] for s in _model_steps(d)),
        "Tune the threshold of the *plain* pipeline (scaler + logistic regression), without SMOTE: the point "
        "is to see what a tuned threshold does on its own.",
    ),
    (
        lambda d: all(same_class_weights(s["params"].get("class_weight"), None) for s in _model_steps(d))
        and all(same_class_weights(p.get("class_weight"), None) for p in _model_params(d)),
        "Tune the plain model, without class weights: the point is to see what a tuned threshold does on its own.",
    ),
    # The model itself: the step's plain pipeline at its given settings (shared with exercises 01-03's checks of
    # the same pipeline: any step names, either library's pipeline, any converged solver but liblinear).
    *scaled_logistic_requirements(None, model=_tuned_model, whose="Inside `tuned`, your"),
    (_scoring_is_f1, _scoring_message),
]

_IN_SAMPLE = (
    f"Your threshold was tuned on rows the model inside `tuned` was fitted on: its scaler saw all {_N_TRAIN:,} rows "
    "of `X_train` (their count and their means), and the thresholds it tried run between scores of training rows. "
    "On the rows it was fitted on, a model's scores are better than on new data, so a threshold chosen there suits "
    "a picture that is too good. Let `TunedThresholdClassifierCV` cross-validate a fresh pipeline on `X_train` (its "
    "default), or fit the pipeline on part of `X_train` and tune on the rest, the validation split, as step 6 says."
)

def _tuned_in_sample(d: dict) -> bool:
    """A model fitted before the tuning (``cv="prefit"``, ``FrozenEstimator``, or one split without refit) on all of
    ``X_train`` (its scaler's count and means), and a threshold chosen on rows of ``X_train``: every row the learner
    could tune on, apart from ``X_test`` (named before), is one the model was fitted on. (As ``_calibrated_in_sample``
    of exercise 06 reads a calibrator.) Limit: a model fitted on part of ``X_train`` and tuned on all of it is not
    named (its rows cannot be read back)."""
    return bool(d.get("fixed_model")) and d.get("model_rows") == "train" and d.get("threshold_rows") == "train"


_tuned_requirements = [
    *_tuned_structure,
    ("test-set", lambda d: d.get("model_rows") not in ("test", "train+test"), lambda d: (
        f"Your model inside `tuned` was fitted on {'`X_test`' if d['model_rows'] == 'test' else '`X_train` and `X_test` together'}. "
        + _NOT_ON_TEST)),
    ("threshold-on-test-set", lambda d: d.get("threshold_rows") not in ("test", "train+test"), lambda d: (
        f"Your threshold was chosen on {'`X_test`' if d['threshold_rows'] == 'test' else 'rows of `X_test` as well as `X_train`'}: "
        "the lowest and highest scores among the thresholds it tried are scores of test rows. "
        "With `cv=\"prefit\"`, the rows passed to `fit` are the rows the threshold is tuned on. " + _NOT_ON_TEST)),
    ("too-many-rows", lambda d: (_tuned_rows(d) or 0) <= _N_TRAIN, lambda d: (
        f"The model inside `tuned` was fitted on {_tuned_rows(d):,} rows, more than `X_train` has ({_N_TRAIN:,}): "
        "were the data resampled, or other rows added? Fit on the original `X_train, y_train`.")),
    ("threshold-rows", lambda d: d.get("threshold_rows") != "other",
     "Your threshold was not chosen on rows of `X_train`: the lowest and highest scores among the thresholds it "
     "tried are not scores of training rows (were the rows resampled, or made up?). Tune it on `X_train`, by "
     "cross-validation or on a validation split carved from it."),
    ("model-rows", lambda d: d.get("model_rows") == "train" or (
        d.get("threshold_rows") == "train" and (_tuned_rows(d) or 0) < _N_TRAIN), lambda d: (
        f"Your `tuned` was fitted on {_tuned_rows(d):,} rows, not on `X_train, y_train` ({_N_TRAIN:,} rows)."
        if _tuned_rows(d) else "Your `tuned` was not fitted on `X_train, y_train`.")
        + " Fit it on the training set: it chooses its threshold by cross-validation inside it, so `X_test` stays "
        "untouched for the comparison of step 7."),
]


@dataclass
class _TunedThreshold(HeldoutScore):
    """A fitted ``TunedThresholdClassifierCV`` scored on fresh data, once its rows are established.

    ``extract`` adds to the description, as plain data, the evidence of ``_threshold_rows`` (which of the
    exercise's row sets the model was fitted on and the threshold chosen on) and the metric of a scorer object.
    """

    def extract(self, value, seed=DEFAULT_SEED):
        out = super().extract(value, seed)
        try:
            out["estimator"]["fixed_best_on_test"] = _fixed_threshold_best_on_test(value)
        except Exception:  # the evidence is optional: without it nothing is named
            out["estimator"]["fixed_best_on_test"] = False
        try:
            out["estimator"].update(_threshold_rows(value))
        except Exception:  # the evidence is optional: without it the rows count as unknown
            pass
        try:
            out["estimator"]["model_n_iter"] = fitted_state(_fitted_model(value))["n_iter"]
        except Exception:  # the evidence is optional: without it convergence is not judged
            out["estimator"]["model_n_iter"] = None
        scoring = getattr(value, "scoring", None)
        out["estimator"]["scorer_function"] = _scorer_function(scoring)
        out["estimator"]["scorer_kwargs"] = {k: v for k, v in (getattr(scoring, "_kwargs", None) or {}).items()
                                             if isinstance(v, (int, float, str))}
        return out

    def judge(self, data, seed=DEFAULT_SEED):
        description = data["estimator"]
        if description.get("fitted") and description.get("threshold_rows") is None:
            # Structure first: a mistake there says more than "rows unknown".
            EstimatorSpec(requirements=_tuned_structure).judge(description, seed)
            raise uncheckable(
                "The check could not establish on which rows your threshold was chosen: it reads them off the "
                "grid of thresholds tried, so leave `thresholds` at an integer (its default is 100).")
        result = super().judge(data, seed)
        if not _tuned_in_sample(description):
            return result
        if result.status is Status.CORRECT:
            return Result(Status.INCORRECT, _IN_SAMPLE, mistake="tuned-in-sample")
        # A low score has its own diagnosis (resampled tuning rows, ...): both are said.
        return Result(result.status, f"{result.message} {_IN_SAMPLE}", mistake="tuned-in-sample")


q6 = exercise.question(
    "q6",
    (
        "tuned",
        _TunedThreshold(
            make_heldout=_heldout,
            metric=_f1,
            minimum=0.30,
            response="predict",
            metric_name="F1",
            spec=EstimatorSpec(requirements=_tuned_requirements, must_be_fitted=True),
            mistakes=[
                (lambda out, score: out.mean() < 0.02, "Your model flags very few cases: was the threshold tuned for F1?"),
                (lambda out, score: out.mean() > 0.2, "Your model flags far too many cases: was the threshold tuned for F1?"),
            ],
        ),
    ),
    points=2,
    hints=[
        "`TunedThresholdClassifierCV(make_pipeline(StandardScaler(), LogisticRegression()), scoring=\"f1\")`.",
        "Fit it on `X_train, y_train`; it cross-validates the threshold internally, so `X_test` stays untouched.",
    ],
    solution=(
        "tuned = TunedThresholdClassifierCV(make_pipeline(StandardScaler(), LogisticRegression()), scoring=\"f1\")\n"
        "tuned = tuned.fit(X_train, y_train)"
    ),
)

q7 = exercise.question(
    "q7",
    (
        "balancing_verdict",
        Choice(
            options={
                "a": "SMOTE raised F1 above the plain model's: balancing helps, as expected",
                "b": "SMOTE lowered F1 compared with the plain model at 0.5, and tuning the plain model's threshold "
                "beat both",
                "c": "all three gave about the same F1: the choice does not matter here",
            },
            correct="b",
            explanations={
                "a": "Compare `smote_f1` with the plain model's F1 printed at the start of part 2: SMOTE was lower.",
                "b": "Balancing guarantees nothing: here it moved the operating point the wrong way for F1, while "
                "a tuned threshold chose a good one directly.",
                "c": "Compare the three numbers: the tuned threshold's F1 on unseen data was far above the other two.",
            },
        ),
    ),
    points=1,
    hints=["Put side by side: the plain model's F1 (printed), `smote_f1`, and the F1 that `ex05.q6.check` reported."],
    solution='balancing_verdict = "b"',
)


# --------------------------------------------------------------------------- #
# q8, transfer: calibration damage on abalone19, data lesson 05 did not use
# --------------------------------------------------------------------------- #

#: Solver settings that reach the optimum of q8's fits: every converged answer is accepted.
_Q8_SOLVERS = ({}, {"solver": "newton-cholesky"}, {"tol": 1e-10, "max_iter": 10_000})


@cache
def _abalone_split():
    from sklearn.model_selection import train_test_split

    from ..data import load_abalone19

    X, y = load_abalone19(return_X_y=True)
    return train_test_split(X.drop(columns="sex"), y, test_size=0.3, stratify=y, random_state=0)


@cache
def _abalone_ratios() -> dict:
    """Mean predicted risk over prevalence on abalone19's test split, with and without SMOTE, per solver."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = _abalone_split()
    out = {"smote": [], "plain": [], "smote_train": [], "smote_risk": [], "smote_all_data": []}
    prevalence_all = float(np.r_[np.asarray(y_train), np.asarray(y_test)].mean())
    prevalence = float(y_test.mean())
    for settings in _Q8_SOLVERS:
        smote = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression(**settings)).fit(X_train, y_train)
        plain = make_pipeline(StandardScaler(), LogisticRegression(**settings)).fit(X_train, y_train)
        risk = float(smote.predict_proba(X_test)[:, 1].mean())
        out["smote"].append(risk / prevalence)
        out["plain"].append(float(plain.predict_proba(X_test)[:, 1].mean()) / prevalence)
        out["smote_train"].append(float(smote.predict_proba(X_train)[:, 1].mean()) / float(y_train.mean()))
        out["smote_risk"].append(risk)
        out["smote_all_data"].append(risk / prevalence_all)
        if not settings:
            default_smote = smote  # the default solver's fit, for the slips below
    # Learner pass 5: slips that got only the step restated. One fit each, about 15 ms (default solver).
    smote = default_smote
    X_all, y_all = pd.concat([X_train, X_test]), pd.concat([y_train, y_test])

    def ratio_of(model, fit_on=(X_train, y_train)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unscaled fit may not converge: its value is still the slip's
            fitted = model.fit(*fit_on)
        return [float(fitted.predict_proba(X_test)[:, 1].mean()) / prevalence]

    out["train_prevalence"] = [out["smote_risk"][0] / float(y_train.mean())]
    out["all_rows"] = [float(smote.predict_proba(X_all)[:, 1].mean()) / prevalence_all]
    out["predict"] = [float(smote.predict(X_test).mean()) / prevalence]
    out["fitted_on_all"] = ratio_of(make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression()),
                                    (X_all, y_all))
    out["no_scaler"] = ratio_of(make_pipeline(SMOTE(random_state=0), LogisticRegression()))
    out["liblinear"] = ratio_of(make_pipeline(StandardScaler(), SMOTE(random_state=0),
                                              LogisticRegression(solver="liblinear")))
    out["other_seed"] = ratio_of(make_pipeline(StandardScaler(), SMOTE(random_state=1), LogisticRegression()))
    return out


def _abalone_any(key: str, *, invert: bool = False):
    def match(value: float) -> bool:
        return any(near(1 / r if invert else r)(value) for r in _abalone_ratios()[key])

    return match


q8 = exercise.question(
    "q8",
    (
        "risk_ratio_abalone",
        Number(
            expected=lambda: _abalone_ratios()["smote"][0],
            valid_values=lambda: _abalone_ratios()["smote"],
            tolerance_reason=SOLVERS_REASON,
            mistakes=[
                swapped_mistake(_abalone_any("smote", invert=True), "That is the prevalence divided by the mean "
                                "risk: the ratio asked for is the other way up, mean predicted risk / prevalence."),
                ("plain-model", _abalone_any("plain"), "That is the plain model's ratio (no SMOTE): close to 1, as a "
                 "calibrated model's should be. Measure the SMOTE pipeline's."),
                ("not-divided", _abalone_any("smote_risk"), "That is the mean predicted risk itself; divide it by the "
                 "test split's prevalence."),
                wrong_split_mistake(_abalone_any("smote_train"), "That is measured on the training split; use the "
                                    "test split."),
                wrong_split_mistake(_abalone_any("smote_all_data"), "You divided by the prevalence of all of abalone19 "
                                    "(`y_ab`), not of the test split: divide the test split's mean risk by the test "
                                    "split's share of positives, `y_ab_test`'s.", id="all-data"),
                ("percentage", lambda v: any(near(r / 100)(v) for r in _abalone_ratios()["smote"]),
                 "You divided by the prevalence as a percentage (100 times the share of positives): your ratio is 100 "
                 "times too small. Divide by the share itself, a fraction between 0 and 1."),
                ("training-prevalence", _abalone_any("train_prevalence"), "You divided the test split's mean risk by "
                 "the training split's prevalence; divide by the test split's, `y_ab_test.mean()`."),
                wrong_split_mistake(_abalone_any("all_rows"), "That is the mean risk over all rows of abalone19 over "
                                    "their prevalence; measure both on the test split.", id="all-rows"),
                ("predicted-labels", _abalone_any("predict"), "That averages the predicted labels (0 or 1, from "
                 "`predict`); the risk is the probability of class 1, `predict_proba(X_ab_test)[:, 1]`."),
                wrong_split_mistake(_abalone_any("fitted_on_all"), "Your pipeline was fitted on all of abalone19, the "
                                    "test split included: fit it on `X_ab_train, y_ab_train` only.", id="test-set"),
                ("no-scaler", _abalone_any("no_scaler"), "That pipeline has no `StandardScaler`: SMOTE interpolates "
                 "between nearest neighbours, which need scaled features. Scale first, as in step 4."),
                ("liblinear", _abalone_any("liblinear"), LIBLINEAR_MESSAGE),
                ("other-seed", _abalone_any("other_seed"), "That is SMOTE with another `random_state`: the step fixes "
                 "`SMOTE(random_state=0)`, so that everyone's synthetic rows, and values, are the same."),
            ],
            otherwise="Fit the pipeline of step 4 (scaler, `SMOTE(random_state=0)`, logistic regression) on the "
            "training split of abalone19, then divide the mean of its class-1 probabilities on the test split by the "
            "test split's share of positives.",
        ),
    ),
    points=1,
    hints=[
        "Same steps as step 5, on other data: fit the SMOTE pipeline on `X_ab_train, y_ab_train`, average its "
        "probabilities of class 1 on `X_ab_test`.",
        "Divide that mean by `y_ab_test.mean()`.",
    ],
    solution=(
        "smote_abalone = make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression())\n"
        "smote_abalone = smote_abalone.fit(X_ab_train, y_ab_train)\n"
        "risk_ratio_abalone = smote_abalone.predict_proba(X_ab_test)[:, 1].mean() / y_ab_test.mean()"
    ),
)
