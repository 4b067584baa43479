"""Lesson 09's quantitative claims, re-measured by running the lesson itself.

Each test names the sentence it backs. Margins are wide enough to survive a library upgrade that
keeps the story, and narrow enough to fail when the story changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_notebook

pytestmark = pytest.mark.notebook

LESSON = "notebooks/09_ensembles_and_one_class.ipynb"

_EXTRA = """
_ensemble = ensemble_table.to_dict(orient="index")
_brf_vs_rf = {k: v._asdict() for k, v in brf_vs_rf.items()}
_moved = moved._asdict()
_across = {f"{d} | {m}": v._asdict() for (d, m), v in across.items()}
_support = support.astype(bool).to_dict(orient="index")
_remedies = remedy_table.to_dict(orient="index")
_knn_gap, _mlp_gap, _mlp_ap_gap = knn_gap._asdict(), mlp_gap._asdict(), mlp_ap_gap._asdict()
_hgb_vs = {k: v._asdict() for k, v in hgb_vs.items()}
_intervals = {"brf_vs_rf AP": corrected_interval(brf_vs_rf["AP"], n_train, n_test),
              "knn": corrected_interval(knn_gap, n_train, n_test),
              "mlp AP": corrected_interval(mlp_ap_gap, n_train, n_test),
              "mlp BA": corrected_interval(mlp_gap, n_train, n_test)}
_across_intervals = dict(zip([f"{d} | {m}" for d, m in across], [corrected_interval(g, *nt) for g, nt in
                                                               zip(across.values(), across_sizes)]))
_fit_ratios = {k: [float(x) for x in v] for k, v in fit_ratios.items()}
_abalone = {name: float(abalone_ap[name].mean()) for name in abalone_ap}
_lr_vs_iso = lr_vs_iso._asdict()
_novel = {name: float(novel[name].mean()) for name in novel}
_novel_iso_wins = float(np.mean(novel["IsolationForest"] > novel["logistic regression"]))
_curve = {int(k): float(v) for k, v in curve.items()}
_sizes = {"rows": int(len(y_yeast)), "positives": int(y_yeast.sum()), "splits": len(splits),
          "abalone_positives": int(y_abalone.sum()), "abalone_rows": int(len(y_abalone)),
          "ecoli_positives": int(load("ecoli4")[1].sum())}
_moved_interval = [float(moved_low), float(moved_high)]
_extras = {"lowest_proba": lowest_proba, "hgb_surviving": list(hgb_surviving), "train_shares": train_shares,
           "gnb_shares": gnb_shares, "draws_won": draws_won,
           "adaboost_floor": float(adaboost_floor)}
_gnb = {"same_as_prior": bool(same_as_prior), "shift_min": float(log_odds_shift.min()),
        "shift_max": float(log_odds_shift.max()), "prior_shift": float(prior_shift)}
"""
NAMES = ["_ensemble", "_brf_vs_rf", "_moved", "_across", "_support", "_remedies", "_knn_gap", "_mlp_gap", "_mlp_ap_gap", "_hgb_vs", "_intervals", "_across_intervals",
         "_fit_ratios", "_abalone",
         "_lr_vs_iso", "_novel", "_novel_iso_wins", "_curve", "_sizes", "_gnb", "_moved_interval", "_extras", "train_rows",
         "rows_per_tree", "prevalence", "abalone_chance", "novel_chance", "overtakes"]

ENSEMBLES = ["BalancedRandomForest", "BalancedBagging", "EasyEnsemble", "RUSBoost"]


@pytest.fixture(scope="module")
def lesson():
    return run_notebook(LESSON, NAMES, extra_code=_EXTRA)


# -- 1. Balanced ensembles against strong baselines ----------------------------------- #


def test_yeast4_sizes(lesson):
    # "yeast4: 1484 rows, 51 positives (prevalence 0.034); 10 splits, about 10 positives per test fold"
    s = lesson["_sizes"]
    assert (s["rows"], s["positives"], s["splits"]) == (1484, 51, 10)
    assert lesson["prevalence"] == pytest.approx(0.034, abs=0.0005)
    # L5: "every training fold has the same share to within a thousandth"
    assert max(abs(share - lesson["prevalence"]) for share in lesson["_extras"]["train_shares"]) < 0.001


def test_p1_balanced_forest_moves_balanced_accuracy_not_ap(lesson):
    # p1 answer (b): "balanced accuracy at 0.5, by more than 0.1, while AP moves by less than 0.05";
    # "Balanced accuracy at 0.5 jumps; AP does not."
    ba, ap = lesson["_brf_vs_rf"]["BA at 0.5"], lesson["_brf_vs_rf"]["AP"]
    assert ba["mean_difference"] > 0.1 and ba["fraction_won"] == 1.0 and ba["p_value"] < 0.01
    assert abs(ap["mean_difference"]) < 0.05 and ap["p_value"] > 0.5
    # Myth / Measured: "no AP gain was detected: the paired difference is +0.00, but its corrected 95 % interval
    # (printed above) is about ±0.15 wide"
    assert abs(ap["mean_difference"]) < 0.005
    low, high = lesson["_intervals"]["brf_vs_rf AP"]
    assert low < 0 < high and 0.12 < -low < 0.18 and 0.12 < high < 0.18


def test_weighted_forest_flags_almost_nothing_at_half(lesson):
    # "at 0.5 the weighted forest flags almost nothing"
    assert lesson["_ensemble"]["RF balanced_subsample"]["BA at 0.5"] < 0.6


def test_moving_the_threshold_no_difference_detected(lesson):
    # "no difference detected ... the corrected interval allows differences of up to about 0.1 either way"
    moved = lesson["_moved"]
    assert moved["p_value"] > 0.2 and abs(moved["mean_difference"]) < moved["std_difference"]
    low, high = lesson["_moved_interval"]
    assert low < 0 < high and 0.05 < -low < 0.15 and 0.05 < high < 0.2


def test_other_ensembles_gain_at_half_and_hgb_paired(lesson):
    # "their balanced accuracy at 0.5 is high, but their AP is not. HGB ... has the highest mean AP; paired split by
    # split, it is ahead of every other model on most splits, but with 10 splits only its gap to RUSBoost is
    # clearly beyond the noise"
    table = lesson["_ensemble"]
    for name in ENSEMBLES:
        assert table[name]["BA at 0.5"] > table["RF balanced_subsample"]["BA at 0.5"] + 0.2
        assert table[name]["BA at 0.5"] > 0.75
    assert max(table, key=lambda name: table[name]["AP"]) == "HGB"
    hgb_vs = lesson["_hgb_vs"]
    for name, gap in hgb_vs.items():
        assert gap["mean_difference"] > 0 and gap["fraction_won"] > 0.5
        assert (gap["p_value"] < 0.05) == (name == "RUSBoost")
    # M6: "that gap does not survive a correction for the five comparisons made (Bonferroni, p < 0.01)"
    assert lesson["_extras"]["hgb_surviving"] == []


def test_balanced_probabilities_and_the_prevalence_threshold(lesson):
    # "their balanced accuracy at the prevalence collapses (EasyEnsemble's and RUSBoost's to 0.5: they flag
    # everything)"
    table = lesson["_ensemble"]
    for name in ENSEMBLES:
        assert table[name]["BA at prevalence"] < table[name]["BA at 0.5"]
    for name in ("EasyEnsemble", "RUSBoost"):
        assert table[name]["BA at prevalence"] == pytest.approx(0.5, abs=0.005)
        # L6: "even their lowest probability (printed above) is far above the prevalence"
        assert lesson["_extras"]["lowest_proba"][name] > 2 * lesson["prevalence"]
    # "no probability can fall below 1 / (1 + e²) ... RUSBoost's lowest probability sits on that floor,
    # EasyEnsemble's ... above it"
    floor = lesson["_extras"]["adaboost_floor"]
    assert floor == pytest.approx(0.119, abs=0.0005)
    assert lesson["_extras"]["lowest_proba"]["RUSBoost"] == pytest.approx(floor, abs=1e-6)
    assert lesson["_extras"]["lowest_proba"]["EasyEnsemble"] > floor + 0.01


def test_rusboost_ranks_worst(lesson):
    # "`RUSBoostClassifier` has the lowest AP here"
    table = lesson["_ensemble"]
    assert min(table, key=lambda name: table[name]["AP"]) == "RUSBoost"
    assert table["RUSBoost"]["AP"] < min(table[n]["AP"] for n in table if n != "RUSBoost") - 0.05


def test_fit_time_rows_and_ratios(lesson):
    # Rows per tree on the first split (1187 vs 2 x 40 or 41). "In this run (medians printed above) the two small
    # datasets, yeast4 and ecoli4, have median ratios within about 15 % of 1, one a little below and one a little
    # above: no clear saving. On abalone19, with about 3,300 training rows, the balanced forest took about half the
    # weighted forest's CPU time in the median split." Recap: "within about 15 % of each other on the two small
    # sets, and the balanced forest took about half on the largest". CPU-time ratios of two fits on the same split,
    # timed one after the other (about 0.9, 1.1 and 0.56 when written): the bounds are wide enough for any machine
    # load, narrow enough to catch a changed story (a saving on the small sets, none on abalone19). Which small
    # set falls below 1 is this run's draw, so it is not asserted.
    rows = lesson["rows_per_tree"]
    assert rows["RF balanced_subsample"] == 1187 and 2 * 40 <= rows["BalancedRandomForest"] <= 2 * 41
    median = {name: float(np.median(r)) for name, r in lesson["_fit_ratios"].items()}
    for name in ("yeast4", "ecoli4"):
        assert 0.7 < median[name] < 1.4
    assert median["abalone19"] < 0.8
    assert median["abalone19"] < min(median["yeast4"], median["ecoli4"])
    assert lesson["train_rows"]["abalone19"] == pytest.approx(3300, abs=50)


# -- 2. The three shipped datasets ------------------------------------------------------ #


@pytest.mark.parametrize("dataset", ["yeast4", "ecoli4", "abalone19"])
def test_same_pattern_on_every_dataset(lesson, dataset):
    # "a gain in balanced accuracy at 0.5 ..., an AP difference of about zero, and once the weighted forest's
    # threshold is moved to the prevalence, no balanced-accuracy difference that the paired test can tell from noise"
    across = lesson["_across"]
    ba, ap, moved = (across[f"{dataset} | {m}"] for m in ("BA at 0.5", "AP", "BA, RF at prevalence"))
    assert ba["mean_difference"] > 0.03
    assert abs(ap["mean_difference"]) < 0.05 and ap["p_value"] > 0.3
    assert moved["p_value"] > 0.1
    # "with 5 or 10 splits it stays wide (for AP it reaches about ±0.1 on ecoli4 and ±0.15 on yeast4 and
    # abalone19)"; recap: "the corrected intervals still allow AP differences of about ±0.1 either way"
    low, high = lesson["_across_intervals"][f"{dataset} | AP"]
    assert low < -0.09 and high > 0.09
    if dataset != "ecoli4":
        assert (high - low) / 2 > 0.12


def test_gain_at_half_clear_on_yeast4_and_abalone19_noisier_on_ecoli4(lesson):
    # "(clear on yeast4 and abalone19, noisier on ecoli4, with 4 positives per test fold)"
    across = lesson["_across"]
    p = {d: across[f"{d} | BA at 0.5"]["p_value"] for d in ("yeast4", "ecoli4", "abalone19")}
    assert p["yeast4"] < 0.05 and p["abalone19"] < 0.05 and p["ecoli4"] > max(p["yeast4"], p["abalone19"])
    assert lesson["_sizes"]["ecoli_positives"] // 5 == 4


# -- 3. Models without class_weight ------------------------------------------------------ #


def test_which_models_take_weights(lesson):
    support = lesson["_support"]
    assert support["KNeighborsClassifier"] == {"class_weight parameter": False, "fit takes sample_weight": False}
    assert support["GaussianNB"] == {"class_weight parameter": False, "fit takes sample_weight": True}
    assert support["MLPClassifier"] == {"class_weight parameter": False, "fit takes sample_weight": True}


def test_gaussian_nb_weights_only_move_the_prior(lesson):
    # p2 answer (b); "GaussianNB with balanced sample weights == GaussianNB(priors=[0.5, 0.5]): True";
    # "Every row's log-odds moved by the same amount, the change of the prior"
    gnb = lesson["_gnb"]
    assert gnb["same_as_prior"]
    assert gnb["shift_max"] - gnb["shift_min"] < 1e-4
    assert gnb["shift_min"] == pytest.approx(gnb["prior_shift"], abs=1e-4)


def test_gaussian_nb_probabilities_are_extreme_and_mostly_high(lesson):
    # L7: "it gives most rows, negatives included, a probability above 0.5, many of them above 0.99"
    shares = lesson["_extras"]["gnb_shares"]
    assert shares["p >= 0.5"] > 0.6 and shares["negatives at p >= 0.5"] > 0.6 and shares["p > 0.99"] > 0.25
    remedies = lesson["_remedies"]
    assert remedies["GaussianNB"]["AP"] == pytest.approx(remedies["GaussianNB, balanced sample_weight"]["AP"], abs=1e-9)


def test_remedies_for_knn(lesson):
    # "at 0.5 it flags almost nothing. Both remedies lift balanced accuracy; the threshold does it while keeping
    # the ranking ... Under-sampling throws away most negatives; its AP was lower on these 5 splits, but the paired
    # test ... cannot separate that from noise"
    r = lesson["_remedies"]
    knn, rus = r["KNN"], r["KNN, under-sampled in the pipeline"]
    assert knn["BA at 0.5"] < 0.6
    assert rus["BA at 0.5"] > 0.75 and knn["BA at prevalence"] > 0.75
    assert abs(rus["BA at 0.5"] - knn["BA at prevalence"]) < 0.05
    gap = lesson["_knn_gap"]
    assert gap["mean_difference"] < -0.03 and gap["p_value"] > 0.05
    low, high = lesson["_intervals"]["knn"]
    assert low < 0 < high


def test_remedies_for_gaussian_nb(lesson):
    # "the weights leave AP exactly where it was ... and barely move balanced accuracy: ... no threshold in
    # between changes many decisions"
    r = lesson["_remedies"]
    assert abs(r["GaussianNB"]["BA at 0.5"] - r["GaussianNB, balanced sample_weight"]["BA at 0.5"]) < 0.05
    assert abs(r["GaussianNB"]["BA at 0.5"] - r["GaussianNB"]["BA at prevalence"]) < 0.05


def test_remedies_for_mlp(lesson):
    # "the weighted loss raises balanced accuracy at 0.5, but against the plain MLP at the prevalence no difference
    # is detected (below). That is not "as well": the corrected interval still allows differences of more than 0.1
    # either way. The plain MLP's mean AP is higher, by a difference that 5 splits cannot separate from noise."
    r = lesson["_remedies"]
    assert r["MLP, balanced sample_weight"]["BA at 0.5"] > r["MLP"]["BA at 0.5"] + 0.1
    gap = lesson["_mlp_gap"]
    assert abs(gap["mean_difference"]) < 0.05 and gap["p_value"] > 0.2
    low, high = lesson["_intervals"]["mlp BA"]
    assert low < -0.1 and high > 0.1
    assert r["MLP"]["AP"] > r["MLP, balanced sample_weight"]["AP"]
    ap_gap = lesson["_mlp_ap_gap"]
    assert ap_gap["mean_difference"] < 0 and ap_gap["p_value"] > 0.05
    low, high = lesson["_intervals"]["mlp AP"]
    assert low < 0 < high


# -- 4. Rare is not anomalous ------------------------------------------------------------ #


def test_abalone19_detectors_near_chance(lesson):
    # p3 answer (b); "Every detector is within a factor of two of chance, and OneClassSVM is at chance. Logistic
    # regression ... beats IsolationForest on every fold"; "32 of 4,174"; "about six positives per test fold";
    # "26 positives per training fold"
    s = lesson["_sizes"]
    assert (s["abalone_positives"], s["abalone_rows"]) == (32, 4174)
    assert s["abalone_positives"] / 5 == pytest.approx(6, abs=0.5) and round(s["abalone_positives"] * 0.8) == 26
    chance, ap = lesson["abalone_chance"], lesson["_abalone"]
    assert chance == pytest.approx(0.0077, abs=0.0001)
    for name in ("IsolationForest", "OneClassSVM", "LocalOutlierFactor"):
        assert ap[name] < 2 * chance
        assert ap["logistic regression"] > ap[name]
    assert ap["OneClassSVM"] < 1.2 * chance
    assert ap["logistic regression"] > 3 * chance
    assert lesson["_lr_vs_iso"]["fraction_won"] == 1.0


# -- 5-6. When one-class wins; the learning curve ------------------------------------- #


def test_detectors_win_on_a_new_kind_of_fault(lesson):
    # "Now the detectors win by far, and the supervised model is at chance"; "IsolationForest beats logistic
    # regression on 100% of the draws"
    novel, chance = lesson["_novel"], lesson["novel_chance"]
    assert novel["logistic regression"] < 2 * chance
    assert min(novel["IsolationForest"], novel["LocalOutlierFactor"]) > 5 * novel["logistic regression"]
    assert lesson["_novel_iso_wins"] == 1.0


def test_supervised_overtakes_between_20_and_40_labels(lesson):
    # "With a handful of labelled new faults the supervised model is still behind; its mean AP passes the
    # detectors' between 20 and 40 labelled faults in this run (printed above: k = 20 for IsolationForest,
    # k = 40 for LocalOutlierFactor)."
    curve = {int(k): v for k, v in lesson["_curve"].items()}  # JSON keys are strings
    novel, overtakes = lesson["_novel"], lesson["overtakes"]
    assert curve[5] < min(novel["IsolationForest"], novel["LocalOutlierFactor"])
    assert overtakes["IsolationForest"] == 20 and overtakes["LocalOutlierFactor"] == 40
    assert curve[40] > curve[10] > curve[0]
    # "These are means of 5 draws: at the crossing it is not ahead on every draw"
    won = lesson["_extras"]["draws_won"]
    assert min(won.values()) < 1.0 and all(w > 0.5 for w in won.values())
