"""Grade a folder of submitted exercise notebooks, safely, with one command.

Usage::

    python -m course_utils.grade SUBMISSIONS --out RESULTS [--cell-timeout S] [--max-memory MB]
                                             [--jobs N] [--seed N]
    course-grade SUBMISSIONS --out RESULTS ...          # the same, as a console script

What it does, for each ``*.ipynb`` under ``SUBMISSIONS``:

1. **Identify.** The exercise comes from the notebook's metadata (``course.exercise``, written by
   ``course_utils.authoring``), else from the file name (``02_misleading_accuracy.ipynb`` or any name
   holding an exercise's file name or ``ex02``). The student comes from the LMS's naming
   (:mod:`course_utils.grading.lms`: the Canvas user id, the Moodle full name), else the first
   folder not named like an exercise, else the file name less the exercise's name. Zips (the LMS's
   bulk zip as ``SUBMISSIONS``, or zips inside it) are unpacked safely. Only regular files are read: links, FIFOs and devices become rows and are never
   followed or opened; names are shown with undecodable bytes and control characters escaped.
2. **Execute** the code cells in a fresh kernel on a scratch copy (see :mod:`course_utils.grading._sandbox`):
   per-cell timeout, memory cap, errors allowed. A cell that times out, exhausts memory or kills
   the kernel is recorded and skipped, the kernel is restarted, and the notebook runs again without
   it: every question is graded on its own, and a crash is never a pass.
3. **Export, then judge outside the kernel.** After the learner's cells, the grader loads a pristine
   copy of ``course_utils`` from its own files into the kernel, under a private name, and exports
   each question's declared variables as plain JSON (:mod:`course_utils.grading._kernel_export`). The
   verdicts are decided here, in the grader's process, by its own checkers. No pickle is ever
   loaded. Held-out inputs are drawn from the instructor's seed and sent as data; their labels and
   the seed never enter the kernel. The kernel also reports fingerprints of the course's and the
   libraries' functions; any that differ from the grader's own make the status ``tampered``.
4. **Write** ``RESULTS/grades.csv`` (every field quoted, formulas neutralised),
   ``RESULTS/feedback/<student>/<exercise>-<hash>.md`` (one per submission, escaped, with an HTML
   twin) and ``RESULTS/details.json``; then, from one counted submission per student and exercise,
   the gradebook, the LMS imports and ``report.html`` (:mod:`course_utils.grading.gradebook`,
   :mod:`course_utils.grading.report`). All of them are written together, Ctrl-C held until done.
   A re-run skips submissions whose content, seed and grader are unchanged.

Every submission is hashed before and after; a change is reported (and, without a sandbox,
undone from the copy read at the start).
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import csv
import hashlib
import html
import io
import json
import math
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
import traceback
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from .. import __version__
from . import _kernel_export as export
from . import _sandbox, gradebook, handout, late, lms

GRADING_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = GRADING_DIR.parent
ROOT = PACKAGE_DIR.parent

DEFAULT_CELL_TIMEOUT = 60.0
DEFAULT_MAX_MEMORY_MB = 4096
#: Kernel restarts allowed per submission after a cell or an export crashed or hung it.
MAX_RESTARTS = 3
MAX_NOTEBOOK_BYTES = 50 * 2**20
#: Most cells a graded notebook may have (an exercise has about 30). Checked before the notebook is parsed: 950,000
#: empty cells fit in 48 MB, and parsing them took 36 s and 1.35 GB (red-team round 3).
MAX_CELLS = 2_000
#: Most JSON separators (``,``, ``{``, ``[``, ``:``) a notebook's text may hold: a bound on the number of values,
#: and so on the memory parsing it takes, whatever holds them (cells, outputs, metadata, worksheets). The course's
#: largest notebook has 3,700. Counted on the raw bytes, before parsing: 2 million empty objects in 5.7 MB of
#: metadata took 11 s and 1.2 GB to parse (red-team re-test).
MAX_JSON_SEPARATORS = 500_000
#: Largest answer export read back from a kernel, per question (no message can be larger anyway).
#: Characters of one question's answer export read from the kernel, and values it may hold (the course's solutions
#: export at most 0.9 MB and 42,000 values: red-team 6 sent 15 MB of "{},{},...", 3.2 GB in the grader).
MAX_EXPORT_CHARS = 4 * 2**20
MAX_MESSAGE_CHARS = 600
#: Statuses of a submission, most serious first (one is reported; the others are in details.json).
STATUS_ORDER = ("tampered", "memory", "disk", "timeout", "died", "error", "ok")
KERNEL_STATUSES = {"not attempted", "could not be checked", "incorrect"}
#: The run's seed: 128 bits, so that it cannot be searched for. Each question gets its own 128-bit seed from it
#: (:func:`question_seed`), which is what the checkers draw held-out data and test cases from.
SEED_RANGE = 2**128
NO_SANDBOX_NOTE = "graded WITHOUT a sandbox (--no-sandbox): for trusted notebooks only"
#: Modules that only turn graded records into the gradebook and the report: editing them regrades nothing.
OUTPUT_ONLY = ("grading/gradebook.py", "grading/report.py")

__all__ = ["grade", "main", "measure_overhead", "identify_student", "identify_exercise"]


# --------------------------------------------------------------------------- #
# Identification
# --------------------------------------------------------------------------- #


def _exercise_keys() -> list[str]:
    return sorted(p.stem for p in (PACKAGE_DIR / "exercises").glob("ex[0-9][0-9].py"))


def _exercise_stems() -> dict[str, str]:
    """Hand-out file stems (``02_misleading_accuracy``) -> exercise keys, when exercises/ is there."""
    stems = {}
    for folder in (ROOT / "exercises", ROOT / "solutions"):
        for path in folder.glob("[0-9][0-9]_*.ipynb"):
            stems[path.stem] = f"ex{path.name[:2]}"
    return stems


def identify_exercise(metadata: dict, relpath: str, known: list[str], stems: dict[str, str]) -> tuple[str | None, str]:
    """Exercise key of a submission and where it came from (``metadata`` or ``file name``)."""
    course = metadata.get("course") if isinstance(metadata, dict) else None
    key = course.get("exercise") if isinstance(course, dict) else None
    if isinstance(key, str) and re.fullmatch(r"ex\d\d", key) and key in known:
        return key, "metadata"
    name = PurePosixPath(relpath).name
    for stem in sorted(stems, key=len, reverse=True):
        if stem in name and stems[stem] in known:
            return stems[stem], "file name"
    for pattern in (r"(?<![0-9])(\d\d)_", r"(?i)ex[ _-]?(\d\d)(?![0-9])"):
        match = re.search(pattern, name)
        if match and f"ex{match.group(1)}" in known:
            return f"ex{match.group(1)}", "file name"
    return None, "unknown"


def identify_student(relpath: str, stems: dict[str, str] | None = None) -> str:
    """Student of a submission in a plain folder layout (see :func:`course_utils.grading.lms.identify`)."""
    return lms.identify(relpath, stems if stems is not None else _exercise_stems(), "folders").student


def _safe_name(text: str, limit: int = 60) -> str:
    """A readable, portable file name made from ``text`` (not unique: see :func:`_feedback_path`)."""
    cleaned = re.sub(r"[^\w.@+-]+", "_", text, flags=re.UNICODE).strip("._-") or "unnamed"
    return cleaned[:limit].rstrip("._-") or "unnamed"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def display_name(name: str) -> str:
    r"""A file name as printable text: undecodable bytes and control characters as escapes.

    A name read from disk may hold bytes that are not UTF-8 (an unzipped "Müller" in Latin-1,
    decoded with ``surrogateescape``) and control characters (CR, ESC, bidirectional overrides).
    Neither may reach the gradebook, the feedback or the terminal as such: ``M\xfcller``,
    ``a\rb`` and ``\x1b]0;`` are shown instead.
    """
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- #
# Reading submissions
# --------------------------------------------------------------------------- #


@dataclass
class Submission:
    relpath: str  # printable (see display_name) and unique: the key in grades.csv and details.json
    path: Path  # the real path (may hold undecodable bytes)
    data: bytes | None
    sha256: str
    student: str
    exercise: str | None = None
    exercise_source: str = ""
    nb: object = None
    problem: str = ""  # why it cannot be executed
    status: str = ""  # invalid, unknown-exercise, empty (when not executed)
    cells: list = field(default_factory=list)  # (index, source) of code cells
    note: str = ""  # for the instructor, e.g. a hard link shared with another submission
    inode: tuple = ()
    identity: dict = field(default_factory=dict)  # who, as the LMS download says (see lms.Identity)
    mtime: float = 0.0


@dataclass
class Found:
    """An entry of the submissions folder that looks like a notebook, as ``lstat`` saw it."""

    path: Path
    relpath: str  # printable and unique
    kind: str  # "file", or why it is not graded ("symbolic link", "FIFO", ...), or "unreadable folder"
    problem: str = ""


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _discover(root: Path, out: Path) -> list[Found]:
    """Every ``*.ipynb`` entry under ``root``, without following links, at any depth.

    An explicit stack, not recursion (a tree 1,200 folders deep is fine), ``lstat`` only (a link,
    a FIFO or a device is listed with its kind and never opened), hidden entries and ``out``
    skipped. Folders that cannot be listed are listed too, so that they become rows.
    """
    try:
        info = os.stat(out)
        skip = {(info.st_dev, info.st_ino)}
    except OSError:
        skip = set()
    found: list[Found] = []
    stack = [(str(root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name, reverse=True)
        except OSError as error:
            if rel:
                found.append(Found(Path(folder), rel, "unreadable folder", f"the folder could not be read ({error.strerror or error})"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = f"{rel}/{entry.name}" if rel else entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as error:
                found.append(Found(Path(entry.path), child, "unreadable", f"the file could not be read ({error.strerror or error})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name != "__pycache__" and (info.st_dev, info.st_ino) not in skip:
                    stack.append((entry.path, child))
            elif entry.name.endswith(".ipynb"):
                found.append(Found(Path(entry.path), child, _kind(info.st_mode)))
            elif stat.S_ISLNK(info.st_mode) and os.path.isdir(entry.path):  # stat only: nothing is opened
                found.append(Found(Path(entry.path), child, "link to a folder",
                                   "a symbolic link to a folder: not entered (links are never followed)"))
    found.sort(key=lambda f: f.relpath)
    _unique_printed_names(found)
    return found


def _unique_printed_names(found: list[Found]) -> None:
    """Give every entry a printed name no other entry has: the gradebook's and details.json's key.

    Two raw names can print alike (``M<byte fc>`` and a literal ``M\\xfc``), and an entry can be
    *named* like the suffix another would get, so a suffix is taken only when no entry's printed
    name, nor a suffix already given, is that text.
    """
    printed = [display_name(item.relpath) for item in found]
    taken = set(printed)
    used: set[str] = set()
    for item, shown in zip(found, printed):
        name, n = shown, 1
        while name in used or (n > 1 and name in taken):
            n += 1
            name = f"{shown} (same printed name, #{n})"
        used.add(name)
        item.relpath = name


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading only if it is a regular file: no link followed, no FIFO opened for long."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OSError(f"{_kind(info.st_mode)}, not a regular file")
    return fd, info


def _read_submission(found: Found, known: list[str], stems: dict[str, str], layout: str = "auto",
                     listings: set[str] | None = None) -> Submission:
    relpath = found.relpath
    identity = lms.identify(relpath, stems, layout, listings).to_dict()
    sub = Submission(relpath, found.path, None, "", identity["student"], identity=identity)
    if found.kind != "file":
        reason = found.problem or f"{found.kind}, not a regular file: not graded (links are never followed)"
        sub.problem, sub.status = reason, "invalid"
        return sub
    try:
        fd, info = _open_regular(found.path)
        with os.fdopen(fd, "rb") as handle:
            sub.inode = (info.st_dev, info.st_ino)
            sub.mtime = info.st_mtime
            if info.st_size > MAX_NOTEBOOK_BYTES:
                sub.problem, sub.status = f"the file is too large ({info.st_size / 2**20:.0f} MB)", "invalid"
                sub.sha256 = _hash_file(found.path)
                return sub
            sub.data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as error:
        sub.problem, sub.status = f"the file could not be read ({error.strerror or error})", "invalid"
        return sub
    sub.sha256 = hashlib.sha256(sub.data).hexdigest()
    if len(sub.data) > MAX_NOTEBOOK_BYTES:
        sub.problem, sub.status, sub.data = "the file is too large", "invalid", None
        return sub
    separators = sum(sub.data.count(c) for c in (b",", b"{", b"[", b":"))
    if separators > MAX_JSON_SEPARATORS:
        sub.problem, sub.status, sub.data = (f"the notebook holds too many values ({separators:,} JSON separators, more "
                                             f"than {MAX_JSON_SEPARATORS:,}): not graded", "invalid", None)
        return sub
    try:
        text = sub.data.decode("utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        sub.problem, sub.status, sub.data = "the file is not a notebook (not valid JSON)", "invalid", None
        return sub
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        sub.problem, sub.status, sub.data = "the file is JSON but not a notebook (no cells)", "invalid", None
        return sub
    n_cells = len(raw["cells"]) if isinstance(raw.get("cells"), list) else sum(
        len(w["cells"]) for w in raw["worksheets"] if isinstance(w, dict) and isinstance(w.get("cells"), list))
    if n_cells > MAX_CELLS:
        sub.problem, sub.status, sub.data = f"the notebook has {n_cells:,} cells, more than {MAX_CELLS:,}: not graded", "invalid", None
        return sub
    del raw
    try:
        nb = nbformat.reads(text, as_version=4)
        cells = [
            (index, cell.source if isinstance(cell.source, str) else "".join(cell.source))
            for index, cell in enumerate(nb.cells)
            if cell.get("cell_type") == "code"
        ]
    except Exception as error:  # noqa: BLE001 - any malformed notebook becomes a row
        sub.problem, sub.status, sub.data = f"the notebook could not be read ({type(error).__name__})", "invalid", None
        return sub
    sub.nb = nb
    sub.exercise, sub.exercise_source = identify_exercise(dict(nb.metadata), relpath, known, stems)
    if sub.exercise is None:
        # A row that never runs keeps no copy of the notebook (red-team 7: five 47 MB notebooks of no exercise held
        # 1.5 GB of the grader's memory for the whole run).
        sub.problem, sub.status = "the exercise could not be identified from the notebook's metadata or its file name", "unknown-exercise"
        sub.data = sub.nb = None
        return sub
    sub.cells = [(i, s) for i, s in cells if s.strip()]
    if not sub.cells:
        sub.problem, sub.status = "the notebook has no code", "empty"
    return sub


def _note_hard_links(subs: list[Submission]) -> None:
    """Submissions that are one file under several names (hard links): say so on each."""
    groups: dict[tuple, list[Submission]] = {}
    for sub in subs:
        if sub.inode:
            groups.setdefault(sub.inode, []).append(sub)
    for group in groups.values():
        for sub in group if len(group) > 1 else ():
            others = ", ".join(o.relpath for o in group if o is not sub)
            sub.note = f"the same file as {others} (a hard link): check who wrote it"


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        fd, _info = _open_regular(path)
        with os.fdopen(fd, "rb") as handle:
            for block in iter(lambda: handle.read(2**20), b""):
                digest.update(block)
    except OSError:
        return "missing"
    return digest.hexdigest()


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return ""


# --------------------------------------------------------------------------- #
# The grader's state for one run
# --------------------------------------------------------------------------- #


@dataclass
class Context:
    submissions_root: Path
    out: Path
    seed: int
    cell_timeout: float
    max_memory_mb: int
    sandbox: _sandbox.Sandbox
    workdir: Path
    fingerprint: str
    exercises: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    home_files: dict = field(default_factory=dict)  # copied into every kernel's home (matplotlib's font list)
    fingerprints: dict = field(default_factory=dict)

    def fingerprint_for(self, key: str | None) -> str:
        with self.lock:
            if key not in self.fingerprints:
                self.fingerprints[key] = _fingerprint(key)
            return self.fingerprints[key]

    def exercise(self, key: str):
        with self.lock:
            if key not in self.exercises:
                from ..exercises import load

                self.exercises[key] = load(key)
            return self.exercises[key]

    def inputs_for(self, key: str) -> tuple[str, dict[str, str]]:
        """JSON text of the inputs sent to kernels for exercise ``key``, and per-question problems."""
        with self.lock:
            if key in self.inputs:
                return self.inputs[key]
        exercise = self.exercise(key)
        from ..checks import FunctionCases, HeldoutScore

        questions, problems = {}, {}
        for name, question in exercise.questions.items():
            spec: dict = {"seed": 0}
            seed = question_seed(self.seed, question.label)
            try:
                for variable, answer in question.parts.items():
                    if isinstance(answer, HeldoutScore):
                        X, _y = answer.make_heldout(seed)
                        spec.setdefault("heldout", {})[variable] = export.encode(X)
                    elif isinstance(answer, FunctionCases):
                        spec.setdefault("cases", {})[variable] = export.encode(list(answer.make_cases(seed)))
                    elif getattr(answer, "extract_uses_seed", True):
                        # The kernel never gets the seed: an answer kind that would need it is not graded.
                        raise TypeError(f"{type(answer).__name__} answers need the seed in the kernel; the grader never sends it")
            except Exception as error:  # noqa: BLE001
                problems[name] = f"{type(error).__name__}: {error}"
                continue
            questions[name] = spec
        result = (json.dumps({"questions": questions}), problems)
        with self.lock:
            self.inputs[key] = result
        return result


def question_seed(seed: int, label: str) -> int:
    """The 128-bit seed of question ``label`` (``"ex02.q5"``) in a run graded with ``seed``: an HMAC of the run's seed.

    Held-out data are drawn with it (numpy's ``SeedSequence`` takes all 128 bits), so the inputs a kernel is sent
    cannot be searched back to their seed and labels: with 32 bits, a red-team found the seed from the inputs in
    about 7 CPU-minutes inside the kernel. A question's seed also says nothing about another question's.
    """
    import hmac

    digest = hmac.new(str(int(seed)).encode(), label.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:16], "big")


def _fingerprint(key: str | None = None) -> str:
    """Version of the grader for exercise ``key``: the package's shared code, data and that checker.

    Editing one exercise's checker re-grades only that exercise's submissions on a re-run.
    """
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".csv") or "__pycache__" in path.parts:
            continue
        if path.parent.name == "exercises" and path.stem != key and path.stem != "__init__":
            continue
        if path.relative_to(PACKAGE_DIR).parts[0] == "authoring" or path.relative_to(PACKAGE_DIR).as_posix() in OUTPUT_ONLY:
            continue  # tools that graders do not use; code that only reads the records
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- #
# Executing one submission
# --------------------------------------------------------------------------- #


def _prepare_scratch(ctx: Context) -> Path:
    """A grader-private folder for one submission's kernels (the kernel's own files live in its sandbox)."""
    return Path(tempfile.mkdtemp(prefix="sub-", dir=ctx.workdir))


def _cell_label(sub: Submission, index: int) -> str:
    source = dict(sub.cells).get(index, "")
    first = _first_line(source)
    if len(first) > 50:
        first = first[:47] + "..."
    return f"cell {index + 1}" + (f" (`{first}`)" if first else "")


def _execute(ctx: Context, sub: Submission, record: dict) -> dict:
    """Run the notebook and export every question; returns ``{question: payload or {'problem': ...}}``."""
    exercise = ctx.exercise(sub.exercise)
    inputs_json, input_problems = ctx.inputs_for(sub.exercise)
    pending = [name for name in exercise.questions if name not in input_problems]
    exported: dict[str, dict] = {
        name: {"problem": "This question could not be graded automatically; your instructor will look at it.", "grader": problem}
        for name, problem in input_problems.items()
    }
    skip: set[int] = set()
    cells_log: dict[int, dict] = {}
    events: list[str] = []
    restarts = 0
    peak = 0
    budget_end = time.monotonic() + _time_budget(ctx.cell_timeout)
    scratch = _prepare_scratch(ctx)
    nonce = secrets.token_hex(16)
    log_path = ctx.workdir / f"{scratch.name}.log"
    record["flags"] = []
    try:
        while pending:
            kernel = _sandbox.Kernel(ctx.sandbox, scratch / f"kernel-{restarts}", max_memory_mb=ctx.max_memory_mb, log_path=log_path,
                                     notebook=(PurePosixPath(sub.relpath).name, sub.data), home_files=ctx.home_files)
            try:
                kernel.start()
            except (RuntimeError, OSError) as error:
                events.append(f"kernel could not start: {error}")
                for name in pending:
                    exported[name] = {"problem": "The notebook could not be run (the kernel did not start).", "grader": str(error)}
                pending = []
                record["flags"].append("died")
                break
            crashed = False
            try:
                for index, source in sub.cells:
                    if index in skip:
                        continue
                    if time.monotonic() > budget_end:
                        events.append("time budget of the submission used up")
                        record["flags"].append("timeout")
                        crashed = None
                        break
                    run = kernel.execute(source, ctx.cell_timeout)
                    first_time = index not in cells_log
                    cells_log.setdefault(index, run.to_dict())
                    if run.status != "ok":
                        record["flags"].append(run.status)
                        if first_time and len(events) < 50:
                            events.append(f"{_cell_label(sub, index)}: {_describe_run(run, ctx)}")
                    if run.killed or run.status == "memory":
                        # After a kill, or a MemoryError (the kernel may still hold the memory), start
                        # afresh and run the notebook again without this cell.
                        skip.add(index)
                        crashed = True
                        break
                if crashed is None:
                    for name in pending:
                        exported[name] = {"problem": "Grading stopped: the notebook took too long overall."}
                    pending = []
                    break
                if crashed:
                    restarts += 1
                    if restarts > MAX_RESTARTS:
                        for name in pending:
                            exported[name] = {"problem": "Your notebook kept crashing the kernel, so this answer could not be read."}
                        pending = []
                        break
                    events.append("kernel restarted; the notebook runs again without the cells that stopped it")
                    continue
                # Export: a pristine course_utils, then one request per question.
                export_start = time.monotonic()
                try:
                    inputs_path = kernel.put_file(f"inputs-{nonce}", "inputs.json", inputs_json)
                except OSError as error:
                    events.append(f"answer export could not start: the notebook filled or removed its own folder ({error.strerror})")
                    for name in pending:
                        exported[name] = {"problem": "Your answers could not be read: the notebook interfered with the grader."}
                    record["flags"].append("export-failed")
                    pending = []
                    break
                setup = kernel.execute(_setup_code(nonce, inputs_path, sub.exercise), ctx.cell_timeout, silent=True)
                if setup.status != "ok":
                    events.append(f"answer export could not start: {_describe_run(setup, ctx)}")
                    for name in pending:
                        exported[name] = {"problem": "Your answers could not be read: the notebook interfered with the grader.", "grader": setup.ename}
                    record["flags"].append("export-failed")
                    pending = []
                    break
                while pending:
                    # Red-team 6: answers whose reading sleeps (a slow __float__, to_numpy or function) ran the export
                    # 8 cell timeouts past the budget. The whole export ends within one cell timeout after it.
                    left = min(ctx.cell_timeout, max(budget_end, export_start) + ctx.cell_timeout - time.monotonic())
                    if left <= 0:
                        events.append("time budget of the submission used up while reading the answers")
                        record["flags"].append("timeout")
                        for late in pending:
                            exported[late] = {"problem": "Grading stopped: reading your answers took too long overall."}
                        pending = []
                        break
                    name = pending.pop(0)
                    run = kernel.execute(_extract_code(nonce, name), left, silent=True, keep_stdout=MAX_EXPORT_CHARS)
                    exported[name] = _read_export(run, nonce, name, ctx)
                    if run.killed:
                        crashed = True
                        break
                if crashed and pending:
                    restarts += 1
                    if restarts > MAX_RESTARTS:
                        for name in pending:
                            exported[name] = {"problem": "Your notebook kept crashing the kernel, so this answer could not be read."}
                        pending = []
                        break
                    events.append("kernel restarted to read the remaining answers")
            finally:
                kernel.kill()
                peak = max(peak, kernel.peak_bytes)
    finally:
        record["tamper"] = []  # in the sandbox the other files are not even visible; without one, see _restore_changed
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            log_tail = log_path.read_bytes()[-2000:].decode("utf-8", "replace")
            log_path.unlink()
        except OSError:
            log_tail = ""
    record["cells"] = {str(k): v for k, v in sorted(cells_log.items())}
    record["events"] = events
    record["restarts"] = restarts
    record["memory_peak_mb"] = round(peak / 2**20, 1)
    if record["flags"] and any(f in ("died", "memory") for f in record["flags"]):
        record["kernel_log_tail"] = log_tail
    return exported


def _time_budget(cell_timeout: float) -> float:
    """Seconds one submission's cells may take in all; its answer export then ends within one cell timeout."""
    return max(10 * cell_timeout, 300)


def _describe_run(run: _sandbox.Run, ctx: Context) -> str:
    if run.status == "timeout":
        return f"stopped after {ctx.cell_timeout:g} s" + (" (the kernel had to be killed)" if run.killed else "")
    if run.status == "memory":
        return f"ran out of memory (limit {ctx.max_memory_mb} MB)" + (" and stopped the kernel" if run.killed else "")
    if run.status == "disk":
        return "wrote too much to disk; the kernel was stopped"
    if run.status == "died":
        return "stopped the kernel"
    return f"raised {run.ename}: {_clean(run.evalue, 200)}"


def _setup_code(nonce: str, inputs_path: Path, key: str) -> str:
    return (
        "import importlib.util as _cg_u, sys as _cg_s\n"
        f"_cg_spec = _cg_u.spec_from_file_location('_course_grade_{nonce}', {str(GRADING_DIR / '_kernel_export.py')!r})\n"
        "_cg_m = _cg_u.module_from_spec(_cg_spec)\n"
        "_cg_s.modules[_cg_spec.name] = _cg_m\n"
        "_cg_spec.loader.exec_module(_cg_m)\n"
        f"_cg_m.setup({str(PACKAGE_DIR)!r}, {key!r}, {nonce!r}, {str(inputs_path)!r})\n"
        "del _cg_u, _cg_s, _cg_spec, _cg_m\n"
    )


def _extract_code(nonce: str, name: str) -> str:
    return f"__import__('sys').modules['_course_grade_{nonce}'].extract({name!r}, __import__('sys')._getframe(0).f_globals)\n"


def _read_export(run: _sandbox.Run, nonce: str, name: str, ctx: Context) -> dict:
    if run.status in ("timeout", "memory", "disk", "died"):
        what = {
            "timeout": f"Reading your answer took more than {ctx.cell_timeout:g} s (for a model: is `predict` very slow?)",
            "memory": "Reading your answer ran out of memory",
            "disk": "Reading your answer wrote too much to disk",
            "died": "Reading your answer crashed the kernel",
        }[run.status]
        return {"problem": what + ", so it could not be checked.", "grader": run.status}
    if len(run.stdout) >= MAX_EXPORT_CHARS:
        # Cut at the cap, the export lost its end marker: too large, not forged (red-team 7 saw it called "several").
        return {"problem": "Your answer could not be read.", "grader": export.TOO_LARGE}
    payload, problem = export.parse(run.stdout, nonce)
    if payload is None or payload.get("question") != name:
        forged = payload is not None or "several" in (problem or "") or problem == export.FORGED_DEPTH
        reason = problem or "export for another question"
        if run.ename and not forged:
            reason += f" ({run.ename})"
        return {"problem": "Your answer could not be read.", "grader": reason, "suspicious": forged}
    return payload


def _clean(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    text = "".join(ch if ch.isprintable() or ch == " " else " " for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- #
# Judging, in the grader's process
# --------------------------------------------------------------------------- #


def _sanitize(question, payload: dict) -> tuple[dict, list[str]]:
    """Plain data from a kernel, reduced to what ``Question.grade`` may trust."""
    flags = []
    if "error" in payload:
        return {"_error": f"Reading your answer failed ({_clean(payload['error'], 80)})."}, flags
    extracted = payload.get("extracted")
    if not isinstance(extracted, dict):
        return {"_error": "Your answer could not be read."}, ["export is not an object"]
    if "_error" in extracted:
        return {"_error": _clean(extracted["_error"])}, flags
    if export.depth(payload) > export.MAX_EXPORT_DEPTH:  # parse() refuses these; a second line of defence
        return {"_error": "Your answer could not be read."}, ["export nested too deeply"]
    missing = payload.get("missing") if isinstance(payload.get("missing"), list) else []
    clean = {}
    for variable in question.variables:
        item = extracted.get(variable)
        if variable in missing:
            clean[variable] = {
                "status": "not attempted",
                "message": f"`{variable}` is not defined after running your notebook: did its cell fail, or was it deleted or renamed?",
            }
        elif not isinstance(item, dict):
            clean[variable] = {"status": "could not be checked", "message": "Your answer could not be read."}
        elif "data" in item:
            clean[variable] = {"data": item["data"]}
        elif isinstance(item.get("status"), str) and item["status"] in KERNEL_STATUSES:
            clean[variable] = {"status": item["status"], "message": _clean(item.get("message", ""))}
        else:
            flags.append(f"`{variable}`: the kernel claimed status {_clean(item.get('status'), 40)!r}")
            clean[variable] = {"status": "could not be checked", "message": "Your answer could not be read."}
    return clean, flags


_REFERENCE: dict[str, dict[str, str]] = {}
_REFERENCE_LOCK = threading.Lock()


def _reference_fingerprints(modules: set[str]) -> dict[str, str]:
    """The grader's own fingerprints (see ``_kernel_export.fingerprints``) of ``modules``, cached."""
    out: dict[str, str] = {}
    with _REFERENCE_LOCK:
        for module in sorted(modules):
            if module not in _REFERENCE:
                _REFERENCE[module] = export.fingerprints(loaded_only=False, only={module})
            out.update(_REFERENCE[module])
    return out


def _replaced_functions(exported: dict, record: dict) -> None:
    """Compare the kernel's fingerprints with the grader's: flag what the notebook replaced."""
    kernel = next((item["integrity"] for item in exported.values() if isinstance(item, dict) and "integrity" in item), None)
    if not isinstance(kernel, dict):
        return
    modules = {k[len("module:"):] for k in kernel if isinstance(k, str) and k.startswith("module:")}
    modules = {m for m in modules if export.is_compared_module(m)}  # never a module only the kernel named
    found = export.replaced(kernel, _reference_fingerprints(modules))
    if found:
        record["replaced"] = [_clean(name, 200) for name in found[:100]]
        record["flags"].append("replaced-functions")


def _judge(ctx: Context, sub: Submission, exported: dict, record: dict) -> dict:
    from ..checks import Result, Status

    exercise = ctx.exercise(sub.exercise)
    _replaced_functions(exported, record)
    results = {}
    for name, question in exercise.questions.items():
        item = exported.get(name) or {"problem": "This answer was not read."}
        if "problem" in item:
            result = Result(Status.UNCHECKABLE, item["problem"], 0.0, question.points, question.label)
            if item.get("suspicious"):
                record["flags"].append("forged-export")
                record.setdefault("suspicious", []).append(f"{name}: {_clean(item.get('grader', ''), 200)}")
        else:
            clean, flags = _sanitize(question, item)
            if flags:
                record["flags"].append("forged-export")
                record.setdefault("suspicious", []).extend(f"{name}: {f}" for f in flags)
            try:
                result = question.grade(clean, seed=question_seed(ctx.seed, question.label))
            except Exception as error:  # noqa: BLE001 - a checker bug is a row, never a crash
                result = Result(Status.UNCHECKABLE, "This question could not be graded automatically; your instructor will look at it.",
                                0.0, question.points, question.label)
                # The error's text may quote the submission's own data: kept short, as every kernel-made text is.
                record.setdefault("grader_errors", []).append(f"{name}: {type(error).__name__}: {str(error)[:500]}")
        entry = result.to_dict()
        entry["message"] = _clean(entry["message"])
        entry.setdefault("mistake", getattr(result, "mistake", None))  # stable id of a named mistake, if the checker gives one
        if item.get("grader"):
            entry["grader_note"] = _clean(item["grader"], 300)
        if "extracted" in item:
            entry["export"] = _shorten(item.get("extracted"))
        results[name] = entry
    return results


def _shorten(value, limit: int = 20_000):
    if export.depth(value) > export.MAX_EXPORT_DEPTH:
        return {"unreadable": f"nested more than {export.MAX_EXPORT_DEPTH} levels deep"}
    try:
        text = json.dumps(value, default=str)
    except (ValueError, TypeError, RecursionError) as error:
        return {"unreadable": type(error).__name__}
    return value if len(text) <= limit else {"truncated": True, "chars": len(text), "start": text[:2000]}


def _overall_status(flags: list[str], tamper: list[str]) -> str:
    if tamper or "forged-export" in flags or "replaced-functions" in flags:
        return "tampered"
    for status in STATUS_ORDER[1:-1]:
        if status in flags:
            return status
    if "export-failed" in flags:
        return "error"
    return "ok"


def _grade_submission(ctx: Context, sub: Submission) -> dict:
    """Grade one submission into its record; whatever happens, one submission never stops the run."""
    try:
        return _grade_one(ctx, sub)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - SystemExit included: a row, never the end of the run
        return _grader_error_record(ctx, sub, error)


def _grader_error_record(ctx: Context, sub: Submission, error: BaseException) -> dict:
    return {
        "student": sub.student, "exercise": sub.exercise or "", "exercise_from": sub.exercise_source,
        "submission": sub.relpath, "sha256": sub.sha256, "seed": ctx.seed, "grader": "", "status": "grader-error",
        "grader_error": "".join(traceback.format_exception(error))[-3000:], "questions": {}, "total": 0.0, "max_total": 0.0,
        "note": f"the grader failed on this submission ({type(error).__name__}); see details.json",
    }


def _grade_one(ctx: Context, sub: Submission) -> dict:
    record = {
        "student": sub.student,
        "exercise": sub.exercise or "",
        "exercise_from": sub.exercise_source,
        "submission": sub.relpath,
        "sha256": sub.sha256,
        "seed": ctx.seed,
        "grader": ctx.fingerprint_for(sub.exercise),
        "identity": sub.identity,
        "mtime": sub.mtime,
    }
    started = time.monotonic()
    if sub.status:
        record.update(status=sub.status, note="; ".join(filter(None, [sub.problem, sub.note])), questions={}, total=0.0, max_total=0.0)
        if sub.exercise and sub.status == "empty":
            try:
                exercise = ctx.exercise(sub.exercise)
            except Exception as error:  # noqa: BLE001
                record.update(status="grader-error", grader_error=f"{type(error).__name__}: {error}")
                return record
            record["questions"] = {
                name: {"question": q.label, "status": "not attempted", "message": "The notebook has no code.", "points": 0.0, "max_points": q.points}
                for name, q in exercise.questions.items()
            }
            record["max_total"] = exercise.max_points
        return record
    try:
        given = handout.compare(sub.exercise, sub.cells, ROOT / "exercises")
        record["structure"], record["given_code"] = given["note"], given["changes"]
        exported = _execute(ctx, sub, record)
        # One numbering everywhere: cells count from 1, markdown included, as in every note.
        record["cells"] = {str(int(k) + 1): v for k, v in record.get("cells", {}).items()}
        record["questions"] = _judge(ctx, sub, exported, record)
        record["solution_viewed"] = handout.solution_viewed(exported, sub.cells, list(record["questions"]))
        record["status"] = _overall_status(record["flags"], record["tamper"])
        record["flags"] = sorted(set(record["flags"]))
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - a grader failure (even SystemExit) is a row, never a crash
        record.update(status="grader-error", grader_error="".join(traceback.format_exception(error))[-3000:], questions={})
        try:
            exercise = ctx.exercise(sub.exercise) if sub.exercise else None
        except Exception:  # noqa: BLE001 - e.g. a checker module that does not import
            exercise = None
        if exercise is not None:
            record["questions"] = {
                name: {"question": q.label, "status": "could not be checked", "points": 0.0, "max_points": q.points,
                       "message": "This question could not be graded automatically; your instructor will look at it."}
                for name, q in exercise.questions.items()
            }
    questions = record.get("questions", {})
    record["total"] = round(sum(q["points"] for q in questions.values()), 6)
    record["max_total"] = round(sum(q["max_points"] for q in questions.values()), 6)
    notes = [e for e in record.get("events", [])]
    if record.get("tamper"):
        notes = [f"tried to change files outside its own folder ({len(record['tamper'])} change(s))"] + notes
    if record.get("suspicious"):
        notes = ["forged answer export"] + notes
    if record.get("replaced"):
        shown = ", ".join(record["replaced"][:6]) + (f" and {len(record['replaced']) - 6} more" if len(record["replaced"]) > 6 else "")
        notes = [f"replaced course or library functions in its kernel: {shown}"] + notes
    if record.get("solution_viewed"):
        notes.append(f"solution shown for {', '.join(record['solution_viewed'])}")
    if record.get("structure"):
        notes.append(record["structure"])
    if sub.note:
        notes.append(sub.note)
    record["note"] = "; ".join(notes)
    record["seconds"] = round(time.monotonic() - started, 2)
    return record


# --------------------------------------------------------------------------- #
# Outputs
# --------------------------------------------------------------------------- #


def _question_columns(records: list[dict]) -> dict[str, float]:
    """``{"ex01.q1": maximum points, ...}``: each exercise's questions under names of their own."""
    maxima: dict[str, float] = {}
    for r in records:
        for name, q in r.get("questions", {}).items():
            key = gradebook.question_key(r["exercise"], name)
            maxima[key] = max(maxima.get(key, 0.0), float(q.get("max_points") or 0.0))
    return dict(sorted(maxima.items(), key=lambda kv: (kv[0].split(".")[0], int(re.sub(r"\D", "", kv[0].split(".")[-1]) or 0), kv[0])))


def _fmt(points) -> str:
    return f"{points:g}" if isinstance(points, (int, float)) and math.isfinite(points) else ""


def _write_atomic(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all, readable by the grader's user only (the results hold the seed)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _cell(text) -> str:
    """A CSV field that a spreadsheet will not run as a formula.

    Spreadsheets start a formula at ``= + - @`` even after leading spaces, tabs or line breaks,
    so a field whose first other character is one of these, or that starts with a tab or a
    CR, gets a leading apostrophe (OWASP's advice). Numbers written by the grader are left alone.
    """
    text = lms.no_bidi(str(text))  # a right-to-left override never reaches a spreadsheet
    if re.fullmatch(r"\d+(\.\d+)?(e[+-]?\d+)?", text):
        return text
    first = text.lstrip()[:1]
    return "'" + text if first in ("=", "+", "-", "@") or text[:1] in ("\t", "\r") else text


def _write_csv(out: Path, records: list[dict]) -> None:
    columns = _question_columns(records)
    buffer = io.StringIO()
    # Every field quoted: a CR or LF inside a name can never start a row (names are also printed
    # with escapes, see display_name).
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["student", "exercise", "submission", *(f"{c} (max {_fmt(m)})" for c, m in columns.items()),
                     "total", "max_total", "status", "note"])
    for r in records:
        questions = {gradebook.question_key(r["exercise"], name): q for name, q in r.get("questions", {}).items()}
        writer.writerow(
            _cell(field)
            for field in [display_name(r["student"]), r["exercise"], display_name(r["submission"])]
            + [_fmt(questions[c]["points"]) if c in questions else "" for c in columns]
            + [_fmt(r["total"]), _fmt(r["max_total"]), r["status"], _clean(r.get("note", ""), 500)]
        )
    _write_atomic(out / "grades.csv", buffer.getvalue())


_STATUS_TEXT = {
    "ok": "Your notebook ran to the end without errors.",
    "error": "Some cells of your notebook raised errors; the questions were graded from what did run.",
    "timeout": "A cell of your notebook did not finish in time and was stopped.",
    "memory": "A cell of your notebook used more memory than allowed and was stopped.",
    "disk": "Your notebook wrote too much to disk and was stopped.",
    "died": "A cell of your notebook stopped the Python kernel.",
    "tampered": "Your notebook tried to change files outside its own folder, to replace the course's or a library's "
    "functions, or to forge its results; your instructor has been told.",
    "invalid": "Your file could not be read as a notebook.",
    "unknown-exercise": "Your notebook could not be matched to an exercise.",
    "empty": "Your notebook has no code.",
    "grader-error": "Your notebook could not be graded automatically; your instructor will look at it.",
}


def _md_name(text: str) -> str:
    """A name as inert Markdown text: no HTML, no link, no emphasis, no table cell break."""
    text = re.sub(r"([\\`*_{}\[\]()#+!|~-])", r"\\\1", display_name(str(text)))
    return html.escape(text, quote=False)


def _md_text(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message (the grader's, or text a notebook chose) as Markdown without raw HTML."""
    return html.escape(_clean(text, limit), quote=False)


def _feedback(record: dict, title: str) -> str:
    lines = [f"# {_md_text(title)}", ""]
    name = (record.get("identity") or {}).get("name") or ""
    shown = f"{name} ({record['student']})" if name and name != record["student"] else record["student"]
    lines.append(f"- Student: {_md_name(shown)}")
    lines.append(f"- Submission: {_md_name(record['submission'])}")
    lines.append(f"- Score: **{_fmt(record['total'])} / {_fmt(record['max_total'])}**")
    lines.append(f"- Run: {record['status']} — {_STATUS_TEXT.get(record['status'], '')}")
    if record["status"] in ("invalid", "unknown-exercise", "empty") and record.get("note"):
        lines.append(f"  ({_md_text(record['note'])})")
    for event in record.get("events", [])[:10]:
        lines.append(f"  - {_md_text(event, 300)}")
    if record.get("solution_viewed"):
        lines.append(f"- Solution shown in this notebook for: {_md_name(', '.join(record['solution_viewed']))} "
                     "(your instructor sees this too)")
    changes = record.get("given_code") or []
    gone = [c["handout_cell"] for c in changes if not c["cell"]]
    if gone:
        lines.append(f"- Handed-out code cells missing from your notebook: {', '.join(map(str, gone))} "
                     "(numbered as in the handed-out notebook, from 1)")
    for change in (c for c in changes if c["cell"]):
        lines.append(f"- Given code changed in cell {change['cell']} (handed out as cell {change['handout_cell']}); "
                     "keep the given code as it is, or your results may differ from what is checked:")
        lines += [f"  - `{_md_text(line, 200).replace('`', chr(39))}`" for line in change["diff"][:8]]
    questions = record.get("questions", {})
    if questions:
        lines += ["", "| question | status | points |", "|---|---|---|"]
        for name, q in questions.items():
            lines.append(f"| {_md_name(name)} | {q['status']} | {_fmt(q['points'])} / {_fmt(q['max_points'])} |")
        for name, q in questions.items():
            lines += ["", f"## {_md_name(name)}: {q['status']}", "", _md_text(q.get("message", ""))]
    return "\n".join(lines) + "\n"


def _feedback_path(record: dict, used: set[str]) -> str:
    """``feedback/<student>/<exercise>-<hash>.md``, one per submission, whatever the names.

    The folder is the student's name made safe, plus a short hash of the exact name when making
    it safe changed it (``!alice`` and ``alice`` get two folders). The file name carries a hash
    of the exact submission path, so no two submissions share a file however names truncate.
    """
    student = str(record["student"])
    folder = _safe_name(student)
    if folder != student:
        folder = f"{folder}-{_digest(student)[:8]}"
    stem = _safe_name(record["exercise"] or PurePosixPath(record["submission"]).stem)
    path = f"feedback/{folder}/{stem}-{_digest(record['submission'])[:12]}.md"
    if path in used:  # a 48-bit hash collision: take the full hash
        path = f"feedback/{folder}/{stem}-{_digest(record['submission'] + '#' + str(len(used)))}.md"
    used.add(path)
    return path


def _write_outputs(ctx: Context, records: list[dict], extra: dict) -> None:
    out = ctx.out
    records = sorted(records, key=lambda r: (r["student"], r["exercise"], r["submission"]))
    _write_csv(out, records)
    used: set[str] = set()
    remove_tree(out / "feedback")
    for r in records:
        title = ctx.exercises[r["exercise"]].title if r["exercise"] in ctx.exercises else (r["exercise"] or "Unidentified notebook")
        r["feedback"] = _feedback_path(r, used)
        try:
            text = _feedback(r, title)
        except (ValueError, TypeError, KeyError, RecursionError) as error:  # one odd record costs only its own feedback
            text = f"# {_md_text(title)}\n\nYour feedback could not be written ({type(error).__name__}); your instructor will look at it.\n"
        _write_atomic(out / r["feedback"], text)
    _write_details(ctx, records, extra)


def _write_details(ctx: Context, records: list[dict], extra: dict) -> None:
    details = {
        "grader": {
            "course_utils": __version__,
            "fingerprint": ctx.fingerprint,
            "seed": ctx.seed,
            "cell_timeout": ctx.cell_timeout,
            "max_memory_mb": ctx.max_memory_mb,
            "sandbox": ctx.sandbox.description,
            "sandboxed": not ctx.sandbox.trusted_only,
            "sandbox_notes": ctx.sandbox.notes,
            **extra,
        },
        "submissions": {r["submission"]: _storable(r) for r in records},
    }
    _write_atomic(ctx.out / "details.json", json.dumps(details, indent=1, default=str))


_STORED_KEYS = ("student", "exercise", "exercise_from", "submission", "sha256", "seed", "grader", "status", "total", "max_total", "note")


def _storable(record: dict) -> dict:
    """``record`` if it can be written as JSON, else its gradebook fields and why the rest was dropped.

    A record holds text and data a kernel chose; one that cannot be written (nested too deeply,
    say) must cost only its own details, never the gradebook of the class.
    """
    try:
        if export.depth(record) <= 2 * export.MAX_EXPORT_DEPTH:
            json.dumps(record, default=str)
            return record
        reason = "nested too deeply"
    except (ValueError, TypeError, RecursionError) as error:
        reason = type(error).__name__
    kept = {key: record[key] for key in _STORED_KEYS if key in record and isinstance(record[key], (str, int, float, type(None)))}
    kept["questions"] = {
        str(name): {k: q.get(k) for k in ("question", "status", "points", "max_points") if isinstance(q.get(k), (str, int, float))}
        for name, q in (record.get("questions") or {}).items() if isinstance(q, dict)
    }
    kept["details_dropped"] = f"the rest of this record could not be saved ({reason})"
    return kept


def _previous(out: Path) -> dict:
    """The last complete run's ``details.json``, plus what an interrupted run after it finished."""
    try:
        details = json.loads((out / "details.json").read_text(encoding="utf-8"))
        details = details if isinstance(details, dict) else {}
    except (OSError, ValueError, RecursionError):
        details = {}
    try:
        partial = json.loads((out / "details.partial.json").read_text(encoding="utf-8"))
        seed = details.get("grader", {}).get("seed")
        if isinstance(partial, dict) and isinstance(partial.get("submissions"), dict) and seed in (None, partial["grader"].get("seed")):
            details.setdefault("grader", {}).setdefault("seed", partial["grader"].get("seed"))
            merged = dict(details.get("submissions") or {})
            merged.update(partial["submissions"])
            details["resumable"] = merged
    except (OSError, ValueError, KeyError, AttributeError, RecursionError):
        pass
    return details


# --------------------------------------------------------------------------- #
# The run
# --------------------------------------------------------------------------- #


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled
        self.tty = enabled and sys.stderr.isatty()
        self.started = time.monotonic()

    def update(self, record: dict, reused: bool = False) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        what = f"{display_name(str(record['submission']))}: {record['status']} {_fmt(record.get('total', 0))}/{_fmt(record.get('max_total', 0))}"
        line = _terminal(f"[{bar}] {self.done}/{self.total} {time.monotonic() - self.started:5.0f}s {what}{' (unchanged, reused)' if reused else ''}")
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + line[:160] + ("\n" if self.done == self.total else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[PX^_][^\x1b]*(\x1b\\)?|.?)")


def _terminal(text: str) -> str:
    """Text safe to print on a terminal: escape sequences removed, other control characters as ``?``.

    Removes CSI, OSC (window title, clipboard write: OSC 52), DCS and the like, then replaces any
    remaining C0/C1 control, bidirectional override or undecodable byte, so that a file name
    can neither drive the terminal nor disguise itself.
    """
    text = _ESCAPES.sub("", str(text))
    return "".join(
        "?" if unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") else ch for ch in text
    )


def _say(enabled: bool, text: str) -> None:
    if enabled:
        print(text, file=sys.stderr, flush=True)


def _prebuild_font_cache(ctx: Context) -> None:
    """Build matplotlib's font list once, so that no kernel spends a second rebuilding it."""
    import subprocess

    cache = ctx.workdir / "mplcache"
    cache.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env=dict(os.environ, MPLCONFIGDIR=str(cache)), capture_output=True, timeout=120,
    )
    ctx.home_files = {f".config/matplotlib/{p.name}": p.read_bytes() for p in cache.glob("fontlist-*.json")}


def grade(
    submissions: str | os.PathLike,
    out: str | os.PathLike,
    *,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    max_memory: int = DEFAULT_MAX_MEMORY_MB,
    jobs: int = 1,
    seed: int | None = None,
    sandbox: bool = True,
    progress: bool = True,
    lms_layout: str = "auto",
    policy: gradebook.Policy | None = None,
    new_seed: bool = False,
) -> dict:
    """Grade every notebook under ``submissions`` into ``out``; see the module docstring.

    ``submissions`` may also be an LMS's bulk zip. ``lms_layout`` says how to read who handed in
    what (:mod:`course_utils.grading.lms`); ``policy`` how the gradebook counts
    (:class:`course_utils.grading.gradebook.Policy`). A ``seed`` other than the one ``out`` was
    graded with is refused unless ``new_seed`` (it would regrade every submission).

    Returns ``{"records": [...], "executed": n, "reused": n, "tampering": [...], "seed": s}``.
    """
    source = Path(submissions).resolve()
    root = source
    out = Path(out).resolve()
    bulk = source.is_file() and zipfile.is_zipfile(source)
    if not bulk and not source.is_dir():
        raise NotADirectoryError(f"{source} is neither a folder nor a zip file")
    if out == root or root.is_relative_to(out):
        raise ValueError("RESULTS must not be SUBMISSIONS or a folder holding it")
    policy = policy or gradebook.Policy()
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(out, 0o700)  # the results (and the seed in details.json) are the instructor's alone
    previous = _previous(out)
    earlier = previous.get("grader", {}).get("seed")
    if seed is not None and isinstance(earlier, int) and int(seed) % SEED_RANGE != earlier:
        if not new_seed:
            raise ValueError(f"{out} was graded with seed {earlier}; --seed {seed} would regrade every submission on new "
                             "held-out data. Add --new-seed to do that on purpose, or leave --seed out")
        _say(True, f"course-grade: warning: new seed {seed} (was {earlier}): every submission is regraded")
    if seed is None:
        seed = previous.get("grader", {}).get("seed")
        if not isinstance(seed, int):
            seed = secrets.randbelow(SEED_RANGE)
            _say(progress, f"held-out seed: {seed} (drawn at random; kept in details.json, reused on re-runs)")
    seed = int(seed) % SEED_RANGE
    if seed < 2**64:
        # Each question's seed is an HMAC of this one: a small run seed can be searched for from the held-out inputs.
        _say(progress, f"course-grade: warning: the held-out seed {seed} is small enough to be searched for (it was "
             "given with --seed, or kept from a results folder graded by an older version). For marks that count, "
             "grade into a new results folder without --seed: a 128-bit seed is drawn.")
    workdir = Path(tempfile.mkdtemp(prefix="course-grade-"))
    if workdir.is_relative_to(root) or workdir.is_relative_to(out):
        shutil.rmtree(workdir, ignore_errors=True)
        raise ValueError("the temporary folder must not be inside SUBMISSIONS or RESULTS; set TMPDIR elsewhere")
    os.chmod(workdir, 0o700)
    started = time.time()
    try:
        known, stems = _exercise_keys(), _exercise_stems()
        unpacked = lms.Unpacked()
        staging = workdir / "unpacked"
        staging.mkdir(mode=0o700)  # kernels never see other students' unpacked work
        if bulk:
            root = staging / "bulk"
            lms.unpack(source, root, display_name(source.name), unpacked, listing=True)
            root.mkdir(exist_ok=True)
        found = _discover(root, out) + _discover_zips(root, out, staging, unpacked, stems, lms_layout)
        found += _refused_zips(unpacked, staging, bulk)
        zip_warnings = []
        for entry in unpacked.zips:
            _say(progress, _terminal(f"unpacked {entry['zip']}: {entry['files']} file(s), {entry['notebooks']} notebook(s)"))
            inside = sum(e["notebooks"] for e in unpacked.zips if e is entry or e["zip"].startswith(entry["zip"] + "/"))
            problems = entry["refused"] + ([] if inside else ["no notebook in it"])
            zip_warnings += [f"{entry['zip']}: {problem}" for problem in problems]
        for warning in zip_warnings[:40]:
            _say(True, _terminal(f"course-grade: warning: {warning}"))
        listings = lms.lms_listings(item.relpath for item in found)
        subs = [_read_submission(item, known, stems, lms_layout, listings) for item in found]
        _note_hard_links(subs)
        for warning in _cap_notebooks(subs):
            _say(True, _terminal(f"course-grade: warning: {warning}"))
            zip_warnings.append(warning)
        # Keyed by the raw path (printed names are for people): only regular files read here are backed up.
        before = {s.path: s.sha256 for s in subs}
        backup = {s.path: s.data for s in subs if s.data is not None}
        files_before = _all_files(root)
        box = _sandbox.probe(PACKAGE_DIR, use_sandbox=sandbox, workdir=workdir / "probe", hidden=[root, out])
        if box.trusted_only:
            _say(True, f"course-grade: WARNING: {NO_SANDBOX_NOTE}")
        for note in box.notes:
            _say(True, f"course-grade: warning: {note}")
        ctx = Context(root, out, seed, float(cell_timeout), int(max_memory), box, workdir, _fingerprint())
        _prebuild_font_cache(ctx)
        old = previous.get("resumable") or previous.get("submissions", {})
        old = old if isinstance(old, dict) else {}
        records, todo = [], []
        bar = _Progress(len(subs), progress)
        _say(progress, f"grading {len(subs)} notebook(s) from {source} with {box.description}, {jobs} job(s)")
        for sub in subs:
            prior = old.get(sub.relpath)
            if (
                isinstance(prior, dict) and prior.get("sha256") == sub.sha256 and prior.get("seed") == seed
                and prior.get("grader") == ctx.fingerprint_for(sub.exercise) and prior.get("status") != "grader-error"
            ):
                prior["reused"] = True
                prior.update(student=sub.student, identity=sub.identity, mtime=sub.mtime)  # --lms may differ
                records.append(prior)
                bar.update(prior, reused=True)
                if prior.get("exercise") and prior["exercise"] in known:
                    try:
                        ctx.exercise(prior["exercise"])  # for the feedback's title
                    except Exception:  # noqa: BLE001
                        pass
            else:
                todo.append(sub)
        executed = 0
        results_lock = threading.Lock()

        def finished(record):
            if box.trusted_only and not record.get("note", "").startswith(NO_SANDBOX_NOTE):
                record["note"] = "; ".join(n for n in (NO_SANDBOX_NOTE, record.get("note", "")) if n)
            with results_lock:
                records.append(record)
                bar.update(record)
                _write_progress(ctx, records)

        with futures.ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
            pending = {pool.submit(_grade_submission, ctx, sub): sub for sub in todo}
            try:
                for future in futures.as_completed(pending):
                    try:
                        record = future.result()
                    except KeyboardInterrupt:
                        raise
                    except BaseException as error:  # noqa: BLE001 - one submission never stops the run
                        record = _grader_error_record(ctx, pending[future], error)
                    record.pop("reused", None)
                    executed += 1
                    finished(record)
                    if not box.bwrap:
                        _restore_changed(subs, backup, before, record, root, files_before)
            except KeyboardInterrupt:
                for future in pending:  # nothing new starts; the notebooks running now end on their own
                    future.cancel()
                raise
        tampering = []
        for sub in subs:
            if not before[sub.path]:
                continue  # not a regular file the grader read: never written to, whatever it is now
            if _hash_file(sub.path) != before[sub.path]:
                restored = _restore(sub.path, backup.get(sub.path))
                tampering.append(f"{sub.relpath} changed during grading" + (" (restored)" if restored else ""))
        for path in sorted(_all_files(root) - files_before):
            tampering.append(f"{_shown(path, root)} appeared during grading" + (" (removed)" if _remove(path) else ""))
        if tampering:
            _say(progress, _terminal("WARNING: " + "; ".join(tampering)))
        extra = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)), "seconds": round(time.time() - started, 1),
                 "executed": executed, "reused": len(subs) - executed, "tampering": tampering,
                 "unpacked": unpacked.zips, "lms": lms_layout, "policy": policy.to_dict()}
        titles = {key: ctx.exercise(key).title for key in sorted({r["exercise"] for r in records if r.get("exercise") in known})}
        book = gradebook.build(records, policy, titles, previous, lms_layout)
        book.warnings += zip_warnings
        for warning in book.warnings[: len(book.warnings) - len(zip_warnings)]:
            _say(True, _terminal(f"course-grade: warning: {warning}"))
        extra["warnings"] = book.warnings
        with gradebook.interrupts_deferred():  # the files of one run agree, even after Ctrl-C
            _write_outputs(ctx, records, extra)
            extra["outputs"] = gradebook.write(out, book, records, _write_atomic, _cell)
            extra["grade_changes"] = book.changes
            extra["gradebook"] = gradebook.snapshot(book)
            _write_details(ctx, sorted(records, key=lambda r: (r["student"], r["exercise"], r["submission"])), extra)
        (out / "details.partial.json").unlink(missing_ok=True)
        for line in book.summary():
            _say(progress, _terminal(line))
        _say(progress, f"wrote {out / 'grades.csv'} ({len(records)} rows; {executed} executed, {len(subs) - executed} unchanged)")
        return {"records": records, "executed": executed, "reused": len(subs) - executed, "tampering": tampering, "seed": seed,
                "sandbox": box.description}
    finally:
        remove_tree(workdir)


def _discover_zips(root: Path, out: Path, staging: Path, report: lms.Unpacked, stems: dict[str, str],
                   layout: str = "auto") -> list[Found]:
    """Notebooks inside the zips under ``root`` (regular files only), unpacked safely into ``staging``.

    A notebook from ``alice/work.zip`` is shown as ``alice/work.zip/<its path in the zip>``. All the zips of
    one person share one unpacking budget (:func:`lms.owner_of`).
    """
    found = []
    for number, (path, info) in enumerate(sorted(_entries(root))):
        if not (stat.S_ISREG(info.st_mode) and path.lower().endswith(".zip")):
            continue
        if any(part.startswith(".") for part in Path(os.path.relpath(path, root)).parts) or Path(path).is_relative_to(out):
            continue
        label = _shown(Path(path), root)
        target = staging / f"zip{number}"
        try:
            relpath = Path(os.path.relpath(path, root)).as_posix()
            lms.unpack(Path(path), target, label, report, owner=lms.owner_of(relpath, stems, layout))
            found += [Found(item.path, f"{label}/{item.relpath}", item.kind, item.problem) for item in _discover(target, out)]
        except (Exception, RecursionError) as error:  # noqa: BLE001 - one student's zip never stops the run
            report.zips.append({"zip": label, "notebooks": 0, "files": 0,
                                "refused": [f"could not be unpacked ({type(error).__name__})"]})
    return found


def _first_problems(problems: list[str], shown: int = 3) -> str:
    """The first ``shown`` problems, and how many more there are."""
    more = len(problems) - shown
    return "; ".join(problems[:shown]) + (f" (+{more} more)" if more > 0 else "")


def _refused_zips(report: lms.Unpacked, staging: Path, bulk: bool) -> list[Found]:
    """A row for each student's zip that could not be unpacked whole, named after the zip (never "not in any download").

    The bulk download itself (``SUBMISSIONS`` given as a zip) is not a student's: what it refused
    is in the warnings, and each student's zip inside it gets its own row.
    """
    rows = []
    for number, entry in enumerate(report.zips):
        if bulk and number == 0:
            rows += _refused_in_bulk(entry, staging)
            continue
        if not entry["refused"]:
            continue
        shown = _first_problems(entry["refused"])
        label = entry["zip"].split("/", 1)[1] if bulk and "/" in entry["zip"] else entry["zip"]
        rows.append(Found(staging / f"refused{number}", label, "refused zip",
                          f"the zip {display_name(label)} was not unpacked whole: {shown}"))
    return rows


def _refused_in_bulk(entry: dict, staging: Path) -> list[Found]:
    """A row for each person whose part of the bulk download was not unpacked whole (a budget stop or a refused member).

    Whose part it was is recorded by :func:`lms.unpack` as data (``entry["owners"]``), never read back from a
    message a member's name could shape. The row is named after the person's own top entry in the download
    (their Canvas file or Moodle folder), so the LMS identity reads it as theirs, and says what was refused.
    """
    problems: dict[str, list[str]] = {}
    for part, problem in entry.get("owners", []):
        problems.setdefault(part, []).append(problem)
    rows = []
    for number, (part, found) in enumerate(problems.items()):
        shown = _first_problems(found)
        rows.append(Found(staging / f"refused-bulk{number}", part, "refused zip",
                          f"part of the download ({display_name(part)}) was not unpacked: {shown}"))
    return rows


def _cap_notebooks(subs: list[Submission]) -> list[str]:
    """Grade at most :data:`lms.MAX_NOTEBOOKS_PER_EXERCISE` notebooks per student and exercise; say so before grading.

    The newest are kept (the LMS's submission id, a ``-N`` resubmission, the file's time): with
    ``--pick latest`` they are the only ones that can count. The others become ``not-graded`` rows.
    """
    groups: dict[tuple, list[Submission]] = {}
    for sub in subs:
        if not sub.status and sub.exercise:
            # The LMS's own id of this hand-in too: two Moodle students of one name share the name key until the
            # gradebook tells them apart, and one must never push the other's notebooks out.
            lms_id = str((sub.identity or {}).get("lms_id") or "")
            groups.setdefault((sub.student, lms_id, sub.exercise), []).append(sub)
    warnings = []
    cap = lms.MAX_NOTEBOOKS_PER_EXERCISE
    for (student, _lms_id, exercise), group in sorted(groups.items()):
        if len(group) <= cap:
            continue
        group.sort(key=lambda s: gradebook.pick_key({"identity": s.identity, "mtime": s.mtime, "submission": s.relpath}))
        for sub in group[:-cap]:
            sub.status, sub.data, sub.nb, sub.cells = "not-graded", None, None, []
            sub.problem = f"not graded: {len(group)} notebooks of {exercise} from this student, only the {cap} newest are graded"
        warnings.append(f"{display_name(student)} handed in {len(group)} notebooks of {exercise}: only the {cap} newest are graded, "
                        "the others are listed as not-graded")
    return warnings


def _write_progress(ctx: Context, records: list[dict]) -> None:
    """Work done so far, for a resumed run: never ``details.json``, which must match ``grades.csv``."""
    done = {"grader": {"seed": ctx.seed, "partial": True}, "submissions": {r["submission"]: r for r in records}}
    _write_atomic(ctx.out / "details.partial.json", json.dumps(done, default=str))


def _restore(path: Path, data: bytes | None) -> bool:
    """Put a submission back as it was read: a new file, never written through a planted link."""
    if data is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            if os.path.isdir(path) and not os.path.islink(path):
                remove_tree(path)
            else:
                os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True
    except OSError:
        return False


def _entries(root: Path) -> list[tuple[str, os.stat_result]]:
    """Every entry below ``root`` (path, ``lstat``), without following links, at any depth."""
    found, stack = [], [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    found.append((entry.path, info))
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(entry.path)
        except OSError:
            continue
    return found


def _all_files(root: Path) -> set[Path]:
    """Every file, link, FIFO or device below ``root`` (to notice what a submission creates there)."""
    return {Path(path) for path, info in _entries(root) if not stat.S_ISDIR(info.st_mode)}


def _shown(path: Path, root: Path) -> str:
    return display_name(os.path.relpath(path, root))


def remove_tree(path: str | os.PathLike) -> None:
    """Delete a folder and everything in it, at any depth, never following a link.

    ``shutil.rmtree`` recurses (``RecursionError`` at about 1,000 levels in Python 3.11), and a
    kernel can build a deeper tree in its scratch folder. Errors are ignored, as with
    ``rmtree(ignore_errors=True)``.
    """
    path = os.fspath(path)
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
            return
    except OSError:
        return
    folders = [path]
    for entry, info in _entries(Path(path)):
        if stat.S_ISDIR(info.st_mode):
            folders.append(entry)
        else:
            try:
                os.unlink(entry)
            except OSError:
                pass
    for folder in sorted(folders, key=lambda f: f.count(os.sep), reverse=True):
        try:
            os.rmdir(folder)
        except OSError:
            pass


def _remove(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except OSError:
        return False


def _restore_changed(
    subs: list[Submission], backup: dict, before: dict, record: dict, root: Path, files_before: set[Path]
) -> None:
    """Without a sandbox: after each submission, undo and report changes to the others."""
    for sub in subs:
        if before[sub.path] and _hash_file(sub.path) != before[sub.path]:
            restored = _restore(sub.path, backup.get(sub.path))
            record.setdefault("tamper", []).append(f"changed {sub.relpath}" + (" (restored)" if restored else ""))
    for path in sorted(_all_files(root) - files_before):
        removed = _remove(path)
        record.setdefault("tamper", []).append(f"created {_shown(path, root)}" + (" (removed)" if removed else ""))
    if record.get("tamper") and record.get("status") not in ("invalid", "unknown-exercise", "empty"):
        record["status"] = "tampered"


# --------------------------------------------------------------------------- #
# Overhead measurement (for the benchmark)
# --------------------------------------------------------------------------- #


def measure_overhead(n: int = 20, *, jobs: int = 2, cell_timeout: float = DEFAULT_CELL_TIMEOUT, workdir=None, progress: bool = False) -> dict:
    """Time grading ``n`` submissions against merely executing the same notebooks, in one run.

    The submissions are the course's solution and exercise notebooks, cycled to ``n``. "Merely
    executing" is nbclient in a fresh kernel per notebook, errors allowed, ``jobs`` at a time.
    Returns ``{"n", "jobs", "execute_seconds", "grade_seconds", "ratio"}``.
    """
    from nbclient import NotebookClient

    sources = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise FileNotFoundError("no solution or exercise notebooks to time")
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="grade-overhead-"))
    subs = base / "submissions"
    chosen = []
    for i in range(n):
        source = sources[i % len(sources)]
        target = subs / f"student{i:02d}" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        chosen.append(target)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    def execute(path: Path) -> None:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=int(cell_timeout), kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()

    start = time.monotonic()
    with futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(execute, chosen))
    execute_seconds = time.monotonic() - start
    start = time.monotonic()
    summary = grade(subs, base / "results", cell_timeout=cell_timeout, jobs=jobs, seed=12345, progress=progress)
    grade_seconds = time.monotonic() - start
    statuses = sorted({r["status"] for r in summary["records"]})
    if not workdir:
        shutil.rmtree(base, ignore_errors=True)
    return {
        "n": n, "jobs": jobs, "execute_seconds": round(execute_seconds, 2), "grade_seconds": round(grade_seconds, 2),
        "ratio": round(grade_seconds / execute_seconds, 3), "statuses": statuses, "sandbox": summary["sandbox"],
    }


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="course-grade",
        description="Grade a folder of submitted exercise notebooks: grades.csv, per-student feedback and an audit file.",
    )
    parser.add_argument("submissions", help="folder of notebooks (one subfolder per student, all in one folder, or an LMS "
                        "download), or the LMS's bulk zip")
    parser.add_argument("--out", required=True, help="results folder (created; re-runs resume from it)")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT, metavar="S",
                        help=f"seconds one cell may run (default {DEFAULT_CELL_TIMEOUT:g})")
    parser.add_argument("--max-memory", type=int, default=DEFAULT_MAX_MEMORY_MB, metavar="MB",
                        help=f"memory cap of each kernel, in MB (default {DEFAULT_MAX_MEMORY_MB})")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="notebooks graded at once (default 1)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the held-out data (default: the one in RESULTS/details.json, else random)")
    parser.add_argument("--no-sandbox", action="store_true", help="do not use bubblewrap even if it is installed")
    parser.add_argument("--new-seed", action="store_true", help="allow a --seed other than RESULTS' (regrades everything)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    book = parser.add_argument_group("who handed in what, and the gradebook")
    book.add_argument("--lms", choices=lms.LAYOUTS, default="auto",
                      help="layout of the download: canvas, moodle, folders (one per student), or auto (default)")
    book.add_argument("--roster", metavar="FILE", help="class list (Canvas gradebook export, Moodle participants or worksheet)")
    book.add_argument("--canvas-template", metavar="FILE", help="Canvas's exported gradebook: canvas_import.csv keeps its columns")
    book.add_argument("--pick", choices=gradebook.PICKS, default="latest",
                      help="which submission of a student's exercise counts (default latest)")
    book.add_argument("--exclude", action="append", default=[], metavar="exNN.qN", help="drop a question (repeatable)")
    book.add_argument("--late-penalty", type=float, default=0.0, metavar="SHARE",
                      help="share of the score taken off submissions the LMS marked late, however late (0.1 = 10%%)")
    book.add_argument("--late-per-day", type=float, default=0.0, metavar="SHARE",
                      help="share of the maximum taken off per started day late, where the days are known (0.1 = 10%% a day)")
    book.add_argument("--late-cap", type=float, default=1.0, metavar="SHARE",
                      help="the most --late-per-day takes, as a share of the maximum (default 1)")
    book.add_argument("--deadline", action="append", default=[], metavar="exNN=TIME",
                      help="an exercise's deadline, ex01=2025-03-04T23:59 (repeatable), to count days late from submission times")
    book.add_argument("--submission-times", metavar="FILE",
                      help="CSV of submission times: student/ID/Identifier, exercise, submitted_at or seconds_late")
    book.add_argument("--moodle-worksheet", action="append", default=[], metavar="FILE",
                      help="Moodle's grading worksheet of an assignment (repeatable): emails to tell same-name students apart, "
                      "revealed blind marking, submission times")
    book.add_argument("--solution-viewed", choices=("flag", "zero"), default="flag",
                      help="a question whose solution() the notebook showed: flag it (default) or score it 0")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        policy = gradebook.Policy(
            pick=args.pick, exclude=tuple(args.exclude), late_penalty=args.late_penalty,
            solution_viewed=args.solution_viewed, roster=args.roster, canvas_template=args.canvas_template,
            late_per_day=args.late_per_day, late_cap=args.late_cap, deadlines=tuple(args.deadline),
            submission_times=args.submission_times, moodle_worksheets=tuple(args.moodle_worksheet),
        )
        for path in filter(None, (args.roster, args.canvas_template)):
            lms.read_roster(path)  # a wrong file stops here, before hours of grading
        lms.read_worksheets(args.moodle_worksheet)
        if args.submission_times:
            late.read_times(args.submission_times)
        grade(
            args.submissions, args.out, cell_timeout=args.cell_timeout, max_memory=args.max_memory,
            jobs=args.jobs, seed=args.seed, sandbox=not args.no_sandbox, progress=not args.quiet,
            lms_layout=args.lms, policy=policy, new_seed=args.new_seed,
        )
    except KeyboardInterrupt:
        print(("\n" if sys.stderr.isatty() else "") + "course-grade: interrupted; the results folder holds the last complete run (finished notebooks are "
              "kept for the next run)", file=sys.stderr)
        return 130
    except (OSError, ValueError, RuntimeError, csv.Error) as error:
        print(f"course-grade: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
