"""Datasets first used in lesson 10: many classes, and the capstone's data.

- :func:`load_yeast`: the full UCI Yeast set, ten localisation classes (463 rows in the largest,
  5 in the smallest). ``yeast4`` (:func:`course_utils.data.load_yeast4`) is its class ME2 against
  the rest.
- :func:`load_page_blocks`: the learner's part of KEEL ``page-blocks0`` (blocks of scanned
  documents; positive = not a text block), for the capstone of exercise 10.

Both ship as CSV files in ``course_utils/datasets`` (provenance and licence in its README), so they
work offline. The capstone's held-out rows (the "vault") ship there too, because the exercise's
checker scores on them; this module does not load them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

from .data import imbalance_ratio

__all__ = ["load_yeast", "load_page_blocks", "PAGE_BLOCKS_COSTS"]

_DATA_DIR = Path(__file__).resolve().parent / "datasets"

#: The capstone's stated costs: a missed non-text block (false negative) and a text block sent to
#: a person for nothing (false positive), in the same unit.
PAGE_BLOCKS_COSTS = {"false_negative": 10.0, "false_positive": 1.0}

_DESCR = {
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


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(_DATA_DIR / f"{name}.csv")


def _load(name: str, return_X_y: bool):
    frame = _read(name).copy()
    y = frame.pop("target").rename("target")
    if return_X_y:
        return frame, y
    return Bunch(
        data=frame,
        target=y,
        feature_names=list(frame.columns),
        imbalance_ratio=imbalance_ratio(y),
        name=name,
        DESCR=_DESCR[name],
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
    return _load("yeast", return_X_y)


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
    return _load("page_blocks0", return_X_y)
