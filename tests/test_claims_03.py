"""Lesson 03's quantitative claims, re-measured by running the lesson and reading its variables."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_notebook

LESSON = "notebooks/03_class_weights.ipynb"

# Turn the lesson's tables into plain, index-aware values before reading them.
_EXTRA = """
claims = {
    "by_hand": by_hand.to_list(),
    "by_sklearn": by_sklearn.tolist(),
    "weight_ratio": float(weight_ratio),
    "imbalance_ratio": float(counts[0] / counts[1]),
    "gap": float(gap),
    "product_gap": float(product_gap),
    "weighted_balanced": weighted_balanced.tolist(),
    "rule_gap": {rule: float(gap_) for rule, gap_ in rule_gap.items()},
    "toy_recall": [float(toy_recall[w]) for w in toy_weights],
    "toy_majority_flagged": [float(toy_majority_flagged[w]) for w in toy_weights],
    "same_prediction": float(same_prediction),
    "ap_balanced_itself": float(average_precision_score(y, p_balanced)),
    "ap_balanced_ratio": float(average_precision_score(y, proba[w_balanced])),
    "overlap": agreement["flagged by both / by either"].to_list(),
    "overlap_up_to_5": float(overlap_up_to_5),
    "both_at_balanced": both_at_balanced,
    "either_at_balanced": either_at_balanced,
    "weighted_flags": int(weighted_flags.sum()),
    "shifted_flags": int(shifted_flags.sum()),
    "agree_at_300": float(agree_at_300),
    "toy_ratio": float((y_toy == 0).sum() / (y_toy == 1).sum()),
    "toy_true_share": float(y_toy.mean()),
    "toy_share": [float(toy_share[w]) for w in toy_weights],
    "mean_proba": float(p_plain.mean()),
    "prevalence": float(y.mean()),
    "weights": [float(w) for w in weights],
    "w_balanced": float(w_balanced),
    "agreement": agreement["rows where the rules agree"].to_list(),
    "flagged": agreement["rows predicted minority"].to_list(),
    "agree_up_to_balanced": float(agree_up_to_balanced),
    "agree_at_1000": float(agree_at_1000),
    "intercept_shift": [float(v) for v in intercept_shift.values()],
    "slope_change": [float(v) for v in slope_change.values()],
    "precision": metrics["precision"].to_list(),
    "recall": metrics["recall"].to_list(),
    "f1": metrics["F1"].to_list(),
    "ap": metrics["average precision"].to_list(),
    "cv_weights": [float(w) for w in cv_weights],
    "cv_mean": cv_table["mean F1"].to_list(),
    "cv_std": cv_table["std over folds"].to_list(),
    "best_weight": float(best_weight),
    "positives_per_fold": positives_per_fold,
    "families": {f"{m}|{cw}": row for (m, cw), row in by_family.to_dict(orient="index").items()},
    "family_comparisons": {name: result._asdict() for name, result in family_comparisons.items()},
    "family_intervals": {name: [float(v) for v in interval] for name, interval in family_intervals.items()},
    "n_family_splits": len(family_splits),
    "scale_gap": list(scale_gap.values()),
    "balanced_rules": balanced_rules["'balanced' counts each class by its"].to_dict(),
    "balanced_rule_gaps": balanced_rules.drop(columns="'balanced' counts each class by its").to_dict(orient="index"),
    "calibration_slope": float(calibration_slope),
    "brier_plain": float(brier_plain),
    "brier_prevalence": float(brier_prevalence),
    "n_calibration_bins": len(observed_share),
    "slope_interval": [float(slope_low), float(slope_high)],
    "diagonal_inside": float(diagonal_inside.mean()),
    "grid_top": float(p_grid[-1]),
    "top_bin_positives": int(y_array[top_bin].sum()),
    "top_bin_low": float(p_plain[top_bin].min()),
    "chosen_weights": [float(w) for w in chosen_weights],
    "nested_f1": float(nested["test_score"].mean()),
    "winner_f1_same_folds": float(fold_f1[best_label].to_numpy()[:len(outer_splits)].mean()),
    "nested_vs_balanced": nested_vs_balanced._asdict(),
    "outer_splits_are_the_first_ten": all(
        np.array_equal(a[1], b[1]) for a, b in zip(outer_splits, RepeatedStratifiedKFold(n_splits=5, n_repeats=5, random_state=0).split(X_array, y_array))),
    "ap_best_w": float(ap_best_w),
    "ap_worst_w": float(ap_worst_w),
    "ap_comparisons": {f"{a}|{b}": r._asdict() for (a, b), r in ap_comparisons.items()},
    "cv_paired": cv_table.drop(columns=["mean F1", "std over folds"]).to_dict(orient="index"),
    "n_cv_folds": len(fold_f1),
}
try:
    LogisticRegression().fit(X_scaled, y, class_weight={0: 1, 1: 1000})
    claims["keras_style_error"] = None
except TypeError as error:
    claims["keras_style_error"] = str(error)
"""


@pytest.fixture(scope="module")
def lesson():
    return run_notebook(LESSON, ["claims"], extra_code=_EXTRA)["claims"]


def test_balanced_formula_by_hand_matches_sklearn(lesson):
    np.testing.assert_allclose(lesson["by_hand"], lesson["by_sklearn"], rtol=1e-12)
    assert lesson["weight_ratio"] == pytest.approx(lesson["imbalance_ratio"])
    assert 25 < lesson["imbalance_ratio"] < 31  # yeast4: "about 28"


def test_class_weight_is_a_per_class_sample_weight_and_they_multiply(lesson):
    assert lesson["gap"] < 1e-8
    assert lesson["product_gap"] < 1e-8
    # The two ways of counting a class under sample_weight give different 'balanced' weights...
    assert abs(lesson["weighted_balanced"][1] - lesson["by_sklearn"][1]) > 0.1
    # ...and the fit follows exactly one of them: totals since scikit-learn 1.7, rows before.
    import sklearn

    gaps = lesson["rule_gap"]
    recent = tuple(int(part) for part in sklearn.__version__.split(".")[:2]) >= (1, 7)
    follows, other = ("row weights' totals", "row counts") if recent else ("row counts", "row weights' totals")
    assert gaps[follows] < 1e-8 and gaps[other] > 1e-4


def test_balanced_with_sample_weight_depends_on_the_estimator(lesson):
    # Section 1: "In scikit-learn 1.9.1 ... LogisticRegression (every solver), LinearSVC and the forests count each
    # class by its total sample weight. A single DecisionTreeClassifier, HistGradientBoostingClassifier, SVC,
    # SGDClassifier and RidgeClassifier count its rows." Measured by the lesson, fit by fit.
    import sklearn

    rules, gaps = lesson["balanced_rules"], lesson["balanced_rule_gaps"]
    assert len(rules) == 10
    # Every estimator follows exactly one rule: one gap is 0, the other clearly is not.
    for name, row in gaps.items():
        small, large = sorted(row.values())
        assert small < 1e-8 and large > 1e-3, (name, row)
    totals = {name for name, rule in rules.items() if rule == "row weights' totals"}
    version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    if version >= (1, 9):
        assert totals == {"LogisticRegression (lbfgs)", "LogisticRegression (liblinear)", "LinearSVC",
                          "RandomForestClassifier", "ExtraTreesClassifier"}
    elif version < (1, 7):
        assert totals == set()  # before 1.7 every estimator counted rows
    assert {"DecisionTreeClassifier", "HistGradientBoostingClassifier", "SVC", "SGDClassifier",
            "RidgeClassifier"}.isdisjoint(totals)


def test_only_the_ratio_matters_without_a_penalty(lesson):
    # "{0: 1, 1: 28.1} and 'balanced' are different fits, unless C is scaled to match or there is no penalty"
    default, scaled_c, no_penalty = lesson["scale_gap"]
    assert default > 1e-2
    assert scaled_c < 1e-8
    assert no_penalty < 1e-6


def test_class_weight_is_not_a_fit_argument(lesson):
    # "scikit-learn, whose fit has no class_weight argument (the next cell shows the error)"
    assert "unexpected keyword argument 'class_weight'" in lesson["keras_style_error"]


def test_unweighted_model_is_close_to_calibrated_as_far_as_the_data_show(lesson):
    # "the mean matches the prevalence, the Brier score beats the constant prediction, and over the range where 98 %
    #  of the rows lie the smoothed curve's 95 % band contains the diagonal"; "The slope is a little below 1, but its
    #  interval is wide and contains 1"; bins of equal size "put nearly all positives into the top bin"
    assert abs(lesson["mean_proba"] - lesson["prevalence"]) < 0.005
    assert lesson["brier_plain"] < 0.9 * lesson["brier_prevalence"]
    assert lesson["n_calibration_bins"] == 10
    assert lesson["diagonal_inside"] == 1.0 and lesson["grid_top"] < 0.6
    assert 0.75 < lesson["calibration_slope"] < 0.98
    low, high = lesson["slope_interval"]
    assert low < lesson["calibration_slope"] < high and low < 1 < high and high - low > 0.3
    assert lesson["top_bin_positives"] > 0.6 * 51 and lesson["top_bin_low"] < 0.1


def test_nested_cv_picks_a_small_weight_that_beats_balanced(lesson):
    # "cross-validation picks a small weight almost every time, and the model chosen that way scores about as well
    #  on the outer folds as the winner did in the table"; "the weight beats 'balanced' on the outer folds"
    assert lesson["outer_splits_are_the_first_ten"]
    chosen = lesson["chosen_weights"]
    assert len(chosen) == 10 and sum(w <= 10 for w in chosen) >= 9
    assert abs(lesson["nested_f1"] - lesson["winner_f1_same_folds"]) < 0.03
    result = lesson["nested_vs_balanced"]
    assert result["mean_difference"] > 0.08 and result["fraction_won"] >= 0.8 and result["p_value"] < 0.05


def test_prompts_p1_and_p2_answers_follow_from_the_lesson(lesson):
    # p1 (b): "about 14.5, with about 0.5 for each majority row"; p2 (b): "most, but far from all: between 60 % and 90 %"
    from course_utils.exercises import ex03

    p1, p2 = ex03.p1.parts["my_prediction"], ex03.p2.parts["my_prediction"]
    assert p1.correct == "b" and "14.5" in p1.options["b"]
    assert lesson["by_hand"][1] == pytest.approx(14.5, abs=0.1) and lesson["by_hand"][0] == pytest.approx(0.5, abs=0.05)
    assert p2.correct == "b" and "60 %" in p2.options["b"] and "90 %" in p2.options["b"]
    assert 0.6 < lesson["both_at_balanced"] / lesson["either_at_balanced"] < 0.9


def test_section_3_balanced_weights_are_as_stated(lesson):
    # "...the same ratio with smaller weights (0.52 and 14.55, section 1)"
    assert [round(w, 2) for w in lesson["by_hand"]] == [0.52, 14.55]
    # "We check below that the difference is negligible here."
    assert lesson["same_prediction"] > 0.99
    assert abs(lesson["ap_balanced_itself"] - lesson["ap_balanced_ratio"]) < 0.005


def test_boundary_moves_into_the_majority_as_the_weight_grows(lesson):
    share, true_share = lesson["toy_share"], lesson["toy_true_share"]
    assert lesson["toy_ratio"] == pytest.approx(10, rel=0.02)  # "'balanced' is about w = 10"
    assert share == sorted(share)
    assert share[0] < true_share < share[2] < share[3]
    assert share[3] > 2 * true_share
    recall, majority = lesson["toy_recall"], lesson["toy_majority_flagged"]
    assert recall[0] < 0.7  # w = 1 "misses a large part" of the minority
    assert recall[2] > 0.9  # near 'balanced' "catches almost every minority point"...
    assert 0.02 < majority[2] < 0.2  # ..."at the price of flagging some majority points"
    assert majority[3] > 0.15  # w = 100 "claims a large slice of the majority cloud"


def test_weight_acts_like_threshold_one_over_one_plus_w(lesson):
    assert abs(lesson["mean_proba"] - lesson["prevalence"]) < 0.005  # calibrated on average
    weights, agreement = lesson["weights"], lesson["agreement"]
    assert lesson["agree_up_to_balanced"] >= 0.93
    assert all(a >= 0.99 for w, a in zip(weights, agreement) if w <= 5)
    assert lesson["agree_at_1000"] < lesson["agree_up_to_balanced"] - 0.05


def test_agreement_among_flagged_rows_is_tight_only_for_small_weights(lesson):
    weights, overlap = lesson["weights"], lesson["overlap"]
    i_bal = weights.index(lesson["w_balanced"])
    # "the match is tight up to w = 5"
    assert lesson["overlap_up_to_5"] >= 0.85
    # "...and only partial from 'balanced' on: there, about three flags in four are shared"
    assert 0.65 <= overlap[i_bal] <= 0.85
    assert lesson["both_at_balanced"] / lesson["either_at_balanced"] == pytest.approx(overlap[i_bal], abs=0.001)
    assert all(0.6 <= o <= 0.9 for o in overlap[i_bal:])
    # "...although both rules flag a similar number of rows"
    assert 0.75 < lesson["weighted_flags"] / lesson["shifted_flags"] < 1.33
    # The share of all rows overstates it (easy negatives): it is above the overlap for every weight > 1.
    assert all(a > o for a, o, w in zip(lesson["agreement"], overlap, weights) if w > 1)
    # "Nor does the agreement fall steadily as w grows (compare w = 300 and 1000)"
    assert lesson["agree_at_1000"] > lesson["agree_at_300"]


def test_huge_weights_bend_the_slopes_not_just_the_intercept(lesson):
    shift, bend = lesson["intercept_shift"], lesson["slope_change"]
    assert shift[0] == pytest.approx(np.log(5), abs=0.3)
    assert bend == sorted(bend)  # "the bend grows with w"
    assert bend[0] > 0.05  # already at w = 5
    assert bend[2] > 3 * bend[0]


def test_myth_too_high_weights_hurt_precision_and_average_precision(lesson):
    i_bal = lesson["weights"].index(lesson["w_balanced"])
    i_huge = lesson["weights"].index(1000.0)
    precision, recall, f1, ap = lesson["precision"], lesson["recall"], lesson["f1"], lesson["ap"]
    prevalence = lesson["prevalence"]
    assert recall[i_huge] > recall[i_bal]  # a little more recall...
    assert precision[i_huge] < precision[i_bal] / 2  # ...for most of the precision
    assert precision[i_huge] < 2 * prevalence  # "barely above the prevalence"
    assert f1[i_huge] < f1[i_bal] / 2
    assert lesson["flagged"][i_huge] > 0.5  # "flags most rows"
    # "it peaks at a small weight and is lower at every weight from 'balanced' on, though not steadily
    #  (its minimum is at w = 300, not at 1000)"
    assert int(np.argmax(ap)) <= 2 and lesson["ap_best_w"] == lesson["weights"][int(np.argmax(ap))] <= 5
    assert all(a < max(ap) - 0.04 for a in ap[i_bal:])
    assert lesson["ap_worst_w"] == 300.0 == lesson["weights"][int(np.argmin(ap))]
    assert ap[i_huge] > min(ap)
    assert ap[i_huge] <= ap[i_bal] + 0.005


def test_paired_ap_best_small_weight_beats_balanced_but_balanced_ties_1000(lesson):
    # "On the same repeated folds, the best small weight beats 'balanced' on almost every fold, while 'balanced'
    #  and w = 1000 cannot be told apart."
    best, far = lesson["ap_comparisons"]["best|balanced"], lesson["ap_comparisons"]["balanced|1000"]
    assert best["n_splits"] == far["n_splits"] == 25
    assert best["mean_difference"] > 0.03 and best["fraction_won"] >= 0.9 and best["p_value"] < 0.05
    assert far["p_value"] > 0.1 and abs(far["t_statistic"]) < 1.5


def test_weight_chosen_by_stratified_cv_is_far_below_balanced(lesson):
    assert lesson["n_cv_folds"] == 25 and len(lesson["positives_per_fold"]) == 25  # "the same 25 folds"
    assert all(9 <= n <= 12 for n in lesson["positives_per_fold"])  # "about 10 positives per fold"
    means = lesson["cv_mean"]
    i_bal = lesson["cv_weights"].index(lesson["w_balanced"])
    assert lesson["best_weight"] < lesson["w_balanced"] / 3
    assert max(means) - means[i_bal] > 0.05
    assert max(lesson["cv_std"]) > 0.08


def test_paired_rule_separates_balanced_from_the_best_weight_but_not_its_neighbours(lesson):
    # "The best weight beats 'balanced', and the largest and smallest weights, on nearly every fold, with a small
    #  corrected p-value. Its neighbours ...: it wins on fewer of the folds against them, and the corrected test
    #  cannot tell them apart (p above 0.1)."
    paired = {float(k): v for k, v in lesson["cv_paired"].items()}
    weights = sorted(paired)
    best = lesson["best_weight"]
    i_best = weights.index(round(best, 1))
    assert np.isnan(paired[round(best, 1)]["corrected p"])  # not compared with itself
    far = [weights[0], round(lesson["w_balanced"], 1), weights[-1]]
    near = [w for w in weights[max(i_best - 2, 0): i_best + 2] if w not in far and w != round(best, 1)]
    assert len(near) >= 2
    for w in far:
        assert paired[w]["best wins on"] >= 0.9 and paired[w]["corrected p"] < 0.01, w
    for w in near:
        assert paired[w]["corrected p"] > 0.1, w
        assert paired[w]["best wins on"] < min(paired[f]["best wins on"] for f in far), w


def test_weights_move_logistic_regression_more_than_tree_ensembles(lesson):
    rows = lesson["families"]

    def change(model, column="rows predicted minority"):
        return rows[f"{model}|balanced"][column] - rows[f"{model}|None"][column]

    lr = change("logistic regression")
    rf = change("random forest (30 full trees)")
    hgb = change("gradient boosting (HGB, 30 rounds)")
    assert lr > 3 * rf and lr > 1.5 * hgb
    assert rf < 0.03
    # "here the weights moved a fully grown forest little, and gradient boosting a lot"
    assert hgb > 3 * rf
    assert rows["gradient boosting (HGB, 30 rounds)|balanced"]["rows predicted minority"] > 5 * rows["gradient boosting (HGB, 30 rounds)|None"]["rows predicted minority"]
    # "Average precision ... on the paired folds: for the two tree ensembles the differences centre near 0 and the
    #  test cannot tell ... For the logistic regression the weight lowers AP on most folds ... with only
    #  10 folds the corrected test is borderline"
    assert lesson["n_family_splits"] == 10
    comparisons = lesson["family_comparisons"]
    for tree in ("random forest (30 full trees)", "gradient boosting (HGB, 30 rounds)"):
        assert abs(comparisons[tree]["mean_difference"]) < 0.03, tree
        assert comparisons[tree]["p_value"] > 0.3, tree
        assert abs(change(tree, "average precision")) < 0.03
        # "the test cannot tell: the corrected 95 % intervals (printed above) reach about ±0.1"
        low, high = lesson["family_intervals"][tree]
        assert -0.125 < low < -0.08 and 0.08 < high < 0.125, tree
    lr = comparisons["logistic regression"]
    assert lr["mean_difference"] < -0.03 and lr["fraction_won"] <= 0.2
    assert 0.01 < lr["p_value"] < 0.15


def test_prompt_p3_answer_follows_from_the_lesson(lesson):
    # p3's answer (c): precision "falls toward the prevalence: the model flags so many rows that most flags are wrong"
    from course_utils.exercises import ex03

    choice = ex03.p3.parts["my_prediction"]
    assert choice.correct == "c" and "falls toward the prevalence" in choice.options["c"]
    i_huge = lesson["weights"].index(1000.0)
    assert lesson["precision"][i_huge] < 2 * lesson["prevalence"] and lesson["flagged"][i_huge] > 0.5
