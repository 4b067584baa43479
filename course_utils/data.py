"""Datasets for the course: 2-D toys for pictures, a controlled generator, and real data.

Everything here works offline. The real datasets ship with the package as CSV files
(see ``course_utils/datasets/README.md`` for provenance and licence). In every dataset the
minority (positive) class is labelled 1 and the majority class 0.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_moons
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "make_imbalanced",
    "make_toy_2d",
    "load_dataset",
    "load_yeast4",
    "load_abalone19",
    "load_ecoli4",
    "list_datasets",
    "imbalance_ratio",
    "load_yeast",
    "load_page_blocks",
    "PAGE_BLOCKS_COSTS",
]

_DATA_DIR = Path(__file__).resolve().parent / "datasets"
_REAL = {
    "yeast4": (
        "Yeast proteins (UCI Yeast, KEEL imbalanced version 'yeast4'): 8 numeric scores "
        "computed from the amino-acid sequence. Positive = localisation class ME2 "
        "(membrane protein, uncleaved signal); negative = all other classes."
    ),
    "abalone19": (
        "Abalone shellfish (UCI Abalone, KEEL imbalanced version 'abalone19'): sex (M/F/I) and "
        "7 physical measurements. Positive = 19 rings (a rare age); negative = all other ages. "
        "Extremely imbalanced and hard: the classes overlap almost completely."
    ),
    "ecoli4": (
        "E. coli proteins (UCI Ecoli, KEEL imbalanced version 'ecoli4'): 7 numeric scores. "
        "Positive = localisation class 'om' (outer membrane); negative = all other classes."
    ),
}


def imbalance_ratio(y) -> float:
    """Imbalance ratio: size of the largest class divided by the size of the smallest.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.

    Returns
    -------
    float
    """
    _, counts = np.unique(np.asarray(y), return_counts=True)
    return float(counts.max() / counts.min())


def _split_counts(n_samples: int, imbalance_ratio: float) -> tuple[int, int]:
    if imbalance_ratio < 1:
        raise ValueError(f"imbalance_ratio must be >= 1, got {imbalance_ratio}")
    n_minority = max(int(round(n_samples / (1 + imbalance_ratio))), 2)
    return n_samples - n_minority, n_minority


def _flip_labels(y: np.ndarray, label_noise: float, rng) -> np.ndarray:
    """Swap labels of a fraction of the minority class with as many majority samples.

    Swapping pairs keeps the class counts -- and so the imbalance ratio -- exactly as asked.
    """
    if not 0 <= label_noise <= 1:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")
    y = y.copy()
    minority, majority = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n_flip = int(round(label_noise * len(minority)))
    if n_flip:
        y[rng.choice(minority, n_flip, replace=False)] = 0
        y[rng.choice(majority, n_flip, replace=False)] = 1
    return y


def make_imbalanced(
    n_samples: int = 2000,
    *,
    imbalance_ratio: float = 10.0,
    class_sep: float = 1.0,
    label_noise: float = 0.0,
    n_features: int = 10,
    n_informative: int | None = None,
    random_state: int = 0,
    draw: int = 0,
):
    """Binary data with a controlled imbalance ratio, class overlap and label noise.

    Each class is a mixture of Gaussian clusters placed at the vertices of a hypercube, as in
    :func:`sklearn.datasets.make_classification`, but the *problem* and the *sample* are drawn
    separately: ``random_state`` fixes where the classes sit, and ``draw`` picks an independent
    sample from that same problem. Use ``draw=0`` for training data and another ``draw`` for
    fresh test data that no model has seen.

    Parameters
    ----------
    n_samples : int, default=2000
    imbalance_ratio : float, default=10.0
        Majority count / minority count (exact up to rounding).
    class_sep : float, default=1.0
        Separation scale: cluster centres sit at the vertices of a hypercube with side
        ``2 * class_sep``, as in ``make_classification``. Larger means the classes sit further
        apart and overlap less.
    label_noise : float, default=0.0
        Fraction of minority samples whose label is swapped with a majority sample's.
        The swap keeps the imbalance ratio unchanged.
    n_features : int, default=10
    n_informative : int, optional
        Features that carry signal; the rest are pure noise. Defaults to ``min(n_features, 5)``.
    random_state : int, default=0
        Seed of the problem: cluster centres and shapes.
    draw : int, default=0
        Seed of the sample, given the problem.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        1 for the minority class, 0 for the majority.
    """
    informative = min(n_features, 5) if n_informative is None else n_informative
    if not 1 <= informative <= n_features:
        raise ValueError(f"n_informative must be in [1, n_features], got {informative}")
    n_majority, n_minority = _split_counts(n_samples, imbalance_ratio)
    problem = np.random.default_rng(random_state)
    n_clusters = 1 if informative < 2 else 2
    # Distinct hypercube vertices for the clusters of both classes, as make_classification does.
    vertices = problem.permutation(2**informative if informative < 20 else 2**20)[: 2 * n_clusters]
    bits = ((vertices[:, None] >> np.arange(informative)) & 1).astype(float)
    centres = (2 * bits - 1) * class_sep
    shapes = problem.uniform(-1, 1, size=(2 * n_clusters, informative, informative))
    sample = np.random.default_rng([random_state, draw, 1])
    parts = []
    for label, count in ((0, n_majority), (1, n_minority)):
        cluster = sample.integers(n_clusters, size=count) + label * n_clusters
        signal = np.einsum("ni,nij->nj", sample.standard_normal((count, informative)), shapes[cluster])
        parts.append(signal + centres[cluster])
    X = np.vstack(parts)
    if n_features > informative:
        X = np.hstack([X, sample.standard_normal((n_samples, n_features - informative))])
    y = np.r_[np.zeros(n_majority, dtype=int), np.ones(n_minority, dtype=int)]
    order = sample.permutation(n_samples)
    return X[order], _flip_labels(y[order], label_noise, sample)


def make_toy_2d(
    n_samples: int = 500,
    *,
    imbalance_ratio: float = 10.0,
    kind: str = "blobs",
    class_sep: float = 1.5,
    label_noise: float = 0.0,
    random_state: int | None = 0,
):
    """Two-feature imbalanced data, made for pictures.

    Parameters
    ----------
    n_samples : int, default=500
    imbalance_ratio : float, default=10.0
        Majority count / minority count.
    kind : {"blobs", "moons"}, default="blobs"
        ``"blobs"``: two overlapping Gaussian clouds, the minority one smaller.
        ``"moons"``: two interleaved half-circles, for non-linear boundaries.
    class_sep : float, default=1.5
        For ``"blobs"``: distance between the cloud centres in units of their spread.
    label_noise : float, default=0.0
        Fraction of minority labels swapped with majority ones (see :func:`make_imbalanced`).
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    rng = check_random_state(random_state)
    n_majority, n_minority = _split_counts(n_samples, imbalance_ratio)
    if kind == "blobs":
        majority = rng.normal(loc=(0.0, 0.0), scale=1.0, size=(n_majority, 2))
        minority = rng.normal(loc=(class_sep, class_sep), scale=0.6, size=(n_minority, 2))
    elif kind == "moons":
        # Draw enough of each moon, then keep the counts asked for.
        X_all, y_all = make_moons(n_samples=2 * max(n_majority, n_minority), noise=0.2, random_state=rng)
        majority = X_all[y_all == 0][:n_majority]
        minority = X_all[y_all == 1][:n_minority]
    else:
        raise ValueError(f"kind must be 'blobs' or 'moons', got {kind!r}")
    X = np.vstack([majority, minority])
    y = np.r_[np.zeros(n_majority, dtype=int), np.ones(n_minority, dtype=int)]
    order = rng.permutation(len(y))
    return X[order], _flip_labels(y[order], label_noise, rng)


@lru_cache(maxsize=None)
def _read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(_DATA_DIR / f"{name}.csv")


def load_dataset(name: str, *, return_X_y: bool = False):
    """Load one of the real imbalanced datasets shipped with the course.

    Parameters
    ----------
    name : {"yeast4", "abalone19", "ecoli4"}
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (DataFrame of features), ``target`` (Series, 1 = minority),
        ``feature_names``, ``imbalance_ratio``, ``n_minority``, ``name`` and ``DESCR``.
    (X, y) : tuple of DataFrame and Series
        If ``return_X_y`` is True.
    """
    if name not in _REAL:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(_REAL)}")
    frame = _read_csv(name).copy()
    y = frame.pop("target").rename("target")
    if return_X_y:
        return frame, y
    return Bunch(
        data=frame,
        target=y,
        feature_names=list(frame.columns),
        imbalance_ratio=imbalance_ratio(y),
        n_minority=int(y.sum()),
        name=name,
        DESCR=_REAL[name],
    )


def load_yeast4(*, return_X_y: bool = False):
    """Yeast4: 1484 proteins, 51 positives (IR about 28). See :func:`load_dataset`."""
    return load_dataset("yeast4", return_X_y=return_X_y)


def load_abalone19(*, return_X_y: bool = False):
    """Abalone19: 4174 shellfish, 32 positives (IR about 129); column ``sex`` is categorical. See :func:`load_dataset`."""
    return load_dataset("abalone19", return_X_y=return_X_y)


def load_ecoli4(*, return_X_y: bool = False):
    """Ecoli4: 336 proteins, 20 positives (IR about 16). See :func:`load_dataset`."""
    return load_dataset("ecoli4", return_X_y=return_X_y)


def list_datasets() -> pd.DataFrame:
    """Summary of the real datasets: rows, features, minority count and imbalance ratio.

    Returns
    -------
    DataFrame
        One row per dataset, sorted by imbalance ratio.
    """
    rows = []
    for name in _REAL:
        bunch = load_dataset(name)
        rows.append(
            {
                "dataset": name,
                "rows": len(bunch.target),
                "features": bunch.data.shape[1],
                "minority": bunch.n_minority,
                "imbalance_ratio": round(bunch.imbalance_ratio, 1),
            }
        )
    return pd.DataFrame(rows).sort_values("imbalance_ratio").set_index("dataset")


# --- Lesson 10: many classes (full UCI Yeast) and the capstone's data (KEEL page-blocks0). The capstone's
# held-out rows (the "vault") ship in datasets/ too, for its checker; nothing here loads them.

#: The capstone's stated costs: a missed non-text block (false negative) and a text block sent to
#: a person for nothing (false positive), in the same unit.
PAGE_BLOCKS_COSTS = {"false_negative": 10.0, "false_positive": 1.0}

_LESSON10_DESCR = {
    "yeast": (
        "Yeast proteins (UCI Yeast, all ten classes): 8 numeric scores computed from the amino-acid "
        "sequence; target = localisation site (CYT, NUC, MIT, ME3, ME2, ME1, EXC, VAC, POX, ERL)."
    ),
    "page_blocks0": (
        "Blocks of scanned documents (UCI Page Blocks, KEEL imbalanced version 'page-blocks0'), the "
        "learner's 70 % of it: 10 numeric measurements of a block's shape and ink. Positive = not a text "
        "block (horizontal line, picture, vertical line or graphic); negative = text. The other 30 % is "
        "the capstone's vault, kept for grading."
    ),
}


def _load_lesson10(name: str, return_X_y: bool):
    frame = _read_csv(name).copy()
    y = frame.pop("target").rename("target")
    if return_X_y:
        return frame, y
    return Bunch(
        data=frame,
        target=y,
        feature_names=list(frame.columns),
        imbalance_ratio=imbalance_ratio(y),
        name=name,
        DESCR=_LESSON10_DESCR[name],
    )


def load_yeast(*, return_X_y: bool = False):
    """The full UCI Yeast set: 1484 proteins, 10 classes, from 463 rows down to 5.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (DataFrame of 8 features), ``target`` (Series of class names as strings),
        ``feature_names``, ``imbalance_ratio`` (largest / smallest class), ``name`` and ``DESCR``.
    (X, y) : tuple of DataFrame and Series
        If ``return_X_y`` is True.
    """
    return _load_lesson10("yeast", return_X_y)


def load_page_blocks(*, return_X_y: bool = False):
    """The capstone's data: 3830 blocks of scanned documents, 391 of them not text (target 1).

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (DataFrame of 10 features), ``target`` (Series, 1 = not text), ``feature_names``,
        ``imbalance_ratio``, ``name`` and ``DESCR``.
    (X, y) : tuple of DataFrame and Series
        If ``return_X_y`` is True.
    """
    return _load_lesson10("page_blocks0", return_X_y)
