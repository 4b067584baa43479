"""The grader on any folder of files: hostile names, links, FIFOs, deep trees, and tampering kernels.

One class is graded once, with an honest student (a real solution) among the attackers:

* names: not UTF-8, 1,200 folders deep, ``!alice`` / ``alice#`` / ``alice``, long names that
  truncate alike, a bare CR and a formula, raw HTML, terminal escape codes;
* files that are not regular files: a FIFO named ``*.ipynb`` and a symbolic link to the honest
  student's notebook;
* notebooks that replace ``course_utils`` functions, ``numpy.isclose`` or a check in their kernel.

Every attacker gets a row of its own (never a crash, never a hang, never the honest student's
marks), and the honest student gets full marks with status ``ok``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from contextlib import redirect_stderr
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from course_utils.grading import _kernel_export as export
from course_utils.grading import grade as grader
from course_utils.exercises import load

pytestmark = pytest.mark.notebook

KEY = "ex01"
SOLUTION = next((ROOT / "solutions").glob("01_*.ipynb"))
SEED = 4321
DEPTH = 1200
NOT_UTF8 = os.fsdecode(b"M\xfcller")  # an unzipped Latin-1 name: not valid UTF-8
CR_NAME = 'eve\r=HYPERLINK("x.invalid";"click")\r-1+1.ipynb'
HTML_NAME = "<img src=x onerror=alert(1)>.ipynb"
ESCAPE_NAME = "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31mzed.ipynb"
LONG = "a" * 200

TAMPERING = {
    "course_utils": ("import course_utils.checks as C\nC.Question.check = lambda self, *values: print('Correct!')",
                     "course_utils.checks.Question.check"),
    "isclose": ("import numpy as np\nnp.isclose = lambda *args, **kwargs: True", "numpy.isclose"),
    "check": ("from course_utils.exercises import ex01\nex01.q1.check = lambda *values: print('Correct!')", ".q1.check"),
}


def _tiny(code: str = "x = 1"):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["course"] = {"exercise": KEY}
    return nb


def _deep_folder(base: Path, depth: int = DEPTH) -> Path:
    """``base/d/d/.../d``, made one level at a time (``Path.mkdir(parents=True)`` recurses)."""
    folder = base
    base.mkdir(parents=True, exist_ok=True)
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir()
    return folder


def _write(path: Path, nb=None, text: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if nb is not None:
        nbformat.write(nb, path)
    else:
        path.write_text(text if text is not None else "not a notebook", encoding="utf-8")


def build(subs: Path) -> dict[str, str]:
    """The class; returns {what: submission path as the gradebook prints it}."""
    what = {}
    honest = subs / "alice" / SOLUTION.name
    _write(honest, nbformat.read(SOLUTION, as_version=4))
    what["honest"] = f"alice/{SOLUTION.name}"
    _write(subs / "!alice" / SOLUTION.name, text="{}")
    what["!alice"] = f"!alice/{SOLUTION.name}"
    _write(subs / "alice#" / SOLUTION.name, text="{}")
    what["alice#"] = f"alice#/{SOLUTION.name}"
    # Not UTF-8: a real notebook, executed.
    _write(subs / NOT_UTF8 / "01.ipynb", _tiny())  # a str holding the raw byte (surrogateescape)
    what["not utf-8"] = "M\\xfcller/01.ipynb"
    # 1,200 folders deep: a real notebook, executed.
    nbformat.write(_tiny(), _deep_folder(subs / "deep") / "01.ipynb")
    what["deep"] = "deep/" + "d/" * DEPTH + "01.ipynb"
    # Long names that truncate alike, three in one folder.
    for tail in ("1", "2", "3"):
        _write(subs / "bob" / f"{LONG}_{tail}.ipynb", text="{}")
        what[f"long {tail}"] = f"bob/{LONG}_{tail}.ipynb"
    # Not regular files.
    (subs / "fifo").mkdir()
    os.mkfifo(subs / "fifo" / "x.ipynb")
    what["fifo"] = "fifo/x.ipynb"
    (subs / "mallory").mkdir()
    os.symlink(honest, subs / "mallory" / SOLUTION.name)
    what["symlink"] = f"mallory/{SOLUTION.name}"
    # Injection through names.
    _write(subs / CR_NAME, text="{}")
    what["cr"] = grader.display_name(CR_NAME)
    _write(subs / HTML_NAME, text="{}")
    what["html"] = HTML_NAME
    _write(subs / ESCAPE_NAME, text="{}")
    what["escape"] = grader.display_name(ESCAPE_NAME)
    # Tampering kernels.
    for name, (code, _replaced) in TAMPERING.items():
        _write(subs / f"tamper_{name}" / "01.ipynb", _tiny(code))
        what[f"tamper {name}"] = f"tamper_{name}/01.ipynb"
    return what


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("names")
    subs, out = base / "submissions", base / "results"
    what = build(subs)
    stderr = io.StringIO()
    outcome: dict = {}

    def run():
        try:
            with redirect_stderr(stderr):
                outcome["summary"] = grader.grade(subs, out, cell_timeout=60, max_memory=3072, jobs=2, seed=SEED, progress=True)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)  # a hang (a FIFO opened) must fail, not stall the suite
    thread.start()
    thread.join(900)
    try:
        assert not thread.is_alive(), "the grader hung"
        assert "error" not in outcome, outcome.get("error")
        raw = (out / "grades.csv").read_bytes()
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
        details = json.loads((out / "details.json").read_text(encoding="utf-8"))
        yield {"what": what, "out": out, "raw": raw, "rows": {r["submission"]: r for r in rows}, "row_list": rows,
               "details": details["submissions"], "stderr": stderr.getvalue(), "summary": outcome["summary"]}
    finally:
        grader.remove_tree(base / "submissions" / "deep")  # pytest's own clean-up would recurse 1,200 levels


def _record(graded, what: str) -> dict:
    return graded["details"][graded["what"][what]]


def test_the_honest_student_gets_full_marks(graded):
    record = _record(graded, "honest")
    assert record["status"] == "ok", record.get("note")
    assert record["total"] == pytest.approx(load(KEY).max_points)
    assert not record.get("replaced"), record["replaced"]


def test_every_file_gets_one_row(graded):
    assert set(graded["rows"]) == set(graded["what"].values())
    assert len(graded["row_list"]) == len(graded["what"])


def test_a_name_that_is_not_utf8_is_graded(graded):
    record = _record(graded, "not utf-8")
    assert record["student"] == "M\\xfcller" and record["status"] == "ok", record
    assert record["max_total"] == pytest.approx(load(KEY).max_points)  # it was executed and read


def test_a_tree_1200_folders_deep_is_graded(graded):
    record = _record(graded, "deep")
    assert record["status"] == "ok" and record["student"] == "deep", record


def test_links_and_fifos_are_rows_never_opened(graded):
    fifo, link = _record(graded, "fifo"), _record(graded, "symlink")
    assert fifo["status"] == "invalid" and "FIFO" in fifo["note"], fifo
    assert link["status"] == "invalid" and "symbolic link" in link["note"], link
    assert link["total"] == 0 and link["student"] == "mallory"


def test_a_fifo_named_like_a_notebook_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "x.ipynb")
    os.symlink("/dev/zero", tmp_path / "zero.ipynb")
    found: list = []
    thread = threading.Thread(
        target=lambda: found.extend(grader._read_submission(f, [KEY], {}) for f in grader._discover(tmp_path, tmp_path / "out")),
        daemon=True,
    )
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "reading a FIFO blocked"
    assert {s.relpath: s.status for s in found} == {"x.ipynb": "invalid", "zero.ipynb": "invalid"}


def test_every_submission_has_a_feedback_file_of_its_own(graded):
    paths = [r["feedback"] for r in graded["details"].values()]
    assert len(set(paths)) == len(paths), paths
    for what in ("honest", "!alice", "alice#", "long 1", "long 2", "long 3"):
        record = _record(graded, what)
        text = (graded["out"] / record["feedback"]).read_text(encoding="utf-8")
        assert f"**{grader._fmt(record['total'])} / {grader._fmt(record['max_total'])}**" in text
        assert record["status"] in text
    folders = {Path(_record(graded, w)["feedback"]).parent for w in ("honest", "!alice", "alice#")}
    assert len(folders) == 3, folders  # three students, three folders
    honest = (graded["out"] / _record(graded, "honest")["feedback"]).read_text(encoding="utf-8")
    assert f"**{grader._fmt(load(KEY).max_points)} / " in honest


def test_a_bare_cr_or_a_formula_in_a_name_stays_in_its_cell(graded):
    raw = graded["raw"]
    assert b"\r" not in raw
    assert raw.count(b"\n") == len(graded["what"]) + 1
    row = graded["rows"][graded["what"]["cr"]]
    assert row["student"].startswith("eve")
    for row in graded["row_list"]:
        for value in row.values():
            assert value.lstrip()[:1] not in ("=", "+", "-", "@") or value.startswith("'"), row
    lines = raw.decode("utf-8").splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)  # every field quoted


def test_raw_html_in_a_name_never_reaches_the_feedback(graded):
    record = _record(graded, "html")
    text = (graded["out"] / record["feedback"]).read_text(encoding="utf-8")
    assert "<img" not in text and "&lt;img" in text
    for record in graded["details"].values():
        assert "<" not in (graded["out"] / record["feedback"]).read_text(encoding="utf-8")


def test_terminal_escape_codes_never_reach_the_terminal(graded):
    text = graded["stderr"]
    assert "zed.ipynb" in text  # the line was printed...
    for bad in ("\x1b", "\x07", "\x9b", "\r"):
        assert bad not in text, repr(bad)  # ...without its control characters


@pytest.mark.parametrize("name", list(TAMPERING))
def test_a_notebook_that_replaces_functions_is_flagged(graded, name):
    record = _record(graded, f"tamper {name}")
    wanted = TAMPERING[name][1]
    assert record["status"] == "tampered", record
    assert any(wanted in replaced for replaced in record["replaced"]), record["replaced"]
    assert wanted.lstrip(".") in graded["rows"][graded["what"][f"tamper {name}"]]["note"]
    assert record["total"] == 0


def test_fingerprints_are_the_same_in_a_fresh_process():
    """The grader compares its own fingerprints with a kernel's: they must not depend on the process."""
    import subprocess
    import sys

    code = ("import json, course_utils.exercises.ex01\n"
            "from course_utils.grading import _kernel_export as e\n"
            "print(json.dumps(e.fingerprints(loaded_only=False)))")
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, PYTHONHASHSEED="123"))
    assert other.returncode == 0, other.stderr[-2000:]
    theirs = json.loads(other.stdout)
    load(KEY)
    ours = export.fingerprints(loaded_only=False, only=set(k[len("module:"):] for k in theirs if k.startswith("module:")))
    assert export.replaced(theirs, ours) == []
    assert len(theirs) > 500 and "numpy.isclose" in theirs and "course_utils.checks.Question.check" in theirs


def test_display_names_escape_what_cannot_be_printed():
    assert grader.display_name(NOT_UTF8) == "M\\xfcller"
    assert grader.display_name("a\rb\x1b\u202ec") == "a\\x0db\\x1b\\u202ec"
    assert grader._terminal("x\x1b]52;c;Zm9v\x07y\x1b[31mz\x9bw") == "xyz?w"
    assert grader._cell(" =1+1") == "' =1+1" and grader._cell("\r\n@x") == "'\r\n@x" and grader._cell("0.5") == "0.5"


def test_remove_tree_handles_deep_trees_and_never_follows_links(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "file").write_text("x")
    tree = tmp_path / "tree"
    deep = _deep_folder(tree)
    os.symlink(keep, deep / "link")
    grader.remove_tree(tree)
    assert not tree.exists() and (keep / "file").exists()


def test_a_hard_link_is_graded_but_named_on_both_rows(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "alice" / "01.ipynb", _tiny())
    (subs / "bob").mkdir()
    os.link(subs / "alice" / "01.ipynb", subs / "bob" / "01.ipynb")
    found = [grader._read_submission(f, [KEY], {}) for f in grader._discover(subs, tmp_path / "out")]
    grader._note_hard_links(found)
    notes = {s.relpath: s.note for s in found}
    assert "bob/01.ipynb" in notes["alice/01.ipynb"] and "alice/01.ipynb" in notes["bob/01.ipynb"]
    assert all(s.status == "" for s in found)  # both are graded


def test_a_link_to_a_folder_is_a_row_and_is_not_entered(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "alice" / "01.ipynb", _tiny())
    os.symlink(subs / "alice", subs / "mallory")
    found = {s.relpath: s for s in (grader._read_submission(f, [KEY], {}) for f in grader._discover(subs, tmp_path / "out"))}
    assert set(found) == {"alice/01.ipynb", "mallory"}
    assert found["mallory"].status == "invalid" and "not entered" in found["mallory"].problem
    assert found["mallory"].student == "mallory"
