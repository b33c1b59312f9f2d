"""Linear classifiers trained on hinge-type losses, scikit-learn compatible."""

__version__ = "0.1.0"

from .svm import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM

__all__ = ["HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM", "__version__"]
