"""Pointwise hinge-family loss kernels, written against decision values.

Every loss of the family is one object of :class:`HingeFamilyLoss`, fixed by three choices:

``structure``
    How the decision values ``raw`` (shape ``(n, n_out)``) become *violations* ``v = 1 + A raw``
    (shape ``(n, n_out)``), a linear map ``A`` fixed by the label of each sample:

    =================  ========  ======================================  =========================
    structure          n_out     violation ``v_ij``                      terms per sample
    =================  ========  ======================================  =========================
    ``binary``         1         ``1 - y_i f_i`` (``y_i`` in {-1, +1})   1 term of 1 piece
    ``ovr``            K         ``1 - t_ij f_ij`` (``t = +-1``)         K terms of 1 piece
    ``weston_watkins`` K         ``1 + f_ij - f_iy`` for ``j != y``      K - 1 terms of 1 piece
    ``crammer_singer`` K         ``1 + f_ij - f_iy`` for ``j != y``      1 term of K - 1 pieces
    =================  ========  ======================================  =========================

    Entries that are not violations (``j == y`` for the last two) are masked: they hold ``-1``
    (``-inf`` with the ``psi`` smoother, which is positive everywhere) and never contribute.

``power``
    1 for the hinge, 2 for its square.

``gamma``
    0 for the exact loss; ``gamma > 0`` smooths each term: the term ``xi(v) = max(0, max_p v_p)``
    becomes ``xi_gamma(v) = max_{lambda >= 0, sum lambda <= 1} <lambda, v> - gamma/2 ||lambda||^2``.
    With one piece this is the Huberised hinge (``smooth_hinge``; docs/user_guide/losses.rst,
    'Smoothed hinges: Huber and psi'), and it
    satisfies ``xi - gamma/2 <= xi_gamma <= xi``. The maximiser ``lambda`` is the (sub)gradient of the
    term in ``v``: the projection of ``v / gamma`` onto ``{lambda >= 0, sum lambda <= 1}``; with
    ``gamma == 0`` it is the indicator of the largest strictly positive violation (the kink
    convention of docs/user_guide/losses.rst, 'Binary losses': zero subgradient at ``v == 0``,
    i.e. at margin exactly 1).

``smoother``
    ``"huber"`` (the default) is the smoothing above. ``"psi"`` is the infinitely smooth
    ``psi_sigma(v) = (v + sqrt(v^2 + sigma^2)) / 2`` of Luo, Qiao & Zhang (2021) with
    ``sigma = gamma`` (docs/user_guide/losses.rst, 'Smoothed hinges: Huber and psi'), for
    single-piece terms and power 1 only (binary,
    one-vs-rest, Weston-Watkins): ``xi <= psi_sigma <= xi + sigma/2`` (it lies *above* the hinge,
    equal to ``sigma/2`` at ``v = 0``), ``psi' = (1 + v / sqrt(v^2 + sigma^2)) / 2`` in (0, 1) and
    ``0 < psi'' = sigma^2 / (2 (v^2 + sigma^2)^(3/2)) <= 1 / (2 sigma)``.

The loss of a term is ``xi^power``; the loss of a sample is the sum of its terms. Derivatives in
``raw`` follow by the chain rule through ``A`` (:meth:`HingeFamilyLoss.gradient`); the chain rule
through ``X`` lives in :mod:`hingeclf._objective`, not here.
"""

from __future__ import annotations

import numpy as np

from ._lazy import lazy_module

# (numba is imported with the kernels, on their first use: hingeclf._lazy)
_kernels = lazy_module("hingeclf._loss_kernels")


class Loss:
    """What the solver layer may ask of a loss: the declared interface of every loss.

    A loss is written against decision values ``raw`` (shape ``(n, n_out)``) and an encoded
    target ``y``; the chain rule through ``X`` belongs to the objective
    (:mod:`hingeclf._objective`). Every loss offers :meth:`loss`, :meth:`gradient` and
    :meth:`loss_gradient`. What else it offers it *declares* through the boolean properties
    below (all False here), each of which promises the methods named in its docstring. A solver
    lists the properties it needs (``SolverSpec.requires`` in :mod:`hingeclf._solvers`), the
    registry checks them by name and refuses a loss that lacks one with an error naming both;
    inside a solver, a property is asked, never a loss's parameters.

    A new loss is one subclass: its name, the three methods and the properties it can honour.
    """

    #: capabilities a solver may require, each a boolean property of the loss
    CAPABILITIES = ("is_smooth", "is_smoothable", "has_hessian", "has_box_dual",
                    "has_per_sample_terms", "has_binary_terms", "has_compiled_terms")

    # ---------------------------------------------------------------- always offered
    @property
    def name(self):
        """A short name for messages."""
        return type(self).__name__

    def n_outputs(self, n_classes):
        """Number of decision values per sample for ``n_classes`` classes."""
        return 1

    def encode_target(self, y_index):
        """The target in the form :meth:`loss` takes, from class indices ``0 .. K-1``."""
        return np.asarray(y_index)

    def loss(self, y, raw):  # pragma: no cover - abstract
        """Per-sample loss, shape ``(n,)``."""
        raise NotImplementedError

    def gradient(self, y, raw):
        """Derivative of each sample's loss in its decision values, shape of ``raw``."""
        return self.loss_gradient(y, raw)[1]

    def loss_gradient(self, y, raw):  # pragma: no cover - abstract
        """Per-sample loss and its derivative in ``raw``, in one pass."""
        raise NotImplementedError

    # ---------------------------------------------------------------- declared capabilities
    @property
    def is_smooth(self):
        """The gradient is Lipschitz: :meth:`lipschitz` bounds its constant per sample."""
        return False

    @property
    def is_smoothable(self):
        """A smoothing family exists: :meth:`smoothed` gives its member at ``gamma > 0``
        (smooth), and solvers that need smoothness reach this loss by continuation."""
        return False

    @property
    def has_hessian(self):
        """A (generalised) Hessian in ``raw`` exists: :meth:`hessian_operator`."""
        return False

    @property
    def has_box_dual(self):
        """The dual is a box-constrained quadratic problem that dual coordinate descent solves:
        :meth:`dual_box` gives each variable's box and diagonal."""
        return False

    @property
    def has_per_sample_terms(self):
        """The loss is a sum of per-sample terms of violations ``v = 1 + A raw``, which the
        per-sample solver ``sgd`` steps through implicitly: :meth:`violations`,
        :meth:`apply_AT`, :meth:`prox_weights` (the weights at a step's landing point),
        :meth:`term_coupling` and :attr:`direction_norm2` (the size of ``A``'s rows)."""
        return False

    @property
    def has_binary_terms(self):
        """One binary term per decision value (binary and one-vs-rest): the outputs are
        independent problems with targets ``+-1``."""
        return False

    @property
    def has_compiled_terms(self):
        """One binary term per decision value, each the compiled scalar term
        :func:`hingeclf._loss_kernels.term` at :attr:`kernel_parameters` ``(power, gamma)``:
        compiled kernels (the one-pass sums, coordinate descent) evaluate the loss."""
        return False

    @property
    def is_piecewise_linear(self):
        """Piecewise linear in ``raw`` (the exact hinges): its optimum is found by face
        identification, and smooth solvers reach it by continuation."""
        return False

    @property
    def has_exact_faces(self):
        """The exact (unsmoothed) loss of a family of terms ``xi(v)^power`` of violations
        ``v = 1 + A raw`` (the hinges and squared hinges): its optimum is exact on a face,
        which a face solve finds and verifies (:mod:`hingeclf._solvers._face`)."""
        return False

    @property
    def has_exact_quadratic_pieces(self):
        """An exact (unsmoothed) loss that is quadratic on each piece of a finite partition of
        ``raw``, the pieces its generalised Hessian sees: a Newton step with the objective's whole
        Hessian (``HessianOperator.matrix()``) lands on the minimiser of the current piece, and
        on the optimum once it stays on its piece (the finish of
        :func:`hingeclf._solvers._finish.newton_on_pieces`)."""
        return False

    @property
    def has_dual_from_gradient(self):
        """A dual point follows from a primal one (the derivative of the terms): the
        duality gap certifies any primal point (:mod:`hingeclf._certificate`)."""
        return False

    @property
    def has_dual_from_smoothing(self):
        """A dual point follows from the primal point of a smoothed loss: the duality gap
        certifies a primal point through the weights of :meth:`smoothed` losses."""
        return False

    def lipschitz(self, n_out):
        """Lipschitz constant of the gradient in ``raw`` for one sample, or None."""
        return None

    def slope_at_margin(self, margin):
        """The slope ``|dloss/dz|`` of a term at margin ``z = -margin`` (a scale for first
        steps); 1 unless a loss says otherwise."""
        return 1.0

    def smoothed(self, gamma):
        """The member of this loss's smoothing family at ``gamma``."""
        raise ValueError(f"the {self.name} loss has no smoothing family")

    def hessian_operator(self, y, raw):
        """The map ``d_raw -> H d_raw`` at ``raw``, with a ``diagonal()`` method."""
        raise ValueError(f"the {self.name} loss has no Hessian")

    def dual_box(self, c):
        """``(upper, diag)`` of each dual variable for the per-sample costs ``c``."""
        raise ValueError(f"the {self.name} loss has no box-constrained dual")

    def capabilities(self):
        """The names of :data:`CAPABILITIES` this loss offers."""
        return frozenset(name for name in self.CAPABILITIES if getattr(self, name))

__all__ = [
    "Loss",
    "HingeFamilyLoss",
    "BINARY_LOSSES",
    "MULTICLASS_STRUCTURES",
    "binary_loss",
    "multiclass_loss",
    "SMOOTH_LOSSES",
    "SMOOTHERS",
]

STRUCTURES = ("binary", "ovr", "weston_watkins", "crammer_singer")
MULTICLASS_STRUCTURES = ("crammer_singer", "weston_watkins", "ovr")
SMOOTHERS = ("huber", "psi")
_MASKED = -1.0


class HingeFamilyLoss(Loss):
    """One member of the hinge family: a structure, a power and a smoothing.

    Parameters
    ----------
    structure : {"binary", "ovr", "weston_watkins", "crammer_singer"}
        How decision values become violations (see the module docstring).
    power : {1, 2}
        1 for the hinge, 2 for the squared hinge.
    gamma : float, default=0.0
        Smoothing parameter; 0 is the exact loss. With ``smoother="psi"`` it is ``sigma > 0``.
    smoother : {"huber", "psi"}, default="huber"
        The smoothing of each term when ``gamma > 0`` (see the module docstring).
    """

    def __init__(self, structure, power=1, gamma=0.0, smoother="huber"):
        if structure not in STRUCTURES:
            raise ValueError(f"structure must be one of {STRUCTURES}, got {structure!r}")
        if power not in (1, 2):
            raise ValueError(f"power must be 1 or 2, got {power!r}")
        if not gamma >= 0:
            raise ValueError(f"gamma must be >= 0, got {gamma!r}")
        if smoother not in SMOOTHERS:
            raise ValueError(f"smoother must be one of {SMOOTHERS}, got {smoother!r}")
        if smoother == "psi":
            if not (gamma > 0 and np.isfinite(gamma)):
                raise ValueError(
                    f"the psi smoother needs a finite sigma = gamma > 0, got {gamma!r}")
            if power != 1:
                raise ValueError("the psi smoother is a smoothing of the hinge (power 1); "
                                 f"got power={power!r}")
            if structure == "crammer_singer":
                raise ValueError(
                    "the psi smoother applies to terms of one piece; a Crammer-Singer term is "
                    "the max of K - 1 pieces: use the Huber smoothing (smooth_hinge) or the "
                    "weston_watkins / ovr structures")
        self.smoother = smoother
        self.structure = structure
        self.power = int(power)
        self.gamma = float(gamma)

    # ------------------------------------------------------------------ description
    @property
    def name(self):
        base = {1: "hinge", 2: "squared_hinge"}[self.power]
        if self.smoother == "psi":
            base = f"psi_{base}"
        if self.structure != "binary":
            base = f"{self.structure}_{base}"
        if self.smoother == "psi":
            base = f"{base}(sigma={self.gamma:g})"
        elif self.gamma > 0:
            base = f"smoothed_{base}(gamma={self.gamma:g})"
        return base

    def __repr__(self):
        extra = ", smoother='psi'" if self.smoother == "psi" else ""
        return (f"HingeFamilyLoss(structure={self.structure!r}, power={self.power}, "
                f"gamma={self.gamma!r}{extra})")

    @property
    def _psi(self):
        return self.smoother == "psi"

    @property
    def direction_norm2(self):
        """Squared norm of a row of ``A`` (1 for binary and one-vs-rest, 2 otherwise)."""
        return 1.0 if self.structure in ("binary", "ovr") else 2.0

    def term_coupling(self, n_out):
        """Gershgorin bound of the coupling between the terms of one sample through ``A``.

        Weston-Watkins terms share ``f_y``: their normalised directions have inner products 1/2,
        so the bound is ``1 + (K - 2) / 2``; the other structures have one term per sample or
        orthogonal terms (1).
        """
        if self.structure == "weston_watkins":
            return max(1.0, n_out / 2.0)
        return 1.0

    def __eq__(self, other):
        return (isinstance(other, HingeFamilyLoss)
                and self._parameters() == other._parameters())

    def __hash__(self):
        return hash(self._parameters())

    def _parameters(self):
        return (self.structure, self.power, self.gamma, self.smoother)

    @property
    def grouped(self):
        """True when a sample's violations are pieces of one term (Crammer-Singer)."""
        return self.structure == "crammer_singer"

    # ------------------------------------------------------------------ declared capabilities
    @property
    def is_smooth(self):
        """True when the gradient is continuous (Lipschitz on bounded sets)."""
        if self.gamma > 0:
            return True
        # squared hinge of single-piece terms is C^1; the squared Crammer-Singer loss is not
        # differentiable where two violating classes tie
        return self.power == 2 and not self.grouped

    @property
    def is_smoothable(self):
        return True

    @property
    def is_piecewise_linear(self):
        """True for the exact hinge losses, whose optimum is found by face identification."""
        return self.power == 1 and self.gamma == 0

    @property
    def has_hessian(self):
        """True when a (generalised) Hessian-vector product is available."""
        return self.is_smooth or (self.power == 2 and self.gamma == 0)

    @property
    def has_box_dual(self):
        """The binary and one-vs-rest hinge, smoothed hinge and squared hinge, and the exact
        Crammer-Singer hinge (its dual is a box per sample with a sum constraint); not the psi
        smoother, whose conjugate is not quadratic."""
        if self._psi:
            return False
        if self.structure == "crammer_singer":
            return self.is_piecewise_linear
        return self.has_binary_terms and (self.power == 1 or self.gamma == 0)

    @property
    def has_per_sample_terms(self):
        return True

    @property
    def has_binary_terms(self):
        return self.structure in ("binary", "ovr")

    # ------------------------------------------------------------------ the shape of the terms
    @property
    def is_binary(self):
        """One output with targets ``+-1`` (the ``binary`` structure)."""
        return self.structure == "binary"

    @property
    def has_multi_piece_terms(self):
        """A sample's violations are the pieces of one term ``max(0, max_p v_p)``
        (Crammer-Singer), not terms of their own."""
        return self.grouped

    @property
    def has_squared_terms(self):
        """Each term is squared (``xi^2``): its dual weights are unbounded above."""
        return self.power == 2

    @property
    def is_smoothed(self):
        """A member of the smoothing family at ``gamma > 0``, not the exact loss."""
        return self.gamma > 0

    @property
    def has_exact_faces(self):
        return self.gamma == 0

    @property
    def has_exact_quadratic_pieces(self):
        """The exact squared hinges (their finish is the face solve, which also settles ties
        and the intercepts' constraint)."""
        return self.gamma == 0 and self.power == 2

    @property
    def has_dual_from_gradient(self):
        """The dual point follows from the primal one (the derivative of the terms): the
        squared losses and the Huber-smoothed hinges, not squared Crammer-Singer (kinked where
        two violations tie) nor the psi smoother (whose conjugate is another function)."""
        return not self._psi and (self.power == 2 or self.gamma > 0) and not self.grouped

    @property
    def has_dual_from_smoothing(self):
        """The dual point follows from a smoothed primal point: the exact hinges, whose
        Huber-smoothed weights lie in the hinge's dual set, and the squared Crammer-Singer hinge,
        whose weights ``2 xi lambda`` are >= 0 for any smoothed ``lambda``."""
        return not self._psi and self.gamma == 0 and (self.power == 1 or self.grouped)

    def slope_at_margin(self, margin):
        """1 for the hinges, ``2 (1 + margin)`` for the squared hinges."""
        return 2.0 * (1.0 + margin) if self.power == 2 else 1.0

    def smoothed_at_least(self, gamma):
        """The loss whose term weights give the dual point at smoothing ``gamma``: the
        Huber-smoothed loss at ``max(gamma, own smoothing)`` for the hinges and squared
        Crammer-Singer, the loss itself otherwise (its weights need no smoothing)."""
        if (self.power == 1 or self.grouped) and (gamma > 0 or self.gamma > 0):
            return self.smoothed(max(gamma, self.gamma))
        return self

    @property
    def kernel_parameters(self):
        """``(power, gamma)``: what the compiled scalar term of
        :func:`hingeclf._loss_kernels.term` takes (binary terms only)."""
        return int(self.power), float(self.gamma)

    def conjugate(self, mu, c):
        """The conjugate part of the dual at the term weights ``mu`` (float64, shape
        ``(n, n_out)``) and costs ``c``: ``(sum_i c_i phi(mu_i), t_max)``, where ``phi`` is
        ``gamma/2 ||mu||^2`` for the hinges (``mu`` in ``[0, 1]``, a Crammer-Singer term's sum
        at most 1) and ``(sum mu)^2 / 4`` per term for the squared losses, and ``t_max`` is the
        largest scaling ``t`` that keeps ``t mu`` in that set."""
        if self.power == 2:
            per_term = mu.sum(axis=1) ** 2 if self.grouped else (mu * mu).sum(axis=1)
        else:
            per_term = (mu * mu).sum(axis=1)
        capped = mu.sum(axis=1) if self.grouped else mu
        return self.conjugate_from_sums(float(np.sum(c * per_term, dtype=np.float64)),
                                        float(np.max(capped, initial=0.0)))

    def conjugate_from_sums(self, square, largest):
        """:meth:`conjugate` from ``square = sum_i c_i per_term_i`` and the largest capped
        weight (single-piece terms: the largest ``mu``)."""
        if self.power == 2:
            return square / 4.0, np.inf
        return 0.5 * self.gamma * square, (1.0 / largest if largest > 0 else np.inf)

    def dual_box(self, c):
        """``(upper, diag)`` of each binary term's dual variable for the per-sample costs
        ``c``: the hinge's box ``[0, c_i]`` with the smoothing's diagonal ``gamma / c_i``, the
        squared hinge's ``[0, inf)`` with ``1 / (2 c_i)``."""
        c = np.asarray(c, dtype=np.float64)
        positive = c > 0
        safe = np.where(positive, c, 1.0)
        if self.power == 1:
            upper = c.copy()
            diag = np.where(positive, self.gamma / safe, 0.0)
        else:
            upper = np.where(positive, np.inf, 0.0)
            diag = np.where(positive, 0.5 / safe, 0.0)
        return upper, diag

    def positive_entries(self, y, n_out):
        """Where the target sign ``t_ij`` is +1 (binary and one-vs-rest), as a boolean array
        broadcasting against ``(n, n_out)``."""
        if self.structure == "binary":
            return (np.asarray(y) > 0)[:, None]
        positive = np.zeros((np.shape(y)[0], n_out), dtype=bool)
        positive[np.arange(positive.shape[0]), np.asarray(y)] = True
        return positive

    def target_signs(self, y, n_out, dtype):
        """``t_ij`` in {-1, +1} of the binary terms, shape ``(n, n_out)``."""
        if self.structure == "binary":
            return np.ones((np.shape(y)[0], 1), dtype=dtype) * np.asarray(y)[:, None]
        return self._signs(y, n_out, dtype)

    def lipschitz(self, n_out):
        """Lipschitz constant of the gradient in ``raw`` for one sample, or None if unbounded.

        It is ``||A||^2`` times the constant of ``xi^power`` in ``v``; ``||A||^2`` is 1 for the
        binary and one-vs-rest structures and ``n_out`` for Weston-Watkins and Crammer-Singer.
        """
        if self._psi:
            l_v = 1.0 / (2.0 * self.gamma)
        elif self.power == 1 and self.gamma > 0:
            l_v = 1.0 / self.gamma
        elif self.power == 2 and self.gamma == 0 and not self.grouped:
            l_v = 2.0
        else:
            return None
        a_norm2 = 1.0 if self.structure in ("binary", "ovr") else float(n_out)
        return a_norm2 * l_v

    def smoothed(self, gamma):
        """The same loss with smoothing ``gamma`` (the continuation family of this loss)."""
        return HingeFamilyLoss(self.structure, self.power, gamma, self.smoother)

    def n_outputs(self, n_classes):
        """Number of decision values per sample for ``n_classes`` classes."""
        return 1 if self.structure == "binary" else int(n_classes)

    def output_loss(self):
        """The binary loss of one output's problem (binary and one-vs-rest terms)."""
        return HingeFamilyLoss("binary", self.power, self.gamma, self.smoother)

    # ------------------------------------------------------------------ fused weighted sums
    @property
    def has_compiled_terms(self):
        """The binary and one-vs-rest hinges, exact or Huber-smoothed, and squared hinges:
        their terms are :func:`hingeclf._loss_kernels.term`."""
        return self.structure in ("binary", "ovr") and not self._psi

    def _kernel_args(self):
        return (*self.kernel_parameters, self.structure == "ovr")

    def weighted_value(self, y, raw, weights):
        """``sum_i c_i loss_i(raw)`` in one pass (float64; :attr:`has_compiled_terms` losses only)."""
        return _kernels.weighted_value(y, raw, weights, *self._kernel_args())

    def weighted_value_on_line(self, y, raw, raw_d, step, weights):
        """:meth:`weighted_value` at ``raw + step raw_d``, without forming it."""
        return _kernels.weighted_value_on_line(y, raw, raw_d, float(step), weights,
                                               *self._kernel_args())

    def weighted_value_gradient(self, y, raw, weights, out=None):
        """:meth:`weighted_value` and ``c_i dloss_i/draw`` (shape and dtype of ``raw``; into
        ``out`` if given)."""
        if out is None:
            out = np.empty(raw.shape, dtype=raw.dtype)
        value = _kernels.weighted_value_gradient(y, raw, weights, *self._kernel_args(), out)
        return value, out

    def weighted_curvature(self, y, raw, weights, out=None):
        """``c_i d2loss_i/draw^2`` (the generalised second derivative, shape and dtype of
        ``raw``; into ``out`` if given): the loss part of the Hessian is
        ``[X, 1]^T diag(this) [X, 1]`` per output."""
        if out is None:
            out = np.empty(raw.shape, dtype=raw.dtype)
        _kernels.weighted_curvature(y, raw, weights, *self._kernel_args(), out)
        return out

    # ------------------------------------------------------------------ targets and violations
    def encode_target(self, y_index):
        """Target in the form the kernels use, from class indices ``0 .. K-1``.

        Binary: ``y`` in {-1, +1} as int8 (index 1 is the positive class). Otherwise the
        integer class indices themselves, in their own (smallest) integer dtype. A target is as
        long as the data: one byte per sample instead of eight keeps it out of the fit's peak
        memory (the kernels promote the signs to the data's dtype).
        """
        y_index = np.asarray(y_index)
        if self.structure == "binary":
            return np.where(y_index == 1, np.int8(1), np.int8(-1))
        if y_index.dtype.kind not in "iu":
            return y_index.astype(np.intp)
        return y_index

    def _signs(self, y, n_out, dtype):
        """``t_ij``: +1 where ``j == y_i`` else -1 (one-vs-rest)."""
        t = np.full((y.shape[0], n_out), -1.0, dtype=dtype)
        t[np.arange(y.shape[0]), y] = 1.0
        return t

    def violations(self, y, raw, overwrite=False):
        """``v = 1 + A raw`` of shape ``(n, n_out)``; masked entries hold -1. With
        ``overwrite`` (binary and one-vs-rest) ``raw`` itself becomes ``v``: no temporary."""
        raw = np.asarray(raw)
        if overwrite and self.structure in ("binary", "ovr"):
            if self.structure == "binary":  # 1 - y raw
                raw *= y[:, None]
                np.negative(raw, out=raw)
            else:  # 1 - raw in the sample's class, 1 + raw in the others
                raw[np.arange(raw.shape[0]), y] *= -1
            raw += 1
            return raw
        if self.structure == "binary":
            return 1.0 - y[:, None] * raw
        if self.structure == "ovr":
            return 1.0 - self._signs(y, raw.shape[1], raw.dtype) * raw
        rows = np.arange(raw.shape[0])
        v = 1.0 + raw - raw[rows, y][:, None]
        v[rows, y] = -np.inf if self._psi else _MASKED
        return v

    def valid_entries(self, y, n_out):
        """Boolean mask of the real violation entries: all but ``(i, y_i)`` for Weston-Watkins
        and Crammer-Singer, whose masked entries hold -1 and are never pieces of the loss."""
        mask = np.ones((y.shape[0], n_out), dtype=bool)
        if self.structure in ("weston_watkins", "crammer_singer"):
            mask[np.arange(y.shape[0]), y] = False
        return mask

    def apply_A(self, y, d_raw):
        """``A d_raw``: the change of the violations for a change ``d_raw`` of the decision values."""
        if self.structure == "binary":
            return -y[:, None] * d_raw
        if self.structure == "ovr":
            return -self._signs(y, d_raw.shape[1], d_raw.dtype) * d_raw
        rows = np.arange(d_raw.shape[0])
        dv = d_raw - d_raw[rows, y][:, None]
        dv[rows, y] = 0.0
        return dv

    def apply_AT(self, y, lam, overwrite=False):
        """``A^T lam``: pull a gradient in the violations back to the decision values. With
        ``overwrite`` (binary and one-vs-rest) ``lam`` itself becomes the result."""
        if overwrite and self.structure in ("binary", "ovr"):
            if self.structure == "binary":  # -y lam
                lam *= y[:, None]
                np.negative(lam, out=lam)
            else:  # -lam in the sample's class, lam in the others
                lam[np.arange(lam.shape[0]), y] *= -1
            return lam
        if self.structure == "binary":
            return -y[:, None] * lam
        if self.structure == "ovr":
            return -self._signs(y, lam.shape[1], lam.dtype) * lam
        rows = np.arange(lam.shape[0])
        g = lam.copy()
        g[rows, y] = 0.0
        g[rows, y] = -g.sum(axis=1)
        return g

    def directions(self, y, rows, cols, n_out):
        """Rows of ``A`` for the violation entries ``(rows, cols)``: shape ``(len(rows), n_out)``."""
        m = len(rows)
        e = np.zeros((m, n_out))
        idx = np.arange(m)
        if self.structure == "binary":
            e[:, 0] = -y[rows]
        elif self.structure == "ovr":
            e[idx, cols] = -np.where(y[rows] == cols, 1.0, -1.0)
        else:
            e[idx, cols] = 1.0
            e[idx, y[rows]] -= 1.0
        return e

    # ------------------------------------------------------------------ the terms xi(v)
    def term_weights(self, v):
        """``lambda``: the (sub)gradient of each term ``xi_gamma`` in ``v``, shape of ``v``."""
        g = self.gamma
        if not self.grouped:
            if self._psi:
                return _psi_slope(v, g)
            if g == 0:
                return (v > 0).astype(v.dtype)
            return np.clip(v / g, 0.0, 1.0)
        if g == 0:
            lam = np.zeros_like(v)
            j = np.argmax(v, axis=1)
            rows = np.arange(v.shape[0])
            lam[rows, j] = (v[rows, j] > 0).astype(v.dtype)
            return lam
        return _project_capped_simplex(v / g)

    def prox_weights(self, v, a):
        """Weights ``d xi^power / dv`` taken at the *implicit* (proximal) point of a step.

        For a step that moves each violation by ``-a * weight`` (``a >= 0`` per sample, shape
        ``(n, 1)``: the step size times the curvature of the sample's term), the weight is the
        derivative at the point the step lands on, which makes stochastic steps stable at any
        size (implicit SGD, Kulis & Bartlett 2010):

        - power 1: ``clip(v / (gamma + a), 0, 1)``, i.e. the smoothed weight with ``gamma + a``
          (the prox of the hinge lands exactly on the kink instead of overshooting it);
          Crammer-Singer: the capped-simplex projection of ``v / (gamma + a)``;
        - power 2: ``2 v+ / (1 + 2 a)`` with ``v+ = xi`` (for Crammer-Singer along the largest
          violation, which is exact while that violation stays the largest);
        - psi: the root ``mu`` in [0, 1] of ``mu = psi'(v - a mu)`` (found by bisection; the
          right side decreases in ``mu``).
        """
        if self._psi:
            return _psi_prox_slope(v, a, self.gamma)
        if self.power == 1:
            scale = self.gamma + a
            # a step of size 0 (a sample of zero weight) on the exact hinge: the weights are the
            # subgradient at v itself (v / 0 would overflow)
            exact = scale <= np.abs(v).max(axis=1, keepdims=True) * (4.0 / np.finfo(v.dtype).max)
            if np.any(exact):
                scale = np.where(exact, 1.0, scale)
            lam = (_project_capped_simplex(v / scale) if self.grouped
                   else np.clip(v / scale, 0.0, 1.0))
            if np.any(exact):
                exact_lam = type(self)(self.structure, 1, 0.0).term_weights(v)
                lam = np.where(exact, exact_lam, lam)
            return lam
        lam = self.term_weights(v)
        xi = self.term_values(v, lam)
        if self.grouped:
            xi = xi[:, None]
        return 2.0 * xi * lam / (1.0 + 2.0 * a)

    def term_values(self, v, lam=None):
        """``xi_gamma`` of each term: shape ``(n, n_out)`` (separate) or ``(n,)`` (grouped)."""
        g = self.gamma
        if not self.grouped:
            if self._psi:
                return _psi_value(v, g)
            if g == 0:
                return np.maximum(v, 0.0)
            return np.where(v >= g, v - 0.5 * g, np.where(v > 0, v * v / (2.0 * g), 0.0))
        if g == 0:
            return np.maximum(v.max(axis=1), 0.0)
        if lam is None:
            lam = self.term_weights(v)
        return np.einsum("ij,ij->i", lam, v) - 0.5 * g * np.einsum("ij,ij->i", lam, lam)

    # ------------------------------------------------------------------ per-sample loss and derivatives
    def _loss_and_dv(self, y, raw, need_loss=True, need_grad=True):
        v = self.violations(y, raw)
        # (the separable terms' values do not need their weights)
        lam = self.term_weights(v) if need_grad or self.grouped else None
        xi = self.term_values(v, lam)
        loss = dv = None
        if self.power == 1:
            if need_loss:
                loss = xi if self.grouped else xi.sum(axis=1)
            if need_grad:
                dv = lam
        else:
            if need_loss:
                loss = xi * xi if self.grouped else (xi * xi).sum(axis=1)
            if need_grad:
                dv = 2.0 * (xi[:, None] if self.grouped else xi) * lam
        return loss, dv

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        return self._loss_and_dv(y, raw, need_grad=False)[0]

    def loss_at_margin(self, y, raw, margin):
        """Per-sample loss with violations ``margin - z`` instead of ``1 - z``: every violation
        is linear in the scores, so ``margin - z(raw) = margin (1 - z(raw / margin))`` and the
        loss of power ``p`` is ``margin^p loss(raw / margin)`` (exact for ``margin == 1``)."""
        if margin == 1.0:
            return self.loss(y, raw)
        return margin ** self.power * self.loss(y, raw / margin)

    def gradient(self, y, raw):
        """Derivative of each sample's loss in its decision values, shape of ``raw``."""
        return self.apply_AT(y, self._loss_and_dv(y, raw, need_loss=False)[1])

    def loss_gradient(self, y, raw):
        """Per-sample loss and its derivative in ``raw``, in one pass."""
        loss, dv = self._loss_and_dv(y, raw)
        return loss, self.apply_AT(y, dv)

    def hessp(self, y, raw, d_raw):
        """(Generalised) second derivative in ``raw`` applied to ``d_raw``, per sample.

        Raises ``ValueError`` for losses that have none (the exact hinge losses; the squared
        Crammer-Singer loss has the generalised Hessian ``2 lambda lambda^T`` used here).
        """
        return self.hessian_operator(y, raw)(d_raw)

    def hessian_operator(self, y, raw):
        """The map ``d_raw -> H d_raw`` at ``raw``, with the curvature computed once.

        In the violations, per term: power 1 with smoothing, ``J dv`` with ``J`` the Jacobian of
        the weights (``1/gamma`` inside the quadratic zone; for Crammer-Singer the Jacobian of
        the capped-simplex projection, ``(dv_S - mean_S dv) / gamma`` on the support ``S`` of a
        capped term); power 2, ``2 (lambda (lambda . dv) + xi J dv)``.
        """
        if not self.has_hessian:
            raise ValueError(f"the {self.name} loss has no Hessian-vector product")
        v = self.violations(y, raw)
        g = self.gamma
        lam = self.term_weights(v)
        if not self.grouped:
            if self._psi:
                inside = _psi_curvature(v, g)
            elif g > 0:
                inside = ((v > 0) & (v < g)).astype(v.dtype) / g
            else:
                inside = np.zeros_like(v)
            if self.power == 1:
                curvature = inside
            else:
                curvature = 2.0 * (lam * lam + self.term_values(v, lam) * inside)

            def apply(d_raw):
                return self.apply_AT(y, curvature * self.apply_A(y, d_raw))

            def diagonal():
                # diag(A^T C A): +-1 rows for binary / ovr; e_j - e_y rows otherwise
                if self.structure in ("binary", "ovr"):
                    return curvature
                return _ww_diagonal(y, curvature)
            apply.diagonal = diagonal
            return apply

        # Crammer-Singer
        if g > 0:
            support = lam > 0
            # on the capped face the weights sum to 1 up to rounding in the data's dtype
            capped = lam.sum(axis=1) >= 1.0 - 8 * v.shape[1] * np.finfo(v.dtype).eps
            k = np.maximum(support.sum(axis=1), 1).astype(v.dtype)
            centre = np.where(capped, 1.0, 0.0).astype(v.dtype) / k
        xi = self.term_values(v, lam)[:, None] if self.power == 2 else None

        def apply(d_raw):
            dv = self.apply_A(y, d_raw)
            if g > 0:
                mean_s = np.where(support, dv, 0.0).sum(axis=1) * centre
                jdv = np.where(support, dv - mean_s[:, None], 0.0) / g
            else:
                jdv = np.zeros_like(dv)
            if self.power == 1:
                hv = jdv
            else:
                lam_dv = np.einsum("ij,ij->i", lam, dv)
                hv = 2.0 * (lam * lam_dv[:, None] + xi * jdv)
            return self.apply_AT(y, hv)

        def diagonal():
            # diag(A^T M A) with M the curvature in v: M_kk for k != y, 1^T M 1 for k == y
            if g > 0:
                j_diag = np.where(support, 1.0 - centre[:, None], 0.0) / g
                j_sum = np.where(capped, 0.0, support.sum(axis=1)) / g
            else:
                j_diag = np.zeros_like(v)
                j_sum = np.zeros(v.shape[0], dtype=v.dtype)
            if self.power == 1:
                m_diag, m_sum = j_diag, j_sum
            else:
                m_diag = 2.0 * (lam * lam + xi * j_diag)
                m_sum = 2.0 * (lam.sum(axis=1) ** 2 + xi[:, 0] * j_sum)
            out = m_diag.copy()
            rows = np.arange(v.shape[0])
            out[rows, y] = m_sum
            return out
        apply.diagonal = diagonal
        return apply


def _psi_parts(v, sigma):
    """``r = sqrt(v^2 + sigma^2)`` and ``t = sigma^2 / (2 r (r + |v|))`` without overflow or
    cancellation; ``t`` is ``psi'(-|v|)``, so ``psi'(v) = t`` for ``v <= 0`` and ``1 - t`` above."""
    a = np.abs(v)
    r = np.hypot(v, np.asarray(sigma, dtype=v.dtype))
    with np.errstate(invalid="ignore"):  # v = -inf (masked): r = inf, t = 0 below
        t = 0.5 * (sigma / r) * (sigma / (r + a))
    return a, r, t


def _psi_value(v, sigma):
    """``psi(v) = (v + r) / 2 = max(v, 0) + sigma^2 / (2 (r + |v|))`` (0 at ``v = -inf``)."""
    a, r, _ = _psi_parts(v, sigma)
    return np.maximum(v, 0.0) + 0.5 * sigma * (sigma / (r + a))


def _psi_slope(v, sigma):
    """``psi'(v) = (1 + v / r) / 2`` in (0, 1)."""
    _, _, t = _psi_parts(v, sigma)
    return np.where(v > 0, 1.0 - t, t).astype(v.dtype, copy=False)


def _psi_curvature(v, sigma):
    """``psi''(v) = sigma^2 / (2 r^3) <= 1 / (2 sigma)``."""
    _, r, _ = _psi_parts(v, sigma)
    return 0.5 * (sigma / r) ** 2 / r


_PSI_PROX_ITERATIONS = 60


def _psi_prox_slope(v, a, sigma):
    """The root ``mu`` in [0, 1] of ``mu = psi'(v - a mu)`` (``a >= 0``), by bisection."""
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), v.shape)
    v64 = v.astype(np.float64)
    lo, hi = np.zeros(v.shape), np.ones(v.shape)
    for _ in range(_PSI_PROX_ITERATIONS):
        mid = 0.5 * (lo + hi)
        with np.errstate(invalid="ignore"):
            above = _psi_slope(v64 - a * mid, sigma) > mid  # the root is above mid
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.where(np.isneginf(v), 0.0, 0.5 * (lo + hi)).astype(v.dtype)  # masked: exactly 0


def _ww_diagonal(y, curvature):
    """``diag(A^T C A)`` for rows ``e_j - e_y``: ``C_k`` off the label, ``sum_j C_j`` on it."""
    out = curvature.copy()
    rows = np.arange(y.shape[0])
    out[rows, y] = 0.0
    out[rows, y] = out.sum(axis=1)
    return out


def _project_capped_simplex(u):
    """Row-wise Euclidean projection onto ``{lambda >= 0, sum(lambda) <= 1}``.

    ``lambda = max(u - tau, 0)`` with ``tau = 0`` when that already sums to at most 1, else the
    ``tau > 0`` that makes it sum to exactly 1 (found by sorting each row).
    """
    lam = np.maximum(u, 0.0)
    over = lam.sum(axis=1) > 1.0
    if np.any(over):
        uo = u[over]
        s = -np.sort(-uo, axis=1)
        css = np.cumsum(s, axis=1) - 1.0
        k = np.arange(1, uo.shape[1] + 1)
        cond = s - css / k > 0
        rho = uo.shape[1] - 1 - np.argmax(cond[:, ::-1], axis=1)
        tau = css[np.arange(uo.shape[0]), rho] / (rho + 1)
        lam[over] = np.maximum(uo - tau[:, None], 0.0)
    return lam


BINARY_LOSSES = {
    "hinge": dict(power=1),
    "squared_hinge": dict(power=2),
}


#: The smoothed hinges by name: the smoother of each (their smoothing parameter is ``gamma``).
SMOOTH_LOSSES = {
    "smooth_hinge": "huber",
    "psi_hinge": "psi",
}


def _smooth_loss(structure, name, gamma):
    if not (gamma > 0 and np.isfinite(gamma)):
        raise ValueError(f"{name} needs a finite smoothing parameter > 0, got {gamma!r}")
    return HingeFamilyLoss(structure, 1, gamma, SMOOTH_LOSSES[name])


def binary_loss(name, gamma=0.0):
    """The binary loss called ``name``: "hinge", "squared_hinge", or a smoothed hinge
    ("smooth_hinge": Huber, "psi_hinge": psi) with smoothing ``gamma > 0``."""
    if name in SMOOTH_LOSSES:
        return _smooth_loss("binary", name, gamma)
    return HingeFamilyLoss("binary", BINARY_LOSSES[name]["power"])


def multiclass_loss(structure, name, gamma=0.0):
    """The multiclass loss of ``structure`` with the binary loss ``name`` applied to its terms
    ("psi_hinge" is refused for Crammer-Singer, whose terms have several pieces)."""
    if structure not in MULTICLASS_STRUCTURES:
        raise ValueError(f"unknown multiclass structure {structure!r}")
    if name in SMOOTH_LOSSES:
        return _smooth_loss(structure, name, gamma)
    return HingeFamilyLoss(structure, BINARY_LOSSES[name]["power"])
