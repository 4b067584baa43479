"""The course's charts, with one colour-blind-safe palette.

The colours come from the Okabe-Ito palette. The majority class is always blue, the minority
class always vermillion, and synthetic samples (made by SMOTE and friends) bluish green, in every
lesson.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay

__all__ = [
    "MAJORITY_COLOR",
    "MINORITY_COLOR",
    "SYNTHETIC_COLOR",
    "CLASS_COLORS",
    "set_style",
    "plot_class_distribution",
    "plot_scatter",
    "plot_decision_boundary",
    "plot_confusion_matrix",
    "plot_precision_recall",
    "plot_synthetic",
]

MAJORITY_COLOR = "#0072B2"  # Okabe-Ito blue
MINORITY_COLOR = "#D55E00"  # Okabe-Ito vermillion
SYNTHETIC_COLOR = "#009E73"  # Okabe-Ito bluish green
NEUTRAL_COLOR = "#999999"
CLASS_COLORS = {0: MAJORITY_COLOR, 1: MINORITY_COLOR}
CLASS_NAMES = {0: "majority (0)", 1: "minority (1)"}


def set_style() -> None:
    """Apply the course's plot defaults: readable sizes, light grid, no top/right frame."""
    plt.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 90,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
            "axes.prop_cycle": plt.cycler(
                color=[MAJORITY_COLOR, MINORITY_COLOR, SYNTHETIC_COLOR, "#E69F00", "#CC79A7", "#56B4E9"]
            ),
        }
    )


def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def plot_class_distribution(y, *, ax=None, title=None):
    """Bar chart of the class counts, labelled with counts and shares.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels, 1 for the minority class.
    ax : matplotlib Axes, optional
    title : str, optional
        Defaults to one stating the imbalance ratio.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    names = [CLASS_NAMES.get(int(c), str(c)) for c in classes]
    colors = [CLASS_COLORS.get(int(c), NEUTRAL_COLOR) for c in classes]
    bars = ax.bar(names, counts, color=colors)
    for bar, count in zip(bars, counts):
        ax.annotate(
            f"{count} ({count / counts.sum():.1%})",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
        )
    ax.set_ylabel("number of samples")
    ax.set_ylim(0, counts.max() * 1.15)
    ax.grid(axis="x", visible=False)
    ax.set_title(title or f"Class distribution (imbalance ratio {counts.max() / counts.min():.1f} : 1)")
    return ax


def plot_scatter(X, y, *, ax=None, title=None, alpha=0.8, s=18, legend=True):
    """Scatter of two features, minority points drawn on top.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    ax : matplotlib Axes, optional
    title : str, optional
    alpha, s : float
        Marker transparency and size.
    legend : bool, default=True

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    X, y = np.asarray(X), np.asarray(y)
    for label in (0, 1):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            c=CLASS_COLORS[label],
            s=s if label == 0 else s * 1.4,
            alpha=alpha,
            edgecolors="white" if label == 0 else "black",
            linewidths=0.3,
            marker="o" if label == 0 else "^",
            label=f"{CLASS_NAMES[label]}: {mask.sum()}",
            zorder=2 + label,
        )
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    if legend:
        ax.legend(loc="upper left", fontsize=9)
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(estimator, X, y, *, ax=None, title=None, grid_resolution=150, legend=True):
    """Predicted regions of a fitted classifier or pipeline over a 2-D scatter of the data.

    Parameters
    ----------
    estimator : fitted classifier or pipeline with two input features
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    ax : matplotlib Axes, optional
    title : str, optional
    grid_resolution : int, default=150
        Points per axis of the grid on which the model predicts.
    legend : bool, default=True

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    regions = ListedColormap(["#cfe3f1", "#f6d5c3"])  # light blue / light vermillion
    DecisionBoundaryDisplay.from_estimator(
        estimator,
        np.asarray(X),
        response_method="predict",
        grid_resolution=grid_resolution,
        cmap=regions,
        ax=ax,
        xlabel="feature 1",
        ylabel="feature 2",
    )
    plot_scatter(X, y, ax=ax, legend=legend, s=14)
    if title:
        ax.set_title(title)
    return ax


def plot_confusion_matrix(y_true, y_pred, *, ax=None, normalize=None, title=None):
    """Confusion matrix with named classes and counts in each cell.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    ax : matplotlib Axes, optional
    normalize : {"true", "pred", "all"}, optional
        As in :func:`sklearn.metrics.confusion_matrix`.
    title : str, optional

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=[0, 1],
        display_labels=["majority (0)", "minority (1)"],
        normalize=normalize,
        values_format=".2f" if normalize else "d",
        cmap="Blues",
        colorbar=False,
        ax=ax,
    )
    ax.grid(False)
    ax.set_title(title or "Confusion matrix")
    return ax


def _curve_style(style: dict | None) -> dict:
    """Line style for a scikit-learn curve display, for every supported scikit-learn version.

    scikit-learn 1.9 takes it as ``curve_kwargs`` (passing matplotlib keywords directly is
    deprecated there); older versions, such as the 1.6 that Colab preinstalls, take them directly.
    """
    import inspect

    if "curve_kwargs" in inspect.signature(PrecisionRecallDisplay.from_predictions).parameters:
        return {"curve_kwargs": style}
    return dict(style or {})


def plot_precision_recall(y_true, y_score, *, ax=None, name=None, title=None, color=None):
    """Precision-recall curve with its average precision and the chance level (the prevalence).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_score : array-like of shape (n_samples,)
        Scores or probabilities for the minority class.
    ax : matplotlib Axes, optional
    name : str, optional
        Legend label of the curve.
    title : str, optional
    color : str, optional

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    has_chance = any(line.get_label().startswith("Chance") for line in ax.get_lines())
    PrecisionRecallDisplay.from_predictions(
        y_true,
        y_score,
        name=name,
        ax=ax,
        plot_chance_level=not has_chance,
        chance_level_kw={"color": NEUTRAL_COLOR, "linestyle": "--"},
        **_curve_style({"color": color} if color else None),
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title or "Precision-recall curve")
    ax.legend(loc="upper right", fontsize=9)
    return ax


def plot_synthetic(X, y, X_new, *, ax=None, title=None, legend=True, s=18):
    """Original samples, plus the new minority samples made by an over-sampler.

    New samples are drawn in :data:`SYNTHETIC_COLOR`. Copies of one location (random
    over-sampling makes exact duplicates) are merged into one ring whose area grows with the
    number of copies, so that duplicates stay visible instead of hiding under the originals.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The original samples.
    y : array-like of shape (n_samples,)
    X_new : array-like of shape (n_new, 2)
        The samples the over-sampler added, e.g. ``X_resampled[len(X):]``.
    ax : matplotlib Axes, optional
    title : str, optional
    legend : bool, default=True
    s : float, default=18
        Marker size of one sample.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    plot_scatter(X, y, ax=ax, legend=False, s=s)
    X_new = np.asarray(X_new, dtype=float).reshape(-1, 2)
    locations, copies = np.unique(X_new, axis=0, return_counts=True)
    label = f"new: {len(X_new)} at {len(locations)} distinct locations"
    if (copies > 1).any():
        ax.scatter(
            locations[:, 0], locations[:, 1], s=s * 2.5 * copies, facecolors="none",
            edgecolors=SYNTHETIC_COLOR, linewidths=1.5, label=label, zorder=4,
        )
    else:
        ax.scatter(
            locations[:, 0], locations[:, 1], s=s, c=SYNTHETIC_COLOR, marker="D",
            edgecolors="white", linewidths=0.3, label=label, zorder=2.5,
        )
    if legend:
        shown = ax.legend(loc="best", fontsize=9)
        for handle in shown.legend_handles:
            handle.set_sizes([s * 1.5])
    if title:
        ax.set_title(title)
    return ax
