"""Checks for lesson 05 and exercise 05: pitfalls.

Lesson prompts ``p1``-``p4`` (no points) and exercise questions. Every expected value is computed
from the shipped data, once, and cached.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from ..checks import Choice, EstimatorSpec, Exercise, HeldoutScore, Number
from ..data import load_ecoli4, make_imbalanced

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


#: One relative tolerance for every number of this exercise: full precision passes, and a value rounded to
#: 4 decimals or fewer is refused alike for a big or a small expected value ("looks rounded").
_RTOL = 1e-5


def _roundings(x: float) -> list:
    return [round(x, d) for d in (3, 4)]


def _matches(ref, expected):
    """Matches ``ref()`` at full precision, or rounded to 3-4 decimals when that rounding is not also the
    expected value's (a rounded right answer gets the shared "looks rounded" message instead)."""

    def match(v: float) -> bool:
        r, e = float(ref()), float(expected())
        if math.isclose(v, r, rel_tol=_RTOL):
            return True
        return any(math.isclose(v, c, rel_tol=1e-12) for c in _roundings(r)) and not any(
            math.isclose(v, c, rel_tol=1e-12) for c in _roundings(e))

    return match


def _elsewhere(expected):
    """Matches a plausible value that is neither right nor within 1 % of right (that case has its own message)."""
    return lambda v: 0 <= v <= 1 and abs(v - expected()) > 0.01 * abs(expected())


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


def _single_split(v: float) -> bool:
    return any(math.isclose(v, s, rel_tol=_RTOL) for s in _ecoli_variants()["split"])


_SINGLE_SPLIT = ("That looks like the F1 of a single `train_test_split` of the resampled data. The step asks for "
                 "cross-validation: `cross_val_score(knn_model(), X_res, y_res, cv=cv, scoring=\"f1\").mean()`.")
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
    return any(math.isclose(v, s, rel_tol=_RTOL) for s in _smote_variants()["seeds"])


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
            atol=0,
            rtol=_RTOL,
            mistakes=[
                (_near_f1("pipeline", "leaky"), "That is the pipeline's score. For `leaky_f1`, resample all of `X_ecoli`, "
                 "`y_ecoli` first, then cross-validate `knn_model()` on the resampled data."),
                (_near_f1("plain", "leaky"), "That is the score without any resampling. Resample with "
                 "`sampler.fit_resample` first, then cross-validate on the resampled data."),
                (_near_f1("leaky_unscaled", "leaky"), "Close, but your model has no scaler: cross-validate "
                 "`knn_model()`, which scales the features before the vote."),
                (_single_split, _SINGLE_SPLIT),
                (_matches(lambda: _ecoli_variants()["leaky_cv5"], lambda: _ecoli_f1("leaky")), _CV5),
                (lambda v: 1 < v <= 100, "Give the F1 as a fraction between 0 and 1, not a percentage."),
                (_near_accuracy("leaky"), _ACCURACY),
                (_elsewhere(lambda: _ecoli_f1("leaky")), _Q1_SETTINGS),
            ],
        ),
        "pipeline_f1": Number(
            expected=lambda: _ecoli_f1("pipeline"),
            atol=0,
            rtol=_RTOL,
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
                (lambda v: 1 < v <= 100, "Give the F1 as a fraction between 0 and 1, not a percentage."),
                (_near_accuracy("pipeline"), _ACCURACY),
                (_elsewhere(lambda: _ecoli_f1("pipeline")), _Q1_SETTINGS),
            ],
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
            atol=0,
            rtol=_RTOL,
            mistakes=[
                (_is("plain_f1", "smote_f1"), "That is the plain model's F1 (no SMOTE). Fit the pipeline with SMOTE "
                 "and score its predictions on `X_test`."),
                (_is("smote_train_f1", "smote_f1"), "That is the F1 on the training set; compute it on `X_test`, "
                 "`y_test`."),
                (_smote_variant("no_scaler"), "Your model has no scaler (or SMOTE ran on the raw features, outside "
                 "the pipeline): build `make_pipeline(StandardScaler(), SMOTE(random_state=0), LogisticRegression())` "
                 "and fit it on `X_train, y_train`."),
                (_smote_variant("outside_raw"), "You resampled `X_train` with SMOTE outside the pipeline, on the "
                 "unscaled features. Put `SMOTE(random_state=0)` inside the pipeline, after `StandardScaler()`, and "
                 "fit the pipeline on the original `X_train, y_train`."),
                (_other_seed, "That is SMOTE with another `random_state`: use `SMOTE(random_state=0)`, as the step "
                 "says, so that your synthetic points are the ones the check uses."),
                (lambda v: 1 < v <= 100, "Give the F1 as a fraction between 0 and 1, not a percentage."),
                (_elsewhere(_num("smote_f1")), "Build the pipeline exactly as the step says (`StandardScaler()`, "
                 "`SMOTE(random_state=0)`, `LogisticRegression()` with its defaults), fit it on `X_train, y_train`, "
                 "and compute `f1_score(y_test, smote_pipe.predict(X_test))`."),
            ],
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
         "predicted risk averages the probabilities: `predict_proba(X_test)[:, 1].mean()`."),
        (_is(f"{kind}_risk_class0", target), "That is the mean probability of class 0; take column 1, the minority class."),
        (_is(f"{kind}_train_risk", target), "That is computed on the training set; use `X_test`."),
        (_is(f"{other}_risk", target), "That is the other model's mean risk: check which model you used."),
        (_is("prevalence", target), "That is the prevalence of the test set, not the model's mean predicted risk."),
        (lambda v: 1 < v <= 100, "Give the mean risk as a fraction between 0 and 1, not a percentage."),
        (lambda v: abs(v - 0.5) < 1e-9, "That is the mean over both columns of `predict_proba`, which is always 0.5 "
         "(each row sums to 1). Take column 1 only: `predict_proba(X_test)[:, 1].mean()`."),
        (_elsewhere(_num(f"{kind}_risk")), "Average the predicted probability of class 1, "
         "`predict_proba(X_test)[:, 1]`, over the test set, for the model this variable names."),
    ]


q5 = exercise.question(
    "q5",
    {
        "mean_risk_plain": Number(expected=_num("plain_risk"), atol=0, rtol=_RTOL, mistakes=_risk_mistakes("plain")),
        "mean_risk_smote": Number(expected=_num("smote_risk"), atol=0, rtol=_RTOL, mistakes=_risk_mistakes("smote")),
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


def _tuned_rows(d: dict):
    """Rows the first step of the refitted pipeline saw (a scaler counts them), or None when unknown."""
    steps = (d.get("inner") or {}).get("steps") or []
    return steps[0].get("n_samples_seen") if steps else None


def _scoring_is_f1(d: dict) -> bool:
    scoring = d["params"].get("scoring")
    return scoring == "f1" or (isinstance(scoring, dict) and "Scorer" in str(scoring.get("repr_type", "")))


def _scoring_message(d: dict) -> str:
    scoring = d["params"].get("scoring")
    if scoring == "balanced_accuracy":
        return ("Your `TunedThresholdClassifierCV` optimises balanced accuracy, its default. "
                'Pass `scoring="f1"` so that it picks the threshold with the best F1.')
    return 'Pass `scoring="f1"`: this step picks the threshold with the best F1.'


_tuned_spec = EstimatorSpec(
    requirements=[
        (
            lambda d: d["class"].endswith(".TunedThresholdClassifierCV"),
            "Wrap the plain pipeline in `TunedThresholdClassifierCV(...)` and fit that: this step moves the "
            "threshold instead of resampling.",
        ),
        (lambda d: d["inner"] is not None, "Give `TunedThresholdClassifierCV` the plain pipeline to tune."),
        (lambda d: _tuned_rows(d) in (None, _N_TRAIN), lambda d: (
            f"Your `tuned` was fitted on {_tuned_rows(d):,} rows; fit it on `X_train, y_train` ({_N_TRAIN:,} rows). "
            "It chooses its threshold by cross-validation inside the training set, so `X_test` stays untouched "
            "for the comparison of step 7.")),
        (
            lambda d: not any(s["is_sampler"] for s in d["inner"]["steps"]),
            "Tune the threshold of the *plain* pipeline (scaler + logistic regression), without SMOTE: the point "
            "is to see what a tuned threshold does on its own.",
        ),
        (
            lambda d: all(s["params"].get("class_weight") in (None, {}) for s in d["inner"]["steps"])
            and d["inner"]["params"].get("class_weight") in (None, {}),
            "Tune the plain model, without class weights: the point is to see what a tuned threshold does on its own.",
        ),
        (_scoring_is_f1, _scoring_message),
    ],
    must_be_fitted=True,
)

q6 = exercise.question(
    "q6",
    (
        "tuned",
        HeldoutScore(
            make_heldout=_heldout,
            metric=_f1,
            minimum=0.30,
            response="predict",
            metric_name="F1",
            spec=_tuned_spec,
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
