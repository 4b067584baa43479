"""Check of a fitted ``make_pipeline(StandardScaler(), LogisticRegression(...))``, as steps of
exercises 01-03 ask for it.

The fitted scaler's means tell which rows the pipeline was fitted on (training split, test split or
all rows), so leakage is named from evidence, not guessed from a score. ``liblinear`` is refused:
it penalises the intercept as well as the coefficients, so it fits a different model from the
other solvers (lbfgs, newton-cg, newton-cholesky, sag, saga), which all reach the same optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .checks import DEFAULT_SEED, EstimatorSpec, Result

#: Said wherever a step accepts "any converged solver": one sentence, the same in every exercise.
SOLVERS_REASON = "any converged solver's fit is accepted, but not liblinear's: its penalised intercept makes another model"

#: Settings of ``LogisticRegression`` that all reach the optimum of its loss on the course's data sets: the spread
#: of their fits is what a valid answer may differ by. A question where some of them do not converge keeps a subset.
CONVERGED_SOLVERS = (
    {},
    {"solver": "newton-cholesky"},
    {"solver": "newton-cg"},
    {"tol": 1e-10, "max_iter": 10_000},
    {"solver": "sag", "max_iter": 10_000, "random_state": 0},
    {"solver": "saga", "max_iter": 10_000, "random_state": 0},
)

LIBLINEAR_MESSAGE = (
    "`solver='liblinear'` penalises the intercept as well as the coefficients, so it fits a different model from "
    "the one the step asks for. Keep the default solver (or any other: newton-cg, newton-cholesky, sag, saga)."
)


#: Said when a step's ``LogisticRegression`` has another ``C``, penalty or intercept than the default.
REGULARISATION_MESSAGE = ("Keep the default regularisation of `LogisticRegression` (`C=1.0`, L2 penalty, with an "
                          "intercept): the step changes nothing else.")


def default_regularisation(params: dict) -> bool:
    """Whether a described ``LogisticRegression``'s parameters keep the default regularisation: ``C=1.0``, the L2
    penalty and an intercept (other settings, such as the solver or ``max_iter``, are not looked at)."""
    return (params.get("C", 1.0) == 1.0 and params.get("fit_intercept", True) is True
            and params.get("penalty", "deprecated") in ("deprecated", "l2")
            and params.get("l1_ratio", 0.0) in (0.0, None))


def _short_class(name: str) -> str:
    return str(name).rsplit(".", 1)[-1]


def _logistic(d: dict) -> dict:
    """Parameters of the pipeline's last step (empty when there is none)."""
    return d["steps"][-1]["params"] if d.get("steps") else {}


def _label(key):
    """A ``class_weight`` key as the class label it names: ``0``, ``"0"`` (plain data keys are strings) and ``0.0``
    all name class 0; None when it names no integer label."""
    if isinstance(key, bool):
        return None
    try:
        value = float(key)
    except (TypeError, ValueError):
        return None
    return int(value) if np.isfinite(value) and value == int(value) else None


def class_weights(found, classes=(0, 1)):
    """The weight each class gets from a ``class_weight`` (plain data), as scikit-learn applies it.

    A class a dict leaves out gets weight 1, so ``{1: 1000}`` is ``{0: 1, 1: 1000}``; None and ``{}`` weigh every
    class 1. ``"balanced"`` is returned as it is (its weights depend on the rows). None when it cannot be read (a
    key that is no class label, a weight that is no number). The weights themselves are compared, not their
    ratio: multiplying every weight by the same factor multiplies the loss, which for a penalised model such as
    ``LogisticRegression`` amounts to another ``C`` (``{0: 2, 1: 2000}`` fits another model than ``{0: 1, 1: 1000}``).
    """
    if found is None:
        return {c: 1.0 for c in classes}
    if isinstance(found, str):
        return found if found == "balanced" else None
    if not isinstance(found, dict):
        return None
    weights = {c: 1.0 for c in classes}
    for key, weight in found.items():
        label = _label(key)
        if label not in weights or isinstance(weight, bool):
            return None
        try:
            weights[label] = float(weight)
        except (TypeError, ValueError):
            return None
    return weights


def same_class_weights(found, expected, classes=(0, 1)) -> bool:
    """Whether two ``class_weight`` values weigh every class alike (None: no weighting; left-out classes weigh 1)."""
    mine, theirs = class_weights(found, classes), class_weights(expected, classes)
    if mine is None or theirs is None or isinstance(mine, str) or isinstance(theirs, str):
        return mine is not None and mine == theirs
    return all(np.isclose(mine[c], theirs[c], rtol=1e-12, atol=0) for c in classes)


def weights_text(found) -> str:
    """A ``class_weight`` written as the learner typed it: the plain description stores dict keys as strings, so a
    key that reads as a number is shown as one (``{0: 1000, 1: 1}``, not ``{'0': 1000, '1': 1}``)."""
    if not isinstance(found, dict):
        return repr(found)

    def key_text(key):
        if isinstance(key, str):
            try:
                float(key)
                return key
            except ValueError:
                return repr(key)
        return repr(key)

    return "{" + ", ".join(f"{key_text(k)}: {v!r}" for k, v in found.items()) + "}"


def fitted_state(model) -> dict:
    """What a fitted pipeline's steps record of its fit, as plain data: the first scaler's means
    (``scaler_mean``, which tell its rows) and the largest iteration count of a step (``n_iter``, which tells
    whether the fit converged); None when a step does not record them."""
    state = {"scaler_mean": None, "n_iter": None}
    for _, step in (getattr(model, "steps", None) or [])[:5]:
        try:
            mean = getattr(step, "mean_", None)
            if mean is not None and state["scaler_mean"] is None:
                mean = np.asarray(mean, dtype=float).ravel()
                if mean.size <= 100 and np.isfinite(mean).all():
                    state["scaler_mean"] = mean.tolist()
            n_iter = getattr(step, "n_iter_", None)
            if n_iter is not None:
                state["n_iter"] = int(np.max(np.asarray(n_iter)))
        except Exception:  # an odd step: judged by its class alone
            pass
    return state


def scaled_logistic_requirements(class_weight: dict | None = None, model=lambda d: d, whose: str = "Your") -> list:
    """The requirements on the model itself of the pipeline StandardScaler then LogisticRegression at its given
    settings: its steps (any names, scikit-learn's or imblearn's pipeline), its class weight, its regularisation,
    a converged solver other than liblinear (any ``max_iter`` that converges).

    ``model(d)`` gives the description of the model to judge (with ``n_iter`` from :func:`fitted_state`) out of
    the description the spec receives; it is the description itself for a bare pipeline, the wrapped model's
    for a wrapper. ``whose`` starts the messages ("Your", or e.g. "The model inside `tuned`: its").
    """
    weight_text = "no `class_weight`" if class_weight is None else f"`class_weight={weights_text(class_weight)}`"
    names = lambda d: [_short_class(s["class"]) for s in d["steps"]]  # noqa: E731
    lr = lambda d: _logistic(model(d))  # noqa: E731
    return [
        ("no-scaler", lambda d: bool(model(d)["steps"]) or not model(d)["class"].endswith(".LogisticRegression"),
         f"{whose} model is a `LogisticRegression` without the `StandardScaler` the step asks for: put both in one "
         "pipeline, the scaler first."),
        ("not-pipeline", lambda d: bool(model(d)["steps"]),
         lambda d: f"{whose} model is a `{_short_class(model(d)['class'])}`; the step asks for a pipeline: a "
         "`StandardScaler`, then a `LogisticRegression`."),
        ("steps", lambda d: names(model(d)) == ["StandardScaler", "LogisticRegression"],
         lambda d: f"{whose} pipeline's steps are {', '.join(names(model(d)))}; the step asks for a `StandardScaler`, "
         "then a `LogisticRegression`, and nothing else."),
        ("class-weight", lambda d: same_class_weights(lr(d).get("class_weight"), class_weight),
         lambda d: f"{whose} `LogisticRegression` has `class_weight={weights_text(lr(d).get('class_weight'))}`; the "
         f"step asks for {weight_text}."),
        ("liblinear", lambda d: lr(d).get("solver") != "liblinear", LIBLINEAR_MESSAGE),
        ("settings-changed", lambda d: default_regularisation(lr(d)), REGULARISATION_MESSAGE),
        ("not-converged",
         lambda d: model(d).get("n_iter") is None or model(d)["n_iter"] < int(lr(d).get("max_iter", 100) or 100),
         lambda d: f"{whose} fit stopped at `max_iter={lr(d).get('max_iter')}` before it converged "
         "(scikit-learn warned with a `ConvergenceWarning`): raise `max_iter`, or keep the default solver."),
    ]


@dataclass
class ScaledLogisticSpec(EstimatorSpec):
    """The fitted pipeline StandardScaler then LogisticRegression, fitted on the training split.

    Parameters
    ----------
    means : callable
        ``means() -> {"train": ..., "test": ..., "all": ...}``: the column means of each set of rows,
        which a StandardScaler fitted on them stores as ``mean_``.
    class_weight : dict or None
        The ``class_weight`` the step asks for.
    train_names : str
        The notebook's training variables, for messages (e.g. ``"X_ec_train, y_ec_train"``).
    correct_message : str
        The verdict when every requirement holds.
    """

    requirements: tuple = ()
    means: Callable[[], dict] = None
    class_weight: dict | None = None
    train_names: str = "X_train, y_train"
    correct_message: str = "The pipeline the step asks for, fitted on the training rows."
    must_be_fitted: bool = True

    def __post_init__(self):
        self.fit_call = f".fit({self.train_names})"
        self.requirements = self._requirements()

    def extract(self, value, seed=DEFAULT_SEED):
        description = super().extract(value, seed)
        description.update(fitted_state(value))
        return description

    def judge(self, data, seed=DEFAULT_SEED):
        result = super().judge(data, seed)
        return Result(result.status, self.correct_message)

    def _rows(self, d: dict, which: str) -> bool:
        mean, reference = d.get("scaler_mean"), np.asarray(self.means()[which], dtype=float)
        return mean is not None and len(mean) == reference.size and bool(
            np.allclose(mean, reference, rtol=1e-9, atol=1e-12)
        )

    def _requirements(self) -> list:
        return [
            *scaled_logistic_requirements(self.class_weight),
            ("all-data", lambda d: self._rows(d, "train") or not self._rows(d, "all"),
             f"Your pipeline was fitted on all the rows, test rows included (its scaler's means are theirs): fit it "
             f"on `{self.train_names}` only, so that the test rows stay unseen."),
            ("test-set", lambda d: self._rows(d, "train") or not self._rows(d, "test"),
             f"Your pipeline was fitted on the test rows (its scaler's means are theirs): fit it on "
             f"`{self.train_names}`, and keep the test rows for scoring."),
            ("other-rows", lambda d: self._rows(d, "train"),
             f"Your pipeline was fitted on other rows than `{self.train_names}` (its scaler's means differ from "
             "theirs): fit it on the training split made by the given cell."),
        ]


def column_means(X_train, X_test) -> dict:
    """The ``means`` argument of :class:`ScaledLogisticSpec` for a split."""
    train, test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    return {"train": train.mean(axis=0), "test": test.mean(axis=0), "all": np.vstack([train, test]).mean(axis=0)}
