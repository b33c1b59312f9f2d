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
    # <step>__sample_weight weights the fits only, as in GridSearchCV
    path = RegularizationPathCV(pipe, Cs=CS, cv=3).fit(X, y, svm__sample_weight=sw)
    grid = GridSearchCV(pipe, {"svm__C": CS}, cv=3).fit(X, y, svm__sample_weight=sw)
    assert path.best_params_ == grid.best_params_
    assert list(path.best_params_) == ["svm__C"]
    assert "param_svm__C" in path.cv_results_
    np.testing.assert_allclose(path.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"], rtol=1e-6)
    # sample_weight goes to the last step's fit and weights the held-out scores too
    weighted = RegularizationPathCV(pipe, Cs=CS, cv=3).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(weighted.best_estimator_[-1].coef_,
                               path.best_estimator_[-1].coef_)
    assert not np.allclose(weighted.cv_results_["mean_test_score"],
                           path.cv_results_["mean_test_score"])
    with pytest.raises(ValueError, match="sample_weight and svm__sample_weight"):
        RegularizationPathCV(pipe, Cs=CS, cv=3).fit(X, y, sample_weight=sw,
                                                    svm__sample_weight=sw)
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


# ---------------------------------------------------------------- automatic grid: its top edge

def noiseless_linear():
    """Labels of a linear rule without noise: the larger C, the better, beyond the first
    automatic grid of 5 values."""
    X = np.random.default_rng(1).standard_normal((200, 10))
    w = np.random.default_rng(2).standard_normal(10)
    return X, (X @ w > 0).astype(int)


def test_automatic_grid_is_extended_while_its_best_C_is_its_largest():
    X, y = noiseless_linear()
    search = RegularizationPathCV(SquaredHingeSVM(), Cs=5, cv=3).fit(X, y)
    first = search.Cs_[:5]
    np.testing.assert_allclose(np.log10(first[-1] / first[0]), C_DECADES)
    mean = search.cv_results_["mean_test_score"]
    # the grid of 5 values alone: its best C is its largest (the scores still rise there)
    assert np.argmax(mean[:5]) == 4 and mean[4] > mean[3]
    # extended at the grid's spacing (one decade) until the best is no longer the largest
    assert search.Cs_.size > 5
    np.testing.assert_allclose(np.diff(np.log10(search.Cs_)), C_DECADES / 4)
    assert search.best_index_ < search.Cs_.size - 1
    assert search.best_score_ > mean[4]
    assert search.best_params_["C"] == search.Cs_[search.best_index_]
    # the fold paths continued from where they were: same scores as GridSearchCV on the grid
    grid = GridSearchCV(SquaredHingeSVM(tol=1e-8), {"C": list(search.Cs_)}, cv=3).fit(X, y)
    tight = RegularizationPathCV(SquaredHingeSVM(tol=1e-8), Cs=5, cv=3).fit(X, y)
    np.testing.assert_array_equal(tight.Cs_, search.Cs_)
    np.testing.assert_allclose(tight.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"], rtol=1e-6)
    assert tight.best_params_ == grid.best_params_


def test_automatic_grid_extension_is_capped_and_warns():
    from hingeclf import model_selection

    X, y = noiseless_linear()
    old = model_selection.C_EXTRA_DECADES
    model_selection.C_EXTRA_DECADES = 1.0  # one value above the first grid of 5
    try:
        with pytest.warns(UserWarning, match=r"still the largest of the automatic grid"):
            capped = RegularizationPathCV(SquaredHingeSVM(), Cs=2, cv=3).fit(X, y)
    finally:
        model_selection.C_EXTRA_DECADES = old
    # Cs=2 spans C_DECADES in one step: C_EXTRA_DECADES=1 allows no step of 4 decades
    assert capped.Cs_.size == 2 and capped.best_index_ == 1


def test_extension_steps():
    from hingeclf.model_selection import C_EXTRA_DECADES, _extension

    grid = np.logspace(-3, -3 + C_DECADES, 10)  # 0.444 decades apart: two per decade
    added = _extension(grid, 0)
    np.testing.assert_allclose(np.log10(added), np.log10(grid[-1]) + [C_DECADES / 9,
                                                                       2 * C_DECADES / 9])
    total = grid
    while (more := _extension(total, total.size - 10)).size:
        total = np.concatenate([total, more])
    assert np.log10(total[-1] / grid[-1]) <= C_EXTRA_DECADES + 1e-9
    assert np.log10(total[-1] / grid[-1]) > C_EXTRA_DECADES - C_DECADES / 9 - 1e-9
    np.testing.assert_allclose(_extension(np.array([0.5]), 0), [5.0])  # one value: a decade


@pytest.mark.parametrize("data, Cs, edge", [(noiseless_linear, [1e-4, 1e-3], "largest"),
                                            (binary, CS, None)])
def test_given_grid_warns_when_its_best_C_is_at_an_edge(data, Cs, edge):
    import warnings

    X, y = data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = RegularizationPathCV(SquaredHingeSVM(), Cs=Cs, cv=3).fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if edge is None:
        assert 0 < search.best_index_ < len(Cs) - 1
        assert not [m for m in messages if "edge" in m or "value of the given Cs" in m]
    else:
        assert search.best_index_ == len(Cs) - 1
        assert any(f"is the {edge} value of the given Cs" in m and "larger C" in m
                   for m in messages), messages
        assert search.Cs_.size == len(Cs)  # a given grid is never extended


def test_given_grid_warns_at_its_lower_edge():
    X, y = binary()
    with pytest.warns(UserWarning, match=r"smallest value of the given Cs.*smaller C"):
        search = RegularizationPathCV(HingeSVM(), Cs=[1e3, 1e4], cv=3).fit(X, y)
    assert search.best_index_ == 0


# ---------------------------------------------------------------- sample weights and routing

def weighted_binary():
    X, y = binary()
    sw = np.random.default_rng(3).integers(1, 5, size=len(y)).astype(float)
    return X, y, sw


def test_sample_weight_weights_the_fold_scores_as_grid_search_does():
    """With routing off, scikit-learn's GridSearchCV (1.9) passes sample_weight to the fits and
    to the scorer of each held-out fold: the same here, on the same grid and folds."""
    X, y, sw = weighted_binary()
    cv = KFold(4, shuffle=True, random_state=0)
    for scoring in (None, "accuracy", hinge_scorer):
        path = RegularizationPathCV(SquaredHingeSVM(tol=1e-8), Cs=CS, cv=cv,
                                    scoring=scoring).fit(X, y, sample_weight=sw)
        grid = GridSearchCV(SquaredHingeSVM(tol=1e-8), {"C": CS}, cv=cv,
                            scoring=scoring).fit(X, y, sample_weight=sw)
        for k in range(4):
            np.testing.assert_allclose(path.cv_results_[f"split{k}_test_score"],
                                       grid.cv_results_[f"split{k}_test_score"], rtol=1e-6)
        assert path.best_params_ == grid.best_params_
    # the weighted accuracy, computed here, on the first fold
    from sklearn.metrics import accuracy_score
    train, test = next(cv.split(X, y))
    fit = SquaredHingeSVM(C=CS[2], tol=1e-8).fit(X[train], y[train], sample_weight=sw[train])
    expected = accuracy_score(y[test], fit.predict(X[test]), sample_weight=sw[test])
    path = RegularizationPathCV(SquaredHingeSVM(tol=1e-8), Cs=CS, cv=cv).fit(
        X, y, sample_weight=sw)
    assert path.cv_results_["split0_test_score"][2] == pytest.approx(expected, abs=1e-12)
    unweighted = accuracy_score(y[test], fit.predict(X[test]))
    assert expected != pytest.approx(unweighted)


def test_scorer_without_sample_weight_warns_and_scores_unweighted():
    from sklearn.metrics import accuracy_score

    X, y, sw = weighted_binary()

    def plain(estimator, X, y):
        return accuracy_score(y, estimator.predict(X))

    with pytest.warns(UserWarning, match="does not accept sample_weight"):
        path = RegularizationPathCV(SquaredHingeSVM(tol=1e-8), Cs=CS, cv=3,
                                    scoring=plain).fit(X, y, sample_weight=sw)
    fits = GridSearchCV(SquaredHingeSVM(tol=1e-8), {"C": CS}, cv=3, scoring=plain)
    with pytest.warns(UserWarning):
        fits.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(path.cv_results_["mean_test_score"],
                               fits.cv_results_["mean_test_score"], rtol=1e-6)


RECEIVED = []


def recording_accuracy(y_true, y_pred, sample_weight=None):
    from sklearn.metrics import accuracy_score

    RECEIVED.append(None if sample_weight is None else np.array(sample_weight))
    return accuracy_score(y_true, y_pred, sample_weight=sample_weight)


def test_routed_sample_weight_reaches_the_estimator_and_the_scorer():
    from sklearn import config_context
    from sklearn.metrics import make_scorer

    X, y, sw = weighted_binary()
    cv = KFold(3, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        scorer = make_scorer(recording_accuracy).set_score_request(sample_weight=True)
        est = SquaredHingeSVM(tol=1e-8).set_fit_request(sample_weight=True)
        RECEIVED.clear()
        path = RegularizationPathCV(est, Cs=CS, cv=cv, scoring=scorer).fit(
            X, y, sample_weight=sw)
        tests = [test for _, test in cv.split(X, y)]
        assert len(RECEIVED) == 3 * len(CS)
        for k, received in enumerate(RECEIVED):
            np.testing.assert_array_equal(received, sw[tests[k // len(CS)]])
        grid = GridSearchCV(est, {"C": CS}, cv=cv, scoring=scorer).fit(X, y, sample_weight=sw)
        for k in range(3):
            np.testing.assert_allclose(path.cv_results_[f"split{k}_test_score"],
                                       grid.cv_results_[f"split{k}_test_score"], rtol=1e-6)
        # a scorer that does not request it gets none, the fits still get it
        RECEIVED.clear()
        plain = make_scorer(recording_accuracy).set_score_request(sample_weight=False)
        path2 = RegularizationPathCV(est, Cs=CS, cv=cv, scoring=plain).fit(
            X, y, sample_weight=sw)
        assert len(RECEIVED) == 3 * len(CS) and all(r is None for r in RECEIVED)
        weighted_fit = SquaredHingeSVM(C=path2.best_params_["C"], tol=1e-8).fit(
            X, y, sample_weight=sw)
        np.testing.assert_allclose(path2.best_estimator_.coef_, weighted_fit.coef_)
        # routed metadata that nothing requests is an error, as in scikit-learn
        with pytest.raises(Exception, match="sample_weight"):
            RegularizationPathCV(SquaredHingeSVM(), Cs=CS, cv=cv).fit(X, y, sample_weight=sw)


def test_routed_groups_reach_the_splitter_and_pipeline_weights_the_grid():
    from sklearn import config_context
    from sklearn.metrics import accuracy_score, make_scorer
    from sklearn.model_selection import GroupKFold

    X, y, sw = weighted_binary()
    groups = np.arange(len(y)) % 7
    with config_context(enable_metadata_routing=True):
        path = RegularizationPathCV(HingeSVM(tol=1e-8), Cs=CS, cv=GroupKFold(3)).fit(
            X, y, groups=groups)
        grid = GridSearchCV(HingeSVM(tol=1e-8), {"C": CS}, cv=GroupKFold(3)).fit(
            X, y, groups=groups)
        np.testing.assert_allclose(path.cv_results_["mean_test_score"],
                                   grid.cv_results_["mean_test_score"], rtol=1e-6)
        pipe = Pipeline([("scale", StandardScaler().set_fit_request(sample_weight=False)),
                         ("svm", SquaredHingeSVM().set_fit_request(sample_weight=True))])
        unweighted_scorer = make_scorer(accuracy_score).set_score_request(sample_weight=False)
        routed = RegularizationPathCV(pipe, Cs=3, cv=3, scoring=unweighted_scorer).fit(
            X, y, sample_weight=sw)
    plain = RegularizationPathCV(pipe, Cs=3, cv=3, scoring="accuracy").fit(
        X, y, svm__sample_weight=sw)
    unweighted = RegularizationPathCV(pipe, Cs=3, cv=3, scoring="accuracy").fit(X, y)
    # the automatic grid starts from the weights the final step receives
    np.testing.assert_allclose(routed.Cs_[:3], plain.Cs_[:3])
    assert not np.allclose(routed.Cs_[:3], unweighted.Cs_[:3])
    # without routing, groups goes to the splitter too
    direct = RegularizationPathCV(HingeSVM(tol=1e-8), Cs=CS, cv=GroupKFold(3)).fit(
        X, y, groups=groups)
    np.testing.assert_allclose(direct.cv_results_["mean_test_score"],
                               path.cv_results_["mean_test_score"])


def test_other_fit_parameters_go_to_the_estimator():
    X, y = binary()
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        RegularizationPathCV(HingeSVM(), Cs=CS, cv=3).fit(X, y, colour="red")


# ---------------------------------------------------------------- AllPairsSquaredHingeSVM

def test_all_pairs_estimator_is_tuned_as_grid_search_does():
    from hingeclf import AllPairsSquaredHingeSVM

    X, y = make_classification(n_samples=200, n_features=6, weights=[0.8], flip_y=0.05,
                               random_state=0)
    Cs = [0.01, 0.1, 1.0, 10.0, 100.0]
    est = AllPairsSquaredHingeSVM(tol=1e-8)
    path = RegularizationPathCV(est, Cs=Cs, cv=3, scoring="roc_auc").fit(X, y)
    grid = GridSearchCV(est, {"C": Cs}, cv=3, scoring="roc_auc").fit(X, y)
    np.testing.assert_allclose(path.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"], rtol=1e-6)
    assert path.best_params_ == grid.best_params_
    auto = RegularizationPathCV(est, Cs=4, cv=3, scoring="roc_auc").fit(X, y)
    assert auto.Cs_.size >= 4 and np.all(np.isfinite(auto.Cs_)) and auto.best_score_ > 0.8
    X3, y3 = iris()
    with pytest.raises(ValueError, match="binary"):
        RegularizationPathCV(est, Cs=4, cv=3).fit(X3, y3)
