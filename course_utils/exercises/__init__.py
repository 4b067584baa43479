"""One checker module per exercise notebook, found by its number.

``exercises/02_misleading_accuracy.ipynb`` is checked by ``course_utils.exercises.ex02``::

    from course_utils.exercises import ex02
    ex02.q1.check(answer)
    ex02.q1.hint()
    ex02.q1.solution()
    ex02.progress()
"""

import importlib

from ..checks import Exercise


def load(key: str) -> Exercise:
    """The :class:`~course_utils.checks.Exercise` of module ``key`` (e.g. ``"ex02"``)."""
    return importlib.import_module(f"{__name__}.{key}").exercise
