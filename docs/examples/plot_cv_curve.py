"""
Choosing C by cross-validation
==============================

Cross-validated accuracy of :class:`~hingeclf.HingeSVM` and :class:`~hingeclf.SquaredHingeSVM`
on the breast cancer data (features scaled) over a grid of ``C``, with
:func:`sklearn.model_selection.validation_curve`. Small ``C`` underfits; large ``C``
fits the training folds better than the held-out ones.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hingeclf import HingeSVM, SquaredHingeSVM

X, y = load_breast_cancer(return_X_y=True)
C_grid = np.logspace(-4, 1, 6)
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for Estimator in [HingeSVM, SquaredHingeSVM]:
    name = Estimator.__name__.lower()
    train, test = validation_curve(
        make_pipeline(StandardScaler(), Estimator()), X, y, param_name=f"{name}__C",
        param_range=C_grid, cv=cv)
    line, = ax.semilogx(C_grid, test.mean(axis=1), "o-", label=f"{Estimator.__name__} (held out)")
    ax.fill_between(C_grid, test.mean(axis=1) - test.std(axis=1),
                    test.mean(axis=1) + test.std(axis=1), color=line.get_color(), alpha=0.2)
    ax.semilogx(C_grid, train.mean(axis=1), "--", color=line.get_color(),
                label=f"{Estimator.__name__} (training folds)")
    best = C_grid[np.argmax(test.mean(axis=1))]
    print(f"{Estimator.__name__}: best C = {best:g}, held-out accuracy "
          f"{test.mean(axis=1).max():.3f}")
ax.set(xlabel="C", ylabel="accuracy", title="breast cancer, 5-fold cross-validation")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
