"""Who handed in what: LMS download layouts, safe unzipping, and the class roster.

Private to the grader (:mod:`course_utils.grading.grade`). Three layouts are recognised, from the
path of each notebook under the submissions folder:

``canvas``
    Canvas's "Download submissions" names every file
    ``<name>[_LATE]_<user id>_<submission id>_<original name>``, e.g.
    ``smithjohn_123456_7891011_01_imbalance_basics.ipynb``; a resubmission gets ``-1``, ``-2`` at
    the end of the original name. The person is the **user id** (the first number); the second
    number grows with each upload, so it orders resubmissions; ``LATE`` marks a late one.
``moodle``
    Moodle's "Download all submissions" makes one folder per participant,
    ``<Full Name>_<participant id>_assignsubmission_file_/`` (or, without folders, files named
    ``<Full Name>_<participant id>_assignsubmission_file_<file name>``). The participant id differs
    from one assignment to the next, so the person is the **full name**.
``folders``
    One folder per student (``alice/...``), or files directly in the folder
    (``alice_01_imbalance_basics.ipynb``): the grader's original rule.

Anonymous (blind) downloads carry no person: Canvas's anonymous grading names files
``[LATE_]anon_<anonymous id>_<file id>_<name>`` (the anonymous id is one submission's, so it
differs between assignments), Moodle's blind marking names folders
``Participant_<participant id>_assignsubmission_file``. Each becomes a row of its own
(``canvas-anon:<id>``, ``moodle:participant <id>``), never joined to a person by guess;
:func:`identity_warnings` says how to map them back. A Moodle team submission of students in no
group (``Default group_assignsubmission_file``) is one row for the whole "group".

Two Moodle students with the same full name are told apart, never merged: by their email when a
grading worksheet (:func:`read_worksheets`) or the roster gives it, else by participant id
(see :func:`resolve_name_clashes`).

``auto`` (the default) reads each path as Canvas if its file name has the Canvas shape, as
Moodle if a folder has the Moodle shape, and as folders otherwise. Folders named like an
exercise (``ex01/``, ``01_imbalance_basics/``, ``Assignment 1/``) are never taken for a student:
instructors often download one assignment per folder.

Zip files (the LMS's bulk zip, or a zip a student handed in) are unpacked by :func:`unpack`,
safely: no member may land outside its target folder, symbolic links and special files are
refused, and the total size and file count are capped.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

__all__ = ["Identity", "LAYOUTS", "identify", "unpack", "Roster", "read_roster", "identity_warnings",
           "Worksheets", "read_worksheets", "resolve_name_clashes"]

LAYOUTS = ("auto", "canvas", "moodle", "folders")

#: Caps on what one run unpacks from zips (a zip bomb stops at these, with a row saying so).
MAX_UNPACKED_BYTES = 2 * 2**30
MAX_UNPACKED_FILES = 20_000
#: Zips inside zips are unpacked to this depth (a bulk zip holding students' zips is depth 2).
MAX_ZIP_DEPTH = 3

CANVAS_FILE = re.compile(
    r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<original>.+)$"
)
#: Canvas with anonymous grading: no name, ``anon_<anonymous id>`` instead of the user id (5 letters/digits).
CANVAS_ANONYMOUS = re.compile(r"^(?P<late>LATE_)?anon_(?P<anon>[A-Za-z0-9]+)_(?P<submission>\d+)_(?P<original>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)(?=\.ipynb$)")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
#: Moodle without "Download submissions in folders": ``<Full Name>_<id>_assignsubmission_file_<file name>``.
MOODLE_FILE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_file_(?P<original>.+)$")
#: Moodle team submission of students in no group: no number at all.
MOODLE_NO_GROUP = re.compile(r"^(?P<name>[^_]+)_assignsubmission_file_?$")
#: The name Moodle's blind marking writes instead of a full name (English language pack).
MOODLE_BLIND_NAME = "participant"
#: A folder named like an exercise or an assignment, never a student.
EXERCISE_FOLDER = re.compile(
    r"(?i)^(ex(ercise)?[ _-]?\d{1,2}|\d{1,2}|(assignment|hw|homework|lab|week)[ _-]?\d{1,2}([ _-].*)?|submissions?|downloads?)$"
)


@dataclass
class Identity:
    """Who a submission belongs to, as the LMS download says.

    Attributes
    ----------
    student : str
        The stable key of the person: ``canvas:<user id>``, ``moodle:<full name>`` or the folder or
        file name (``folders``).
    name : str
        The name to show (Canvas: its ``lastfirst`` spelling until a roster gives the real one).
    layout : str
        ``canvas``, ``moodle`` or ``folders``.
    lms_id : str
        Canvas user id, or Moodle participant id of this assignment ('' for folders).
    submission_id : int or None
        Canvas submission id (grows with each upload), for ordering resubmissions.
    late : bool
        The LMS marked it late (Canvas ``_LATE``).
    lms_folder : str
        Moodle's folder name, to send feedback back in the same shape.
    lms_file : str
        The file name as the LMS named it (Canvas), to name feedback after it.
    anonymous : bool
        Canvas anonymous grading or Moodle blind marking: the id is not a person's.
    email : str
        The person's email, when a Moodle grading worksheet gives it for this participant id.
    """

    student: str
    name: str
    layout: str
    lms_id: str = ""
    submission_id: int | None = None
    late: bool = False
    lms_folder: str = ""
    lms_file: str = ""
    anonymous: bool = False
    email: str = ""

    def to_dict(self) -> dict:
        return dict(vars(self))


def _is_exercise_folder(part: str, stems: dict[str, str]) -> bool:
    stem = part[:-4] if part.lower().endswith(".zip") else part
    return bool(EXERCISE_FOLDER.match(stem)) or stem in stems


def _canvas(relpath: str) -> Identity | None:
    name = PurePosixPath(relpath).name
    match = CANVAS_ANONYMOUS.match(name)
    if match:
        return Identity(student=f"canvas-anon:{match['anon']}", name=f"anon_{match['anon']}", layout="canvas",
                        submission_id=int(match["submission"]), late=bool(match["late"]), lms_file=name, anonymous=True)
    match = CANVAS_FILE.match(name)
    if not match:
        return None
    return Identity(
        student=f"canvas:{match['user']}", name=match["name"], layout="canvas", lms_id=match["user"],
        submission_id=int(match["submission"]), late=bool(match["late"]), lms_file=name,
    )


def _moodle(relpath: str) -> Identity | None:
    for part in PurePosixPath(relpath).parts:
        part = part[:-4] if part.lower().endswith(".zip") else part
        match = MOODLE_FOLDER.match(part) or MOODLE_FILE.match(part)
        if match:
            full = " ".join(match["name"].split())
            folder = f"{match['name']}_{match['participant']}_assignsubmission_file_"
            if _person_key(full) == MOODLE_BLIND_NAME:
                return Identity(student=f"moodle:participant {match['participant']}", name=f"Participant {match['participant']}",
                                layout="moodle", lms_id=match["participant"], lms_folder=folder, anonymous=True)
            return Identity(student=f"moodle:{_person_key(full)}", name=full, layout="moodle",
                            lms_id=match["participant"], lms_folder=folder)
        match = MOODLE_NO_GROUP.match(part)
        if match:
            full = " ".join(match["name"].split())
            return Identity(student=f"moodle-group:{_person_key(full)}", name=full, layout="moodle",
                            lms_folder=f"{match['name']}_assignsubmission_file_", anonymous=True)
    return None


def _person_key(name: str) -> str:
    """One spelling per person: Unicode-normalised, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _folders(relpath: str, student_of_file) -> Identity:
    """The first folder that is not named like an exercise, else the file name less the exercise."""
    for part in PurePosixPath(relpath).parts[:-1]:
        if not _is_exercise_folder(part, student_of_file.stems):
            stem = part[:-4] if part.lower().endswith(".zip") else part
            return Identity(student=stem, name=stem, layout="folders")
    student = student_of_file(PurePosixPath(relpath).name)
    return Identity(student=student, name=student, layout="folders")


class _FileStudent:
    """The old rule for files directly in the folder: the file name less the exercise's name."""

    def __init__(self, stems: dict[str, str]):
        self.stems = stems

    def __call__(self, file_name: str) -> str:
        stem = PurePosixPath(file_name).stem
        student = stem
        for known in sorted(self.stems, key=len, reverse=True):
            if known in student:
                student = student.replace(known, " ")
                break
        else:
            student = re.sub(r"(?i)ex[ _-]?\d\d(?![0-9])", " ", student)
        student = re.sub(r"[\s_.-]+", " ", student).strip().replace(" ", "_")
        return student or stem


def identify(relpath: str, stems: dict[str, str], layout: str = "auto") -> Identity:
    """The :class:`Identity` of the submission at ``relpath`` (a POSIX path under the folder).

    ``layout`` forces one reading (``canvas``, ``moodle``, ``folders``); a path that does not fit
    the forced layout falls back to ``folders`` (and :func:`identity_warnings` says so).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"--lms must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    readers = {"canvas": (_canvas,), "moodle": (_moodle,), "folders": (), "auto": (_canvas, _moodle)}[layout]
    for reader in readers:
        found = reader(relpath)
        if found is not None:
            return found
    return _folders(relpath, _FileStudent(stems))


# --------------------------------------------------------------------------- #
# Zips
# --------------------------------------------------------------------------- #


@dataclass
class Unpacked:
    """What :func:`unpack` did: one line per zip, and the problems it refused."""

    zips: list[dict] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def _member_problem(info: zipfile.ZipInfo) -> str:
    name = info.filename
    mode = (info.external_attr >> 16) & 0xFFFF
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return "a path outside the folder (zip-slip, refused)"
    if stat.S_ISLNK(mode):
        return "a symbolic link (refused)"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a plain file (most tools)
        return "not a regular file (refused)"
    if info.flag_bits & 0x1:
        return "encrypted (skipped)"
    return ""


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; zips written on Windows without the UTF-8 flag use code page 437."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:  # zipfile decoded it as cp437; try UTF-8 (what most tools really wrote)
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def unpack(zip_path: Path, target: Path, label: str, report: Unpacked, depth: int = 1) -> None:
    """Unpack the zip at ``zip_path`` into the new folder ``target``, safely; add to ``report``.

    Only regular files and folders are written, each at a path checked to stay inside
    ``target``; links, devices, absolute or ``..`` paths and encrypted members are refused and
    listed. Writing stops at :data:`MAX_UNPACKED_BYTES` / :data:`MAX_UNPACKED_FILES` over the
    whole run, counting the bytes really written (a member's declared size can lie). Zips found
    inside are unpacked in turn, up to :data:`MAX_ZIP_DEPTH`. ``label`` is the zip's path as the
    gradebook shows it.
    """
    entry = {"zip": label, "notebooks": 0, "files": 0, "refused": []}
    report.zips.append(entry)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        entry["refused"].append(f"not a readable zip ({error})")
        return
    target.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(target)
    inner = []
    with archive:
        for info in archive.infolist():
            name = _member_name(info)
            problem = _member_problem(info)
            if problem:
                entry["refused"].append(f"{name}: {problem}")
                continue
            if info.is_dir() or PurePosixPath(name).name.startswith(".") or "__MACOSX" in PurePosixPath(name).parts:
                continue
            if report.files >= MAX_UNPACKED_FILES:
                entry["refused"].append(f"stopped: more than {MAX_UNPACKED_FILES} files unpacked in this run")
                break
            destination = os.path.realpath(os.path.join(root, *PurePosixPath(name).parts))
            if os.path.commonpath([root, destination]) != root:
                entry["refused"].append(f"{name}: a path outside the folder (zip-slip, refused)")
                continue
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            written = 0
            try:
                with archive.open(info) as source:
                    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                    with os.fdopen(fd, "wb") as sink:
                        while block := source.read(2**20):
                            written += len(block)
                            if report.bytes + written > MAX_UNPACKED_BYTES:
                                raise OverflowError
                            sink.write(block)
            except OverflowError:
                os.unlink(destination)
                entry["refused"].append(f"stopped: more than {MAX_UNPACKED_BYTES // 2**20} MB unpacked in this run (a zip bomb?)")
                break
            except FileExistsError:
                entry["refused"].append(f"{name}: twice in the zip (the first kept)")
                continue
            except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as error:
                entry["refused"].append(f"{name}: could not be read ({type(error).__name__})")
                continue
            try:  # the time the zip gives the file (the LMS's, not necessarily the upload's), for --pick latest
                stamp = datetime(*info.date_time).timestamp()
                os.utime(destination, (stamp, stamp))
            except (ValueError, OverflowError, OSError):
                pass
            report.files += 1
            report.bytes += written
            entry["files"] += 1
            entry["notebooks"] += name.endswith(".ipynb")
            if name.lower().endswith(".zip"):
                inner.append((Path(destination), name))
    for path, name in inner:
        if depth >= MAX_ZIP_DEPTH:
            entry["refused"].append(f"{name}: a zip nested deeper than {MAX_ZIP_DEPTH} levels (not unpacked)")
            continue
        folder = path.with_name(path.name + ".unpacked")
        unpack(path, folder, f"{label}/{name}", report, depth + 1)
        os.unlink(path)
        if folder.is_dir():
            folder.rename(path)  # its notebooks show as .../work.zip/<path in the zip>


# --------------------------------------------------------------------------- #
# Roster
# --------------------------------------------------------------------------- #


@dataclass
class Roster:
    """The class list, as exported from the LMS.

    ``people`` maps each person's key (``canvas:<id>`` or ``moodle:<full name>``, as
    :class:`Identity` spells them, or a plain name for folders) to its row; ``columns`` and
    ``rows`` keep the file as read (the Canvas import copies its first columns).
    """

    people: dict[str, dict]
    columns: list[str]
    rows: list[dict]
    kind: str
    points_row: dict | None = None


_ID_COLUMNS = ("ID", "Id", "id", "User ID", "user_id", "Canvas ID")
_NAME_COLUMNS = ("Student", "Full name", "Name", "name", "student")


def read_roster(path: str | os.PathLike) -> Roster:
    """Read a class list: Canvas's gradebook export, Moodle's worksheet or participants, or any CSV.

    Canvas (``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, ...; a
    ``Points Possible`` row is kept apart): people are ``canvas:<ID>``. Moodle (``Full name`` or
    ``First name`` + ``Last name``): people are ``moodle:<full name>``. Any other CSV needs a
    ``student`` or ``name`` column, matched against folder names.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    columns = [c for c in (reader.fieldnames or [])]
    rows, points_row = [], None
    for row in reader:
        first = (row.get(columns[0]) or "").strip() if columns else ""
        if first.startswith("Points Possible") or (first == "" and not any((v or "").strip() for k, v in row.items() if k in _ID_COLUMNS)):
            if first.startswith("Points Possible"):
                points_row = row
            continue
        if first.startswith("Student, Test"):  # Canvas's test student
            continue
        rows.append(row)
    id_column = next((c for c in _ID_COLUMNS if c in columns), None)
    people: dict[str, dict] = {}
    if "Student" in columns and id_column:
        kind = "canvas"
        for row in rows:
            if (row.get(id_column) or "").strip():
                people[f"canvas:{row[id_column].strip()}"] = row
    elif "Full name" in columns or {"First name", "Last name"} <= set(columns):
        kind = "moodle"
        by_name: dict[str, list[dict]] = {}
        for row in rows:
            full = row.get("Full name") or f"{row.get('First name', '')} {row.get('Last name', '')}"
            by_name.setdefault(_person_key(full), []).append(row)
        for name, same in by_name.items():
            if len(same) == 1:
                people[f"moodle:{name}"] = same[0]
                continue
            for row in same:  # two people of one name: never one key (see resolve_name_clashes)
                email = _person_key(row.get("Email address") or row.get("Email") or "")
                people[f"moodle:{name} <{email or 'no email, row ' + str(rows.index(row) + 2)}>"] = row
    else:
        kind = "folders"
        name_column = next((c for c in _NAME_COLUMNS if c in columns), None)
        if name_column is None:
            raise ValueError(f"{path}: a roster needs a 'Student' + 'ID' (Canvas), 'Full name' (Moodle) or 'student' column")
        for row in rows:
            people[(row.get(name_column) or "").strip()] = row
    people.pop("", None)
    return Roster(people, columns, rows, kind, points_row)


def roster_name(roster: Roster | None, identity: dict) -> str:
    """The name a roster gives a person (Canvas's ``Student`` column), else the LMS's."""
    row = roster.people.get(identity.get("student", "")) if roster else None
    if row:
        both = f"{row.get('First name') or ''} {row.get('Last name') or ''}".strip()
        return (row.get("Student") or row.get("Full name") or both or row.get("student") or row.get("name")
                or identity.get("name", "")).strip()
    return identity.get("name", identity.get("student", ""))


def identity_warnings(identities: list[dict], exercises: list[str], roster: Roster | None, layout: str) -> list[str]:
    """Loud warnings when the ids look wrong (one line each)."""
    warnings = []
    students = {i["student"] for i in identities}
    exerciseish = sorted(s for s in students if EXERCISE_FOLDER.match(s) or re.fullmatch(r"(?i)ex\d\d", s))
    if exerciseish:
        warnings.append(f"student(s) named like an exercise: {', '.join(exerciseish)}; is this one folder per assignment? "
                        "Use --lms canvas/moodle, or put one folder per student")
    if len(identities) > 2 and len(students) == 1:
        warnings.append(f"all {len(identities)} submissions belong to one student ({next(iter(students))}); check --lms and the folder layout")
    per_exercise: dict[tuple, int] = {}
    for i, exercise in zip(identities, exercises):
        per_exercise[(i["student"], exercise)] = per_exercise.get((i["student"], exercise), 0) + 1
    crowded = [k for k, n in per_exercise.items() if n > 5]
    if crowded:
        warnings.append(f"{len(crowded)} student(s) have more than 5 submissions of one exercise "
                        f"(e.g. {crowded[0][0]} for {crowded[0][1]}): are several people under one name?")
    if layout in ("canvas", "moodle"):
        wrong = sorted({i["student"] for i in identities if i["layout"] != layout})
        if wrong:
            warnings.append(f"--lms {layout}: {len(wrong)} submission name(s) do not look like a {layout} download and were "
                            f"read as folders ({', '.join(wrong[:5])})")
    names: dict[str, set] = {}
    for i in identities:
        if i["layout"] == "canvas":
            names.setdefault(i["name"], set()).add(i["lms_id"])
    twice = sorted(n for n, ids in names.items() if len(ids) > 1)
    if twice:
        warnings.append(f"Canvas name(s) with several user ids (two people of one name, or a wrong id?): {', '.join(twice)}")
    if roster is not None:
        unknown = sorted(s for s in students if s not in roster.people)
        if unknown:
            warnings.append(f"{len(unknown)} student(s) not in the roster: {', '.join(unknown[:8])}"
                            + (" ..." if len(unknown) > 8 else ""))
        layouts = {i["layout"] for i in identities}
        if roster.kind in ("canvas", "moodle") and layouts and roster.kind not in layouts:
            warnings.append(f"the roster is a {roster.kind} export but no submission was read as {roster.kind}")
    return warnings


# --------------------------------------------------------------------------- #
# Moodle grading worksheets, and two people of one name
# --------------------------------------------------------------------------- #


@dataclass
class Worksheets:
    """What Moodle's grading worksheets say about each participant id.

    Attributes
    ----------
    participants : dict
        ``participant id -> {"name", "email", "submitted", "file"}``: the full name, the email and
        the text of ``Last modified (submission)`` (the time the submission was last changed), and
        which worksheet said so. Moodle's participant ids are unique across a site's assignments.
    """

    participants: dict[str, dict] = field(default_factory=dict)


def read_worksheets(paths) -> Worksheets:
    """Read Moodle's "Download grading worksheet" files (one per assignment).

    Parameters
    ----------
    paths : iterable of str or path
        CSV files with Moodle's worksheet columns ``Identifier`` (``Participant 1234567``),
        ``Full name``, ``Email address`` and ``Last modified (submission)``.

    Returns
    -------
    Worksheets
        Every participant id with its name, email and submission time (as written).

    Raises
    ------
    ValueError
        A file without an ``Identifier`` column, or one participant id given two different people.
    """
    sheets = Worksheets()
    for path in paths:
        text = Path(path).read_text(encoding="utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        if "Identifier" not in (reader.fieldnames or []):
            raise ValueError(f"{path}: not a Moodle grading worksheet (no 'Identifier' column)")
        for row in reader:
            match = re.search(r"(\d+)\s*$", row.get("Identifier") or "")
            if not match:
                continue
            entry = {"name": " ".join((row.get("Full name") or "").split()), "email": (row.get("Email address") or "").strip(),
                     "submitted": (row.get("Last modified (submission)") or "").strip(), "file": str(path)}
            known = sheets.participants.get(match.group(1))
            if known and (known["name"], known["email"]) != (entry["name"], entry["email"]):
                raise ValueError(f"{path}: participant {match.group(1)} is {entry['name']} here but {known['name']} in {known['file']}")
            sheets.participants[match.group(1)] = entry
    return sheets


def resolve_name_clashes(identities: list[dict], exercises: list[str], roster: Roster | None,
                         worksheets: Worksheets | None) -> list[str]:
    """Keep two Moodle students of one full name apart; re-key ``identities`` in place; warn.

    Moodle's download names a person only by full name (the participant id changes with each
    assignment), so two people called John Smith would become one row. A name is a clash when one
    assignment has two participant ids under it, the roster has it twice, or the worksheets give
    it two emails. Each submission of a clashing name is then keyed by the person's email, from
    the grading worksheet of its assignment (``moodle:john smith <j.smith2@uni>``, the key the
    roster gives them too), else by its participant id alone (``moodle:john smith #12345``, one
    row per assignment: the warning says which worksheets to give). A blind-marking participant
    whose worksheet (after "Reveal student identities") names the person is keyed as that person.

    Returns
    -------
    list of str
        One loud warning per clashing name and one for blind participants left unmapped.
    """
    sheets = worksheets.participants if worksheets else {}
    warnings = []
    for identity in identities:  # emails from the worksheets; revealed blind participants
        entry = sheets.get(identity.get("lms_id", "")) if identity.get("layout") == "moodle" else None
        if entry:
            identity["email"] = entry["email"]
            if identity.get("anonymous") and entry["name"] and _person_key(entry["name"]) != MOODLE_BLIND_NAME \
                    and not _person_key(entry["name"]).startswith(MOODLE_BLIND_NAME + " "):
                identity.update(student=f"moodle:{_person_key(entry['name'])}", name=entry["name"], anonymous=False)
    clashes: dict[str, str] = {}
    ids: dict[tuple, set] = {}
    for identity, exercise in zip(identities, exercises):
        if identity.get("layout") == "moodle" and not identity.get("anonymous") and identity.get("lms_id"):
            ids.setdefault((identity["student"], exercise), set()).add(identity["lms_id"])
    for (student, exercise), found in ids.items():
        if len(found) > 1:
            clashes.setdefault(student, f"{len(found)} participant folders in {exercise}")
    if roster is not None:
        for key in roster.people:
            if key.startswith("moodle:") and key.endswith(">") and " <" in key:
                clashes.setdefault(key.split(" <", 1)[0], "twice in the roster")
    emails: dict[str, set] = {}
    for entry in sheets.values():
        if entry["email"] and _person_key(entry["name"]) != MOODLE_BLIND_NAME:
            emails.setdefault(f"moodle:{_person_key(entry['name'])}", set()).add(_person_key(entry["email"]))
    for student, found in emails.items():
        if len(found) > 1:
            clashes.setdefault(student, f"{len(found)} emails in the grading worksheets")
    for student, why in sorted(clashes.items()):
        mine = [i for i in identities if i.get("student") == student]
        unknown = 0
        for identity in mine:
            if identity.get("email"):
                identity["student"] = f"{student} <{_person_key(identity['email'])}>"
            else:
                identity["student"] = f"{student} #{identity.get('lms_id', '?')}"
                unknown += 1
        name = mine[0]["name"] if mine else student.split(":", 1)[1]
        warnings.append(
            f"TWO PEOPLE NAMED {name!r} ({why}): Moodle names a person only by full name, so they are kept apart "
            + ("by the emails of the grading worksheets" if not unknown else
               f"by participant id for {unknown} submission(s) (one row per assignment, not joined to the roster): "
               "give every assignment's grading worksheet (--moodle-worksheet) so they are told apart by email")
            + "; check their rows in gradebook.csv")
    blind = sorted({i["student"] for i in identities if i.get("anonymous") and i.get("student", "").startswith("moodle:participant ")})
    if blind:
        warnings.append(
            f"{len(blind)} Moodle blind-marking submission(s) (Participant_<id> folders) are rows of their own, one per "
            "assignment: the worksheet upload (Identifier 'Participant <id>') grades them in Moodle as they are; to join them "
            "to people here, reveal student identities in Moodle and give the downloaded grading worksheets (--moodle-worksheet)")
    return warnings
