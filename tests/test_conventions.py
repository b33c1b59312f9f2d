"""scikit-learn conventions: balanced class weights from weighted counts, non-negative class
weights, ``densify``/``sparsify``, and the HTML representation's links to the API pages."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectFromModel
from sklearn.preprocessing import StandardScaler

from hingeclf import (AllPairsSquaredHingeSVM, HingeSVM, MulticlassHingeSVM, RegularizationPathCV,
                      SquaredHingeSVM)
from hingeclf._base import DOCS_URL

# every estimator with a class_weight parameter (AllPairsSquaredHingeSVM has none)
WITH_CLASS_WEIGHT = {
    "hinge": lambda **kw: HingeSVM(**kw),
    "squared_hinge": lambda **kw: SquaredHingeSVM(**kw),
    "crammer_singer": lambda **kw: MulticlassHingeSVM(**kw),
    "weston_watkins": lambda **kw: MulticlassHingeSVM(multi_class="weston_watkins", **kw),
    "ovr_squared": lambda **kw: MulticlassHingeSVM(multi_class="ovr", loss="squared_hinge",
                                                   **kw),
}


def unbalanced(n_classes):
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3, n_classes=n_classes,
                               n_clusters_per_class=1, weights=[0.6] + [0.4 / (n_classes - 1)]
                               * (n_classes - 1), random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("name", sorted(WITH_CLASS_WEIGHT))
def test_balanced_class_weight_with_integer_sample_weight_equals_repeated_rows(name):
    make = WITH_CLASS_WEIGHT[name]
    X, y = unbalanced(2 if name in ("hinge", "squared_hinge") else 3)
    sw = np.random.default_rng(0).integers(0, 4, size=len(y))
    # the weights change the class proportions: balanced weights from unweighted counts differ
    counts = np.bincount(y)
    weighted = np.bincount(y, weights=sw)
    assert not np.allclose(weighted / weighted.sum(), counts / counts.sum(), atol=0.01)
    weighted_fit = make(class_weight="balanced", tol=1e-10).fit(X, y, sample_weight=sw)
    repeated_fit = make(class_weight="balanced", tol=1e-10).fit(np.repeat(X, sw, axis=0),
                                                                  np.repeat(y, sw))
    scale = np.abs(repeated_fit.coef_).max()
    np.testing.assert_allclose(weighted_fit.coef_, repeated_fit.coef_, atol=1e-6 * scale)
    np.testing.assert_allclose(weighted_fit.intercept_, repeated_fit.intercept_,
                               atol=1e-6 * scale)
    assert weighted_fit.objective_ == pytest.approx(repeated_fit.objective_, rel=1e-7)


def test_balanced_class_weight_is_scikit_learns_with_sample_weight():
    from sklearn.utils.class_weight import compute_class_weight

    from hingeclf._base import _class_weights

    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    sw = np.array([1.0, 2.0, 0.5, 3.0, 1.0, 0.0, 1.0, 1.0, 2.0])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y, sample_weight=sw)
    np.testing.assert_allclose(_class_weights("balanced", np.arange(3), y, sw), expected,
                               rtol=1e-15)
    np.testing.assert_allclose(_class_weights("balanced", np.arange(3), y),
                               compute_class_weight("balanced", classes=np.arange(3), y=y),
                               rtol=1e-15)


@pytest.mark.parametrize("name", sorted(WITH_CLASS_WEIGHT))
def test_negative_class_weight_is_refused_naming_the_class(name):
    X, y = unbalanced(3)
    est = WITH_CLASS_WEIGHT[name](class_weight={0: 1.0, 1: -1.0, 2: 1.0})
    with pytest.raises(ValueError, match=r"class_weight must be non-negative: class 1 has "
                                         r"weight -1\.0"):
        est.fit(X, y)
    assert not hasattr(est, "coef_")
    # zero stays allowed (the class then has no cost)
    WITH_CLASS_WEIGHT[name](class_weight={0: 1.0, 1: 0.0, 2: 1.0}).fit(X, y)


def test_negative_class_weight_refused_by_partial_fit():
    X, y = unbalanced(2)
    est = SquaredHingeSVM(solver="sgd", class_weight={0: -0.5, 1: 1.0})
    with pytest.raises(ValueError, match="class 0 has weight -0.5"):
        est.partial_fit(X, y, classes=[0, 1])


ALL = {**WITH_CLASS_WEIGHT, "all_pairs": lambda **kw: AllPairsSquaredHingeSVM(**kw)}


@pytest.mark.parametrize("name", sorted(ALL))
def test_sparsify_keeps_decision_function_and_densify_restores(name):
    X, y = unbalanced(2 if name in ("hinge", "squared_hinge", "all_pairs") else 3)
    est = ALL[name](penalty="l1", C=0.1) if name == "squared_hinge" else ALL[name]()
    est.fit(X, y)
    dense_coef = est.coef_.copy()
    before = est.decision_function(X)
    assert est.sparsify() is est
    assert sp.issparse(est.coef_)
    np.testing.assert_allclose(est.decision_function(X), before, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(est.predict(X), (before > 0).astype(int) if before.ndim == 1
                                  else before.argmax(axis=1))
    assert est.densify() is est
    assert isinstance(est.coef_, np.ndarray)
    np.testing.assert_array_equal(est.coef_, dense_coef)


def test_select_from_model_with_l1_and_sparsified_coef():
    X, y = make_classification(n_samples=200, n_features=20, n_informative=3, n_redundant=0,
                               random_state=0)
    est = SquaredHingeSVM(penalty="l1", C=0.05).fit(X, y)
    kept = np.flatnonzero(est.coef_.ravel())
    assert 0 < kept.size < 20
    selector = SelectFromModel(est, prefit=True, threshold=1e-12)
    np.testing.assert_array_equal(selector.get_support(indices=True), kept)
    est.sparsify()
    selector = SelectFromModel(est, prefit=True, threshold=1e-12)
    np.testing.assert_array_equal(selector.get_support(indices=True), kept)
    assert selector.transform(X).shape == (200, kept.size)
    # and fitting inside SelectFromModel
    fitted = SelectFromModel(SquaredHingeSVM(penalty="l1", C=0.05), threshold=1e-12).fit(X, y)
    np.testing.assert_array_equal(fitted.get_support(indices=True), kept)


@pytest.mark.parametrize("est", [HingeSVM(), SquaredHingeSVM(), MulticlassHingeSVM(),
                                 AllPairsSquaredHingeSVM(), RegularizationPathCV(HingeSVM())],
                         ids=lambda e: type(e).__name__)
def test_doc_link_is_the_api_page(est):
    name = type(est).__name__
    assert DOCS_URL.endswith("/")
    assert est._get_doc_link() == f"{DOCS_URL}generated/hingeclf.{name}.html"
    html = est._repr_html_()
    assert f'href="{DOCS_URL}generated/hingeclf.{name}.html"' in html
    # parameters link to their entry on the page (scikit-learn's text fragments)
    assert f"{DOCS_URL}generated/hingeclf.{name}.html#:~:text=" in html


def test_doc_link_names_match_the_api_pages():
    """The API reference (docs/api.rst) documents ``hingeclf`` with autosummary, which writes
    one page per name of ``hingeclf.__all__`` as ``generated/hingeclf.<name>.rst``."""
    import hingeclf

    classes = [n for n in hingeclf.__all__ if isinstance(getattr(hingeclf, n), type)]
    assert sorted(classes) == sorted(["HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM",
                                      "AllPairsSquaredHingeSVM", "RegularizationPathCV"])
    from pathlib import Path
    api = (Path(__file__).resolve().parent.parent / "docs" / "api.rst").read_text()
    assert ":toctree: generated" in api and "\n   hingeclf\n" in api
