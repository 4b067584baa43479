"""The course's shape: numbering, exercises in sync with solutions, clean stored outputs, offline."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from course_utils.authoring.notebooks import exercise_key, stale_exercises
from conftest import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERED = [p for p in LESSONS if not p.name.startswith("00_")]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
STORED = LESSONS + SOLUTIONS


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_lessons():
    assert len(NUMBERED) >= 2


@pytest.mark.parametrize("lesson", NUMBERED, ids=ids(NUMBERED))
def test_lesson_has_exercise_solution_and_checker_by_number(lesson):
    assert (ROOT / "exercises" / lesson.name).exists()
    assert (ROOT / "solutions" / lesson.name).exists()
    module = importlib.import_module(f"course_utils.exercises.{exercise_key(lesson)}")
    assert len(module.exercise.questions) >= 4
    assert callable(module.progress)


def test_every_solution_and_exercise_has_a_lesson():
    lesson_numbers = {p.name[:2] for p in NUMBERED}
    for path in SOLUTIONS + EXERCISES:
        assert path.name[:2] in lesson_numbers, f"{path} has no lesson"


def test_exercises_are_in_sync_with_solutions():
    stale = stale_exercises(ROOT)
    assert not stale, f"run `make exercises`: {stale}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=ids(EXERCISES))
def test_exercise_metadata_and_no_outputs(exercise):
    nb = nbformat.read(exercise, as_version=4)
    assert nb.metadata["course"]["exercise"] == exercise_key(exercise)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("path", STORED, ids=ids(STORED))
def test_stored_outputs_are_executed_in_order_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), "store the notebook executed top to bottom, once"
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            where = f"{path.name} cell {index}"
            assert output.output_type != "error", f"{where}: stored error"
            if output.output_type == "stream":
                assert output.name == "stdout", f"{where}: stderr output (a warning?)"
            text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            assert not re.search(r"0x[0-9a-fA-F]{6,}", text), f"{where}: object address"
            assert "Warning" not in text, f"{where}: a warning"


@pytest.mark.parametrize("path", STORED + EXERCISES, ids=ids(STORED + EXERCISES))
def test_setup_is_one_cell_and_no_code_reaches_the_network(path):
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    imports = [i for i, src in enumerate(code) if re.search(r"^\s*(import|from)\s", src, re.M)]
    if path.name.startswith("00_"):
        return
    assert imports and imports[0] == 0, "the first code cell is the setup cell"
    assert imports == [0] or all("course_utils" not in code[i] for i in imports[1:]), (
        "course_utils is imported in the setup cell only"
    )
    for src in code:
        for url in re.findall(r"https?://\S+", src):
            assert "colab" in src.lower(), f"network address in code: {url}"


@pytest.mark.parametrize("lesson", NUMBERED, ids=ids(NUMBERED))
def test_lesson_opens_with_objectives_and_closes_with_recap(lesson):
    nb = nbformat.read(lesson, as_version=4)
    markdown = [c.source.lower() for c in nb.cells if c.cell_type == "markdown"]
    assert "in this notebook" in markdown[0] or "in this lesson" in markdown[0]
    assert "recap" in markdown[-1]


def test_checker_solutions_appear_in_solution_notebooks():
    for solution in SOLUTIONS:
        module = importlib.import_module(f"course_utils.exercises.{exercise_key(solution)}")
        text = "\n".join(c.source for c in nbformat.read(solution, as_version=4).cells if c.cell_type == "code")
        squashed = re.sub(r"\s+", "", text)
        for question in module.exercise.questions.values():
            assert re.sub(r"\s+", "", question.solution_code) in squashed, (
                f"{question.label}.solution() differs from the code in {solution.name}"
            )


@pytest.mark.parametrize("lesson", NUMBERED, ids=ids(NUMBERED))
def test_prediction_prompts_offer_the_options_their_checker_takes(lesson):
    # Learner pass 5: lesson 03 said `"a", "b", "c" or "d"` above a prompt of three options. The letters a prompt
    # cell lists, and the options its markdown offers, are the checker's option keys.
    nb = nbformat.read(lesson, as_version=4)
    cells = nb.cells
    found = 0
    for index, cell in enumerate(cells):
        call = re.search(r"(ex\d\d)\.(p\d+)\.check\(my_prediction\)", cell.source)
        if cell.cell_type != "code" or not call:
            continue
        found += 1
        module = importlib.import_module(f"course_utils.exercises.{call.group(1)}")
        keys = list(module.exercise.prompts[call.group(2)].parts["my_prediction"].options)
        listed = re.findall(r'"([a-z])"', cell.source.split("#", 1)[1].splitlines()[0]) if "#" in cell.source else []
        if len(listed) > 1:
            assert listed == keys, (index, listed, keys)
        markdown = next(c.source for c in reversed(cells[:index]) if c.cell_type == "markdown")
        offered = re.findall(r"^- \*\*\(?([a-z])\)?\*\*", markdown, flags=re.M)
        assert offered == keys, (index, offered, keys)
    assert found >= 3
