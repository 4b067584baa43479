"""The red-team's findings on the LMS layer, one class per test (see README, "What is defended").

Identity from inside a zip, unpack limits per student's zip, malformed zips, the notebook cap,
Moodle names read two ways, Canvas template columns, roster keys, bidi controls, and the
hand-out integrity flags. Zips are built here; one class is graded for real in the sandbox.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, require_sandbox
from course_utils.authoring.notebooks import exercise_key
from course_utils.exercises import load
from course_utils.grading import gradebook, handout, lms
from course_utils.grading import grade as grader
from test_grade_lms import COL1, EX01, EX02, STEMS, fake_kernels, notebook, put, read_csv, run  # noqa: F401

# --------------------------------------------------------------------------- #
# 1. Identity: a zip's members are the zip's owner's, late if it is
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "relpath, student, late, submission_id",
    [
        (f"smithjohn_LATE_123456_7891020_work.zip/doejane_223456_99999999_{EX01}.ipynb", "canvas:123456", True, 7891020),
        (f"smithjohn_LATE_123456_7891020_work.zip/{EX01}.ipynb", "canvas:123456", True, 7891020),
        (f"submissions.zip/smithjohn_LATE_123456_7891020_w.zip/in/x_1_2_{EX01}.ipynb", "canvas:123456", True, 7891020),
        (f"Jane Doe_101_assignsubmission_file_/doejane_223456_9_{EX01}.ipynb", "moodle:jane doe", False, None),
        (f"alice/hw_1_2_{EX01}.ipynb", "alice", False, None),  # a Canvas-shaped name in a student's folder
        (f"alice/work.zip/bob_5_6_{EX01}.ipynb", "alice", False, None),
    ],
)
def test_identity_comes_from_the_outermost_lms_name(relpath, student, late, submission_id):
    identity = lms.identify(relpath, STEMS)
    assert (identity.student, identity.late, identity.submission_id) == (student, late, submission_id)


def test_a_folder_listing_several_canvas_people_is_a_download_and_one_student_folder_is_not():
    paths = [f"Imbalance basics/smithjohn_1_2_{EX01}.ipynb", f"Imbalance basics/doejane_3_4_{EX01}.ipynb",
             f"alice/hw_1_2_{EX01}.ipynb", f"bob/hw_1_2_{EX01}.ipynb"]
    listings = lms.lms_listings(paths)
    assert listings == {"Imbalance basics"}
    who = [lms.identify(p, STEMS, "auto", listings).student for p in paths]
    assert who == ["canvas:1", "canvas:3", "alice", "bob"]  # alice and bob are never merged as canvas:1


def test_moodle_flat_name_read_two_ways_is_never_guessed_and_blind_marking_keeps_people_apart():
    spoof = lms.identify(f"Jane Doe_101_assignsubmission_file__202_assignsubmission_file_{EX01}.ipynb", STEMS)
    assert spoof.student.startswith("moodle-unclear:") and spoof.lms_id == ""  # never participant 101
    warnings = lms.identity_warnings([spoof.to_dict()], ["ex01"], None, "auto")
    assert any("cannot be read" in w for w in warnings)
    record = {"student": spoof.student, "exercise": "ex01", "identity": spoof.to_dict(), "submission": "x", "status": "ok",
              "questions": {"q1": {"points": 0.0, "max_points": 1.0}}}
    book = gradebook.Book(["ex01"], {"ex01": "t"}, {"ex01": 1.0}, [], {(spoof.student, "ex01"): record}, {}, [], [], [],
                          gradebook.Policy(), None, None)
    assert gradebook.moodle_rows(book, "ex01") is None  # no worksheet row for a participant it cannot name
    blind = {lms.identify(f"Participant_{i}_assignsubmission_file_/{EX01}.ipynb", STEMS).student for i in (11, 22)}
    assert blind == {"moodle-blind:11", "moodle-blind:22"}


def test_canvas_zip_members_inherit_identity_and_late_mark(tmp_path, fake_kernels):
    subs = tmp_path / "canvas"
    put(subs / f"doejane_223456_7891013_{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    zip_path = subs / "smithjohn_LATE_123456_7891020_work.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(f"doejane_223456_99999999_{EX01}.ipynb", notebook("ex01", {}))  # forged: Jane's, newer
        archive.writestr(f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    out = tmp_path / "out"
    summary = run(subs, out, policy=gradebook.Policy(late_penalty=0.5))
    by_student = {}
    for record in summary["records"]:
        by_student.setdefault(record["student"], []).append(record)
    assert len(by_student["canvas:223456"]) == 1  # only Jane's own file
    assert all(r["identity"]["late"] and r["identity"]["submission_id"] == 7891020 for r in by_student["canvas:123456"])
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    assert book["canvas:223456"][COL1] == "3" and book["canvas:123456"]["late"] == "ex01"


# --------------------------------------------------------------------------- #
# 2. Unpacking: every byte and folder counts, per student's zip; nothing stops the run
# --------------------------------------------------------------------------- #


def _bad_crc_zip(path: Path, members: int, size: int) -> Path:
    """A zip whose members all fail their CRC (only known once the member is read to its end)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(members):
            archive.writestr(f"m{i}.bin", b"\0" * size)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            for offset in (info.header_offset + 14, ):  # the local header's CRC
                data[offset] ^= 0xFF
    central = data.rfind(b"PK\x01\x02")
    while central != -1:  # and the central directory's, which zipfile checks
        data[central + 16] ^= 0xFF
        central = data.rfind(b"PK\x01\x02", 0, central)
    path.write_bytes(bytes(data))
    return path


def test_bad_crc_members_count_and_leave_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(lms, "MAX_UNPACKED_BYTES", 3 * 2**20)
    bomb = _bad_crc_zip(tmp_path / "bomb.zip", 4, 2 * 2**20)
    report = lms.Unpacked()
    lms.unpack(bomb, tmp_path / "t", "mallory/bomb.zip", report)
    refused = " ".join(report.zips[0]["refused"])
    assert "could not be unpacked (BadZipFile)" in refused and "zip bomb" in refused
    assert report.bytes <= 3 * 2**20
    assert not [p for p in (tmp_path / "t").rglob("*") if p.is_file()]  # partial files removed


def test_folders_count_against_the_file_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(lms, "MAX_UNPACKED_FILES", 100)
    flood = tmp_path / "flood.zip"
    with zipfile.ZipFile(flood, "w") as archive:
        for i in range(20):
            archive.writestr(f"f{i}/" + "a/" * 25 + "x", b"")
    report = lms.Unpacked()
    lms.unpack(flood, tmp_path / "t", "mallory/flood.zip", report)
    folders = sum(len(d) for _r, d, _f in os.walk(tmp_path / "t"))
    assert folders + sum(len(f) for _r, _d, f in os.walk(tmp_path / "t")) <= 100
    assert any("files and folders" in r for r in report.zips[0]["refused"])


def test_one_students_zip_cannot_use_another_students_budget(tmp_path, monkeypatch, fake_kernels):
    monkeypatch.setattr(lms, "MAX_UNPACKED_FILES", 50)
    subs = tmp_path / "subs"
    put(subs / "alice" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    (subs / "mallory").mkdir()
    (subs / "zoe").mkdir()
    with zipfile.ZipFile(subs / "mallory" / "work.zip", "w") as archive:  # sorts before zoe's: unpacked first
        for i in range(500):
            archive.writestr(f"f{i}", b"")
    with zipfile.ZipFile(subs / "zoe" / "work.zip", "w") as archive:
        archive.writestr(f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    out = tmp_path / "out"
    summary = run(subs, out, policy=gradebook.Policy(roster=str(put(tmp_path / "r.csv", "student\nalice\nmallory\nzoe\n"))))
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    assert book["zoe"][COL1] == "3" and book["zoe"]["missing_exercises"] == ""
    assert "not in any download" not in book["mallory"]["missing_exercises"]
    assert "mallory/work.zip" in book["mallory"]["attention"]  # a row naming the student's zip
    refused = [r for r in summary["records"] if r["submission"] == "mallory/work.zip"]
    assert refused and refused[0]["status"] == "invalid" and "files and folders" in refused[0]["note"]


@pytest.mark.parametrize(
    "members",
    [
        {"x": b"a", f"x/{EX01}.ipynb": b"{}"},  # a file and a folder of one name
        {"a" * 300 + ".ipynb": b"{}"},  # a name part over 255 bytes
        {"d/" * 1500 + "x.ipynb": b"{}"},  # 1,500 folders deep
        {"w.zip": b"not a zip", "w.zip.unpacked/x": b"1"},  # a nested zip's folder taken
        {"a\\": b"1", "a\\b.ipynb": b"{}"},
    ],
    ids=["file-and-folder", "long-name", "deep", "unpacked-taken", "backslash"],
)
def test_a_malformed_zip_becomes_a_row_and_never_stops_the_run(tmp_path, fake_kernels, members):
    subs = tmp_path / "subs"
    put(subs / "alice" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    (subs / "mallory").mkdir()
    with zipfile.ZipFile(subs / "mallory" / "work.zip", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    out = tmp_path / "out"
    summary = run(subs, out)
    rows = {r["submission"]: r for r in summary["records"]}
    assert rows[f"alice/{EX01}.ipynb"]["total"] == 1
    assert rows["mallory/work.zip"]["status"] == "invalid" and "mallory/work.zip" in rows["mallory/work.zip"]["note"]
    assert (out / "gradebook.csv").exists()


def test_notebooks_per_student_and_exercise_are_capped_up_front(tmp_path, monkeypatch, fake_kernels, capsys):
    monkeypatch.setattr(lms, "MAX_NOTEBOOKS_PER_EXERCISE", 3)
    subs = tmp_path / "subs"
    put(subs / "alice" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    (subs / "mallory").mkdir()
    with zipfile.ZipFile(subs / "mallory" / "work.zip", "w") as archive:
        for i in range(12):
            info = zipfile.ZipInfo(f"n{i:02d}.ipynb", date_time=(2024, 1, 1 + i, 0, 0, 0))
            archive.writestr(info, notebook("ex01", {"q1": 1}))
    summary = grader.grade(subs, tmp_path / "out", seed=7, progress=True)
    statuses = sorted(r["status"] for r in summary["records"] if r["student"] == "mallory")
    assert statuses.count("not-graded") == 9 and statuses.count("ok") == 3
    graded = sorted(r["submission"] for r in summary["records"] if r["student"] == "mallory" and r["status"] == "ok")
    assert graded == [f"mallory/work.zip/n{i:02d}.ipynb" for i in (9, 10, 11)]  # the newest
    err = capsys.readouterr().err
    assert err.index("only the 3 newest are graded") < err.index("grading ")  # said before grading starts


# --------------------------------------------------------------------------- #
# 4. Canvas template columns
# --------------------------------------------------------------------------- #


def test_canvas_template_never_writes_another_assignments_column(tmp_path, fake_kernels):
    subs = tmp_path / "canvas"
    put(subs / f"doejane_223456_7891013_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(subs / f"doejane_223456_7891014_{EX02}.ipynb", notebook("ex02", {"q1": 1}))
    template = put(tmp_path / "export.csv",
                   "Student,ID,SIS User ID,SIS Login ID,Section,1st Midterm (111),Lab 1 pre-quiz (112),Imbalance basics (4567),"
                   "Lab 2 (113),Homework 2 (114)\n    Points Possible,,,,,100,5,13,10,10\n\"Doe, Jane\",223456,s2,jdoe,A,87,4,,,\n")
    out = tmp_path / "out"
    summary = run(subs, out, policy=gradebook.Policy(canvas_template=str(template)))
    rows = list(csv.reader(io.StringIO((out / "canvas_import.csv").read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Imbalance basics (4567)"]
    assert rows[2][-1] == "1"
    warnings = summary["details"]["grader"]["warnings"]
    assert any(w.startswith("CANVAS IMPORT: ex02") and "NOT in canvas_import.csv" in w for w in warnings)


def test_canvas_columns_by_title_id_and_topic_only():
    titles = {"ex01": "Exercise 01 - imbalance basics", "ex02": "Exercise 02 - misleading accuracy and metrics"}
    mapping, warnings = gradebook.canvas_columns(
        ["ex01", "ex02"], titles, ["Student", "ID", "1st Midterm", "01 Imbalance basics (1)", "Exercise 2 - misleading accuracy"])
    assert mapping == {"ex01": "01 Imbalance basics (1)", "ex02": "Exercise 2 - misleading accuracy"} and not warnings
    mapping, warnings = gradebook.canvas_columns(["ex01"], titles, ["Student", "ID", "ex01", "Imbalance basics"])
    assert mapping == {"ex01": None} and "several columns" in warnings[0]


# --------------------------------------------------------------------------- #
# 5. Roster keys, Points Possible, bidi controls
# --------------------------------------------------------------------------- #


def test_roster_keys_ignore_invisible_characters_and_keep_people_named_like_canvas_rows(tmp_path):
    roster = lms.read_roster(put(tmp_path / "p.csv", "Full name,Email address\nZahra\u200cRezaei,z@x\nJane Doe,j@x\n"))
    key = lms.identify(grader.display_name(f"Zahra\u200cRezaei_301_assignsubmission_file_/{EX01}.ipynb"), STEMS).student
    assert key in roster.people and key == "moodle:zahrarezaei"
    assert lms._person_key("Ｊａｎｅ Doe") == lms._person_key("JANE DOE") != lms._person_key("Jane Do")
    canvas = lms.read_roster(put(tmp_path / "c.csv", 'Student,ID\n    Points Possible,\n"Points Possible Fan",55\n'
                                 '"Student, Testa",56\n"Student, Test",57\n'))
    assert set(canvas.people) == {"canvas:55", "canvas:56"} and canvas.points_row is not None


def test_bidi_controls_never_reach_the_gradebook_or_report(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / "alice" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    roster = put(tmp_path / "r.csv", "student\nalice\nmal\u202egnp.exe\n")
    out = tmp_path / "out"
    run(subs, out, policy=gradebook.Policy(roster=str(roster)))
    for name in ("gradebook.csv", "report.html", "grades.csv"):
        text = (out / name).read_text(encoding="utf-8")
        assert "\u202e" not in text, name
    assert "\\u202e" in (out / "gradebook.csv").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- #
# 6. Hand-out integrity
# --------------------------------------------------------------------------- #


def _solution_cells(key: str) -> list[tuple[int, str]]:
    path = next(p for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")) if exercise_key(p) == key)
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def test_given_code_kept_only_in_a_comment_or_a_string_is_changed():
    cells = _solution_cells("ex01")
    given = "test_size=0.5"
    index, source = next((i, s) for i, s in cells if given in s)
    assert handout.compare("ex01", cells, ROOT / "exercises")["changes"] == []
    line = next(line for line in source.splitlines() if given in line)
    changed = line.replace("0.5", "0.3")
    for kept in (f"# {line.strip()}\n{changed}", f"{changed}  # {line.strip()}", f"_ = '''{line.strip()}'''\n{changed}"):
        dodged = [(i, s.replace(line, kept) if i == index else s) for i, s in cells]
        changes = handout.compare("ex01", dodged, ROOT / "exercises")["changes"]
        assert changes and any("0.3" in d for c in changes for d in c["diff"]), kept
    reflowed = [(i, s.replace(line, line.replace(", ", ",\n    ") + "  # kept") if i == index else s) for i, s in cells]
    assert handout.compare("ex01", reflowed, ROOT / "exercises")["changes"] == []  # layout and comments are not changes


def test_solution_reached_through_questions_mapping_is_seen_in_the_code():
    cells = [(0, 'ex01.exercise.questions["q3"].solution()')]
    assert handout.solution_viewed({}, cells, ["q1", "q2", "q3"]) == ["q3"]


# --------------------------------------------------------------------------- #
# Graded for real: bubblewrap, the command line, a Canvas download with hostile zips
# --------------------------------------------------------------------------- #

HONEST = "ex02"


@pytest.mark.notebook
def test_real_run_canvas_zip_identity_malformed_zip_and_dropped_module(tmp_path):
    require_sandbox(tmp_path / "probe")
    solution = next(p for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")) if exercise_key(p) == HONEST)
    blank = next(p for p in sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")) if exercise_key(p) == HONEST)
    subs = tmp_path / "canvas"
    subs.mkdir()
    shutil.copyfile(solution, subs / f"doejane_223456_7891013_{solution.name}")
    with zipfile.ZipFile(subs / "smithjohn_LATE_123456_7891020_work.zip", "w") as archive:
        archive.writestr(f"doejane_223456_99999999_{solution.name}", blank.read_bytes())  # forged: Jane's newest
        archive.writestr(solution.name, solution.read_bytes())
    with zipfile.ZipFile(subs / "kingmal_423456_7891021_bad.zip", "w") as archive:
        archive.writestr("x", b"a")
        archive.writestr(f"x/{solution.name}", solution.read_bytes())
    peeker = nbformat.read(solution, as_version=4)
    peeker.cells.append(nbformat.v4.new_code_cell(
        f'getattr({HONEST}.q1, "solution")()\nimport sys\ndel sys.modules["course_utils.exercises.{HONEST}"]'))
    nbformat.write(peeker, subs / f"leeanna_323456_7891030_{solution.name}")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "course_utils.grade", str(subs), "--out", str(out), "--seed", "4160233", "--quiet",
               "--jobs", "2", "--cell-timeout", "20", "--late-penalty", "0.5"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    details = json.loads((out / "details.json").read_text(encoding="utf-8"))
    records = details["submissions"]
    full = load(HONEST).max_points
    jane = [r for r in records.values() if r["student"] == "canvas:223456"]
    assert len(jane) == 1 and jane[0]["total"] == pytest.approx(full)
    john = [r for r in records.values() if r["student"] == "canvas:123456"]
    assert len(john) == 2 and all(r["identity"]["late"] for r in john)
    bad = records["kingmal_423456_7891021_bad.zip"]
    assert bad["status"] == "invalid" and bad["student"] == "canvas:423456" and "kingmal_423456_7891021_bad.zip" in bad["note"]
    anna = next(r for r in records.values() if r["student"] == "canvas:323456")
    assert "q1" in anna["solution_viewed"]
    book = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}
    column = next(c for c in book["canvas:223456"] if c.startswith(f"{HONEST} (max"))
    assert float(book["canvas:223456"][column]) == pytest.approx(full)
    assert book["canvas:123456"]["late"] == HONEST and float(book["canvas:123456"][column]) <= full / 2 + 1e-9


def test_a_person_whose_part_of_a_bulk_download_is_refused_gets_a_row(tmp_path, monkeypatch, fake_kernels):
    """In the LMS's bulk zip, a budget stop or a refused member is the person's problem: a row naming it, not a
    warning only (and never "not in any download")."""
    monkeypatch.setattr(lms, "MAX_UNPACKED_BYTES", 2_000)
    bulk = tmp_path / "submissions.zip"
    with zipfile.ZipFile(bulk, "w") as archive:
        archive.writestr(f"doejane_223456_7891010_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
        archive.writestr(f"smithjohn_123456_7891011_{EX01}.ipynb", notebook("ex01", {"q1": 1}, code="#" + "x" * 5_000))
        link = zipfile.ZipInfo(f"roejoe_323456_7891012_{EX01}.ipynb")
        link.external_attr = (0o120777 << 16)  # a symbolic link
        archive.writestr(link, "/etc/passwd")
        # Red-team round 2, L7: a name that quotes another's entry must not pin its refusal on them.
        forged = zipfile.ZipInfo(f"evil_555_7891013_a (in doejane_223456_7891010_{EX01}.ipynb).ipynb")
        forged.external_attr = (0o120777 << 16)
        archive.writestr(forged, "/etc/passwd")
    summary = run(bulk, tmp_path / "out")
    rows = {r["student"]: r for r in summary["records"]}
    assert rows["canvas:223456"]["total"] == 1 and rows["canvas:223456"]["status"] != "invalid"
    assert rows["canvas:555"]["status"] == "invalid"
    for student, reason in (("canvas:123456", "stopped"), ("canvas:323456", "symbolic link")):
        assert rows[student]["status"] == "invalid" and reason in rows[student]["note"], rows[student]


def test_the_notebook_cap_never_drops_a_namesakes_work(tmp_path, monkeypatch, fake_kernels):
    """Red-team round 2, A1: a Moodle student with the victim's full name handed in more notebooks than the cap;
    the cap grouped them with the victim's (one name key before the gradebook splits namesakes), and the
    victim's only notebook was not graded."""
    monkeypatch.setattr(lms, "MAX_NOTEBOOKS_PER_EXERCISE", 2)
    subs = tmp_path / "subs"
    put(subs / "Jane Doe_111_assignsubmission_file_" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}), mtime=1e9)
    for i in range(4):
        put(subs / "Jane Doe_222_assignsubmission_file_" / f"n{i}.ipynb", notebook("ex01", {"q1": 1}), mtime=2e9 + i)
    summary = run(subs, tmp_path / "out", lms_layout="moodle")
    victim = [r for r in summary["records"] if "_111_" in r["submission"]]
    assert victim and victim[0]["status"] != "not-graded" and victim[0]["total"] == 3
    others = [r for r in summary["records"] if "_222_" in r["submission"]]
    assert sum(r["status"] == "not-graded" for r in others) == 2


def test_many_zips_of_one_student_share_one_budget(tmp_path, monkeypatch, fake_kernels):
    """Red-team round 2, A2: every zip had a budget of its own, so one student's many small bombs added up to
    the run's ceiling and a later honest zip was refused. A person's zips now share one budget."""
    monkeypatch.setattr(lms, "MAX_UNPACKED_FILES", 50)
    subs = tmp_path / "subs"
    for i in range(3):
        with zipfile.ZipFile(put(subs / "mallory" / f"w{i}.zip", "").with_suffix(".zip"), "w") as archive:
            for j in range(30):
                archive.writestr(f"f{j}", b"")
    (subs / "zoe").mkdir()
    with zipfile.ZipFile(subs / "zoe" / "work.zip", "w") as archive:
        archive.writestr(f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    summary = run(subs, tmp_path / "out")
    details = summary["details"]["grader"]["unpacked"]
    mallory_files = sum(entry["files"] for entry in details if entry["zip"].startswith("mallory/"))
    assert mallory_files <= 50  # one budget for all three zips
    assert any("files and folders" in " ".join(entry["refused"]) for entry in details if entry["zip"].startswith("mallory/"))
    rows = {r["submission"]: r for r in summary["records"]}
    assert rows[f"zoe/work.zip/{EX01}.ipynb"]["total"] == 3
