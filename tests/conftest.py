"""Shared fixtures: paths, and running a notebook to read its computed values."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Every kernel started from here on loads tests/offline/sitecustomize.py, which blocks the network.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT / "tests" / "offline")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)

_COLLECT = """
import json as _json, numbers as _numbers
import numpy as _np
def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return _plain(value.to_dict(orient="list"))
    if hasattr(value, "to_numpy"):
        return _plain(value.to_numpy().tolist())
    if isinstance(value, _np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (bool, _np.bool_)):
        return bool(value)
    if isinstance(value, _numbers.Integral):
        return int(value)
    if isinstance(value, _numbers.Real):
        return float(value)
    return value if isinstance(value, str) or value is None else repr(value)
print(_json.dumps({name: _plain(globals()[name]) for name in %r if name in globals()}))
"""

_cache: dict[tuple, dict] = {}


def run_notebook(relative_path: str, names: list[str] | tuple[str, ...], timeout: int = 300, extra_code: str = "") -> dict:
    """Execute a notebook in a fresh kernel and return the listed variables as plain data.

    Claims tests use it to re-measure what a lesson states, in the lesson's own code.
    ``extra_code`` runs after the notebook, before the variables are read.
    """
    key = (relative_path, tuple(names), extra_code)
    if key in _cache:
        return _cache[key]
    path = ROOT / relative_path
    nb = nbformat.read(path, as_version=4)
    if extra_code:
        nb.cells.append(nbformat.v4.new_code_cell(extra_code))
    nb.cells.append(nbformat.v4.new_code_cell(_COLLECT % (list(names),)))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    stream = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    values = json.loads(stream.strip().splitlines()[-1])
    missing = set(names) - set(values)
    assert not missing, f"{relative_path} does not define {sorted(missing)}"
    _cache[key] = values
    return values


def require_sandbox(workdir: Path) -> None:
    """Fail when the grader's sandbox cannot run where it must (CI, root); skip only for a non-root developer."""
    from course_utils.grading import _sandbox

    try:
        _sandbox.probe(ROOT / "course_utils", workdir=workdir)
    except _sandbox.SandboxError as error:
        if os.environ.get("CI") or os.geteuid() == 0:
            pytest.fail(f"the grader's sandbox must work here: {error}")
        pytest.skip(f"bubblewrap cannot run here as a normal user: {error}")


def assert_fails(result, *fragments, status=None, points=0):
    """``result`` fails with ``status`` (default: incorrect) and its message holds every fragment.

    ``points`` is the credit the other, right parts of a multi-part question still earn; ``None``
    skips that check. Returns ``result`` for further assertions.
    """
    from course_utils.checks import Status

    assert result.status is (status or Status.INCORRECT), result
    if points is not None:
        assert result.points == points
    for fragment in fragments:
        assert fragment in result.message, (fragment, result.message)
    return result


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def solution_fragments(question) -> list[str]:
    """The code lines of ``question``'s solution, and the right-hand sides of its assignments, that are long
    enough to be recognisable: a wrong-answer message must quote none of them (that is `solution()`'s job)."""
    fragments = []
    for line in question.solution_code.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "def ", '"""', "return ")) or line.endswith('"""'):
            continue
        fragments.append(line)
        if " = " in line:
            fragments.append(line.split(" = ", 1)[1])
    return [f for f in fragments if len(f) >= 16]


@pytest.fixture
def wrong_answer_messages_never_quote_the_solution(monkeypatch):
    """Every verdict graded by a test that uses this fixture: an incorrect one quotes no line of the solution.

    Recorded, then asserted after the test: ``check`` turns an exception inside it into "could not be checked".
    """
    from course_utils.checks import Question, Status

    real_grade = Question.grade
    quoted = []

    def grade(self, extracted, seed=0):
        result = real_grade(self, extracted, seed)
        if result.status is Status.INCORRECT:
            quoted.extend((self.label, f, result.message) for f in solution_fragments(self) if f in result.message)
        return result

    monkeypatch.setattr(Question, "grade", grade)
    yield
    assert not quoted, quoted
