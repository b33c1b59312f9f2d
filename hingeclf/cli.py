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
import itertools
import math
import os
import stat
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

PROG = "hingeclf"

#: Exit code for a usage or input error (the same code argparse uses).
EXIT_USAGE = 2

#: Exit code when the output's reader closed it early (128 + SIGPIPE, as the shell reports).
EXIT_BROKEN_PIPE = 141

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
    sep: object = None  # CSV separator

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


#: Field values read as missing in a CSV feature column (an empty field, and these).
MISSING_VALUES = ("NA", "N/A", "NaN", "nan", "?")

#: The separators a CSV file's first line is searched for, in order of preference on a tie.
CSV_SEPARATORS = (",", ";", "\t", "|")

#: About how many characters of a CSV file are read and converted at a time (whole lines).
CSV_BLOCK_SIZE = 1 << 20


def _separator(text):
    """``--sep``: one character, or ``tab``."""
    if text in ("tab", "\\t"):
        return "\t"
    if len(text) != 1 or text in "\"\r\n":
        raise argparse.ArgumentTypeError(f"must be one character other than a quote or newline, or 'tab': {text!r}")
    return text


def _separator_name(sep):
    return "tab" if sep == "\t" else repr(sep)


def _size_text(n_bytes):
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes} bytes"


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
    """``--format``, or from the extension: ``.csv``, ``.tsv`` (optionally ``.gz``) or else svmlight."""
    if fmt != "auto":
        return fmt
    name = path.lower().removesuffix(".gz")
    return "csv" if name.endswith((".csv", ".tsv")) else "svmlight"


def _all_numbers(fields):
    try:
        for _ in map(float, fields):
            pass
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


def _detect_separator(line):
    """The candidate separator found most often in ``line`` (``,`` when there is none)."""
    counts = [line.count(sep) for sep in CSV_SEPARATORS]
    return CSV_SEPARATORS[counts.index(max(counts))]


@dataclass
class CSVColumns:
    """What to read from a CSV file: the target's index (or None) and the feature columns'; the
    names of the columns left out, said on stderr once the file is read."""

    target: object  # int or None
    features: list
    ignored: tuple = ()


def _columns_for_training(columns, target, path, sep):
    """The target column (``--target``, default the last) and every other column as a feature."""
    if len(columns) < 2:
        raise CLIError(
            f"need a target column and at least one feature column in {path}: found 1 column "
            f"with separator {_separator_name(sep)} (give the separator with --sep)"
        )
    if target is None:
        index = len(columns) - 1
    elif target in columns:
        index = columns.index(target)
    else:
        raise CLIError(f"no column named {target!r} in {path} (columns: {_names_text(columns)})")
    return CSVColumns(index, [*range(index), *range(index + 1, len(columns))])


def _names_text(names, limit=10):
    """``'a', 'b', ...``: names quoted (a name may hold a space or a comma), at most ``limit``."""
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


class _CSVSource:
    """A CSV file opened for reading (``.gz``: decompressed), with its separator and header.

    Iterating yields ``(line number, row)`` for the data rows (lists of strings). The first row
    is data, and the columns are then named ``"0", "1", ...``, when it is made only of numbers,
    or when it holds numbers and none of its text fields stands above a number in the second
    row (a file without a header whose labels are text).
    """

    def __init__(self, path, sep=None):
        self.path = path
        self.file = self._open()
        try:
            self._read_header(sep)
        except BaseException:
            self.file.close()
            raise

    def _read_header(self, sep):
        path = self.path
        first = self.file.readline()
        self.sep = sep or _detect_separator(first)
        self.reader = csv.reader(itertools.chain([first], self.file), delimiter=self.sep, skipinitialspace=True)
        self.first = next((row for row in self._rows() if any(field.strip() for field in row)), None)
        if self.first is None:
            raise CLIError(f"empty CSV file: {path}")
        self.first_line = self.reader.line_num
        self.pending = []  # data rows read ahead while looking for the header: (line, row)
        self.has_header = not _all_numbers(self.first)
        if self.has_header and any(_all_numbers([field]) for field in self.first):
            # a first row with numbers and text is a header only if some text field of it
            # (not a missing value) heads a column of numbers: else it is the first row of a
            # file without a header whose labels are text
            second = next((row for row in self._rows() if any(field.strip() for field in row)), None)
            if second is not None:
                self.pending.append((self.reader.line_num, second))
            if second is not None and len(second) == len(self.first):
                self.has_header = any(
                    _all_numbers([below]) and not _all_numbers([field])
                    and field.strip() not in ("", *MISSING_VALUES)
                    for field, below in zip(self.first, second))
        if not self.has_header:
            self.pending.insert(0, (self.first_line, self.first))
        if self.has_header:
            self.columns = [field.strip() for field in self.first]
            duplicates = sorted(name for name, count in Counter(self.columns).items() if count > 1)
            if duplicates:
                raise CLIError(f"duplicate column name(s) {_names_text(duplicates)} in {path}")
        else:
            self.columns = list(map(str, range(len(self.first))))

    def _open(self):
        if self.path.lower().endswith(".gz"):
            import gzip

            return gzip.open(self.path, "rt", newline="", encoding="utf-8-sig")
        return open(self.path, newline="", encoding="utf-8-sig")

    def _rows(self, reader=None, offset=0):
        """The rows of a csv reader (by default the header's), its errors turned into
        :class:`CLIError`; ``offset``: the lines of the file before the reader's first."""
        reader = self.reader if reader is None else reader
        try:
            yield from reader
        except UnicodeDecodeError:
            raise CLIError(f"not a text CSV file (cannot decode as UTF-8): {self.path}") from None
        except csv.Error as exc:
            raise CLIError(f"ill-formed CSV file {self.path}: line {offset + reader.line_num}: {exc}") from None
        except (OSError, EOFError) as exc:  # e.g. a corrupt or truncated .gz file
            raise CLIError(f"cannot read {self.path}: {_first_line(exc)}") from None

    def _numbered_rows(self, lines, offset):
        """``(line number, row)`` for the records of ``lines``, the file's lines after ``offset``."""
        reader = csv.reader(lines, delimiter=self.sep, skipinitialspace=True)
        for row in self._rows(reader, offset):
            yield offset + reader.line_num, row

    def _read_lines(self, size):
        try:
            return self.file.readlines(size)
        except UnicodeDecodeError:
            raise CLIError(f"not a text CSV file (cannot decode as UTF-8): {self.path}") from None
        except (OSError, EOFError) as exc:
            raise CLIError(f"cannot read {self.path}: {_first_line(exc)}") from None

    def blocks(self, size=None):
        """The data rows in blocks of whole lines of about ``size`` characters (default
        :data:`CSV_BLOCK_SIZE`).

        Yields ``(lines, quoted, rows)``: ``lines``, the block's text lines for a bulk
        conversion; ``quoted``, whether they hold a quote; ``rows``, the same records as ``(line
        number, row)`` pairs from the csv reader, read only when iterated. The rows of a block
        holding a quote run on to the end of the file (a quoted field may span lines, and
        blocks): once they are read, there is no further block. The rows already split while
        reading the header come as a block of their own with ``lines`` None.
        """
        size = CSV_BLOCK_SIZE if size is None else size
        if self.pending:
            yield None, False, self.pending
        offset = self.reader.line_num
        while lines := self._read_lines(size):
            quoted = any('"' in line for line in lines)
            yield lines, quoted, self._numbered_rows(itertools.chain(lines, self.file) if quoted else lines, offset)
            offset += len(lines)

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_csv(path, sep):
    """A :class:`_CSVSource`, its opening errors (decoding, gzip) as :class:`CLIError`."""
    try:
        return _CSVSource(path, sep)
    except UnicodeDecodeError:
        raise CLIError(f"not a text CSV file (cannot decode as UTF-8): {path}") from None
    except (OSError, EOFError) as exc:
        raise CLIError(f"cannot read {path}: {_first_line(exc)}") from None


def _parse_fields(fields, names, line, path):
    """The values of one row's feature fields, NaN where missing; the slow path of
    :func:`_convert_rows`, for a row that ``float`` alone does not parse."""
    values = []
    for field, name in zip(fields, names):
        field = field.strip()
        if field == "" or field in MISSING_VALUES:
            values.append(math.nan)
            continue
        try:
            values.append(float(field))
        except ValueError:
            raise CLIError(
                f"non-numeric value {field[:40]!r} in feature column {name!r} at line {line} of {path}"
            ) from None
    return values


class _BulkConverter:
    """Converts a block of CSV lines at once with :func:`numpy.loadtxt`: each feature column
    parsed as float64 (rounded as ``float`` rounds), every other column kept as a string.

    A block it may not convert as the row-by-row reader would gives None, and is then read
    again row by row, which names the problem and its line: a missing, non-numeric or infinite
    value, a missing label, a row of the wrong width; in a block holding a quote, also a line
    holding an odd number of quotes (a quoted field may go on to the next line) and a string
    field left holding a quote (a quote after a space, or doubled).
    """

    def __init__(self, width, columns, sep):
        self.sep, self.target = sep, columns.target
        features = np.asarray(columns.features, dtype=np.intp)
        numeric = np.zeros(width, dtype=bool)
        numeric[features] = True
        # runs of consecutive columns of one kind, each a field of a structured dtype
        starts = np.flatnonzero(np.diff(numeric, prepend=~numeric[0])).tolist()
        ends = starts[1:] + [width]
        self.dtype = np.dtype([(f"c{a}", "f8" if numeric[a] else "O", (b - a,)) for a, b in zip(starts, ends)])
        self.numeric_fields = [f"c{a}" for a in starts if numeric[a]]
        self.string_fields = [f"c{a}" for a in starts if not numeric[a]]
        if self.target is not None:
            a = max(a for a in starts if a <= self.target)
            self.target_field, self.target_offset = f"c{a}", self.target - a
        # the feature columns in the order asked for, from their order in the file
        in_order = bool(np.all(features[1:] > features[:-1]))
        self.order = None if in_order else np.argsort(np.argsort(features))

    def __call__(self, lines, quoted=False):
        """``(X, labels)`` for ``lines`` (labels None without a target column), or None;
        ``quoted``: whether the lines hold a quote."""
        if quoted and any(line.count('"') % 2 for line in lines):
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = np.loadtxt(lines, dtype=self.dtype, delimiter=self.sep, comments=None, ndmin=1,
                                   quotechar='"' if quoted else None)
        except ValueError:
            return None
        if quoted and any('"' in field for name in self.string_fields for field in table[name].flat):
            return None
        parts = [table[name] for name in self.numeric_fields]  # views, copied once by the caller
        X = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        if self.order is not None:
            X = X[:, self.order]
        if not np.isfinite(X).all():
            return None
        labels = None
        if self.target is not None:
            labels = list(map(str.strip, table[self.target_field][:, self.target_offset]))
            if not all(labels):
                return None
        return X, labels


def _read_csv_rows(source, columns, drop_missing, bulk=True):
    """Read the data rows of ``source``: features (float64), labels (strings or None), dropped rows.

    Block by block, each converted at once by :class:`_BulkConverter` or, when it cannot (a
    problem to name, a row to drop, a quoted field it may misread) or ``bulk`` is false, row by
    row by :func:`_convert_rows`; the time is linear in the file's size whatever its shape.
    """
    convert, blocks, labels, n_dropped = None, [], [], 0
    for lines, quoted, rows in source.blocks():
        done = None
        if bulk and lines is not None:
            convert = convert or _BulkConverter(len(source.columns), columns, source.sep)
            done = convert(lines, quoted)
        if done is None:
            values, block_labels, dropped = _convert_rows(source, rows, columns, drop_missing)
            done = np.frombuffer(values, dtype=np.float64).reshape(-1, len(columns.features)), block_labels
            n_dropped += dropped
        blocks.append(done[0])
        if columns.target is not None:
            labels.extend(done[1])
    if not blocks:
        return np.empty((0, len(columns.features))), ([] if columns.target is not None else None), n_dropped
    X = np.concatenate(blocks) if len(blocks) > 1 else np.ascontiguousarray(blocks[0])
    return X, (labels if columns.target is not None else None), n_dropped


def _convert_rows(source, rows, columns, drop_missing):
    """Convert ``rows``, ``(line number, row)`` pairs, one by one: feature values (an
    ``array('d')``), labels (strings or None), number of rows dropped.

    One ``float`` call per field. A row with a missing feature or label is an error naming its
    line, or is dropped when ``drop_missing`` is true (None: the command has no such option).
    An infinite value is an error.
    """
    from array import array
    from operator import itemgetter

    path, width = source.path, len(source.columns)
    names = [source.columns[k] for k in columns.features]
    pick = itemgetter(*columns.features) if len(columns.features) > 1 else (lambda row: (row[columns.features[0]],))
    target = columns.target
    values, labels = array("d"), []
    n_dropped = 0
    hint = "" if drop_missing is None else " (--drop-missing skips such rows)"
    for line, row in rows:
        if len(row) != width:
            if not any(field.strip() for field in row):
                continue  # a blank line
            raise CLIError(
                f"ill-formed CSV file {path}: line {line} has {len(row)} fields, expected {width} "
                f"(separator {_separator_name(source.sep)})"
            )
        fields = pick(row)
        start = len(values)
        try:
            values.extend(map(float, fields))
        except ValueError:
            del values[start:]
            values.extend(_parse_fields(fields, names, line, path))
        missing = None
        if target is not None and row[target].strip() == "":
            missing = f"target column {source.columns[target]!r}"
        if not math.isfinite(sum(values[start:])):  # a NaN (missing) or infinite value
            missing = _missing_feature(values[start:], names, line, path) or missing
        if missing is not None:
            del values[start:]
            if drop_missing:
                n_dropped += 1
                continue
            raise CLIError(f"missing value in {missing} at line {line} of {path}{hint}")
        if target is not None:
            labels.append(row[target].strip())
    return values, (labels if target is not None else None), n_dropped


def _missing_feature(values, names, line, path):
    """``feature column 'name'`` for the first NaN of one row's ``values`` (None if none);
    an infinite value is an error."""
    missing = None
    for value, name in zip(values, names):
        if math.isinf(value):
            raise CLIError(f"infinite value in feature column {name!r} at line {line} of {path}")
        if missing is None and math.isnan(value):
            missing = f"feature column {name!r}"
    return missing


def _load_csv(path, select, sep=None, drop_missing=None, bulk=True):
    """Read the CSV file ``path``; ``select(source)`` gives the :class:`CSVColumns` to read.
    ``bulk=False`` converts every row on its own (what ``benchmarks/csv_read.py`` compares)."""
    with _open_csv(path, sep) as source:
        columns = select(source)
        X, labels, n_dropped = _read_csv_rows(source, columns, drop_missing, bulk)
    if columns.ignored:
        print(f"{PROG}: note: ignored column(s) the model does not use: {_names_text(columns.ignored)}",
              file=sys.stderr)
    if n_dropped:
        print(f"{PROG}: note: dropped {n_dropped} row(s) with a missing value (--drop-missing)", file=sys.stderr)
    if X.shape[0] == 0:
        raise CLIError(f"no data rows in {path}" + (f" (all {n_dropped} had a missing value)" if n_dropped else ""))
    y = None if labels is None else _labels_from_strings(labels)
    target = None if columns.target is None else source.columns[columns.target]
    features = [source.columns[k] for k in columns.features]
    return Dataset(path, X, y, "csv", features, target, source.sep)


def _load_svmlight(path, n_features=None, guessed=False):
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(path, n_features=n_features)
    except (ValueError, TypeError, IndexError, OSError, EOFError, UnicodeError) as exc:
        hint = " (the format was guessed from the extension: give --format csv for a CSV file)" if guessed else ""
        raise CLIError(f"cannot parse {path} as svmlight/libsvm{hint}: {_first_line(exc)}") from None
    if X.shape[0] == 0:
        raise CLIError(f"no data rows in {path}")
    if X.shape[1] == 0:
        raise CLIError(f"no features in {path}")
    return Dataset(path, X.tocsr(), _labels_from_strings(y), "svmlight")


def _reading(path, progress):
    """Say on stderr, when ``progress``, that ``path`` is being read; return the start time."""
    if progress:
        print(f"{PROG}: reading {path} ({_size_text(os.path.getsize(path))}) ...", file=sys.stderr, flush=True)
    return time.perf_counter()


def _read_done(data, start, progress):
    if progress:
        n, d = data.X.shape
        sep = "" if data.sep is None else f", separator {_separator_name(data.sep)}"
        print(
            f"{PROG}: read {n} rows x {d} feature columns in {time.perf_counter() - start:.1f} s "
            f"({data.format}{sep})",
            file=sys.stderr,
            flush=True,
        )


def load_data(path=None, fmt="auto", target=None, sep=None, drop_missing=False, progress=False):
    """Load ``path`` (CSV or svmlight/libsvm), or the embedded digits set when None.

    Raises :class:`CLIError` for a missing, unreadable or ill-formed file.
    """
    if path is None:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return Dataset("digits (scikit-learn, embedded)", X, y, "digits")
    _check_readable(path)
    start = _reading(path, progress)
    if _guess_format(path, fmt) == "csv":
        data = _load_csv(path, lambda s: _columns_for_training(s.columns, target, path, s.sep), sep, drop_missing)
    else:
        if target is not None or sep is not None or drop_missing:
            option = "--target" if target is not None else "--sep" if sep is not None else "--drop-missing"
            raise CLIError(f"{option} applies to CSV files only, not to svmlight file {path}")
        data = _load_svmlight(path, guessed=fmt == "auto")
    _read_done(data, start, progress)
    return data


def _show(label):
    """A label as the user wrote it: ``1``, ``'cat'`` (not ``np.int64(1)``)."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _check_classes(data, test_size, cv):
    """``(classes, y_index)``: the sorted labels and each sample's index among them, the labels
    encoded once (:func:`hingeclf._base.encode_labels`); a ``CLIError`` for too few classes,
    continuous targets or classes too rare for the split and folds."""
    from hingeclf._base import encode_labels

    classes, y_index = encode_labels(data.y)
    counts = np.bincount(y_index, minlength=classes.size)
    if classes.size < 2:
        raise CLIError(
            f"need at least 2 classes, found {classes.size} in {data.name}"
            + (f" (every label is {_show(classes[0])})" if classes.size == 1 else "")
        )
    if data.y.dtype.kind == "f":  # numbers, not all integers (see _labels_from_strings)
        column = "" if data.target is None else f" (column {data.target!r})"
        examples = ", ".join(_show(c) for c in classes[:3])
        raise CLIError(
            f"the target{column} of {data.name} looks continuous: {classes.size} distinct numbers, "
            f"not all integers (e.g. {examples}); a classifier needs class labels"
        )
    # After a stratified split, each class must still fill every CV fold.
    n_train_min = int(np.floor(counts.min() * (1.0 - test_size)))
    if (test_size > 0 and counts.min() < 2) or (cv is not None and n_train_min < cv):
        rare = classes[int(np.argmin(counts))]
        needs = " and ".join(
            ([f"a stratified {test_size:g} test split"] if test_size > 0 else [])
            + ([f"{cv}-fold cross-validation"] if cv is not None else [])
        )
        raise CLIError(
            f"class {_show(rare)} has only {counts.min()} sample(s) in {data.name} ({classes.size} classes): "
            f"too few for {needs} (lower --cv or --test-size, or check the target column)"
        )
    return classes, y_index


# --------------------------------------------------------------------------
# model files
# --------------------------------------------------------------------------

#: ``info`` shows at most this many classes and feature names.
INFO_LIST_LIMIT = 20

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


def _new_file_mode(path):
    """The mode ``open(path, "w")`` gives: an existing file's, else 0666 less the umask
    (the temporary file of :func:`_write_atomically` is created 0600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomically(path, write, what):
    """Write through a temporary file in the same directory, renamed at the end: a failure
    leaves no partial file behind (and an existing file untouched)."""
    import tempfile

    parent = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=".hingeclf-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            os.fchmod(f.fileno(), _new_file_mode(path))
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
    # (type checks first: a numpy array compared with == gives an array, not a bool)
    if not (isinstance(payload, dict) and type(payload.get("format")) is str
            and payload["format"] == MODEL_FORMAT and "model" in payload):
        raise CLIError(f"not a hingeclf model file (a skops file of something else): {path}")
    if type(payload.get("format_version")) is not int or payload["format_version"] != MODEL_FORMAT_VERSION:
        raise CLIError(
            f"model file {path} has format version {payload.get('format_version')!r}; "
            f"this hingeclf reads version {MODEL_FORMAT_VERSION}"
        )
    _check_pipeline(payload["model"], path)
    _check_info(payload, path, payload["model"].n_features_in_)
    return payload["model"], payload


def _is_array(value, kind, shape):
    """Whether ``value`` is an ndarray of a dtype of ``kind`` (e.g. ``"f"``) and ``shape``."""
    return isinstance(value, np.ndarray) and value.dtype.kind in kind and value.shape == shape


def _check_pipeline(model, path):
    """Refuse a model that is not what ``train`` writes: a fitted pipeline of a StandardScaler or
    MaxAbsScaler and a hingeclf estimator, whose fitted arrays agree in type and shape (a
    skops file may hold any estimator scikit-learn trusts, unfitted or with altered state)."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler, StandardScaler

    import hingeclf

    def refuse(problem):
        raise CLIError(f"not a hingeclf model file ({problem}): {path}")

    steps = getattr(model, "steps", None) if type(model) is Pipeline else None
    if not (isinstance(steps, list) and len(steps) == 2 and all(isinstance(s, tuple) and len(s) == 2 for s in steps)):
        refuse(f"it holds a {type(model).__name__}, not a pipeline of a scaler and a hingeclf estimator")
    scaler, final = steps[0][1], steps[1][1]
    estimators = tuple(getattr(hingeclf, name) for name in ESTIMATORS.values())
    if type(scaler) not in (StandardScaler, MaxAbsScaler) or type(final) not in estimators:
        refuse(f"its pipeline is {type(scaler).__name__} + {type(final).__name__}, "
               "not a scaler and a hingeclf estimator")
    coef, classes = getattr(final, "coef_", None), getattr(final, "classes_", None)
    if not (isinstance(coef, np.ndarray) and coef.ndim == 2 and isinstance(classes, np.ndarray)):
        refuse(f"its {type(final).__name__} is not fitted")
    n_rows, n_features = coef.shape
    intercept, C = getattr(final, "intercept_", None), getattr(final, "C", None)
    if not (
        coef.dtype.kind == "f"
        and classes.ndim == 1
        and classes.size >= 2
        and n_rows in ((1, 2) if classes.size == 2 else (classes.size,))
        and all(type(getattr(step, "n_features_in_", None)) is int for step in (scaler, final))
        and scaler.n_features_in_ == final.n_features_in_ == n_features
        and (_is_array(intercept, "f", (n_rows,)) or isinstance(intercept, float))
        and all(
            getattr(scaler, name, None) is None or _is_array(getattr(scaler, name), "f", (n_features,))
            for name in ("mean_", "var_", "scale_", "max_abs_")
        )
        and isinstance(C, (int, float)) and C > 0
    ):
        refuse(f"its fitted {type(scaler).__name__} + {type(final).__name__} are inconsistent")
    # What the checks above do not cover (e.g. a parameter of the wrong type) shows here, before
    # any output: the parameters that info prints, and a prediction that predict makes.
    try:
        scaler.get_params(), final.get_params()
        model.predict(np.zeros((1, n_features)))
    except Exception as exc:
        refuse(f"it cannot predict: {type(exc).__name__}: {_first_line(exc)}")


#: The summary ``train`` saves: for each key, a test of its value and what it should be. A key
#: may be absent, and the marked ones None.
def _info_fields(n_features):
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    def strings(v, n=None):
        return isinstance(v, list) and all(isinstance(x, str) for x in v) and (n is None or len(v) == n)

    return {
        "data": (lambda v: isinstance(v, str), "a string", True),
        "data_format": (lambda v: isinstance(v, str), "a string", False),
        "n_samples": (lambda v: type(v) is int and v > 0, "a positive integer", False),
        "n_features": (lambda v: type(v) is int and v == n_features, f"the model's {n_features}", False),
        "feature_columns": (lambda v: strings(v, n_features), f"a list of {n_features} strings", True),
        "target_column": (lambda v: isinstance(v, str), "a string", True),
        "classes": (strings, "a list of strings", False),
        "C": (lambda v: number(v) and v > 0, "a positive number", False),
        "C_grid": (lambda v: isinstance(v, list) and v and all(number(c) and c > 0 for c in v),
                   "a list of positive numbers", False),
        "cv_folds": (lambda v: type(v) is int and v >= 2, "an integer of at least 2", True),
        "cv_accuracy": (lambda v: number(v) and 0 <= v <= 1, "a number from 0 to 1", True),
        "test_accuracy": (lambda v: number(v) and 0 <= v <= 1, "a number from 0 to 1", True),
    }


def _check_info(payload, path, n_features):
    """Refuse a model file whose summary (``info``) is not what ``train`` writes."""

    def refuse(problem):
        raise CLIError(f"malformed model file {path}: {problem}")

    version = payload.get("hingeclf_version", "?")
    if not isinstance(version, str):
        refuse(f"'hingeclf_version' is {_short_repr(version)}, expected a string")
    info = payload.get("info", {})
    if not isinstance(info, dict):
        refuse(f"its 'info' is a {type(info).__name__}, expected a dict")
    for key, (valid, expected, may_be_none) in _info_fields(n_features).items():
        if key in info and not ((may_be_none and info[key] is None) or valid(info[key])):
            refuse(f"'info' {key!r} is {_short_repr(info[key])}, expected {expected}"
                   + (" or None" if may_be_none else ""))
    if info.get("cv_folds") is not None and (info.get("cv_accuracy") is None or "C_grid" not in info):
        refuse("'info' has 'cv_folds' without 'cv_accuracy' and 'C_grid'")


def _short_repr(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        self.total = max(self.total, self.done)  # (an automatic grid may be extended upwards)
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        end = "\n" if self.done >= self.total else ""
        self.stream.write(f"\rtuning C [{bar}] {self.done}/{self.total} fits {elapsed:.1f} s{end}")
        self.stream.flush()

    def close(self):
        """End the bar's line if it is unfinished (an interruption or an error): what follows
        on stderr starts on a new line."""
        if 0 < self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()


def _add_sep_argument(parser):
    parser.add_argument(
        "--sep",
        type=_separator,
        metavar="CHAR",
        help="CSV field separator, 'tab' for a tab (default: the one of "
        + " ".join("tab" if c == "\t" else c for c in CSV_SEPARATORS)
        + " found most often in the first line)",
    )


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
            "DATA: a CSV file (.csv or .tsv, optionally gzipped as .csv.gz; a header row names the "
            "columns, and a first row of numbers is taken as data, the columns then being named "
            "0, 1, ...) or an svmlight/libsvm file (any other extension). Put DATA before -C, or "
            "end the C values with --."
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
    _add_sep_argument(p)
    p.add_argument(
        "--drop-missing",
        action="store_true",
        help="skip the CSV rows with a missing value (an empty field, or one of "
        + ", ".join(MISSING_VALUES)
        + " in a feature column) instead of stopping at the first; their number goes to stderr",
    )
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
        help="report the reading of DATA and a progress bar of the tuning on stderr "
        "(default: when stderr is a terminal)",
    )
    p.set_defaults(func=run_train)
    return p


def _split(X, y, name, test_size, random_state):
    from sklearn.model_selection import train_test_split

    if test_size == 0:
        return X, None, y, None
    try:
        return train_test_split(X, y, test_size=test_size, stratify=y, random_state=random_state)
    except ValueError as exc:  # e.g. fewer test samples than classes
        raise CLIError(f"cannot split {name} with --test-size {test_size:g}: {exc}") from None


def _restore_labels(model, classes):
    """Give a pipeline fitted on label indices (``0 .. K-1``, the positions in the sorted
    ``classes``) the labels themselves: its final step's ``classes_`` become ``classes`` at
    those indices, so that it predicts labels. The indices are in the labels' sorted order,
    so nothing else of the model depends on which of the two it was fitted on."""
    final = model.steps[-1][1]
    final.classes_ = classes[np.asarray(final.classes_, dtype=np.intp)]
    return model


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
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    data = load_data(args.data, args.format, args.target, args.sep, args.drop_missing, show_progress)
    # the labels are encoded once: splits, folds, fits and scores run on their indices, and the
    # final model gets the labels back as its classes_ (_restore_labels)
    classes, y_index = _check_classes(data, args.test_size, folds)
    X_train, X_test, y_train, y_test = _split(data.X, y_index, data.name, args.test_size,
                                              args.random_state)
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
            try:
                search._fit(X_train, y_train, progress=None if bar is None else bar.update)
            finally:
                if bar is not None:
                    bar.close()
            model = search.best_estimator_
        fit_time = time.perf_counter() - start
        test_accuracy = None if X_test is None else model.score(X_test, y_test)
    model = _restore_labels(model, classes)
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
    if data.format != "digits":
        separator = "" if data.sep is None else f" (separator {_separator_name(data.sep)})"
        print(f"format:         {data.format}{separator}")
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
            "write them one per line to FILE (default: stdout), as a one-column CSV file (a label "
            "holding a comma, a quote or a newline is quoted). The columns of a CSV file are found "
            "by the names the model was trained with, in any order; other columns are ignored. "
            "When DATA holds labels (svmlight always; CSV when it has the model's target column, "
            "or --target) the accuracy is reported (on stdout with --out, else on stderr)."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'hingeclf train --out'")
    p.add_argument("data", metavar="DATA", help="CSV or svmlight/libsvm file")
    p.add_argument("--format", choices=("auto", "csv", "svmlight"), default="auto", help="file format (default: auto)")
    p.add_argument("--target", metavar="NAME", help="CSV label column (default: the model's, if DATA has it)")
    _add_sep_argument(p)
    p.add_argument("--out", metavar="FILE", help="write the predictions to FILE (default: stdout)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="report the reading of DATA on stderr (default: when stderr is a terminal)",
    )
    p.set_defaults(func=run_predict)
    return p


def _columns_for_model(source, target, info, n_features):
    """The columns of a CSV file to predict: the model's feature columns found by name (any
    order; other columns are ignored, and named on stderr), and the target column when the
    file has it. A file without a header row, or a model trained on unnamed features
    (svmlight), has its columns taken by position."""
    columns, path = source.columns, source.path
    known = info.get("target_column")
    if target is not None:
        if target not in columns:
            raise CLIError(f"no column named {target!r} in {path} (columns: {_names_text(columns)})")
        index = columns.index(target)
    elif known in columns and (source.has_header or len(columns) == n_features + 1):
        index = columns.index(known)
    else:
        index = None
    names = info.get("feature_columns")
    if names is None or not source.has_header:
        features = [k for k in range(len(columns)) if k != index]
        if len(features) != n_features:
            raise CLIError(
                f"{path} has {len(features)} feature columns: expected the model's {n_features} feature columns"
                + (f", plus optionally its target column {known!r}" if known is not None else "")
            )
        return CSVColumns(index, features)
    position = {name: k for k, name in enumerate(columns)}
    missing = [name for name in names if name not in position]
    if missing:
        raise CLIError(f"{path} has no column {_names_text(missing)}: the model needs its {n_features} feature columns")
    features = [position[name] for name in names]
    if index in features:
        raise CLIError(f"--target {target!r} is one of the model's feature columns")
    used = set(features) | {index}
    return CSVColumns(index, features, [name for k, name in enumerate(columns) if k not in used])


def _prediction_data(args, info, n_features):
    path = args.data
    _check_readable(path)
    fmt = _guess_format(path, args.format)
    start = _reading(path, args.progress)
    if fmt == "csv":
        data = _load_csv(path, lambda s: _columns_for_model(s, args.target, info, n_features), args.sep)
    else:
        if args.target is not None or args.sep is not None:
            option = "--target" if args.target is not None else "--sep"
            raise CLIError(f"{option} applies to CSV files only, not to svmlight file {path}")
        import scipy.sparse as sp

        data = _load_svmlight(path, guessed=args.format == "auto")
        n_columns = data.X.shape[1]
        if n_columns > n_features:
            raise CLIError(f"{path} has features up to index {n_columns}, the model expects {n_features}")
        # a file need not mention the last features (all zero): widen the matrix to the model's
        X = data.X
        data.X = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], n_features))
    _read_done(data, start, args.progress)
    return data


def _label_text(label):
    return str(label.item() if isinstance(label, np.generic) else label)


def _predictions_text(labels):
    """One label per line, as a one-column CSV file: a label holding a newline, a quote or a
    comma is quoted, so that each row of the data is one record."""
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([_label_text(label)] for label in labels)
    return out.getvalue()


def run_predict(args):
    """Run ``hingeclf predict``; return the exit code."""
    model, payload = load_model(args.model)
    if args.out is not None:
        _writable_target(args.out, "output file")
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    info = payload.get("info", {})
    n_features = int(model.n_features_in_)
    data = _prediction_data(args, info, n_features)
    y_pred = model.predict(data.X)
    text = _predictions_text(y_pred)
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
    model, payload = load_model(args.model)  # checked: a fitted pipeline, a well-formed summary
    info = payload.get("info", {})
    final = model.steps[-1][1]
    defaults = type(final)().get_params()
    changed = {k: v for k, v in final.get_params().items() if defaults.get(k) != v}
    classes = list(model.classes_)
    lines = [
        f"model file:     {args.model}",
        f"written by:     hingeclf {payload.get('hingeclf_version', '?')}",
        f"pipeline:       {' + '.join(type(step).__name__ for _, step in model.steps)}",
        f"estimator:      {type(final).__name__}({', '.join(f'{k}={v!r}' for k, v in sorted(changed.items()))})",
        f"solver:         {getattr(final, 'solver_', '?')}",
        f"classes:        {', '.join(_show(c) for c in classes[:INFO_LIST_LIMIT])}"
        + (f", ... ({len(classes) - INFO_LIST_LIMIT} more)" if len(classes) > INFO_LIST_LIMIT else ""),
        f"features:       {model.n_features_in_}",
    ]
    if info.get("feature_columns") is not None:
        lines.append(f"feature names:  {_names_text(info['feature_columns'], INFO_LIST_LIMIT)}")
    lines += [
        f"coef shape:     {final.coef_.shape[0]} x {final.coef_.shape[1]}",
        f"C:              {_format_c(final.C)}",
    ]
    if info.get("cv_folds") is not None:
        lines.append(f"CV accuracy:    {info['cv_accuracy']:.4f} ({info['cv_folds']}-fold, "
                     f"grid {' '.join(_format_c(c) for c in info['C_grid'])})")
    if info.get("test_accuracy") is not None:
        lines.append(f"test accuracy:  {info['test_accuracy']:.4f}")
    if info.get("data") is not None:
        samples = f" ({info['n_samples']} samples)" if "n_samples" in info else ""
        lines.append(f"trained on:     {info['data']}{samples}")
    if info.get("target_column") is not None:
        lines.append(f"target column:  {info['target_column']}")
    print("\n".join(lines))
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
    except BrokenPipeError:
        # the reader of the output went away (``hingeclf info MODEL | head``): stop quietly,
        # as other command-line tools do; what remains unflushed goes nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
