"""The grader itself attacked: a submission must never stop the run, crash the writers, flood the
grader's memory, collide with another's gradebook key or make the grader write through a link.

One class is graded with the real command line (bubblewrap, ``--jobs 2``), with an honest student
(the quickest solution, unchanged) among the attackers, who must get full marks. The grader's
memory is sampled with psutil while it runs. Cheap tests of each fixed class (no kernel) follow.

Bubblewrap: CI and any root run must have it; these tests skip only for a non-root developer on a
machine where it cannot run (as in tests/test_grade_sandbox.py).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from conftest import ROOT
from course_utils.authoring.notebooks import exercise_key
from course_utils.exercises import load
from course_utils.grading import _kernel_export as export
from course_utils.grading import _sandbox, grade

pytestmark = pytest.mark.notebook

SEED = 4_160_233
HONEST_KEY = "ex02"  # the quickest solution to grade

# A. A fake course module in the kernel's sys.modules: the grader used to import that name itself,
# and ``course_utils.authoring.__main__`` runs ``sys.exit(main())`` at import: no gradebook at all.
FAKE_MODULE = """import sys, types
sys.modules['course_utils.authoring.__main__'] = types.ModuleType('course_utils.authoring.__main__')
"""

# B. A forged export nested ~980 levels deep: json.loads accepts it, json.dumps(indent=1) did not.
DEEP_EXPORT = r"""import sys, json
class _Forward:
    def __init__(self, inner):
        self.inner = inner
    def write(self, text):
        if text.startswith('<<course-grade-begin:'):
            head, body, tail = text.split('\n', 2)
            payload = json.loads(body)
            if isinstance(payload.get('extracted'), dict):
                deep = '[' * 978 + ']' * 978
                parts = ', '.join('%s: {"data": %s}' % (json.dumps(k), deep) for k in payload['extracted'])
                body = '{"question": %s, "extracted": {%s}, "missing": []}' % (json.dumps(payload['question']), parts)
            text = head + '\n' + body + '\n' + tail
        return self.inner.write(text)
    def __getattr__(self, name):
        return getattr(self.inner, name)
sys.stdout = _Forward(sys.stdout)
"""

# C. Large messages on the channel the grader does not read (stdin: STDIN_MB in 50 MB frames) and on
# the one it does (iopub: IOPUB_MB in 10 MB frames, under the size limit, and two 50 MB frames over it).
STDIN_MB, IOPUB_MB = 300, 200
FLOOD = f"""import time
k = get_ipython().kernel
ident = k._parent_ident['shell']
ident = [ident] if isinstance(ident, bytes) else list(ident)
big = b'x' * (50 * 2**20)
small = big[: 10 * 2**20]
for i in range({STDIN_MB // 50}):
    k.stdin_socket.send_multipart(ident + [b'<IDS|MSG>', b'', b'{{}}', b'{{}}', b'{{}}', b'{{}}', big], copy=False)
for frame in [big] * 2 + [small] * {IOPUB_MB // 10}:
    k.iopub_socket.send_multipart([b'flood', b'<IDS|MSG>', b'', b'{{}}', b'{{}}', b'{{}}', b'{{}}', frame], copy=False)
time.sleep(4)
"""

# E. Error messages with names of any size, straight from the kernel (red-team 5: 100 cells of 15 MB names took the
# grader to 9.8 GB and wrote a 3 GB details.json).
HUGE_ERROR = """k = get_ipython().kernel
k.session.send(k.iopub_socket, "error", {"ename": "E" * 5_000_000, "evalue": "v" * 5_000_000, "traceback": []},
               parent=k.get_parent())
"""

# F. Signed messages whose frames are inflated JSON (red-team 6: 15 MB of "{},{},..." per frame took the grader to
# 3.7 GB), and messages of the wrong JSON types (a display's data as a string, red-team 6: a grader-error row).
INFLATED = """import json, uuid
k = get_ipython().kernel
s = k.session
pad = '[' + '{},' * 1_500_000 + '{}]'
for _ in range(3):
    header = json.dumps({"msg_id": uuid.uuid4().hex, "msg_type": "stream", "session": s.session, "username": "u",
                         "date": "2020-01-01T00:00:00Z", "version": "5.3"})[:-1] + ', "pad": ' + pad + '}'
    parent = json.dumps(k.get_parent()["header"], default=str).encode()
    content = ('{"name": "stdout", "text": "x", "pad": ' + pad + '}').encode()
    frames = [header.encode(), parent, b'{}', content]
    k.iopub_socket.send_multipart([b"stream", b"<IDS|MSG>", s.sign(frames)] + frames)
k.session.send(k.iopub_socket, "display_data", {"data": "not a dict", "metadata": {}}, parent=k.get_parent())
"""

RAW_NAME = b"M\xfc.ipynb"  # Latin-1 "Mü": not UTF-8
LITERAL_NAME = "M\\xfc.ipynb"  # prints exactly like RAW_NAME
LINK_NAME = "M\\xfc.ipynb (same printed name, #2)"  # named like the suffix the second one used to get


def _solution(key: str) -> Path:
    return next(p for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")) if exercise_key(p) == key)


def _attacker(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["course"] = {"exercise": HONEST_KEY}
    return nb


@pytest.fixture(scope="module")
def bwrap_ready(tmp_path_factory):
    try:
        _sandbox.probe(ROOT / "course_utils", workdir=tmp_path_factory.mktemp("probe") / "probe")
    except _sandbox.SandboxError as error:
        if os.environ.get("CI") or os.geteuid() == 0:
            pytest.fail(f"the grader's sandbox must work here: {error}")
        pytest.skip(f"bubblewrap cannot run here as a normal user: {error}")


class _PeakMemory:
    """Largest resident memory of one process (not its children: the kernels), sampled every 50 ms."""

    def __init__(self, pid: int):
        self.process, self.peak, self.first = psutil.Process(pid), 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.process.memory_info().rss
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak


@pytest.fixture(scope="module")
def graded(bwrap_ready, tmp_path_factory):
    base = tmp_path_factory.mktemp("grader-attacked")
    subs, out, elsewhere = base / "submissions", base / "results", base / "elsewhere"
    honest = _solution(HONEST_KEY)
    (subs / "alice").mkdir(parents=True)
    shutil.copyfile(honest, subs / "alice" / honest.name)
    attackers = {"mallory_module": [FAKE_MODULE], "mallory_deep": [DEEP_EXPORT], "mallory_flood": [FLOOD],
                 "mallory_error": [HUGE_ERROR] * 3, "mallory_inflated": [INFLATED]}
    for name, cells in attackers.items():
        (subs / name).mkdir()
        nbformat.write(_attacker(cells), subs / name / "attack.ipynb")
    # D. Three entries printing alike: a non-UTF-8 name, its printed form as a literal name, and a
    # link to a folder named like the suffix the second one used to get.
    eve = os.fsencode(subs / "eve")
    os.mkdir(eve)
    with open(os.path.join(eve, RAW_NAME), "wb") as handle:
        handle.write(b"not json 1")
    (subs / "eve" / LITERAL_NAME).write_bytes(b"not json 2")
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("outside the submissions")
    os.symlink(elsewhere, subs / "eve" / LINK_NAME)
    command = [sys.executable, "-m", "course_utils.grade", str(subs), "--out", str(out), "--seed", str(SEED), "--quiet",
               "--jobs", "2", "--cell-timeout", "20"]
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _PeakMemory(proc.pid)
    stdout, stderr = proc.communicate(timeout=600)
    peak = sampler.stop()
    seconds = time.monotonic() - started
    details = json.loads((out / "details.json").read_text(encoding="utf-8")) if (out / "details.json").exists() else {}
    details_bytes = (out / "details.json").stat().st_size if (out / "details.json").exists() else 0
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8"))) if (out / "grades.csv").exists() else []
    print(f"\ngraded in {seconds:.0f} s; grader peak RSS {peak / 2**20:.0f} MB", file=sys.stderr)
    for rel, record in sorted(details.get("submissions", {}).items()):
        print(f"  {rel}: {record['status']} {record['total']}/{record['max_total']}", file=sys.stderr)
    return {"returncode": proc.returncode, "stderr": stderr, "details": details, "rows": rows, "peak": peak,
            "details_bytes": details_bytes,
            "subs": subs, "elsewhere": elsewhere, "honest": f"alice/{honest.name}"}


def _record(graded, student: str) -> dict:
    return next(r for r in graded["details"]["submissions"].values() if r["student"] == student)


def _assert_run_complete_and_honest_full_marks(graded) -> None:
    assert graded["returncode"] == 0, graded["stderr"][-3000:]
    assert graded["rows"], "no grades.csv"
    honest = graded["details"]["submissions"][graded["honest"]]
    assert honest["status"] == "ok" and honest["total"] == pytest.approx(load(HONEST_KEY).max_points), honest.get("note")


# --------------------------------------------------------------------------- #
# A. One submission never stops the run; the grader imports no module a kernel named
# --------------------------------------------------------------------------- #


def test_a_fake_course_module_in_the_kernel_does_not_stop_the_run(graded):
    _assert_run_complete_and_honest_full_marks(graded)
    record = _record(graded, "mallory_module")
    assert record["status"] in ("ok", "error"), (record["status"], record.get("note"))  # graded like any notebook
    assert not any("authoring" in name for name in record.get("replaced", []))


def test_the_grader_never_imports_a_module_the_kernel_named():
    name = "course_utils.authoring.__main__"
    sys.modules.pop(name, None)
    record = {"flags": []}
    grade._replaced_functions({"q1": {"integrity": {f"module:{name}": "x", f"{name}.main": "y"}}}, record)
    assert name not in sys.modules
    assert record["flags"] == []
    assert not export.is_compared_module(name) and not export.is_compared_module("course_utils.grading.grade")
    assert export.is_compared_module("course_utils.checks") and export.is_compared_module("course_utils.exercises.ex02")


@pytest.mark.parametrize("error", [SystemExit(2), GeneratorExit(), RecursionError("deep")])
def test_any_failure_on_one_submission_becomes_its_own_row(monkeypatch, tmp_path, error):
    def fail(ctx, sub):
        raise error

    monkeypatch.setattr(grade, "_grade_one", fail)
    sub = grade.Submission("bob/x.ipynb", tmp_path / "x.ipynb", b"{}", "abc", "bob", exercise=HONEST_KEY)
    ctx = grade.Context(tmp_path, tmp_path, SEED, 1.0, 512, None, tmp_path, "f")
    record = grade._grade_submission(ctx, sub)
    assert record["status"] == "grader-error" and type(error).__name__ in record["grader_error"]
    monkeypatch.setattr(grade, "_grade_one", lambda ctx, sub: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C still stops the grader
        grade._grade_submission(ctx, sub)


# --------------------------------------------------------------------------- #
# B. A deeply nested export is refused as forged, and no record can stop the writers
# --------------------------------------------------------------------------- #


def test_a_deeply_nested_export_is_flagged_and_the_gradebook_written(graded):
    _assert_run_complete_and_honest_full_marks(graded)
    record = _record(graded, "mallory_deep")
    assert record["status"] == "tampered" and "forged answer export" in record["note"], record.get("note")
    assert record["total"] == 0
    assert all(q["status"] == "could not be checked" for q in record["questions"].values())


def test_parse_refuses_nesting_deeper_than_real_exports():
    nonce = "ab" * 16
    wrap = lambda body: f"{export.BEGIN}{nonce}\n{body}\n{export.END}{nonce}\n"  # noqa: E731
    shallow = '{"question": "q1", "extracted": {"x": {"data": ' + "[" * 40 + "]" * 40 + "}}}"
    deep = '{"question": "q1", "extracted": {"x": {"data": ' + "[" * 900 + "]" * 900 + "}}}"
    assert export.parse(wrap(shallow), nonce)[1] is None
    assert export.parse(wrap(deep), nonce) == (None, export.FORGED_DEPTH)
    assert export.depth([[[]], {"a": [1]}]) == 3


def test_parse_refuses_an_export_of_more_values_than_real_exports_hold(monkeypatch):
    # Red-team 6: 15 MB of "{},{},..." in each export took the grader to 3.2 GB once parsed. Counted before parsing.
    nonce = "cd" * 16
    wrap = lambda body: f"{export.BEGIN}{nonce}\n{body}\n{export.END}{nonce}\n"  # noqa: E731
    honest = '{"question": "q1", "extracted": {"x": {"data": [' + ", ".join(["0.5"] * 42_000) + "]}}}"
    assert export.parse(wrap(honest), nonce)[1] is None  # the largest real export holds about 42,000 values
    padded = '{"question": "q1", "extracted": {}, "pad": [' + "{}," * export.MAX_EXPORT_VALUES + "{}]}"
    parsed = []
    monkeypatch.setattr(export.json, "loads", lambda text: parsed.append(len(text)) or {})
    assert export.parse(wrap(padded), nonce) == (None, export.TOO_LARGE) and not parsed


def test_a_record_that_cannot_be_written_costs_only_its_own_details():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    record = {"student": "x", "exercise": "ex02", "submission": "x/a.ipynb", "status": "ok", "total": 1.0, "max_total": 2.0,
              "note": "", "questions": {"q1": {"question": "Q1", "status": "correct", "points": 1.0, "max_points": 2.0,
                                               "export": deep}}}
    stored = grade._storable(record)
    assert "details_dropped" in stored and stored["questions"]["q1"]["points"] == 1.0
    json.dumps(stored, indent=1)
    fine = dict(record, questions={})
    assert grade._storable(fine) is fine


# --------------------------------------------------------------------------- #
# C. The grader's memory stays bounded whatever a kernel sends
# --------------------------------------------------------------------------- #


def test_a_message_flood_does_not_grow_the_grader(graded):
    _assert_run_complete_and_honest_full_marks(graded)
    record = _record(graded, "mallory_flood")
    # The flood ran (frames over the limit cut the kernel's output off, so its cell may time out:
    # its own loss), and junk messages never broke the grader (no grader-error).
    assert record["status"] != "grader-error" and record["cells"]["1"]["status"]  # cells count from 1 everywhere (issue 14) in ("ok", "timeout"), record["cells"]
    # The grader alone (kernels are other processes) holds ~250 MB. Before the fix it also held the
    # whole stdin flood (~550 MB here; 2.3 GB for the reported 2 GB); now at most a few frames of
    # iopub, however long the flood (measured: 1 GB of 20 MB frames peaked at ~580 MB, 200 MB at ~390).
    assert graded["peak"] < (250 + STDIN_MB // 2 + 50) * 2**20, f"grader peak RSS {graded['peak'] / 2**20:.0f} MB"


def test_inflated_or_mistyped_messages_cost_the_grader_nothing(graded):
    _assert_run_complete_and_honest_full_marks(graded)
    record = _record(graded, "mallory_inflated")
    assert record["status"] != "grader-error", record
    assert record["cells"]["1"]["status"] == "ok", record["cells"]
    # The run's grader peak (see the flood test) stays far below what unpacking these frames cost (about 1 GB here).


def test_an_error_of_any_size_is_kept_short(graded):
    _assert_run_complete_and_honest_full_marks(graded)
    record = _record(graded, "mallory_error")
    errors = [cell for cell in record["cells"].values() if cell.get("ename")]
    assert errors, record["cells"]
    assert all(len(cell["ename"]) <= _sandbox.MAX_ERROR_NAME and len(cell["evalue"]) <= 500 for cell in errors)
    # 15 MB of error text was sent; the whole run's details stay small.
    assert graded["details_bytes"] < 2 * 2**20, graded["details_bytes"]


# --------------------------------------------------------------------------- #
# D. Printed names unique by construction; the grader never writes through a link
# --------------------------------------------------------------------------- #


def test_names_that_print_alike_get_their_own_rows_and_the_link_is_untouched(graded):
    _assert_run_complete_and_honest_full_marks(graded)
    shown = [row["submission"] for row in graded["rows"]]
    assert len(shown) == len(set(shown)) == len(graded["details"]["submissions"]) == 9, shown
    eve = [r for r in graded["details"]["submissions"].values() if r["student"] == "eve"]
    assert len(eve) == 3 and all(r["status"] == "invalid" for r in eve)
    link = graded["subs"] / "eve" / LINK_NAME
    assert link.is_symlink() and os.readlink(link) == str(graded["elsewhere"])
    assert (graded["elsewhere"] / "keep.txt").read_text() == "outside the submissions"
    assert (graded["subs"] / "eve" / LITERAL_NAME).read_bytes() == b"not json 2"
    assert open(os.path.join(os.fsencode(graded["subs"] / "eve"), RAW_NAME), "rb").read() == b"not json 1"
    assert graded["details"]["grader"]["tampering"] == []  # no false "changed during grading"


def test_discover_makes_printed_names_unique_even_against_suffix_lookalikes(tmp_path):
    folder = os.fsencode(tmp_path / "subs")
    os.mkdir(folder)
    for name in (RAW_NAME, LITERAL_NAME.encode()):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(b"x")
    for name in (LINK_NAME.encode(), b"M\\xfc.ipynb (same printed name, #3)"):  # listed as rows: links to folders
        os.symlink(os.fsencode(tmp_path), os.path.join(folder, name))
    found = grade._discover(tmp_path / "subs", tmp_path / "results")
    names = [f.relpath for f in found]
    assert len(names) == len(set(names)) == 4, names
    assert {os.fsencode(f.path) for f in found} == {os.path.join(folder, n) for n in os.listdir(folder)}


def test_a_padded_fingerprint_report_is_a_finding_and_cheap_to_read():
    # Red-team 7: 25,000 made-up module keys and 25,000 names made the grader's lookup quadratic (134 s of its CPU)
    # and the row passed as ok. A report far larger than the course's is itself flagged; below that, the lookup is
    # linear: a report at the cap holding the course's own names plus padding still names an added method.
    reference = export.fingerprints(loaded_only=False, only={"course_utils.checks"})
    padded = dict(reference)
    padded.update({f"module:z{i}": "" for i in range(30_000)})
    padded.update({f"y{i}": "" for i in range(30_000)})
    (finding,) = export.replaced(padded, reference)
    assert "fingerprint report" in finding and f"{len(padded):,} names" in finding
    method = next(k for k in reference if k.startswith("course_utils.checks.Number."))
    near_cap = dict(reference)
    near_cap.update({f"module:z{i}": "" for i in range(3_000)})
    near_cap[method.rsplit(".", 1)[0] + ".shadow"] = "x"
    assert export.replaced(near_cap, reference) == [method.rsplit(".", 1)[0] + ".shadow (added)"]
