"""Tools for course authors: exercises generated from solutions, and notebook execution.

Solutions are the master copy. ``make exercises`` turns each ``solutions/NN_*.ipynb`` into
``exercises/NN_*.ipynb`` by these rules:

* a cell tagged ``solution`` is dropped whole (use it for worked answers in Markdown);
* in a code cell, every line after a line reading ``# solution`` is replaced by a stub:
  ``# Your code here`` plus ``name = ...`` for each name the removed code assigns at top level,
  and a ``return ...`` body for each function it defines, so that the exercise still runs to the end
  and its checks report "not attempted";
* the setup cell (the first code cell) ends by setting every answer a check cell reads to the
  placeholder ``...``, so that a check after a cell that failed says "not attempted" and how to
  go on, instead of raising ``NameError``;
* outputs and execution counts are cleared;
* the notebook's metadata gets ``course.exercise`` (``"ex02"``), which the grader reads;
* an "Open in Colab" badge copied from the solution is pointed at the exercise's own path.

Command line::

    python -m course_utils.authoring make-exercises      # write exercises/
    python -m course_utils.authoring check-exercises     # exit 1 if exercises/ is stale
    python -m course_utils.authoring execute NOTEBOOK... # run in place, storing outputs
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
from pathlib import Path

import nbformat

from .badges import retarget_badge

ROOT = Path(__file__).resolve().parents[2]
SOLUTION_MARKER = "# solution"
STUB_COMMENT = "# Your code here"
_NUMBER = re.compile(r"^(\d\d)_")


def exercise_key(path: str | os.PathLike) -> str | None:
    """Checker module of a notebook, from its file name: ``02_x.ipynb`` -> ``"ex02"``."""
    match = _NUMBER.match(Path(path).name)
    return f"ex{match.group(1)}" if match else None


def _assigned_names(code: str) -> tuple[list[str], list[ast.FunctionDef]]:
    """Top-level names assigned, and functions defined, by ``code``, in order."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [], []
    names: list[str] = []
    functions: list[ast.FunctionDef] = []

    def add_target(target):
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                add_target(element)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                add_target(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add_target(node.target)
        elif isinstance(node, ast.FunctionDef):
            functions.append(node)
    return names, functions


def _function_stub(node: ast.FunctionDef) -> str:
    lines = [f"def {node.name}({ast.unparse(node.args)}):"]
    docstring = ast.get_docstring(node)
    if docstring:
        lines.append('    """' + docstring.replace("\n", "\n    ") + '"""')
    # Returning the placeholder lets the check tell "not attempted" from "forgot to return".
    lines.append(f"    return ...  {STUB_COMMENT}")
    return "\n".join(lines)


def stub_code(source: str) -> str:
    """Replace everything after the ``# solution`` line of a cell with a runnable stub."""
    lines = source.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == SOLUTION_MARKER:
            kept, removed = lines[:index], "\n".join(lines[index + 1 :])
            names, functions = _assigned_names(removed)
            stub = [STUB_COMMENT] if not functions else []
            stub += [_function_stub(f) for f in functions]
            stub += [f"{name} = ..." for name in names if name not in {f.name for f in functions}]
            return "\n".join(kept + stub)
    return source


_CHECK_CALL = re.compile(r"\bex\d\d\.[qp]\d+\.check\(([^()]*)\)")
PLACEHOLDER_COMMENT = "# Placeholders for your answers: until your code sets one, its check says 'not attempted'."


def placeholder_line(solution_cells: list, width: int = 100) -> str:
    """Lines setting to ``...`` every name that a check cell reads and a ``# solution`` part assigns.

    Empty when there is none. Names are chained (``a = b = ...``), wrapped at ``width`` characters.
    """
    assigned: list[str] = []
    checked: list[str] = []
    for cell in solution_cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        if SOLUTION_MARKER in (line.strip() for line in lines):
            index = [line.strip() for line in lines].index(SOLUTION_MARKER)
            names, functions = _assigned_names("\n".join(lines[index + 1 :]))
            assigned += names + [f.name for f in functions]
        for call in _CHECK_CALL.findall(cell.source):
            checked += [name.strip() for name in call.split(",") if name.strip().isidentifier()]
    names = list(dict.fromkeys(n for n in checked if n in assigned))
    if not names:
        return ""
    rows, row = [], []
    for name in names:
        if row and len(" = ".join(row + [name, "..."])) > width:
            rows.append(row)
            row = []
        row.append(name)
    rows.append(row)
    return "\n".join([PLACEHOLDER_COMMENT] + [" = ".join(r + ["..."]) for r in rows])


def make_exercise(solution: nbformat.NotebookNode, key: str) -> nbformat.NotebookNode:
    """Exercise notebook made from a solution notebook (see the module docstring)."""
    exercise = copy.deepcopy(solution)
    placeholders = placeholder_line(solution.cells)
    cells = []
    for cell in exercise.cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            if placeholders and not any(c.cell_type == "code" for c in cells):
                cell.source = cell.source.rstrip("\n") + "\n\n" + placeholders
            cell.source = stub_code(cell.source)
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cells.append(cell)
    exercise.cells = cells
    # Only stable metadata, so that executing a solution does not make its exercise stale.
    exercise.metadata = nbformat.from_dict(
        {
            "kernelspec": solution.metadata.get("kernelspec", {}),
            "language_info": {"name": "python"},
            "course": {"exercise": key},
        }
    )
    return exercise


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def expected_exercises(root: Path = ROOT) -> dict[Path, str]:
    """Map each exercise path to the text it should have, generated from solutions/."""
    result = {}
    for solution_path in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        key = exercise_key(solution_path)
        exercise = make_exercise(nbformat.read(solution_path, as_version=4), key)
        # The solution's "Open in Colab" badge (course_utils.authoring.colab) must open the exercise instead.
        retarget_badge(exercise, f"exercises/{solution_path.name}")
        result[root / "exercises" / solution_path.name] = nbformat.writes(exercise) + "\n"
    return result


def make_exercises(root: Path = ROOT) -> list[Path]:
    """Write exercises/ from solutions/; returns the paths written."""
    written = []
    for path, text in expected_exercises(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_exercises(root: Path = ROOT) -> list[str]:
    """Exercises that differ from what their solutions generate, and orphans without a solution."""
    expected = expected_exercises(root)
    problems = [
        str(path.relative_to(root))
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    for path in sorted((root / "exercises").glob("*.ipynb")):
        if path not in expected:
            problems.append(f"{path.relative_to(root)} (no solution notebook)")
    return problems


def execute(path: str | os.PathLike, *, timeout: int = 120) -> None:
    """Run a notebook top to bottom in a fresh kernel and store its outputs in place."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _merged_streams(cell.outputs)
    _write(nb, path)


def _merged_streams(outputs: list) -> list:
    """Consecutive prints to one stream as one output: how the kernel chunks them depends on timing, and two runs
    must store the same file."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.authoring", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make-exercises", help="generate exercises/ from solutions/")
    sub.add_parser("check-exercises", help="fail if exercises/ is out of date")
    run = sub.add_parser("execute", help="execute notebooks in place, storing outputs")
    run.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "make-exercises":
        for path in make_exercises():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if args.command == "check-exercises":
        stale = stale_exercises()
        for item in stale:
            print(f"stale: {item}")
        return 1 if stale else 0
    for notebook in args.notebooks:
        print(f"executing {notebook}", flush=True)
        execute(notebook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
