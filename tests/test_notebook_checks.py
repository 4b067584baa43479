"""Exercise notebooks run to the end untouched, every check saying "not attempted";
solution notebooks pass every check. Both in a real kernel, as a learner would run them."""

from __future__ import annotations

import nbformat
import pytest

from conftest import ROOT, run_notebook
from course_utils.authoring.notebooks import exercise_key

EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))

_STATUSES = """
import importlib as _importlib
_exercise = _importlib.import_module("course_utils.exercises.{key}").exercise
_statuses = {{name: (q.last_result.status.value if q.last_result is not None else "never checked")
             for name, q in _exercise.questions.items()}}
"""


def _statuses(path):
    key = exercise_key(path)
    rel = str(path.relative_to(ROOT))
    return run_notebook(rel, ["_statuses"], extra_code=_STATUSES.format(key=key))["_statuses"]


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXERCISES, ids=[p.name for p in EXERCISES])
def test_blank_exercise_runs_to_the_end_with_nothing_attempted(path):
    statuses = _statuses(path)
    assert statuses and set(statuses.values()) == {"not attempted"}, statuses


@pytest.mark.notebook
@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_solution_passes_every_check(path):
    statuses = _statuses(path)
    assert statuses and set(statuses.values()) == {"correct"}, statuses
    assert nbformat.read(path, as_version=4).metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.notebook
def test_kernels_started_by_the_tests_cannot_reach_the_network(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import socket\n"
            "try:\n"
            "    socket.create_connection(('192.0.2.1', 80), timeout=2)\n"
            "    blocked = False\n"
            "except OSError as error:\n"
            "    blocked = 'disabled' in str(error)\n"
        )
    ]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    # An absolute path works too: ROOT / "/abs/path" is "/abs/path".
    assert run_notebook(str(path), ["blocked"])["blocked"] is True


@pytest.mark.notebook
def test_check_after_a_failed_answer_cell_says_not_attempted_instead_of_raising(tmp_path):
    """Issue 9: the natural Series answer raises on a NumPy array; the check cell below must not raise."""
    import re

    from nbclient import NotebookClient

    path = ROOT / "exercises" / "03_class_weights.ipynb"
    nb = nbformat.read(path, as_version=4)
    answer = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "balanced_weights = ..." in c.source
                  and i > 1)
    check = next(i for i, c in enumerate(nb.cells) if c.source.strip() == "ex03.q1.check(balanced_weights)")
    nb.cells[answer].source = "counts = pd.Series(y_train).value_count()\nbalanced_weights = len(y_train) / (2 * counts)"
    nb.cells = nb.cells[: check + 1]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    assert any(o.output_type == "error" for o in nb.cells[answer].outputs), "the answer cell should fail"
    outputs = nb.cells[check].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    text = outputs[0].data["text/plain"]
    assert "Not attempted" in text and "placeholder" in text and "error" in text
    assert not re.search("NameError|Traceback", text)


@pytest.mark.parametrize("path", SOLUTIONS + [ROOT / "notebooks" / "00_start_here.ipynb"], ids=lambda p: p.name)
def test_the_one_tolerance_rule_is_stated_in_the_introduction(path):
    """policy.md item 1: one sentence, the same wording, in notebook 00 and every exercise's introduction."""
    from course_utils.checks import TOLERANCE_RULE

    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    intro = nbformat.read(path, as_version=4).cells[0].source if path.parent.name == "solutions" else text
    assert "**Numbers.** " + TOLERANCE_RULE in intro
    assert "only when it is the last line" not in text  # a check, hint or solution shows wherever it stands
    assert "up to 0.0001" not in text and "0.000001" not in text
