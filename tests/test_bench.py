"""The benchmark's machinery (course_utils.authoring.bench) on tiny notebooks and a made-up exercise.

Structure only: these tests never assert how fast anything is, so a slow machine cannot fail them.
"""

from __future__ import annotations

import csv
import os
import sys
import textwrap
import types

import nbformat
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score

from course_utils.authoring import bench
from course_utils.checks import Array, Choice, EstimatorSpec, Exercise, FunctionCases, HeldoutScore, Number
from course_utils.data import make_imbalanced


def _notebook(*sources: str, tags: dict[int, list[str]] | None = None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(s)) for s in sources]
    for index, cell_tags in (tags or {}).items():
        nb.cells[index].metadata["tags"] = cell_tags
    return nb


@pytest.mark.notebook
def test_run_notebook_measures_wall_time_and_the_kernels_peak_memory(tmp_path):
    # 256 MiB touched then freed: the peak must still see it (VmHWM on Linux is exact).
    nb = _notebook("import numpy as np\nblock = np.ones(256 * 2**20 // 8)\ndel block", "x = 41 + 1")
    run = bench.run_notebook(nb, tmp_path, after=["print('after', x)"])
    assert run.error is None
    assert 0 < run.kernel_start < run.seconds
    assert run.cpu_seconds is None or run.cpu_seconds > 0
    if sys.platform.startswith("linux"):
        assert run.peak_mib >= 256
    assert run.extra_outputs == ["after 42\n"]


@pytest.mark.notebook
def test_a_failing_cell_is_reported_and_what_ran_before_it_can_still_be_read(tmp_path):
    nb = _notebook("x = 1", "raise ValueError('boom')", "y = 2")
    run = bench.run_notebook(nb, tmp_path, inject_after_setup="z = 3", after=["print(x, z, 'y' in globals())"])
    assert run.error is not None and "ValueError" in run.error and "cell 1" in run.error
    assert "\x1b[" not in run.error
    assert run.extra_outputs == ["1 3 False\n"]


# --------------------------------------------------------------------------- #
# Feedback latency, in-process on a made-up exercise with every answer kind
# --------------------------------------------------------------------------- #


def _heldout(seed):
    return make_imbalanced(400, imbalance_ratio=4, random_state=3, draw=seed + 1)


def _double_cases(seed):
    return [{"x": 1}, {"x": 2.5}]


def _made_up_exercise() -> Exercise:
    exercise = Exercise("ex99", "Exercise 99 - bench")
    exercise.question("q1", ("ratio", Number(expected=4.0, atol=0.01)), points=1, hints=[], solution="ratio = 4.0")
    exercise.question(
        "q2", ("letter", Choice(options={"a": "yes", "b": "no"}, correct="b")), points=1, hints=[], solution="letter = 'b'"
    )
    exercise.question("q3", ("values", Array(expected=[0, 1, 1])), points=1, hints=[], solution="values = [0, 1, 1]")
    exercise.question(
        "q4",
        ("model", EstimatorSpec(requirements=[(lambda d: d["class"].endswith("LogisticRegression"), "Use LR.")], must_be_fitted=True)),
        points=1, hints=[], solution="model = LogisticRegression().fit(X, y)",
    )
    exercise.question(
        "q5",
        ("scored", HeldoutScore(make_heldout=_heldout, metric=balanced_accuracy_score, minimum=0.6)),
        points=1, hints=[], solution="scored = LogisticRegression().fit(X, y)",
    )
    exercise.question(
        "q6",
        ("double", FunctionCases(make_cases=_double_cases, judge_case=lambda kw, out: None if out == 2 * kw["x"] else "Not doubled.")),
        points=1, hints=[], solution="def double(x): return 2 * x",
    )
    exercise.question(
        "q7", {"low": Number(expected=1.0), "high": Number(expected=2.0)}, points=2, hints=[], solution="low, high = 1.0, 2.0"
    )
    exercise.question("q8", ("never_defined", Number(expected=0.0)), points=1, hints=[], solution="never_defined = 0")
    exercise.prompt("p1", Choice(options={"a": "up", "b": "down"}, correct="a"), hints=[], solution="")
    return exercise


@pytest.fixture
def made_up_checkers(monkeypatch):
    package = types.ModuleType("benchfake_checkers")
    package.__path__ = []
    module = types.ModuleType("benchfake_checkers.ex99")
    module.exercise = _made_up_exercise()
    monkeypatch.setitem(sys.modules, "benchfake_checkers", package)
    monkeypatch.setitem(sys.modules, "benchfake_checkers.ex99", module)
    return module.exercise


def test_latency_probe_times_the_solutions_answer_and_a_wrong_one_for_every_kind(made_up_checkers):
    X, y = make_imbalanced(400, imbalance_ratio=4, random_state=3)
    namespace = {
        "ratio": 4.0,
        "letter": "b",
        "values": np.array([0, 1, 1]),
        "model": LogisticRegression().fit(X, y),
        "scored": LogisticRegression().fit(X, y),
        "double": lambda x: 2 * x,
        "low": 1.0,
        "high": 2.0,
    }
    rows = bench.probe_latency("ex99", namespace, repeats=3, checkers="benchfake_checkers")
    by_key = {(r["question"], r.get("answer")): r for r in rows}
    for q in ("q1", "q2", "q3", "q4", "q5", "q6", "q7"):
        right, wrong = by_key[(q, "solution")], by_key[(q, "wrong")]
        assert right["status"] == "correct", (q, right)
        assert wrong["status"] != "correct", (q, wrong)
        assert len(right["samples_ms"]) == len(wrong["samples_ms"]) == 3
        assert all(t >= 0 for t in right["samples_ms"] + wrong["samples_ms"])
    assert by_key[("q8", None)]["missing"] == ["never_defined"]

    prompts = bench.probe_latency("ex99", {}, repeats=2, which="prompts", checkers="benchfake_checkers")
    assert [(r["question"], r["answer"], r["status"]) for r in prompts] == [
        ("p1", "solution", "correct"),
        ("p1", "wrong", "incorrect"),
    ]


def test_the_notebooks_own_first_check_call_is_recorded_and_counted(made_up_checkers):
    from course_utils.checks import Question

    original = Question.check
    try:
        bench.NOTEBOOK_CALLS.clear()
        bench.record_check_calls()
        bench.record_check_calls()  # twice is harmless
        made_up_checkers.questions["q1"].check(4.0)
        assert len(bench.NOTEBOOK_CALLS["ex99.q1"]) == 1
        rows = bench.probe_latency("ex99", {"ratio": 4.0}, repeats=2, checkers="benchfake_checkers")
        right = next(r for r in rows if r["question"] == "q1" and r.get("answer") == "solution")
        assert right["first_ms"] is not None and len(right["samples_ms"]) == 3
    finally:
        Question.check = original
        bench.NOTEBOOK_CALLS.clear()


# --------------------------------------------------------------------------- #
# Grading cost and the whole run
# --------------------------------------------------------------------------- #


def test_submissions_are_correct_copies_of_the_solutions_with_exercise_metadata(tmp_path):
    solution = tmp_path / "solutions" / "07_topic.ipynb"
    solution.parent.mkdir()
    nb = _notebook("x = 1", "# worked answer", tags={1: ["solution"]})
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nbformat.write(nb, solution)
    before = solution.read_bytes()
    written = bench.make_submissions([solution], tmp_path / "subs", copies=2)
    assert [p.relative_to(tmp_path / "subs").as_posix() for p in written] == [
        "student_01/07_topic.ipynb",
        "student_02/07_topic.ipynb",
    ]
    copy = nbformat.read(written[0], as_version=4)
    assert copy.metadata["course"] == {"exercise": "ex07"}
    assert [c.source for c in copy.cells] == ["x = 1"] and copy.cells[0].outputs == []
    assert solution.read_bytes() == before


def test_grading_is_skipped_with_a_note_when_there_is_no_grader(tmp_path):
    result = bench.bench_grading([tmp_path / "01_x.ipynb"], copies=1, grader="no_such_module_for_bench")
    assert "does not exist" in result["skipped"]
    report = bench.Report(machine=bench.machine_info(), grading=result)
    assert "Not measured: the grader" in report.markdown()


_TINY_CHECKERS = '''
from course_utils.checks import Choice, Exercise, Number

exercise = Exercise("ex01", "Exercise 01 - tiny")
progress = exercise.progress
q1 = exercise.question("q1", ("answer", Number(expected=42.0)), points=1, hints=[], solution="answer = 42")
q2 = exercise.question("q2", ("letter", Choice(options={"a": "x", "b": "y"}, correct="a")), points=1, hints=[],
                       solution="letter = 'a'")
p1 = exercise.prompt("p1", Choice(options={"a": "x", "b": "y"}, correct="b"), hints=[], solution="")
'''

# Writes what the real grader writes (grades.csv), giving every submission full marks.
_FAKE_GRADER = '''
import argparse, csv, pathlib
parser = argparse.ArgumentParser()
parser.add_argument("submissions")
parser.add_argument("--out")
parser.add_argument("--jobs")
args = parser.parse_args()
out = pathlib.Path(args.out)
out.mkdir(parents=True)
with (out / "grades.csv").open("w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["student", "exercise", "submission", "q1", "q2", "total", "max_total", "status"])
    for path in sorted(pathlib.Path(args.submissions).rglob("*.ipynb")):
        writer.writerow([path.parent.name, "ex01", path.name, 1, 1, 2, 2, "ok"])
'''


@pytest.mark.notebook
def test_the_whole_benchmark_runs_on_a_tiny_course_and_writes_every_output(tmp_path, monkeypatch):
    code = tmp_path / "code"
    (code / "tinycheckers").mkdir(parents=True)
    (code / "tinycheckers" / "__init__.py").write_text("")
    (code / "tinycheckers" / "ex01.py").write_text(_TINY_CHECKERS)
    (code / "tinygrader.py").write_text(_FAKE_GRADER)
    monkeypatch.syspath_prepend(str(code))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]))

    course = tmp_path / "course"
    setup = "from tinycheckers import ex01"
    notebooks = {
        "notebooks/01_tiny.ipynb": _notebook(setup, "my_prediction = ...\nex01.p1.check(my_prediction)"),
        "solutions/01_tiny.ipynb": _notebook(setup, "answer = 42\nex01.q1.check(answer)", "letter = 'a'\nex01.q2.check(letter)"),
        "exercises/01_tiny.ipynb": _notebook(setup, "answer = ...\nex01.q1.check(answer)"),
    }
    for rel, nb in notebooks.items():
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, course / rel)

    out = tmp_path / "bench"
    status = bench.main(
        ["--root", str(course), "--out", str(out), "--repeats", "2", "--floor-runs", "1", "--copies", "1",
         "--jobs", "1", "--checkers", "tinycheckers", "--grader", "tinygrader"]
    )
    assert status == 0

    with (out / "notebooks.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["notebook", "seconds", "peak_mib"]
    assert sorted(r[0] for r in rows[1:]) == sorted(notebooks)
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rows[1:])

    with (out / "checks.csv").open(newline="") as handle:
        checks = list(csv.DictReader(handle))
    assert list(checks[0])[:4] == ["exercise", "question", "median_ms", "max_ms"]
    found = {(r["exercise"], r["question"], r["answer"], r["status"]) for r in checks}
    assert found == {
        ("ex01", "q1", "solution", "correct"), ("ex01", "q1", "wrong", "incorrect"),
        ("ex01", "q2", "solution", "correct"), ("ex01", "q2", "wrong", "incorrect"),
        ("ex01", "p1", "solution", "correct"), ("ex01", "p1", "wrong", "incorrect"),
    }
    assert all(0 <= float(r["median_ms"]) <= float(r["max_ms"]) for r in checks)

    with (out / "grading.csv").open(newline="") as handle:
        grading = {(r["what"], r["jobs"]): r for r in csv.DictReader(handle)}
    assert set(grading) == {
        ("execute A (nbclient, before)", "1"), ("execute B (nbclient, after)", "1"), ("execute (mean of A and B)", "1"), ("grade", "1")
    }
    assert grading[("grade", "1")]["submissions"] == "1"
    assert float(grading[("grade", "1")]["ratio_to_execute"]) > 0

    results = (out / "results.md").read_text()
    for heading in ("## The machine", "## Budgets", "## The floor", "## Notebooks", "## Feedback latency", "## Grading cost"):
        assert heading in results
    assert "scikit-learn" in results and "cores" in results
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
