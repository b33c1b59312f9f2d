"""
The binary losses and their derivatives
=======================================

The hinge, the squared hinge and the smoothed (Huberised) hinge as functions of the margin
:math:`z = y f(x)`, with their derivatives. The curves are evaluated by the loss kernels that
the estimators minimise (the private module ``hingeclf._losses``), not by a copy of the formulas.
"""

import matplotlib.pyplot as plt
import numpy as np

from hingeclf._losses import binary_loss

z = np.linspace(-1.5, 2.5, 801)
y = np.ones_like(z)  # label +1, so the decision value f equals the margin z
raw = z[:, None]

losses = {
    "hinge": binary_loss("hinge"),
    "squared hinge": binary_loss("squared_hinge"),
    r"smooth hinge, $\gamma = 1$": binary_loss("smooth_hinge", gamma=1.0),
    r"smooth hinge, $\gamma = 0.25$": binary_loss("smooth_hinge", gamma=0.25),
}

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for label, loss in losses.items():
    value, grad = loss.loss_gradient(y, raw)
    ax_loss.plot(z, value, label=label)
    ax_grad.plot(z, grad[:, 0], label=label)
ax_loss.set(xlabel="margin $z = y f$", ylabel="loss", ylim=(-0.1, 4), title="loss")
ax_grad.set(xlabel="margin $z = y f$", ylabel="d loss / d z", title="derivative")
for ax in (ax_loss, ax_grad):
    ax.axvline(1.0, color="0.7", lw=0.8, ls="--")
    ax.grid(alpha=0.3)
ax_loss.legend()
plt.show()

# %%
# The smooth hinge lies between ``hinge - gamma / 2`` and ``hinge``; its derivative is
# continuous, with slope ``1 / gamma`` in the band ``1 - gamma < z < 1``. At the kink ``z = 1``
# the hinge's subgradient is taken as 0, so the derivative is non-zero exactly where the
# loss is:
hinge = losses["hinge"]
print("hinge derivative at z = 0.999, 1, 1.001:",
      hinge.gradient(np.ones(3), np.array([[0.999], [1.0], [1.001]])).ravel())
