"""Integrity of the hand-out: given code a submission changed, and solutions it showed.

Private to the grader (:mod:`course_utils.grading.grade`).

**Given code.** The handed-out exercise notebook (``exercises/NN_*.ipynb``) is the reference.
In each of its code cells, the *given* lines are the code the learner is meant to keep: every
line that is not blank, not a comment, not docstring text, not a stub (``x = ...``, ``return ...  #
Your code here``). The solution's own ``# solution`` marker is a comment, so it never counts.
:func:`compare` finds each given cell's lines in the submission *as code* (Python tokens: layout
and comments ignored, so a given line kept only in a comment or a string counts as changed; any
order of cells) and reports the cells whose given lines are missing or changed, naming the
submission's cell and showing the change.

**Solutions shown.** :func:`solution_viewed` combines two signals, each easy to state:

* the graded run: after the learner's cells ran, the kernel export reads ``solution_viewed`` on
  the learner's own ``Question`` objects (set by ``solution()``);
* the code: a cell that calls ``qN.solution(...)`` or reads ``qN.solution_code``.

The flag is read from the exercise module and from every live question object of the course
(so removing the module from ``sys.modules`` hides nothing while the notebook holds it). Limits: a
solution viewed in another session and not called in the submitted notebook cannot be seen; a
notebook that resets the flag, or drops every reference to the exercise after an aliased call, is
not caught either. Both are written in the README.

Cell numbers count every cell of the notebook from 1, markdown included, everywhere.
"""

from __future__ import annotations

import difflib
import functools
import io
import re
import tokenize
from pathlib import Path

import nbformat

__all__ = ["given_cells", "compare", "solution_viewed"]

_STUB = re.compile(r"(^\.\.\.$|=\s*\.\.\.\s*$|^return\s+\.\.\.\s*$|\.\.\.\s*#\s*Your code here\s*$)")
_CALL = re.compile(r"(?:\b(q\d+)|\bquestions\s*\[\s*['\"](q\d+)['\"]\s*\])\s*\.\s*(solution\s*\(|solution_code\b)")


#: Characters of one submitted cell, and of the whole notebook, that the comparison with the handed-out code reads
#: (an honest notebook has a few KB of code in all; a forged one of 1,000 cells of 48 KB took 107 s to read whole).
MAX_COMPARED_CHARS = 20_000
MAX_COMPARED_TOTAL = 400_000
#: How close (``difflib`` ratio) a cell must be to a handed-out cell to count as its edited copy.
CLOSE_ENOUGH = 0.75


def _normal(line: str) -> str:
    return "".join(line.split())


_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER}


def _code(source: str) -> str:
    """The code of ``source`` as its tokens, comments left out: what runs, whatever the layout.

    A given line counts as kept only if its tokens appear, in order, in the cell's code: a copy
    in a comment (``# x = f(0)``) or inside a string (``"x = f(0)"``) is not code. Strings
    themselves are compared exactly. Text Python cannot tokenize (an IPython magic mid-cell, an
    unclosed string) is read line by line, comment lines left out.
    """
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in _SKIP:
                tokens.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        if len(source.splitlines()) > 1:  # fall back line by line, so one odd line spoils nothing else
            return " ".join(_code(line) for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return " " + " ".join(tokens) + " " if tokens else ""


def _string_only_lines(source: str) -> set[int]:
    """Line numbers (from 1) that hold nothing but part of a multi-line string (a docstring's text): not code."""
    inside: set[int] = set()
    other: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0] + 1))
            elif token.type not in _SKIP:
                other.update(range(token.start[0], token.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        return set()
    return inside - other


def _given_lines(source: str) -> list[str]:
    lines = []
    strings = _string_only_lines(source)
    for number, line in enumerate(source.splitlines(), start=1):
        if number in strings:
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "Your code here" in stripped or _STUB.search(stripped):
            continue
        lines.append(stripped)
    return lines


@functools.lru_cache(maxsize=32)
def given_cells(exercise: str, exercises_dir: Path) -> tuple[tuple[int, list[str]], ...]:
    """``(cell number, given lines)`` of each handed-out code cell that holds given code (read once per run)."""
    template = next(iter(sorted(Path(exercises_dir).glob(f"{exercise[2:]}_*.ipynb"))), None) if exercise else None
    if template is None:
        return ()
    try:
        nb = nbformat.read(template, as_version=4)
    except Exception:  # noqa: BLE001 - no reference, no comparison
        return ()
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            lines = _given_lines(cell.source)
            if lines:
                cells.append((index + 1, lines))
    return tuple(cells)


def _first(lines: list[str], limit: int = 50) -> str:
    text = lines[0] if lines else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _similarity(given: str, source: str, cutoff: float) -> float:
    """``difflib``'s ratio of the two texts, or 0 when its cheap upper bounds already fall below ``cutoff`` (a
    cell far longer than the given code can never be close to it): the full ratio grows with the product of
    the lengths."""
    matcher = difflib.SequenceMatcher(None, given, source)
    if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
        return 0.0
    return matcher.ratio()


def _change(given: list[str], source: str) -> list[str]:
    """``- given`` / ``+ submitted`` lines for the given lines missing from ``source``."""
    present = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    text = _code(source)
    out = []
    for line in given:
        if _code(line) in text:
            continue
        close = difflib.get_close_matches(line, present, n=1, cutoff=0.6)
        out.append(f"- {line}")
        out.append(f"+ {close[0]}" if close else "+ (deleted)")
    return out


def compare(exercise: str | None, cells: list[tuple[int, str]], exercises_dir: Path) -> dict:
    """Given code that ``cells`` (``(0-based index, source)`` of the submission's code cells) changed.

    Returns ``{"note": str, "changes": [...]}``: each change is ``{"cell": n (the submission's,
    from 1) or None, "handout_cell": m, "first_line": ..., "diff": [...]}``.
    """
    reference = given_cells(exercise or "", exercises_dir)
    if not reference:
        return {"note": "", "changes": []}
    # Layout and comments ignored: a given line counts as kept if the cell's code (its tokens) holds it. Only the
    # start of a very large cell is read: the comparison runs in the grader before any time limit, and a notebook
    # of a few huge cells made it take minutes (red-team 5). Given code is a few lines; a cell that hides it past
    # these caps only loses this note.
    sources, budget = {}, MAX_COMPARED_TOTAL
    for index, source in cells:
        read = source[: max(0, min(MAX_COMPARED_CHARS, budget))]
        budget -= len(read)
        sources[index + 1] = (read, _code(read))
    found: dict[int, int] = {}  # handed-out cell -> submission cell holding all its given lines
    for handout_cell, lines in reference:
        wanted = [_code(line) for line in lines]
        whole = [n for n, (_s, text) in sources.items() if all(w in text for w in wanted) and n not in found.values()]
        if whole:
            found[handout_cell] = whole[0]
    free = [n for n in sources if n not in found.values()]
    changes = []
    for handout_cell, lines in reference:
        if handout_cell in found:
            continue
        wanted = [_code(line) for line in lines]
        hits = {n: sum(w in sources[n][1] for w in wanted) for n in free}
        best = max(hits, key=hits.get, default=None)
        if best is None or hits[best] == 0:  # nothing of it left: the closest free cell by text, if close
            text = "\n".join(lines)
            scored = [(_similarity(text, sources[n][0], CLOSE_ENOUGH), n) for n in free]
            ratio, best = max(scored, default=(0.0, None))
            best = best if ratio >= CLOSE_ENOUGH else None
        if best is None:
            changes.append({"cell": None, "handout_cell": handout_cell, "first_line": _first(lines), "diff": [f"- {line}" for line in lines]})
        else:
            free.remove(best)
            found[handout_cell] = best
            changes.append({"cell": best, "handout_cell": handout_cell, "first_line": _first(lines), "diff": _change(lines, sources[best][0])})
    positions = [found[h] for h, _lines in reference if h in found]
    notes = []
    gone = [c for c in changes if c["cell"] is None]
    if gone:
        shown = ", ".join(f"{c['handout_cell']} (`{c['first_line']}`)" for c in gone[:4]) + (" ..." if len(gone) > 4 else "")
        notes.append(f"{len(gone)} of the {len(reference)} handed-out code cells are missing: cell {shown}")
    for change in changes:
        if change["cell"] is None:
            continue
        shown = "; ".join(change["diff"][:6]) + (" ..." if len(change["diff"]) > 6 else "")
        notes.append(f"given code changed in cell {change['cell']} (handed out as cell {change['handout_cell']}, "
                     f"`{change['first_line']}`): {shown}")
    if positions != sorted(positions):
        notes.append("code cells are in a different order than handed out")
    return {"note": "; ".join(notes), "changes": changes}


def solution_viewed(exported: dict, cells: list[tuple[int, str]], questions: list[str]) -> list[str]:
    """Questions whose solution the graded run showed (see the module docstring)."""
    seen = set()
    for item in exported.values():
        if isinstance(item, dict) and isinstance(item.get("solution_viewed"), list):
            seen.update(name for name in item["solution_viewed"] if isinstance(name, str))
    for _index, source in cells:
        for line in source.splitlines():
            if line.lstrip().startswith("#"):
                continue
            seen.update(match.group(1) or match.group(2) for match in _CALL.finditer(line))
    order = {name: i for i, name in enumerate(questions)}
    return sorted((name for name in seen if name in order), key=order.get)
