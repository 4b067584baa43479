"""Lesson 02's quantitative claims, re-measured by running the lesson itself.

Each test names the sentence of notebooks/02_misleading_accuracy.ipynb it backs. Margins are wide
enough to survive a library upgrade that keeps the story, narrow enough to fail if the story changes.
"""

from __future__ import annotations

import pytest

from conftest import run_notebook

LESSON = "notebooks/02_misleading_accuracy.ipynb"

_EXPORT = """
_scores = scores.to_dict(orient="index")
_preferred = preferred.to_dict()
_auc_vs_ap = auc_vs_ap.reset_index().to_dict(orient="list")
_same_model = same_model.reset_index().to_dict(orient="list")
_spread = spread.to_dict(orient="index")
_repeat_f1 = repeat_means["F1"].tolist()
"""

NAMES = [
    "prevalence",
    "n_test_positives",
    "baseline_accuracy",
    "baseline_recall",
    "plain_accuracy",
    "plain_recall",
    "weighted_accuracy",
    "weighted_recall",
    "_scores",
    "_preferred",
    "_auc_vs_ap",
    "auc_range",
    "ap_drop",
    "_same_model",
    "same_auc_range",
    "same_ap_drop",
    "positives_per_fold",
    "_spread",
    "_repeat_f1",
    "n_negative_mcc",
    "single_f1",
    "n_folds_as_high",
]


@pytest.fixture(scope="module")
def lesson():
    return run_notebook(LESSON, NAMES, extra_code=_EXPORT)


@pytest.mark.notebook
def test_baseline_accuracy_is_one_minus_prevalence_and_its_recall_is_zero(lesson):
    # "its accuracy is exactly the share of negatives, 1 - prevalence. Its recall ... is zero."
    assert lesson["baseline_accuracy"] == pytest.approx(1 - lesson["prevalence"], abs=1e-9)
    assert lesson["baseline_recall"] == 0
    # Prompt p1's right answer is "about 97 %".
    assert 0.95 <= lesson["baseline_accuracy"] <= 0.98
    assert lesson["n_test_positives"] <= 20  # "only a handful of positives"


@pytest.mark.notebook
def test_myth_97_percent_accuracy_still_misses_most_positives(lesson):
    # "The plain model does score about 97 % accuracy, and still misses most positives:
    #  it is less than one accuracy point above a model that does nothing."
    assert round(lesson["plain_accuracy"], 2) == 0.97
    assert lesson["plain_recall"] < 0.5
    assert 0 < lesson["plain_accuracy"] - lesson["baseline_accuracy"] < 0.01
    # "The weighted model finds far more positives and has a lower accuracy."
    assert lesson["weighted_recall"] >= 2 * lesson["plain_recall"]
    assert lesson["weighted_accuracy"] < lesson["plain_accuracy"] - 0.05


@pytest.mark.notebook
def test_baseline_scores_nothing_on_the_other_metrics(lesson):
    base = lesson["_scores"]["always-majority"]
    assert base["precision"] == 0 and base["F1"] == 0 and base["G-mean"] == 0 and base["MCC"] == 0
    assert base["balanced accuracy"] == pytest.approx(0.5)


@pytest.mark.notebook
def test_metrics_split_on_which_model_is_better(lesson):
    # Prompt p2's right answer: recall, balanced accuracy and G-mean prefer the weighted model;
    # precision, F1 and MCC (and accuracy) prefer the plain one.
    preferred = lesson["_preferred"]
    for metric in ("recall", "balanced accuracy", "G-mean"):
        assert preferred[metric] == "weighted logistic regression", metric
    for metric in ("accuracy", "precision", "F1", "MCC"):
        assert preferred[metric] == "logistic regression", metric


@pytest.mark.notebook
def test_roc_auc_stays_flat_while_ap_falls_as_imbalance_grows(lesson):
    # "ROC-AUC stays within a band of ..., while AP falls by ..." (prompt p3, answer b).
    table = lesson["_auc_vs_ap"]
    assert table["imbalance ratio"] == [1, 3, 10, 30, 100]
    assert lesson["auc_range"] < 0.05
    assert lesson["ap_drop"] > 0.4
    assert lesson["ap_drop"] > 10 * lesson["auc_range"]
    ap = table["AP"]
    assert all(later < earlier for earlier, later in zip(ap, ap[1:])), ap
    # "The sample size stays fixed too, so a larger ratio also means fewer positives."
    positives = table["test positives"]
    assert all(later < earlier for earlier, later in zip(positives, positives[1:])), positives
    # Every model still beats AP's chance level, the prevalence, by far.
    assert all(a > p + 0.3 for a, p in zip(ap, table["prevalence"]))
    assert min(table["ROC-AUC"]) > 0.85


@pytest.mark.notebook
def test_one_model_auc_does_not_move_while_ap_falls(lesson):
    # "The model and its ranking are the same in every row, so ROC-AUC does not move. AP falls ..."
    assert lesson["same_auc_range"] < 0.02
    assert lesson["same_ap_drop"] > 0.4
    ap = lesson["_same_model"]["AP"]
    assert all(later < earlier for earlier, later in zip(ap, ap[1:])), ap


@pytest.mark.notebook
def test_metrics_are_noisy_with_few_positives(lesson):
    spread = lesson["_spread"]
    # "about ten positives per fold"
    assert 9 <= min(lesson["positives_per_fold"]) and max(lesson["positives_per_fold"]) <= 12
    # Prompt p4's right answer: the folds' F1 span 0.3 or more, from near 0.
    f1 = spread["F1"]
    assert f1["max"] - f1["min"] >= 0.3
    assert f1["min"] < 0.05
    assert f1["std"] > 0.3 * f1["mean"]  # "its standard deviation is ...% of its mean"
    # "precision, recall, F1, MCC and G-mean all swing widely from one fold to the next"
    for metric in ("precision", "F1", "MCC", "G-mean"):
        assert spread[metric]["max"] - spread[metric]["min"] > 0.3, metric
    assert spread["recall"]["max"] - spread["recall"]["min"] >= 0.2
    # "Accuracy looks stable"
    assert spread["accuracy"]["std"] < 0.02
    # "... and so do the ranking metrics, ROC-AUC and AP (their ranges are printed above)."
    assert spread["ROC-AUC"]["max"] - spread["ROC-AUC"]["min"] > 0.15
    assert spread["AP"]["max"] - spread["AP"]["min"] > 0.3
    # "MCC even drops below 0 on a few folds" (and the metrics table: "below 0 is worse than chance").
    assert spread["MCC"]["min"] < 0
    assert 1 <= lesson["n_negative_mcc"] <= 10
    # "its F1 is one draw from the spread of single folds, not from the much narrower spread of 5-fold
    #  means ... It happened to land near the top of that spread: a lucky split."
    single_f1 = lesson["single_f1"]
    assert single_f1 == lesson["_scores"]["logistic regression"]["F1"]
    assert f1["min"] <= single_f1 <= f1["max"]
    assert single_f1 > max(lesson["_repeat_f1"])
    assert max(lesson["_repeat_f1"]) - min(lesson["_repeat_f1"]) < 0.5 * (f1["max"] - f1["min"])
    assert lesson["n_folds_as_high"] <= 5  # the top tenth of the 50 folds
    # "A single 5-fold run reports a mean F1 anywhere from ... to ..., depending only on the shuffle."
    assert max(lesson["_repeat_f1"]) - min(lesson["_repeat_f1"]) > 0.03
