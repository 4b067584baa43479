"""The course's benchmark: notebook run times and memory, feedback latency, grading cost.

Run it with ``make bench`` (or ``python -m course_utils.authoring.bench``). In one run it measures:

* **the floor**: a fresh kernel started and the course's libraries imported (numpy, pandas,
  scikit-learn, imbalanced-learn, matplotlib, seaborn, course_utils), three times (at the start,
  in the middle and at the end of the run), so that every other figure can be read as a
  multiple of it and drift on a shared machine shows;
* **every notebook** (``notebooks/``, ``solutions/``, ``exercises/``) executed top to bottom in a
  fresh kernel with nbclient: wall time from the kernel start request to the end of the last cell,
  and the peak resident memory (RSS) of the kernel process;
* **feedback latency**: every question's ``check()`` timed over repeated calls in the kernel of
  its solution notebook, with the solution's own answer and with a wrong one made from it; lesson
  prompts likewise in their lesson's kernel;
* **threads**: two lessons run twice, with the thread variables set to one and with them
  removed, as in a plain ``jupyter lab``, Colab or nbconvert (library-default threads unless the
  notebook's ``import course_utils`` limits them): the second must take at most
  ``BUDGET_THREADS_RATIO`` times the first;
* **grading cost** (when ``course_utils.grade`` exists): grading N copies of the solutions with
  ``python -m course_utils.grade`` against merely executing the same notebooks with nbclient
  (just before and just after ``--jobs 1``, averaged), and submissions per minute at ``--jobs 1``
  and ``--jobs 2``.

It writes ``bench/results.md``, ``bench/notebooks.csv`` (notebook,seconds,peak_mib),
``bench/checks.csv`` (exercise,question,median_ms,max_ms, then answer,status),
``bench/grading.csv``, ``bench/threads.csv`` and ``bench/bench.png``. Progress goes to stderr, one plain line per step.

How peak memory is measured: on Linux the kernel keeps each process's high-water mark of resident
memory (``VmHWM`` in ``/proc/PID/status``), which is exact, whatever the sampling. It is read for
the kernel process just before it is shut down. A thread also samples, every 0.1 s with psutil,
the RSS of the kernel plus all its descendants (for instance joblib workers), and the larger of
the two figures is reported. (``getrusage(RUSAGE_CHILDREN)`` is not used: its ``ru_maxrss`` is the
maximum over every child reaped so far, so it cannot give one kernel's peak once a bigger one ran.)

Timing belongs here, not in the tests: the benchmark records and compares with budgets; it does not
fail unless asked to with ``--strict``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import functools
import importlib
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Budgets of the course (issue 5).
BUDGET_NOTEBOOK_S = 30.0
BUDGET_MEDIAN_S = 10.0
BUDGET_PEAK_MIB = 1024.0
BUDGET_CHECK_MS = 500.0
BUDGET_GRADING_RATIO = 1.3
#: Library-default threads (no OMP_NUM_THREADS...) against one thread, per lesson (issue 10).
BUDGET_THREADS_RATIO = 1.5
#: The lessons timed both ways: the two that suffered most from default threads (83 s vs 5.5 s, 60 s vs 8.6 s).
THREAD_LESSONS = ("notebooks/05_pitfalls.ipynb", "notebooks/06_production_pipelines.ipynb")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

FLOOR_IMPORTS = """\
import numpy, pandas, sklearn, imblearn, matplotlib, seaborn
import matplotlib.pyplot
import course_utils
from course_utils import checks, data, plots
"""

#: Libraries whose versions head the results.
VERSIONS = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "imbalanced-learn",
    "matplotlib",
    "seaborn",
    "nbclient",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "psutil",
    "course-utils",
)

_OUTPUT_MARK = "@@course-bench@@"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- #
# Running one notebook in a fresh kernel, measured
# --------------------------------------------------------------------------- #


def _vm_hwm_mib(pid: int) -> float | None:
    """Peak RSS of a process so far, from ``/proc/PID/status`` (Linux), in MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


class MemoryMonitor(threading.Thread):
    """Samples the RSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        import psutil

        self.pid = pid
        self.interval = interval
        self.peak_bytes = 0
        self.samples = 0
        self._stop_event = threading.Event()
        self._process = psutil.Process(pid)
        self._psutil = psutil

    def sample(self) -> None:
        psutil = self._psutil
        try:
            processes = [self._process, *self._process.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                pass
        self.samples += 1
        self.peak_bytes = max(self.peak_bytes, total)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        """Stop sampling; return the peak in MiB (exact kernel high-water mark if larger)."""
        self.sample()
        self._stop_event.set()
        self.join(timeout=5)
        sampled = self.peak_bytes / 2**20
        hwm = _vm_hwm_mib(self.pid)
        return max(sampled, hwm or 0.0)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of the kernel and its descendants, so far."""
        psutil = self._psutil
        try:
            times = self._process.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            for child in self._process.children(recursive=True):
                try:
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return None


@dataclass
class Run:
    """One notebook executed in a fresh kernel."""

    seconds: float
    kernel_start: float
    peak_mib: float
    cpu_seconds: float | None = None
    error: str | None = None
    extra_outputs: list[str] = field(default_factory=list)


def _kernel_pid(client) -> int:
    provisioner = getattr(client.km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None and getattr(provisioner, "process", None) is not None:
        pid = provisioner.process.pid
    if pid is None:
        raise RuntimeError("could not find the kernel's process id")
    return int(pid)


def _stream_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def run_notebook(
    nb,
    cwd: str | os.PathLike,
    *,
    timeout: int = 300,
    inject_after_setup: str | None = None,
    after: list[str] | None = None,
    measure_memory: bool = True,
    env: dict[str, str] | None = None,
) -> Run:
    """Execute ``nb`` (a NotebookNode, modified in place) in a fresh ``python3`` kernel.

    ``seconds`` runs from the kernel start request to the end of the last cell (what a learner
    waits for after "Restart kernel and run all"); ``kernel_start`` is its first part. The kernel's
    peak RSS (with descendants) is taken when the last cell ends. ``inject_after_setup`` is code
    run right after the first code cell (inside the timing: keep it trivial). Each code in
    ``after`` then runs in the same kernel, outside the timing, and its printed output is returned
    in ``extra_outputs``. ``measure_memory=False`` skips the sampling thread (``peak_mib`` is then
    the kernel's exact high-water mark on Linux, else 0, and ``cpu_seconds`` is None). ``env`` is
    the kernel's whole environment (default: this process's).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    injected_at = None
    if inject_after_setup:
        first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
        if first_code is not None:
            injected_at = first_code + 1
            nb.cells.insert(injected_at, nbformat.v4.new_code_cell(inject_after_setup))
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.reset_execution_trackers()
    error: str | None = None
    extra: list[str] = []
    start = time.perf_counter()
    # The kernel's own stderr (its start-up chatter) is dropped; cell errors come back as messages.
    with client.setup_kernel(stderr=subprocess.DEVNULL, **({"env": env} if env is not None else {})):
        ready = time.perf_counter()
        pid = _kernel_pid(client)
        monitor = MemoryMonitor(pid) if measure_memory else None
        if monitor is not None:
            monitor.start()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            text = _ANSI.sub("", str(exc)).strip()
            if injected_at is not None and index > injected_at:
                index -= 1  # the cell's position in the notebook as stored
            error = f"{type(exc).__name__} in cell {index}" + (f": {text.splitlines()[-1][:200]}" if text else "")
        end = time.perf_counter()
        cpu = monitor.cpu_seconds() if monitor is not None else None
        peak = monitor.stop() if monitor is not None else (_vm_hwm_mib(pid) or 0.0)
        # Measuring code still runs after a cell that raised: what was defined before it can be
        # measured. Not after a timeout (the kernel is still busy) or a dead kernel.
        if error is None or error.startswith("CellExecutionError"):
            for code in after or []:
                cell = nbformat.v4.new_code_cell(code)
                nb.cells.append(cell)
                try:
                    client.execute_cell(cell, len(nb.cells) - 1)
                    extra.append(_stream_text(cell))
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                    extra.append("")
                    _say(f"  measuring code failed: {type(exc).__name__}: {str(exc).strip()[-300:]}")
    return Run(seconds=end - start, kernel_start=ready - start, peak_mib=peak, cpu_seconds=cpu, error=error, extra_outputs=extra)


def run_notebook_file(path: str | os.PathLike, **kwargs) -> Run:
    import nbformat

    path = Path(path)
    return run_notebook(nbformat.read(path, as_version=4), path.parent, **kwargs)


def measure_floor(timeout: int = 300) -> Run:
    """A fresh kernel that only imports the course's libraries."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_IMPORTS)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return run_notebook(nb, ROOT, timeout=timeout)


def thread_env(limit: int | None) -> dict[str, str]:
    """This process's environment with the BLAS/OpenMP thread variables set to ``limit``, or removed."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if limit is not None:
        env.update(dict.fromkeys(THREAD_VARIABLES, str(limit)))
    return env


def measure_threads(root: Path, lessons=THREAD_LESSONS, *, timeout: int = 300) -> list[dict]:
    """Each lesson run with one thread, then with the thread variables removed (as in a plain Jupyter).

    Returns one row per lesson found: ``notebook``, ``single_seconds``, ``default_seconds``,
    ``ratio`` (default / single) and ``error`` (None when both runs ended without error).
    """
    rows = []
    for rel in lessons:
        path = root / rel
        if not path.exists():
            continue
        single = run_notebook_file(path, timeout=timeout, measure_memory=False, env=thread_env(1))
        default = run_notebook_file(path, timeout=timeout, measure_memory=False, env=thread_env(None))
        rows.append({
            "notebook": rel,
            "single_seconds": single.seconds,
            "default_seconds": default.seconds,
            "ratio": default.seconds / single.seconds if single.seconds > 0 else float("nan"),
            "error": single.error or default.error,
        })
        _say(f"threads {rel}: one thread {single.seconds:.1f} s, library defaults {default.seconds:.1f} s")
    return rows


# --------------------------------------------------------------------------- #
# Feedback latency (these functions run inside the notebook's kernel)
# --------------------------------------------------------------------------- #

#: ``Question.check`` calls made by the notebook itself, in ms, by question label.
NOTEBOOK_CALLS: dict[str, list[float]] = {}


def record_check_calls() -> None:
    """Time every ``Question.check`` call from now on (into :data:`NOTEBOOK_CALLS`)."""
    from ..checks import Question

    original = Question.check
    if getattr(original, "_course_bench", False):
        return

    @functools.wraps(original)
    def timed(self, *values):
        start = time.perf_counter()
        try:
            return original(self, *values)
        finally:
            NOTEBOOK_CALLS.setdefault(self.label, []).append((time.perf_counter() - start) * 1000.0)

    timed._course_bench = True
    Question.check = timed


def _perturb(value: Any) -> Any:
    """A well-formed but wrong version of a value: numbers and arrays moved by one."""
    import numbers

    import numpy as np

    if isinstance(value, bool):
        return not value
    if isinstance(value, numbers.Number):
        return float(value) * 1.5 + 1.0
    if isinstance(value, tuple):
        return tuple(_perturb(v) for v in value)
    if isinstance(value, (list, np.ndarray)) or hasattr(value, "to_numpy"):
        array = np.array(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=float, copy=True)
        if array.size:
            array.flat[0] += 1.0
        return array
    return None


def wrong_answer(answer, value: Any, seed: int = 0) -> tuple[Any, str]:
    """A sensible wrong answer of the same kind as ``value``, and how it was made."""
    from .. import checks

    if isinstance(answer, checks.Choice):
        other = next((k for k in answer.options if k != answer.correct), "z")
        return other, f"option {other!r}"
    if isinstance(answer, checks.Number):
        return _perturb(value) if value is not None else 1.0, "number moved"
    if isinstance(answer, checks.Array):
        return _perturb(value), "first value moved by 1"
    if isinstance(answer, checks.HeldoutScore):
        from sklearn.dummy import DummyClassifier

        X, y = answer.make_heldout(seed)
        return DummyClassifier(strategy="most_frequent").fit(X, y), "fitted majority DummyClassifier"
    if isinstance(answer, checks.EstimatorSpec):
        if answer.must_be_fitted and hasattr(value, "get_params"):
            from sklearn.base import clone

            try:
                return clone(value), "unfitted clone"
            except Exception:
                pass
        from sklearn.dummy import DummyClassifier

        return DummyClassifier(), "DummyClassifier"
    if isinstance(answer, checks.FunctionCases):
        function = value

        def wrong(*args, **kwargs):
            return _perturb(function(*args, **kwargs))

        return wrong, "function whose outputs are moved"
    return "wrong", "a string"


def _time_calls(question, values: list, repeats: int) -> tuple[list[float], str]:
    samples = []
    status = ""
    for _ in range(repeats):
        start = time.perf_counter()
        result = question.check(*values)
        samples.append((time.perf_counter() - start) * 1000.0)
        status = result.status.value
    return samples, status


def probe_latency(key: str, namespace: dict, *, repeats: int = 7, which: str = "questions", checkers: str = "course_utils.exercises") -> list[dict]:
    """Time ``check()`` of every question (or lesson prompt) of exercise ``key``.

    ``which="questions"``: the solution's answer is read from ``namespace`` (the solution
    notebook's globals) by the names in ``Question.variables``; the wrong one is made from it by
    :func:`wrong_answer`. ``which="prompts"``: the right and a wrong option of each prompt.
    Returns one dict per question and answer: ``question, answer, how, status, samples_ms,
    first_ms`` (the first call the notebook itself made, if any; it is included in the samples of
    the right answer), or ``missing`` when the notebook does not define a variable.
    """
    from .. import checks

    exercise = importlib.import_module(f"{checkers}.{key}").exercise
    questions = exercise.questions if which == "questions" else exercise.prompts
    rows = []
    for name, question in questions.items():
        first = NOTEBOOK_CALLS.get(question.label, [])
        kinds = "+".join(type(a).__name__ for a in question.parts.values())
        if which == "questions":
            missing = [v for v in question.variables if v not in namespace]
            if missing:
                rows.append({"question": name, "kind": kinds, "missing": missing})
                continue
            right = [namespace[v] for v in question.variables]
        else:
            right = [a.correct if isinstance(a, checks.Choice) else None for a in question.parts.values()]
        wrong, hows = [], []
        for answer, value in zip(question.parts.values(), right):
            made, how = wrong_answer(answer, value)
            wrong.append(made)
            hows.append(how)
        samples, status = _time_calls(question, right, repeats)
        rows.append(
            {
                "question": name,
                "kind": kinds,
                "answer": "solution",
                "how": "the solution's own value" if which == "questions" else "right option",
                "status": status,
                # The notebook's own first call (cold caches) counts for a solution's answer;
                # a lesson's first prompt call is made with `...`, so it is only shown apart.
                "samples_ms": (first[:1] if which == "questions" else []) + samples,
                "first_ms": first[0] if first else None,
            }
        )
        samples, status = _time_calls(question, wrong, repeats)
        rows.append(
            {
                "question": name,
                "kind": kinds,
                "answer": "wrong",
                "how": "; ".join(hows),
                "status": status,
                "samples_ms": samples,
                "first_ms": None,
            }
        )
    return rows


def _probe_code(key: str, repeats: int, which: str, checkers: str) -> str:
    return (
        "import json as _bench_json\n"
        "from course_utils.authoring import bench as _course_bench\n"
        f"print({_OUTPUT_MARK!r} + _bench_json.dumps(_course_bench.probe_latency("
        f"{key!r}, globals(), repeats={repeats}, which={which!r}, checkers={checkers!r})))\n"
    )


_RECORDER = "from course_utils.authoring import bench as _course_bench\n_course_bench.record_check_calls()"


def _parse_probe(text: str) -> list[dict] | None:
    for line in reversed(text.splitlines()):
        if line.startswith(_OUTPUT_MARK):
            return json.loads(line[len(_OUTPUT_MARK) :])
    return None


# --------------------------------------------------------------------------- #
# Grading cost
# --------------------------------------------------------------------------- #


def grader_available(module: str = "course_utils.grade") -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def make_submissions(solutions: list[Path], folder: Path, copies: int) -> list[Path]:
    """Write ``copies`` fully correct submissions per solution: ``student_K/NN_topic.ipynb``.

    Each is what a learner who answered everything right would hand in: the solution's cells
    without those tagged ``solution``, no outputs, and the exercise notebook's metadata.
    """
    import nbformat

    from .notebooks import exercise_key

    written = []
    for k in range(1, copies + 1):
        student = folder / f"student_{k:02d}"
        student.mkdir(parents=True, exist_ok=True)
        for path in solutions:
            nb = nbformat.read(path, as_version=4)
            nb.cells = [c for c in nb.cells if "solution" not in c.get("metadata", {}).get("tags", [])]
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
                    cell.execution_count = None
            nb.metadata = nbformat.from_dict(
                {
                    "kernelspec": nb.metadata.get("kernelspec", {}),
                    "language_info": {"name": "python"},
                    "course": {"exercise": exercise_key(path)},
                }
            )
            target = student / path.name
            nbformat.write(nb, target)
            written.append(target)
    return written


def _read_grades(results: Path) -> dict:
    path = results / "grades.csv"
    if not path.exists():
        return {"rows": 0, "problems": ["no grades.csv written"]}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    problems = []
    for row in rows:
        status = row.get("status", "")
        try:
            full = math.isclose(float(row.get("total", "nan")), float(row.get("max_total", "nan")))
        except ValueError:
            full = False
        if status != "ok" or not full:
            problems.append(f"{row.get('student')}/{row.get('exercise')}: status {status}, {row.get('total')}/{row.get('max_total')}")
    return {"rows": len(rows), "problems": problems}


def bench_grading(
    solutions: list[Path],
    *,
    copies: int,
    jobs: tuple[int, ...] = (1, 2),
    timeout: int = 300,
    workdir: Path | None = None,
    grader: str = "course_utils.grade",
) -> dict:
    """Time ``python -m course_utils.grade`` against plain nbclient execution, same notebooks.

    Returns ``{"skipped": reason}`` when there is no grader or nothing to grade.
    """
    if not grader_available(grader):
        return {"skipped": f"the grader (`{grader}`) does not exist yet"}
    if not solutions:
        return {"skipped": "there are no solution notebooks to grade"}
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="course-bench-")) if owned else workdir
    try:
        submissions = make_submissions(solutions, workdir / "submissions", copies)
        n = len(submissions)
        _say(f"grading: {n} submissions ({copies} per exercise)")
        errors: list[str] = []

        def execute_all(label: str) -> float:
            # Wall time of the whole loop, kernel shut-downs included, as the grader's time includes its own.
            # (Wall time only: CPU time cannot be compared, because the grader's sandboxed kernels live in
            # their own PID namespace and are not reaped into this process's RUSAGE_CHILDREN.)
            start = time.perf_counter()
            for i, path in enumerate(submissions, 1):
                try:
                    run = run_notebook_file(path, timeout=timeout, measure_memory=False)
                except Exception as error:  # noqa: BLE001 - recorded, grading goes on
                    run = Run(seconds=0.0, kernel_start=0.0, peak_mib=0.0, error=f"{type(error).__name__}: {error}")
                if run.error and label == "A":
                    errors.append(f"{path.parent.name}/{path.name}: {run.error}")
                _say(f"  execute ({label}) [{i}/{n}] {path.parent.name}/{path.name}: {run.seconds:.1f} s")
            return time.perf_counter() - start

        def grade_all(j: int) -> dict:
            out = workdir / f"results_jobs{j}"
            log = workdir / f"grade_jobs{j}.log"
            command = [sys.executable, "-m", grader, str(workdir / "submissions"), "--out", str(out), "--jobs", str(j)]
            _say(f"grading with --jobs {j} ...")
            start = time.perf_counter()
            with log.open("wb") as handle:
                completed = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(workdir))
            seconds = time.perf_counter() - start
            grades = _read_grades(out)
            entry = {"seconds": seconds, "returncode": completed.returncode, **grades}
            if completed.returncode != 0:
                entry["log_tail"] = log.read_text(encoding="utf-8", errors="replace")[-1500:]
            _say(f"  --jobs {j}: {seconds:.1f} s, exit {completed.returncode}, {grades['rows']} rows, {len(grades['problems'])} not full marks")
            return entry

        # A-B-A: plain execution before and after the first grading run, so that a change in the
        # machine's load during the measurement shows, and the ratio uses the mean of the two.
        jobs = tuple(jobs)
        results: dict[int, dict] = {}
        before = execute_all("A")
        if jobs:
            results[jobs[0]] = grade_all(jobs[0])
        after = execute_all("B")
        for j in jobs[1:]:
            results[j] = grade_all(j)
        result = {
            "bwrap": shutil.which("bwrap") is not None,
            "submissions": n,
            "copies": copies,
            "execute_before": before,
            "execute_after": after,
            "execute_seconds": (before + after) / 2,
            "execute_errors": errors,
            "jobs": results,
        }
        return result
    finally:
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- #
# The whole benchmark
# --------------------------------------------------------------------------- #


def _versions() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    rows = []
    for name in VERSIONS:
        try:
            rows.append((name, version(name)))
        except PackageNotFoundError:
            rows.append((name, "not installed"))
    return rows


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    import psutil

    try:
        load = os.getloadavg()
    except OSError:
        load = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", False
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cpu": _cpu_model(),
        "memory_gib": psutil.virtual_memory().total / 2**30,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load": load,
        "threads": {k: os.environ.get(k, "(not set)") for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "versions": _versions(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def find_notebooks(root: Path) -> list[Path]:
    found = []
    for folder in ("notebooks", "solutions", "exercises"):
        found += sorted((root / folder).glob("*.ipynb"))
    return found


def _ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def _fmt(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


@dataclass
class Report:
    machine: dict
    floors: list[Run] = field(default_factory=list)
    notebooks: list[tuple[str, Run]] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    check_notes: list[str] = field(default_factory=list)
    grading: dict = field(default_factory=dict)
    threads: list[dict] = field(default_factory=list)
    total_seconds: float = 0.0
    load_after: Any = None

    @property
    def floor(self) -> float | None:
        return statistics.median(r.seconds for r in self.floors) if self.floors else None

    @property
    def floor_peak(self) -> float | None:
        return statistics.median(r.peak_mib for r in self.floors) if self.floors else None

    # -- budgets ------------------------------------------------------------ #
    def budget_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        measured_notebooks = [(n, r) for n, r in self.notebooks if math.isfinite(r.seconds)]
        if measured_notebooks:
            seconds = [r.seconds for _, r in measured_notebooks]
            slowest = max(measured_notebooks, key=lambda item: item[1].seconds)
            heaviest = max(measured_notebooks, key=lambda item: item[1].peak_mib)
            over = [n for n, r in self.notebooks if r.seconds > BUDGET_NOTEBOOK_S]
            rows.append(
                (
                    f"each notebook ≤ {BUDGET_NOTEBOOK_S:g} s",
                    f"slowest {slowest[1].seconds:.1f} s ({slowest[0]})" + (f"; over: {', '.join(over)}" if over else ""),
                    "holds" if not over else "BROKEN",
                )
            )
            median = statistics.median(seconds)
            rows.append((f"median notebook ≤ {BUDGET_MEDIAN_S:g} s", f"{median:.1f} s over {len(seconds)} notebooks", "holds" if median <= BUDGET_MEDIAN_S else "BROKEN"))
            over_mem = [n for n, r in self.notebooks if r.peak_mib > BUDGET_PEAK_MIB]
            rows.append(
                (
                    f"peak kernel memory ≤ {BUDGET_PEAK_MIB / 1024:g} GiB",
                    f"largest {heaviest[1].peak_mib:.0f} MiB ({heaviest[0]})" + (f"; over: {', '.join(over_mem)}" if over_mem else ""),
                    "holds" if not over_mem else "BROKEN",
                )
            )
        if self.notebooks:
            errors = [n for n, r in self.notebooks if r.error]
            rows.append(("every notebook runs without error", f"{len(errors)} failed" + (f": {', '.join(errors)}" if errors else ""), "holds" if not errors else "BROKEN"))
        measured = [c for c in self.checks if "samples_ms" in c]
        if measured:
            worst = max(measured, key=lambda c: max(c["samples_ms"]))
            over = sorted({f"{c['exercise']}.{c['question']}" for c in measured if max(c["samples_ms"]) > BUDGET_CHECK_MS})
            rows.append(
                (
                    f"every check() ≤ {BUDGET_CHECK_MS:g} ms (max over calls, the first included)",
                    f"slowest {_ms(max(worst['samples_ms']))} ms ({worst['exercise']}.{worst['question']}, {worst['answer']} answer)"
                    + (f"; over: {', '.join(over)}" if over else ""),
                    "holds" if not over else "BROKEN",
                )
            )
        jobs1 = self.grading.get("jobs", {}).get(1)
        if jobs1 and self.grading.get("execute_seconds"):
            ratio = jobs1["seconds"] / self.grading["execute_seconds"]
            rows.append((f"grading ≤ {BUDGET_GRADING_RATIO:g}× plain execution", f"{ratio:.2f}× (--jobs 1)", "holds" if ratio <= BUDGET_GRADING_RATIO else "BROKEN"))
        elif "skipped" in self.grading:
            rows.append((f"grading ≤ {BUDGET_GRADING_RATIO:g}× plain execution", "not measured: " + self.grading["skipped"], "–"))
        if self.threads:
            worst = max(self.threads, key=lambda t: t["ratio"] if math.isfinite(t["ratio"]) else math.inf)
            failed = [t["notebook"] for t in self.threads if t["error"]]
            holds = not failed and all(t["ratio"] <= BUDGET_THREADS_RATIO for t in self.threads)
            rows.append((
                f"library-default threads ≤ {BUDGET_THREADS_RATIO:g}× one thread",
                f"worst {worst['ratio']:.2f}× ({worst['notebook']}: {worst['default_seconds']:.1f} s vs {worst['single_seconds']:.1f} s)"
                + (f"; failed: {', '.join(failed)}" if failed else ""),
                "holds" if holds else "BROKEN",
            ))
        return rows

    def broken(self) -> bool:
        return any(status == "BROKEN" for _, _, status in self.budget_rows())

    # -- writing -------------------------------------------------------------- #
    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        with (out / "notebooks.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["notebook", "seconds", "peak_mib"])
            for name, run in self.notebooks:
                writer.writerow([name, f"{run.seconds:.2f}", f"{run.peak_mib:.0f}"])
        with (out / "checks.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["exercise", "question", "median_ms", "max_ms", "answer", "status"])
            for c in self.checks:
                if "samples_ms" in c:
                    writer.writerow([c["exercise"], c["question"], f"{statistics.median(c['samples_ms']):.3f}", f"{max(c['samples_ms']):.3f}", c["answer"], c["status"]])
        with (out / "grading.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["what", "jobs", "submissions", "seconds", "submissions_per_minute", "ratio_to_execute"])
            g = self.grading
            if g.get("execute_seconds"):
                n = g["submissions"]
                for what, seconds in (("execute A (nbclient, before)", g["execute_before"]), ("execute B (nbclient, after)", g["execute_after"]), ("execute (mean of A and B)", g["execute_seconds"])):
                    writer.writerow([what, 1, n, f"{seconds:.1f}", f"{60 * n / seconds:.1f}", f"{seconds / g['execute_seconds']:.2f}"])
                for j, entry in g["jobs"].items():
                    writer.writerow(["grade", j, n, f"{entry['seconds']:.1f}", f"{60 * n / entry['seconds']:.1f}", f"{entry['seconds'] / g['execute_seconds']:.2f}"])
        with (out / "threads.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["notebook", "single_seconds", "default_seconds", "ratio"])
            for t in self.threads:
                writer.writerow([t["notebook"], f"{t['single_seconds']:.2f}", f"{t['default_seconds']:.2f}", f"{t['ratio']:.3f}"])
        self.write_chart(out / "bench.png")
        (out / "results.md").write_text(self.markdown(), encoding="utf-8")

    def markdown(self) -> str:
        m = self.machine
        floor = self.floor
        lines = ["# Benchmark results", ""]
        lines += [
            f"Measured by `make bench` on {m['date']}, commit {m['commit'] or 'unknown'}, in {self.total_seconds / 60:.1f} min.",
            "",
            "## The machine",
            "",
            f"- cores: {m['cores_logical']} logical, {m['cores_physical']} physical ({m['cpu']}); memory {m['memory_gib']:.0f} GiB",
            f"- load average (1, 5, 15 min): before {_load(m['load'])}, after {_load(self.load_after)}",
            f"- Python {m['python']} on {m['platform']}",
            "- threads: " + ", ".join(f"{k}={v}" for k, v in m["threads"].items()),
            "- " + ", ".join(f"{name} {v}" for name, v in m["versions"]),
            "",
        ]
        # The load before the run is other people's work (the run itself keeps one or two cores busy).
        if m["load"] and m["load"][0] > 1.0:
            lines += [
                f"**The machine was busy** (1-minute load {m['load'][0]:.1f} on {m['cores_logical']} cores before the run "
                "started): wall times are inflated and this run is not a record; the CPU seconds are the steadier figures.",
                "",
            ]
        lines += [
            "## Budgets",
            "",
            "| budget | measured | verdict |",
            "|---|---|---|",
        ]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in self.budget_rows()]
        lines += ["", "## The floor", ""]
        if self.floors:
            lines += [
                "A fresh kernel started and the course's libraries imported (numpy, pandas, sklearn, imblearn, "
                "matplotlib, seaborn, course_utils), measured at the start, middle and end of the run. Figures below "
                "given as `× floor` are multiples of the median.",
                "",
                "| when | total s | kernel start s | imports s | CPU s | peak MiB |",
                "|---|---|---|---|---|---|",
            ]
            labels = ["start", "middle", "end"] + [f"run {i}" for i in range(4, len(self.floors) + 1)]
            for label, run in zip(labels, self.floors):
                lines.append(
                    f"| {label} | {run.seconds:.2f} | {run.kernel_start:.2f} | {run.seconds - run.kernel_start:.2f} | "
                    f"{_fmt(run.cpu_seconds)} | {run.peak_mib:.0f} |"
                )
            lines.append(f"| **median** | **{floor:.2f}** | | | | **{self.floor_peak:.0f}** |")
        lines += ["", "## Notebooks", ""]
        if self.notebooks:
            lines += [
                "Each executed top to bottom in a fresh kernel with nbclient. *seconds*: from the kernel start request "
                "to the end of the last cell. *CPU s*: user + system time of the kernel and its children (less "
                "sensitive to a busy machine than wall time). *peak MiB*: peak RSS of the kernel process (exact "
                "high-water mark `VmHWM`, or the sampled sum over the kernel and its descendants if larger).",
                "",
                "| notebook | seconds | × floor | CPU s | peak MiB | verdict |",
                "|---|---|---|---|---|---|",
            ]
            for name, run in self.notebooks:
                verdict = []
                if run.error:
                    verdict.append(f"error: {run.error}")
                if run.seconds > BUDGET_NOTEBOOK_S:
                    verdict.append("too slow")
                if run.peak_mib > BUDGET_PEAK_MIB:
                    verdict.append("too much memory")
                ratio = f"{run.seconds / floor:.1f}" if floor else "–"
                lines.append(f"| {name} | {run.seconds:.1f} | {ratio} | {_fmt(run.cpu_seconds)} | {run.peak_mib:.0f} | {'; '.join(verdict) or 'ok'} |")
            lines.append("")
            by_kind: dict[str, list[float]] = {}
            for name, run in self.notebooks:
                if math.isfinite(run.seconds):
                    by_kind.setdefault(name.split("/")[0], []).append(run.seconds)
            seconds = [r.seconds for _, r in self.notebooks if math.isfinite(r.seconds)]
            summary = ", ".join(f"{kind} {statistics.median(v):.1f} s" for kind, v in by_kind.items())
            lines.append(f"Median {statistics.median(seconds or [0.0]):.1f} s over {len(seconds)} notebooks ({summary}); total {sum(seconds):.0f} s.")
        else:
            lines.append("No notebooks found.")
        lines += ["", "## Feedback latency", ""]
        measured = [c for c in self.checks if "samples_ms" in c]
        lines += [
            "Every question's `check()` timed in the kernel of its solution notebook, after the notebook ran: "
            "with the solution's own values (read by the names in `Question.variables`; the first call the notebook "
            "itself made, when the caches were cold, is included and shown as *first*), and with a wrong answer made "
            "from it (a number moved, another option, the first array value moved, a fitted majority "
            "`DummyClassifier` for a held-out score, an unfitted clone or a `DummyClassifier` for an estimator, a "
            "function whose outputs are moved). Lesson prompts (`pN`) likewise in their lesson's kernel, with the "
            "right and a wrong option.",
            "",
        ]
        if measured:
            lines += ["| question | kind | answer | status | calls | median ms | max ms | first ms |", "|---|---|---|---|---|---|---|---|"]
            for c in measured:
                flag = " ⚠" if max(c["samples_ms"]) > BUDGET_CHECK_MS else ""
                lines.append(
                    f"| {c['exercise']}.{c['question']} | {c['kind']} | {c['answer']} ({c['how']}) | {c['status']} | "
                    f"{len(c['samples_ms'])} | {_ms(statistics.median(c['samples_ms']))} | {_ms(max(c['samples_ms']))}{flag} | {_ms(c.get('first_ms'))} |"
                )
            odd = [c for c in measured if (c["answer"] == "solution") != (c["status"] == "correct")]
            if odd:
                lines += ["", "Unexpected verdicts (a solution not correct, or a wrong answer passing): "
                          + ", ".join(f"{c['exercise']}.{c['question']} {c['answer']} → {c['status']}" for c in odd)]
        else:
            lines.append("No check was measured.")
        if self.check_notes:
            lines += [""] + [f"- {note}" for note in self.check_notes]
        lines += ["", "## Grading cost", ""]
        g = self.grading
        if "skipped" in g:
            lines.append(f"Not measured: {g['skipped']}.")
        elif g:
            n = g["submissions"]
            lines += [
                f"{n} submissions ({g['copies']} correct copies of each solution, one folder per student), executed one "
                "after another with nbclient (the floor of grading), and graded with "
                "`python -m course_utils.grade SUBMISSIONS --out RESULTS --jobs J` into a fresh RESULTS folder, with its "
                f"default options (bubblewrap {'installed' if g.get('bwrap') else 'not installed'} on this machine).",
                "",
                "Wall time of the whole batch in both cases (process start-up and kernel shut-downs included). Plain "
                f"execution ran just before (A: {g.get('execute_before', 0):.1f} s) and just after "
                f"(B: {g.get('execute_after', 0):.1f} s) `--jobs {next(iter(g['jobs']), 1)}`; the baseline is their mean, "
                "and a large gap between A and B means the machine's load changed during the measurement. The grader's "
                "fixed start-up cost is spread over the N submissions, so the ratio shrinks as N grows.",
                "",
                "| what | seconds | submissions / min | × plain execution | graded rows | not full marks |",
                "|---|---|---|---|---|---|",
                f"| execute with nbclient (mean of A and B) | {g['execute_seconds']:.1f} | {60 * n / g['execute_seconds']:.1f} | 1.00 | | |",
            ]
            for j, e in g["jobs"].items():
                lines.append(
                    f"| grade --jobs {j} | {e['seconds']:.1f} | {60 * n / e['seconds']:.1f} | {e['seconds'] / g['execute_seconds']:.2f} | "
                    f"{e['rows']} | {len(e['problems'])} |"
                )
            if g.get("execute_errors"):
                lines += ["", "Plain execution errors: " + "; ".join(g["execute_errors"])]
            for j, e in g["jobs"].items():
                if e["returncode"] != 0:
                    lines += ["", f"`--jobs {j}` exited with {e['returncode']}; end of its log:", "", "```", e.get("log_tail", ""), "```"]
                if e["problems"]:
                    lines += ["", f"`--jobs {j}`, submissions without full marks: " + "; ".join(e["problems"][:20])]
        lines += ["", "## Threads", ""]
        if self.threads:
            lines += [
                "Each lesson run in a fresh kernel with `OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS` and `MKL_NUM_THREADS` "
                "set to 1, then with them removed, as in a plain `jupyter lab`, Colab or nbconvert (where only the "
                "setup cell's `import course_utils` limits the threads).",
                "",
                "| lesson | one thread (s) | library defaults (s) | ratio |",
                "|---|---|---|---|",
            ]
            for t in self.threads:
                lines.append(f"| {t['notebook']} | {t['single_seconds']:.1f} | {t['default_seconds']:.1f} | {t['ratio']:.2f}"
                             + (f" (error: {t['error']})" if t["error"] else "") + " |")
        else:
            lines.append("Not measured.")
        lines += ["", "![benchmark chart](bench.png)", ""]
        return "\n".join(lines)

    def write_chart(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
        import matplotlib.ticker
        from matplotlib.patches import Patch

        names = [n for n, _ in self.notebooks]
        measured = [c for c in self.checks if "samples_ms" in c]
        check_labels = sorted({f"{c['exercise']}.{c['question']}" for c in measured})
        height = max(4.0, 0.28 * max(len(names), len(check_labels), 1) + 1.5)
        fig, axes = plt.subplots(1, 3, figsize=(17, height), gridspec_kw={"width_ratios": [1.2, 1, 1]})
        colors = {"notebooks": "#0072B2", "solutions": "#009E73", "exercises": "#E69F00"}
        y = list(range(len(names)))[::-1]
        if names:
            bar_colors = ["#D55E00" if r.error else colors.get(n.split("/")[0], "#999999") for n, r in self.notebooks]
            ax = axes[0]
            ax.barh(y, [r.seconds for _, r in self.notebooks], color=bar_colors)
            ax.set_yticks(y, names, fontsize=8)
            ax.axvline(BUDGET_NOTEBOOK_S, color="#D55E00", ls="-", lw=1, label=f"budget {BUDGET_NOTEBOOK_S:g} s")
            ax.axvline(BUDGET_MEDIAN_S, color="#D55E00", ls="--", lw=1, label=f"median budget {BUDGET_MEDIAN_S:g} s")
            median = statistics.median([r.seconds for _, r in self.notebooks if math.isfinite(r.seconds)] or [0.0])
            ax.axvline(median, color="black", ls="--", lw=1, label=f"median {median:.1f} s")
            if self.floor:
                ax.axvline(self.floor, color="#999999", ls=":", lw=1.5, label=f"floor {self.floor:.1f} s")
            ax.set_xlabel("wall time, fresh kernel (s)")
            ax.set_title("Notebook run time")
            handles, _ = ax.get_legend_handles_labels()
            if any(r.error for _, r in self.notebooks):
                handles.append(Patch(color="#D55E00", label="failed (time until the error)"))
            ax.legend(handles=handles, fontsize=8, loc="lower right")
            ax = axes[1]
            ax.barh(y, [r.peak_mib for _, r in self.notebooks], color=bar_colors)
            ax.set_yticks(y, [""] * len(names))
            ax.axvline(BUDGET_PEAK_MIB, color="#D55E00", lw=1, label="budget 1 GiB")
            if self.floor_peak:
                ax.axvline(self.floor_peak, color="#999999", ls=":", lw=1.5, label=f"floor {self.floor_peak:.0f} MiB")
            ax.set_xlabel("peak RSS of the kernel (MiB)")
            ax.set_title("Notebook memory")
            ax.legend(fontsize=8, loc="lower right")
        else:
            axes[0].text(0.5, 0.5, "no notebooks", ha="center")
            axes[1].set_axis_off()
        ax = axes[2]
        if check_labels:
            cy = {label: i for i, label in enumerate(check_labels[::-1])}
            for answer, color, offset in (("solution", "#009E73", 0.2), ("wrong", "#D55E00", -0.2)):
                rows = [c for c in measured if c["answer"] == answer]
                ys = [cy[f"{c['exercise']}.{c['question']}"] + offset for c in rows]
                ax.barh(ys, [max(c["samples_ms"]) for c in rows], height=0.4, color=color, alpha=0.45, label=f"{answer}: max")
                ax.scatter([statistics.median(c["samples_ms"]) for c in rows], ys, color=color, s=10, zorder=3, label=f"{answer}: median")
            ax.set_yticks(range(len(check_labels)), check_labels[::-1], fontsize=7)
            ax.set_xscale("log")
            ax.axvline(BUDGET_CHECK_MS, color="#D55E00", lw=1, label=f"budget {BUDGET_CHECK_MS:g} ms")
            ax.set_xlabel("check() time (ms, log scale)")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            smallest = min(min(c["samples_ms"]) for c in measured)
            ax.set_xlim(left=max(smallest / 2, 1e-3), right=max(BUDGET_CHECK_MS * 2, max(max(c["samples_ms"]) for c in measured) * 1.5))
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.7 / (height - 1.0)), ncol=3)
        else:
            ax.text(0.5, 0.5, "no checks measured", ha="center")
        ax.set_title("Feedback latency")
        fig.suptitle(f"make bench, {self.machine['date']}, {self.machine['cores_logical']} cores", fontsize=11)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height))
        fig.savefig(path, dpi=90, bbox_inches="tight")
        plt.close(fig)


def _load(load) -> str:
    return "–" if not load else ", ".join(f"{x:.2f}" for x in load)


def run_benchmark(
    *,
    root: Path = ROOT,
    out: Path | None = None,
    repeats: int = 7,
    copies: int = 2,
    floor_runs: int = 3,
    jobs: tuple[int, ...] = (1, 2),
    grading: bool = True,
    timeout: int = 300,
    checkers: str = "course_utils.exercises",
    grader: str = "course_utils.grade",
    match: str | None = None,
    threads: bool = True,
) -> Report:
    """Run every measurement once; write the results under ``out`` if given."""
    from .notebooks import exercise_key

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    started = time.perf_counter()
    report = Report(machine=machine_info())
    notebooks = [p for p in find_notebooks(root) if match is None or match in str(p.relative_to(root))]
    # Floors: at the start, half-way through the notebooks, and at the very end.
    middle_at = len(notebooks) // 2 if len(notebooks) >= 2 else len(notebooks)

    def floor_now(label: str) -> None:
        run = measure_floor(timeout)
        report.floors.append(run)
        _say(f"floor ({label}): {run.seconds:.2f} s (kernel {run.kernel_start:.2f} s), peak {run.peak_mib:.0f} MiB")

    _say(f"{len(notebooks)} notebooks, {repeats} check calls per answer, {copies} copies per exercise for grading")
    if floor_runs >= 1:
        floor_now("start")
    for i, path in enumerate(notebooks):
        if i == middle_at and floor_runs >= 2:
            floor_now("middle")
        rel = path.relative_to(root).as_posix()
        kind = rel.split("/")[0]
        key = exercise_key(path)
        has_checker = key is not None and importlib.util.find_spec(f"{checkers}.{key}") is not None
        after, inject = [], None
        if has_checker and kind in ("solutions", "notebooks"):
            inject = _RECORDER
            after = [_probe_code(key, repeats, "questions" if kind == "solutions" else "prompts", checkers)]
        try:
            run = run_notebook_file(path, timeout=timeout, inject_after_setup=inject, after=after)
        except Exception as error:  # a notebook that cannot even start is a row, not a crash
            run = Run(seconds=float("nan"), kernel_start=float("nan"), peak_mib=float("nan"), error=f"{type(error).__name__}: {error}")
        report.notebooks.append((rel, run))
        status = f"ERROR {run.error}" if run.error else "ok"
        _say(f"[{i + 1}/{len(notebooks)}] {rel}: {run.seconds:.1f} s, peak {run.peak_mib:.0f} MiB, {status}")
        if after:
            rows = _parse_probe(run.extra_outputs[0]) if run.extra_outputs else None
            if rows is None:
                report.check_notes.append(f"{rel}: checks not measured ({run.error or 'the measuring cell failed'}).")
                continue
            for row in rows:
                row["exercise"] = key
                if "missing" in row:
                    report.check_notes.append(f"{key}.{row['question']}: {rel} does not define {', '.join(row['missing'])}.")
                else:
                    report.checks.append(row)
            worst = max((max(r["samples_ms"]) for r in rows if "samples_ms" in r), default=0.0)
            _say(f"    {sum('samples_ms' in r for r in rows)} check series, slowest call {_ms(worst)} ms")
        elif kind == "solutions" and not has_checker:
            report.check_notes.append(f"{rel}: no checker module `{checkers}.{key}`.")
    if middle_at == len(notebooks) and floor_runs >= 2:
        floor_now("middle")
    if grading:
        solutions = [p for p in notebooks if p.relative_to(root).parts[0] == "solutions"]
        report.grading = bench_grading(solutions, copies=copies, jobs=jobs, timeout=timeout, grader=grader)
        if "skipped" in report.grading:
            _say(f"grading skipped: {report.grading['skipped']}")
    else:
        report.grading = {"skipped": "grading was not requested (--skip-grading)"}
    if threads:
        report.threads = measure_threads(root, timeout=timeout)
    if floor_runs >= 3:
        floor_now("end")
    try:
        report.load_after = os.getloadavg()
    except OSError:
        pass
    report.total_seconds = time.perf_counter() - started
    if out is not None:
        report.write(out)
        _say(f"wrote {out}/results.md, notebooks.csv, checks.csv, grading.csv, bench.png in {report.total_seconds:.0f} s")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.authoring.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="course folder (default: this checkout)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/bench)")
    parser.add_argument("--repeats", type=int, default=7, help="check() calls per answer (default 7)")
    parser.add_argument("--copies", type=int, default=2, help="graded copies of each solution (default 2)")
    parser.add_argument("--floor-runs", type=int, default=3, choices=[0, 1, 2, 3], help="floor measurements (default 3)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="grader --jobs values (default 1 2)")
    parser.add_argument("--skip-grading", action="store_true", help="do not measure grading cost")
    parser.add_argument("--skip-threads", action="store_true", help="do not time lessons with library-default threads")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds (default 300)")
    parser.add_argument("--checkers", default="course_utils.exercises", help=argparse.SUPPRESS)
    parser.add_argument("--grader", default="course_utils.grade", help=argparse.SUPPRESS)
    parser.add_argument("--match", default=None, help="only notebooks whose path contains this text")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a notebook fails or a budget is broken")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    report = run_benchmark(
        root=root,
        out=(args.out or root / "bench"),
        repeats=args.repeats,
        copies=args.copies,
        floor_runs=args.floor_runs,
        jobs=tuple(args.jobs),
        grading=not args.skip_grading,
        timeout=args.timeout,
        checkers=args.checkers,
        grader=args.grader,
        match=args.match,
        threads=not args.skip_threads,
    )
    for budget, measured, verdict in report.budget_rows():
        _say(f"{verdict:>7}  {budget}: {measured}")
    return 1 if args.strict and report.broken() else 0


if __name__ == "__main__":
    sys.exit(main())
