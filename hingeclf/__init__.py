"""Linear classifiers trained on hinge-type losses, scikit-learn compatible."""

__version__ = "0.1.0"

from .allpairs import AllPairsSquaredHingeSVM
from .model_selection import RegularizationPathCV
from .svm import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM

__all__ = ["HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM", "AllPairsSquaredHingeSVM",
           "RegularizationPathCV",
           "__version__"]
