"""Tests of the hinge-family metrics and scorers (``hingeclf.metrics``;
docs/user_guide/metrics.rst).

Three kinds of check:

- tables of the values documented by each library (scikit-learn's ``hinge_loss`` docstring,
  PyTorch's ``MultiMarginLoss``, torchmetrics' and Keras' hinge examples), re-derived by hand in
  the comments;
- randomized comparisons with :func:`sklearn.metrics.hinge_loss` and with naive per-sample loops
  written here (never with the kernels the metrics use);
- errors, scorers, and the docstring examples.
"""

import doctest

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import metrics as skm
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import LinearSVC

import hingeclf._allpairs_loss
import hingeclf.metrics
from hingeclf import MulticlassHingeSVM, SquaredHingeSVM
from hingeclf.metrics import (
    SCORERS,
    all_pairs_squared_hinge_loss,
    categorical_hinge,
    hinge_loss,
    hinge_scorer,
    multi_margin_loss,
)

RTOL = 1e-12


# ------------------------------------------------------------------------------- naive references
def naive_binary(y_pm, f, margin=1.0, power=1):
    """Per-sample ``max(0, m - y f)^p`` with ``y`` in {-1, +1}."""
    return np.array([max(0.0, margin - yi * fi) ** power for yi, fi in zip(y_pm, f)])


def naive_multiclass(y_idx, F, kind, margin=1.0, power=1):
    """Per-sample Crammer-Singer / Weston-Watkins / one-vs-rest losses, one loop per sample."""
    out = []
    for yi, row in zip(y_idx, F):
        K = len(row)
        if kind == "crammer_singer":
            worst = max(row[j] for j in range(K) if j != yi)
            out.append(max(0.0, margin + worst - row[yi]) ** power)
        elif kind == "weston_watkins":
            out.append(sum(max(0.0, margin + row[j] - row[yi]) ** power
                           for j in range(K) if j != yi))
        else:  # ovr
            out.append(sum(max(0.0, margin - (1.0 if j == yi else -1.0) * row[j]) ** power
                           for j in range(K)))
    return np.array(out)


def naive_multi_margin(y_idx, F, p=1, margin=1.0, weight=None):
    """PyTorch: ``sum_{j != y} w[y] max(0, m - f_y + f_j)^p / K`` per sample."""
    out = []
    for yi, row in zip(y_idx, F):
        K = len(row)
        w = 1.0 if weight is None else weight[yi]
        out.append(sum(w * max(0.0, margin - row[yi] + row[j]) ** p
                       for j in range(K) if j != yi) / K)
    return np.array(out)


def naive_categorical(T, F, margin=1.0):
    """Keras: ``max(0, m + max_j (1 - t_j) f_j - sum_j t_j f_j)`` per sample."""
    return np.array([max(0.0, margin + max((1 - t) * f for t, f in zip(trow, frow))
                         - sum(t * f for t, f in zip(trow, frow)))
                     for trow, frow in zip(T, F)])


def _weighted_mean(values, s):
    return float(np.sum(values * s) / np.sum(s)) if s is not None else float(np.mean(values))


# ------------------------------------------------------------------------------- documented values
# torchmetrics' documented inputs (already in [0, 1], so torchmetrics applies no sigmoid/softmax)
TM_BIN_PREDS = [0.25, 0.25, 0.55, 0.75, 0.75]
TM_BIN_TARGET = [0, 0, 1, 1, 1]
TM_MC_PREDS = [[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60], [0.90, 0.05, 0.05]]
TM_MC_TARGET = [0, 1, 2, 0]
# Keras' documented inputs for Hinge / SquaredHinge / CategoricalHinge
KERAS_TRUE = [[0.0, 1.0], [0.0, 0.0]]
KERAS_PRED = [[0.6, 0.4], [0.4, 0.6]]

DOCUMENTED = [
    # scikit-learn's hinge_loss docstring: decision values of its LinearSVC, loss 0.30 (rounded);
    # exactly (0 + 0 + (1 - 0.0909...)) / 3 with the unrounded values, (1 - 0.09) / 3 here
    ("sklearn binary", lambda: hinge_loss([-1, 1, 1], [-2.18, 2.36, 0.09]), 0.91 / 3),
    # torchmetrics BinaryHingeLoss: +-1 targets; 1.25, 1.25, 0.45, 0.25, 0.25 -> 0.6900
    ("torchmetrics binary", lambda: hinge_loss(TM_BIN_TARGET, TM_BIN_PREDS), 0.69),
    # squared=True: (2 * 1.5625 + 0.2025 + 2 * 0.0625) / 5 -> 0.6905
    ("torchmetrics binary squared",
     lambda: hinge_loss(TM_BIN_TARGET, TM_BIN_PREDS, squared=True), 0.6905),
    # MulticlassHingeLoss (crammer-singer): 1.3, 1.5, 0.7, 0.15 -> 0.9125
    ("torchmetrics crammer-singer", lambda: hinge_loss(TM_MC_TARGET, TM_MC_PREDS), 0.9125),
    # squared: (1.69 + 2.25 + 0.49 + 0.0225) / 4 = 1.113125 (documented as 1.1131)
    ("torchmetrics crammer-singer squared",
     lambda: hinge_loss(TM_MC_TARGET, TM_MC_PREDS, squared=True), 1.113125),
    # one-vs-all documents the per-class vector [0.8750, 1.1250, 1.1000]; ovr is its sum
    ("torchmetrics one-vs-all (sum)",
     lambda: hinge_loss(TM_MC_TARGET, TM_MC_PREDS, multi_class="ovr"), 3.1),
    # PyTorch MultiMarginLoss: f = [0.1, 0.2, 0.4, 0.8], y = 3: (0.3 + 0.4 + 0.6) / 4
    ("pytorch multi-margin", lambda: multi_margin_loss([3], [[0.1, 0.2, 0.4, 0.8]]), 0.325),
    # p = 2: (0.09 + 0.16 + 0.36) / 4
    ("pytorch multi-margin p=2",
     lambda: multi_margin_loss([3], [[0.1, 0.2, 0.4, 0.8]], p=2), 0.1525),
    # margin 0.5: (0 + 0 + 0.1) / 4
    ("pytorch multi-margin margin=0.5",
     lambda: multi_margin_loss([3], [[0.1, 0.2, 0.4, 0.8]], margin=0.5), 0.025),
    # weight[3] = 2 multiplies every term after the power
    ("pytorch multi-margin weight",
     lambda: multi_margin_loss([3], [[0.1, 0.2, 0.4, 0.8]], p=2, weight=[9, 9, 9, 2.0]), 0.305),
    # unbatched input (1-D scores, scalar target), as in PyTorch
    ("pytorch multi-margin unbatched",
     lambda: multi_margin_loss(3, [0.1, 0.2, 0.4, 0.8], reduction="none"), 0.325),
    # Keras Hinge: {0, 1} -> {-1, +1}, elementwise mean: 1.6, 0.6, 1.4, 1.6 -> 1.3
    ("keras hinge", lambda: hinge_loss(np.ravel(KERAS_TRUE), np.ravel(KERAS_PRED)), 1.3),
    # Keras SquaredHinge: 2.56, 0.36, 1.96, 2.56 -> 1.86
    ("keras squared hinge",
     lambda: hinge_loss(np.ravel(KERAS_TRUE), np.ravel(KERAS_PRED), squared=True), 1.86),
    # Keras CategoricalHinge: row 1: 1 + max(0.6, 0) - 0.4 = 1.2; row 2 (all-zero target):
    # 1 + 0.6 - 0 = 1.6 -> 1.4; the metric with sample_weight [1, 0] gives 1.2
    ("keras categorical hinge", lambda: categorical_hinge(KERAS_TRUE, KERAS_PRED), 1.4),
    ("keras categorical hinge weighted",
     lambda: categorical_hinge(KERAS_TRUE, KERAS_PRED, sample_weight=[1, 0]), 1.2),
    # integer targets are one-hot encoded: 1 + max(0, 0.6) - 0.4
    ("keras categorical hinge integer target",
     lambda: categorical_hinge([1], [[0.6, 0.4]]), 1.2),
    # the true class contributes 0 to Keras' max: 1 + max(0, -1) - 0.5 = 0.5, where
    # Crammer-Singer gives max(0, 1 + (-1) - 0.5) = 0
    ("keras categorical hinge vs crammer-singer",
     lambda: categorical_hinge([0], [[0.5, -1.0]]), 0.5),
    ("crammer-singer on the same input",
     lambda: hinge_loss([0, 1], [[0.5, -1.0], [0.0, 2.0]]), 0.0),
    # all-pairs: pairs (2, .5) and (2, 0) inactive, (.2, .5): 1.3^2, (.2, 0): 0.8^2, mean of 4
    ("all-pairs",
     lambda: all_pairs_squared_hinge_loss([1, 0, 1, 0], [2.0, 0.5, 0.2, 0.0]), 0.5825),
]


@pytest.mark.parametrize("name, compute, expected", DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_documented_values(name, compute, expected):
    assert compute() == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_sklearn_docstring_examples():
    """The two examples of ``sklearn.metrics.hinge_loss.__doc__`` (printed as 0.30 and 0.56)."""
    est = LinearSVC(random_state=0).fit([[0], [1]], [-1, 1])
    pred = est.decision_function([[-2], [3], [0.5]])
    value = hinge_loss([-1, 1, 1], pred)
    assert value == pytest.approx(skm.hinge_loss([-1, 1, 1], pred), rel=RTOL)
    assert value == pytest.approx(0.30, abs=0.005)

    labels = np.array([0, 1, 2, 3])
    est = LinearSVC(random_state=0).fit(np.arange(4).reshape(-1, 1), labels)
    pred = est.decision_function([[-1], [2], [3]])
    value = hinge_loss([0, 2, 3], pred, labels=labels)
    assert value == pytest.approx(skm.hinge_loss([0, 2, 3], pred, labels=labels), rel=RTOL)
    assert value == pytest.approx(0.56, abs=0.005)


# ------------------------------------------------------------------------------- vs scikit-learn
BINARY_LABELS = [(-1, 1), (0, 1), (3, 7), ("no", "yes")]


@pytest.mark.parametrize("classes", BINARY_LABELS, ids=str)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_labels", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_binary_matches_sklearn(classes, weighted, with_labels, seed):
    rng = np.random.default_rng(seed)
    n = 50
    y = np.asarray(classes)[rng.integers(0, 2, n)]
    y[:2] = classes
    f = rng.normal(size=n) * 2.0
    s = rng.random(n) * 3.0 if weighted else None
    labels = list(classes)[::-1] if with_labels else None  # order of labels is irrelevant
    expected = skm.hinge_loss(y, f, labels=labels, sample_weight=s)
    assert hinge_loss(y, f, labels=labels, sample_weight=s) == pytest.approx(expected, rel=RTOL)
    # the larger label is +1
    y_pm = np.where(y == max(classes), 1.0, -1.0)
    assert expected == pytest.approx(_weighted_mean(naive_binary(y_pm, f), s), rel=RTOL)
    # a column vector of scores is the same
    assert hinge_loss(y, f[:, None], labels=labels, sample_weight=s) == pytest.approx(
        expected, rel=RTOL)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", ["all present", "labels", "missing class", "strings"])
@pytest.mark.parametrize("seed", range(3))
def test_multiclass_matches_sklearn(weighted, case, seed):
    rng = np.random.default_rng(10 + seed)
    n, K = 40, 4
    classes = np.array([2, 5, 11, 17]) if case != "strings" else np.array(["a", "b", "c", "d"])
    y_idx = rng.integers(0, K, n)
    if case == "missing class":
        y_idx = rng.integers(0, K - 1, n)  # the last class never occurs in y_true
    else:
        y_idx[:K] = np.arange(K)
    y = classes[y_idx]
    F = rng.normal(size=(n, K))
    s = rng.random(n) if weighted else None
    labels = None if case == "all present" else rng.permutation(classes)  # any order
    expected = skm.hinge_loss(y, F, labels=labels, sample_weight=s)
    assert hinge_loss(y, F, labels=labels, sample_weight=s) == pytest.approx(expected, rel=RTOL)
    ref = _weighted_mean(naive_multiclass(y_idx, F, "crammer_singer"), s)
    assert expected == pytest.approx(ref, rel=RTOL)


def test_float32_scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 30)
    y[:3] = [0, 1, 2]
    F = rng.normal(size=(30, 3)).astype(np.float32)
    assert hinge_loss(y, F) == pytest.approx(skm.hinge_loss(y, F), rel=1e-6)


# ------------------------------------------------------------------------------- vs naive loops
@pytest.mark.parametrize("kind", ["crammer_singer", "weston_watkins", "ovr"])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("margin", [1.0, 0.5, 2.5])
def test_multiclass_options_match_naive(kind, squared, margin):
    rng = np.random.default_rng(len(kind) + 10 * squared + int(100 * margin))
    n, K = 60, 5
    y_idx = rng.integers(0, K, n)
    y_idx[:K] = np.arange(K)
    labels = np.array([10, 20, 30, 40, 50])
    F = rng.normal(size=(n, K)) * 1.5
    s = rng.random(n)
    value = hinge_loss(labels[y_idx], F, sample_weight=s, multi_class=kind, squared=squared,
                       margin=margin)
    ref = _weighted_mean(naive_multiclass(y_idx, F, kind, margin, 2 if squared else 1), s)
    assert value == pytest.approx(ref, rel=RTOL)


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("margin", [1.0, 0.3, 4.0])
@pytest.mark.parametrize("multi_class", ["crammer_singer", "weston_watkins", "ovr"])
def test_binary_options_match_naive(squared, margin, multi_class):
    rng = np.random.default_rng(int(10 * margin) + squared)
    y = rng.integers(0, 2, 80)
    f = rng.normal(size=80) * 2.0
    s = rng.random(80)
    # multi_class applies only to 2-D scores: 1-D scores always use the binary hinge
    value = hinge_loss(y, f, sample_weight=s, squared=squared, margin=margin,
                       multi_class=multi_class)
    ref = _weighted_mean(naive_binary(2.0 * y - 1.0, f, margin, 2 if squared else 1), s)
    assert value == pytest.approx(ref, rel=RTOL)


def test_two_column_scores_use_the_multiclass_formulas():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 30)
    y[:2] = [0, 1]
    F = rng.normal(size=(30, 2))
    for kind in ("crammer_singer", "weston_watkins", "ovr"):
        assert hinge_loss(y, F, multi_class=kind) == pytest.approx(
            naive_multiclass(y, F, kind).mean(), rel=RTOL)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.4, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_matches_naive(p, margin, weighted):
    rng = np.random.default_rng(p * 100 + int(10 * margin) + weighted)
    n, K = 40, 6
    y = rng.integers(0, K, n)
    F = rng.normal(size=(n, K))
    w = rng.random(K) * 2 if weighted else None
    ref = naive_multi_margin(y, F, p, margin, w)
    kw = dict(p=p, margin=margin, weight=w)
    assert_allclose(multi_margin_loss(y, F, reduction="none", **kw), ref, rtol=RTOL)
    # "mean" divides by n (not by the weights), "sum" sums
    assert multi_margin_loss(y, F, **kw) == pytest.approx(ref.sum() / n, rel=RTOL)
    assert multi_margin_loss(y, F, reduction="sum", **kw) == pytest.approx(ref.sum(), rel=RTOL)
    if not weighted:  # PyTorch's loss is Weston-Watkins / K
        assert multi_margin_loss(y, F, **kw) * K == pytest.approx(
            hinge_loss(y, F, labels=np.arange(K), multi_class="weston_watkins",
                       squared=p == 2, margin=margin), rel=RTOL)


@pytest.mark.parametrize("margin", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_categorical_hinge_matches_naive(margin, weighted):
    rng = np.random.default_rng(int(margin * 10) + weighted)
    n, K = 50, 4
    y = rng.integers(0, K, n)
    F = rng.normal(size=(n, K))
    F[:10] = -np.abs(F[:10])  # negative wrong-class scores, where Keras and Crammer-Singer differ
    T = np.eye(K)[y]
    s = rng.random(n) if weighted else None
    ref = _weighted_mean(naive_categorical(T, F, margin), s)
    assert categorical_hinge(y, F, sample_weight=s, margin=margin) == pytest.approx(ref, rel=RTOL)
    assert categorical_hinge(T, F, sample_weight=s, margin=margin) == pytest.approx(ref, rel=RTOL)
    # soft targets are used as given
    T_soft = rng.random((n, K))
    assert categorical_hinge(T_soft, F) == pytest.approx(
        naive_categorical(T_soft, F).mean(), rel=RTOL)


def test_all_pairs_metric_matches_naive():
    rng = np.random.default_rng(0)
    n = 300
    y = np.where(rng.random(n) < 0.2, "pos", "neg")  # "pos" > "neg": the positive class
    f = np.round(rng.normal(size=n), 1)
    s = rng.random(n)
    pos = y == "pos"
    ref = 0.0
    for j in np.flatnonzero(pos):
        for k in np.flatnonzero(~pos):
            ref += s[j] * s[k] * max(0.0, 0.7 - (f[j] - f[k])) ** 2
    ref /= s[pos].sum() * s[~pos].sum()
    assert all_pairs_squared_hinge_loss(y, f, margin=0.7, sample_weight=s) == pytest.approx(
        ref, rel=1e-10)


# ------------------------------------------------------------------------------- single class
@pytest.mark.parametrize("present", [0, 1])
@pytest.mark.parametrize("squared", [False, True])
def test_single_class_honours_labels(present, squared):
    """scikit-learn's binary path ignores ``labels`` and scores every sample as negative;
    here the sample's label decides its sign."""
    rng = np.random.default_rng(present)
    f = rng.normal(size=20)
    y = np.full(20, present)
    value = hinge_loss(y, f, labels=[0, 1], squared=squared)
    ref = naive_binary(np.full(20, 1.0 if present == 1 else -1.0), f, 1.0,
                       2 if squared else 1).mean()
    assert value == pytest.approx(ref, rel=RTOL)
    if present == 0 and not squared:  # negatives: scikit-learn happens to agree
        assert value == pytest.approx(skm.hinge_loss(y, f, labels=[0, 1]), rel=RTOL)


def test_single_class_multiclass_with_labels():
    rng = np.random.default_rng(3)
    F = rng.normal(size=(15, 3))
    y = np.full(15, "b")
    value = hinge_loss(y, F, labels=["a", "b", "c"])
    assert value == pytest.approx(skm.hinge_loss(y, F, labels=["a", "b", "c"]), rel=RTOL)
    assert value == pytest.approx(
        naive_multiclass(np.ones(15, int), F, "crammer_singer").mean(), rel=RTOL)


# ------------------------------------------------------------------------------- errors
F3 = [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]
ERRORS = [
    (hinge_loss, ([0, 1, 2], [0.1, 0.2, 0.3]), {}, "one column but there are 3 classes"),
    (hinge_loss, ([0, 1], F3), {}, "pass labels"),
    (hinge_loss, ([0, 1], F3), {"labels": [0, 1, 2, 3]}, "3 columns but labels holds 4"),
    (hinge_loss, ([0, 5], F3), {"labels": [0, 1, 2]}, r"missing from `labels`: \[5\]"),
    (hinge_loss, ([0, 1], [0.1, np.nan]), {}, "pred_decision contains NaN"),
    (hinge_loss, ([0, 1], [0.1, np.inf]), {}, "pred_decision contains infinity"),
    (hinge_loss, ([1, 1], [0.1, 0.2]), {}, "needs 2 classes"),
    (hinge_loss, ([1, 1], [0.1, 0.2]), {"labels": [1]}, "needs 2 classes"),
    (hinge_loss, ([1, 1], F3), {}, "needs 2 classes"),
    (hinge_loss, ([0, 1], [0.1, 0.2, 0.3]), {}, "inconsistent numbers of samples"),
    (hinge_loss, ([0, 1], [0.1, 0.2]), {"multi_class": "one_vs_one"}, "multi_class must be"),
    (hinge_loss, ([0, 1], [0.1, 0.2]), {"margin": 0.0}, "margin"),
    (hinge_loss, ([0, 1], [0.1, 0.2]), {"squared": "yes"}, "squared"),
    (hinge_loss, ([0, 1], [0.1, 0.2]), {"sample_weight": [1.0, -1.0]}, "non-negative"),
    (hinge_loss, ([0, 1], [0.1, 0.2]), {"sample_weight": [0.0, 0.0]}, "sums to zero"),
    (multi_margin_loss, ([0, 1], [0.1, 0.2]), {}, "scalar class index"),
    (multi_margin_loss, ([0], [[0.1]]), {}, "at least 2 classes"),
    (multi_margin_loss, ([3], [[0.1, 0.2, 0.3]]), {}, r"class indices in \[0, 2\]"),
    (multi_margin_loss, ([0.5], [[0.1, 0.2, 0.3]]), {}, "integer class indices"),
    (multi_margin_loss, ([0, 1], [[0.1, np.nan], [0.1, 0.2]]), {}, "scores contains NaN"),
    (multi_margin_loss, ([0, 1, 1], F3), {}, r"shape \(2,\)"),
    (multi_margin_loss, ([0, 1], F3), {"reduction": "avg"}, "reduction must be"),
    (multi_margin_loss, ([0, 1], F3), {"p": 3}, "p must be 1 or 2"),
    (multi_margin_loss, ([0, 1], F3), {"weight": [1.0, 2.0]}, "weight must have shape"),
    (categorical_hinge, ([0, 1], [0.1, 0.2]), {}, "at least 2 classes"),
    (categorical_hinge, ([[1, 0]], F3), {}, "shape of the scores"),
    (categorical_hinge, ([0, 3], F3), {}, "class indices"),
    (categorical_hinge, ([0, 1], [[0.1, np.nan, 0.3], [0.3, 0.2, 0.1]]), {}, "NaN"),
    (all_pairs_squared_hinge_loss, ([1, 1], [0.1, 0.2]), {}, "exactly 2 classes"),
    (all_pairs_squared_hinge_loss, ([0, 1, 2], [0.1, 0.2, 0.3]), {}, "exactly 2 classes"),
    (all_pairs_squared_hinge_loss, ([0, 1], F3), {}, "1-D"),
    (all_pairs_squared_hinge_loss, ([0, 1], [0.1, np.nan]), {}, "y_score contains NaN"),
    (all_pairs_squared_hinge_loss, ([0, 1], [0.1, 0.2]), {"sample_weight": [1.0, 0.0]},
     "no positive"),
]


@pytest.mark.parametrize("func, args, kwargs, match", ERRORS,
                         ids=[f"{e[0].__name__}-{e[3][:30]}" for e in ERRORS])
def test_errors(func, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(*args, **kwargs)


# ------------------------------------------------------------------------------- scorers
def _binary_data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0.3).astype(int)
    return X, y


def test_scorer_in_grid_search_is_minus_the_loss():
    X, y = _binary_data()
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(SquaredHingeSVM(), {"C": [0.01, 1.0]}, scoring=hinge_scorer, cv=cv)
    search.fit(X, y)
    best = search.best_estimator_
    losses = []
    for train, test in cv.split(X, y):
        est = SquaredHingeSVM(**search.best_params_).fit(X[train], y[train])
        losses.append(hinge_loss(y[test], est.decision_function(X[test])))
    assert search.best_score_ == pytest.approx(-np.mean(losses), rel=1e-8)
    assert search.best_score_ < 0
    # the refit estimator scores minus its loss on the full data
    assert hinge_scorer(best, X, y) == pytest.approx(
        -hinge_loss(y, best.decision_function(X)), rel=RTOL)


def test_every_scorer_is_minus_its_loss():
    X, y = _binary_data(60, seed=1)
    est = SquaredHingeSVM().fit(X, y)
    f = est.decision_function(X)
    assert SCORERS["neg_hinge_loss"](est, X, y) == pytest.approx(-hinge_loss(y, f), rel=RTOL)
    assert SCORERS["neg_squared_hinge_loss"](est, X, y) == pytest.approx(
        -hinge_loss(y, f, squared=True), rel=RTOL)
    assert SCORERS["neg_all_pairs_squared_hinge_loss"](est, X, y) == pytest.approx(
        -all_pairs_squared_hinge_loss(y, f), rel=RTOL)

    rng = np.random.default_rng(2)
    Xm = rng.normal(size=(60, 3))
    ym = np.argmax(Xm, axis=1)
    est = MulticlassHingeSVM(multi_class="weston_watkins").fit(Xm, ym)
    F = est.decision_function(Xm)
    for name, kind in [("neg_hinge_loss", "crammer_singer"),
                       ("neg_weston_watkins_hinge_loss", "weston_watkins"),
                       ("neg_ovr_hinge_loss", "ovr")]:
        assert SCORERS[name](est, Xm, ym) == pytest.approx(
            -hinge_loss(ym, F, multi_class=kind), rel=RTOL)


# ------------------------------------------------------------------------------- docstrings
@pytest.mark.parametrize("module", [hingeclf.metrics, hingeclf._allpairs_loss])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------------------------------- smooth hinges
def naive_smooth_term(u, s, kind):
    """Huber ``phi_s(u)`` or ``psi_s(u)`` of one violation ``u`` (docs/user_guide/losses.rst,
    'Smoothed hinges: Huber and psi')."""
    if kind == "psi":
        return 0.5 * (u + np.sqrt(u * u + s * s))
    if u >= s:
        return u - s / 2
    return u * u / (2 * s) if u > 0 else 0.0


def naive_capped_simplex_huber(v, s):
    """``max_{lam >= 0, sum lam <= 1} <lam, v> - s/2 ||lam||^2`` by brute force over supports."""
    best = 0.0
    k = len(v)
    for mask in range(1, 2 ** k):
        idx = [i for i in range(k) if mask >> i & 1]
        vv = np.array([v[i] for i in idx])
        for lam in (vv / s, None):  # interior, or on the face sum lam = 1
            if lam is None:
                lam = vv / s - (vv.sum() / s - 1.0) / len(idx)
            if np.all(lam >= -1e-15) and lam.sum() <= 1 + 1e-12:
                best = max(best, lam @ vv - s / 2 * lam @ lam)
    return best


@pytest.mark.parametrize("kind", ["huber", "psi"])
@pytest.mark.parametrize("smoothing", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("margin", [1.0, 0.5, 2.0])
def test_smooth_binary_matches_naive(kind, smoothing, margin):
    rng = np.random.default_rng(20)
    y = rng.integers(0, 2, 50) * 3 + 2  # labels 2 and 5: 5 is the positive
    f = rng.normal(size=50) * 2
    f[:3] = [margin, -margin, margin - smoothing]  # margins exactly at the kinks
    s = rng.random(50)
    y_pm = np.where(y == 5, 1.0, -1.0)
    per = np.array([naive_smooth_term(margin - yi * fi, smoothing, kind)
                    for yi, fi in zip(y_pm, f)])
    got = hingeclf.metrics.smooth_hinge_loss(y, f, smoothing=smoothing, kind=kind,
                                             sample_weight=s, margin=margin)
    assert got == pytest.approx(np.average(per, weights=s), rel=RTOL)


@pytest.mark.parametrize("kind, multi_class", [("huber", "weston_watkins"), ("huber", "ovr"),
                                               ("psi", "weston_watkins"), ("psi", "ovr"),
                                               ("huber", "crammer_singer")])
@pytest.mark.parametrize("margin", [1.0, 1.5])
def test_smooth_multiclass_matches_naive(kind, multi_class, margin):
    rng = np.random.default_rng(21)
    n, K, smoothing = 30, 4, 0.7
    y = rng.integers(0, K, n)
    F = rng.normal(size=(n, K))
    per = []
    for yi, fi in zip(y, F):
        if multi_class == "ovr":
            per.append(sum(naive_smooth_term(margin - (1 if c == yi else -1) * fi[c],
                                             smoothing, kind) for c in range(K)))
        elif multi_class == "weston_watkins":
            per.append(sum(naive_smooth_term(margin + fi[j] - fi[yi], smoothing, kind)
                           for j in range(K) if j != yi))
        else:
            v = [margin + fi[j] - fi[yi] for j in range(K) if j != yi]
            per.append(naive_capped_simplex_huber(v, smoothing))
    got = hingeclf.metrics.smooth_hinge_loss(y, F, smoothing=smoothing, kind=kind,
                                             multi_class=multi_class, margin=margin)
    assert got == pytest.approx(np.mean(per), rel=1e-10)


def test_smooth_hinge_limits_and_references():
    rng = np.random.default_rng(22)
    y = rng.integers(0, 2, 40)
    f = rng.normal(size=40) * 2
    exact = hinge_loss(y, f)
    for kind in ("huber", "psi"):
        assert hingeclf.metrics.smooth_hinge_loss(y, f, smoothing=1e-9, kind=kind) == \
            pytest.approx(exact, rel=1e-8)
    huber = hingeclf.metrics.smooth_hinge_loss(y, f, smoothing=0.4)
    psi = hingeclf.metrics.smooth_hinge_loss(y, f, smoothing=0.4, kind="psi")
    assert exact - 0.2 <= huber <= exact <= psi <= exact + 0.2
    # a quarter of scikit-learn's modified_huber loss (SGDClassifier), docs/user_guide/losses.rst,
    # 'Binary losses'
    z = np.where(y == 1, 1.0, -1.0) * f
    modified_huber = np.where(z >= -1, np.maximum(0, 1 - z) ** 2, -4 * z)
    assert hingeclf.metrics.smooth_hinge_loss(y, f, smoothing=2.0) == pytest.approx(
        modified_huber.mean() / 4, rel=RTOL)


@pytest.mark.parametrize("kwargs, match", [
    (dict(smoothing=0.0), "smoothing must be"),
    (dict(smoothing=np.inf), "smoothing must be"),
    (dict(smoothing=True), "smoothing must be"),
    (dict(kind="cubic"), "kind must be one of"),
])
def test_smooth_hinge_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hingeclf.metrics.smooth_hinge_loss([0, 1], [0.5, 1.0], **kwargs)


def test_psi_refuses_crammer_singer_but_not_binary():
    F = np.array([[1.0, 0.0, -1.0], [0.2, 0.3, 0.1]])
    with pytest.raises(ValueError, match="kind='psi' does not apply to multi_class"):
        hingeclf.metrics.smooth_hinge_loss([0, 2], F, kind="psi")
    # binary scores ignore multi_class, as in hinge_loss
    assert hingeclf.metrics.smooth_hinge_loss([0, 1], [0.5, 1.0], kind="psi") > 0


def test_smooth_scorers_are_minus_their_losses():
    X, y = _binary_data(60, seed=3)
    est = SquaredHingeSVM().fit(X, y)
    f = est.decision_function(X)
    assert SCORERS["neg_smooth_hinge_loss"](est, X, y) == pytest.approx(
        -hingeclf.metrics.smooth_hinge_loss(y, f), rel=RTOL)
    assert SCORERS["neg_psi_hinge_loss"](est, X, y) == pytest.approx(
        -hingeclf.metrics.smooth_hinge_loss(y, f, kind="psi"), rel=RTOL)
