"""course_utils.plots: each chart draws, is titled and labelled, and uses the course colours."""

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from imblearn.over_sampling import SMOTE  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from course_utils import data, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    plots.set_style()
    yield
    plt.close("all")


def test_palette_is_fixed():
    assert plots.CLASS_COLORS == {0: "#0072B2", 1: "#D55E00"}


def test_class_distribution():
    ax = plots.plot_class_distribution(np.r_[np.zeros(90), np.ones(10)])
    assert "9.0 : 1" in ax.get_title() and ax.get_ylabel()
    assert [to_hex(p.get_facecolor()) for p in ax.patches] == [c.lower() for c in ("#0072B2", "#D55E00")]


def test_decision_boundary_accepts_pipelines():
    X, y = data.make_toy_2d(200)
    model = make_pipeline(SMOTE(random_state=0), LogisticRegression()).fit(X, y)
    ax = plots.plot_decision_boundary(model, X, y, title="SMOTE + LR")
    assert ax.get_title() == "SMOTE + LR" and ax.get_xlabel() == "feature 1"
    assert len(ax.collections) >= 3  # regions plus the two classes


def test_confusion_matrix_and_pr_curve():
    y = np.r_[np.zeros(50), np.ones(10)]
    ax = plots.plot_confusion_matrix(y, y)
    assert ax.get_title() == "Confusion matrix"
    scores = np.linspace(0, 1, 60)
    ax = plots.plot_precision_recall(y, scores, name="model A")
    plots.plot_precision_recall(y, scores[::-1], name="model B", ax=ax)
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum(label.startswith("Chance") for label in labels) == 1
    assert ax.get_xlabel().startswith("Recall") and ax.get_ylabel().startswith("Precision")
