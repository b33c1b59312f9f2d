"""ONNX export (hingeclf.onnx): the exported model, run in onnxruntime, predicts what the
estimator predicts. Skipped when skl2onnx or onnxruntime is not installed (the ``onnx`` extra)."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

import hingeclf.onnx  # noqa: E402  (registers the converters)
from hingeclf import (  # noqa: E402
    AllPairsSquaredHingeSVM,
    HingeSVM,
    MulticlassHingeSVM,
    RegularizationPathCV,
    SquaredHingeSVM,
)

ESTIMATORS = {
    "HingeSVM": lambda: HingeSVM(C=1.0),
    "SquaredHingeSVM": lambda: SquaredHingeSVM(C=1.0),
    "MulticlassHingeSVM-crammer_singer": lambda: MulticlassHingeSVM(C=1.0),
    "MulticlassHingeSVM-weston_watkins": lambda: MulticlassHingeSVM(
        C=1.0, multi_class="weston_watkins"),
    "MulticlassHingeSVM-ovr-squared": lambda: MulticlassHingeSVM(
        C=1.0, multi_class="ovr", loss="squared_hinge"),
    "AllPairsSquaredHingeSVM": lambda: AllPairsSquaredHingeSVM(C=10.0),
}
BINARY_ONLY = {"AllPairsSquaredHingeSVM"}


def _data(n_classes):
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    if n_classes == 2:
        y = (y == 2).astype(np.int64)  # not separable: 2 against 0 and 1
    return X, y


def _run_onnx(model, X):
    onx = skl2onnx.to_onnx(model, X[:1])
    session = onnxruntime.InferenceSession(onx.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    labels, scores = session.run(None, {session.get_inputs()[0].name: X})
    return onx, labels, scores


def _check_same_predictions(model, X):
    onx, labels, scores = _run_onnx(model, X)
    expected = model.decision_function(X)
    np.testing.assert_array_equal(labels, model.predict(X))
    if expected.ndim == 1:  # two classes: one column, the score of classes_[1]
        assert scores.shape == (X.shape[0], 1)
        scores = scores[:, 0]
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-5)
    # raw scores: no softmax, sigmoid or normaliser turns them into pseudo-probabilities
    ops = {node.op_type for node in onx.graph.node}
    assert not ops & {"Softmax", "Sigmoid", "Normalizer"}, ops
    return scores


CASES = [(name, n_classes) for name in ESTIMATORS for n_classes in (2, 3)
         if not (name in BINARY_ONLY and n_classes == 3)]


@pytest.mark.parametrize("name, n_classes", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_estimator_matches_onnxruntime(name, n_classes):
    X, y = _data(n_classes)
    model = ESTIMATORS[name]().fit(X, y)
    scores = _check_same_predictions(model, X)
    # the comparison is not vacuous: both classes (or all three) are predicted, and the
    # scores are not all of one sign
    assert len(np.unique(model.predict(X))) == n_classes
    assert scores.min() < 0 < scores.max()


@pytest.mark.parametrize("name, n_classes", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_pipeline_matches_onnxruntime(name, n_classes):
    X, y = _data(n_classes)
    model = make_pipeline(StandardScaler(), ESTIMATORS[name]()).fit(X, y)
    _check_same_predictions(model, X)


def test_regularization_path_cv_exports_its_best_estimator():
    X, y = _data(3)
    search = RegularizationPathCV(make_pipeline(StandardScaler(), HingeSVM()), Cs=3,
                                  cv=3).fit(X, y)
    _check_same_predictions(search, X)


def test_float64_input_is_refused_by_skl2onnx():
    """The documented limit: skl2onnx's LinearSVC converter has no float64 version."""
    X, y = _data(3)
    X = X.astype(np.float64)
    model = HingeSVM().fit(X, y)
    with pytest.raises(NotImplementedError, match="double"):
        skl2onnx.to_onnx(model, X[:1])


def test_string_labels():
    X, y = _data(3)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = HingeSVM().fit(X, labels)
    _check_same_predictions(model, X)


def test_no_intercept():
    X, y = _data(2)
    model = SquaredHingeSVM(fit_intercept=False).fit(X, y)
    _check_same_predictions(model, X)


def test_register_is_idempotent():
    X, y = _data(3)
    model = MulticlassHingeSVM().fit(X, y)
    hingeclf.onnx.register()
    hingeclf.onnx.register()
    _check_same_predictions(model, X)


def test_import_hingeclf_does_not_import_skl2onnx():
    code = ("import sys, hingeclf; "
            "assert 'skl2onnx' not in sys.modules and 'onnxruntime' not in sys.modules; "
            "import hingeclf.onnx; assert 'skl2onnx' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_register_without_skl2onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # makes ``import skl2onnx`` fail
    with pytest.raises(ImportError, match=r"hingeclf\[onnx\]"):
        hingeclf.onnx.register()


def test_importing_without_skl2onnx_does_not_fail():
    """The module imports (for the docs and ``help``) without the extra; it registers nothing."""
    code = ("import sys; sys.modules['skl2onnx'] = None; import hingeclf.onnx; "
            "assert hingeclf.onnx.ESTIMATORS")
    subprocess.run([sys.executable, "-c", code], check=True)
