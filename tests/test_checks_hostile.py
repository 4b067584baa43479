"""Every question of every exercise survives the inputs of GUIDE section 6: it never raises,
never passes, never shows a traceback, and says something the learner can act on."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import course_utils.exercises as exercises_pkg
from course_utils.checks import Result, Status


def all_questions():
    for module_info in pkgutil.iter_modules(exercises_pkg.__path__):
        module = importlib.import_module(f"course_utils.exercises.{module_info.name}")
        for question in [*module.exercise.questions.values(), *module.exercise.prompts.values()]:
            yield pytest.param(question, id=question.label)


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


class RaisingEverything:
    def __eq__(self, other):
        raise RuntimeError("boom")

    def __float__(self):
        raise RuntimeError("boom")

    def __len__(self):
        raise RuntimeError("boom")

    def __array__(self, *args, **kwargs):
        raise RuntimeError("boom")

    def __getattr__(self, name):
        raise RuntimeError("boom")


class AlwaysEqualStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


def _generator():
    yield from range(10)


def hostile_inputs():
    return {
        "string": "0.5",
        "short list": [1, 2],
        "nan array": np.array([np.nan, 1.0, 0.0]),
        "dataframe": pd.DataFrame({"a": [0.1, 0.2], "b": [1, 0]}),
        "unfitted estimator": LogisticRegression(),
        "sampler in wrong place": Pipeline([("model", StandardScaler()), ("smote", SMOTE())]),
        "always equal": AlwaysEqual(),
        "always equal str": AlwaysEqualStr("z"),
        "raising": RaisingEverything(),
        "generator": _generator(),
        "huge array": np.broadcast_to(0.0, (10**8,)),
        "class not instance": LogisticRegression,
        "lambda": lambda *a, **k: AlwaysEqual(),
        "bool": True,
    }


@pytest.mark.parametrize("question", list(all_questions()))
@pytest.mark.parametrize("name", list(hostile_inputs()))
def test_hostile_input_never_raises_nor_passes(question, name):
    value = hostile_inputs()[name]
    values = [value] * len(question.parts)
    result = question.check(*values)
    assert isinstance(result, Result)
    assert result.status is not Status.CORRECT, f"{name} passed {question.label}"
    assert result.points == 0
    assert result.message.strip()
    text = str(result) + result._repr_html_()
    assert "Traceback" not in text and 'File "' not in text


@pytest.mark.parametrize("question", list(all_questions()))
def test_blank_answers_are_not_attempted(question):
    for blank in (None, ...):
        assert question.check(*([blank] * len(question.parts))).status is Status.NOT_ATTEMPTED
    assert question.check().status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("question", list(all_questions()))
def test_every_question_declares_points_hints_and_solution(question):
    assert question.points > 0 or question.label.split(".")[1].startswith("p")
    assert question.hints, f"{question.label} has no hint"
    assert question.solution_code, f"{question.label} has no solution"
