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
