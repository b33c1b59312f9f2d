"""The ``hingeclf`` command line.

``hingeclf train [DATA]`` tunes ``C`` by cross-validation (a warm-started
regularisation path) on a stratified training split, reports the held-out
accuracy and can save the model (``--out``, skops format). Without ``DATA`` it
uses scikit-learn's embedded digits data set, so it runs offline.
``hingeclf predict MODEL DATA`` predicts with a saved model, ``hingeclf info
MODEL`` describes one.

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

#: Tuning by default: this many ``C`` values of RegularizationPathCV's automatic grid, and folds.
DEFAULT_N_CS = 10
DEFAULT_CV = 5

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
    y: object  # ndarray, or None (prediction data without labels)
    format: str = "array"
    columns: object = None  # CSV feature column names
    target: object = None  # CSV target column name

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
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1: {text!r}")
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
    if target_index is None:
        y, features = None, frame
    else:
        y = frame.iloc[:, target_index]
        if y.isna().any():
            raise CLIError(f"missing value in target column {columns[target_index]!r} in {path}")
        features = frame.drop(columns=frame.columns[target_index])
    for name in features.columns:
        if not pd.api.types.is_numeric_dtype(features[name]) or pd.api.types.is_bool_dtype(features[name]):
            raise CLIError(f"non-numeric value in feature column {name!r} in {path}")
    labels = None if y is None else y.astype(str).str.strip().to_list()
    return features.to_numpy(dtype=np.float64), labels


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
        if target_index is not None:
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
    n_features = len(feature_index)
    X = np.asarray(features, dtype=np.float64).reshape(len(features), n_features)
    return X, (labels if target_index is not None else None)


def _load_csv(path, target, features_only=False):
    columns, has_header = _csv_header(path)
    target_index = None if features_only else _target_index(columns, target, path)
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
    features = [c for k, c in enumerate(columns) if k != target_index]
    y = None if labels is None else _labels_from_strings(labels)
    target_name = None if target_index is None else columns[target_index]
    return Dataset(path, X, y, "csv", features, target_name)


def _load_svmlight(path, n_features=None):
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(path, n_features=n_features)
    except (ValueError, TypeError, IndexError, OSError, UnicodeError) as exc:
        raise CLIError(f"cannot parse {path} as svmlight/libsvm: {_first_line(exc)}") from None
    if X.shape[0] == 0:
        raise CLIError(f"no data rows in {path}")
    if X.shape[1] == 0:
        raise CLIError(f"no features in {path}")
    return Dataset(path, X.tocsr(), _labels_from_strings(y), "svmlight")


def load_data(path=None, fmt="auto", target=None):
    """Load ``path`` (CSV or svmlight/libsvm), or the embedded digits set when None.

    Raises :class:`CLIError` for a missing, unreadable or ill-formed file.
    """
    if path is None:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return Dataset("digits (scikit-learn, embedded)", X, y, "digits")
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
    if cv is None:
        return classes
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
# model files
# --------------------------------------------------------------------------

#: What a model file holds: a dict with this ``format`` key, the fitted pipeline and a summary.
MODEL_FORMAT = "hingeclf-model"
MODEL_FORMAT_VERSION = 1

#: The types a hingeclf model file may hold beyond those skops trusts by default (builtins,
#: numpy, and scikit-learn's own estimators). Loading refuses a file holding any other type.
TRUSTED_TYPES = (
    "hingeclf.svm.HingeSVM",
    "hingeclf.svm.SquaredHingeSVM",
    "hingeclf.svm.MulticlassHingeSVM",
    "hingeclf._solvers.sgd.SGDState",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._data.MaxAbsScaler",
)


def _writable_target(path, what):
    """Fail early, before any work, when ``path`` cannot be written."""
    parent = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise CLIError(f"{what} {path} is a directory")
    if not os.path.isdir(parent):
        raise CLIError(f"cannot write {what} {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK):
        raise CLIError(f"cannot write {what} {path}: directory {parent} is not writable")


def _write_atomically(path, write, what):
    """Write through a temporary file in the same directory, renamed at the end: a failure
    leaves no partial file behind (and an existing file untouched)."""
    import tempfile

    parent = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=".hingeclf-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as exc:
        raise CLIError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_model(path, model, info):
    """Save a fitted pipeline and its summary with skops (no pickle)."""
    import skops.io

    from hingeclf import __version__

    payload = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "hingeclf_version": __version__,
        "model": model,
        "info": info,
    }
    _write_atomically(path, lambda f: f.write(skops.io.dumps(payload)), "model file")


def load_model(path):
    """Load a model file written by :func:`save_model`; return ``(model, payload)``.

    Raises :class:`CLIError` for a missing file, a file that is not a skops file, a skops file
    holding types outside :data:`TRUSTED_TYPES` (it is refused before anything in it runs) and
    a skops file that is not a hingeclf model.
    """
    import zipfile

    import skops.io

    _check_readable(path)
    with open(path, "rb") as f:
        data = f.read()
    if not zipfile.is_zipfile(path):
        raise CLIError(f"not a hingeclf model file (not a skops file): {path}")
    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises various errors on a zip it did not write
        raise CLIError(f"not a hingeclf model file (unreadable as skops: {_first_line(exc)}): {path}") from None
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise CLIError(f"refusing to load {path}: it holds types a hingeclf model does not ({shown})")
    try:
        payload = skops.io.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise CLIError(f"not a hingeclf model file (cannot load: {_first_line(exc)}): {path}") from None
    if not (isinstance(payload, dict) and payload.get("format") == MODEL_FORMAT and "model" in payload):
        raise CLIError(f"not a hingeclf model file (a skops file of something else): {path}")
    if payload.get("format_version") != MODEL_FORMAT_VERSION:
        raise CLIError(
            f"model file {path} has format version {payload.get('format_version')!r}; "
            f"this hingeclf reads version {MODEL_FORMAT_VERSION}"
        )
    model = payload["model"]
    if not hasattr(model, "predict"):
        raise CLIError(f"not a hingeclf model file (no fitted model in it): {path}")
    return model, payload


# --------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------


def _solver_choices():
    """The solvers of the L2-penalised estimators the command line trains (``cd`` is for the
    L1 and elastic-net penalties, which it does not offer)."""
    from hingeclf._solvers import SOLVERS

    return ("auto", *(name for name, spec in SOLVERS.items() if "l2" in spec.penalties))


def _make_estimator(args):
    import hingeclf

    cls = getattr(hingeclf, ESTIMATORS[args.estimator])
    params = dict(random_state=args.random_state, solver=args.solver)
    if args.estimator == "multiclass":
        params["loss"] = args.loss or "hinge"
        params["multi_class"] = args.multi_class or "crammer_singer"
    elif args.loss is not None or args.multi_class is not None:
        option = "--loss" if args.loss is not None else "--multi-class"
        raise CLIError(
            f"{option} applies to --estimator multiclass only (--estimator {args.estimator} fixes the loss)"
        )
    return cls(**params)


def _make_scaler(sparse):
    from sklearn.preprocessing import MaxAbsScaler, StandardScaler

    # MaxAbsScaler keeps a sparse matrix sparse (no centring).
    return MaxAbsScaler() if sparse else StandardScaler()


def _format_c(value):
    return f"{value:.4g}"


class ProgressBar:
    """A one-line text progress bar on stderr: ``tuning C [#####.....] 12/50 fits 1.3 s``."""

    def __init__(self, total, stream=None, width=30):
        self.total = total
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.start = time.perf_counter()

    def update(self, *_):
        self.done += 1
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        end = "\n" if self.done >= self.total else ""
        self.stream.write(f"\rtuning C [{bar}] {self.done}/{self.total} fits {elapsed:.1f} s{end}")
        self.stream.flush()


def _add_train_parser(subparsers):
    p = subparsers.add_parser(
        "train",
        help="train a model, tuning C by cross-validation; report held-out accuracy",
        description=(
            "Split the data into a stratified training and test set, train a pipeline (scaler + "
            "estimator) on the training set and report the held-out accuracy. C is tuned by "
            "K-fold cross-validation along a warm-started regularisation path "
            "(RegularizationPathCV) over an automatic grid or the -C values, or fixed with a "
            "single -C value. Without DATA, uses scikit-learn's embedded digits data set."
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
    p.add_argument(
        "--loss",
        choices=("hinge", "squared_hinge"),
        help="loss of --estimator multiclass (default: hinge)",
    )
    p.add_argument(
        "--multi-class",
        choices=("crammer_singer", "weston_watkins", "ovr"),
        help="formulation of --estimator multiclass (default: crammer_singer)",
    )
    p.add_argument("--solver", choices=_solver_choices(), default="auto", help="optimiser (default: auto)")
    p.add_argument(
        "-C",
        dest="C",
        type=_positive_float,
        nargs="+",
        metavar="VALUE",
        help="one value: train with that C, no cross-validation; several: the grid to tune over "
        f"(default: an automatic grid of {DEFAULT_N_CS} values)",
    )
    p.add_argument(
        "--cv",
        type=_folds,
        metavar="K",
        help=f"cross-validation folds for tuning C (default: {DEFAULT_CV}; not with a single -C value)",
    )
    p.add_argument(
        "--test-size",
        type=_fraction,
        default=0.25,
        metavar="FRACTION",
        help="held-out fraction, 0 for none: train on all the data (default: 0.25)",
    )
    p.add_argument(
        "--random-state", type=int, default=0, metavar="SEED", help="seed for the split and the estimator (default: 0)"
    )
    p.add_argument("--out", metavar="MODEL", help="save the trained pipeline to this file (skops format)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar of the tuning on stderr (default: when stderr is a terminal)",
    )
    p.set_defaults(func=run_train)
    return p


def _split(data, test_size, random_state):
    from sklearn.model_selection import train_test_split

    if test_size == 0:
        return data.X, None, data.y, None
    try:
        return train_test_split(data.X, data.y, test_size=test_size, stratify=data.y, random_state=random_state)
    except ValueError as exc:  # e.g. fewer test samples than classes
        raise CLIError(f"cannot split {data.name} with --test-size {test_size:g}: {exc}") from None


def run_train(args):
    """Run ``hingeclf train``; return the exit code."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    from hingeclf.model_selection import RegularizationPathCV

    fixed_c = args.C is not None and len(args.C) == 1
    if fixed_c and args.cv is not None:
        raise CLIError("-C with a single value trains at that C: there is nothing for --cv to tune "
                       "(give several -C values, or drop one of the two)")
    folds = None if fixed_c else (args.cv or DEFAULT_CV)
    estimator = _make_estimator(args)
    if args.out is not None:
        _writable_target(args.out, "model file")
    data = load_data(args.data, args.format, args.target)
    classes = _check_classes(data, args.test_size, folds)
    X_train, X_test, y_train, y_test = _split(data, args.test_size, args.random_state)
    scaler = _make_scaler(data.sparse)
    pipeline = Pipeline([("scaler", scaler), ("svm", estimator)])

    search = None
    if folds is not None:
        grid = DEFAULT_N_CS if args.C is None else sorted(set(args.C))
        search = RegularizationPathCV(
            pipeline,
            Cs=grid,
            cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=args.random_state),
            scoring="accuracy",
        )
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress

    # One BLAS thread per fit: tuning makes many small products, where threaded BLAS loses
    # (docs/design_decisions.rst, 'Single-threaded BLAS for small products').
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        if search is None:
            pipeline.set_params(svm__C=args.C[0])
            model = pipeline.fit(X_train, y_train)
        else:
            n_cs = grid if isinstance(grid, int) else len(grid)
            bar = ProgressBar(n_cs * folds) if show_progress else None
            search._validate_params()
            search._fit(X_train, y_train, progress=None if bar is None else bar.update)
            model = search.best_estimator_
        fit_time = time.perf_counter() - start
        test_accuracy = None if X_test is None else model.score(X_test, y_test)
    n_not_converged = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n_not_converged += 1
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    n_samples, n_features = data.X.shape
    best_c = model.get_params()["svm__C"]
    cv_accuracy = None if search is None else float(search.best_score_)
    c_grid = [best_c] if search is None else [float(c) for c in search.Cs_]
    n_fits = 1 if search is None else len(c_grid) * folds + 1
    print(f"data set:       {data.name}")
    print(
        f"shape:          {n_samples} samples x {n_features} features"
        f"{' (sparse)' if data.sparse else ''}, {classes.size} classes"
    )
    print(f"estimator:      {type(scaler).__name__} + {type(estimator).__name__} (solver {args.solver})")
    print(f"C grid:         {' '.join(_format_c(c) for c in c_grid)}")
    print(f"chosen C:       {_format_c(best_c)}{' (fixed)' if search is None else ''}")
    if search is not None:
        print(f"CV accuracy:    {cv_accuracy:.4f} ({folds}-fold, {len(y_train)} training samples)")
    if test_accuracy is not None:
        print(f"test accuracy:  {test_accuracy:.4f} ({len(y_test)} held-out samples)")
    what = "1 fit" if search is None else f"path over {len(c_grid)} C x {folds} folds + refit"
    print(f"fit time:       {fit_time:.2f} s ({what})")
    if args.out is not None:
        info = {
            "data": data.name,
            "data_format": data.format,
            "n_samples": int(len(y_train)),
            "n_features": int(n_features),
            "feature_columns": None if data.columns is None else [str(c) for c in data.columns],
            "target_column": None if data.target is None else str(data.target),
            "classes": [str(c) for c in classes],
            "C": float(best_c),
            "C_grid": c_grid,
            "cv_folds": folds,
            "cv_accuracy": cv_accuracy,
            "test_accuracy": None if test_accuracy is None else float(test_accuracy),
        }
        save_model(args.out, model, info)
        print(f"model saved:    {args.out}")
    if n_not_converged:
        print(
            f"{PROG}: note: {n_not_converged} of the {n_fits} fits did not converge "
            "within max_iter (ConvergenceWarning)",
            file=sys.stderr,
        )
    return 0


# --------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------


def _add_predict_parser(subparsers):
    p = subparsers.add_parser(
        "predict",
        help="predict the labels of DATA with a saved model",
        description=(
            "Load MODEL (written by 'hingeclf train --out'), predict a label per row of DATA and "
            "write them one per line to FILE (default: stdout). When DATA holds labels (svmlight "
            "always; CSV when it has the model's target column, or --target) the accuracy is "
            "reported (on stdout with --out, else on stderr)."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'hingeclf train --out'")
    p.add_argument("data", metavar="DATA", help="CSV or svmlight/libsvm file")
    p.add_argument("--format", choices=("auto", "csv", "svmlight"), default="auto", help="file format (default: auto)")
    p.add_argument("--target", metavar="NAME", help="CSV label column (default: the model's, if DATA has it)")
    p.add_argument("--out", metavar="FILE", help="write the predictions to FILE (default: stdout)")
    p.set_defaults(func=run_predict)
    return p


def _prediction_data(path, fmt, target, info, n_features):
    _check_readable(path)
    fmt = _guess_format(path, fmt)
    if fmt == "svmlight":
        if target is not None:
            raise CLIError(f"--target applies to CSV files only, not to svmlight file {path}")
        import scipy.sparse as sp

        data = _load_svmlight(path)
        n_columns = data.X.shape[1]
        if n_columns > n_features:
            raise CLIError(f"{path} has features up to index {n_columns}, the model expects {n_features}")
        # a file need not mention the last features (all zero): widen the matrix to the model's
        X = data.X
        data.X = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], n_features))
        return data
    columns, _ = _csv_header(path)
    if target is not None:  # named by the user: it must be there
        data = _load_csv(path, target)
    elif info.get("target_column") in columns:  # the model's target column, found by name
        data = _load_csv(path, info["target_column"])
    elif len(columns) == n_features:
        data = _load_csv(path, None, features_only=True)
    else:
        known = info.get("target_column")
        raise CLIError(
            f"{path} has {len(columns)} columns: expected the model's {n_features} feature columns"
            + (f", plus optionally its target column {known!r}" if known is not None else "")
        )
    if data.X.shape[1] != n_features:
        raise CLIError(f"{path} has {data.X.shape[1]} feature columns, the model expects {n_features}")
    return data


def _label_text(label):
    return str(label.item() if isinstance(label, np.generic) else label)


def run_predict(args):
    """Run ``hingeclf predict``; return the exit code."""
    model, payload = load_model(args.model)
    if args.out is not None:
        _writable_target(args.out, "output file")
    info = payload.get("info", {})
    n_features = int(model.n_features_in_)
    data = _prediction_data(args.data, args.format, args.target, info, n_features)
    y_pred = model.predict(data.X)
    text = "".join(_label_text(label) + "\n" for label in y_pred)
    report = None
    if data.y is not None:
        classes = model.classes_
        y = data.y
        if y.dtype.kind in "OUS" or classes.dtype.kind in "OUS":
            y, pred = np.asarray([str(v) for v in y]), np.asarray([_label_text(v) for v in y_pred])
        else:
            pred = y_pred
        correct = int(np.sum(pred == y))
        report = f"accuracy: {correct / len(y):.4f} ({correct}/{len(y)}) on {data.name}"
    if args.out is None:
        sys.stdout.write(text)
        if report is not None:
            print(report, file=sys.stderr)
    else:
        _write_atomically(args.out, lambda f: f.write(text.encode("utf-8")), "output file")
        print(f"predictions:  {len(y_pred)} written to {args.out}")
        if report is not None:
            print(report)
    return 0


# --------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------


def _add_info_parser(subparsers):
    p = subparsers.add_parser(
        "info",
        help="describe a saved model",
        description="Print what a model file written by 'hingeclf train --out' holds.",
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'hingeclf train --out'")
    p.set_defaults(func=run_info)
    return p


def run_info(args):
    """Run ``hingeclf info``; return the exit code."""
    model, payload = load_model(args.model)
    info = payload.get("info", {})
    steps = getattr(model, "steps", [("model", model)])
    final = steps[-1][1]
    defaults = type(final)().get_params()
    changed = {k: v for k, v in final.get_params().items() if defaults.get(k) != v}
    print(f"model file:     {args.model}")
    print(f"written by:     hingeclf {payload.get('hingeclf_version', '?')}")
    print(f"pipeline:       {' + '.join(type(step).__name__ for _, step in steps)}")
    print(f"estimator:      {type(final).__name__}({', '.join(f'{k}={v!r}' for k, v in sorted(changed.items()))})")
    print(f"solver:         {getattr(final, 'solver_', '?')}")
    print(f"classes:        {' '.join(_label_text(c) for c in model.classes_)}")
    print(f"features:       {model.n_features_in_}")
    print(f"coef shape:     {final.coef_.shape[0]} x {final.coef_.shape[1]}")
    print(f"C:              {_format_c(final.C)}")
    if info.get("cv_folds"):
        print(f"CV accuracy:    {info['cv_accuracy']:.4f} ({info['cv_folds']}-fold, "
              f"grid {' '.join(_format_c(c) for c in info['C_grid'])})")
    if info.get("test_accuracy") is not None:
        print(f"test accuracy:  {info['test_accuracy']:.4f}")
    if info.get("data") is not None:
        print(f"trained on:     {info['data']} ({info.get('n_samples')} samples)")
    if info.get("target_column") is not None:
        print(f"target column:  {info['target_column']}")
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
    _add_predict_parser(subparsers)
    _add_info_parser(subparsers)
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
