"""
Quick start: a pipeline tuned by cross-validation
=================================================

Scale the features, fit a :class:`~hingeclf.SquaredHingeSVM` and pick ``C`` with
:class:`~sklearn.model_selection.GridSearchCV`, as with any scikit-learn classifier.
"""

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hingeclf import SquaredHingeSVM

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

model = make_pipeline(StandardScaler(), SquaredHingeSVM())
search = GridSearchCV(model, {"squaredhingesvm__C": [0.001, 0.01, 0.1, 1.0, 10.0]}, cv=5)
search.fit(X_train, y_train)

print("best C:", search.best_params_["squaredhingesvm__C"])
print("cross-validated accuracy:", round(search.best_score_, 3))
print("test accuracy:", round(search.score(X_test, y_test), 3))

# %%
# The fitted estimator reports how its solver ended: which solver ``"auto"`` chose, the
# objective value it reached, whether the stopping rule was met, and (where the exact optimum
# was certified) the duality gap.
best = search.best_estimator_[-1]
print("solver:", best.solver_)
print("objective:", best.objective_)
print("converged:", best.converged_, "after", best.n_iter_, "iterations")
print("duality gap:", best.duality_gap_)
