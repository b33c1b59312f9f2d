"""The ``hingeclf`` command line.

``hingeclf train [DATA]`` tunes ``C`` by cross-validation on a stratified
training split and reports the held-out accuracy. Without ``DATA`` it uses
scikit-learn's embedded digits data set, so it runs offline.

Each subcommand is one ``_add_<name>_parser`` function that registers its
arguments and sets ``func`` to the function that runs it. That function takes
the parsed arguments, prints its report and returns the exit code. A problem
with the user's input raises :class:`CLIError`, which :func:`main` turns into
one ``hingeclf: error: ...`` line on stderr and exit code 2, without a
traceback. Any other exception is a bug and propagates.
"""

import argparse
import csv
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

PROG = "hingeclf"

#: Exit code for a usage or input error (the same code argparse uses).
EXIT_USAGE = 2

#: Default grid of ``C`` values: 5 points from 1e-3 to 1e1, log-spaced.
DEFAULT_C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)

#: ``--estimator`` choices, mapped to the public class names.
ESTIMATORS = {
    "hinge": "HingeSVM",
    "squared_hinge": "SquaredHingeSVM",
    "multiclass": "MulticlassHingeSVM",
}


class CLIError(Exception):
    """A problem with the user's input, reported without a traceback."""


@dataclass
class Dataset:
    """Features, labels and a name to show in the report."""

    name: str
    X: object  # ndarray or scipy.sparse matrix
    y: np.ndarray

    @property
    def sparse(self):
        return not isinstance(self.X, np.ndarray)


# --------------------------------------------------------------------------
# argument types
# --------------------------------------------------------------------------


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number: {text!r}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1: {text!r}")
    return value


def _folds(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2: {text!r}")
    return value


# --------------------------------------------------------------------------
# data loading
# --------------------------------------------------------------------------


def _import_pandas():
    """Return the pandas module, or None when it is not installed."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _check_readable(path):
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path}")
    if os.path.isdir(path):
        raise CLIError(f"is a directory, not a data file: {path}")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc.strerror or exc}") from None


def _guess_format(path, fmt):
    if fmt != "auto":
        return fmt
    return "csv" if path.lower().endswith(".csv") else "svmlight"


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels_from_strings(values):
    """Numeric labels when every value is a number (int when all integral)."""
    try:
        numbers = np.asarray(values, dtype=float)
    except ValueError:
        return np.asarray(values, dtype=object)
    if np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)):
        return numbers.astype(np.int64)
    return numbers


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _csv_rows(path):
    """Yield the non-blank rows of ``path`` as lists of stripped strings."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f, skipinitialspace=True):
                if any(field.strip() for field in row):
                    yield [field.strip() for field in row]
    except UnicodeDecodeError:
        raise CLIError(f"not a text CSV file (cannot decode as UTF-8): {path}") from None
    except csv.Error as exc:
        raise CLIError(f"ill-formed CSV file {path}: {exc}") from None


def _csv_header(path):
    """The column names, and whether the file has a header row.

    A first row made only of numbers is data: the columns are then named
    ``"0", "1", ...``.
    """
    rows = _csv_rows(path)
    first = next(rows, None)
    second = next(rows, None)
    rows.close()
    if first is None:
        raise CLIError(f"empty CSV file: {path}")
    if all(_is_number(field) for field in first):
        return [str(i) for i in range(len(first))], False
    if second is None:
        raise CLIError(f"no data rows in {path}")
    return first, True


def _target_index(columns, target, path):
    if len(columns) < 2:
        raise CLIError(f"need a target column and at least one feature column in {path}")
    if target is None:
        return len(columns) - 1
    if target in columns:
        return columns.index(target)
    shown = ", ".join(columns[:10]) + (", ..." if len(columns) > 10 else "")
    raise CLIError(f"no column named {target!r} in {path} (columns: {shown})")


def _csv_with_pandas(pd, path, columns, has_header, target_index):
    """Features (float64, NaN where missing) and labels, parsed by pandas."""
    try:
        frame = pd.read_csv(
            path, header=0 if has_header else None, names=columns, skipinitialspace=True, encoding="utf-8"
        )
    except (ValueError, UnicodeError, pd.errors.ParserError) as exc:
        raise CLIError(f"ill-formed CSV file {path}: {_first_line(exc)}") from None
    y = frame.iloc[:, target_index]
    if y.isna().any():
        raise CLIError(f"missing value in target column {columns[target_index]!r} in {path}")
    features = frame.drop(columns=frame.columns[target_index])
    for name in features.columns:
        if not pd.api.types.is_numeric_dtype(features[name]) or pd.api.types.is_bool_dtype(features[name]):
            raise CLIError(f"non-numeric value in feature column {name!r} in {path}")
    return features.to_numpy(dtype=np.float64), y.astype(str).str.strip().to_list()


def _csv_with_csv_module(path, columns, has_header, target_index):
    """Features (float64, NaN where missing) and labels, parsed by the csv module."""
    rows = _csv_rows(path)
    if has_header:
        next(rows)
    width = len(columns)
    feature_index = [k for k in range(width) if k != target_index]
    features, labels = [], []
    for lineno, row in enumerate(rows, start=2 if has_header else 1):
        if len(row) != width:
            raise CLIError(f"ill-formed CSV file {path}: row {lineno} has {len(row)} fields, expected {width}")
        if row[target_index] == "":
            raise CLIError(f"missing value in target column {columns[target_index]!r} in {path}")
        labels.append(row[target_index])
        values = []
        for k in feature_index:
            try:
                values.append(float(row[k]) if row[k] != "" else np.nan)
            except ValueError:
                raise CLIError(f"non-numeric value in feature column {columns[k]!r} in {path}") from None
        features.append(values)
    return np.asarray(features, dtype=np.float64).reshape(len(labels), width - 1), labels


def _load_csv(path, target):
    columns, has_header = _csv_header(path)
    target_index = _target_index(columns, target, path)
    pd = _import_pandas()
    if pd is not None:
        X, labels = _csv_with_pandas(pd, path, columns, has_header, target_index)
    else:
        X, labels = _csv_with_csv_module(path, columns, has_header, target_index)
    if X.shape[0] == 0:
        raise CLIError(f"no data rows in {path}")
    finite = np.isfinite(X).all(axis=0)
    if not finite.all():
        names = [c for k, c in enumerate(columns) if k != target_index]
        name = names[int(np.flatnonzero(~finite)[0])]
        raise CLIError(f"missing or non-finite value in feature column {name!r} in {path}")
    return Dataset(path, X, _labels_from_strings(labels))


def _load_svmlight(path):
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(path)
    except (ValueError, TypeError, IndexError, OSError, UnicodeError) as exc:
        raise CLIError(f"cannot parse {path} as svmlight/libsvm: {_first_line(exc)}") from None
    if X.shape[0] == 0:
        raise CLIError(f"no data rows in {path}")
    if X.shape[1] == 0:
        raise CLIError(f"no features in {path}")
    return Dataset(path, X.tocsr(), _labels_from_strings(y))


def load_data(path=None, fmt="auto", target=None):
    """Load ``path`` (CSV or svmlight/libsvm), or the embedded digits set when None.

    Raises :class:`CLIError` for a missing, unreadable or ill-formed file.
    """
    if path is None:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return Dataset("digits (scikit-learn, embedded)", X, y)
    _check_readable(path)
    fmt = _guess_format(path, fmt)
    if fmt == "csv":
        return _load_csv(path, target)
    if target is not None:
        raise CLIError(f"--target applies to CSV files only, not to svmlight file {path}")
    return _load_svmlight(path)


def _show(label):
    """A label as the user wrote it: ``1``, ``'cat'`` (not ``np.int64(1)``)."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _check_classes(data, test_size, cv):
    classes, counts = np.unique(data.y, return_counts=True)
    if classes.size < 2:
        raise CLIError(
            f"need at least 2 classes, found {classes.size} in {data.name}"
            + (f" (every label is {_show(classes[0])})" if classes.size == 1 else "")
        )
    # After a stratified split, each class must still fill every CV fold.
    n_train_min = int(np.floor(counts.min() * (1.0 - test_size)))
    if counts.min() < 2 or n_train_min < cv:
        rare = classes[int(np.argmin(counts))]
        raise CLIError(
            f"class {_show(rare)} has only {counts.min()} sample(s) in {data.name}: too few for a "
            f"stratified {test_size:g} test split and {cv}-fold cross-validation "
            f"(lower --cv or --test-size, or check the target column)"
        )
    return classes


# --------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------


def _make_estimator(name, random_state):
    import hingeclf

    cls = getattr(hingeclf, ESTIMATORS[name])
    return cls(random_state=random_state)


def _make_scaler(sparse):
    from sklearn.preprocessing import MaxAbsScaler, StandardScaler

    # MaxAbsScaler keeps a sparse matrix sparse (no centring).
    return MaxAbsScaler() if sparse else StandardScaler()


def _format_c(value):
    return f"{value:g}"


def _add_train_parser(subparsers):
    p = subparsers.add_parser(
        "train",
        help="tune C by cross-validation and report held-out accuracy",
        description=(
            "Split the data into a stratified training and test set, tune C with "
            "GridSearchCV on the training set (pipeline: scaler + estimator), and report "
            "the chosen C, the cross-validated accuracy, the held-out accuracy and the fit time. "
            "Without DATA, uses scikit-learn's embedded digits data set."
        ),
        epilog=(
            "DATA: a CSV file (.csv, header row naming the columns; a first row of numbers is "
            "taken as data, and the columns are then named 0, 1, ...) or an svmlight/libsvm file "
            "(any other extension). Put DATA before -C, or end the C values with --."
        ),
    )
    p.add_argument("data", nargs="?", metavar="DATA", help="CSV or svmlight/libsvm file (default: digits)")
    p.add_argument(
        "--format",
        choices=("auto", "csv", "svmlight"),
        default="auto",
        help="file format (default: auto, from the extension: .csv or else svmlight)",
    )
    p.add_argument("--target", metavar="NAME", help="CSV label column (default: the last column)")
    p.add_argument(
        "--estimator",
        choices=tuple(ESTIMATORS),
        default="squared_hinge",
        help="hinge: HingeSVM, squared_hinge: SquaredHingeSVM (default), multiclass: MulticlassHingeSVM",
    )
    p.add_argument("--cv", type=_folds, default=5, metavar="K", help="cross-validation folds (default: 5)")
    p.add_argument(
        "-C",
        dest="C",
        type=_positive_float,
        nargs="+",
        default=list(DEFAULT_C_GRID),
        metavar="VALUE",
        help="C values to search (default: " + " ".join(_format_c(c) for c in DEFAULT_C_GRID) + ")",
    )
    p.add_argument(
        "--test-size", type=_fraction, default=0.25, metavar="FRACTION", help="held-out fraction (default: 0.25)"
    )
    p.add_argument(
        "--random-state", type=int, default=0, metavar="SEED", help="seed for the split and the estimator (default: 0)"
    )
    p.set_defaults(func=run_train)
    return p


def run_train(args):
    """Run ``hingeclf train``; return the exit code."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    data = load_data(args.data, args.format, args.target)
    classes = _check_classes(data, args.test_size, args.cv)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            data.X, data.y, test_size=args.test_size, stratify=data.y, random_state=args.random_state
        )
    except ValueError as exc:  # e.g. fewer test samples than classes
        raise CLIError(f"cannot split {data.name} with --test-size {args.test_size:g}: {exc}") from None
    scaler = _make_scaler(data.sparse)
    estimator = _make_estimator(args.estimator, args.random_state)
    pipeline = Pipeline([("scaler", scaler), ("svm", estimator)])
    c_grid = sorted(set(args.C))
    search = GridSearchCV(
        pipeline,
        {"svm__C": c_grid},
        cv=StratifiedKFold(n_splits=args.cv, shuffle=True, random_state=args.random_state),
        scoring="accuracy",
        error_score="raise",
    )

    # One BLAS thread per fit: the grid-search fits are many small products, and on small
    # problems threaded BLAS spends more on synchronisation than it gains (on a 2-core
    # machine, `train` on digits took ~90 s with 2 OpenBLAS threads and ~1 s with one).
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        search.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        test_accuracy = search.score(X_test, y_test)
    n_not_converged = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n_not_converged += 1
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    n_samples, n_features = data.X.shape
    best_c = search.best_params_["svm__C"]
    print(f"data set:       {data.name}")
    print(
        f"shape:          {n_samples} samples x {n_features} features"
        f"{' (sparse)' if data.sparse else ''}, {classes.size} classes"
    )
    print(f"estimator:      {type(scaler).__name__} + {type(estimator).__name__}")
    print(f"C grid:         {' '.join(_format_c(c) for c in c_grid)}")
    print(f"chosen C:       {_format_c(best_c)}")
    print(f"CV accuracy:    {search.best_score_:.4f} ({args.cv}-fold, {len(y_train)} training samples)")
    print(f"test accuracy:  {test_accuracy:.4f} ({len(y_test)} held-out samples)")
    print(f"fit time:       {fit_time:.2f} s (grid search of {len(c_grid) * args.cv} fits + refit)")
    if n_not_converged:
        print(
            f"{PROG}: note: {n_not_converged} of the {len(c_grid) * args.cv + 1} fits did not converge "
            "within max_iter (ConvergenceWarning)",
            file=sys.stderr,
        )
    return 0


# --------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------


def build_parser():
    """The top-level parser; each subcommand registers itself in ``subparsers``."""
    from hingeclf import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Linear classifiers trained on hinge-type losses.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_train_parser(subparsers)
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
