"""From graded notebooks to what goes back to the LMS: one row per student, imports, feedback files.

Private to the grader (:mod:`course_utils.grading.grade`), which calls :func:`build` on the run's
records, then :func:`write` inside :func:`interrupts_deferred`, with its own atomic writer:

``gradebook.csv``
    One row per student (every roster student, graded or not), one column per exercise
    (``ex01 (max 11)``), the total, and what needs a look: late, solution shown, run status,
    which submission counted and how many others there were.
``canvas_import.csv``
    Canvas's gradebook import: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
    ``Section``, then one column per exercise. With ``--canvas-template`` (the gradebook Canvas
    exported), its rows, names, SIS ids, sections and assignment column names (``01 Imbalance
    basics (4567)``) are kept, so the import updates those assignments.
``moodle/<exercise>_grading_worksheet.csv``
    Moodle's offline grading worksheet, one per assignment (``Identifier`` = ``Participant <id>``
    from the download's folder names).
``feedback/.../*.html`` and ``feedback_moodle/<exercise>.zip``, ``feedback_canvas/<exercise>.zip``
    The feedback as HTML beside the Markdown, and zips named as the LMS's bulk feedback upload
    expects: Moodle's folders ``<Full name>_<participant id>_assignsubmission_file_/``, Canvas's
    file prefix ``<name>_<user id>_<submission id>_``.

The policy (:class:`Policy`) is applied here and only here: ``grades.csv`` and ``details.json``
keep every notebook's raw result, the gradebook says what counted.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import math
import os
import re
import signal
import threading
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from . import late, lms, report

__all__ = ["Policy", "Book", "build", "write", "interrupts_deferred", "pick_key", "question_key"]

PICKS = ("latest", "best")
#: Run statuses whose submission cannot count (it was not a gradable notebook of that exercise).
UNCOUNTABLE = {"invalid", "unknown-exercise", "not-graded"}


@dataclass
class Policy:
    """How the gradebook counts.

    Parameters
    ----------
    pick : {"latest", "best"}
        Which of a student's submissions of one exercise counts: the latest (by the LMS's
        submission id when the names carry one, else by file time) or the best-scoring.
    exclude : tuple of str
        Questions dropped from scores and maxima, as ``"ex01.q5"``.
    late_penalty : float
        Share of the score taken off a submission the LMS marked late (0.1 = 10 %), however late.
    late_per_day : float
        Share of the exercise's maximum taken off per started day late (0.1 = 10 % a day), when
        the days are known (see :mod:`course_utils.grading.late`); replaces ``late_penalty`` for
        those submissions.
    late_cap : float
        The most ``late_per_day`` can take, as a share of the maximum (0.5 = at most half).
    deadlines : tuple of str
        ``"ex01=2025-03-04T23:59"``: each exercise's deadline, for days late from submission times.
    submission_times : str or None
        Path of a CSV of submission times (:func:`course_utils.grading.late.read_times`).
    moodle_worksheets : tuple of str
        Paths of Moodle's grading worksheets: participant ids to emails (same-name students, blind
        marking revealed) and submission times.
    solution_viewed : {"flag", "zero"}
        A question whose solution the graded run showed: flagged only, or also scored 0.
    roster, canvas_template : str or None
        Paths of the class list and of Canvas's exported gradebook.
    """

    pick: str = "latest"
    exclude: tuple = ()
    late_penalty: float = 0.0
    solution_viewed: str = "flag"
    roster: str | None = None
    canvas_template: str | None = None
    late_per_day: float = 0.0
    late_cap: float = 1.0
    deadlines: tuple = ()
    submission_times: str | None = None
    moodle_worksheets: tuple = ()

    def __post_init__(self):
        if self.pick not in PICKS:
            raise ValueError(f"--pick must be latest or best, not {self.pick!r}")
        if self.solution_viewed not in ("flag", "zero"):
            raise ValueError(f"--solution-viewed must be flag or zero, not {self.solution_viewed!r}")
        if not (0.0 <= float(self.late_penalty) <= 1.0):
            raise ValueError(f"--late-penalty is a share between 0 and 1 (0.1 = 10 %), not {self.late_penalty}")
        for name, share in (("--late-per-day", self.late_per_day), ("--late-cap", self.late_cap)):
            if not (0.0 <= float(share) <= 1.0):
                raise ValueError(f"{name} is a share between 0 and 1 (0.1 = 10 %), not {share}")
        self.deadlines, self.moodle_worksheets = tuple(self.deadlines), tuple(self.moodle_worksheets)
        late.parse_deadlines(self.deadlines)  # a wrong deadline stops here, before any grading
        bad = [q for q in self.exclude if not re.fullmatch(r"ex\d\d\.q\d+", q)]
        if bad:
            raise ValueError(f"--exclude takes questions as ex01.q5, not {', '.join(bad)}")
        self.exclude = tuple(self.exclude)

    def to_dict(self) -> dict:
        return asdict(self)


def question_key(exercise: str, question: str) -> str:
    """The question's name of its own across exercises: ``ex01.q1``."""
    return f"{exercise}.{question}"


@dataclass
class Book:
    """The gradebook of one run (see :func:`build`)."""

    exercises: list[str]
    titles: dict[str, str]
    maxima: dict[str, float]
    rows: list[dict]
    counted: dict[tuple, dict]
    others: dict[tuple, list[dict]]
    missing: list[str]
    warnings: list[str]
    changes: list[dict]
    policy: Policy
    roster: lms.Roster | None = None
    template: lms.Roster | None = None
    question_stats: dict = field(default_factory=dict)

    def grade_of(self, record: dict) -> tuple[float, float]:
        """``(points, maximum)`` of one submission under this run's policy (exclusions, late penalties)."""
        points, maximum, _notes = score(record, self.policy)
        return points, maximum

    def scores(self, exercise: str) -> list[float]:
        """The counted scores of ``exercise``, under the policy."""
        return [score(r, self.policy)[0] for (_s, ex), r in sorted(self.counted.items()) if ex == exercise]

    def summary(self) -> list[str]:
        lines = [f"gradebook: {len(self.rows)} student(s), {len(self.exercises)} exercise(s)"
                 + (f", {len(self.missing)} on the roster with no submission" if self.roster else "")]
        extra = sum(len(v) for v in self.others.values())
        if extra:
            lines.append(f"{extra} other submission(s) not counted (pick {self.policy.pick}): listed in gradebook.csv")
        if self.changes:
            lines.append(f"{len(self.changes)} grade(s) changed since the last run: see report.html")
        return lines


def _resubmission(record: dict) -> int:
    match = lms.CANVAS_RESUBMISSION.search(record.get("identity", {}).get("lms_file", ""))
    return int(match.group(1)) if match else 0


def pick_key(record: dict) -> tuple:
    """Order of submissions in time: the LMS's submission id, then a ``-N`` resubmission, then file time."""
    identity = record.get("identity") or {}
    sub_id = identity.get("submission_id")
    return (sub_id if isinstance(sub_id, int) else -1, _resubmission(record), float(record.get("mtime") or 0.0), record["submission"])


def score(record: dict, policy: Policy) -> tuple[float, float, list[str]]:
    """(points, maximum, notes) of one submission under ``policy``."""
    points = maximum = 0.0
    notes = []
    viewed = set(record.get("solution_viewed") or [])
    for name, question in (record.get("questions") or {}).items():
        if question_key(record["exercise"], name) in policy.exclude:
            continue
        maximum += float(question.get("max_points") or 0.0)
        earned = float(question.get("points") or 0.0)
        if name in viewed and policy.solution_viewed == "zero" and earned:
            notes.append(f"{name} set to 0 (solution shown)")
            earned = 0.0
        points += earned
    days = (record.get("lateness") or {}).get("days")
    if policy.late_per_day and days:
        taken = min(points, maximum * min(policy.late_cap, policy.late_per_day * days))
        points -= taken
        notes.append(f"late {days} day(s): -{taken:g}")
    elif (record.get("identity") or {}).get("late") and policy.late_penalty and days is None:
        taken = points * policy.late_penalty
        points -= taken
        notes.append(f"late: -{taken:g}")
    return round(points, 6), round(maximum, 6), notes


def _lateness(records: list[dict], policy: Policy, worksheets: lms.Worksheets) -> list[str]:
    """Days late of every submission, where known (``record["lateness"]``); warnings."""
    deadlines = late.parse_deadlines(policy.deadlines)
    times = late.read_times(policy.submission_times) if policy.submission_times else {}
    # "-" is what Moodle writes for "No submission": no time, not an unreadable one (instructor rehearsal: a false
    # "LATE TIMES NOT READ").
    sheet_times = {pid: entry["submitted"] for pid, entry in worksheets.participants.items()
                   if entry["submitted"] and entry["submitted"] not in ("-", "\u2013", "\u2014")}
    # A time the worksheet gives but that cannot be read (another language or format) must not pass as "on time".
    unreadable = sorted(pid for pid, text in sheet_times.items() if late.parse_time(text) is None)
    unknown = 0
    for record in records:
        identity = record.get("identity") or {}
        days, source = late.days_late(identity, record["exercise"], deadlines, times, sheet_times)
        record["lateness"] = {"days": days, "source": source}
        unknown += bool(policy.late_per_day and identity.get("late") and days is None)
    warnings = []
    if unreadable and (policy.late_per_day or policy.late_penalty):
        example = worksheets.participants[unreadable[0]]["submitted"]
        warnings.append(f"LATE TIMES NOT READ: {len(unreadable)} Moodle worksheet time(s) could not be read (for example "
                        f"{example!r}), so those submissions take NO late penalty. The grader reads ISO 8601 and Moodle's "
                        "English format: download the worksheet with the site language set to English, or give the times "
                        "with --submission-times")
    if unknown:
        warnings.append(f"--late-per-day: {unknown} submission(s) the LMS marked late with no time to count days from (Canvas's "
                        "download and gradebook export carry none): " + (f"the flat --late-penalty {policy.late_penalty:g} applies"
                        if policy.late_penalty else "no penalty taken; they are listed under 'late'")
                        + ". With Canvas, prefer its own Late Submission policy (it knows the times)")
    if policy.late_per_day and not deadlines and not any("seconds_late" in t for t in times.values()):
        warnings.append("--late-per-day without --deadline: submission times cannot be turned into days late")
    return warnings


def _export_warnings(identified: list[dict], template: lms.Roster | None, maxima: dict, titles: dict,
                     counted: dict, others: dict) -> list[str]:
    """What the LMS exports cannot carry: anonymous Canvas rows, points that differ, old files."""
    warnings = []
    anonymous = sorted({r["student"] for r in identified if r["student"].startswith("canvas-anon:")})
    if anonymous:
        warnings.append(f"{len(anonymous)} Canvas anonymous-grading submission(s) (anon_<id> files) have no user id: they are in "
                        "gradebook.csv (canvas-anon:<id>, one row per assignment) but not in canvas_import.csv nor the feedback zips; "
                        "enter those grades in SpeedGrader (which shows the same anonymous ids), or post the grades, turn anonymous "
                        "grading off, download again and re-run")
    groups = sorted({r["student"] for r in identified if r["student"].startswith("moodle-group:")})
    if groups:
        warnings.append(f"Moodle team submission(s) of students in no group ({', '.join(g.split(':', 1)[1] for g in groups)}): one "
                        "row for all of them; grade them in Moodle by hand")
    if template is not None:
        mapping, lost = canvas_columns(sorted(maxima), titles, template.columns)
        warnings += lost
    if template is not None and template.points_row:
        for exercise in sorted(maxima):
            column = mapping[exercise]
            possible = (template.points_row.get(column) or "").strip() if column else ""
            try:  # a decimal comma where Canvas runs in a language that writes one ("10,0")
                differs = possible and not math.isclose(float(possible.replace(",", ".")), maxima[exercise])
            except ValueError:
                differs = bool(possible and possible != "(read only)")  # unreadable: say so rather than stay silent
            if differs:
                warnings.append(f"Canvas's '{column}' is out of {possible} points but {exercise} is out of {_num(maxima[exercise])}: "
                                f"set the assignment's points to {_num(maxima[exercise])} in Canvas before importing")
    stale = sum(1 for key, record in counted.items() if (record.get("identity") or {}).get("layout") == "canvas"
                and others.get(key) and max([record] + others[key], key=pick_key) is not record)
    if stale:
        warnings.append(f"{stale} counted Canvas submission(s) are not the student's newest file (--pick best): their feedback "
                        "is named after the newest file, the only one Canvas's re-upload attaches to")
    return warnings


def _moodle_maximum_warnings(counted: dict, worksheets: lms.Worksheets, maxima: dict) -> list[str]:
    """A Moodle assignment whose maximum grade differs from the exercise's (instructor rehearsal: a worksheet out of
    100 took the exercise's 10 points with no warning, as Canvas's points row does not)."""
    differs: dict[str, str] = {}
    for (_student, exercise), record in counted.items():
        identity = record.get("identity") or {}
        entry = worksheets.participants.get(str(identity.get("lms_id") or "")) if identity.get("layout") == "moodle" else None
        possible = (entry or {}).get("maximum") or ""
        try:
            if possible and exercise in maxima and not math.isclose(float(possible.replace(",", ".")), maxima[exercise]):
                differs.setdefault(exercise, possible)
        except ValueError:
            continue
    return [f"Moodle's worksheet for {exercise} is out of {possible} points but {exercise} is out of {_num(maxima[exercise])}: "
            f"set the assignment's maximum grade to {_num(maxima[exercise])} in Moodle before uploading the worksheet"
            for exercise, possible in sorted(differs.items())]


def _exercise_maximum(records: list[dict], exercise: str, policy: Policy) -> float:
    best = 0.0
    for record in records:
        if record.get("exercise") == exercise and record.get("questions"):
            best = max(best, score(record, policy)[1])
    return best


def build(records: list[dict], policy: Policy, titles: dict[str, str], previous: dict, layout: str = "auto") -> Book:
    """The gradebook: one counted submission per student and exercise, the roster, the changes."""
    roster = lms.read_roster(policy.roster) if policy.roster else None
    template = lms.read_roster(policy.canvas_template) if policy.canvas_template else None
    worksheets = lms.read_worksheets(policy.moodle_worksheets)
    exercises = sorted(titles)
    identified = [r for r in records if r.get("exercise") in titles]
    for record in records:  # the download's reading, before any re-keying of an earlier build
        record.setdefault("identity", {"student": record["student"], "name": record["student"], "layout": "folders"})
        record["student"] = record["identity"]["student"]
    clash_warnings = lms.resolve_name_clashes([r["identity"] for r in identified], [r["exercise"] for r in identified],
                                              roster, worksheets)
    for record in identified:
        record["student"] = record["identity"]["student"]
    warnings = clash_warnings + _lateness(identified, policy, worksheets) + lms.identity_warnings([r.get("identity") or {"student": r["student"], "name": r["student"], "layout": "folders"}
                                      for r in identified], [r["exercise"] for r in identified], roster, layout)
    groups: dict[tuple, list[dict]] = {}
    for record in identified:
        if record.get("status") not in UNCOUNTABLE:
            groups.setdefault((record["student"], record["exercise"]), []).append(record)
    counted, others = {}, {}
    for key, group in groups.items():
        if policy.pick == "best":
            ordered = sorted(group, key=lambda r: (score(r, policy)[0], pick_key(r)))
        else:
            ordered = sorted(group, key=pick_key)
        counted[key] = ordered[-1]
        if len(ordered) > 1:
            others[key] = ordered[:-1]
    maxima = {ex: _exercise_maximum(records, ex, policy) for ex in exercises}
    warnings += _export_warnings(identified, template, maxima, titles, counted, others)
    warnings += _moodle_maximum_warnings(counted, worksheets, maxima)
    people: dict[str, dict] = {}
    for record in records:
        identity = record.get("identity") or {}
        person = people.setdefault(record["student"], {"student": record["student"], "identity": identity})
        if identity.get("layout") == "canvas" or not person["identity"]:
            person["identity"] = identity
    missing = []
    if roster is not None:
        for key, row in roster.people.items():
            if key not in people:
                people[key] = {"student": key, "identity": {"student": key, "name": "", "layout": roster.kind}, "missing": True}
                missing.append(lms.roster_name(roster, people[key]["identity"]) or key)
    by_student: dict[str, list[dict]] = {}
    for record in records:
        by_student.setdefault(record["student"], []).append(record)
    known = {question_key(r["exercise"], q) for r in identified for q in (r.get("questions") or {})}
    unknown = [q for q in policy.exclude if q not in known]
    if unknown:
        warnings.append(f"--exclude {' '.join(unknown)}: no such question in the graded notebooks")
    rows = []
    for student in sorted(people, key=lambda s: (lms.roster_name(roster, people[s]["identity"]).casefold(), s)):
        person = people[student]
        identity = person["identity"]
        row = {"student": student, "name": lms.roster_name(roster, identity) or identity.get("name", student),
               "lms_id": student.split(":", 1)[1] if student.startswith("canvas:") else "",
               "scores": {}, "late": [], "solution_viewed": [], "attention": [], "counted": [], "others": 0,
               "missing": bool(person.get("missing"))}
        for exercise in exercises:
            record = counted.get((student, exercise))
            if record is None:
                continue
            points, _maximum, notes = score(record, policy)
            row["scores"][exercise] = points
            days = (record.get("lateness") or {}).get("days")
            if days:
                row["late"].append(f"{exercise} ({days} day{'s' if days > 1 else ''})")
            elif (record.get("identity") or {}).get("late"):
                row["late"].append(exercise)
            row["solution_viewed"] += [question_key(exercise, q) for q in record.get("solution_viewed") or []]
            if record.get("status") not in ("ok", None):
                row["attention"].append(f"{exercise}: {record['status']}")
            if record.get("given_code"):
                row["attention"].append(f"{exercise}: given code changed")
            questions = record.get("questions") or {}
            if questions and all((q or {}).get("status") == "not attempted" for q in questions.values()):
                # Instructor rehearsal: the untouched exercise notebook (a wrong upload?) was "ok", 0 points, unflagged.
                row["attention"].append(f"{exercise}: nothing attempted (the notebook as handed out? a wrong file?)")
            row["attention"] += [f"{exercise}: {n}" for n in notes if not n.startswith("late")]
            row["counted"].append(record["submission"])
            row["others"] += len(others.get((student, exercise), []))
        row["attention"] += [f"not graded: {r['submission']} ({r['status']})" for r in by_student.get(student, [])
                             if r.get("status") in UNCOUNTABLE]
        row["total"] = round(sum(row["scores"].values()), 6)
        rows.append(row)
    book = Book(exercises, titles, maxima, rows, counted, others, missing, warnings,
                grade_changes(counted, policy, previous), policy, roster, template)
    book.question_stats = question_stats(list(counted.values()), policy)
    return book


def snapshot(book: "Book") -> dict:
    """What the gradebook counted, per student and exercise, kept in ``details.json`` for the next run."""
    return {f"{student}\t{exercise}": {"score": score(record, book.policy)[0], "submission": record["submission"]}
            for (student, exercise), record in sorted(book.counted.items())}


def grade_changes(counted: dict[tuple, dict], policy: Policy, previous: dict) -> list[dict]:
    """Grades (student, exercise) that differ from the last complete run, and why.

    Why: another submission counts now (a new upload, or ``--pick``), or the counted submission
    was regraded because the submission, the seed or the checker code changed, or the policy
    (``--exclude``, ``--late-penalty``, ``--solution-viewed``) changed.
    """
    grader = previous.get("grader") if isinstance(previous.get("grader"), dict) else {}
    before = grader.get("gradebook") if isinstance(grader.get("gradebook"), dict) else {}
    records = previous.get("submissions") if isinstance(previous.get("submissions"), dict) else {}
    if not before:
        return []
    changes = []
    keys = {tuple(k.split("\t", 1)) for k in before if "\t" in k} | set(counted)
    for student, exercise in sorted(keys):
        old = before.get(f"{student}\t{exercise}") or {}
        record = counted.get((student, exercise))
        after = score(record, policy)[0] if record else None
        if record is not None and old.get("score") is not None and math.isclose(after, float(old["score"])):
            continue
        if record is None:
            why = "no submission counts now (removed from the download?)"
        elif not old:
            why = "first submission"
        elif old.get("submission") != record["submission"]:
            why = f"another submission counts now ({old.get('submission')} before)"
        else:
            prior = records.get(record["submission"]) or {}
            reasons = [what for key, what in (("sha256", "submission changed"), ("seed", "seed changed"),
                                              ("grader", "checker code changed")) if prior.get(key) != record.get(key)]
            if not reasons and math.isclose(float(prior.get("total") or 0.0), float(record.get("total") or 0.0)):
                reasons = ["policy changed (--exclude, --late-penalty, --late-per-day, --deadline, the times or --solution-viewed)"]
            why = ", ".join(reasons) or "regraded with the same submission, seed and checkers (a notebook that varies?)"
        changes.append({"student": student, "exercise": exercise, "before": old.get("score"), "after": after,
                        "submission": record["submission"] if record else old.get("submission", ""), "why": why})
    return changes


def _mistakes(value) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [item.strip() for part in value.split(";") for item in part.split("|") if item.strip()]


def question_stats(counted: list[dict], policy: Policy) -> dict:
    """Per question (``ex01.q2``): maximum, how many were graded, correct, and named mistakes counted."""
    stats: dict[str, dict] = {}
    for record in counted:
        for name, question in (record.get("questions") or {}).items():
            key = question_key(record["exercise"], name)
            if key in policy.exclude:
                continue
            entry = stats.setdefault(key, {"max_points": question.get("max_points"), "graded": 0, "correct": 0,
                                           "not_attempted": 0, "mistakes": {}})
            entry["graded"] += 1
            entry["correct"] += question.get("status") == "correct"
            entry["not_attempted"] += question.get("status") == "not attempted"
            for mistake in _mistakes(question.get("mistake")):
                entry["mistakes"][mistake] = entry["mistakes"].get(mistake, 0) + 1
    return dict(sorted(stats.items(), key=lambda kv: (kv[0].split(".")[0], int(kv[0].split(".q")[1]))))


# --------------------------------------------------------------------------- #
# Writing
# --------------------------------------------------------------------------- #


@contextlib.contextmanager
def interrupts_deferred():
    """Hold Ctrl-C until the block is done: a run's files are written all together or not at all.

    Each file is written to a temporary name and renamed; with SIGINT held over the whole set,
    ``grades.csv``, ``details.json`` and the gradebook always come from one run. Outside the main
    thread (signals cannot be handled there) the block just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *_: received.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _csv(rows: list[list], cell) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([cell(value) if value != "" else "" for value in row])
    return buffer.getvalue()


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and math.isfinite(value) else ""


def gradebook_rows(book: Book) -> list[list]:
    total_max = sum(book.maxima.values())
    header = ["student", "name", "lms_id"] + [f"{ex} (max {_num(book.maxima[ex])})" for ex in book.exercises] + [
        f"total (max {_num(total_max)})", "missing_exercises", "late", "solution_viewed", "attention", "counted", "other_submissions"]
    rows = [header]
    for row in book.rows:
        absent = [ex for ex in book.exercises if ex not in row["scores"]]
        rows.append([row["student"], row["name"], row["lms_id"]] + [_num(row["scores"].get(ex, "")) for ex in book.exercises] + [
            _num(row["total"]) if row["scores"] else "", "all (not in any download)" if row["missing"] else " ".join(absent), " ".join(row["late"]),
            " ".join(row["solution_viewed"]), "; ".join(row["attention"]), " | ".join(row["counted"]), str(row["others"])])
    return rows


_CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _column_words(text: str) -> str:
    return " ".join(re.sub(r"[\s_\-–—:.,()]+", " ", text.casefold()).split())


def _canvas_candidates(exercise: str, title: str, columns: list[str]) -> list[str]:
    """Template columns that name ``exercise``: by its title, its hand-out stem, or its id with (part of) its topic."""
    number = int(exercise[2:])
    topic = _column_words(re.sub(r"(?i)^exercise\s*\d+\s*[-–—:]?\s*", "", title))
    ids = {f"ex{number:02d}", f"ex {number:02d}", f"ex{number}", f"ex {number}", f"exercise {number:02d}", f"exercise {number}",
           f"{number:02d}", f"{number}"}
    found = []
    for column in columns:
        if column in _CANVAS_FIXED:
            continue
        name = _column_words(re.sub(r"\s*\(\d+\)\s*$", "", column))
        if not name:
            continue
        if name in ids or name == _column_words(title) or name == topic:
            found.append(column)
            continue
        head = next((i for i in sorted(ids, key=len, reverse=True) if name.startswith(i + " ")), None)
        rest = name[len(head) + 1:] if head else ""
        if head and topic and (topic.startswith(rest) or rest.startswith(topic)):  # "01 Imbalance basics", "Exercise 02 - misleading"
            found.append(column)
    return found


def _canvas_column(exercise: str, title: str, columns: list[str]) -> str | None:
    """The template's one assignment column for ``exercise`` (see :func:`canvas_columns`), else None."""
    found = _canvas_candidates(exercise, title, columns)
    return found[0] if len(found) == 1 else None


def canvas_columns(exercises: list[str], titles: dict[str, str], columns: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """Map each exercise to its Canvas assignment column honestly, or to none, and say why.

    A column is the exercise's when its name (less Canvas's ``(id)``) is the exercise's title,
    its topic (``Imbalance basics``), its id (``ex01``, ``Exercise 1``, ``01``), or its id followed by
    the start of its topic (``01 Imbalance basics``, ``Exercise 02 - misleading accuracy``). A number
    alone inside another name (``1st Midterm``, ``Lab 1 pre-quiz``) never matches.

    Parameters
    ----------
    exercises : list of str
        The graded exercises (``ex01``, ...).
    titles : dict
        Exercise key to its title.
    columns : list of str
        The template's header.

    Returns
    -------
    mapping : dict
        Exercise to its column, or None when no column, or more than one, names it (or when one
        column names two exercises): that exercise is left out of the import.
    warnings : list of str
        One loud line per exercise left out.
    """
    found = {ex: _canvas_candidates(ex, titles[ex], columns) for ex in exercises}
    claimed: dict[str, list[str]] = {}
    for ex, candidates in found.items():
        for column in candidates:
            claimed.setdefault(column, []).append(ex)
    mapping, warnings = {}, []
    for ex in exercises:
        candidates = found[ex]
        if len(candidates) == 1 and len(claimed[candidates[0]]) == 1:
            mapping[ex] = candidates[0]
            continue
        mapping[ex] = None
        if not candidates:
            why = "no column of the --canvas-template is named after it"
        elif len(candidates) > 1:
            why = f"several columns could be it ({', '.join(repr(c) for c in candidates)})"
        else:
            why = f"the column {candidates[0]!r} names {' and '.join(claimed[candidates[0]])}"
        warnings.append(f"CANVAS IMPORT: {ex} ({titles[ex]}) is NOT in canvas_import.csv: {why}. Name its Canvas assignment "
                        f"{titles[ex]!r} or '{ex}' (or '{ex[2:]} <topic>'), export the gradebook again and re-run")
    return mapping, warnings


def canvas_rows(book: Book) -> list[list] | None:
    """Canvas's import CSV, or None when nothing was read from Canvas and there is no template."""
    template = book.template
    canvas_people = [r for r in book.rows if r["student"].startswith("canvas:")]
    if template is None and not canvas_people:
        return None
    fixed = [c for c in _CANVAS_FIXED if template is None or c in template.columns] or ["Student", "ID"]
    if template is not None:  # only exercises with one honest column: never another assignment's
        mapping = canvas_columns(book.exercises, book.titles, template.columns)[0]
        exercises = [ex for ex in book.exercises if mapping[ex]]
        columns = {ex: mapping[ex] for ex in exercises}
    else:
        exercises = list(book.exercises)
        columns = {ex: book.titles[ex] for ex in exercises}
    header = fixed + [columns[ex] for ex in exercises]
    points = ["Points Possible"] + [""] * (len(fixed) - 1) + [_num(book.maxima[ex]) for ex in exercises]
    by_student = {r["student"]: r for r in book.rows}
    rows, done = [header, points], set()
    for source in (template.rows if template else []):
        key = f"canvas:{(source.get('ID') or '').strip()}"
        row = by_student.get(key)
        done.add(key)
        rows.append([source.get(c, "") for c in fixed] + [_num(row["scores"].get(ex, "")) if row else "" for ex in exercises])
    for row in canvas_people:
        if row["student"] not in done:
            rows.append([{"Student": row["name"], "ID": row["lms_id"]}.get(c, "") for c in fixed]
                        + [_num(row["scores"].get(ex, "")) for ex in exercises])
    return rows


MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
                  "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def moodle_rows(book: Book, exercise: str) -> list[list] | None:
    """Moodle's grading worksheet for one assignment, or None when nothing came from Moodle."""
    rows = [MOODLE_COLUMNS]
    for (student, ex), record in sorted(book.counted.items()):
        identity = record.get("identity") or {}
        if ex != exercise or identity.get("layout") != "moodle" or not identity.get("lms_id"):
            continue  # no participant id (a name read two ways, a group in no group): no row Moodle could match
        points, maximum, notes = score(record, book.policy)
        email = identity.get("email", "")
        if not email and book.roster is not None and student in book.roster.people:
            email = book.roster.people[student].get("Email address", "")
        comment = f"{_num(points)} / {_num(maximum)}" + (f" ({'; '.join(notes)})" if notes else "") + "; see the feedback file"
        rows.append([f"Participant {identity.get('lms_id', '')}", identity.get("name", ""), email, "", _num(points),
                     _num(maximum), "Yes", "", "", comment])
    return rows if len(rows) > 1 else None


def feedback_html(markdown_text: str, title: str) -> str:
    """A self-contained HTML page of a Markdown feedback file written by the grader.

    The grader's Markdown holds no raw HTML (every name and message is escaped), so it is shown
    here line by line: headings, bullet points, the question table and paragraphs, all escaped again.
    """
    body, table = [], []

    def flush():
        if table:
            head, *rest = table
            body.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>"
                        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rest) + "</table>")
            table.clear()

    for line in markdown_text.splitlines():
        text = html.escape(html.unescape(re.sub(r"\\(.)", r"\1", line)))
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
        if line.startswith("|"):
            if not re.fullmatch(r"\|(-+\|)+", line.replace(" ", "")):
                table.append([c.strip() for c in text.strip("|").split("|")])
            continue
        flush()
        if line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.lstrip().startswith("- "):
            body.append(f"<p class='item'>&bull; {text.lstrip()[2:]}</p>")
        elif text.strip():
            body.append(f"<p>{text}</p>")
    flush()
    style = ("body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#1a1a1a}table{border-collapse:collapse}"
             "td,th{border:1px solid #999;padding:2px 8px}p.item{margin:0.2em 0 0.2em 1em}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style>"
            f"</head><body>{''.join(body)}</body></html>\n")


def _zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same bytes for the same feedback
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # UTF-8 names (Moodle's folders hold the students' names)
            archive.writestr(info, text)
    return buffer.getvalue()


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _safe_part(text: str) -> str:
    """A zip member name part: no separators, no control characters, no ``..``."""
    cleaned = "".join(ch for ch in text if ch.isprintable() and ch not in "/\\")
    return cleaned.strip(". ") or "unnamed"


def write(out: Path, book: Book, records: list[dict], save, cell) -> dict[str, str]:
    """Write the gradebook, the LMS imports and the HTML feedback into ``out``; return what was written.

    ``save(path, text)`` writes one file atomically; ``cell(text)`` makes a CSV field safe from
    spreadsheet formulas (both the grader's own, so that every file follows one rule).
    """
    written = {"gradebook": "gradebook.csv"}
    save(out / "gradebook.csv", _csv(gradebook_rows(book), cell))
    canvas = canvas_rows(book)
    if canvas is not None:
        save(out / "canvas_import.csv", _csv(canvas, cell))
        written["canvas"] = "canvas_import.csv"
    for stale in (out / "moodle").glob("*_grading_worksheet.csv") if (out / "moodle").is_dir() else ():
        stale.unlink()
    for exercise in book.exercises:
        rows = moodle_rows(book, exercise)
        if rows is not None:
            save(out / "moodle" / f"{exercise}_grading_worksheet.csv", _csv(rows, cell))
            written[f"moodle {exercise}"] = f"moodle/{exercise}_grading_worksheet.csv"
    pages = {}
    counted = {id(r) for r in book.counted.values()}
    for record in records:
        if record.get("feedback"):
            path = out / record["feedback"]
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue
            if id(record) in counted:
                # Instructor rehearsal: the page uploaded through the LMS said "9 / 13" while the import said 5.4 / 10
                # (a question excluded, a late penalty): the page now says the grade sent, and why it differs.
                points, maximum, notes = score(record, book.policy)
                if not (math.isclose(points, record.get("total") or 0.0) and math.isclose(maximum, record.get("max_total") or 0.0)):
                    line = f"- Grade in the gradebook: **{_num(points)} / {_num(maximum)}**" + (f" ({'; '.join(notes)})" if notes else "")
                    text = re.sub(r"^(- Score: .*)$", lambda m: m.group(1) + "\n" + line, text, count=1, flags=re.M)
            page = feedback_html(text, book.titles.get(record.get("exercise"), "Feedback"))
            record["feedback_html"] = str(PurePosixPath(record["feedback"]).with_suffix(".html"))
            save(out / record["feedback_html"], page)
            pages[record["submission"]] = page
    for kind in ("moodle", "canvas"):
        for exercise in book.exercises:
            files = {}
            for (student, ex), record in book.counted.items():
                identity = record.get("identity") or {}
                if ex != exercise or identity.get("layout") != kind or record["submission"] not in pages:
                    continue
                if kind == "moodle":
                    name = f"{_safe_part(identity['lms_folder'])}/feedback_{exercise}.html"
                elif identity.get("anonymous") or not identity.get("lms_id"):
                    continue  # Canvas's re-upload finds the student by the user id in the name: none here
                else:
                    # Canvas attaches a re-uploaded file only to the student's current submission, found by the
                    # user id and the id of one of its files: the newest upload, whichever submission counted.
                    newest = max([record] + book.others.get((student, ex), []), key=pick_key)["identity"]
                    name = _safe_part(f"{identity['name']}_{identity['lms_id']}_{newest['submission_id']}_feedback_{exercise}.html")
                files[name] = pages[record["submission"]]
            target = out / f"feedback_{kind}" / f"{exercise}.zip"
            if files:
                _write_bytes(target, _zip_bytes(files))
                written[f"feedback {kind} {exercise}"] = f"feedback_{kind}/{exercise}.zip"
            elif target.exists():
                target.unlink()
    save(out / "report.html", report.render(book, records))
    written["report"] = "report.html"
    return written
