"""The instructor's grader: a fixture class of submissions, each getting exactly the credit it earned.

The fixture class is generated at test time from the real notebooks, so it never goes stale:

* every solution in ``solutions/`` (full marks) and the first exercise in ``exercises/`` (zero,
  all "not attempted");
* from the first solution: a partly right notebook that is also restructured (check cells
  deleted, a cell moved), and hostile ones -- infinite loops (one that obeys an interrupt, one that does
  not), a memory bomb and ``os._exit``, a notebook that patches ``course_utils`` and forges the
  grader's export, answers whose ``==`` is always True, fake "Correct" output, and a notebook that
  tries to delete or overwrite the other submissions and the results;
* files that are not notebooks, an empty notebook and an unknown exercise.

Expected points are computed from the checker declarations (points split equally between a
question's parts), never pasted.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course_utils.grading import _kernel_export as export
from course_utils.grading import grade as grader
from course_utils.authoring.notebooks import SOLUTION_MARKER, exercise_key, stub_code
from course_utils.exercises import load

pytestmark = pytest.mark.notebook

SEED = 20240601
CELL_TIMEOUT = 30  # the setup cell (imports) takes up to 13 s on a loaded 2-core machine: keep a margin
MAX_MEMORY = 3072


def _pairs():
    """(key, solution path, exercise path or None) for every solution that has a checker module."""
    out = []
    for solution in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        key = exercise_key(solution)
        if not (ROOT / "course_utils" / "exercises" / f"{key}.py").exists():
            continue
        exercise = ROOT / "exercises" / solution.name
        out.append((key, solution, exercise if exercise.exists() else None))
    return out


PAIRS = _pairs()
if not PAIRS:  # pragma: no cover
    pytest.skip("no solution notebooks with checkers yet", allow_module_level=True)
BASE_KEY, BASE_SOLUTION, BASE_EXERCISE = PAIRS[0]


# --------------------------------------------------------------------------- #
# Building the fixture class
# --------------------------------------------------------------------------- #


def _is_check_cell(source: str) -> bool:
    lines = [l.strip() for l in source.splitlines() if l.strip() and not l.strip().startswith("#")]
    return bool(lines) and all(re.match(r"^ex\d\d\.\w+\.(check|hint|solution)\(.*\)$|^ex\d\d\.progress\(\)$", l) for l in lines)


def _names(code: str) -> tuple[set[str], set[str]]:
    """Top-level names assigned (incl. functions) and all names loaded, by ``code``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    stored, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
    return stored, loaded


def leaf_cells(nb, exercise) -> list[tuple[int, set[str]]]:
    """Solution cells whose answers nothing later uses but check cells: safe to break one at a time."""
    variables = {v for q in exercise.questions.values() for v in q.variables}
    cells = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    leaves = []
    for position, (index, source) in enumerate(cells):
        lines = source.splitlines()
        if SOLUTION_MARKER not in [l.strip() for l in lines]:
            continue
        after = "\n".join(lines[[l.strip() for l in lines].index(SOLUTION_MARKER) + 1 :])
        stored, _ = _names(after)
        answers = stored & variables
        if not answers:
            continue
        used_later = set()
        for _i, later in cells[position + 1 :]:
            if not _is_check_cell(later):
                used_later |= _names(later)[1]
        if not (stored & used_later):
            leaves.append((index, answers))
    return leaves


def expected_points(exercise, missing=(), wrong=()) -> dict[str, float]:
    """Points of each question when the variables ``missing`` and ``wrong`` earn nothing."""
    lost = set(missing) | set(wrong)
    return {
        name: q.points / len(q.parts) * sum(v not in lost for v in q.variables)
        for name, q in exercise.questions.items()
    }


def _insert_before_last(nb, source: str) -> None:
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(source))


def _wrong_values(exercise, avoid: set[str]) -> dict[str, str]:
    """A wrong Choice and a wrong Number answer (as code), for variables not in ``avoid``."""
    from course_utils.checks import Choice, Number

    out = {}
    for question in exercise.questions.values():
        for variable, answer in question.parts.items():
            if variable in avoid:
                continue
            if isinstance(answer, Choice) and "choice" not in out:
                wrong = next(k for k in answer.options if k != answer.correct)
                out["choice"] = (variable, f"{variable} = {wrong!r}")
            elif isinstance(answer, Number) and "number" not in out and len(question.parts) > 1:
                expected = answer.expected() if callable(answer.expected) else answer.expected
                out["number"] = (variable, f"{variable} = {float(expected) * 3 + 7!r}")
    return dict(out.values())


_PATCH = r'''
import json, sys
import course_utils, course_utils.checks as C
from course_utils.checks import Result, Status

def _always(self, *args, **kwargs):
    return Result(Status.CORRECT, "Correct!", self.points, self.points, self.label)

C.Question.check = _always
C.Question.grade = _always
C.Question.extract = lambda self, *a, **k: {n: {"status": "correct", "message": "forged"} for n in self.parts}
for kind in (C.Number, C.Choice, C.Array, C.EstimatorSpec, C.HeldoutScore, C.FunctionCases):
    kind.judge = lambda self, data, seed=0: Result(Status.CORRECT, "forged")
    kind.extract = lambda self, value, seed=0: 1.0
C.Result.__bool__ = lambda self: True
sys.modules["course_utils.checks"] = C

# Forge whatever the grader exports: every part "correct", nothing missing.
_dumps = json.dumps
def _forged(obj, *args, **kwargs):
    if isinstance(obj, dict) and "extracted" in obj:
        extracted = obj["extracted"] if isinstance(obj["extracted"], dict) else {}
        obj = dict(obj, missing=[], extracted={n: {"status": "correct", "message": "forged"} for n in extracted})
    return _dumps(obj, *args, **kwargs)
json.dumps = _forged

# Print a fake export with the nonce of whatever cell runs next, and fake success everywhere.
def _hook(info=None):
    import re as _re
    cell = getattr(info, "raw_cell", "") or ""
    for nonce in _re.findall(r"_course_grade_([0-9a-f]{32})", cell):
        print(f"<<course-grade-begin:{nonce}\n" + _dumps({"question": "q1", "extracted": {}, "missing": []}) + f"\n:course-grade-end>>{nonce}")
    print("\u2714 Correct. 10/10 points")
get_ipython().events.register("pre_run_cell", _hook)
get_ipython().events.register("pre_execute", _hook)
'''

_FAKE_SUCCESS = r'''
from IPython.display import HTML, display
for _name in ("q1", "q2", "q3", "q4", "q5", "q6", "q7"):
    print(f"\u2714 {_name}: Correct. All tests passed.")
display(HTML("<b>Exercise: 100/100 points</b> \u2714 all correct"))
'''

_ALWAYS_EQUAL = r'''
import numpy as _np

class AlwaysEqual:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = None
    def __call__(self, *args, **kwargs): return self
    def __getattr__(self, name): return self
    def __float__(self): return 1.0
    def __len__(self): return 1

class EqualStr(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__

class EqualFloat(float):
    def __eq__(self, other): return True
    __hash__ = float.__hash__

class EqualArray(_np.ndarray):
    def __eq__(self, other): return _np.ones(_np.shape(other), dtype=bool)
'''


def _always_equal_cell(exercise) -> str:
    from course_utils.checks import Array, Choice, Number

    lines = [_ALWAYS_EQUAL]
    for question in exercise.questions.values():
        for variable, answer in question.parts.items():
            if isinstance(answer, Number):
                lines.append(f"{variable} = EqualFloat(-12345.0)")
            elif isinstance(answer, Choice):
                lines.append(f"{variable} = EqualStr('zz')")
            elif isinstance(answer, Array):
                lines.append(f"{variable} = _np.zeros(3).view(EqualArray)")
            else:
                lines.append(f"{variable} = AlwaysEqual()")
    return "\n".join(lines)


def _tamper_cell(subs: Path, out: Path) -> str:
    return f'''
import os, shutil, glob
for _target in ({str(subs)!r}, {str(out)!r}, os.path.abspath("..")):
    for _folder, _dirs, _files in os.walk(_target):
        for _name in _files:
            _path = os.path.join(_folder, _name)
            try:
                with open(_path, "w") as _handle:
                    _handle.write("{{}}")
            except OSError:
                pass
    try:
        shutil.rmtree(_target)
    except OSError:
        pass
for _path in ({str(out / "grades.csv")!r}, {str(subs / "victim.ipynb")!r}):
    try:
        os.makedirs(os.path.dirname(_path), exist_ok=True)
        with open(_path, "w") as _handle:
            _handle.write("student,total\\nmallory,100\\n")
    except OSError:
        pass
'''


def build_fixtures(subs: Path, out: Path) -> dict[str, dict]:
    """Write the fixture class under ``subs``; return what each submission must get."""
    expected: dict[str, dict] = {}

    def save(rel: str, nb, points: dict, statuses: set[str], **extra) -> None:
        path = subs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        expected[rel] = {"points": points, "statuses": statuses, **extra}

    for key, solution, blank in PAIRS:
        exercise = load(key)
        save(f"sol_{key}/{solution.name}", nbformat.read(solution, as_version=4), expected_points(exercise), {"ok"}, kind="solution")
        if blank is not None and key == BASE_KEY:  # one blank is enough: the others are the same code path
            save(f"blank_{key}/{blank.name}", nbformat.read(blank, as_version=4),
                 expected_points(exercise, missing=[v for q in exercise.questions.values() for v in q.variables]), {"ok"},
                 kind="blank")

    exercise = load(BASE_KEY)
    all_vars = [v for q in exercise.questions.values() for v in q.variables]
    base = nbformat.read(BASE_SOLUTION, as_version=4)
    name = BASE_SOLUTION.name
    leaves = leaf_cells(base, exercise)
    assert len(leaves) >= 2, "the hostile fixtures need two answer cells that nothing else depends on"
    (leaf1, names1), (leaf2, names2) = leaves[-1], leaves[-2]

    # Partly right, and restructured: the last answer left as handed out, one choice and one part of a
    # two-part question wrong, every check cell deleted and another answer cell moved to the top.
    nb = nbformat.read(BASE_SOLUTION, as_version=4)
    nb.cells[leaf1].source = stub_code(nb.cells[leaf1].source)
    wrong = _wrong_values(exercise, avoid=names1 | names2)
    _insert_before_last(nb, "\n".join(wrong.values()))
    moved = nb.cells[leaf2]
    cells = [c for i, c in enumerate(nb.cells) if i != leaf2 and not (c.cell_type == "code" and _is_check_cell(c.source))]
    setup = next(i for i, c in enumerate(cells) if c.cell_type == "code")
    nb.cells = cells[: setup + 1] + [moved] + cells[setup + 1 :]
    save(f"partly/{name}", nb, expected_points(exercise, missing=names1, wrong=wrong), {"ok"}, kind="partly right",
         not_attempted=names1, incorrect=set(wrong))

    def broken(code1: str, code2: str, rel: str, statuses: set[str], kind: str) -> None:
        nb = nbformat.read(BASE_SOLUTION, as_version=4)
        nb.cells[leaf1].source = code1 + "\n" + nb.cells[leaf1].source
        nb.cells[leaf2].source = code2 + "\n" + nb.cells[leaf2].source
        save(rel, nb, expected_points(exercise, missing=names1 | names2), statuses, kind=kind, not_attempted=names1 | names2)

    broken("while True:\n    pass",
           "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass",
           f"hostile_loops/{name}", {"timeout"}, "infinite loops (interruptible, then not)")
    broken("_blobs = []\nwhile True:\n    _blobs.append(bytearray(64 * 2**20))",
           "import os\nos._exit(1)",
           f"hostile_crash/{name}", {"memory"}, "memory bomb, os._exit")

    blank_nb = nbformat.read(BASE_EXERCISE, as_version=4) if BASE_EXERCISE else None
    if blank_nb is not None:
        nb = nbformat.read(BASE_EXERCISE, as_version=4)
        setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(_PATCH))
        _insert_before_last(nb, _FAKE_SUCCESS)
        save(f"hostile_patch/{name}", nb, expected_points(exercise, missing=all_vars), {"tampered"},
             kind="patches course_utils, forges the export, prints fake success")
        nb = nbformat.read(BASE_EXERCISE, as_version=4)
        _insert_before_last(nb, _always_equal_cell(exercise))
        _insert_before_last(nb, _FAKE_SUCCESS)
        save(f"hostile_eq/{name}", nb, expected_points(exercise, wrong=all_vars), {"ok"},
             kind="always-True __eq__ answers, fake success")

    nb = nbformat.read(BASE_SOLUTION, as_version=4)
    _insert_before_last(nb, _tamper_cell(subs, out))
    save(f"hostile_tamper/{name}", nb, expected_points(exercise), {"tampered", "ok"}, kind="deletes and overwrites others' files")

    # Files that are not gradable notebooks: rows with a clear status, no kernel.
    (subs / "broken.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = ', encoding="utf-8")
    expected["broken.ipynb"] = {"points": {}, "statuses": {"invalid"}, "kind": "invalid JSON"}
    (subs / "list.ipynb").write_text("[1, 2, 3]\n", encoding="utf-8")
    expected["list.ipynb"] = {"points": {}, "statuses": {"invalid"}, "kind": "JSON, not a notebook"}
    empty = nbformat.v4.new_notebook()
    empty.metadata["course"] = {"exercise": BASE_KEY}
    save("empty/notes.ipynb", empty, expected_points(exercise, missing=all_vars), {"empty"}, kind="empty notebook")
    mystery = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    mystery.metadata["course"] = {"exercise": "ex99"}
    save("mystery/homework.ipynb", mystery, {}, {"unknown-exercise"}, kind="unknown exercise")
    return expected


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    subs, out = base / "submissions", base / "results"
    expected = build_fixtures(subs, out)
    before = _hashes(subs)
    summary = grader.grade(subs, out, cell_timeout=CELL_TIMEOUT, max_memory=MAX_MEMORY, jobs=2, seed=SEED, progress=False)
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    details = json.loads((out / "details.json").read_text(encoding="utf-8"))
    _print_table(rows, expected)
    return {
        "base": base, "subs": subs, "out": out, "expected": expected, "before": before, "summary": summary,
        "rows": {r["submission"]: r for r in rows}, "details": details,
    }


def _print_table(rows, expected) -> None:
    lines = ["", "| submission | kind | status | total / max |", "|---|---|---|---|"]
    for row in rows:
        kind = expected.get(row["submission"], {}).get("kind", "")
        lines.append(f"| {row['submission']} | {kind} | {row['status']} | {row['total']} / {row['max_total']} |")
    print("\n".join(lines), file=sys.stderr)


# --------------------------------------------------------------------------- #
# The fixture class, graded
# --------------------------------------------------------------------------- #


def test_every_submission_gets_one_row_and_files_are_untouched(graded):
    assert set(graded["rows"]) == set(graded["expected"])
    assert _hashes(graded["subs"]) == graded["before"], "a submission file changed"
    assert graded["summary"]["tampering"] == []


@pytest.mark.parametrize("kind", ["solution", "blank", "partly right", "infinite loops (interruptible, then not)",
                                  "memory bomb, os._exit", "patches course_utils, forges the export, prints fake success",
                                  "always-True __eq__ answers, fake success", "deletes and overwrites others' files"])
def test_each_submission_gets_exactly_the_credit_it_earned(graded, kind):
    cases = {rel: e for rel, e in graded["expected"].items() if e.get("kind") == kind}
    if not cases:
        pytest.skip(f"no fixture of kind {kind!r} (no exercise notebook?)")
    for rel, want in cases.items():
        row, record = graded["rows"][rel], graded["details"]["submissions"][rel]
        got = {name: q["points"] for name, q in record["questions"].items()}
        assert got == pytest.approx(want["points"]), (rel, record["questions"])
        assert float(row["total"]) == pytest.approx(sum(want["points"].values()))
        assert float(row["max_total"]) == pytest.approx(load(record["exercise"]).max_points)
        assert row["status"] in want["statuses"], (rel, row["status"], record.get("events"), record.get("flags"))
        for name, question in record["questions"].items():
            variables = set(load(record["exercise"]).questions[name].variables)
            if want.get("kind") == "blank" or variables <= set(want.get("not_attempted", ())):
                assert question["status"] == "not attempted", (rel, name, question)
            if want["points"][name] == 0:
                assert question["status"] != "correct", (rel, name, question)


def test_hostile_runs_are_recorded(graded):
    records = graded["details"]["submissions"]
    loops = next(r for rel, r in records.items() if rel.startswith("hostile_loops/"))
    statuses = [c["status"] for c in loops["cells"].values()]
    assert statuses.count("timeout") == 2, loops["cells"]
    assert loops["restarts"] == 1  # the loop that ignores interrupts had to be killed
    crash = next(r for rel, r in records.items() if rel.startswith("hostile_crash/"))
    assert {"memory", "died"} <= set(crash["flags"]), crash
    if "hostile_patch/" + BASE_SOLUTION.name in records:
        patch = records["hostile_patch/" + BASE_SOLUTION.name]
        assert patch["status"] == "tampered" and patch.get("suspicious"), patch


def test_in_the_sandbox_other_files_are_out_of_reach(graded):
    """The sandbox shows no submissions and no results, real or decoy: the attack finds nothing to change."""
    record = graded["details"]["submissions"]["hostile_tamper/" + BASE_SOLUTION.name]
    assert graded["details"]["grader"]["sandboxed"], "the fixture class is graded in the sandbox (tests/test_grade_sandbox.py)"
    assert record["total"] == pytest.approx(load(BASE_KEY).max_points)
    assert record["status"] in ("ok", "tampered")
    assert (graded["out"] / "grades.csv").read_text().count("\n") == len(graded["expected"]) + 1


def test_bad_files_become_rows(graded):
    rows = graded["rows"]
    assert rows["broken.ipynb"]["status"] == "invalid" and rows["broken.ipynb"]["student"] == "broken"
    assert rows["list.ipynb"]["status"] == "invalid"
    assert rows["empty/notes.ipynb"]["status"] == "empty"
    assert rows["mystery/homework.ipynb"]["status"] == "unknown-exercise"
    assert "not valid JSON" in rows["broken.ipynb"]["note"]
    assert "missing" in rows["partly/" + BASE_SOLUTION.name]["note"]  # its check cells were deleted


def test_outputs_have_the_promised_shape(graded):
    out = graded["out"]
    header = next(csv.reader((out / "grades.csv").open(encoding="utf-8", newline="")))
    assert header[:3] == ["student", "exercise", "submission"]
    assert re.fullmatch(r"ex\d\d\.q1 \(max [\d.]+\)", header[3]), header  # each exercise's questions, with maxima
    assert header[-4:] == ["total", "max_total", "status", "note"]
    details = graded["details"]
    assert details["grader"]["seed"] == SEED
    for rel, record in details["submissions"].items():
        feedback = out / record["feedback"]
        assert feedback.is_file(), rel
        text = feedback.read_text(encoding="utf-8")
        assert record["status"] in text
        assert str(SEED) not in text  # never the held-out seed
        if record["exercise"]:
            for question in load(record["exercise"]).questions.values():
                if len(question.solution_code) > 20:
                    assert question.solution_code not in text  # never the solution / test code
        assert "Traceback" not in text


def test_rerun_resumes_without_executing_again(graded, tmp_path):
    subs, out = graded["subs"], graded["out"]
    # Other people may be editing checkers while the suite runs: a submission whose checker code
    # changed since the first run must be graded again, and only those.
    changed = sum(
        r["grader"] != grader._fingerprint(r["exercise"] or None) for r in graded["details"]["submissions"].values()
    )
    (subs / "late.ipynb").write_text("not a notebook", encoding="utf-8")
    try:
        summary = grader.grade(subs, out, cell_timeout=CELL_TIMEOUT, max_memory=MAX_MEMORY, jobs=2, progress=False)
    finally:
        (subs / "late.ipynb").unlink()
    assert summary["seed"] == SEED  # taken from details.json
    assert summary["executed"] == 1 + changed  # the new file (and any whose checker changed meanwhile)
    assert summary["reused"] == len(graded["expected"]) - changed
    if changed:
        return
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    for rel, row in graded["rows"].items():
        assert (rows[rel]["total"], rows[rel]["status"]) == (row["total"], row["status"])


def test_tampering_without_a_sandbox(tmp_path):
    """Without bubblewrap, the originals still survive: another user, or restored from memory and reported."""
    subs, out = tmp_path / "subs", tmp_path / "results"
    exercise = load(BASE_KEY)
    nb = nbformat.read(BASE_SOLUTION, as_version=4)
    _insert_before_last(nb, _tamper_cell(subs, out))
    (subs / "mallory").mkdir(parents=True)
    nbformat.write(nb, subs / "mallory" / BASE_SOLUTION.name)
    (subs / "victim.ipynb").write_text('{"not": "graded"}', encoding="utf-8")
    before = _hashes(subs)
    try:
        summary = grader.grade(subs, out, cell_timeout=CELL_TIMEOUT, max_memory=MAX_MEMORY, jobs=1, seed=SEED, sandbox=False, progress=False)
    except RuntimeError as error:  # as root, with a Python no other user can run (pyenv under /root): never a root kernel
        assert os.geteuid() == 0 and "never runs a kernel as root" in str(error), error
        assert _hashes(subs) == before
        return
    assert _hashes(subs) == before
    record = next(r for r in summary["records"] if r["submission"].startswith("mallory/"))
    assert record["total"] == pytest.approx(exercise.max_points)
    if os.geteuid() != 0:
        assert record["status"] == "tampered", record
    else:  # the kernel ran as a user of its own: the attempt failed, so there was nothing to undo
        assert record["status"] in ("ok", "tampered"), record


# --------------------------------------------------------------------------- #
# Pieces, without a kernel
# --------------------------------------------------------------------------- #


def test_students_and_exercises_are_identified_from_paths():
    stems = {"01_imbalance_basics": "ex01", "02_misleading_accuracy": "ex02"}
    assert grader.identify_student("alice/01_imbalance_basics.ipynb", stems) == "alice"
    assert grader.identify_student("alice/week1/anything.ipynb", stems) == "alice"
    assert grader.identify_student("bob_01_imbalance_basics.ipynb", stems) == "bob"
    assert grader.identify_student("Carol Smith - 02_misleading_accuracy.ipynb", stems) == "Carol_Smith"
    assert grader.identify_student("dave-ex02.ipynb", stems) == "dave"
    assert grader.identify_student("erin.ipynb", stems) == "erin"
    known = ["ex01", "ex02"]
    assert grader.identify_exercise({"course": {"exercise": "ex02"}}, "x/whatever.ipynb", known, stems) == ("ex02", "metadata")
    assert grader.identify_exercise({"course": {"exercise": "ex02; import os"}}, "x/01_imbalance_basics.ipynb", known, stems) == ("ex01", "file name")
    assert grader.identify_exercise({}, "x/bob_02_misleading_accuracy (1).ipynb", known, stems) == ("ex02", "file name")
    assert grader.identify_exercise({}, "x/bob_ex01.ipynb", known, stems) == ("ex01", "file name")
    assert grader.identify_exercise({"course": {"exercise": "ex99"}}, "x/notes.ipynb", known, stems) == (None, "unknown")


def test_inputs_codec_round_trips_without_pickle():
    import pandas as pd

    frame = pd.DataFrame(
        {"sex": pd.Series(["M", "F", "I"], dtype="str"), "x": [1.5, np.nan, -2.0], "n": [1, 2, 3],
         "c": pd.Categorical(["a", "b", "a"]), "flag": [True, False, True]},
        index=pd.RangeIndex(10, 13),
    )
    value = {"X": frame, "y": np.array([0, 1, 1]), "t": (1, "a", None, float("inf")), "s": frame["x"],
             "m": np.arange(6.0).reshape(2, 3)}
    text = json.dumps(export.encode(value), allow_nan=False)
    back = export.decode(json.loads(text))
    pd.testing.assert_frame_equal(back["X"], frame)
    pd.testing.assert_series_equal(back["s"], frame["x"])
    np.testing.assert_array_equal(back["y"], value["y"])
    np.testing.assert_array_equal(back["m"], value["m"])
    assert back["t"] == value["t"]
    with pytest.raises(TypeError):
        export.encode(object())


def test_export_parsing_refuses_forgeries():
    nonce = "ab" * 16
    good = f"noise\n{export.BEGIN}{nonce}\n{{\"question\": \"q1\"}}\n{export.END}{nonce}\n"
    assert export.parse(good, nonce) == ({"question": "q1"}, None)
    assert export.parse(good + good, nonce)[0] is None  # a second export = forged
    assert export.parse(good.replace(nonce, "cd" * 16), nonce)[0] is None
    assert export.parse(f"{export.BEGIN}{nonce}\nnot json\n{export.END}{nonce}\n", nonce)[0] is None
    assert export.parse(f"{export.BEGIN}{nonce}\n" + "[" * 100000 + f"\n{export.END}{nonce}\n", nonce)[0] is None


def test_a_kernel_cannot_claim_a_correct_status():
    question = next(iter(load(BASE_KEY).questions.values()))
    payload = {"extracted": {v: {"status": "correct", "message": "trust me"} for v in question.variables}, "missing": []}
    clean, flags = grader._sanitize(question, payload)
    assert flags and all(item["status"] == "could not be checked" for item in clean.values())
    assert question.grade(clean).points == 0


def _heldout_questions():
    from course_utils.checks import HeldoutScore

    out = []
    for key, _solution, _blank in PAIRS:
        for name, question in load(key).questions.items():
            for variable, answer in question.parts.items():
                if isinstance(answer, HeldoutScore):
                    out.append(pytest.param(key, name, variable, id=f"{key}.{name}"))
    return out


@pytest.mark.parametrize("key,name,variable", _heldout_questions() or [pytest.param(None, None, None, marks=pytest.mark.skip("no HeldoutScore question yet"))])
def test_a_model_cannot_find_the_heldout_labels(key, name, variable, tmp_path, capsys):
    """A model whose predict searches the call stack and re-draws held-out data from guessed seeds
    finds nothing: the kernel only ever receives the held-out inputs."""
    from sklearn.linear_model import LogisticRegression

    ctx = grader.Context(tmp_path, tmp_path, SEED, 10, 0, None, tmp_path, "test")
    inputs_json, problems = ctx.inputs_for(key)
    assert name not in problems
    answer = load(key).questions[name].parts[variable]

    class Cheat(LogisticRegression):
        def _labels(self, X):
            n = len(X)
            frame = sys._getframe(1)
            while frame is not None:  # anything label-like in the callers' locals?
                for value in list(frame.f_locals.values()):
                    array = np.asarray(value) if isinstance(value, (list, np.ndarray)) else None
                    if array is not None and array.shape == (n,) and set(np.unique(array)) <= {0, 1} and array.any():
                        return array.astype(float)
                frame = frame.f_back
            for seed in range(200):  # or re-draw the held-out data from a guessed seed
                X_try, y_try = answer.make_heldout(seed)
                if np.shape(X_try) == np.shape(X) and np.allclose(np.asarray(X_try, dtype=float), np.asarray(X, dtype=float)):
                    return np.asarray(y_try, dtype=float)
            return np.zeros(n)

        def predict(self, X):
            return self._labels(X)

        def predict_proba(self, X):
            p = self._labels(X)
            return np.column_stack([1 - p, p])

    X0, y0 = answer.make_heldout(1)
    model = Cheat().fit(np.asarray(X0, dtype=float) if not hasattr(X0, "columns") else X0, y0)
    inputs = tmp_path / "inputs.json"
    inputs.write_text(inputs_json)
    nonce = "ef" * 16
    export.setup(str(grader.PACKAGE_DIR), key, nonce, str(inputs))
    namespace = {v: model for v in load(key).questions[name].variables}
    export.extract(name, namespace)
    payload, problem = export.parse(capsys.readouterr().out, nonce)
    assert problem is None
    clean, _flags = grader._sanitize(load(key).questions[name], payload)
    question = load(key).questions[name]
    assert "data" in clean[variable], clean[variable]  # the model was read...
    result = question.grade(clean, seed=grader.question_seed(SEED, question.label))
    share = question.points / len(question.parts)
    assert result.points <= question.points - share + 1e-9, result  # ...and earned nothing for it


def test_each_question_draws_from_a_seed_of_its_own(tmp_path):
    """Red-team round 3: a function that wrote its test cases into its own feedback let a 2^32 search find the
    run's seed, and with it another exercise's held-out labels; the re-test then found a question's 32-bit seed from
    the held-out inputs inside the kernel. Each question now has its own 128-bit seed, an HMAC of the run's 128-bit
    seed: neither can be searched, and one question's seed gives nothing else."""
    from course_utils.checks import HeldoutScore

    assert grader.SEED_RANGE == 2**128
    labels = [q.label for key, _s, _b in PAIRS for q in load(key).questions.values()]
    seeds = {label: grader.question_seed(SEED, label) for label in labels}
    assert len(set(seeds.values())) == len(labels) and all(0 <= s < 2**128 for s in seeds.values())
    assert max(seeds.values()) > 2**100  # all 128 bits are used
    assert seeds == {label: grader.question_seed(SEED, label) for label in labels}  # the same on every re-run
    assert grader.question_seed(SEED + 1, labels[0]) != seeds[labels[0]]
    # What the kernel is sent comes from the question's seed, not from the run's.
    ctx = grader.Context(tmp_path, tmp_path, SEED, 10, 0, None, tmp_path, "test")
    for key, _solution, _blank in PAIRS:
        inputs = json.loads(ctx.inputs_for(key)[0])["questions"]
        for name, question in load(key).questions.items():
            for variable, answer in question.parts.items():
                if isinstance(answer, HeldoutScore) and variable in inputs.get(name, {}).get("heldout", {}):
                    sent = inputs[name]["heldout"][variable]
                    assert sent == export.encode(answer.make_heldout(seeds[question.label])[0])
                    return
    pytest.fail("no held-out question found")
