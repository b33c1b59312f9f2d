"""Export of the hingeclf estimators to ONNX with skl2onnx.

Importing this module registers a converter for each estimator with skl2onnx, so that
``skl2onnx.to_onnx`` accepts a fitted :class:`~hingeclf.HingeSVM`,
:class:`~hingeclf.SquaredHingeSVM`, :class:`~hingeclf.MulticlassHingeSVM` or
:class:`~hingeclf.AllPairsSquaredHingeSVM`, a :class:`~sklearn.pipeline.Pipeline` that ends
in one, and a fitted :class:`~hingeclf.RegularizationPathCV` (written as its
``best_estimator_``). ``import hingeclf`` does not import this module (nor skl2onnx); it needs the ``onnx``
extra: ``pip install "hingeclf[onnx]"``.

At prediction time every estimator is a linear function ``X coef_^T + intercept_`` followed by a
sign (two classes) or an argmax (more), as :class:`sklearn.svm.LinearSVC` is; each is converted
with skl2onnx's converter for ``LinearSVC``. The exported model has two outputs: ``label`` (what
``predict`` returns) and the decision values of ``decision_function``, without any
transformation (skl2onnx names that output ``probabilities`` for every classifier, but these are
not probabilities). For two classes the second output has one column, the score of
``classes_[1]``; otherwise one column per class. The input must be float32: skl2onnx's
LinearSVC converter refuses float64.
"""

import importlib.util

import numpy as np

from .allpairs import AllPairsSquaredHingeSVM
from .model_selection import RegularizationPathCV
from .svm import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM

__all__ = ["register"]

#: the estimators given a converter, with the alias skl2onnx knows each by
ESTIMATORS = {
    HingeSVM: "HingeclfHingeSVM",
    SquaredHingeSVM: "HingeclfSquaredHingeSVM",
    MulticlassHingeSVM: "HingeclfMulticlassHingeSVM",
    AllPairsSquaredHingeSVM: "HingeclfAllPairsSquaredHingeSVM",
}

_MISSING = ("hingeclf.onnx needs skl2onnx and onnxruntime: install them with "
            "pip install \"hingeclf[onnx]\"")


def _as_linear_svc(estimator):
    """A fitted :class:`sklearn.svm.LinearSVC` with the same decision function."""
    from sklearn.svm import LinearSVC

    proxy = LinearSVC()
    proxy.coef_ = np.asarray(estimator.coef_)
    proxy.intercept_ = np.atleast_1d(np.asarray(estimator.intercept_))
    proxy.classes_ = estimator.classes_
    proxy.n_features_in_ = estimator.coef_.shape[1]
    return proxy


def _parser(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser of a model without sub-models: two outputs, labels and scores.

    As for LinearSVC, the scores are not turned into a list of dictionaries (no ZipMap).
    """
    from skl2onnx._parse import _parse_sklearn_simple_model

    return _parse_sklearn_simple_model(scope, model, inputs, custom_parsers=custom_parsers)


def _shape_calculator(operator):
    """skl2onnx's shape calculator for linear classifiers, with LinearSVC's binary shape."""
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    calculate_linear_classifier_output_shapes(operator)
    if len(operator.raw_operator.classes_) == 2:
        # one column, the score of classes_[1], as the converter writes for LinearSVC
        operator.outputs[1].type.shape = [operator.inputs[0].get_first_dimension(), 1]


def _converter(scope, operator, container):
    """skl2onnx's converter for LinearSVC, given an equivalent LinearSVC.

    The converter reads the model from ``operator.raw_operator``: a LinearSVC is written as
    raw decision values (``post_transform="NONE"``), where another class would get a softmax
    or a logistic function applied to its scores.
    """
    from skl2onnx.operator_converters.linear_classifier import (
        convert_sklearn_linear_classifier)

    estimator = operator.raw_operator
    operator.raw_operator = _as_linear_svc(estimator)
    try:
        convert_sklearn_linear_classifier(scope, operator, container)
    finally:
        operator.raw_operator = estimator


def _search_parser(scope, model, inputs, custom_parsers=None):
    """A fitted RegularizationPathCV predicts with its ``best_estimator_``: parse that."""
    from skl2onnx._parse import _parse_sklearn

    return _parse_sklearn(scope, model.best_estimator_, inputs, custom_parsers=custom_parsers)


def register():
    """Register the hingeclf estimators' converters with skl2onnx.

    Registers a converter for HingeSVM, SquaredHingeSVM, MulticlassHingeSVM and
    AllPairsSquaredHingeSVM, and a parser for RegularizationPathCV that converts its
    ``best_estimator_``. Importing :mod:`hingeclf.onnx` calls this function (when skl2onnx is installed), so it
    is needed only after something else replaced the registrations. Registering again is
    harmless.

    Raises
    ------
    ImportError
        When skl2onnx is not installed.

    See Also
    --------
    skl2onnx.to_onnx : Converts a fitted estimator or pipeline once this has run.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from hingeclf import MulticlassHingeSVM
    >>> from hingeclf.onnx import register
    >>> register()
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> model = MulticlassHingeSVM().fit(X, y)
    >>> onx = to_onnx(model, X[:1])
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    """
    try:
        from skl2onnx import update_registered_converter, update_registered_parser
    except ImportError as error:
        raise ImportError(_MISSING) from error
    for cls, alias in ESTIMATORS.items():
        # skl2onnx's helpers ask every classifier for the option ``nocl`` (labels replaced by
        # their indices), which the LinearSVC written by the converter would not receive, and
        # a Pipeline passes ``zipmap`` to its classifier: accepted, and ignored by the parser
        update_registered_converter(cls, alias, _shape_calculator, _converter,
                                    parser=_parser,
                                    options={"nocl": [False], "zipmap": [True, False]})
    update_registered_parser(RegularizationPathCV, _search_parser)


if importlib.util.find_spec("skl2onnx") is not None:
    register()
