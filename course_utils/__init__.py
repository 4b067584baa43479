"""Companion package of the course *Imbalanced classification, hands-on*.

Modules
-------
data
    Toy, generated and real imbalanced datasets, all offline.
plots
    The course's charts, in one colour-blind-safe palette.
evaluation
    The course's one rule for comparing models: the same repeated folds, paired differences.
checks
    The auto-checked questions behind ``check()``, ``hint()`` and ``solution()``.
exercises
    One module per exercise notebook: ``from course_utils.exercises import ex02``.

The instructor's grader lives in the sub-package ``grading`` and the course author's tools
(exercise generation, Colab badges, the benchmark) in ``authoring``. Neither is imported by the
learner's modules.

Importing ``course_utils`` makes the kernel single-threaded for BLAS and OpenMP (see
:func:`limit_threads`), wherever it runs: a plain ``jupyter lab``, Colab, nbconvert or ``make lab``.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["show_versions", "limit_threads", "__version__"]

#: Environment variables read by OpenMP, OpenBLAS and MKL when they load.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "imbalanced-learn",
    "matplotlib",
    "seaborn",
    "ipykernel",
    "jupyterlab",
    "notebook",
    "nbclient",
    "nbformat",
)


def limit_threads() -> int:
    """Make BLAS and OpenMP use one thread (or ``OMP_NUM_THREADS`` when the learner set it).

    With library-default threads, a lesson can run 15 times slower on a shared 2-core machine
    (Colab, Binder), because OpenMP threads spin-wait for a core they do not get. Two steps, so
    that the order of imports does not matter:

    * the environment variables, for libraries not loaded yet (they read them when they load);
    * ``threadpoolctl.threadpool_limits``, for libraries already loaded (numpy's BLAS, and
      scikit-learn's OpenMP when ``sklearn`` was imported before ``course_utils``).

    Returns
    -------
    int
        The number of threads now allowed.
    """
    import os

    try:
        limit = max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        limit = 1
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(limit))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn depends on it; without it only the variables apply
        return limit
    threadpool_limits(limits=limit)
    return limit


def _thread_report() -> str:
    """The thread pools loaded in this process and their sizes, for :func:`show_versions`."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    pools = sorted({f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()})
    return ", ".join(pools) or "none loaded yet"


def _environment() -> str:
    import os
    import sys

    if "google.colab" in sys.modules:
        return "Google Colab"
    if os.environ.get("BINDER_SERVICE_HOST") or os.environ.get("BINDER_REQUEST"):
        return "Binder"
    return "local"


def show_versions() -> None:
    """Print what a bug report needs: platform, Python, library versions, thread limits."""
    import os
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError, version

    lines = [
        f"course_utils: {__version__}",
        f"environment : {_environment()}",
        f"python      : {sys.version.split()[0]} ({sys.executable})",
        f"platform    : {platform.platform()}",
        f"cpu count   : {os.cpu_count()}",
        *(f"{name:<20}: {os.environ.get(name, '(not set)')}" for name in THREAD_VARIABLES),
        f"thread pools        : {_thread_report()} (importing course_utils limits them)",
    ]
    for name in _PACKAGES:
        try:
            lines.append(f"{name:<16}: {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name:<16}: not installed")
    print("\n".join(lines))


limit_threads()
