"""Labels of every kind give the same model: encoded once per fit, never re-sorted by score.

String, object, integer and boolean labels name the same classes in the same sorted order, so
the fitted coefficients, the predictions (as labels) and the scores must be identical. Labels
that scikit-learn refuses (strings and numbers mixed) are refused with its error.
"""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from sklearn.svm import LinearSVC

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._base import encode_labels, encode_targets


def _data(n_classes, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(90, 4)
    index = np.arange(90) % n_classes
    X += index[:, None] * 0.7  # (classes apart, not separable)
    return X, index


def _kinds(index, n_classes):
    """The same classes as labels of several kinds, each sorting as the indices do."""
    names = np.array(["apple", "banana", "cherry"][:n_classes])
    kinds = {
        "int": index.astype(np.int64),
        "int shifted": (index * 5 - 7).astype(np.int32),
        "str": names[index],
        "object": names.astype(object)[index],
        "float": index.astype(np.float64) + 0.0,
    }
    if n_classes == 2:
        kinds["bool"] = index.astype(bool)
    return kinds


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("cls", [HingeSVM, SquaredHingeSVM, MulticlassHingeSVM],
                         ids=lambda c: c.__name__)
def test_every_kind_of_label_gives_the_same_model(cls, n_classes):
    X, index = _data(n_classes)
    reference = None
    for kind, y in _kinds(index, n_classes).items():
        model = cls().fit(X, y)
        assert model.classes_.tolist() == np.unique(y).tolist(), kind
        position = np.searchsorted(model.classes_, model.predict(X))
        if reference is None:
            reference = (model.coef_, model.intercept_, position, model.score(X, y))
            continue
        np.testing.assert_array_equal(model.coef_, reference[0], err_msg=kind)
        np.testing.assert_array_equal(model.intercept_, reference[1], err_msg=kind)
        np.testing.assert_array_equal(position, reference[2], err_msg=kind)
        assert model.score(X, y) == reference[3], kind


@pytest.mark.parametrize("kind", ["int", "str", "object"])
def test_score_is_accuracy_score(kind):
    X, index = _data(3)
    y = _kinds(index, 3)[kind]
    model = HingeSVM(C=0.01).fit(X, y)
    weights = np.random.RandomState(1).rand(len(y))
    for w in (None, weights):
        assert model.score(X, y, sample_weight=w) == pytest.approx(
            accuracy_score(y, model.predict(X), sample_weight=w), rel=0, abs=1e-15)
    # labels the model never saw count as errors, as in accuracy_score
    other = y.copy()
    other[:10] = other.dtype.type(99) if kind == "int" else "durian"
    assert model.score(X, other) == accuracy_score(other, model.predict(X))
    assert model.score(X, other) < model.score(X, y)


def test_object_labels_encode_as_np_unique():
    rng = np.random.RandomState(0)
    words = np.array(["b", "a", "é", "ab", "", "B"], dtype=object)
    y = words[rng.randint(0, len(words), 500)]
    classes, y_index = encode_labels(y)
    expected, inverse = np.unique(y, return_inverse=True)
    assert classes.dtype == object
    assert classes.tolist() == expected.tolist()
    np.testing.assert_array_equal(y_index, inverse)
    # what fit uses: the same, after scikit-learn's checks
    classes2, y_index2 = encode_targets(y)
    assert classes2.tolist() == expected.tolist()
    np.testing.assert_array_equal(y_index2, inverse)


def _error(fit):
    try:
        fit()
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc)
    return None


@pytest.mark.parametrize("y", [
    np.array(["a", 1, "b", "a", 1, "b"], dtype=object),  # strings first, then numbers
    np.array([1, "a", "b", "a", 1, "b"], dtype=object),  # a number first
    np.array(["a", "b", None, "a", "b", "a"], dtype=object),
    np.array([0.5, 1.5, 0.5, 1.5, 2.5, 0.5]),  # continuous
], ids=["str-then-int", "int-then-str", "with-None", "continuous"])
def test_mixed_labels_are_refused_as_scikit_learn_refuses_them(y):
    X = np.random.RandomState(0).randn(len(y), 2)
    expected = _error(lambda: LinearSVC().fit(X, y))
    assert expected is not None
    assert _error(lambda: HingeSVM().fit(X, y)) is expected
    with pytest.raises(expected):
        HingeSVM().fit(X, y)
