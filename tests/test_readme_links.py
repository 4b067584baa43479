"""The README's lesson table carries real Colab links, made from pyproject's [tool.course]."""

from __future__ import annotations

import re

from conftest import ROOT
from course_utils.authoring import colab


def test_every_lesson_and_exercise_has_its_colab_link_in_the_table():
    course = colab.load_course()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The lessons"):readme.index("## Exercises and checks")]
    lessons = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    exercises = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
    links = re.findall(r"\]\((https://colab\.research\.google\.com/[^)]+)\)", table)
    assert links == [course.colab_url(p) for pair in zip(lessons, [None] + exercises) for p in pair if p], links
    assert "the Colab links in the table above" in readme  # the promise the instructors' section makes
