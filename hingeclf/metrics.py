"""Hinge-family metrics and scorers, with the conventions of the common libraries.

The losses are evaluated by the kernels of :mod:`hingeclf._losses` and
:mod:`hingeclf._allpairs` (the ones the estimators minimise), not by copies of their formulas.
Only where a library's convention is not a member of that family is the formula written here,
with a comment naming the convention (PyTorch's division by ``K``, Keras' categorical hinge).

Which call reproduces which library (the conventions are explained in the user guide,
:ref:`math-metrics`):

==============================================================  ===============================================
call                                                            reproduces
==============================================================  ===============================================
``hinge_loss(y, f)``                                            ``sklearn.metrics.hinge_loss`` (binary: the
                                                                larger label is +1; multiclass: Crammer-Singer,
                                                                columns in sorted label order; weighted mean)
``hinge_loss(y, f, squared=True)``                              torchmetrics ``BinaryHingeLoss(squared=True)``
                                                                and ``MulticlassHingeLoss(squared=True)``, on
                                                                ``f`` already in [0, 1] (torchmetrics applies a
                                                                sigmoid / softmax to other inputs: do that first
                                                                to reproduce it); Keras ``SquaredHinge`` (binary)
``hinge_loss(y, f)`` with 0/1 or -1/+1 labels                   Keras ``Hinge`` (labels 0/1 mapped to -1/+1)
``hinge_loss(y, F, multi_class="ovr")``                         the sum over classes of torchmetrics'
                                                                ``multiclass_mode="one-vs-all"`` vector
``hinge_loss(y, F, multi_class="weston_watkins")``              cs231n's multiclass SVM loss;
                                                                ``K * multi_margin_loss`` (PyTorch)
``multi_margin_loss(y, F, p=, margin=, weight=, reduction=)``   ``torch.nn.MultiMarginLoss`` (PyTorch)
``categorical_hinge(y, F)``                                     ``keras.metrics.CategoricalHinge`` (Keras)
``all_pairs_squared_hinge_loss(y, f)``                          the all-pairs squared hinge of Rust & Hocking
                                                                (user guide, :ref:`math-allpairs`)
``smooth_hinge_loss(y, f, kind="huber", smoothing=2)``          a quarter of scikit-learn's ``modified_huber``
                                                                (``SGDClassifier``); ``smoothing=1``: Rennie's
                                                                smooth hinge
``smooth_hinge_loss(y, f, kind="psi", smoothing=s)``            the psi hinge of Luo, Qiao & Zhang (2021)
==============================================================  ===============================================

``f`` is a 1-D array of binary decision values, ``F`` an ``(n_samples, n_classes)`` array.

Scorers (for ``GridSearchCV(scoring=...)``, ``cross_val_score`` ...) are built with
:func:`sklearn.metrics.make_scorer` from the estimator's ``decision_function`` and
``greater_is_better=False``, so they return *minus* the loss and larger is better, as
scikit-learn's ``neg_*`` scorers do:

=======================================  =============================================================
name in :data:`SCORERS`                  scorer
=======================================  =============================================================
``"neg_hinge_loss"``                     :data:`hinge_scorer`
``"neg_squared_hinge_loss"``             :data:`squared_hinge_scorer`
``"neg_weston_watkins_hinge_loss"``      :data:`weston_watkins_hinge_scorer`
``"neg_ovr_hinge_loss"``                 :data:`ovr_hinge_scorer`
``"neg_all_pairs_squared_hinge_loss"``   :data:`all_pairs_squared_hinge_scorer`
``"neg_smooth_hinge_loss"``              :data:`smooth_hinge_scorer`
``"neg_psi_hinge_loss"``                 :data:`psi_hinge_scorer`
=======================================  =============================================================

A scorer sees only the labels of its test fold. For a multiclass problem whose test folds may miss
a class, fix the labels: ``make_scorer(hinge_loss, greater_is_better=False,
response_method="decision_function", labels=classes)``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils import check_array, check_consistent_length, column_or_1d

from ._allpairs_loss import all_pairs_squared_hinge
from ._losses import MULTICLASS_STRUCTURES, SMOOTHERS, HingeFamilyLoss

__all__ = [
    "hinge_loss",
    "smooth_hinge_loss",
    "multi_margin_loss",
    "categorical_hinge",
    "all_pairs_squared_hinge_loss",
    "hinge_scorer",
    "squared_hinge_scorer",
    "weston_watkins_hinge_scorer",
    "ovr_hinge_scorer",
    "all_pairs_squared_hinge_scorer",
    "smooth_hinge_scorer",
    "psi_hinge_scorer",
    "SCORERS",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------------------- validation helpers
def _check_option(value, options, name):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def _check_margin(margin):
    if (isinstance(margin, bool) or not isinstance(margin, numbers.Real)
            or not np.isfinite(margin) or not margin > 0):
        raise ValueError(f"margin must be a finite number > 0, got {margin!r}")
    return float(margin)


def _check_scores(scores, name):
    """Float64 scores of shape (n,) or (n, k); NaN and infinity rejected (naming ``name``)."""
    return check_array(scores, ensure_2d=False, dtype=np.float64, input_name=name)


def _check_sample_weight(sample_weight, n):
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight, dtype=np.float64)
    if s.ndim != 1 or s.shape[0] != n:
        raise ValueError(f"sample_weight must have shape ({n},), got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(s < 0):
        raise ValueError("sample_weight must be non-negative")
    if not s.sum() > 0:
        raise ValueError("sample_weight sums to zero: the weighted average is undefined")
    return s


def _class_indices(y_true, n_classes, name="y_true"):
    """Integer class indices in ``0 .. n_classes - 1`` (PyTorch and Keras targets)."""
    y = np.asarray(y_true)
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise ValueError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise ValueError(f"{name} must hold integer class indices")
    y = y.astype(np.intp)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name} must hold class indices in [0, {n_classes - 1}] (one per column of the "
            f"scores), got values in [{y.min()}, {y.max()}]")
    return y


def _reduce(per_sample, reduction):
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return float(per_sample.sum())
    return float(per_sample.mean())


# ---------------------------------------------------------------------------- metrics
def hinge_loss(y_true, pred_decision, *, labels=None, sample_weight=None,
               multi_class="crammer_singer", squared=False, margin=1.0):
    r"""Average hinge loss (non-regularised), as :func:`sklearn.metrics.hinge_loss` and beyond.

    Binary (``pred_decision`` 1-D): with ``y_i = +1`` for the larger of the two labels and
    ``-1`` for the other, and ``p = 2`` if ``squared`` else 1,

    .. math::

        L = \frac{\sum_i s_i \max(0,\, m - y_i f_i)^p}{\sum_i s_i}.

    Multiclass (``pred_decision`` of shape ``(n_samples, n_classes)``, columns in sorted label
    order, ``y_i`` the column of the true label): the weighted mean of

    .. math::

        \ell_i = \begin{cases}
            \max\bigl(0,\, m + \max_{j \ne y_i} f_{ij} - f_{i y_i}\bigr)^p
                & \text{crammer\_singer} \\
            \sum_{j \ne y_i} \max\bigl(0,\, m + f_{ij} - f_{i y_i}\bigr)^p
                & \text{weston\_watkins} \\
            \sum_{c} \max\bigl(0,\, m - t_{ic} f_{ic}\bigr)^p,\;
                t_{ic} = \pm 1 \text{ as } c = y_i \text{ or not} & \text{ovr}
        \end{cases}

    On every input that :func:`sklearn.metrics.hinge_loss` handles correctly the value is the
    same (up to rounding). The differences:

    - ``labels`` is honoured when ``y_true`` holds a single class: with 1-D scores and
      ``labels=[a, b]``, a sample of label ``b`` (the larger) is a positive. scikit-learn ignores
      ``labels`` in its binary path and scores every sample as a negative. Without ``labels``
      a single class is an error here, since the sign of its samples is unknown.
    - Two-column scores are accepted for two classes (the multiclass formulas with ``K = 2``);
      scikit-learn rejects them.
    - ``multi_class``, ``squared`` and ``margin`` are new; NaN scores and negative weights are
      errors.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    pred_decision : array-like of shape (n_samples,) or (n_samples, n_classes)
        Decision values, as returned by ``decision_function``. 1-D (or one column) for binary
        problems: positive values favour the larger label.
    labels : array-like, default=None
        All the labels of the problem (sorted internally). Needed when ``y_true`` misses some.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; the result is their weighted average of the losses.
    multi_class : {"crammer_singer", "weston_watkins", "ovr"}, default="crammer_singer"
        The multiclass loss (see above). Binary (1-D) scores use the binary hinge whatever
        its value.
    squared : bool, default=False
        Square each hinge term (``p = 2``).
    margin : float, default=1.0
        The margin ``m > 0`` that replaces the 1 of every hinge term.

    Returns
    -------
    loss : float
        The weighted average of the per-sample losses.

    Raises
    ------
    ValueError
        Scores of the wrong shape or containing NaN or infinity; labels of ``y_true`` missing
        from ``labels``; fewer than 2 classes; an unknown ``multi_class``; invalid weights.

    See Also
    --------
    sklearn.metrics.hinge_loss : The reference implementation for the default options.
    multi_margin_loss : PyTorch's scaling of the Weston-Watkins loss.

    Examples
    --------
    The decision values of scikit-learn's docstring example:

    >>> from hingeclf.metrics import hinge_loss
    >>> round(hinge_loss([-1, 1, 1], [-2.18, 2.36, 0.09]), 4)   # (0 + 0 + 0.91) / 3
    0.3033
    >>> F = [[2.0, 1.5, 0.2], [0.4, 0.9, 0.6]]   # columns: labels 0, 1, 2
    >>> round(hinge_loss([0, 2], F, labels=[0, 1, 2]), 4)   # (0.5 + 1.3) / 2
    0.9
    >>> round(hinge_loss([0, 2], F, labels=[0, 1, 2],
    ...                  multi_class="weston_watkins"), 4)   # (0.5 + (0.8 + 1.3)) / 2
    1.3
    >>> hinge_loss([1, 1], [0.5, 2.0], labels=[0, 1])   # honours labels: (0.5 + 0) / 2
    0.25
    """
    if not isinstance(squared, (bool, np.bool_)):
        raise ValueError(f"squared must be a bool, got {squared!r}")
    return _hinge_family_average(y_true, pred_decision, labels, sample_weight, multi_class,
                                 margin, lambda structure, m: HingeFamilyLoss(
                                     structure, 2 if squared else 1))


def _hinge_family_average(y_true, pred_decision, labels, sample_weight, multi_class, margin,
                          make_loss):
    """The weighted average of a hinge-family loss; ``make_loss(structure, margin)`` gives the
    loss with margin 1 that ``HingeFamilyLoss.loss_at_margin`` rescales to ``margin``."""
    _check_option(multi_class, MULTICLASS_STRUCTURES, "multi_class")
    margin = _check_margin(margin)
    y_true = column_or_1d(y_true, warn=True)
    scores = _check_scores(pred_decision, "pred_decision")
    check_consistent_length(y_true, scores, sample_weight)
    n = y_true.shape[0]
    s = _check_sample_weight(sample_weight, n)

    if labels is None:
        classes = np.unique(y_true)
    else:
        classes = np.unique(column_or_1d(labels))
        missing = np.setdiff1d(np.unique(y_true), classes)
        if missing.size:
            raise ValueError(
                f"y_true holds labels missing from `labels`: {missing.tolist()!r} "
                f"(labels: {classes.tolist()!r})")

    binary_scores = scores.ndim == 1 or scores.shape[1] == 1
    n_columns = 1 if binary_scores else scores.shape[1]
    if binary_scores:
        if classes.size > 2:
            raise ValueError(
                f"pred_decision has one column but there are {classes.size} classes: "
                f"multiclass scores must have shape (n_samples, n_classes) = "
                f"({n}, {classes.size}), got {scores.shape}")
        if classes.size < 2:
            raise ValueError(
                f"the hinge loss needs 2 classes, but {'y_true' if labels is None else 'labels'}"
                f" holds only {classes.tolist()!r}; pass labels=[negative, positive] to say "
                "which class the 1-D scores favour")
        raw = scores.reshape(n, 1)
        loss = make_loss("binary", margin)
    else:
        if classes.size < 2:
            raise ValueError(
                f"the hinge loss needs 2 classes, but {'y_true' if labels is None else 'labels'}"
                f" holds only {classes.tolist()!r}; pass labels= with one label per column of "
                "pred_decision")
        if classes.size != n_columns:
            if labels is None:
                raise ValueError(
                    f"y_true holds {classes.size} classes but pred_decision has {n_columns} "
                    "columns: pass labels= with one label per column (sorted), or include all "
                    "labels in y_true")
            raise ValueError(
                f"pred_decision has {n_columns} columns but labels holds {classes.size} "
                f"classes: the scores must have shape (n_samples, n_classes) = "
                f"({n}, {classes.size})")
        raw = scores
        loss = make_loss(multi_class, margin)
    # class index in sorted label order; binary: index 1 (the larger label) is the +1 class
    y = loss.encode_target(np.searchsorted(classes, y_true))
    per_sample = loss.loss_at_margin(y, raw, margin)
    return float(np.average(per_sample, weights=s))


def smooth_hinge_loss(y_true, pred_decision, *, smoothing=1.0, kind="huber", labels=None,
                      sample_weight=None, multi_class="crammer_singer", margin=1.0):
    r"""Average smoothed hinge loss: the Huberised hinge or the psi hinge of Luo, Qiao & Zhang.

    The same as :func:`hinge_loss` (same labels, columns, weights, ``multi_class`` and
    ``margin``) with each hinge term :math:`\max(0, u)`, :math:`u` its violation (for the binary
    loss :math:`u = m - y_i f_i`), replaced by a smooth version with smoothing
    :math:`s` = ``smoothing``, in the units of the scores (see the user guide,
    :ref:`math-smoothed-hinges`):

    .. math::

        \text{huber:}\quad \phi_s(u) = \begin{cases} u - s/2 & u \ge s \\ u^2 / (2 s)
            & 0 < u < s \\ 0 & u \le 0 \end{cases}
        \qquad
        \text{psi:}\quad \psi_s(u) = \tfrac{1}{2}\bigl(u + \sqrt{u^2 + s^2}\bigr)

    :math:`\max(0, u) - s/2 \le \phi_s(u) \le \max(0, u) \le \psi_s(u) \le \max(0, u) + s/2`.
    These are the losses that ``HingeSVM(loss="smooth_hinge" | "psi_hinge", smoothing=s)`` and
    ``MulticlassHingeSVM`` minimise (``margin=1``), computed by the same kernels. With
    Crammer-Singer, ``"huber"`` smooths the max over the wrong classes as a whole (the
    smoothing of :mod:`hingeclf._losses`; with one violating class it is :math:`\phi_s`);
    ``"psi"`` does not apply to it (an error). ``kind="huber"``, ``smoothing=2``, ``margin=1``
    on binary scores is a quarter of scikit-learn's ``modified_huber`` loss.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    pred_decision : array-like of shape (n_samples,) or (n_samples, n_classes)
        Decision values (see :func:`hinge_loss`).
    smoothing : float, default=1.0
        The smoothing :math:`s > 0` (Huber's ``gamma``, psi's ``sigma``).
    kind : {"huber", "psi"}, default="huber"
        Which smooth hinge.
    labels : array-like, default=None
        All the labels of the problem (see :func:`hinge_loss`).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; the result is their weighted average of the losses.
    multi_class : {"crammer_singer", "weston_watkins", "ovr"}, default="crammer_singer"
        The multiclass loss (see :func:`hinge_loss`); binary (1-D) scores ignore it.
    margin : float, default=1.0
        The margin ``m > 0`` that replaces the 1 of every hinge term.

    Returns
    -------
    loss : float
        The weighted average of the per-sample losses.

    Raises
    ------
    ValueError
        As :func:`hinge_loss`; and a ``smoothing`` that is not a finite number > 0, an unknown
        ``kind``, or ``kind="psi"`` with Crammer-Singer on multiclass scores.

    See Also
    --------
    hinge_loss : The exact hinge (the limit ``smoothing -> 0``).

    Examples
    --------
    >>> from hingeclf.metrics import smooth_hinge_loss
    >>> # margins y f = 2, 0.5, -1: huber terms 0, 0.5^2 / 2, 2 - 1/2; mean 1.625 / 3
    >>> round(smooth_hinge_loss([1, 1, 0], [2.0, 0.5, 1.0]), 6)
    0.541667
    >>> # psi terms (u + sqrt(u^2 + 1)) / 2 at u = -1, 0.5, 2
    >>> round(smooth_hinge_loss([1, 1, 0], [2.0, 0.5, 1.0], kind="psi"), 6)
    1.044719
    """
    _check_option(kind, SMOOTHERS, "kind")
    if (isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real)
            or not np.isfinite(smoothing) or not smoothing > 0):
        raise ValueError(f"smoothing must be a finite number > 0, got {smoothing!r}")
    scores_2d = np.ndim(pred_decision) == 2 and np.shape(pred_decision)[1] > 1
    if kind == "psi" and scores_2d and multi_class == "crammer_singer":
        raise ValueError(
            "kind='psi' does not apply to multi_class='crammer_singer' (a Crammer-Singer term "
            "is the max of several violations): use kind='huber', or "
            "multi_class='weston_watkins' or 'ovr'")
    # loss_at_margin evaluates m * loss(raw / m); both smooth hinges are positively homogeneous in
    # (u, s), so the kernel's smoothing s / m gives the smoothing s on the violations m - z
    return _hinge_family_average(y_true, pred_decision, labels, sample_weight, multi_class,
                                 margin, lambda structure, m: HingeFamilyLoss(
                                     structure, 1, float(smoothing) / m, kind))


def multi_margin_loss(y_true, scores, *, p=1, margin=1.0, weight=None, reduction="mean"):
    r"""Multiclass margin loss with the conventions of PyTorch's ``MultiMarginLoss``.

    With ``K`` classes, ``y_i`` the class index of sample ``i`` and class weights ``w``:

    .. math::

        \ell_i = \frac{1}{K} \sum_{j \ne y_i} w_{y_i} \max\bigl(0,\, m - f_{i y_i} + f_{ij}\bigr)^p,

    that is the Weston-Watkins loss divided by ``K`` (PyTorch's convention), with the class
    weight applied after the power (as PyTorch's kernels do). ``reduction="mean"`` divides the
    sum by the number of samples, not by the weights.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or scalar
        Class indices in ``0 .. K - 1`` (PyTorch's ``target``). A scalar goes with 1-D scores
        (PyTorch's unbatched input).
    scores : array-like of shape (n_samples, K) or (K,)
        Decision values (PyTorch's ``input``).
    p : {1, 2}, default=1
        Power of each hinge term (PyTorch supports only 1 and 2).
    margin : float, default=1.0
        The margin ``m > 0``. PyTorch also accepts ``m <= 0``; this function does not.
    weight : array-like of shape (K,), default=None
        Class weights ``w``; None means 1.
    reduction : {"none", "mean", "sum"}, default="mean"
        ``"none"``: the per-sample losses (a float for unbatched input); ``"mean"``: their mean
        over the samples; ``"sum"``: their sum.

    Returns
    -------
    loss : float or ndarray of shape (n_samples,)
        The reduced loss, or the per-sample losses for ``reduction="none"``.

    Raises
    ------
    ValueError
        Scores of the wrong shape or containing NaN or infinity; fewer than 2 classes; class
        indices out of range; an unknown ``reduction``; ``p`` not 1 or 2.

    See Also
    --------
    hinge_loss : ``multi_class="weston_watkins"`` is ``K`` times this loss (without weights).

    Examples
    --------
    PyTorch's documented example:

    >>> from hingeclf.metrics import multi_margin_loss
    >>> round(multi_margin_loss([3], [[0.1, 0.2, 0.4, 0.8]]), 6)   # (0.3 + 0.4 + 0.6) / 4
    0.325
    >>> multi_margin_loss([3, 0], [[0.1, 0.2, 0.4, 0.8], [1.0, 0.5, 0.0, 0.0]],
    ...                   reduction="none").round(4)
    array([0.325, 0.125])
    """
    _check_option(reduction, _REDUCTIONS, "reduction")
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"p must be 1 or 2 (as in PyTorch), got {p!r}")
    margin = _check_margin(margin)
    f = _check_scores(scores, "scores")
    unbatched = f.ndim == 1
    if unbatched:
        if np.ndim(y_true) != 0:
            raise ValueError(
                "1-D scores are one sample (PyTorch's unbatched input): y_true must be a "
                f"scalar class index, got shape {np.shape(y_true)}")
        f = f[None, :]
        y_true = [y_true]
    n, K = f.shape
    if K < 2:
        raise ValueError(f"the multi-margin loss needs at least 2 classes (columns), got {K}")
    y_arr = np.asarray(y_true)
    if y_arr.ndim != 1 or y_arr.shape[0] != n:
        raise ValueError(
            f"y_true must have shape ({n},) to match scores of shape {f.shape}, "
            f"got {y_arr.shape}")
    y = _class_indices(y_arr, K)
    if weight is not None:
        w = np.asarray(weight, dtype=np.float64)
        if w.shape != (K,):
            raise ValueError(f"weight must have shape ({K},) (one per class), got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("weight contains NaN or infinity")

    # PyTorch convention: the Weston-Watkins loss divided by K, times the weight of the true class
    per_sample = HingeFamilyLoss("weston_watkins", p).loss_at_margin(y, f, margin) / K
    if weight is not None:
        per_sample = per_sample * w[y]
    if unbatched and reduction == "none":
        return float(per_sample[0])
    return _reduce(per_sample, reduction)


def categorical_hinge(y_true, scores, *, sample_weight=None, margin=1.0):
    r"""Categorical hinge loss with the conventions of Keras' ``CategoricalHinge``.

    With targets ``t_i`` (one-hot rows, or any rows Keras would accept):

    .. math::

        \ell_i = \max\Bigl(0,\; m + \max_j\, (1 - t_{ij}) f_{ij} - \sum_j t_{ij} f_{ij}\Bigr),

    averaged with the sample weights. For one-hot targets the true class contributes a 0 to the
    max, so this is Crammer-Singer on the scores with an extra zero column: it differs from
    :func:`hinge_loss` when every wrong-class score is negative.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, K)
        Integer class indices in ``0 .. K - 1``, or the target rows ``t`` (one-hot as Keras
        expects; any real values are used as given).
    scores : array-like of shape (n_samples, K)
        Decision values (Keras' ``y_pred``).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; the result is the weighted average, as in
        ``keras.metrics.CategoricalHinge`` (``keras.losses.CategoricalHinge`` with its default
        reduction divides the weighted sum by ``n_samples`` instead).
    margin : float, default=1.0
        The margin ``m > 0`` replacing Keras' 1.

    Returns
    -------
    loss : float
        The weighted average of the per-sample losses.

    Raises
    ------
    ValueError
        Scores not of shape ``(n_samples, K)`` with ``K >= 2``, or containing NaN or infinity;
        targets of a shape that does not match; class indices out of range.

    See Also
    --------
    hinge_loss : The Crammer-Singer loss (``multi_class="crammer_singer"``), without the extra
        zero score.

    Examples
    --------
    Keras' documented example (the second target row is all zeros):

    >>> from hingeclf.metrics import categorical_hinge
    >>> round(categorical_hinge([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 6)  # (1.2 + 1.6) / 2
    1.4
    >>> round(categorical_hinge([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]],
    ...                         sample_weight=[1, 0]), 6)
    1.2
    >>> round(categorical_hinge([0], [[0.5, -1.0]]), 6)   # Crammer-Singer would give 0
    0.5
    """
    margin = _check_margin(margin)
    f = _check_scores(scores, "scores")
    if f.ndim != 2 or f.shape[1] < 2:
        raise ValueError(
            f"scores must have shape (n_samples, n_classes) with at least 2 classes, "
            f"got {f.shape}")
    n, K = f.shape
    y_arr = np.asarray(y_true)
    if y_arr.ndim == 1:
        if y_arr.shape[0] != n:
            raise ValueError(f"y_true must have {n} entries to match the scores, got {y_arr.shape}")
        t = np.zeros((n, K))
        t[np.arange(n), _class_indices(y_arr, K)] = 1.0
    elif y_arr.ndim == 2:
        if y_arr.shape != f.shape:
            raise ValueError(
                f"2-D y_true (one-hot targets) must have the shape of the scores {f.shape}, "
                f"got {y_arr.shape}")
        t = check_array(y_arr, dtype=np.float64, input_name="y_true")
    else:
        raise ValueError(f"y_true must be 1-D (class indices) or 2-D (one-hot), got {y_arr.shape}")
    s = _check_sample_weight(sample_weight, n)

    # Keras convention (keras.losses.categorical_hinge): pos = sum_j t_j f_j,
    # neg = max_j (1 - t_j) f_j, loss = max(0, 1 + neg - pos); the 1 is the margin here
    pos = np.einsum("ij,ij->i", t, f)
    neg = ((1.0 - t) * f).max(axis=1)
    per_sample = np.maximum(margin + neg - pos, 0.0)
    return float(np.average(per_sample, weights=s))


def all_pairs_squared_hinge_loss(y_true, y_score, *, margin=1.0, sample_weight=None):
    r"""Compute the all-pairs squared hinge loss, an AUC surrogate for unbalanced problems.

    With positives ``j`` (the larger of the two labels) and negatives ``k``:

    .. math::

        L = \frac{1}{P Q} \sum_{j} \sum_{k} s_j s_k \max\bigl(0,\, m - (f_j - f_k)\bigr)^2,
        \qquad P = \sum_j s_j,\; Q = \sum_k s_k,

    computed in ``O(n log n)`` time without forming the pairs (Rust & Hocking, arXiv
    2302.11062; see the user guide, :ref:`math-allpairs`). Weights weight pairs, so integer
    weights equal repeated samples; unit weights give the mean over all positive-negative pairs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels; the larger label is the positive class.
    y_score : array-like of shape (n_samples,)
        Decision values; larger values favour the positive class.
    margin : float, default=1.0
        The margin ``m >= 0`` by which a positive should beat each negative.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.

    Returns
    -------
    loss : float
        ``L``.

    Raises
    ------
    ValueError
        ``y_true`` without exactly 2 classes (or a class of zero total weight); scores not 1-D,
        of another length, or containing NaN or infinity.

    See Also
    --------
    hinge_loss : The pointwise (squared) hinge, which scores each sample on its own.
    sklearn.metrics.roc_auc_score : The area under the ROC curve that this loss is a surrogate of.

    Examples
    --------
    >>> from hingeclf.metrics import all_pairs_squared_hinge_loss
    >>> all_pairs_squared_hinge_loss([1, 0, 1, 0], [2.0, 0.5, 0.2, 0.0])  # (1.3^2 + 0.8^2) / 4
    0.5825
    """
    y_true = column_or_1d(y_true, warn=True)
    f = _check_scores(y_score, "y_score")
    if f.ndim == 2 and f.shape[1] == 1:
        f = f[:, 0]
    if f.ndim != 1:
        raise ValueError(f"y_score must be 1-D (binary decision values), got shape {f.shape}")
    check_consistent_length(y_true, f, sample_weight)
    classes = np.unique(y_true)
    if classes.size != 2:
        raise ValueError(
            "the all-pairs loss needs exactly 2 classes (positives and negatives) in y_true, "
            f"got {classes.tolist()!r}")
    loss, _ = all_pairs_squared_hinge(y_true == classes[1], f, margin=margin,
                                      sample_weight=sample_weight)
    return loss


# ---------------------------------------------------------------------------- scorers
def _neg_scorer(func, **kwargs):
    return make_scorer(func, greater_is_better=False, response_method="decision_function",
                       **kwargs)


#: Scorer of :func:`hinge_loss` (sklearn's convention; minus the loss, larger is better).
hinge_scorer = _neg_scorer(hinge_loss)
#: Scorer of :func:`hinge_loss` with ``squared=True``.
squared_hinge_scorer = _neg_scorer(hinge_loss, squared=True)
#: Scorer of :func:`hinge_loss` with ``multi_class="weston_watkins"``.
weston_watkins_hinge_scorer = _neg_scorer(hinge_loss, multi_class="weston_watkins")
#: Scorer of :func:`hinge_loss` with ``multi_class="ovr"``.
ovr_hinge_scorer = _neg_scorer(hinge_loss, multi_class="ovr")
#: Scorer of :func:`all_pairs_squared_hinge_loss` (binary estimators).
all_pairs_squared_hinge_scorer = _neg_scorer(all_pairs_squared_hinge_loss)

#: Scorer of :func:`smooth_hinge_loss` (Huber, ``smoothing=1``).
smooth_hinge_scorer = _neg_scorer(smooth_hinge_loss)
#: Scorer of :func:`smooth_hinge_loss` with ``kind="psi"`` (``smoothing=1``; not for
#: Crammer-Singer multiclass scores).
psi_hinge_scorer = _neg_scorer(smooth_hinge_loss, kind="psi")

#: The scorers by name, for ``GridSearchCV(scoring=SCORERS["neg_hinge_loss"])`` or
#: ``scoring={name: SCORERS[name] for name in (...)}`` (multi-metric).
SCORERS = {
    "neg_hinge_loss": hinge_scorer,
    "neg_squared_hinge_loss": squared_hinge_scorer,
    "neg_weston_watkins_hinge_loss": weston_watkins_hinge_scorer,
    "neg_ovr_hinge_loss": ovr_hinge_scorer,
    "neg_all_pairs_squared_hinge_loss": all_pairs_squared_hinge_scorer,
    "neg_smooth_hinge_loss": smooth_hinge_scorer,
    "neg_psi_hinge_loss": psi_hinge_scorer,
}
