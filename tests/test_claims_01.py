"""Lesson 01's quantitative claims, re-measured by running the lesson itself.

Each test names the sentence it backs. Margins are wide enough to survive a library upgrade that
keeps the story, and narrow enough to fail when the story changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_notebook

LESSON = "notebooks/01_imbalance_basics.ipynb"

# Tables keyed by their index (run_notebook's plain form of a DataFrame drops the index).
_EXTRA = """
import numpy as _np
_summary = summary.to_dict(orient="index")
_drift = drift.to_dict(orient="index")
_myth = myth.to_dict(orient="index")
_base_rates = base_rates.to_dict(orient="index")
_grid = _np.mgrid[-3.3:3.7:200j, -3.3:3.7:200j].reshape(2, -1).T
_minority_region_share = {r: float(m.predict(_grid).mean()) for r, m in models.items()}
_myth_test_shape = (X_test.shape[1], len(y_test), int(y_test.sum()))
_heavy = heavy.to_dict(orient="index")
_fixed_count = fixed_count.to_dict(orient="index")
_myth_runs = myth_runs.to_dict(orient="records")
"""
NAMES = [
    "_summary", "_drift", "_myth", "_heavy", "_fixed_count", "_myth_runs", "n_minority_fixed", "_base_rates", "_minority_region_share", "_myth_test_shape", "mean_recall",
    "n_majority", "n_minority", "yeast_ir", "yeast_prevalence",
    "share_sick", "true_alarms", "false_alarms",
]


@pytest.fixture(scope="module")
def lesson():
    return run_notebook(LESSON, NAMES, extra_code=_EXTRA)


def by_ratio(table):
    """{"1": {...}, "5": {...}} -> [(1, {...}), (5, {...})] sorted by ratio."""
    return sorted(((int(float(k)), v) for k, v in table.items()), key=lambda kv: kv[0])


# -- 1. Two numbers ------------------------------------------------------------ #


def test_real_datasets_are_imbalanced_with_few_dozen_minority_rows(lesson):
    # "three real datasets ... whose minority classes hold only a few dozen rows" (recap)
    summary = lesson["_summary"]
    assert set(summary) == {"ecoli4", "yeast4", "abalone19"}
    assert summary["ecoli4"]["imbalance_ratio"] == pytest.approx(15.8, abs=0.1)
    assert summary["yeast4"]["imbalance_ratio"] == pytest.approx(28.1, abs=0.1)
    assert summary["abalone19"]["imbalance_ratio"] == pytest.approx(129.4, abs=0.1)
    assert all(10 <= row["minority"] <= 60 for row in summary.values())


def test_prevalence_column_matches_its_definition(lesson):
    # intro: "measure imbalance with two numbers ... on three real datasets"; section 1:
    # "prevalence = 1 / (1 + IR)" -- the summary table shows both numbers for every dataset.
    for name, row in lesson["_summary"].items():
        assert row["prevalence"] == pytest.approx(row["minority"] / row["rows"], abs=5e-5), name
        assert row["prevalence"] == pytest.approx(1 / (1 + row["imbalance_ratio"]), rel=0.01), name
    prevalences = [row["prevalence"] for row in lesson["_summary"].values()]
    assert all(0.005 < p < 0.07 for p in prevalences)


def test_yeast4_by_hand_matches_the_table_and_prevalence_formula(lesson):
    # "imbalance ratio = 1433 / 51 = 28.1"; "prevalence = 51 / 1484 = 0.034, and 1 / (1 + IR) = 0.034"
    assert (lesson["n_majority"], lesson["n_minority"]) == (1433, 51)
    assert lesson["yeast_ir"] == pytest.approx(lesson["_summary"]["yeast4"]["imbalance_ratio"], abs=0.05)
    assert lesson["yeast_prevalence"] == pytest.approx(1 / (1 + lesson["yeast_ir"]), rel=1e-12)
    assert lesson["yeast_prevalence"] == pytest.approx(0.034, abs=0.0005)


def test_abalone19_test_folds_hold_about_six_positives(lesson):
    # "A score computed on six positives can move a lot"
    assert round(lesson["_summary"]["abalone19"]["minority"] / 5) == 6


# -- 2. Drift toward the majority --------------------------------------------- #


def test_minority_recall_collapses_as_the_ratio_grows(lesson):
    # "at 100 : 1 almost every minority point sits on the blue side"; recap: "minority recall collapsing"
    rows = by_ratio(lesson["_drift"])
    recalls = [row["minority recall"] for _, row in rows]
    assert recalls == sorted(recalls, reverse=True)
    assert recalls[0] > 0.85
    assert recalls[-1] < 0.15
    assert recalls[0] - recalls[-1] > 0.7


def test_majority_recall_rises_as_the_ratio_grows(lesson):
    # recap: "while its majority recall rose"
    recalls = [row["majority recall"] for _, row in by_ratio(lesson["_drift"])]
    assert recalls == sorted(recalls)
    assert recalls[-1] > 0.98 and recalls[-1] - recalls[0] > 0.05


def test_minority_region_shrinks(lesson):
    # "The vermillion region shrinks and slides into the minority cloud"
    shares = [share for _, share in sorted((int(k), v) for k, v in lesson["_minority_region_share"].items())]
    assert shares == sorted(shares, reverse=True)
    assert shares[0] > 2 * shares[-1]


def test_probability_at_the_minority_centre_falls_below_one_half(lesson):
    # "Even at the centre of the minority cloud ... from 20 : 1 on it is below 0.5"
    probs = dict(by_ratio(lesson["_drift"]))
    probs = {ratio: row["P(minority) at the minority centre"] for ratio, row in probs.items()}
    assert list(probs) == [1, 5, 20, 100]
    assert list(probs.values()) == sorted(probs.values(), reverse=True)
    assert probs[1] > 0.5 and probs[5] > 0.5
    assert probs[20] < 0.5 and probs[100] < 0.5


def test_drift_is_not_the_luck_of_one_draw(lesson):
    # "Refit on ten independent training samples per ratio and average"
    means = [lesson["mean_recall"][str(r)] for r in (1, 5, 20, 100)]
    assert means == sorted(means, reverse=True)
    assert means[0] > 0.85 and means[-1] < 0.15
    drift = [row["minority recall"] for _, row in by_ratio(lesson["_drift"])]
    assert all(abs(m - d) < 0.1 for m, d in zip(means, drift))


# -- 3. Base rates ---------------------------------------------------------------- #


def test_screening_example_gives_about_fifteen_percent(lesson):
    # p2's answer "about 15 %"; "90 sick + 495 healthy = 585"; "false alarms win"
    assert lesson["share_sick"] == pytest.approx(90 / 585, rel=1e-9)
    assert 0.12 < lesson["share_sick"] < 0.18
    assert lesson["false_alarms"] > 5 * lesson["true_alarms"]


def test_share_of_real_alarms_falls_with_prevalence(lesson):
    # "at low prevalence even a good test raises mostly false alarms"
    rows = sorted((float(k), v) for k, v in lesson["_base_rates"].items())
    shares = [row["share real"] for _, row in rows]
    assert shares == sorted(shares)  # ascending prevalence -> ascending share
    by_prevalence = dict(rows)
    assert by_prevalence[0.01]["share real"] < 0.5 < by_prevalence[0.1]["share real"]
    assert by_prevalence[0.001]["share real"] < 0.05
    assert by_prevalence[0.01]["imbalance ratio"] == pytest.approx(99)


# -- 4. Myth buster ----------------------------------------------------------------- #


def test_myth_buster_data(lesson):
    # "Its data have 10 features"; "fresh rows ... (half of them minority)"
    n_features, n_test, n_minority = lesson["_myth_test_shape"]
    assert n_features == 10
    assert n_minority == n_test // 2


def test_imbalance_costs_almost_nothing_when_classes_are_well_separated(lesson):
    # "With well-separated classes, a hundredfold imbalance costs the model almost nothing"
    myth = dict(by_ratio(lesson["_myth"]))
    assert myth[1]["well separated"] > 0.97
    assert myth[100]["well separated"] > 0.9
    assert myth[1]["well separated"] - myth[100]["well separated"] < 0.05


def test_imbalance_wipes_out_recall_when_classes_overlap(lesson):
    # "With heavy overlap, the same ratio wipes out most of the minority recall"
    myth = dict(by_ratio(lesson["_myth"]))
    assert myth[100]["heavy overlap"] < 0.5 * myth[1]["heavy overlap"]
    assert myth[1]["heavy overlap"] - myth[100]["heavy overlap"] > 0.4


def test_overlap_orders_the_damage(lesson):
    # p3's answer: the drop is "much more when the classes overlap"; recall falls with the ratio
    myth = dict(by_ratio(lesson["_myth"]))
    drop = {c: myth[1][c] - myth[100][c] for c in ("heavy overlap", "some overlap", "well separated")}
    assert drop["heavy overlap"] > drop["some overlap"] > drop["well separated"]
    assert drop["heavy overlap"] - drop["well separated"] > 0.4
    for column in drop:
        recalls = [row[column] for _, row in sorted(myth.items())]
        assert all(a >= b - 0.01 for a, b in zip(recalls, recalls[1:])), column


def test_prior_corrected_threshold_gives_back_most_of_the_recall(lesson):
    # "With the prior-corrected threshold, most of the lost recall comes back, without flagging the
    #  majority wholesale (its recall stays about the same)"
    heavy = dict(by_ratio(lesson["_heavy"]))
    at_half = [row["minority recall"] for row in heavy.values()]
    corrected = [row["minority recall at 1/(1+ratio)"] for row in heavy.values()]
    assert at_half[0] - at_half[-1] > 0.6  # at 0.5: 0.75 -> under 0.1
    assert corrected[-1] > 0.6 and corrected[0] - corrected[-1] < 0.15  # corrected: about 0.75 -> 0.67
    assert corrected[0] == pytest.approx(at_half[0], abs=0.01)  # at ratio 1 the two thresholds coincide
    assert all(c > h for c, h in zip(corrected[1:], at_half[1:]))
    majority = [row["majority recall at 1/(1+ratio)"] for row in heavy.values()]
    assert max(majority) - min(majority) < 0.05 and min(majority) > 0.7
    # The right panel: the corrected threshold flattens every curve, not only the heavy overlap's.
    for label in ("some overlap", "well separated"):
        runs = {r["ratio"]: r for r in lesson["_myth_runs"] if r["classes"] == label}
        assert runs[1]["minority recall at 1/(1+ratio)"] - runs[100]["minority recall at 1/(1+ratio)"] < 0.1, label


def test_ranking_loses_only_a_little_with_the_ratio(lesson):
    # "the ranking loses only a little": ROC-AUC 0.84 -> 0.78 with heavy overlap, against recall 0.75 -> 0.08
    heavy = dict(by_ratio(lesson["_heavy"]))
    auc = [row["ROC-AUC"] for row in heavy.values()]
    assert 0.01 < auc[0] - auc[-1] < 0.1
    assert min(auc) > 0.7
    assert [row["minority training rows"] for row in heavy.values()] == [2500, 1250, 455, 161, 50]
    # AP on the balanced test rows is a ranking measure too, and moves as little.
    ap = [row["AP"] for row in heavy.values()]
    assert max(ap) - min(ap) < 0.1 and min(ap) > 0.7
    separated = [r["ROC-AUC"] for r in lesson["_myth_runs"] if r["classes"] == "well separated"]
    assert min(separated) > 0.99


def test_what_the_ranking_loses_follows_the_minority_count_not_the_ratio(lesson):
    # "With the minority count held fixed, the ratio hardly moves the ranking: a hundred times more majority
    #  rows cost the model nothing in ROC-AUC. At ratio 100 the fixed-size training sets had only 50 minority
    #  rows too, and their ROC-AUC is close to that level, while with 2,500 minority rows it was clearly higher."
    fixed = dict(by_ratio(lesson["_fixed_count"]))
    assert list(fixed) == [1, 3, 10, 30, 100]
    assert all(row["minority training rows"] == lesson["n_minority_fixed"] == 50 for row in fixed.values())
    assert [row["majority training rows"] for row in fixed.values()] == [50, 150, 500, 1500, 5000]
    auc = [row["ROC-AUC"] for row in fixed.values()]
    assert max(auc) - min(auc) < 0.04
    assert auc[-1] >= auc[0] - 0.01  # more majority rows never hurt the ranking
    heavy = dict(by_ratio(lesson["_heavy"]))
    assert abs(heavy[100]["ROC-AUC"] - np.mean(auc)) < 0.04
    assert heavy[1]["ROC-AUC"] > max(auc) + 0.015


def test_exercise_q7_answer_follows_from_the_lesson(lesson):
    # ex01.q7: "ratio 10, heavy overlap" is harder than "ratio 100, well separated" and "ratio 1, heavy overlap"
    myth = dict(by_ratio(lesson["_myth"]))
    hardest = myth[10]["heavy overlap"]
    assert hardest < myth[100]["well separated"] - 0.5
    assert hardest < myth[1]["heavy overlap"] - 0.3


def test_exercise_q6_premise_fewer_than_half_found():
    # Exercise 01 step 6: "Your model finds fewer than half of the minority test points."
    from course_utils.exercises import ex01

    assert 0.2 < ex01._toy_scores()["recall"] < 0.5
