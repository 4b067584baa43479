"""How late a submission was: deadlines, submission times, and a penalty per day.

Private to the grader (:mod:`course_utils.grading.gradebook` applies it). What an LMS download
says about time, honestly:

* **Canvas**'s download marks a late submission (``_LATE`` in the file name) but not how late,
  and the gradebook export carries no submission times. The times exist only in Canvas itself
  (SpeedGrader, and the API's ``submitted_at`` / ``seconds_late``). Canvas's own *Late
  Submission policy* (Grades, Settings, Late Policies) deducts per day or hour from any grade
  entered for a late submission, imported ones included, and knows each student's due date and
  extensions: with Canvas, that is the place for a graduated penalty.
* **Moodle**'s download carries no times either, but its grading worksheet (one per
  assignment) has ``Last modified (submission)`` for each participant id, which the download's
  folder names carry: with ``--deadline`` that gives days late.
* A CSV of submission times (``--submission-times``) from anywhere, e.g. Canvas's API.
* File times in a download are the time the LMS wrote its zip, or the unpacking time: never used.

Days late are counted as Canvas counts them: every started day (24 hours) after the deadline
counts whole, so 1 minute late is 1 day. A per-day penalty takes that share of the exercise's
maximum per day, capped (``--late-cap``), and never leaves a score below 0.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from pathlib import Path

__all__ = ["parse_time", "parse_deadlines", "read_times", "days_late"]

#: Moodle writes dates in the teacher's language and format; these are its English defaults.
_MOODLE_FORMATS = ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%d %B %Y, %I:%M %p", "%d %B %Y, %H:%M")


def parse_time(text: str) -> datetime | None:
    """A point in time from ISO 8601 (``2025-03-04T23:59``, ``...Z``, ``...+01:00``) or Moodle's
    English worksheet format (``Tuesday, 4 March 2025, 11:59 PM``); None when it is neither.

    A time without a zone is taken in the local time zone of this machine (set ``TZ`` to the
    LMS's zone if they differ).
    """
    text = " ".join((text or "").split())
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
        for form in _MOODLE_FORMATS:
            try:
                moment = datetime.strptime(text, form)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.astimezone()


def parse_deadlines(items) -> dict[str, datetime]:
    """``{"ex01": deadline}`` from ``--deadline ex01=2025-03-04T23:59`` items.

    Raises
    ------
    ValueError
        An item that is not ``exNN=<time>``, or a time :func:`parse_time` cannot read.
    """
    deadlines = {}
    for item in items or ():
        match = re.fullmatch(r"\s*(ex\d\d)\s*=\s*(.+)", str(item))
        text = match.group(2).strip() if match else ""
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            text += "T23:59:59"  # a due date without a time: the end of that day, as LMSs default to
        moment = parse_time(text) if match else None
        if moment is None:
            raise ValueError(f"--deadline takes ex01=2025-03-04T23:59 (ISO 8601, optionally with +01:00), not {item!r}")
        deadlines[match.group(1)] = moment
    return deadlines


#: The LMS's ids first: they name one person; a ``student`` column is read only when no id column is given.
_ID_COLUMNS = {"ID": "canvas:", "user_id": "canvas:", "canvas_user_id": "canvas:", "Identifier": "participant:", "student": ""}


def read_times(path) -> dict[tuple[str, str], dict]:
    """Submission times from a CSV: ``{(who, exercise): {"submitted": datetime} or {"seconds_late": s}}``.

    Columns: who (``student`` as the gradebook spells it, ``ID``/``user_id`` a Canvas user id,
    or ``Identifier`` a Moodle ``Participant <id>``), ``exercise`` (``ex01``), and either
    ``submitted_at`` (a time) or ``seconds_late`` (Canvas's API field, which already knows each
    student's due date and extensions).

    Raises
    ------
    ValueError
        A missing column or an unreadable time, naming the row.
    """
    reader = csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig")))
    columns = reader.fieldnames or []
    who = next((c for c in _ID_COLUMNS if c in columns), None)
    if who is None or "exercise" not in columns or not ({"submitted_at", "seconds_late"} & set(columns)):
        raise ValueError(f"{path}: submission times need a 'student', 'ID' or 'Identifier' column, 'exercise', "
                         "and 'submitted_at' or 'seconds_late'")
    times = {}
    for number, row in enumerate(reader, start=2):
        ident = (row.get(who) or "").strip()
        if not ident:
            continue
        if who == "Identifier":
            ident = re.sub(r"\D", "", ident)
        key = (_ID_COLUMNS[who] + ident, (row.get("exercise") or "").strip())
        if (row.get("seconds_late") or "").strip():
            try:
                seconds = float(row["seconds_late"])
            except ValueError:
                seconds = math.nan
            if not math.isfinite(seconds):
                raise ValueError(f"{path}, row {number}: seconds_late {row['seconds_late']!r} is not a finite number")
            times[key] = {"seconds_late": seconds}
            continue
        moment = parse_time(row.get("submitted_at") or "")
        if moment is None:
            raise ValueError(f"{path}, row {number}: cannot read the time {row.get('submitted_at')!r}")
        times[key] = {"submitted": moment}
    return times


def days_late(identity: dict, exercise: str, deadlines: dict, times: dict, worksheet_times: dict) -> tuple[int | None, str]:
    """(days late, where the time came from) of one submission; days None when unknown.

    Sources, first found: ``times`` (a ``--submission-times`` CSV) by the gradebook's student key,
    Canvas user id or Moodle participant id; then Moodle's worksheet time of the participant id.
    A time needs the exercise's deadline; ``seconds_late`` does not.
    """
    keys = [(identity.get("student", ""), exercise)]
    if identity.get("layout") == "canvas" and identity.get("lms_id"):
        keys.append((f"canvas:{identity['lms_id']}", exercise))
    if identity.get("layout") == "moodle" and identity.get("lms_id"):
        keys.append((f"participant:{identity['lms_id']}", exercise))
    found, source = None, ""
    for key in keys:
        if key in times:
            found, source = times[key], "--submission-times"
            break
    if found is None and identity.get("layout") == "moodle" and identity.get("lms_id") in worksheet_times:
        moment = parse_time(worksheet_times[identity["lms_id"]])
        if moment is not None:
            found, source = {"submitted": moment}, "Moodle grading worksheet"
    if found is None:
        return None, ""
    if "seconds_late" in found:
        return max(0, math.ceil(found["seconds_late"] / 86400)), source
    deadline = deadlines.get(exercise)
    if deadline is None:
        return None, source
    seconds = (found["submitted"] - deadline).total_seconds()
    return max(0, math.ceil(seconds / 86400)), source
