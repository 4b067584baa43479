"""Every kernel is single-threaded once ``course_utils`` is imported, whatever the import order.

A learner's kernel in a plain ``jupyter lab``, Colab or nbconvert has no ``OMP_NUM_THREADS``:
these tests start a fresh Python with the thread variables *removed* and read the real thread
pools with ``threadpoolctl.threadpool_info()`` (numpy's BLAS and scikit-learn's OpenMP), and what
scikit-learn's ``HistGradientBoosting`` would actually use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")

IMPORTS = {
    "libraries first": "import numpy, sklearn.ensemble, sklearn.linear_model\nimport course_utils\n",
    "course_utils first": "import course_utils\nimport numpy, sklearn.ensemble, sklearn.linear_model\n",
    "without course_utils": "import numpy, sklearn.ensemble, sklearn.linear_model\n",
}

REPORT = """
import json, os
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from threadpoolctl import threadpool_info

X = np.random.default_rng(0).normal(size=(200, 3))
HistGradientBoostingClassifier(max_iter=3).fit(X, X[:, 0] > 0)  # OpenMP really used
np.ones((64, 64)) @ np.ones((64, 64))  # BLAS really used
print(json.dumps({
    "pools": [[p["user_api"], p["filepath"], p["num_threads"]] for p in threadpool_info()],
    "sklearn_openmp": _openmp_effective_n_threads(),
    "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
}))
"""


def _run(imports: str, extra_env: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, "-c", imports + REPORT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_threads():
    """What the libraries use on their own here (more than one thread only on a multi-core machine)."""
    return _run(IMPORTS["without course_utils"])


@pytest.mark.parametrize("order", ["libraries first", "course_utils first"])
def test_importing_course_utils_limits_every_pool_to_one_thread(order, default_threads):
    report = _run(IMPORTS[order])
    assert {"blas", "openmp"} <= {api for api, _path, _n in report["pools"]}, report  # both kinds loaded and seen
    assert {n for _api, _path, n in report["pools"]} == {1}, report
    assert report["sklearn_openmp"] == 1, report
    assert report["env"] == dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
    if (os.cpu_count() or 1) > 1:  # the limit changed something: without it, the pools are larger
        assert max(n for _api, _path, n in default_threads["pools"]) > 1, default_threads
        assert default_threads["sklearn_openmp"] > 1, default_threads


def test_a_learner_who_sets_omp_num_threads_keeps_it():
    report = _run(IMPORTS["libraries first"], {"OMP_NUM_THREADS": "2"})
    assert {n for _api, _path, n in report["pools"]} == {2}, report
    assert report["env"]["OPENBLAS_NUM_THREADS"] == "2"


def test_show_versions_reports_the_thread_pools(capsys):
    import course_utils

    course_utils.show_versions()
    text = capsys.readouterr().out
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "thread pools"):
        assert name in text, text


# --------------------------------------------------------------------------- #
# The benchmark's threads measurement (machinery only: no wall-clock assertion)
# --------------------------------------------------------------------------- #


def test_bench_runs_a_lesson_with_one_thread_then_with_library_defaults(tmp_path):
    import nbformat

    from course_utils.authoring import bench

    seen = tmp_path / "seen.txt"
    record = f"import os\nwith open({str(seen)!r}, 'a') as f: f.write(str(os.environ.get('OMP_NUM_THREADS')) + ' ')\n"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(record),
        nbformat.v4.new_code_cell("import course_utils\n" + record + "with open(f.name, 'a') as f: f.write('\\n')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    lesson = tmp_path / "course" / "notebooks" / "05_lesson.ipynb"
    lesson.parent.mkdir(parents=True)
    nbformat.write(nb, lesson)

    rows = bench.measure_threads(tmp_path / "course", ["notebooks/05_lesson.ipynb", "notebooks/missing.ipynb"], timeout=120)

    assert [r["notebook"] for r in rows] == ["notebooks/05_lesson.ipynb"]
    row = rows[0]
    assert row["error"] is None and row["single_seconds"] > 0 and row["default_seconds"] > 0
    assert row["ratio"] == pytest.approx(row["default_seconds"] / row["single_seconds"])
    # The first run saw one thread; the second saw no variable until course_utils set it.
    assert seen.read_text().split("\n")[:2] == ["1 1 ", "None 1 "]


def test_bench_thread_env_removes_or_sets_every_variable(monkeypatch):
    from course_utils.authoring import bench

    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    assert not set(bench.THREAD_VARIABLES) & set(bench.thread_env(None))
    assert {bench.thread_env(1)[k] for k in bench.THREAD_VARIABLES} == {"1"}


@pytest.mark.parametrize("ratio,verdict", [(1.2, "holds"), (1.5, "holds"), (2.0, "BROKEN")])
def test_bench_budget_row_for_threads(ratio, verdict):
    from course_utils.authoring import bench

    report = bench.Report(machine={}, threads=[
        {"notebook": "notebooks/05_pitfalls.ipynb", "single_seconds": 4.0, "default_seconds": 4.0 * ratio, "ratio": ratio, "error": None},
        {"notebook": "notebooks/06_production_pipelines.ipynb", "single_seconds": 4.0, "default_seconds": 4.0, "ratio": 1.0, "error": None},
    ])
    row = next(r for r in report.budget_rows() if "threads" in r[0])
    assert row[2] == verdict and "05_pitfalls" in row[1]
