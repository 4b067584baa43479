"""The grader on the LMS layouts a class of 120 meets: same-name students, blind and anonymous
marking, team folders, graduated late penalties and feedback Canvas can take back.

Downloads are built as Canvas and Moodle write them (Canvas's ``ContentZipper``: ``<name>[_LATE]_<user
id>_<file id>_<file>``, anonymous ``[LATE_]anon_<id>_<file id>_<file>``; Moodle's downloader:
``<Full name>_<participant id>_assignsubmission_file/``, blind ``Participant_<id>_...``, teams with
no group ``Default group_assignsubmission_file/``) with the grading worksheets Moodle exports.
Kernels are the stand-in of ``test_grade_lms`` (scores from metadata), except in
``test_real_moodle_class_with_twins_and_days_late``, which grades real notebooks in the sandbox.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from course_utils.exercises import load
from course_utils.grading import gradebook, late, lms
from course_utils.grading import grade as grader
from test_grade_lms import COL1, COL2, EX01, EX02, MAX1, MAX2, STEMS, fake_kernels, notebook, put, read_csv, run  # noqa: F401

WORKSHEET = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
             "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def worksheet(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Moodle's "Download grading worksheet": (participant id, full name, email, submission time)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(WORKSHEET)
    for pid, name, email, when in rows:
        writer.writerow([f"Participant {pid}", name, email, "Submitted for grading", "", "12", "Yes", when, "", ""])
    return put(path, buffer.getvalue())


def twins_download(folder: Path) -> None:
    """Two students called John Smith, in two assignments (Moodle 4's folder names, no trailing _)."""
    put(folder / "ex01" / "John Smith_101_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(folder / "ex01" / "John Smith_102_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    put(folder / "ex02" / "John Smith_201_assignsubmission_file" / f"{EX02}.ipynb", notebook("ex02", {"q1": 1}))
    put(folder / "ex02" / "John Smith_202_assignsubmission_file" / f"{EX02}.ipynb", notebook("ex02", {"q1": 1, "q2": 1}))
    put(folder / "ex01" / "Ann Lee_103_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))


PARTICIPANTS = ("First name,Last name,ID number,Email address\nJohn,Smith,S1,john.smith@uni.example\n"
                "John,Smith,S2,jsmith2@uni.example\nAnn,Lee,S3,ann.lee@uni.example\n")


@pytest.mark.parametrize(
    "relpath, student, anonymous, late_",
    [
        (f"anon_q7Rz2_7000001_{EX01}.ipynb", "canvas-anon:q7Rz2", True, False),
        (f"LATE_anon_AB3de_7000002_{EX01}-1.ipynb", "canvas-anon:AB3de", True, True),
        (f"anon_12345_7000003_{EX01}.ipynb", "canvas-anon:12345", True, False),  # all digits: still not a user id
        (f"Participant_1234567_assignsubmission_file/{EX01}.ipynb", "moodle-blind:1234567", True, False),
        (f"Default group_assignsubmission_file/{EX01}.ipynb", "moodle-group:default group", True, False),
        (f"John Smith_101_assignsubmission_file/{EX01}.ipynb", "moodle:john smith", False, False),
        (f"smithjohn_LATE_123456_7891012_{EX02}.ipynb", "canvas:123456", False, True),
        # Red-team round 2: a Canvas student named "anon" is a person (L5); a Moodle student named
        # "Participant 77" is not the blind row of participant 77 (A4).
        (f"anon_LATE_123456_7891013_{EX01}.ipynb", "canvas:123456", False, True),
        (f"anon_4242_7891014_{EX01}.ipynb", "canvas:4242", False, False),
        (f"Participant 77_101_assignsubmission_file/{EX01}.ipynb", "moodle:participant 77", False, False),
    ],
)
def test_anonymous_blind_and_team_names(relpath, student, anonymous, late_):
    identity = lms.identify(relpath, STEMS)
    assert (identity.student, identity.anonymous, identity.late) == (student, anonymous, late_)


def test_moodle_twins_are_told_apart_by_the_worksheets_email(tmp_path, fake_kernels):
    twins_download(tmp_path / "subs")
    sheets = [worksheet(tmp_path / "ws1.csv", [("101", "John Smith", "john.smith@uni.example", ""),
                                               ("102", "John Smith", "jsmith2@uni.example", ""),
                                               ("103", "Ann Lee", "ann.lee@uni.example", "")]),
              worksheet(tmp_path / "ws2.csv", [("201", "John Smith", "jsmith2@uni.example", ""),
                                               ("202", "John Smith", "john.smith@uni.example", "")])]
    roster = put(tmp_path / "participants.csv", PARTICIPANTS)
    out = tmp_path / "out"
    summary = run(tmp_path / "subs", out, policy=gradebook.Policy(roster=str(roster), moodle_worksheets=tuple(map(str, sheets))))
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    first, second = "moodle:john smith <john.smith@uni.example>", "moodle:john smith <jsmith2@uni.example>"
    assert set(book) == {first, second, "moodle:ann lee"}  # no row without its roster person, no one missing
    assert (book[first][COL1], book[first][COL2]) == ("1", "2")  # 101 in ex01, 202 in ex02
    assert (book[second][COL1], book[second][COL2]) == ("3", "1")  # 102 in ex01, 201 in ex02
    assert all(r["missing_exercises"] == "" for r in (book[first], book[second]))
    warnings = summary["details"]["grader"]["warnings"]
    assert any("TWO PEOPLE NAMED 'John Smith'" in w and "emails of the grading worksheets" in w for w in warnings)
    sheet = read_csv(out / "moodle" / "ex01_grading_worksheet.csv")
    assert list(sheet[0]) == gradebook.MOODLE_COLUMNS
    assert [(r["Identifier"], r["Email address"], r["Grade"]) for r in sheet] == [
        ("Participant 103", "ann.lee@uni.example", "1"), ("Participant 101", "john.smith@uni.example", "1"),
        ("Participant 102", "jsmith2@uni.example", "3")]


def test_moodle_twins_without_worksheets_are_never_merged(tmp_path, fake_kernels):
    twins_download(tmp_path / "subs")
    roster = put(tmp_path / "participants.csv", PARTICIPANTS)
    out = tmp_path / "out"
    summary = run(tmp_path / "subs", out, policy=gradebook.Policy(roster=str(roster)))
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    by_id = {k: v for k, v in book.items() if " #" in k}
    assert set(by_id) == {f"moodle:john smith #{pid}" for pid in ("101", "102", "201", "202")}  # one row per folder
    assert [book[f"moodle:john smith #{pid}"][col] for pid, col in (("101", COL1), ("102", COL1), ("201", COL2), ("202", COL2))] \
        == ["1", "3", "1", "2"]
    # The roster's two John Smiths are matched to none of them: both are listed as missing, never guessed.
    assert book["moodle:john smith <john.smith@uni.example>"]["missing_exercises"] == "all (not in any download)"
    assert book["moodle:john smith <jsmith2@uni.example>"]["missing_exercises"] == "all (not in any download)"
    warnings = summary["details"]["grader"]["warnings"]
    assert any("TWO PEOPLE NAMED 'John Smith'" in w and "--moodle-worksheet" in w for w in warnings)
    # Only the roster knows there are two: one folder per assignment is still not taken for either of them.
    only = tmp_path / "only"
    put(only / "ex01" / "John Smith_101_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    summary = run(only, tmp_path / "out2", policy=gradebook.Policy(roster=str(roster)))
    assert summary["records"][0]["student"] == "moodle:john smith #101"
    assert any("twice in the roster" in w for w in summary["details"]["grader"]["warnings"])


def test_blind_marking_rows_and_revealed_identities(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / "Participant_1234567_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(subs / "Participant_1234568_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    out = tmp_path / "out"
    summary = run(subs, out)
    assert {r["student"] for r in summary["records"]} == {"moodle-blind:1234567", "moodle-blind:1234568"}
    assert any("blind-marking" in w and "Reveal student identities".lower() in w.lower() for w in summary["details"]["grader"]["warnings"])
    sheet = read_csv(out / "moodle" / "ex01_grading_worksheet.csv")  # Moodle maps its own participant ids
    assert [(r["Identifier"], r["Full name"], r["Grade"]) for r in sheet] == [
        ("Participant 1234567", "Participant 1234567", "1"), ("Participant 1234568", "Participant 1234568", "3")]
    revealed = worksheet(tmp_path / "ws.csv", [("1234567", "Ann Lee", "ann.lee@uni.example", ""),
                                                ("1234568", "Participant 1234568", "", "")])  # one still hidden
    summary = run(subs, tmp_path / "out2", policy=gradebook.Policy(moodle_worksheets=(str(revealed),)))
    assert {r["student"] for r in summary["records"]} == {"moodle:ann lee", "moodle-blind:1234568"}


def test_canvas_anonymous_grading_stays_out_of_the_import(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / f"anon_q7Rz2_7000001_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    put(subs / f"LATE_anon_12345_7000002_{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    put(subs / f"smithjohn_123456_7000003_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    out = tmp_path / "out"
    summary = run(subs, out, policy=gradebook.Policy(late_penalty=0.5))
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    assert set(book) == {"canvas-anon:q7Rz2", "canvas-anon:12345", "canvas:123456"}
    assert (book["canvas-anon:12345"][COL1], book["canvas-anon:12345"]["late"], book["canvas-anon:12345"]["lms_id"]) == ("1.5", "ex01", "")
    rows = list(csv.reader(io.StringIO((out / "canvas_import.csv").read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", load("ex01").title]
    assert [r[1] for r in rows[2:]] == ["123456"]  # the anonymous ones have no user id to import under
    assert zipfile.ZipFile(out / "feedback_canvas" / "ex01.zip").namelist() == ["smithjohn_123456_7000003_feedback_ex01.html"]
    assert any("2 Canvas anonymous-grading submission(s)" in w and "SpeedGrader" in w for w in summary["details"]["grader"]["warnings"])


def test_moodle_team_folder_of_students_in_no_group(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / "Default group_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    summary = run(subs, tmp_path / "out")
    assert summary["records"][0]["student"] == "moodle-group:default group"
    assert any("team submission" in w and "default group" in w for w in summary["details"]["grader"]["warnings"])


def test_late_per_day_from_moodle_worksheet_times(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    for pid, name in (("301", "Ann Lee"), ("302", "Bo Ng"), ("303", "Cy Ox"), ("304", "Di Po")):
        put(subs / f"{name}_{pid}_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2, "q3": 2}))
    sheet = worksheet(tmp_path / "ws.csv", [
        ("301", "Ann Lee", "a@x", "Tuesday, 4 March 2025, 11:59 PM"),  # on time (the deadline itself)
        ("302", "Bo Ng", "b@x", "Wednesday, 5 March 2025, 12:01 AM"),  # 2 minutes late: 1 day, as Canvas counts
        ("303", "Cy Ox", "c@x", "Friday, 7 March 2025, 10:00"),  # 3 days: capped
        ("304", "Di Po", "d@x", "")])  # no time: no penalty, and nothing said late
    out = tmp_path / "out"
    policy = gradebook.Policy(late_per_day=0.1, late_cap=0.25, deadlines=("ex01=2025-03-04T23:59",), moodle_worksheets=(str(sheet),))
    run(subs, out, policy=policy)
    book = {r["name"]: r for r in read_csv(out / "gradebook.csv")}
    maximum = load("ex01").max_points
    assert book["Ann Lee"][COL1] == "5" and book["Ann Lee"]["late"] == ""
    assert book["Bo Ng"][COL1] == f"{5 - 0.1 * maximum:g}" and book["Bo Ng"]["late"] == "ex01 (1 day)"
    assert book["Cy Ox"][COL1] == f"{5 - 0.25 * maximum:g}" and book["Cy Ox"]["late"] == "ex01 (3 days)"
    assert book["Di Po"][COL1] == "5" and book["Di Po"]["late"] == ""
    sheet_out = {r["Full name"]: r for r in read_csv(out / "moodle" / "ex01_grading_worksheet.csv")}
    assert "late 3 day(s)" in sheet_out["Cy Ox"]["Feedback comments"]


def test_late_per_day_from_canvas_times_and_the_flat_fallback(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / f"leeann_LATE_111_7000001_{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2, "q3": 2}))
    put(subs / f"ngbo_LATE_222_7000002_{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2, "q3": 2}))
    put(subs / f"oxcy_LATE_333_7000003_{EX02}.ipynb", notebook("ex02", {"q1": 1}))
    times = put(tmp_path / "times.csv", "user_id,exercise,seconds_late,submitted_at\n111,ex01,90000,\n333,ex02,,2025-03-06T10:00:00Z\n")
    out = tmp_path / "out"
    policy = gradebook.Policy(late_per_day=0.05, late_penalty=0.1, submission_times=str(times), deadlines=("ex02=2025-03-05T12:00+00:00",))
    summary = run(subs, out, policy=policy)
    book = {r["lms_id"]: r for r in read_csv(out / "gradebook.csv")}
    maximum1, maximum2 = load("ex01").max_points, load("ex02").max_points
    assert (book["111"][COL1], book["111"]["late"]) == (f"{5 - 2 * 0.05 * maximum1:g}", "ex01 (2 days)")  # 25 h: 2 days
    assert (book["222"][COL1], book["222"]["late"]) == ("4.5", "ex01")  # no time: the flat share of the score
    assert (book["333"][COL2], book["333"]["late"]) == (f"{max(0, 1 - 0.05 * maximum2):g}", "ex02 (1 day)")
    assert any("1 submission(s) the LMS marked late with no time" in w and "Late Submission policy" in w
               for w in summary["details"]["grader"]["warnings"])


def test_canvas_feedback_names_the_newest_file_and_points_are_checked(tmp_path, fake_kernels):
    subs = tmp_path / "subs"
    put(subs / f"smithjohn_123456_7000010_{EX01}.ipynb", notebook("ex01", {"q1": 1, "q2": 2}))
    put(subs / f"smithjohn_123456_7000020_{EX01}-1.ipynb", notebook("ex01", {"q1": 1}))
    template = put(tmp_path / "export.csv",
                   "Student,ID,SIS User ID,SIS Login ID,Section,01 Imbalance basics (4567),Current Points\n"
                   f"    Points Possible,,,,,{float(MAX1) + 2:g},(read only)\n\"Smith, John\",123456,S001,jsmith,A,,\n")
    out = tmp_path / "out"
    summary = run(subs, out, policy=gradebook.Policy(pick="best", canvas_template=str(template)))
    book = read_csv(out / "gradebook.csv")
    assert book[0][COL1] == "3" and book[0]["counted"].endswith(f"7000010_{EX01}.ipynb") and book[0]["other_submissions"] == "1"
    # Canvas re-upload attaches a file only to the current submission, by user id + the id of one of its files.
    assert zipfile.ZipFile(out / "feedback_canvas" / "ex01.zip").namelist() == ["smithjohn_123456_7000020_feedback_ex01.html"]
    warnings = summary["details"]["grader"]["warnings"]
    assert any(f"out of {float(MAX1) + 2:g} points but ex01 is out of {MAX1}" in w for w in warnings)
    assert any("not the student's newest file" in w for w in warnings)


def test_times_deadlines_and_the_command_line(tmp_path, capsys):
    assert late.parse_time("Tuesday, 4 March 2025, 11:59 PM") == late.parse_time("2025-03-04T23:59")
    assert late.parse_time("2025-03-04T23:59Z").utcoffset().total_seconds() == 0
    assert late.parse_time("next Tuesday") is None
    with pytest.raises(ValueError):
        late.read_times(put(tmp_path / "t.csv", "user_id,exercise,submitted_at\n1,ex01,yesterday\n"))
    assert grader.main([str(tmp_path), "--out", str(tmp_path / "o"), "--deadline", "ex01=soon"]) == 2
    assert "--deadline takes ex01=" in capsys.readouterr().err
    assert grader.main([str(tmp_path), "--out", str(tmp_path / "o"), "--late-per-day", "2"]) == 2
    bad = put(tmp_path / "ws.csv", "Full name,Email address\nA,b\n")
    assert grader.main([str(tmp_path), "--out", str(tmp_path / "o"), "--moodle-worksheet", str(bad)]) == 2
    assert "not a Moodle grading worksheet" in capsys.readouterr().err


def test_late_inputs_that_would_silently_drop_a_penalty(tmp_path, fake_kernels):
    """Red-team round 2, L1-L4: a worksheet time in another language, a non-finite seconds_late, a times file with
    both a student and an id column, and a due date without a time."""
    subs = tmp_path / "subs"
    put(subs / "Ann Lee_301_assignsubmission_file" / f"{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    sheet = worksheet(tmp_path / "ws.csv", [("301", "Ann Lee", "a@x", "mardi 4 mars 2025, 23:59")])
    policy = gradebook.Policy(late_per_day=0.1, deadlines=("ex01=2025-03-01",), moodle_worksheets=(str(sheet),))
    summary = run(subs, tmp_path / "out", policy=policy)
    assert any("LATE TIMES NOT READ: 1 Moodle worksheet time" in w and "mardi" in w
               for w in summary["details"]["grader"]["warnings"])
    for bad in ("nan", "inf", "1e400"):
        with pytest.raises(ValueError, match="finite"):
            late.read_times(put(tmp_path / "t.csv", f"user_id,exercise,seconds_late\n1,ex01,{bad}\n"))
    both = late.read_times(put(tmp_path / "b.csv", "student,Identifier,exercise,seconds_late\n"
                                                    "Ann Lee,Participant 301,ex01,3600\n"))
    assert list(both) == [("participant:301", "ex01")]  # the LMS's id, not the free-text name
    due = late.parse_deadlines(["ex01=2025-03-04"])["ex01"]
    assert (due.hour, due.minute) == (23, 59)  # a date alone is the end of that day, not its first minute


@pytest.mark.notebook
def test_real_moodle_class_with_twins_and_days_late(tmp_path):
    """Real notebooks in the sandbox: two John Smiths (one hands in the ex01 solution two days
    late, the other the blank exercise on time), told apart by the worksheet's emails."""
    solution = nbformat.read(ROOT / "solutions" / f"{EX01}.ipynb", as_version=4)
    solution.cells = [c for c in solution.cells if "solution" not in c.get("metadata", {}).get("tags", [])]
    solution.metadata["course"] = {"exercise": "ex01"}
    blank = nbformat.read(ROOT / "exercises" / f"{EX01}.ipynb", as_version=4)
    subs = tmp_path / "IMB101-Exercise 1-801"
    put(subs / "John Smith_501_assignsubmission_file" / f"{EX01}.ipynb", nbformat.writes(solution))
    put(subs / "John Smith_502_assignsubmission_file" / "my work.ipynb", nbformat.writes(blank))
    sheet = worksheet(tmp_path / "ws.csv", [("501", "John Smith", "john.smith@uni.example", "Thursday, 6 March 2025, 9:00 AM"),
                                            ("502", "John Smith", "jsmith2@uni.example", "Monday, 3 March 2025, 9:00 AM")])
    out = tmp_path / "out"
    policy = gradebook.Policy(late_per_day=0.1, deadlines=("ex01=2025-03-04T23:59",), moodle_worksheets=(str(sheet),),
                              roster=str(put(tmp_path / "p.csv", PARTICIPANTS)))
    summary = grader.grade(subs, out, seed=5, jobs=2, progress=False, policy=policy)
    assert {r["status"] for r in summary["records"]} == {"ok"}
    maximum = load("ex01").max_points
    book = {r["student"]: r for r in read_csv(out / "gradebook.csv")}
    late_one, blank_one = book["moodle:john smith <john.smith@uni.example>"], book["moodle:john smith <jsmith2@uni.example>"]
    assert (late_one[COL1], late_one["late"]) == (f"{maximum * 0.8:g}", "ex01 (2 days)")
    assert (blank_one[COL1], blank_one["late"]) == ("0", "")
    assert book["moodle:ann lee"]["missing_exercises"] == "all (not in any download)"
    names = sorted(zipfile.ZipFile(out / "feedback_moodle" / "ex01.zip").namelist())
    assert names == ["John Smith_501_assignsubmission_file_/feedback_ex01.html", "John Smith_502_assignsubmission_file_/feedback_ex01.html"]


def test_points_possible_with_a_decimal_comma_is_read(tmp_path, fake_kernels):
    """Red-team round 2: Canvas in a language with a decimal comma writes "12,0"; the mismatch warning must not
    be skipped because the number could not be read."""
    subs = tmp_path / "subs"
    put(subs / f"smithjohn_123456_7000010_{EX01}.ipynb", notebook("ex01", {"q1": 1}))
    template = put(tmp_path / "export.csv",
                   "Student,ID,SIS User ID,SIS Login ID,Section,01 Imbalance basics (4567)\n"
                   f"    Points Possible,,,,,\"{float(MAX1) + 2:g},0\"\n\"Smith, John\",123456,S001,jsmith,A,\n")
    summary = run(subs, tmp_path / "out", policy=gradebook.Policy(canvas_template=str(template)))
    assert any(f"but ex01 is out of {MAX1}" in w for w in summary["details"]["grader"]["warnings"])
