"""RegularizationPathCV: the same choice as GridSearchCV on the same folds, fixed folds, warm
starts from small to large C, the automatic grid, the GridSearchCV result format, errors."""

import re

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from hingeclf import HingeSVM, MulticlassHingeSVM, RegularizationPathCV, SquaredHingeSVM
from hingeclf.metrics import hinge_scorer
from hingeclf.model_selection import C_DECADES

CS = [0.001, 0.01, 0.1, 1.0, 10.0]


def binary():
    X, y = make_classification(n_samples=200, n_features=8, n_informative=4, flip_y=0.1,
                               random_state=0)
    return X, y


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def compare_with_grid_search(estimator, X, y, Cs, cv, scoring):
    path = RegularizationPathCV(estimator, Cs=Cs, cv=cv, scoring=scoring).fit(X, y)
    grid = GridSearchCV(estimator, {"C": Cs}, cv=cv, scoring=scoring).fit(X, y)
    assert path.best_params_ == grid.best_params_
    assert path.best_index_ == grid.best_index_
    assert path.best_score_ == pytest.approx(grid.best_score_, rel=1e-6, abs=1e-9)
    for key in [k for k in grid.cv_results_ if k.startswith("split")] + ["mean_test_score"]:
        np.testing.assert_allclose(path.cv_results_[key], grid.cv_results_[key],
                                   rtol=1e-5, atol=1e-9, err_msg=key)
    np.testing.assert_array_equal(path.cv_results_["rank_test_score"],
                                  grid.cv_results_["rank_test_score"])
    np.testing.assert_array_equal(path.predict(X), grid.predict(X))
    return path, grid


@pytest.mark.parametrize("scoring", [None, "accuracy", hinge_scorer])
@pytest.mark.parametrize("make", [
    lambda: HingeSVM(tol=1e-8), lambda: SquaredHingeSVM(tol=1e-8), lambda: SquaredHingeSVM(),
], ids=["hinge", "squared_hinge", "squared_hinge-default-tol"])
def test_same_choice_as_grid_search_binary(make, scoring):
    X, y = binary()
    compare_with_grid_search(make(), X, y, CS, KFold(5, shuffle=True, random_state=0), scoring)


@pytest.mark.parametrize("make", [
    lambda: MulticlassHingeSVM(tol=1e-8),
    lambda: MulticlassHingeSVM(multi_class="weston_watkins", loss="squared_hinge", tol=1e-8),
    lambda: HingeSVM(tol=1e-8),
], ids=["crammer_singer", "weston_watkins-squared", "ovr-hinge"])
def test_same_choice_as_grid_search_multiclass(make):
    X, y = iris()
    compare_with_grid_search(make(), X, y, [0.01, 0.1, 1.0, 10.0], 3, "accuracy")


def test_same_choice_as_grid_search_on_the_automatic_grid():
    X, y = binary()
    path = RegularizationPathCV(SquaredHingeSVM(tol=1e-8), Cs=6, cv=4).fit(X, y)
    compare_with_grid_search(SquaredHingeSVM(tol=1e-8), X, y, list(path.Cs_), 4, None)


def test_cv_results_have_the_grid_search_format():
    X, y = binary()
    path = RegularizationPathCV(HingeSVM(), Cs=CS, cv=3).fit(X, y)
    grid = GridSearchCV(HingeSVM(), {"C": CS}, cv=3).fit(X, y)
    assert set(path.cv_results_) == set(grid.cv_results_)
    for key, value in grid.cv_results_.items():
        assert len(path.cv_results_[key]) == len(value), key
        assert type(path.cv_results_[key]) is type(value), key
    assert path.cv_results_["params"] == grid.cv_results_["params"]
    np.testing.assert_array_equal(path.cv_results_["param_C"], grid.cv_results_["param_C"])
    assert path.cv_results_["rank_test_score"].dtype == grid.cv_results_["rank_test_score"].dtype
    assert np.all(path.cv_results_["mean_fit_time"] > 0)
    assert path.n_splits_ == grid.n_splits_ == 3
    assert path.refit_time_ > 0


class CountingKFold(KFold):
    """A splitter that counts how often it is asked for splits."""

    n_calls = 0

    def split(self, X, y=None, groups=None):
        CountingKFold.n_calls += 1
        return super().split(X, y, groups)


FIT_LOG = []


class RecordingSVM(SquaredHingeSVM):
    """Logs each fit: C, warm_start, whether a previous solution existed, the training rows."""

    def fit(self, X, y, sample_weight=None):
        FIT_LOG.append((self.C, self.warm_start, hasattr(self, "_coef_internal"),
                        X[:, 0].tobytes()))
        return super().fit(X, y, sample_weight)


def test_folds_drawn_once_and_path_walked_small_to_large_with_warm_starts():
    X, y = binary()
    FIT_LOG.clear()
    CountingKFold.n_calls = 0
    Cs = [1.0, 0.01, 10.0, 0.1]  # any order in, walked in increasing order
    search = RegularizationPathCV(RecordingSVM(), Cs=Cs, cv=CountingKFold(4, shuffle=True,
                                                                          random_state=0)).fit(X, y)
    assert CountingKFold.n_calls == 1
    np.testing.assert_array_equal(search.Cs_, sorted(Cs))
    path_fits, refit = FIT_LOG[:-1], FIT_LOG[-1]
    assert len(path_fits) == 4 * len(Cs)
    for fold in range(4):
        fits = path_fits[fold * len(Cs):(fold + 1) * len(Cs)]
        assert [f[0] for f in fits] == sorted(Cs)
        assert all(f[1] for f in fits)  # warm_start=True on the fold's clone
        assert [f[2] for f in fits] == [False] + [True] * (len(Cs) - 1)  # continues from the last
        assert len({f[3] for f in fits}) == 1  # same training rows along the fold's path
    assert len({path_fits[k * len(Cs)][3] for k in range(4)}) == 4  # different folds
    assert refit[0] == search.best_params_["C"] and not refit[1] and not refit[2]


def test_automatic_grid_starts_where_the_solution_stops_being_trivial():
    """Up to C_min the hinge solution only scales with C (W / C is constant: every sample sits
    on a linear piece of the hinge); a decade above it, it does not."""
    X, y = binary()
    search = RegularizationPathCV(HingeSVM(), Cs=5, cv=3).fit(X, y)
    Cs = search.Cs_
    assert len(Cs) == 5
    np.testing.assert_allclose(np.log10(Cs[-1] / Cs[0]), C_DECADES)
    np.testing.assert_allclose(np.diff(np.log10(Cs)), C_DECADES / 4)
    # the formula, computed here independently for the binary hinge: G = -sum_i y_i x_i
    s = np.where(y == 1, 1.0, -1.0)
    g = -(s[:, None] * X).sum(axis=0)
    moves = (X - X.mean(axis=0)) @ g
    c_min = 1.0 / np.abs(moves).max()
    assert Cs[0] == pytest.approx(c_min, rel=1e-10)
    scaled = [HingeSVM(C=C, tol=1e-10).fit(X, y).coef_.ravel() / C
              for C in (c_min / 100, c_min / 10, c_min, 10 * c_min)]
    for w in scaled[1:3]:
        np.testing.assert_allclose(w, scaled[0], rtol=1e-6, atol=1e-9 * np.abs(scaled[0]).max())
    assert np.linalg.norm(scaled[3] - scaled[0]) > 0.1 * np.linalg.norm(scaled[0])


def test_pipeline_estimator_and_sample_weight():
    X, y = binary()
    X = X * 100 + 50
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    pipe = Pipeline([("scale", StandardScaler()), ("svm", SquaredHingeSVM(tol=1e-8))])
    path = RegularizationPathCV(pipe, Cs=CS, cv=3).fit(X, y, sample_weight=sw)
    grid = GridSearchCV(pipe, {"svm__C": CS}, cv=3).fit(X, y, svm__sample_weight=sw)
    assert path.best_params_ == grid.best_params_
    assert list(path.best_params_) == ["svm__C"]
    assert "param_svm__C" in path.cv_results_
    np.testing.assert_allclose(path.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"], rtol=1e-6)
    # int Cs through a pipeline: the grid is computed on the transformed data
    auto = RegularizationPathCV(pipe, Cs=3, cv=3).fit(X, y)
    scaled = StandardScaler().fit_transform(X)
    direct = RegularizationPathCV(SquaredHingeSVM(tol=1e-8), Cs=3, cv=3).fit(scaled, y)
    np.testing.assert_allclose(auto.Cs_, direct.Cs_)


def test_delegation_and_refit_false():
    X, y = iris()
    search = RegularizationPathCV(MulticlassHingeSVM(), Cs=[0.1, 1.0], cv=3).fit(X, y)
    best = search.best_estimator_
    np.testing.assert_array_equal(search.predict(X), best.predict(X))
    np.testing.assert_array_equal(search.decision_function(X), best.decision_function(X))
    assert search.score(X, y) == best.score(X, y)
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.n_features_in_ == 4
    assert best.C == search.best_params_["C"]
    lazy = RegularizationPathCV(MulticlassHingeSVM(), Cs=[0.1, 1.0], cv=3, refit=False).fit(X, y)
    assert not hasattr(lazy, "best_estimator_")
    assert lazy.best_params_ == search.best_params_
    assert not hasattr(lazy, "predict") and not hasattr(lazy, "decision_function")
    with pytest.raises(AttributeError, match="predict"):
        lazy.predict(X)


def test_verbose_prints_one_line_per_fold_and_C(capsys):
    X, y = binary()
    RegularizationPathCV(HingeSVM(), Cs=[0.1, 1.0, 10.0], cv=2, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6
    pattern = (r"^\[RegularizationPathCV\] fold [12]/2 C=[0-9.e+-]+ score=[01]\.\d{4} "
               r"fit [0-9.]+s, elapsed [0-9.]+s$")
    assert all(re.match(pattern, line) for line in lines), lines


def test_parallel_folds_give_the_serial_result():
    X, y = binary()
    serial = RegularizationPathCV(HingeSVM(tol=1e-8), Cs=CS, cv=4).fit(X, y)
    with parallel_config(backend="threading"):
        threaded = RegularizationPathCV(HingeSVM(tol=1e-8), Cs=CS, cv=4, n_jobs=2).fit(X, y)
    assert threaded.best_params_ == serial.best_params_
    for k in range(4):
        np.testing.assert_allclose(threaded.cv_results_[f"split{k}_test_score"],
                                   serial.cv_results_[f"split{k}_test_score"])


def test_errors():
    X, y = binary()
    with pytest.raises(TypeError, match="hingeclf estimator.*LogisticRegression"):
        RegularizationPathCV(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="Cs must hold positive finite"):
        RegularizationPathCV(HingeSVM(), Cs=[0.1, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="Cs is empty"):
        RegularizationPathCV(HingeSVM(), Cs=[]).fit(X, y)
    with pytest.raises(ValueError, match="Cs"):
        RegularizationPathCV(HingeSVM(), Cs=0).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        RegularizationPathCV(HingeSVM()).fit(X, None)


def test_data_not_modified_and_float32_kept():
    X, y = binary()
    X32 = X.astype(np.float32)
    before = X32.copy()
    search = RegularizationPathCV(SquaredHingeSVM(), Cs=3, cv=3).fit(X32, y)
    np.testing.assert_array_equal(X32, before)
    assert search.best_estimator_.coef_.dtype == np.float32
    assert StratifiedKFold  # the default int cv is stratified, as in GridSearchCV
