"""Lesson 08's claims, re-measured from the lesson's own variables (direction and size)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_notebook

LESSON = "notebooks/08_probabilities_and_decisions.ipynb"
NAMES = [
    "prevalence", "y_yeast", "harm", "risks", "auc_change", "by_weight", "by_priors", "repair1", "repair_table",
    "repair_vs_plain", "by_size", "plain_big_brier", "agreement", "rule_costs", "rule_pairs_summary", "rule_intervals_summary", "near_best",
    "cost_threshold", "lowest", "cost_at_half", "best_threshold", "routing_after", "money_table", "saving",
    "saving_vs_weighted", "amount_tx", "positives_mean", "precision_at_K", "recall_at_K", "ceiling_at_K",
    "same_top_k", "plain_beats_smote_days", "corrected_same_order", "n_auc_splits", "ap_change", "slope_intervals", "tx_calibration",
]
# Plain data for the values the lesson keeps in objects (named tuples, estimators). DataFrames arrive as
# {column: [values]}, rows in the lesson's order.
EXTRA = """
rule_pairs_summary = {f"{a} | {b}": dict(r._asdict()) for (a, b), r in rule_pairs.items()}
rule_intervals_summary = {f"{a} | {b}": list(v) for (a, b), v in rule_intervals.items()}
auc_change = {name: dict(r._asdict()) for name, r in auc_change.items()}
ap_change = {name: dict(r._asdict()) for name, r in ap_change.items()}
slope_intervals = {name: [float(v) for v in interval] for name, interval in slope_intervals.items()}
repair_vs_plain = {name: dict(r._asdict()) for name, r in repair_vs_plain.items()}
best_threshold = float(tuned_rule.best_threshold_)
routing_after = bool(sklearn.get_config()["enable_metadata_routing"])
positives_mean = float(positives.mean())
precision_at_K, recall_at_K, ceiling_at_K = precision_at_k[K - 1], recall_at_k[K - 1], ceiling[K - 1]
same_top_k = all(set(a) == set(b) for a, b in zip(top_raw, top_corrected))
plain_beats_smote_days = float(np.mean(plain_hits > smote_hits))
corrected_same_order = all(
    roc_auc_score(y_yeast[test], corrected[f"{name} + prior correction"][test]) == roc_auc_score(y_yeast[test], risks[name][test])
    for name in ["class_weight='balanced'", "SMOTE"] for _, test in cv.split(X_yeast, y_yeast))
n_auc_splits = len(auc_scores)
tx_calibration = {"mean": float(tx_risk.mean()), "share": float(tx_labels.mean()),
                  "slope": float(calibration_slope(tx_labels, tx_risk)), "interval": [float(v) for v in tx_slope]}
"""


@pytest.fixture(scope="module")
def lesson():
    return run_notebook(LESSON, NAMES, extra_code=EXTRA)


def test_the_data_and_the_splits(lesson):
    y = np.asarray(lesson["y_yeast"])
    assert len(y) == 1484 and y.sum() == 51
    assert lesson["prevalence"] == pytest.approx(0.034, abs=0.0005)
    assert lesson["n_auc_splits"] == 10  # "5-fold CV repeated twice"
    assert 12 <= y.sum() * 0.8 / 3 <= 14  # "about 13 positives" to calibrate on
    assert 35 <= y.sum() * 0.8 <= 45  # "the 40 or so positives of each training part"


def test_corrections_inflate_risks_and_brier_but_not_the_ranking(lesson):
    harm = lesson["harm"]  # columns: mean risk, Brier, calibration slope, ROC-AUC; rows: plain, balanced, SMOTE
    prevalence = lesson["prevalence"]
    plain, balanced, smote = 0, 1, 2
    mean, brier, slope = harm["mean risk"], harm["Brier"], harm["calibration slope"]
    assert 0.9 < mean[plain] / prevalence < 1.15
    # Review measured 0.256 / 0.119 (balanced) and 0.035 / 0.027 (plain): "about sevenfold", "about fourfold".
    assert mean[balanced] == pytest.approx(0.256, abs=0.02) and brier[balanced] == pytest.approx(0.119, abs=0.015)
    assert mean[plain] == pytest.approx(0.035, abs=0.004) and brier[plain] == pytest.approx(0.027, abs=0.003)
    for row in (balanced, smote):
        assert 6 < mean[row] / prevalence < 8.5
        assert 3.5 < brier[row] / brier[plain] < 5
        assert brier[row] > prevalence * (1 - prevalence)  # worse than predicting the prevalence for all
        assert slope[row] < 0.8 < slope[plain]
    # "Their calibration slopes are below 1, and their 95 % intervals exclude 1"; "the plain slope, 0.88, is below
    # 1 in this run, but its 95 % interval includes 1"
    intervals = lesson["slope_intervals"]
    for name in ("class_weight='balanced'", "SMOTE"):
        assert intervals[name][1] < 1
    low, high = intervals["plain"]
    assert low < slope[plain] < high and low < 1 < high
    assert slope[plain] == pytest.approx(0.88, abs=0.005)
    # "ROC-AUC is unchanged"
    for name in ("balanced", "SMOTE"):
        change = lesson["auc_change"][name]
        assert abs(change["mean_difference"]) < 0.01 and change["p_value"] > 0.3


def test_ap_falls_at_the_top_of_the_ranking_with_class_weights_h1(lesson):
    # "AP ... fell for class_weight="balanced" on every one of the same folds (about 0.06, ... with a corrected
    # p-value near 0.05); for SMOTE its fall is within the noise"
    balanced, smote = lesson["ap_change"]["balanced"], lesson["ap_change"]["SMOTE"]
    assert -0.09 < balanced["mean_difference"] < -0.03 and balanced["fraction_won"] == 0.0
    assert balanced["p_value"] < 0.1
    assert smote["mean_difference"] < 0 and smote["p_value"] > 0.1
    # ROC-AUC's change is far smaller than AP's: the whole-ranking summary barely notices
    assert abs(lesson["auc_change"]["balanced"]["mean_difference"]) < abs(balanced["mean_difference"]) / 5


def test_reliability_curves_lie_below_the_diagonal_for_the_corrections(lesson):
    from sklearn.calibration import calibration_curve

    y = np.asarray(lesson["y_yeast"])
    for name in ("class_weight='balanced'", "SMOTE"):
        share, predicted = calibration_curve(y, np.asarray(lesson["risks"][name]), n_bins=6, strategy="quantile")
        assert (share < predicted).all() and predicted[-1] - share[-1] > 0.3
    share, predicted = calibration_curve(y, np.asarray(lesson["risks"]["plain"]), n_bins=6, strategy="quantile")
    # "its six bins put five of the plain model's points below a risk of 0.05"
    assert (predicted < 0.05).sum() == 5


def test_prior_correction_fixes_mean_and_brier_not_slope_nor_order(lesson):
    assert np.abs(np.asarray(lesson["by_weight"]) - np.asarray(lesson["by_priors"])).max() < 1e-12
    repaired, harm, prevalence = lesson["repair1"], lesson["harm"], lesson["prevalence"]
    for row, source in ((1, 1), (2, 2)):  # repair1 rows: plain, balanced + correction, SMOTE + correction
        # Review measured the repaired mean at 0.037 and Brier at 0.029.
        assert repaired["mean risk"][row] == pytest.approx(0.037, abs=0.003)
        assert repaired["Brier"][row] == pytest.approx(0.029, abs=0.002)
        assert repaired["Brier"][0] < repaired["Brier"][row] < 1.15 * repaired["Brier"][0]  # "a little above"
        assert repaired["calibration slope"][row] == pytest.approx(harm["calibration slope"][source], abs=0.01)
        assert repaired["mean risk"][row] / prevalence < 1.2
    assert lesson["corrected_same_order"] is True


def test_calibrators_repair_most_of_the_damage_and_none_beats_plain(lesson):
    table = lesson["repair_table"]  # rows in order; read them by name through the pairs below
    pairs = lesson["repair_vs_plain"]
    assert pairs["SMOTE, not repaired"]["mean_difference"] > 0.07  # about 0.11 against 0.027
    for name, r in pairs.items():
        assert r["mean_difference"] > 0  # none beats the plain model
        if name != "SMOTE, not repaired":
            assert r["mean_difference"] < 0.003  # below 0.03 in all
            assert r["fraction_won"] >= 0.6  # worse than plain on most splits
    auc = dict(zip(["SMOTE, not repaired", "prior correction", "sigmoid, cv=3", "sigmoid, held-out split",
                    "isotonic, held-out split", "plain (no SMOTE)"], table["ROC-AUC"]))
    # "its mean ROC-AUC is also the lowest in the table, by about 0.01"
    assert auc["isotonic, held-out split"] == min(auc.values())
    assert 0.005 < sorted(auc.values())[1] - auc["isotonic, held-out split"] < 0.02
    repairs = {name: r["mean_difference"] for name, r in pairs.items() if name != "SMOTE, not repaired"}
    assert max(repairs.values()) - min(repairs.values()) < 0.0015  # "about a thousandth"
    # "smaller than the spread of their paired differences to the plain model (0.0014 to 0.0025)": the ordering
    # is within the noise, which is why the lesson does not rank the repairs
    spreads = [pairs[name]["std_difference"] for name in repairs]
    assert 0.0012 < min(spreads) and max(spreads) < 0.003
    assert max(repairs.values()) - min(repairs.values()) < min(spreads)
    assert max(table["Brier"][1:5]) < 0.03 and table["Brier"][0] > 0.1


def test_sigmoid_lower_with_little_data_then_level(lesson):
    size = lesson["by_size"]  # rows: 250, 1000, 4000, 16000; columns: positives, isotonic, sigmoid
    iso, sig, positives = np.asarray(size["isotonic"]), np.asarray(size["sigmoid"]), np.asarray(size["positives"])
    assert (sig[:2] < iso[:2] - 0.0005).all()  # "with a few hundred to a thousand calibration rows, sigmoid had
    # the lower mean Brier score"; "differences of about a thousandth or less"
    assert (np.abs(sig - iso) < 0.002).all()
    # "from about a hundred positives on, the two were within a few ten-thousandths, and isotonic never pulled
    # clearly ahead"
    assert positives[2] > 100 and (np.abs(sig[2:] - iso[2:]) < 0.0005).all()
    assert min(iso.min(), sig.min()) > lesson["plain_big_brier"]  # neither reaches the plain model


def test_weights_and_thresholds_agree_for_moderate_w_only(lesson):
    agree = np.asarray(lesson["agreement"]["same decision"])  # w = 3, 10, 30, 100
    assert agree[1] >= 0.97  # w = 10: nearly every case
    assert (np.diff(agree) < 0).all()  # falls as w grows
    assert 0.82 < agree[3] < 0.9  # w = 100: about one case in eight decided differently
    slopes = np.asarray(lesson["agreement"]["slopes changed by"])
    assert (np.diff(slopes) > 0).all() and slopes[3] > 0.3  # the larger w, the further the slopes move


def test_the_formula_threshold_is_not_beaten_by_tuning(lesson):
    pairs = lesson["rule_pairs_summary"]
    vs_tuned = pairs["plain, threshold 1/11 | plain, tuned threshold"]
    vs_weight = pairs["plain, threshold 1/11 | weight w = 10, threshold 0.5"]
    vs_half = pairs["plain, threshold 1/11 | plain, threshold 0.5"]
    assert vs_tuned["mean_difference"] > -0.01 and vs_tuned["p_value"] > 0.2  # tuning did not beat it
    assert vs_weight["p_value"] > 0.05  # cannot be told apart
    assert vs_half["fraction_won"] == 1.0 and vs_half["p_value"] < 0.01  # beats 0.5 on every fold
    # "its 95 % interval rules out a tuned threshold cheaper than 1/11 by more than about 0.02 per case (or dearer
    # by more than about 0.04)"; "(1/11 was cheaper by 0.012, interval -0.032 to +0.008)". Costs: 1/11 minus other.
    intervals = lesson["rule_intervals_summary"]
    low, high = intervals["plain, threshold 1/11 | plain, tuned threshold"]
    assert low < 0 < high and -0.045 < low < -0.03 and 0.012 < high < 0.025
    low, high = intervals["plain, threshold 1/11 | weight w = 10, threshold 0.5"]
    assert low == pytest.approx(-0.032, abs=0.001) and high == pytest.approx(0.008, abs=0.001)
    assert -vs_weight["mean_difference"] == pytest.approx(-0.012, abs=0.001)
    assert intervals["plain, threshold 1/11 | plain, threshold 0.5"][1] < 0


def test_the_cost_curve_is_flat_near_its_minimum(lesson):
    near = np.asarray(lesson["near_best"])
    assert near.min() <= lesson["cost_threshold"] <= near.max()
    assert near.min() <= lesson["best_threshold"] <= near.max()
    assert near.max() / near.min() > 1.8  # a wide band
    assert lesson["cost_at_half"] > 1.5 * lesson["lowest"]  # steep far from it


def test_amount_aware_rule_saves_on_every_batch(lesson):
    assert lesson["routing_after"] is False
    amounts = np.asarray(lesson["amount_tx"])
    assert amounts.min() < 10 and amounts.max() > 2000  # "a 10-unit purchase like a 2,000-unit one"
    assert min(lesson["saving"]) > 0 and np.mean(lesson["saving"]) > 0.2
    assert min(lesson["saving_vs_weighted"]) > 0
    loss = dict(zip(["flag nobody", "threshold 0.5", "one tuned threshold", "cost-weighted training",
                     "amount-aware: p x amount > fee"], lesson["money_table"]["loss per case"]))
    assert loss["amount-aware: p x amount > fee"] < loss["cost-weighted training"] < loss["one tuned threshold"]
    assert loss["one tuned threshold"] < loss["threshold 0.5"] < loss["flag nobody"]


def test_the_budget_caps_recall_and_only_the_ranking_matters(lesson):
    assert 30 <= lesson["positives_mean"] <= 34  # "about 32 of them frauds"
    assert lesson["ceiling_at_K"] == pytest.approx(0.63, abs=0.02)
    assert lesson["recall_at_K"] == pytest.approx(0.39, abs=0.03) and lesson["recall_at_K"] < lesson["ceiling_at_K"]
    assert lesson["precision_at_K"] > lesson["recall_at_K"]
    assert lesson["same_top_k"] is True
    assert lesson["plain_beats_smote_days"] > 0.8  # "fewer frauds on most days"


def test_each_repairs_slope_and_isotonic_zeros_m8(lesson):
    # "prior correction keeps the SMOTE model's slope, well below 1"; "sigmoid ... brings the slope near 1. It is
    # printed a little above 1, but on these rows (102 positives) that cannot be told from 1" (the bound below
    # only checks "near 1, printed a little above"); "isotonic gives a sizeable share of the test cases a risk of exactly 0, some of them
    # positives"
    table = lesson["repair_table"]
    names = ["SMOTE, not repaired", "prior correction", "sigmoid, cv=3", "sigmoid, held-out split",
             "isotonic, held-out split", "plain (no SMOTE)"]
    slope = dict(zip(names, table["calibration slope"]))
    zeros = dict(zip(names, table["risk exactly 0"]))
    positives_at_zero = dict(zip(names, table["positives at risk 0"]))
    assert slope["prior correction"] == pytest.approx(slope["SMOTE, not repaired"], abs=0.02) and slope["prior correction"] < 0.8
    for name in ("sigmoid, cv=3", "sigmoid, held-out split"):
        assert 1.0 < slope[name] < 1.3
    assert zeros["isotonic, held-out split"] > 0.1 and positives_at_zero["isotonic, held-out split"] > 0
    assert all(zeros[name] == 0 for name in names if name != "isotonic, held-out split")


def test_the_plain_fraud_model_is_calibrated_on_fresh_batches(lesson):
    # "on the fresh batches its mean risk matches the share of frauds and its calibration slope is near 1"
    cal = lesson["tx_calibration"]
    assert abs(cal["mean"] / cal["share"] - 1) < 0.05
    low, high = cal["interval"]
    assert 0.9 < cal["slope"] < 1.1 and low < 1 < high
