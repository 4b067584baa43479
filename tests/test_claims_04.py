"""Lesson 04's quantitative claims, re-measured by running the lesson and reading its variables."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_notebook

LESSON = "notebooks/04_smote_mechanics.ipynb"

_EXTRA = """
def _row(frame, key):
    return {str(k): float(v) for k, v in frame.loc[key].items()}

claims = {
    "n_majority": int(np.sum(y_toy == 0)),
    "n_minority": int(np.sum(y_toy == 1)),
    "ros": {"new": len(new_ros), "distinct": len(np.unique(new_ros, axis=0)), "copies": count_copies(new_ros)},
    "smote": {"new": len(new_smote), "distinct": len(np.unique(new_smote, axis=0)), "copies": count_copies(new_smote)},
    "step_gap": float(gap),
    "step_neighbour_ok": bool(j in neighbours[i]),
    "step_on_segment": float(np.linalg.norm(np.cross(X_min[j] - X_min[i], x_new - X_min[i]))),
    "step_between": bool(np.all(np.minimum(X_min[i], X_min[j]) <= x_new) and np.all(x_new <= np.maximum(X_min[i], X_min[j]))),
    "originals_first": bool(np.array_equal(X_smote[:len(X_toy)], X_toy)),
    "on_segment_share": float(np.mean(distance < 1e-9)),
    "in_majority_territory": {str(k): float(v) for k, v in in_majority_territory.items()},
    "strategies": {s: _row(strategies, s) for s in strategies.index},
    "refused": refused,
    "majority_copies": np.unique(copies[y_toy == 0]).tolist(),
    "minority_copies_total": int(copies[y_toy == 1].sum()),
    "ros_gap": float(ros_gap),
    "compared": {m: _row(compared, m) for m in compared.index},
    "trees": {t: _row(trees, t) for t in trees.index},
    "region_gain": {c: [float(v) for v in g] for c, g in region_gain.items()},
    "region_vs_none": [float(v) for v in by_draw["region, unpruned"]["SMOTE"] - by_draw["region, unpruned"]["no resampling"]],
    "tree_f1": {c: float(v) for c, v in tree_f1.mean().items()},
    "tree_gap": tree_gap._asdict(),
    "paired": {f"{m} | {n}": g._asdict() for (m, n), g in paired.items()},
    "n_splits": len(splits),
    "mixed_share": float(blend_share["raw numeric columns"]),
    "mixed_share_scaled": float(blend_share["standardised numeric columns"]),
    "blends": blend_kinds["raw numeric columns"],
    "blends_scaled": blend_kinds["standardised numeric columns"],
    "other_sex_share": float(other_sex_share["raw numeric columns"]),
    "other_sex_share_scaled": float(other_sex_share["standardised numeric columns"]),
    "numeric_gap": float(numeric_gaps["raw numeric columns"]),
    "numeric_gap_scaled": float(numeric_gaps["standardised numeric columns"]),
    "ap_mean_of_folds": float(mean_of_folds),
    "ap_pooled": float(average_precision_score(y, pooled)),
    "ap_random_fifths": float(ap_random_fifths),
    "small_set_share": float((ap_random_fifths - average_precision_score(y, pooled)) / (mean_of_folds - average_precision_score(y, pooled))),
    "other_shuffles": [float(v) for v in other_shuffles],
    "tree_gap_interval": [float(v) for v in tree_gap_interval],
    "ros_total": ros_total, "balanced_total": balanced_total,
    "smotenc_new_sex": new_rows["sex"].value_counts().to_dict(),
    "minority_sex": X_ab.loc[y_ab == 1, "sex"].value_counts().to_dict(),
}
"""


@pytest.fixture(scope="module")
def lesson():
    return run_notebook(LESSON, ["claims"], extra_code=_EXTRA)["claims"]


def test_toy_data_is_200_to_20(lesson):
    assert (lesson["n_majority"], lesson["n_minority"]) == (200, 20)


def test_myth_smote_is_not_duplication(lesson):
    added = lesson["n_majority"] - lesson["n_minority"]
    assert lesson["ros"] == {"new": added, "distinct": lesson["n_minority"], "copies": added}
    assert lesson["smote"] == {"new": added, "distinct": added, "copies": 0}


def test_one_smote_point_by_hand(lesson):
    assert 0 <= lesson["step_gap"] < 1
    assert lesson["step_neighbour_ok"]
    assert lesson["step_on_segment"] < 1e-12 and lesson["step_between"]


def test_imblearn_smote_points_lie_on_minority_neighbour_segments(lesson):
    assert lesson["originals_first"]
    assert lesson["on_segment_share"] == 1.0


def test_larger_k_puts_more_new_points_among_the_majority(lesson):
    share = lesson["in_majority_territory"]
    assert share["1"] < share["5"] < share["19"]
    assert share["19"] > 3 * share["1"]


def test_float_sampling_strategy_is_the_ratio_after_resampling(lesson):
    strategies, n_majority, n_minority = lesson["strategies"], lesson["n_majority"], lesson["n_minority"]
    for key in ("0.5", "0.25", "1.0"):
        row = strategies[key]
        assert row["majority after"] == n_majority  # an over-sampler never removes
        assert row["minority after"] == int(float(key) * n_majority)
        assert row["minority / majority after"] == pytest.approx(float(key))
        assert row["added"] == row["minority after"] - n_minority
    assert strategies["auto"]["minority after"] == n_majority
    assert strategies["{1: 60}"]["minority after"] == 60
    assert lesson["refused"] and "increase the ratio" in lesson["refused"]


def test_random_oversampling_is_an_integer_sample_weight(lesson):
    assert lesson["majority_copies"] == [1]
    assert lesson["minority_copies_total"] == lesson["n_majority"]
    assert lesson["ros_gap"] < 1e-10


def test_class_weights_and_random_oversampling_score_alike(lesson):
    # "class weights and random over-sampling land within a hair of each other" (same 5 x 5 folds, paired)
    assert lesson["n_splits"] == 25
    weights = lesson["compared"]["class_weight='balanced'"]
    ros = lesson["compared"]["random over-sampling"]
    assert abs(weights["ROC-AUC"] - ros["ROC-AUC"]) < 0.005
    assert abs(weights["average precision"] - ros["average precision"]) < 0.005
    for metric in ["ROC-AUC", "average precision"]:
        assert lesson["paired"][f"{metric} | random over-sampling"]["p_value"] > 0.5


def test_smote_keeps_roc_auc_and_raises_ap_consistently(lesson):
    # "SMOTE leaves ROC-AUC where it was and raises average precision by a few hundredths over class weights, on
    # every one of the 25 folds; the corrected t-test ... gives a p-value below 0.05"
    auc = lesson["paired"]["ROC-AUC | SMOTE"]
    assert abs(auc["mean_difference"]) < 0.01 and auc["p_value"] > 0.3
    ap = lesson["paired"]["average precision | SMOTE"]
    assert 0.01 < ap["mean_difference"] < 0.06
    assert ap["fraction_won"] == 1.0 and ap["p_value"] < 0.05


def test_smote_enlarges_the_minority_region_of_unpruned_trees(lesson):
    # "random over-sampling leaves the minority region about where it was ..., while SMOTE enlarges it in every
    # draw"; "The larger region finds more of the fresh minority cases (recall up), at some cost in precision, and
    # F1 on fresh cases rises on most draws"
    trees = lesson["trees"]
    plain, ros, smote = trees["no resampling"], trees["random over-sampling"], trees["SMOTE"]
    assert abs(ros["region, unpruned"] - plain["region, unpruned"]) < 0.01
    assert smote["region, unpruned"] > 1.2 * ros["region, unpruned"]
    assert all(g > 0 for g in lesson["region_gain"]["region, unpruned"])
    assert all(g > 0 for g in lesson["region_vs_none"])
    assert smote["recall"] > ros["recall"] + 0.1 and smote["precision"] < ros["precision"]
    assert sum(g > 0 for g in lesson["region_gain"]["F1"]) >= 7


def test_leaf_counts_point_the_other_way(lesson):
    # "SMOTE's tree is also the one with the most leaves"
    trees = lesson["trees"]
    assert trees["SMOTE"]["leaves"] > 1.3 * max(trees["random over-sampling"]["leaves"], trees["no resampling"]["leaves"])


def test_min_samples_leaf_removes_smotes_region_advantage(lesson):
    # "for a tree with min_samples_leaf=5, the advantage vanishes: random over-sampling enlarges the region as much
    # as SMOTE"
    trees = lesson["trees"]
    gain = lesson["region_gain"]["region, min_samples_leaf=5"]
    assert abs(sum(gain) / len(gain)) < 0.02 and 3 <= sum(g > 0 for g in gain) <= 7
    assert trees["random over-sampling"]["region, min_samples_leaf=5"] > 1.3 * trees["no resampling"]["region, min_samples_leaf=5"]


def test_unpruned_trees_on_yeast4_show_no_detectable_difference(lesson):
    # "SMOTE is higher on fewer than half of the folds, and the paired difference is
    # far inside its noise"
    gap = lesson["tree_gap"]
    assert gap["fraction_won"] < 0.5 and gap["p_value"] > 0.5
    assert abs(gap["mean_difference"]) < 0.5 * gap["std_difference"]
    # "we detect no difference ... the corrected 95 % interval (printed above) still allows differences of about
    # ±0.13 either way"
    low, high = lesson["tree_gap_interval"]
    assert low == pytest.approx(-0.13, abs=0.015) and high == pytest.approx(0.13, abs=0.015)


def test_per_fold_mean_and_pooled_average_precision_differ_mostly_by_small_test_sets(lesson):
    # "for average precision that gives a different number for the very same model and the very same 5 folds";
    # "the random fifths ... land close to the per-fold mean, far above the pooled number": most of the gap is the
    # small test sets
    assert lesson["ap_mean_of_folds"] - lesson["ap_pooled"] > 0.05
    assert lesson["ap_pooled"] + 0.04 < lesson["ap_random_fifths"] < lesson["ap_mean_of_folds"]
    assert lesson["small_set_share"] > 0.6  # "Most of the gap, perhaps all of it"
    # "They stay a little below it, but that rest is within the noise of one shuffle: the per-fold mean itself
    # varies about as much from one shuffle of the folds to another (SD and range printed above)"
    rest = lesson["ap_mean_of_folds"] - lesson["ap_random_fifths"]
    shuffles = np.array(lesson["other_shuffles"])
    assert len(shuffles) == 10 and shuffles[0] == pytest.approx(lesson["ap_mean_of_folds"])  # seed 0 is the lesson's 5 folds
    assert 0 < rest < shuffles.max() - shuffles.min()
    assert rest < 1.5 * shuffles.std(ddof=1)


def test_random_oversampling_has_the_balanced_ratio_at_a_larger_scale(lesson):
    # "over-sampling brings the total weight to twice the majority count, while 'balanced' keeps it at the number
    # of rows": 2,866 against 1,484 on yeast4, C multiplied by 1.93
    assert (lesson["ros_total"], lesson["balanced_total"]) == (2 * 1433, 1484)
    assert lesson["ros_total"] / lesson["balanced_total"] == pytest.approx(1.93, abs=0.005)


def test_smote_blends_few_rows_on_raw_columns_and_many_once_standardised(lesson):
    # "On the raw columns only a few are, and none is part female, part male; once the numeric columns are
    # standardised ... almost one new row in five is a blend, female + male included."
    assert lesson["mixed_share"] < 0.1
    assert lesson["blends"] and set(lesson["blends"]) <= {"F + I", "I + M"}
    assert 0.15 < lesson["mixed_share_scaled"] < 0.2
    assert "F + M" in lesson["blends_scaled"]
    # "a minority abalone's nearest minority neighbours share its sex"; standardised, "neighbours of another sex
    # become common"
    assert lesson["other_sex_share"] < 0.1
    assert lesson["other_sex_share_scaled"] > 3 * lesson["other_sex_share"]
    # "small numbers (a few tenths)"; "grow to about 1 (printed above), comparable to the √2 between sexes"
    assert lesson["numeric_gap"] < np.sqrt(2) / 3
    assert 0.7 < lesson["numeric_gap_scaled"] < np.sqrt(2)


def test_smotenc_keeps_categories_and_smote_blends_them(lesson):
    assert 0.01 < lesson["mixed_share"] < 0.5
    assert set(lesson["smotenc_new_sex"]) <= {"F", "M", "I"}
    assert "I" not in lesson["smotenc_new_sex"]
    assert lesson["minority_sex"]["I"] == 2
