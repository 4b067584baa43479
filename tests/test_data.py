"""course_utils.data: exact imbalance, independent draws, real datasets offline."""

import numpy as np
import pandas as pd
import pytest

from course_utils import data


@pytest.mark.parametrize("ratio", [1, 9, 99])
def test_make_imbalanced_hits_the_ratio_and_noise_keeps_it(ratio):
    X, y = data.make_imbalanced(2000, imbalance_ratio=ratio, label_noise=0.2, n_features=6)
    assert X.shape == (2000, 6)
    assert data.imbalance_ratio(y) == pytest.approx(ratio, rel=0.03)


def test_problem_and_draw_are_separate():
    X0, _ = data.make_imbalanced(500, random_state=3)
    X0_again, _ = data.make_imbalanced(500, random_state=3)
    X1, _ = data.make_imbalanced(500, random_state=3, draw=1)
    assert np.array_equal(X0, X0_again) and not np.allclose(X0, X1)
    # Same problem: the class means of two draws agree far better than two problems' do.
    def class_means(random_state, draw):
        X, y = data.make_imbalanced(20000, imbalance_ratio=1, random_state=random_state, draw=draw)
        return X[y == 1, :5].mean(axis=0)

    same = np.abs(class_means(3, 0) - class_means(3, 1)).max()
    other = np.abs(class_means(3, 0) - class_means(4, 0)).max()
    assert same < 0.1 < other


def test_class_sep_controls_overlap():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    def auc(sep):
        X, y = data.make_imbalanced(3000, class_sep=sep)
        Xt, yt = data.make_imbalanced(3000, class_sep=sep, draw=1)
        return roc_auc_score(yt, LogisticRegression().fit(X, y).predict_proba(Xt)[:, 1])

    assert auc(0.3) < auc(1.0) < auc(2.0)


@pytest.mark.parametrize("kind", ["blobs", "moons"])
def test_toy_2d(kind):
    X, y = data.make_toy_2d(300, imbalance_ratio=5, kind=kind)
    assert X.shape == (300, 2) and y.sum() == 50


@pytest.mark.parametrize(
    "name, rows, positives", [("yeast4", 1484, 51), ("abalone19", 4174, 32), ("ecoli4", 336, 20)]
)
def test_real_datasets_load_offline_as_pandas(name, rows, positives):
    bunch = data.load_dataset(name)
    assert isinstance(bunch.data, pd.DataFrame) and isinstance(bunch.target, pd.Series)
    assert len(bunch.target) == rows and bunch.n_minority == positives
    assert bunch.imbalance_ratio == pytest.approx((rows - positives) / positives)
    assert bunch.DESCR and "target" not in bunch.data.columns
    X, y = data.load_dataset(name, return_X_y=True)
    assert X.equals(bunch.data)


def test_abalone_sex_is_categorical_and_list_is_sorted():
    X, _ = data.load_abalone19(return_X_y=True)
    assert set(X["sex"]) == {"M", "F", "I"}
    table = data.list_datasets()
    assert list(table.index) == ["ecoli4", "yeast4", "abalone19"]


def test_bad_arguments_raise_clearly():
    with pytest.raises(ValueError, match="imbalance_ratio"):
        data.make_imbalanced(100, imbalance_ratio=0.5)
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.load_dataset("mnist")
    with pytest.raises(ValueError, match="kind"):
        data.make_toy_2d(kind="circles")
