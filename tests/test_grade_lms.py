"""The grader on LMS downloads: who handed in what, zips, the pick, and what goes back to the LMS.

Realistic downloads are built here, as Canvas and Moodle write them: Canvas's flat files (with
``LATE``, resubmissions ``-1``, a duplicate upload, a Colab-saved copy without metadata, an old
nbformat 3 notebook), Moodle's participant folders from two assignments (the participant id
differs), one folder per assignment holding Canvas files, and zips (the bulk zip, a student's zip,
and hostile zips: zip-slip, a symbolic link, a bomb).

Kernel execution is replaced by a stand-in that scores each notebook from points written in its
metadata (``fake``), so these tests check discovery, identity, the pick, the exports and the
report fast; ``test_one_real_canvas_run`` grades real notebooks once, in the sandbox.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from course_utils.checks import Result, Status
from course_utils.exercises import load
from course_utils.grading import _sandbox, gradebook, handout, lms
from course_utils.grading import grade as grader

STEMS = grader._exercise_stems()
EX01, EX02 = "01_imbalance_basics", "02_misleading_accuracy"
MAX1, MAX2 = (f"{load(key).max_points:g}" for key in ("ex01", "ex02"))
COL1, COL2 = f"ex01 (max {MAX1})", f"ex02 (max {MAX2})"


# --------------------------------------------------------------------------- #
# Building downloads
# --------------------------------------------------------------------------- #


def notebook(exercise: str | None = "ex01", points: dict | None = None, mistakes: dict | None = None, code: str = "x = 1", *,
             version: int = 4) -> str:
    """A tiny notebook as text; ``points``/``mistakes`` tell the stand-in grader what to give."""
    fake = {"points": points or {}, "mistakes": mistakes or {}}
    if version == 3:
        nb = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(input=code)])])
        nb.metadata["fake"] = fake
        if exercise:
            nb.metadata["course"] = {"exercise": exercise}
        return nbformat.v3.writes_json(nb)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["fake"] = fake
    if exercise:
        nb.metadata["course"] = {"exercise": exercise}
    return nbformat.writes(nb)


def put(path: Path, text: str, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def canvas_download(folder: Path) -> None:
    """Canvas's "Download submissions" of two assignments, flat."""
    put(folder / f"smithjohn_123456_7891011_{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    # A late resubmission of ex02 (submission id 7891020) after an on-time one (7891012).
    put(folder / f"smithjohn_123456_7891012_{EX02}.ipynb", notebook("ex02", {"q1": 1, "q2": 1}))
    put(folder / f"smithjohn_LATE_123456_7891020_{EX02}-1.ipynb", notebook("ex02", {"q1": 1}))
    # The same file uploaded twice.
    put(folder / f"doejane_223456_7891013_{EX01}.ipynb", notebook("ex01", {"q1": 1}, {"q2": "percentage"}))
    put(folder / f"doejane_223456_7891014_{EX01}-1.ipynb", notebook("ex01", {"q1": 1}, {"q2": "percentage"}))
    # Colab's "Save a copy": no course metadata, "Copy of" in the name.
    put(folder / f"leeann_323456_7891015_Copy_of_{EX01}.ipynb", notebook(None, {"q1": 1, "q2": 2, "q3": 2}, {"q4": "swapped"}))
    # An old nbformat 3 notebook.
    put(folder / f"oldtimer_423456_7891016_{EX01}.ipynb", notebook("ex01", {"q1": 1}, {"q2": "percentage"}, version=3))


def moodle_download(folder: Path) -> None:
    """Moodle's "Download all submissions" of two assignments: participant ids differ per assignment."""
    put(folder / "ex01" / "John Smith_12345_assignsubmission_file_" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(folder / "ex02" / "John Smith_67890_assignsubmission_file_" / f"{EX02}.ipynb", notebook("ex02", {"q1": 1, "q2": 1}))
    put(folder / "ex01" / "Zoë Müller_12346_assignsubmission_file_" / "my work.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))


CANVAS_TEMPLATE = (
    "Student,ID,SIS User ID,SIS Login ID,Section,01 Imbalance basics (4567),Quiz 1 (4570),Exercise 02 - misleading accuracy (4568)\n"
    f"    Points Possible,,,,,{MAX1},5,{MAX2}\n"
    "\"Smith, John\",123456,S001,jsmith,Section A,,5,\n"
    "\"Doe, Jane\",223456,S002,jdoe,Section B,,4,\n"
    "\"Absent, Al\",999999,S009,aabsent,Section A,,3,\n"
    "\"Student, Test\",555,,,,,,\n"
)


# --------------------------------------------------------------------------- #
# The stand-in for kernels
# --------------------------------------------------------------------------- #


@pytest.fixture
def fake_kernels(monkeypatch):
    """Grade without kernels: points and mistake ids come from each notebook's ``fake`` metadata."""

    def execute(ctx, sub, record):
        record.update(flags=[], tamper=[], cells={str(i): {"status": "ok"} for i, _s in sub.cells}, events=[], restarts=0)
        return {}

    def judge(ctx, sub, exported, record):
        fake = sub.nb.metadata.get("fake", {})
        questions = {}
        for name, question in ctx.exercise(sub.exercise).questions.items():
            earned = float(fake.get("points", {}).get(name, 0))
            status = Status.CORRECT if earned >= question.points else Status.INCORRECT
            result = Result(status, "stand-in", earned, question.points, question.label)
            entry = result.to_dict()
            entry["mistake"] = fake.get("mistakes", {}).get(name)
            questions[name] = entry
        return questions

    monkeypatch.setattr(grader, "_execute", execute)
    monkeypatch.setattr(grader, "_judge", judge)
    monkeypatch.setattr(grader._sandbox, "probe", lambda *args, **kwargs: _sandbox.Sandbox())
    monkeypatch.setattr(grader, "_prebuild_font_cache", lambda ctx: None)


def run(source: Path, out: Path, **kwargs) -> dict:
    summary = grader.grade(source, out, seed=7, progress=False, **kwargs)
    summary["details"] = json.loads((out / "details.json").read_text(encoding="utf-8"))
    return summary


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# --------------------------------------------------------------------------- #
# Identity
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "relpath, student, late, submission_id",
    [
        (f"smithjohn_123456_7891011_{EX01}.ipynb", "canvas:123456", False, 7891011),
        (f"smithjohn_LATE_123456_7891012_{EX02}-1.ipynb", "canvas:123456", True, 7891012),
        (f"ex02/smithjohn_123456_7891013_{EX02}.ipynb", "canvas:123456", False, 7891013),
        (f"John Smith_12345_assignsubmission_file_/{EX01}.ipynb", "moodle:john smith", False, None),
        (f"moodle/ex02/John  Smith_67890_assignsubmission_file_/sub/{EX02}.ipynb", "moodle:john smith", False, None),
        (f"John Smith_12345_assignsubmission_file_{EX01}.ipynb", "moodle:john smith", False, None),
        (f"alice/{EX01}.ipynb", "alice", False, None),
        (f"ex01/alice/{EX01}.ipynb", "alice", False, None),
        (f"ex01/bob_{EX01}.ipynb", "bob", False, None),
        (f"alice/work.zip/{EX01}.ipynb", "alice", False, None),
    ],
)
def test_identity_from_lms_names(relpath, student, late, submission_id):
    identity = lms.identify(relpath, STEMS)
    assert (identity.student, identity.late, identity.submission_id) == (student, late, submission_id)


def test_forced_layouts_and_loud_warnings():
    # --lms folders on a per-assignment download: every student is "ex01" -- unless the warning says so.
    names = [f"ex01/{n}_{i}_{i + 100}_{EX01}.ipynb" for i, n in enumerate(["ann", "bo", "cy"])]
    folders = [lms.identify(n, STEMS, "folders").to_dict() for n in names]
    assert {f["student"] for f in folders} == {"ann_0_100", "bo_1_101", "cy_2_102"}  # file names, never "ex01"
    plain = [{"student": "ex01", "name": "ex01", "layout": "folders"}] * 3
    warnings = lms.identity_warnings(plain, ["ex01"] * 3, None, "folders")
    assert any("named like an exercise" in w for w in warnings) and any("one student" in w for w in warnings)
    forced = [lms.identify("alice/x.ipynb", STEMS, "canvas").to_dict()]
    assert any("do not look like a canvas download" in w for w in lms.identity_warnings(forced, ["ex01"], None, "canvas"))
    with pytest.raises(ValueError):
        lms.identify("a.ipynb", STEMS, "blackboard")


def test_rosters_from_canvas_and_moodle(tmp_path):
    canvas = lms.read_roster(put(tmp_path / "canvas.csv", CANVAS_TEMPLATE))
    assert canvas.kind == "canvas" and set(canvas.people) == {"canvas:123456", "canvas:223456", "canvas:999999"}
    assert canvas.points_row is not None  # kept apart, not a student
    moodle = lms.read_roster(put(tmp_path / "moodle.csv", "First name,Last name,Email address\nJohn,Smith,js@example.org\nZoë,Müller,zm@example.org\n"))
    assert moodle.kind == "moodle" and set(moodle.people) == {"moodle:john smith", "moodle:zoë müller"}
    with pytest.raises(ValueError):
        lms.read_roster(put(tmp_path / "bad.csv", "a,b\n1,2\n"))


# --------------------------------------------------------------------------- #
# Zips
# --------------------------------------------------------------------------- #


def _zip(path: Path, members: dict[str, str | bytes], links: dict[str, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def test_unpack_refuses_zip_slip_links_and_bombs(tmp_path, monkeypatch):
    hostile = _zip(tmp_path / "hostile.zip", {"../../escaped.ipynb": "x", "/abs.ipynb": "x", "ok/a.ipynb": "{}"},
                   {"link.ipynb": "/etc/passwd"})
    report = lms.Unpacked()
    lms.unpack(hostile, tmp_path / "t", "hostile.zip", report)
    refused = " ".join(report.zips[0]["refused"])
    assert "zip-slip" in refused and "symbolic link" in refused
    assert not (tmp_path / "escaped.ipynb").exists() and not list(tmp_path.rglob("link.ipynb"))
    assert (tmp_path / "t" / "ok" / "a.ipynb").is_file() and report.zips[0]["notebooks"] == 1
    monkeypatch.setattr(lms, "MAX_UNPACKED_BYTES", 10_000)
    bomb = _zip(tmp_path / "bomb.zip", {f"f{i}.ipynb": b"0" * 6_000 for i in range(3)})
    report = lms.Unpacked()
    lms.unpack(bomb, tmp_path / "b", "bomb.zip", report)
    assert report.bytes <= 10_000 and any("zip bomb" in r for r in report.zips[0]["refused"])


def test_refusals_are_listed_up_to_a_cap_and_the_rest_counted(tmp_path):
    # Red-team 5: a zip of 400,000 refused members listed every one (a 110 MB details.json, a 64 MB report).
    many = _zip(tmp_path / "many.zip", {f"../x{i}.ipynb": "x" for i in range(lms.MAX_LISTED_REFUSALS + 150)})
    report = lms.Unpacked()
    lms.unpack(many, tmp_path / "m", "many.zip", report)
    refused = report.zips[0]["refused"]
    assert len(refused) == lms.MAX_LISTED_REFUSALS + 1 and all("zip-slip" in r for r in refused[:-1])
    assert refused[-1] == "... and 150 more members refused (not listed)"
    assert not list(tmp_path.glob("x*.ipynb"))


def test_bulk_zip_and_a_students_zip_are_graded_and_reported(tmp_path, fake_kernels):
    canvas = tmp_path / "canvas"
    canvas_download(canvas)
    bulk = tmp_path / "submissions.zip"
    with zipfile.ZipFile(bulk, "w") as archive:
        for path in sorted(canvas.iterdir()):
            archive.write(path, path.name)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr(f"sub/{EX02}.ipynb", notebook("ex02", {"q1": 1}))
    with zipfile.ZipFile(bulk, "a") as archive:  # a student's zip inside the bulk zip
        archive.writestr("Ann Lee_555_assignsubmission_file_/work.zip", inner.getvalue())
    summary = run(bulk, tmp_path / "out")
    assert {r["student"] for r in summary["records"]} == {"canvas:123456", "canvas:223456", "canvas:323456", "canvas:423456",
                                                            "moodle:ann lee"}
    assert [z["notebooks"] for z in summary["details"]["grader"]["unpacked"]] == [7, 1]
    assert f"Ann Lee_555_assignsubmission_file_/work.zip/sub/{EX02}.ipynb" in summary["details"]["submissions"]
    # A Moodle student's zip inside their folder: unpacked, and the person stays the folder's.
    moodle = tmp_path / "moodle"
    _zip(moodle / "Ann Lee_555_assignsubmission_file_" / "work.zip", {f"inner/{EX01}.ipynb": notebook("ex01", {"q1": 1})})
    summary = run(moodle, tmp_path / "out2")
    (record,) = summary["records"]
    assert record["student"] == "moodle:ann lee" and record["submission"].endswith(f"work.zip/inner/{EX01}.ipynb")
    assert record["total"] == 1 and summary["details"]["grader"]["unpacked"][0]["zip"].endswith("work.zip")
    # A zip with no notebook in it is a warning, in the terminal and the report, never silence.
    _zip(moodle / "Bo Ng_556_assignsubmission_file_" / "oops.zip", {"notes.txt": "forgot the notebook"})
    summary = run(moodle, tmp_path / "out3")
    assert any("oops.zip: no notebook in it" in w for w in summary["details"]["grader"]["warnings"])
    assert "oops.zip: no notebook in it" in (tmp_path / "out3" / "report.html").read_text()


# --------------------------------------------------------------------------- #
# The pick, the gradebook and the exports
# --------------------------------------------------------------------------- #


def test_canvas_download_pick_gradebook_and_import(tmp_path, fake_kernels):
    canvas_download(tmp_path / "subs")
    template = put(tmp_path / "gradebook_export.csv", CANVAS_TEMPLATE)
    out = tmp_path / "out"
    summary = run(tmp_path / "subs", out, policy=gradebook.Policy(roster=str(template), canvas_template=str(template),
                                                                   late_penalty=0.1))
    records = {r["submission"]: r for r in summary["records"]}
    colab = records[f"leeann_323456_7891015_Copy_of_{EX01}.ipynb"]
    assert colab["exercise"] == "ex01" and colab["exercise_from"] == "file name" and colab["total"] == 5
    assert records[f"oldtimer_423456_7891016_{EX01}.ipynb"]["total"] == 1  # nbformat 3 read
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    header = next(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    assert header[3:5] == [COL1, COL2]
    john = book["canvas:123456"]
    # latest: the late resubmission (submission id 7891020) counts, 1 point less 10 %; the other is listed
    assert john["name"] == "Smith, John" and john[COL2] == "0.9" and john["late"] == "ex02"
    assert john["other_submissions"] == "1" and john["counted"].endswith(f"{EX02}-1.ipynb")
    absent = book["canvas:999999"]
    assert absent["missing_exercises"].startswith("all") and absent["lms_id"] == "999999" and absent[COL1] == ""  # roster
    # The Canvas import keeps the template's rows, SIS ids, sections and assignment columns.
    rows = list(csv.reader(io.StringIO((out / "canvas_import.csv").read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01 Imbalance basics (4567)",
                       "Exercise 02 - misleading accuracy (4568)"]
    assert rows[1][0] == "Points Possible" and rows[1][5:] == [MAX1, MAX2]
    assert rows[2] == ["Smith, John", "123456", "S001", "jsmith", "Section A", "3", "0.9"]
    assert rows[4][:2] == ["Absent, Al", "999999"] and rows[4][5:] == ["", ""]  # no grade: Canvas keeps what it has
    assert {r[1] for r in rows[2:]} >= {"323456", "423456"}  # graded but not in the template: appended
    # Feedback as HTML beside Markdown, and a Canvas zip named by its file prefixes.
    counted = records[f"smithjohn_LATE_123456_7891020_{EX02}-1.ipynb"]
    assert (out / counted["feedback_html"]).read_text().startswith("<!DOCTYPE html>")
    names = zipfile.ZipFile(out / "feedback_canvas" / "ex02.zip").namelist()
    assert names == ["smithjohn_123456_7891020_feedback_ex02.html"]
    # Instructor rehearsal: the page the LMS shows said the raw score while the import said the penalised grade.
    page = zipfile.ZipFile(out / "feedback_canvas" / "ex02.zip").read(names[0]).decode("utf-8")
    assert "Grade in the gradebook" in page and "0.9 / " in page and "late: -0.1" in page
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "grade under this run&#x27;s policy" in report or "grade under this run's policy" in report
    # Every new output is the instructor's alone, like grades.csv: files 0600 in a 0700 folder, no leftovers.
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.rglob("*"):
        assert path.is_dir() or stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not list(out.rglob(".*.tmp-*")) and not (out / "details.partial.json").exists()


def test_pick_best_and_exclusions(tmp_path, fake_kernels):
    canvas_download(tmp_path / "subs")
    out = tmp_path / "out"
    run(tmp_path / "subs", out, policy=gradebook.Policy(pick="best", exclude=("ex01.q2",)))
    john = {r["student"]: r for r in read_csv(out / "gradebook.csv")}["canvas:123456"]
    header = next(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    dropped = f"ex01 (max {load('ex01').max_points - 2:g})"
    assert header[3] == dropped  # q2 (2 points) dropped from the maximum
    assert john[dropped] == "1"  # and from the score (John had it right)
    assert john[COL2] == "2" and john["counted"].endswith(f"7891012_{EX02}.ipynb")  # best, not latest
    grades = read_csv(out / "grades.csv")
    assert "ex01.q1 (max 1)" in grades[0] and "ex02.q1 (max 1)" in grades[0]
    assert {r["ex01.q2 (max 2)"] for r in grades if r["submission"].startswith("smithjohn_123456_7891011")} == {"2"}  # raw


def test_moodle_download_one_person_across_assignments(tmp_path, fake_kernels):
    moodle_download(tmp_path / "subs")
    roster = put(tmp_path / "participants.csv", "First name,Last name,Email address\nJohn,Smith,js@example.org\n"
                 "Zoë,Müller,zm@example.org\nNo,Show,ns@example.org\n")
    out = tmp_path / "out"
    run(tmp_path / "subs", out, policy=gradebook.Policy(roster=str(roster)))
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    assert set(book) == {"moodle:john smith", "moodle:zoë müller", "moodle:no show"}
    assert book["moodle:john smith"][COL1] == "1" and book["moodle:john smith"][COL2] == "2"
    sheet = read_csv(out / "moodle" / "ex01_grading_worksheet.csv")
    assert [(r["Identifier"], r["Full name"], r["Grade"], r["Maximum Grade"]) for r in sheet] == [
        ("Participant 12345", "John Smith", "1", MAX1), ("Participant 12346", "Zoë Müller", "3", MAX1)]
    assert sheet[0]["Email address"] == "js@example.org"
    names = zipfile.ZipFile(out / "feedback_moodle" / "ex02.zip").namelist()
    assert names == ["John Smith_67890_assignsubmission_file_/feedback_ex02.html"]
    assert not (out / "canvas_import.csv").exists()


def test_one_folder_per_assignment_is_not_the_student(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / "ex01" / f"smithjohn_123456_7891011_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(subs / "ex02" / f"smithjohn_123456_7891012_{EX02}.ipynb", notebook("ex02", {"q1": 1}))
    put(subs / "ex02" / f"doejane_223456_7891013_{EX02}.ipynb", notebook("ex02"))
    summary = run(subs, tmp_path / "out")
    assert sorted(r["student"] for r in summary["records"]) == ["canvas:123456", "canvas:123456", "canvas:223456"]
    assert not summary["details"]["grader"]["warnings"]


def test_latest_without_lms_ids_is_by_file_time(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / "alice" / "first try.ipynb", notebook("ex01", {"q1": 1, "q2": 2}), mtime=1_700_000_000)
    put(subs / "alice" / "final.ipynb", notebook("ex01", {"q1": 1}), mtime=1_700_100_000)
    out = tmp_path / "out"
    run(subs, out)
    alice = read_csv(out / "gradebook.csv")[0]
    assert alice["counted"] == "alice/final.ipynb" and alice[COL1] == "1" and alice["other_submissions"] == "1"


def test_a_changed_seed_is_refused_and_regrades_are_explained(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    path = put(subs / f"smithjohn_123456_7891011_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    out = tmp_path / "out"
    run(subs, out)
    with pytest.raises(ValueError, match="--new-seed"):
        grader.grade(subs, out, seed=8, progress=False)

    def why():
        return [(c["before"], c["after"], c["why"]) for c in json.loads((out / "details.json").read_text())["grader"]["grade_changes"]]

    put(path, notebook("ex01", {"q1": 1, "q2": 2}))  # the same file, changed
    run(subs, out)
    assert why() == [(1, 3, "submission changed")]
    assert "Changed since the last run (1)" in (out / "report.html").read_text()
    put(subs / f"smithjohn_LATE_123456_7891012_{EX01}-1.ipynb", notebook("ex01", {"q1": 1}))  # a resubmission
    run(subs, out)
    assert why() == [(3, 1, f"another submission counts now (smithjohn_123456_7891011_{EX01}.ipynb before)")]
    run(subs, out, policy=gradebook.Policy(late_penalty=0.5))
    assert why() == [(1, 0.5, "policy changed (--exclude, --late-penalty, --late-per-day, --deadline, the times or --solution-viewed)")]
    run(subs, out, policy=gradebook.Policy(late_penalty=0.5))
    assert why() == []
    summary = grader.grade(subs, out, seed=8, new_seed=True, progress=False, policy=gradebook.Policy(late_penalty=0.5))
    assert summary["executed"] == 2 and summary["seed"] == 8


def test_interrupted_run_leaves_the_last_complete_results(tmp_path, fake_kernels, monkeypatch):
    subs = tmp_path / "subs"
    put(subs / "alice" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    out = tmp_path / "out"
    run(subs, out)
    before = {name: (out / name).read_bytes() for name in ("grades.csv", "details.json", "gradebook.csv")}
    put(subs / "bob" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(subs / "carl" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    real = grader._judge
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(grader, "_judge", interrupted)
    assert grader.main([str(subs), "--out", str(out), "--quiet"]) == 130
    assert before == {name: (out / name).read_bytes() for name in before}  # nothing half-written
    progress = json.loads((out / "details.partial.json").read_text())
    assert sorted(progress["submissions"]) == [f"alice/{EX01}.ipynb", f"bob/{EX01}.ipynb"]  # done, kept for the next run
    monkeypatch.setattr(grader, "_judge", real)
    summary = run(subs, out)
    assert summary["executed"] == 1 and not (out / "details.partial.json").exists()
    assert len(read_csv(out / "grades.csv")) == 3 == len(summary["details"]["submissions"])


def test_ctrl_c_prints_one_line(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grader, "grade", interrupted)
    assert grader.main([str(tmp_path), "--out", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "interrupted" in err and "Traceback" not in err


# --------------------------------------------------------------------------- #
# Integrity of the hand-out
# --------------------------------------------------------------------------- #


def _code_cells(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]


@pytest.mark.parametrize("solution", sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_a_solution_submitted_as_is_changes_no_given_code(solution):
    result = handout.compare(f"ex{solution.name[:2]}", _code_cells(solution), ROOT / "exercises")
    assert result == {"note": "", "changes": []}, result["note"]


def test_changed_given_code_is_named_and_shown():
    cells = _code_cells(next((ROOT / "solutions").glob("01_*.ipynb")))
    split = next(i for i, s in cells if "test_size=0.5" in s)
    changed = [(i, s.replace("test_size=0.5", "test_size=0.3") if i == split else s) for i, s in cells]
    result = handout.compare("ex01", changed, ROOT / "exercises")
    (change,) = result["changes"]
    assert change["cell"] == split + 1  # one numbering: notebook cells from 1
    assert any("test_size=0.5" in line for line in change["diff"] if line.startswith("-"))
    assert any("test_size=0.3" in line for line in change["diff"] if line.startswith("+"))
    assert f"cell {split + 1}" in result["note"]
    deleted = [(i, s) for i, s in cells if "q1.check" not in s]
    assert "1 of the" in handout.compare("ex01", deleted, ROOT / "exercises")["note"]


def test_solution_viewed_from_the_run_and_from_the_code():
    cells = [(0, "from course_utils.exercises import ex01"), (3, "ex01.q6.solution()"), (4, "# ex01.q2.solution()")]
    assert handout.solution_viewed({}, cells, ["q1", "q2", "q6"]) == ["q6"]
    exported = {"q1": {"solution_viewed": ["q2"]}}  # the learner's own question objects say so
    assert handout.solution_viewed(exported, [(0, "x = 1")], ["q1", "q2"]) == ["q2"]
    assert handout.solution_viewed({}, [(0, "print(ex01.q3.solution_code)")], ["q3"]) == ["q3"]


def test_solution_viewed_flag_or_zero(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / "alice" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q6": 1}, code="ex01.q6.solution()\nwhy_drift = 'a'"))
    out = tmp_path / "out"
    summary = run(subs, out)
    (record,) = summary["records"]
    assert record["solution_viewed"] == ["q6"] and "solution shown for q6" in record["note"]
    assert "Solution shown" in (out / record["feedback"]).read_text()
    row = read_csv(out / "gradebook.csv")[0]
    assert row["solution_viewed"] == "ex01.q6" and row[COL1] == "2"
    run(subs, out, policy=gradebook.Policy(solution_viewed="zero"))
    assert read_csv(out / "gradebook.csv")[0][COL1] == "1"


def test_solutions_shown_read_from_the_learners_questions(monkeypatch):
    from course_utils.exercises import ex01
    from course_utils.grading import _kernel_export as export

    monkeypatch.setattr(ex01.q6, "solution_viewed", False)
    assert "q6" not in export.solutions_shown("ex01")
    ex01.q6.solution()
    assert "q6" in export.solutions_shown("ex01")


# --------------------------------------------------------------------------- #
# One real run: kernels in the sandbox
# --------------------------------------------------------------------------- #


@pytest.mark.notebook
def test_one_real_canvas_run(tmp_path):
    """Real notebooks, real kernels: a Canvas download of the ex01 solution, as is, with its split
    changed, and with a solution shown through an alias (only the learner's own flag can tell)."""
    solution = nbformat.read(next((ROOT / "solutions").glob(f"{EX01}.ipynb")), as_version=4)
    solution.metadata["course"] = {"exercise": "ex01"}
    subs = tmp_path / "subs"
    honest = subs / f"smithjohn_123456_7891011_{EX01}.ipynb"
    put(honest, nbformat.writes(solution))
    changed = nbformat.from_dict(solution)
    split = next(i for i, c in enumerate(changed.cells) if "test_size=0.5" in c.source)
    changed.cells[split].source = changed.cells[split].source.replace("test_size=0.5", "test_size=0.3")
    q2 = next(c for c in changed.cells if "abalone_prevalence = minority" in c.source)  # a named mistake too
    q2.source = q2.source.replace("abalone_prevalence = minority", "abalone_prevalence = 100 * minority")
    put(subs / f"doejane_223456_7891012_{EX01}.ipynb", nbformat.writes(changed))
    peeked = nbformat.from_dict(solution)
    peeked.cells.append(nbformat.v4.new_code_cell("question = ex01.q6\nquestion.solution()"))
    put(subs / f"leeann_LATE_323456_7891013_{EX01}.ipynb", nbformat.writes(peeked))
    out = tmp_path / "out"
    summary = grader.grade(subs, out, seed=11, jobs=2, progress=False, policy=gradebook.Policy(solution_viewed="zero"))
    records = {r["identity"]["lms_id"]: r for r in summary["records"]}
    maximum = load("ex01").max_points
    john, jane, lee = records["123456"], records["223456"], records["323456"]
    assert john["status"] == "ok" and john["total"] == maximum and not john["structure"] and not john["solution_viewed"]
    assert all("mistake" in q for q in john["questions"].values())  # exported for the report (None: nothing named)
    assert f"given code changed in cell {split + 1}" in jane["structure"]
    assert jane["given_code"][0]["cell"] == split + 1 and str(split + 1) in jane["cells"]  # one numbering
    assert "percentage" in jane["questions"]["q2"]["mistake"]  # the checker's stable id, exported
    assert re.search(r"<td>ex01\.q2</td><td>[^<]*percentage</td><td>1</td><td>33 %</td>", (out / "report.html").read_text())
    assert lee["solution_viewed"] == ["q6"] and lee["identity"]["late"]
    book = {r["lms_id"]: r for r in read_csv(out / "gradebook.csv")}
    assert book["323456"][COL1] == f"{maximum - 1:g}" and book["323456"]["solution_viewed"] == "ex01.q6"
    assert book["123456"][COL1] == f"{maximum:g}"
    details = json.loads((out / "details.json").read_text())
    assert len(details["submissions"]) == len(read_csv(out / "grades.csv")) == 3


def test_a_folder_of_lms_zips_one_per_assignment(tmp_path, fake_kernels):
    """Several assignments downloaded as several bulk zips, all put in one folder."""
    downloads = tmp_path / "downloads"
    _zip(downloads / "submissions.zip", {f"smithjohn_123456_7891011_{EX01}.ipynb": notebook("ex01", {"q1": 1}),
                                         f"doejane_223456_7891012_{EX01}.ipynb": notebook("ex01")})
    _zip(downloads / "submissions (1).zip", {f"smithjohn_123456_7891013_{EX02}.ipynb": notebook("ex02", {"q1": 1})})
    _zip(downloads / "COURSE-Assignment 2-98765.zip",
         {f"Ann Lee_555_assignsubmission_file_/{EX02}.ipynb": notebook("ex02", {"q1": 1, "q2": 2})})
    out = tmp_path / "out"
    summary = run(downloads, out)
    assert sorted(r["student"] for r in summary["records"]) == ["canvas:123456", "canvas:123456", "canvas:223456", "moodle:ann lee"]
    assert [z["notebooks"] for z in summary["details"]["grader"]["unpacked"]] == [1, 1, 2]
    john = {r["student"]: r for r in read_csv(out / "gradebook.csv")}["canvas:123456"]
    assert (john[COL1], john[COL2]) == ("1", "1")


# --------------------------------------------------------------------------- #
# Instructor rehearsal (this stop): what an instructor of 120 met on a term's downloads
# --------------------------------------------------------------------------- #


def test_students_named_like_a_notebook_file_are_warned_about():
    # A flat folder of "01_imbalance_basics.ipynb", "... (1).ipynb", "... (2).ipynb" made three students, unwarned.
    identities = [{"student": s, "name": s, "layout": "folders"} for s in ("01_imbalance_basics", "(1)", "(2)")]
    (warning,) = [w for w in lms.identity_warnings(identities, ["ex01"] * 3, None, "folders") if "notebook file" in w]
    assert "01_imbalance_basics" in warning and "(1)" in warning and "(2)" in warning
    people = [{"student": s, "name": s, "layout": "folders"} for s in ("alice", "o'brien_mary", "zoë müller")]
    assert not lms.identity_warnings(people, ["ex01"] * 3, None, "folders")


def test_a_moodle_worksheet_out_of_other_points_is_warned_about_and_no_submission_is_no_time(tmp_path):
    from course_utils.grading import gradebook

    sheet = tmp_path / "ws.csv"
    sheet.write_text("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
                     "Last modified (submission),Last modified (grade),Feedback comments\n"
                     "Participant 12345,John Smith,js@x,Submitted,,100.00,Yes,\"Thursday, 20 November 2026, 10:15 AM\",-,\n"
                     "Participant 12346,Kim Lee,kl@x,No submission,,100.00,Yes,-,-,\n", encoding="utf-8")
    worksheets = lms.read_worksheets([sheet])
    record = {"identity": {"student": "moodle:john smith", "layout": "moodle", "lms_id": "12345"}, "exercise": "ex02"}
    (warning,) = gradebook._moodle_maximum_warnings({("moodle:john smith", "ex02"): record}, worksheets, {"ex02": 10.0})
    assert "out of 100.00 points but ex02 is out of 10" in warning
    assert not gradebook._moodle_maximum_warnings({("moodle:john smith", "ex02"): record}, worksheets, {"ex02": 100.0})
    # "-" is Moodle's "No submission": no time, not an unreadable one (a false "LATE TIMES NOT READ" before).
    policy = gradebook.Policy(late_per_day=0.1, deadlines=("ex02=2026-11-19T23:59",), moodle_worksheets=(str(sheet),))
    assert not [w for w in gradebook._lateness([dict(record)], policy, worksheets) if "NOT READ" in w]


def test_lms_names_inside_a_students_own_folder_are_warned_about():
    # Red-team 7: "eve/Alice_7_assignsubmission_file_/01.ipynb" and two Canvas-named files in "eve/x/" were read as
    # moodle:alice, canvas:223456 and canvas:1 (eve's row gone, other users' grades in the import), unwarned.
    stems = {"01_imbalance_basics": "ex01"}
    paths = ["alice/01_imbalance_basics.ipynb", "eve/Alice_7_assignsubmission_file_/01_imbalance_basics.ipynb",
             "eve/x/doejane_223456_1_01_imbalance_basics.ipynb", "eve/x/smithj_1_1_01_imbalance_basics.ipynb"]
    listings = lms.lms_listings(paths)
    identities = [lms.identify(p, stems, "auto", listings).to_dict() for p in paths]
    assert identities[1]["under"] == "eve" and identities[2]["under"] == "eve/x" and identities[0]["under"] == ""
    (warning,) = [w for w in lms.identity_warnings(identities, ["ex01"] * 4, None, "auto") if "ordinary folders" in w]
    assert "eve" in warning and "eve/x" in warning
    # A real download at the top, or in an exercise folder or a bulk zip, is not warned about.
    real = ["Assignment 1/John Smith_12345_assignsubmission_file_/01.ipynb",
            "submissions.zip/smithjohn_123456_7891011_01_imbalance_basics.ipynb",
            "obrienmary_223456_7891013_01_imbalance_basics.ipynb"]
    found = [lms.identify(p, stems, "auto", lms.lms_listings(real)).to_dict() for p in real]
    assert all(i["under"] == "" for i in found) and {i["layout"] for i in found} == {"moodle", "canvas"}
