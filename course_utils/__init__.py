"""Companion package of the course *Imbalanced classification, hands-on*.

Modules
-------
data
    Toy, generated and real imbalanced datasets, all offline.
plots
    The course's charts, in one colour-blind-safe palette.
checks
    The auto-checked questions behind ``check()``, ``hint()`` and ``solution()``.
exercises
    One module per exercise notebook: ``from course_utils.exercises import ex02``.

The instructor's grader lives in the sub-package ``grading`` and the course author's tools
(exercise generation, Colab badges, the benchmark) in ``authoring``. Neither is imported by the
learner's modules.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["show_versions", "__version__"]

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
        f"OMP_NUM_THREADS: {os.environ.get('OMP_NUM_THREADS', '(not set)')}",
    ]
    for name in _PACKAGES:
        try:
            lines.append(f"{name:<16}: {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name:<16}: not installed")
    print("\n".join(lines))
