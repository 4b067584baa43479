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


def _short_class(name: str) -> str:
    return str(name).rsplit(".", 1)[-1]


def _logistic(d: dict) -> dict:
    """Parameters of the pipeline's last step (empty when there is none)."""
    return d["steps"][-1]["params"] if d.get("steps") else {}


def _weights_equal(found, expected: dict | None) -> bool:
    """Whether a ``class_weight`` found equals the expected one (None: no weighting; all-1 weights are the same)."""
    if expected is None:
        return found in (None, {}) or (isinstance(found, dict) and all(float(w) == 1 for w in found.values()))
    if not isinstance(found, dict):
        return False
    try:
        mine = {int(float(k)): float(v) for k, v in found.items()}
    except (TypeError, ValueError):
        return False
    return mine == {int(k): float(v) for k, v in expected.items()}


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
        description["scaler_mean"] = description["n_iter"] = None
        for _, step in (getattr(value, "steps", None) or [])[:5]:
            try:
                mean = getattr(step, "mean_", None)
                if mean is not None and description["scaler_mean"] is None:
                    mean = np.asarray(mean, dtype=float).ravel()
                    if mean.size <= 100 and np.isfinite(mean).all():
                        description["scaler_mean"] = mean.tolist()
                n_iter = getattr(step, "n_iter_", None)
                if n_iter is not None:
                    description["n_iter"] = int(np.max(np.asarray(n_iter)))
            except Exception:  # an odd step: judged by its class alone
                pass
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
        weight_text = "no `class_weight`" if self.class_weight is None else f"`class_weight={self.class_weight}`"
        names = lambda d: [_short_class(s["class"]) for s in d["steps"]]  # noqa: E731
        return [
            ("no-scaler", lambda d: bool(d["steps"]) or not d["class"].endswith(".LogisticRegression"),
             "Your model is a `LogisticRegression` without the `StandardScaler` the step asks for: put both in one "
             "pipeline, the scaler first."),
            ("not-pipeline", lambda d: bool(d["steps"]),
             "The step asks for a pipeline: a `StandardScaler`, then a `LogisticRegression`."),
            ("steps", lambda d: names(d) == ["StandardScaler", "LogisticRegression"],
             lambda d: f"Your pipeline's steps are {', '.join(names(d))}; the step asks for a `StandardScaler`, then a "
             "`LogisticRegression`, and nothing else."),
            ("class-weight", lambda d: _weights_equal(_logistic(d).get("class_weight"), self.class_weight),
             lambda d: f"Your `LogisticRegression` has `class_weight={_logistic(d).get('class_weight')!r}`; the step "
             f"asks for {weight_text}."),
            ("liblinear", lambda d: _logistic(d).get("solver") != "liblinear", LIBLINEAR_MESSAGE),
            ("settings-changed",
             lambda d: _logistic(d).get("C", 1.0) == 1.0 and _logistic(d).get("fit_intercept", True) is True
             and _logistic(d).get("penalty", "deprecated") in ("deprecated", "l2")
             and _logistic(d).get("l1_ratio", 0.0) in (0.0, None),
             "Keep the default regularisation of `LogisticRegression` (`C=1.0`, L2 penalty, with an intercept): "
             "the step changes nothing else."),
            ("not-converged",
             lambda d: d.get("n_iter") is None or d["n_iter"] < int(_logistic(d).get("max_iter", 100) or 100),
             lambda d: f"Your fit stopped at `max_iter={_logistic(d).get('max_iter')}` before it converged "
             "(scikit-learn warned with a `ConvergenceWarning`): raise `max_iter`, or keep the default solver."),
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
