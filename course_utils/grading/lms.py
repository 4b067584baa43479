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
(``canvas-anon:<id>``, ``moodle-blind:<id>``), never joined to a person by guess;
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
import dataclasses
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
           "Worksheets", "read_worksheets", "resolve_name_clashes", "lms_listings", "no_bidi"]

LAYOUTS = ("auto", "canvas", "moodle", "folders")

#: Caps on what one student's zip may unpack (a zip bomb stops there, with a row naming the zip): every byte
#: written counts, a member that fails its CRC included, and every folder created counts as a file.
MAX_UNPACKED_BYTES = 1 * 2**30
MAX_UNPACKED_FILES = 5_000
#: A generous ceiling over the whole run, and the free space always left on the disk of the temporary folder.
MAX_RUN_BYTES = 16 * 2**30
MAX_RUN_FILES = 500_000
MIN_FREE_BYTES = 512 * 2**20
#: Zips inside zips are unpacked to this depth (a bulk zip holding students' zips is depth 2).
MAX_ZIP_DEPTH = 3
#: Refusals listed per zip, and per person of a bulk download; the rest are only counted.
MAX_LISTED_REFUSALS = 200
MAX_LISTED_REFUSALS_PER_PERSON = 20
#: A member deeper than this many folders, or with a name part over 255 bytes, is refused.
MAX_MEMBER_DEPTH = 32
#: Notebooks graded per student and exercise (the newest); the others are listed, not graded.
MAX_NOTEBOOKS_PER_EXERCISE = 10

CANVAS_FILE = re.compile(
    r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<original>.+)$"
)
#: Canvas with anonymous grading: no name, ``anon_<anonymous id>`` instead of the user id (5 letters/digits).
#: Exactly five, never ``LATE``: a student whose Canvas name is "anon" (``anon_LATE_<user>_…``) is a person.
CANVAS_ANONYMOUS = re.compile(r"^(?P<late>LATE_)?anon_(?P<anon>(?!LATE_)[A-Za-z0-9]{5})_(?P<submission>\d+)_(?P<original>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)(?=\.ipynb$)")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
#: Moodle without "Download submissions in folders": ``<Full Name>_<id>_assignsubmission_file_<file name>``.
MOODLE_FILE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_file_(?P<original>.+)$")
MOODLE_FILE_MARK = re.compile(r"_\d+_assignsubmission_file_")
#: Moodle team submission of students in no group: no number at all.
MOODLE_NO_GROUP = re.compile(r"^(?P<name>[^_]+)_assignsubmission_file_?$")
#: The name Moodle's blind marking writes instead of a full name (English language pack).
MOODLE_BLIND_NAME = "participant"
#: A "student" that is a course notebook's name, a browser's copy suffix or a notebook file: a flat folder of
#: notebooks read as people (instructor rehearsal: "01_imbalance_basics", "(1)", "(2)" became three students, unwarned).
NOTEBOOK_NAMED = re.compile(r"(?i)^(\d{2}_[a-z0-9_]+( ?\(\d+\))?|\(\d+\)|.*\.ipynb)$")
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
    #: The ordinary folder (neither the top, an exercise folder nor a zip) an LMS name was read under, if any.
    under: str = ""
    email: str = ""

    def to_dict(self) -> dict:
        return dict(vars(self))


def _is_exercise_folder(part: str, stems: dict[str, str]) -> bool:
    stem = part[:-4] if part.lower().endswith(".zip") else part
    return bool(EXERCISE_FOLDER.match(stem)) or stem in stems


def _canvas_part(part: str) -> Identity | None:
    """The Canvas identity one path part (a file or a zip Canvas named) carries, if it has Canvas's shape."""
    match = CANVAS_ANONYMOUS.match(part)
    if match:
        return Identity(student=f"canvas-anon:{match['anon']}", name=f"anon_{match['anon']}", layout="canvas",
                        submission_id=int(match["submission"]), late=bool(match["late"]), lms_file=part, anonymous=True)
    match = CANVAS_FILE.match(part)
    if not match:
        return None
    return Identity(
        student=f"canvas:{match['user']}", name=match["name"], layout="canvas", lms_id=match["user"],
        submission_id=int(match["submission"]), late=bool(match["late"]), lms_file=part,
    )


def _canvas(relpath: str) -> Identity | None:
    """The Canvas identity of ``relpath``: its **outermost** Canvas-named part (see :func:`identify`)."""
    for part in PurePosixPath(relpath).parts:
        found = _canvas_part(part)
        if found is not None:
            return found
    return None


def _moodle_part(part: str) -> Identity | None:
    part = part[:-4] if part.lower().endswith(".zip") else part
    match = MOODLE_FOLDER.match(part)
    ambiguous = False
    if not match:
        match = MOODLE_FILE.match(part)
        # Without folders, the full name and the file name share one string: a name (or a file name) holding
        # "_<id>_assignsubmission_file_" makes two readings possible. Never guess the person then.
        ambiguous = bool(match) and len(MOODLE_FILE_MARK.findall(part)) > 1
    if match:
        full = " ".join(match["name"].split())
        folder = f"{match['name']}_{match['participant']}_assignsubmission_file_"
        if ambiguous:
            return Identity(student=f"moodle-unclear:{part}", name=part, layout="moodle", anonymous=True, lms_file=part)
        if _person_key(full) == MOODLE_BLIND_NAME:
            # A key of its own: a student who names themselves "Participant 123" stays moodle:participant 123.
            return Identity(student=f"moodle-blind:{match['participant']}", name=f"Participant {match['participant']}",
                            layout="moodle", lms_id=match["participant"], lms_folder=folder, anonymous=True)
        return Identity(student=f"moodle:{_person_key(full)}", name=full, layout="moodle",
                        lms_id=match["participant"], lms_folder=folder)
    match = MOODLE_NO_GROUP.match(part)
    if match:
        full = " ".join(match["name"].split())
        return Identity(student=f"moodle-group:{_person_key(full)}", name=full, layout="moodle",
                        lms_folder=f"{match['name']}_assignsubmission_file_", anonymous=True)
    return None


def _moodle(relpath: str) -> Identity | None:
    """The Moodle identity of ``relpath``: its outermost Moodle-named part."""
    for part in PurePosixPath(relpath).parts:
        found = _moodle_part(part)
        if found is not None:
            return found
    return None


def lms_listings(relpaths) -> set[str]:
    """Folders (``a/b`` prefixes, ``''`` for the top) that list two or more LMS people: an assignment's download.

    A Canvas-named file inside a folder is believed only when that folder is such a listing (or the
    top, or a folder named like an exercise): ``alice/hw_1_2_ex01.ipynb`` is Alice's file, not
    Canvas user 1's.

    Parameters
    ----------
    relpaths : iterable of str
        Every submission path of the run (POSIX, relative to the submissions folder).

    Returns
    -------
    set of str
        The prefixes under which Canvas or Moodle names of at least two distinct people appear.
    """
    people: dict[str, set] = {}
    for relpath in relpaths:
        parts = PurePosixPath(relpath).parts
        for k, part in enumerate(parts):
            found = _canvas_part(part) or _moodle_part(part)
            if found is not None:
                people.setdefault("/".join(parts[:k]), set()).add(found.student)
                break
    return {prefix for prefix, who in people.items() if len(who) > 1}


def _unescape_format(match: re.Match) -> str:
    char = chr(int(match.group(1), 16))
    return "" if unicodedata.category(char) == "Cf" else match.group(0)


_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def no_bidi(text: str) -> str:
    """``text`` with its bidirectional controls (RLO, LRI, RLM, ...) shown as ``\\u202e`` escapes.

    A right-to-left override in a name would make a spreadsheet, a browser or a terminal show
    the text after it reversed (``exe.ipynb`` for ``bnyp i.exe``); an escape shows what is there.

    Parameters
    ----------
    text : str
        Any text bound for the gradebook, the report or the terminal.

    Returns
    -------
    str
    """
    return _BIDI.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _person_key(name: str) -> str:
    """One spelling per person: NFKC-normalised, case-folded, single spaces, no invisible characters.

    Format characters (category Cf: zero-width joiners and non-joiners, soft hyphens, bidi marks) are
    dropped, also when a printed path spells them as ``\\u200c``; letters are never dropped, so two
    distinct names never share a key.
    """
    name = re.sub(r"\\u([0-9a-fA-F]{4})", _unescape_format, name)
    name = "".join(ch for ch in unicodedata.normalize("NFKC", name) if unicodedata.category(ch) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", name.casefold()).split())


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


def _top_listing(ancestors: tuple, stems: dict[str, str]) -> bool:
    """The top of the download: no folder, folders named like an exercise, or a zip there (an LMS's bulk zip)."""
    if ancestors and ancestors[-1].lower().endswith(".zip"):
        ancestors = ancestors[:-1]
    return all(_is_exercise_folder(a, stems) for a in ancestors)


def identify(relpath: str, stems: dict[str, str], layout: str = "auto", listings: set[str] | None = None) -> Identity:
    """The :class:`Identity` of the submission at ``relpath`` (a POSIX path under the folder).

    The **outermost** part of the path the LMS named carries the identity: a notebook inside
    ``smithjohn_LATE_123456_7891020_work.zip`` (or inside a Moodle participant's folder) is that
    student's, late if the zip is, whatever the notebook inside is called; names inside a
    student's zip or folder never carry identity. With ``auto``, a Canvas-named part counts only
    at the top, below folders named like an exercise, or in a folder that :func:`lms_listings`
    found listing several people, or in a zip at the top (an LMS's bulk zip); a Moodle-named part counts
    anywhere (it names a folder).

    Parameters
    ----------
    relpath : str
        The submission's path under the submissions folder (POSIX).
    stems : dict
        Handed-out notebook stems to exercise keys (``01_imbalance_basics -> ex01``).
    layout : str
        ``auto``, or a forced reading (``canvas``, ``moodle``, ``folders``); a path that does not
        fit the forced layout falls back to ``folders`` (and :func:`identity_warnings` says so).
    listings : set of str, optional
        The run's :func:`lms_listings`; without it only the top and exercise folders are listings.

    Returns
    -------
    Identity
    """
    if layout not in LAYOUTS:
        raise ValueError(f"--lms must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if layout != "folders":
        parts = PurePosixPath(relpath).parts
        for k, part in enumerate(parts):
            # Red-team 7: LMS names under a student's own folder ("eve/Alice_7_assignsubmission_file_/",
            # "eve/x/doejane_223456_...") made other people's rows; such readings are kept, and warned about.
            under = "" if _top_listing(parts[:k], stems) else "/".join(parts[:k])
            if layout in ("auto", "moodle"):
                found = _moodle_part(part)
                if found is not None:
                    return dataclasses.replace(found, under=under)
            if layout in ("auto", "canvas"):
                found = _canvas_part(part)
                if found is not None and (layout == "canvas" or "/".join(parts[:k]) in (listings or set())
                                          or _top_listing(parts[:k], stems)):
                    return dataclasses.replace(found, under=under)
    return _folders(relpath, _FileStudent(stems))


# --------------------------------------------------------------------------- #
# Zips
# --------------------------------------------------------------------------- #


@dataclass
class Unpacked:
    """What :func:`unpack` did: one entry per zip, the problems it refused, and the run's totals."""

    zips: list[dict] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    #: One budget per person across all their zips (``owner`` of :func:`unpack`).
    people: dict = field(default_factory=dict)


@dataclass
class _Budget:
    """What one student's zip (with the zips inside it) may still write."""

    files: int = 0
    bytes: int = 0


class _Stop(Exception):
    """Unpacking this zip must stop: the reason is the message."""


def _member_problem(info: zipfile.ZipInfo, name: str) -> str:
    mode = (info.external_attr >> 16) & 0xFFFF
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return "a path outside the folder (zip-slip, refused)"
    if stat.S_ISLNK(mode):
        return "a symbolic link (refused)"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a plain file (most tools)
        return "not a regular file (refused)"
    if info.flag_bits & 0x1:
        return "encrypted (skipped)"
    if len(path.parts) > MAX_MEMBER_DEPTH:
        return f"more than {MAX_MEMBER_DEPTH} folders deep (refused)"
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in path.parts):
        return "a name part longer than 255 bytes (refused)"
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


def _owner(name: str) -> str:
    """Whose budget a member of a listing (a bulk download) draws on: its first LMS-named part, else its first part."""
    parts = PurePosixPath(name).parts
    for part in parts[:-1] or parts:
        found = _canvas_part(part) or _moodle_part(part)
        if found is not None:
            return found.student + "\x00" + part
    return parts[0] if parts else ""


def owner_of(relpath: str, stems: dict[str, str], layout: str = "auto") -> str:
    """Whose budget the zip at ``relpath`` (in the submissions folder) draws on: its :func:`identify` person,
    with the LMS's id of the hand-in (two Moodle namesakes are two owners)."""
    identity = identify(relpath, stems, layout)
    return f"{identity.student}\x00{identity.lms_id}"


def _is_listing(names: list[str]) -> bool:
    """A zip whose top holds LMS-named entries of two or more people: an LMS's bulk download."""
    people = set()
    for name in names:
        top = PurePosixPath(name).parts[:1]
        found = (_canvas_part(top[0]) or _moodle_part(top[0])) if top else None
        if found is not None:
            people.add(found.student)
    return len(people) > 1


def _charge(report: Unpacked, budget: _Budget, files: int, size: int, where: str) -> None:
    """Count ``files`` new entries and ``size`` bytes (before they are written) against the student's zip and the run.

    Raises :class:`_Stop` instead when they would pass a cap, or when the disk is nearly full.
    """
    if budget.files + files > MAX_UNPACKED_FILES:
        raise _Stop(f"stopped: more than {MAX_UNPACKED_FILES} files and folders in this student's zip")
    if budget.bytes + size > MAX_UNPACKED_BYTES:
        raise _Stop(f"stopped: more than {MAX_UNPACKED_BYTES / 2**20:g} MB in this student's zip (a zip bomb?)")
    if report.files + files > MAX_RUN_FILES or report.bytes + size > MAX_RUN_BYTES:
        raise _Stop(f"stopped: the run's ceiling ({MAX_RUN_FILES} files, {MAX_RUN_BYTES / 2**30:g} GB unpacked) is reached")
    budget.files += files
    budget.bytes += size
    report.files += files
    report.bytes += size
    if size:
        try:
            info = os.statvfs(where)
            free = info.f_bavail * info.f_frsize
        except OSError:
            return
        if free < MIN_FREE_BYTES:
            raise _Stop(f"stopped: less than {MIN_FREE_BYTES // 2**20} MB left on the disk of the temporary folder")


def _make_folders(root: str, parts: tuple, report: Unpacked, budget: _Budget) -> str:
    """Create the folders of ``parts`` under ``root`` one by one (each counted), never through a link or a file."""
    current = root
    for part in parts:
        current = os.path.join(current, part)
        if os.path.lexists(current):
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise NotADirectoryError(f"{part!r} is a file and a folder in the zip")
            continue
        _charge(report, budget, 1, 0, root)  # counted before it is made
        os.mkdir(current, 0o700)
    return current


def unpack(zip_path: Path, target: Path, label: str, report: Unpacked, depth: int = 1, *,
           listing: bool | None = None, budget: _Budget | None = None, owner: str = "") -> None:
    """Unpack the zip at ``zip_path`` into the new folder ``target``, safely; add to ``report``.

    Only regular files and folders are written, each at a path checked to stay inside
    ``target``; links, devices, absolute or ``..`` paths, encrypted members, names with a part
    over 255 bytes or more than :data:`MAX_MEMBER_DEPTH` folders deep are refused and listed, and
    a member that cannot be written (a file and a folder of one name, a bad CRC) is listed and
    removed: nothing in a zip stops the run. Every byte written counts, also for a member that
    then fails, and every folder created counts as a file. The caps hold **per person** (all the
    zips of one ``owner`` together, zips inside them included: :data:`MAX_UNPACKED_BYTES`,
    :data:`MAX_UNPACKED_FILES`), so one student's zips cannot use another's budget; a bulk download (``listing``: the SUBMISSIONS zip,
    or a zip listing two or more LMS-named people) gives each person its own budget. The run stops
    unpacking at :data:`MAX_RUN_BYTES` / :data:`MAX_RUN_FILES`, or when less than
    :data:`MIN_FREE_BYTES` are left on the disk. Zips found inside are unpacked in turn, up to
    :data:`MAX_ZIP_DEPTH`.

    Parameters
    ----------
    zip_path : Path
        The zip to read.
    target : Path
        A folder that does not exist yet (or is empty): where the members go.
    label : str
        The zip's path as the gradebook shows it (warnings name it).
    report : Unpacked
        Gets one entry per zip (``zip``, ``files``, ``notebooks``, ``refused``) and the run's totals.
    depth : int
        1 for a zip of the submissions folder; zips inside count up.
    listing : bool, optional
        Whether the zip is a bulk download (one budget per person in it); by default, a zip of
        depth 1 listing two or more LMS-named people.
    budget : _Budget, optional
        The student's budget this zip draws on (a zip inside a student's zip); a new one by default.
    owner : str, optional
        Whose zip it is (:func:`owner_of`): all the zips of one owner share one budget, so handing in
        many zips does not multiply it.
    """
    entry = {"zip": label, "notebooks": 0, "files": 0, "refused": []}
    report.zips.append(entry)
    try:
        archive = zipfile.ZipFile(zip_path)
        infos = archive.infolist()
    except Exception as error:  # noqa: BLE001 - any unreadable zip is a row, never a crash
        entry["refused"].append(f"not a readable zip ({type(error).__name__}: {str(error)[:200]})")
        return
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        entry["refused"].append(f"could not be unpacked ({type(error).__name__})")
        archive.close()
        return
    root = os.path.realpath(target)
    named = [(info, _member_name(info)) for info in infos]
    if listing is None:
        listing = budget is None and depth == 1 and _is_listing([name for _info, name in named])
    if budget is not None:
        own = budget
    else:
        own = report.people.setdefault(owner, _Budget()) if owner else _Budget()
    budgets: dict[str, _Budget] = {}
    stopped: set[str] = set()

    listed: dict[str, int] = {}

    def refuse(message: str, key: str) -> None:
        """List a refusal; in a bulk download also record, as data, whose LMS-named part it was. The lists are
        capped (a zip of 400,000 refused members made a 110 MB details.json, red-team 5); the rest are counted."""
        if len(entry["refused"]) < MAX_LISTED_REFUSALS:
            entry["refused"].append(message)
        else:
            entry["refused_unlisted"] = entry.get("refused_unlisted", 0) + 1
        if listing and "\x00" in key:
            owner = key.split("\x00")[-1]
            listed[owner] = listed.get(owner, 0) + 1
            if listed[owner] <= MAX_LISTED_REFUSALS_PER_PERSON:
                entry.setdefault("owners", []).append([owner, message])

    inner = []
    with archive:
        for info, name in named:
            key = _owner(name) if listing else ""
            if key in stopped:
                continue
            spend = budgets.setdefault(key, _Budget()) if listing else own
            destination = None
            written = 0
            try:
                problem = _member_problem(info, name)
                if problem:
                    refuse(f"{name}: {problem}", key)
                    continue
                parts = PurePosixPath(name).parts
                if not parts or PurePosixPath(name).name.startswith(".") or "__MACOSX" in parts:
                    continue
                if info.is_dir():
                    _make_folders(root, parts, report, spend)
                    continue
                folder = _make_folders(root, parts[:-1], report, spend)
                destination = os.path.join(folder, parts[-1])
                if os.path.commonpath([root, os.path.realpath(destination)]) != root:
                    destination = None
                    refuse(f"{name}: a path outside the folder (zip-slip, refused)", key)
                    continue
                _charge(report, spend, 1, 0, root)
                try:
                    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                except FileExistsError:
                    destination = None  # not ours to remove
                    refuse(f"{name}: twice in the zip, or a folder of that name (the first kept)", key)
                    continue
                with os.fdopen(fd, "wb") as sink, archive.open(info) as source:
                    while block := source.read(2**20):
                        written += len(block)
                        _charge(report, spend, 0, len(block), root)  # counted before it is written, whatever comes next
                        sink.write(block)
            except _Stop as stop:
                if destination:
                    _remove_quietly(destination)
                refuse(f"{stop}" + (f" (in {key.split(chr(0))[-1]})" if listing and key else ""), key)
                if not listing:
                    break
                stopped.add(key)
                continue
            except (Exception, RecursionError) as error:  # noqa: BLE001 - one bad member never stops the run
                if destination:
                    _remove_quietly(destination)
                refuse(f"{name}: could not be unpacked ({type(error).__name__})", key)
                continue
            try:  # the time the zip gives the file (the LMS's, not necessarily the upload's), for --pick latest
                stamp = datetime(*info.date_time).timestamp()
                os.utime(destination, (stamp, stamp))
            except (ValueError, OverflowError, OSError):
                pass
            entry["files"] += 1
            entry["notebooks"] += name.endswith(".ipynb")
            if name.lower().endswith(".zip"):
                inner.append((Path(destination), name, spend, key))
    for path, name, spend, key in inner:
        if depth >= MAX_ZIP_DEPTH:
            refuse(f"{name}: a zip nested deeper than {MAX_ZIP_DEPTH} levels (not unpacked)", key)
            continue
        folder = path.with_name(path.name + ".unpacked")
        try:
            if os.path.lexists(folder):
                raise FileExistsError(f"{folder.name} is in the zip too")
            unpack(path, folder, f"{label}/{name}", report, depth + 1, listing=False, budget=spend)
            os.unlink(path)
            if folder.is_dir():
                folder.rename(path)  # its notebooks show as .../work.zip/<path in the zip>
        except (Exception, RecursionError) as error:  # noqa: BLE001 - one bad member never stops the run
            refuse(f"{name}: the zip inside could not be unpacked ({type(error).__name__})", key)
    if entry.get("refused_unlisted"):
        entry["refused"].append(f"... and {entry['refused_unlisted']} more members refused (not listed)")


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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
        has_id = any((v or "").strip() for k, v in row.items() if k in _ID_COLUMNS)
        # Canvas's own "Points Possible" row has no id; a person whose name starts so is a person.
        if first == "Points Possible" and not has_id and points_row is None:
            points_row = row
            continue
        if first == "" and not has_id:
            continue
        if first == "Student, Test" and ("Student" in columns):  # Canvas's test student, exactly so named
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
    exerciseish = sorted(s for s in students if EXERCISE_FOLDER.match(s) or re.fullmatch(r"(?i)ex\d\d", s)
                         or NOTEBOOK_NAMED.match(s))
    if exerciseish:
        warnings.append(f"student(s) named like an exercise or a notebook file: {', '.join(exerciseish[:8])}"
                        + (" ..." if len(exerciseish) > 8 else "") + "; is this one folder per assignment, or a flat "
                        "folder of notebooks? Use --lms canvas/moodle, or put one folder per student")
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
    nested = sorted({i.get("under", "") for i in identities if i.get("under")})
    if nested:
        warnings.append(f"LMS-named submissions inside ordinary folders were read as LMS people ({', '.join(nested[:5])}"
                        + (" ..." if len(nested) > 5 else "") + "): right for a download kept in a folder of its own, "
                        "wrong if that folder is a student's (their files would be credited to the people the names say); "
                        "check, or grade with --lms folders")
    unclear = sorted({i["name"] for i in identities if i["student"].startswith("moodle-unclear:")})
    if unclear:
        warnings.append(f"{len(unclear)} Moodle file name(s) hold '_<id>_assignsubmission_file_' twice, so the person cannot be "
                        f"read from them ({', '.join(unclear[:3])}): rows of their own, not joined to anyone; download with folders")
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
                     "submitted": (row.get("Last modified (submission)") or "").strip(), "file": str(path),
                     "maximum": (row.get("Maximum Grade") or "").strip()}
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
    blind = sorted({i["student"] for i in identities if i.get("anonymous") and i.get("student", "").startswith("moodle-blind:")})
    if blind:
        warnings.append(
            f"{len(blind)} Moodle blind-marking submission(s) (Participant_<id> folders) are rows of their own, one per "
            "assignment: the worksheet upload (Identifier 'Participant <id>') grades them in Moodle as they are; to join them "
            "to people here, reveal student identities in Moodle and give the downloaded grading worksheets (--moodle-worksheet)")
    return warnings
