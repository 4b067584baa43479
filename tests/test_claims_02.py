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
_fold_ap = fold_scores["AP"].tolist()
_pair_scores = pair_scores.to_dict(orient="list")
_comparison = comparison._asdict()
_repeat_differences = repeat_differences.tolist()
_naive = {"t": float(naive.statistic), "p": float(naive.pvalue)}
_chance_mcc = chance_mcc.tolist()
_counts = counts.to_dict(orient="index")
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
    "n_no_flags",
    "single_f1",
    "n_folds_as_high",
    "_fold_ap",
    "_pair_scores",
    "_comparison",
    "_repeat_differences",
    "_naive",
    "_chance_mcc",
    "_counts",
    "weighted_specificity",
    "weighted_precision",
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
def test_prompt_p2_counts_the_metrics_that_prefer_the_weighted_model(lesson):
    # p2's right answer "3 of the 7"
    from course_utils.exercises import ex02

    n_weighted = sum(winner == "weighted logistic regression" for winner in lesson["_preferred"].values())
    assert len(lesson["_preferred"]) == 7 and n_weighted == 3
    choice = ex02.p2.parts["my_prediction"]
    assert choice.options[choice.correct] == "3 of the 7"


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
    # "A fold where the model flags no row has no precision: `zero_division=0` puts a placeholder 0 there
    #  (printed above)"
    assert 1 <= lesson["n_no_flags"] <= 5 and spread["precision"]["min"] == 0
    # "Accuracy looks stable"
    assert spread["accuracy"]["std"] < 0.02
    # "... and so do the ranking metrics, ROC-AUC and AP (their ranges are printed above)."
    assert spread["ROC-AUC"]["max"] - spread["ROC-AUC"]["min"] > 0.15
    assert spread["AP"]["max"] - spread["AP"]["min"] > 0.3
    # "MCC even dips below 0 on a few folds, but no lower than a random guesser reaches on the same folds:
    #  that is noise around 0, not a model 'worse than chance'."
    assert spread["MCC"]["min"] < 0
    assert 1 <= lesson["n_negative_mcc"] <= 10
    chance = lesson["_chance_mcc"]
    assert len(chance) == 50 and min(chance) < 0 < max(chance)
    assert min(chance) <= spread["MCC"]["min"]
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


@pytest.mark.notebook
def test_paired_differences_are_far_less_noisy_than_single_folds(lesson):
    # Section 8: "On single folds, AP spreads with a standard deviation of about 0.12"; prompt p5's answer:
    # the SD of the per-fold differences is "well below 0.12".
    import numpy as np
    from course_utils.exercises import ex02

    pair, comparison = lesson["_pair_scores"], lesson["_comparison"]
    assert len(pair["plain"]) == len(pair["weighted"]) == comparison["n_splits"] == 50
    # The same folds as section 7: the plain model's AP is the same, fold by fold.
    np.testing.assert_allclose(pair["plain"], lesson["_fold_ap"], rtol=1e-12)
    single_sd = [float(np.std(pair[name], ddof=1)) for name in ("plain", "weighted")]
    assert lesson["_spread"]["AP"]["std"] == pytest.approx(0.12, abs=0.015)
    assert comparison["std_difference"] < 0.6 * min(single_sd)
    choice = ex02.p5.parts["my_prediction"]
    assert choice.correct == "c" and choice.options["c"].startswith("well below 0.12")
    # The scatter's axis limits (0.1, 0.75) show every fold.
    assert all(0.1 < v < 0.75 for name in ("plain", "weighted") for v in pair[name])


@pytest.mark.notebook
def test_plain_model_beats_the_weighted_one_on_ap_by_the_paired_rule(lesson):
    comparison = lesson["_comparison"]
    # "Against the spread of single folds, a gap of 0.07 would look like noise; against the spread of the
    #  differences it does not, and the plain model wins on almost every fold."
    assert comparison["mean_difference"] == pytest.approx(0.07, abs=0.01)
    assert comparison["mean_difference"] < lesson["_spread"]["AP"]["std"]
    assert comparison["mean_difference"] > comparison["std_difference"]
    assert comparison["fraction_won"] >= 0.9
    # "Each of the 10 single 5-fold runs puts the plain model ahead"
    assert len(lesson["_repeat_differences"]) == 10 and min(lesson["_repeat_differences"]) > 0
    # "the corrected test agrees, with far less confidence than the naive test would claim"
    assert comparison["p_value"] < 0.05 and comparison["t_statistic"] > 2
    assert lesson["_naive"]["t"] > 2 * comparison["t_statistic"]
    assert lesson["_naive"]["p"] < comparison["p_value"] / 1000


@pytest.mark.notebook
def test_false_alarms_are_divided_by_negatives_or_by_flags(lesson):
    # "the weighted model's false alarms are about a sixth of the many negatives (printed below), so its specificity
    #  falls by less than its recall rises"; "59 false alarms among 358 negatives (specificity 0.835), but among
    #  only 68 flags (precision 0.132)"
    weighted, plain = lesson["_counts"]["weighted logistic regression"], lesson["_counts"]["logistic regression"]
    negatives = weighted["TN"] + weighted["FP"]
    assert (weighted["FP"], negatives, weighted["TP"] + weighted["FP"]) == (59, 358, 68)
    assert 1 / 7 < weighted["FP"] / negatives < 1 / 5
    assert lesson["weighted_specificity"] == pytest.approx(0.835, abs=0.001)
    assert lesson["weighted_precision"] == pytest.approx(0.132, abs=0.001)
    plain_specificity = plain["TN"] / (plain["TN"] + plain["FP"])
    recall_gain = lesson["weighted_recall"] - lesson["plain_recall"]
    assert plain_specificity - lesson["weighted_specificity"] < recall_gain
