"""The ``hingeclf`` command line: ``train`` on the embedded, svmlight and CSV data, and its errors."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file, make_classification

import hingeclf
import hingeclf._solvers
from hingeclf import cli

# A small grid and few folds keep each in-process run short; the full default
# grid runs once, in the subprocess test.
FAST = ["-C", "0.01", "1", "--cv", "3"]


def run(capsys, *argv):
    """``main(argv)`` in-process: exit code, stdout, stderr."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def report(out):
    """The ``key: value`` lines of a train report, as a dict."""
    fields = dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", out, flags=re.MULTILINE))
    for key in ("data set", "shape", "estimator", "C grid", "chosen C", "CV accuracy", "test accuracy", "fit time"):
        assert key in fields, f"{key!r} missing from report:\n{out}"
    return fields


def number(text):
    """The leading number of a report value: '0.9612 (5-fold, ...)' -> 0.9612."""
    return float(text.split()[0])


def check_report(out, *, grid, n_classes, min_accuracy):
    fields = report(out)
    assert [float(c) for c in fields["C grid"].split()] == pytest.approx(sorted(grid), rel=1e-3)
    chosen = float(fields["chosen C"])
    assert any(chosen == pytest.approx(c, rel=1e-3) for c in grid), f"chosen C {chosen} not in grid {grid}"
    assert fields["shape"].endswith(f"{n_classes} classes")
    for key in ("CV accuracy", "test accuracy"):
        accuracy = number(fields[key])
        assert 0.0 <= accuracy <= 1.0
        assert accuracy > min_accuracy, f"{key} {accuracy} not above {min_accuracy}"
    assert number(fields["fit time"]) >= 0.0
    return fields


def check_error(code, out, err, *needles):
    """A user error: exit code 2, one 'hingeclf: error: ' line naming the problem, no traceback."""
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hingeclf: error: ")
    for needle in needles:
        assert str(needle) in lines[0]


# --------------------------------------------------------------------------
# data files
# --------------------------------------------------------------------------


@pytest.fixture
def svmlight_file(tmp_path):
    X, y = make_classification(n_samples=200, n_features=10, n_informative=5, random_state=0)
    path = tmp_path / "binary.svm"
    dump_svmlight_file(X, y, str(path))
    return path


def write_csv(path, header, rows):
    lines = ([",".join(header)] if header else []) + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def csv_data():
    """Three well-separated classes with string labels: features and labels."""
    X, y = make_classification(
        n_samples=150, n_features=4, n_informative=3, n_redundant=0, n_classes=3, class_sep=2.0, random_state=0
    )
    return np.round(X, 6), np.array(["setosa", "versicolor", "virginica"])[y]


# --------------------------------------------------------------------------
# train: success
# --------------------------------------------------------------------------


def test_train_digits_in_process(capsys):
    code, out, err = run(capsys, "train", *FAST)
    assert code == 0, err
    fields = check_report(out, grid=[0.01, 1.0], n_classes=10, min_accuracy=0.5)  # chance is 0.1
    assert fields["data set"].startswith("digits")
    assert fields["shape"].startswith("1797 samples x 64 features")
    assert fields["estimator"] == "StandardScaler + SquaredHingeSVM (solver auto)"
    assert "1347 training samples" in fields["CV accuracy"]
    assert "450 held-out samples" in fields["test accuracy"]


def test_train_default_as_subprocess():
    """``python -m hingeclf train``, all defaults, as a user runs it."""
    env = dict(os.environ)
    package_root = str(Path(hingeclf.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "hingeclf", "train"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    fields = report(proc.stdout)
    grid = [float(c) for c in fields["C grid"].split()]
    assert len(grid) == cli.DEFAULT_N_CS and grid == sorted(grid)
    check_report(proc.stdout, grid=grid, n_classes=10, min_accuracy=0.5)
    assert f"{cli.DEFAULT_CV}-fold" in fields["CV accuracy"]


def test_user_error_exit_code_as_subprocess(tmp_path):
    env = dict(os.environ)
    package_root = str(Path(hingeclf.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    missing = tmp_path / "nope.svm"
    proc = subprocess.run(
        [sys.executable, "-m", "hingeclf", "train", str(missing)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"hingeclf: error: no such file: {missing}"


@pytest.mark.parametrize(
    "estimator, class_name",
    [("hinge", "HingeSVM"), ("squared_hinge", "SquaredHingeSVM"), ("multiclass", "MulticlassHingeSVM")],
)
def test_train_svmlight(capsys, svmlight_file, estimator, class_name):
    code, out, err = run(capsys, "train", svmlight_file, "--estimator", estimator, *FAST)
    assert code == 0, err
    fields = check_report(out, grid=[0.01, 1.0], n_classes=2, min_accuracy=0.7)
    assert fields["data set"] == str(svmlight_file)
    assert fields["shape"] == "200 samples x 10 features (sparse), 2 classes"
    # MaxAbsScaler keeps the matrix sparse.
    assert fields["estimator"] == f"MaxAbsScaler + {class_name} (solver auto)"


def test_train_format_override(capsys, svmlight_file, tmp_path):
    disguised = tmp_path / "actually_svmlight.csv"
    disguised.write_bytes(svmlight_file.read_bytes())
    code, out, err = run(capsys, "train", disguised, "--format", "svmlight", *FAST)
    assert code == 0, err
    assert report(out)["shape"].startswith("200 samples x 10 features (sparse)")
    # Without the override the .csv extension selects the CSV reader, which refuses it.
    code, out, err = run(capsys, "train", disguised, *FAST)
    check_error(code, out, err, str(disguised))


def test_train_csv_default_target_is_last_column(capsys, tmp_path, csv_data):
    X, labels = csv_data
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    code, out, err = run(capsys, "train", path, *FAST)
    assert code == 0, err
    fields = check_report(out, grid=[0.01, 1.0], n_classes=3, min_accuracy=0.6)  # chance is 1/3
    assert fields["shape"] == "150 samples x 4 features, 3 classes"
    assert fields["estimator"] == "StandardScaler + SquaredHingeSVM (solver auto)"
    assert fields["format"] == "csv (separator ',')"


def test_train_csv_named_target(capsys, tmp_path, csv_data):
    X, labels = csv_data
    rows = [[s, *x] for x, s in zip(X, labels)]
    path = write_csv(tmp_path / "flowers.csv", ["species", "a", "b", "c", "d"], rows)
    code, out, err = run(capsys, "train", path, "--target", "species", *FAST)
    assert code == 0, err
    fields = check_report(out, grid=[0.01, 1.0], n_classes=3, min_accuracy=0.6)
    assert fields["shape"] == "150 samples x 4 features, 3 classes"


def test_train_csv_without_header(capsys, tmp_path, csv_data):
    """A first row of numbers is data; the columns are then named 0, 1, ..."""
    X, labels = csv_data
    y = np.unique(labels, return_inverse=True)[1]
    path = write_csv(tmp_path / "numbers.csv", None, [[k, *x] for x, k in zip(X, y)])
    code, out, err = run(capsys, "train", path, "--target", "0", *FAST)
    assert code == 0, err
    fields = check_report(out, grid=[0.01, 1.0], n_classes=3, min_accuracy=0.6)
    assert fields["shape"] == "150 samples x 4 features, 3 classes"


def test_csv_without_header_with_text_labels(tmp_path, csv_data):
    """A first row of numbers and a text label is data when no text field of it stands above a
    number: no row is lost as a header (it used to be read as the column names)."""
    X, labels = csv_data
    rows = [[*x, s] for x, s in zip(X, labels)]
    rows[0][1] = "NA"  # a missing value in the first row is not a column name
    path = write_csv(tmp_path / "unnamed.csv", None, rows)
    data = cli.load_data(str(path), drop_missing=True)
    assert data.columns == ["0", "1", "2", "3"] and data.target == "4"
    assert data.X.shape == (149, 4) and list(data.y) == list(labels[1:])
    # a header with a numeric-looking name is still a header: "x" stands above numbers
    path = write_csv(tmp_path / "named.csv", ["x", "2020", "c", "d", "species"], rows[1:])
    data = cli.load_data(str(path))
    assert data.columns == ["x", "2020", "c", "d"] and data.X.shape == (149, 4)


def test_csv_values_and_labels_read_exactly(tmp_path, csv_data):
    X, labels = csv_data
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    data = cli.load_data(str(path))
    np.testing.assert_array_equal(data.X, X)
    assert list(data.y) == list(labels)
    assert (data.columns, data.target, data.sep) == (["a", "b", "c", "d"], "species", ",")


# --------------------------------------------------------------------------
# train: user errors
# --------------------------------------------------------------------------


def test_error_missing_file(capsys, tmp_path):
    path = tmp_path / "missing.svm"
    check_error(*run(capsys, "train", path), "no such file", path)


def test_error_directory(capsys, tmp_path):
    check_error(*run(capsys, "train", tmp_path), "directory", tmp_path)


@pytest.mark.parametrize(
    "name, content, problem",
    [
        ("garbage.svm", b"this is not\nan svmlight file\n", "svmlight"),
        ("binary.dat", bytes(range(256)) * 4, "svmlight"),
        ("empty.svm", b"", "no data rows"),
        ("binary.csv", b"\xff\xfe\x00\x01,\x80\n", "CSV"),
        ("empty.csv", b"", "empty CSV"),
        ("header_only.csv", b"a,b,label\n", "no data rows"),
        ("words.csv", b"a,b,label\n1,two,x\n3,4,y\n", "non-numeric value 'two' in feature column 'b' at line 2"),
        ("hole.csv", b"a,b,label\n3,4,y\n1,,x\n", "missing value in feature column 'b' at line 3"),
        ("na.csv", b"a,b,label\n3,4,y\n\n1,NA,x\n", "missing value in feature column 'b' at line 4"),
        ("infinite.csv", b"a,b,label\n3,inf,y\n1,2,x\n", "infinite value in feature column 'b' at line 2"),
        ("long_row.csv", b"a,b,label\n1,2,x\n3,4,y,9\n5,6,x\n", "ill-formed CSV"),
        ("no_label.csv", b"a,b,label\n1,2,\n3,4,y\n", "missing value in target column 'label' at line 2"),
        ("duplicate.csv", b"a,a,label\n1,2,x\n3,4,y\n", "duplicate column name(s) 'a'"),
        ("bad.csv.gz", b"a,b,label\n1,2,x\n", "cannot read"),
        ("one_column.csv", b"label\nx\ny\n", "feature column"),
    ],
)
def test_error_ill_formed_file(capsys, tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    check_error(*run(capsys, "train", path), problem, path)


def test_error_missing_target_column(capsys, tmp_path, csv_data):
    X, labels = csv_data
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    check_error(*run(capsys, "train", path, "--target", "colour"), "'colour'", path, "species")


def test_error_target_on_svmlight(capsys, svmlight_file):
    check_error(*run(capsys, "train", svmlight_file, "--target", "y"), "--target", svmlight_file)


def test_error_single_class_svmlight(capsys, tmp_path):
    X, _ = make_classification(n_samples=40, n_features=5, random_state=0)
    path = tmp_path / "one_class.svm"
    dump_svmlight_file(X, np.ones(40), str(path))
    check_error(*run(capsys, "train", path), "at least 2 classes", "every label is 1", path)


def test_error_single_class_csv(capsys, tmp_path):
    path = write_csv(tmp_path / "one_class.csv", ["a", "b", "label"], [[i, i * i, "cat"] for i in range(30)])
    check_error(*run(capsys, "train", path), "at least 2 classes", "'cat'", path)


def test_error_class_too_small_for_cv(capsys, tmp_path):
    rows = [[i, -i, "a"] for i in range(20)] + [[i, i, "b"] for i in range(3)]
    path = write_csv(tmp_path / "rare.csv", ["x1", "x2", "label"], rows)
    check_error(*run(capsys, "train", path, "--cv", "5"), "class 'b' has only 3", "--cv", path)


def test_error_test_split_smaller_than_class_count(capsys):
    check_error(*run(capsys, "train", "--test-size", "0.001"), "--test-size", "digits")


# --------------------------------------------------------------------------
# CSV dialects, compression, missing values, shapes
# --------------------------------------------------------------------------


def flowers_text(csv_data, sep=","):
    X, labels = csv_data
    lines = [sep.join(["a", "b", "c", "d", "species"])] + [sep.join([*map(str, x), s]) for x, s in zip(X, labels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_csv_separator_detected(capsys, tmp_path, csv_data, sep):
    X, labels = csv_data
    path = tmp_path / "flowers.csv"
    path.write_text(flowers_text(csv_data, sep))
    data = cli.load_data(str(path))
    assert data.sep == sep
    np.testing.assert_array_equal(data.X, X)
    assert list(data.y) == list(labels)
    # the separator used is reported, and --sep overrides the detection
    code, out, err = run(capsys, "train", path, "-C", "1", "--progress")
    assert code == 0, err
    name = "tab" if sep == "\t" else repr(sep)
    assert f"separator {name}" in err
    assert report_line(out, "format") == f"csv (separator {name})"
    check_error(*run(capsys, "train", path, "--sep", ","), "found 1 column with separator ','", "--sep")


def test_csv_sep_option(tmp_path, csv_data):
    X, _ = csv_data
    path = tmp_path / "flowers.tsv"
    # the first line has as many commas as tabs: detection alone picks the comma
    path.write_text("a,1,2\tb,3,4\tc\td\tspecies\n" + flowers_text(csv_data, "\t").split("\n", 1)[1])
    with pytest.raises(cli.CLIError, match="line 2 has 1 fields, expected 5 \\(separator ','\\)"):
        cli.load_data(str(path))
    data = cli.load_data(str(path), sep="\t")
    assert data.columns == ["a,1,2", "b,3,4", "c", "d"]
    np.testing.assert_array_equal(data.X, X)


@pytest.mark.parametrize("text, expected", [(";", ";"), ("tab", "\t"), ("\\t", "\t")])
def test_sep_argument(text, expected):
    assert cli._separator(text) == expected


def test_error_sep_argument(capsys):
    code, out, err = run(capsys, "train", "--sep", ";;")
    assert code == 2 and "--sep" in err and "one character" in err


def test_csv_gz_read(tmp_path, csv_data):
    import gzip

    X, labels = csv_data
    path = tmp_path / "flowers.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(flowers_text(csv_data))
    data = cli.load_data(str(path))
    assert data.format == "csv"
    np.testing.assert_array_equal(data.X, X)
    assert list(data.y) == list(labels)


def test_error_txt_csv_hints_format_option(capsys, tmp_path, csv_data):
    path = tmp_path / "flowers.txt"
    path.write_text(flowers_text(csv_data))
    check_error(*run(capsys, "train", path), "svmlight", "--format csv", path)
    code, out, err = run(capsys, "train", path, "--format", "csv", "-C", "1")
    assert code == 0, err
    assert report_line(out, "shape") == "150 samples x 4 features, 3 classes"


def test_drop_missing(capsys, tmp_path, csv_data):
    X, labels = csv_data
    rows = [[*x, s] for x, s in zip(X, labels)]
    rows[3][1] = ""
    rows[7][0] = "NA"
    rows[9][2] = "nan"
    rows[11][4] = ""  # a missing label
    path = write_csv(tmp_path / "holes.csv", ["a", "b", "c", "d", "species"], rows)
    original = path.read_bytes()
    check_error(*run(capsys, "train", path), "missing value in feature column 'b' at line 5", "--drop-missing")
    data = cli.load_data(str(path), drop_missing=True)
    keep = [k for k in range(150) if k not in (3, 7, 9, 11)]
    np.testing.assert_array_equal(data.X, X[keep])
    assert list(data.y) == list(labels[keep])
    code, out, err = run(capsys, "train", path, "--drop-missing", "-C", "1")
    assert code == 0, err
    assert "dropped 4 row(s) with a missing value" in err
    assert report_line(out, "shape") == "146 samples x 4 features, 3 classes"
    assert path.read_bytes() == original  # the user's file is not modified


def test_error_drop_missing_leaves_no_rows(capsys, tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("a,b,label\n1,,x\n,2,y\n")
    code, out, err = run(capsys, "train", path, "--drop-missing")
    assert code == 2
    assert err.splitlines()[-1] == f"hingeclf: error: no data rows in {path} (all 2 had a missing value)"


@pytest.mark.parametrize("option", [["--sep", ";"], ["--drop-missing"]])
def test_error_csv_options_on_svmlight(capsys, svmlight_file, option):
    check_error(*run(capsys, "train", svmlight_file, *option), option[0], "CSV files only")


@pytest.mark.parametrize("fixed", [True, False])
def test_error_continuous_target(capsys, tmp_path, fixed):
    rng = np.random.default_rng(0)
    rows = [[*rng.standard_normal(2).round(3), round(float(rng.uniform(0, 100)), 2)] for _ in range(200)]
    path = write_csv(tmp_path / "prices.csv", ["a", "b", "price"], rows)
    argv = ["-C", "1"] if fixed else []
    code, out, err = run(capsys, "train", path, *argv)
    n_distinct = len({row[2] for row in rows})
    check_error(code, out, err, "column 'price'", "looks continuous", f"{n_distinct} distinct numbers")
    assert len(err) < 300  # not a list of every value


def test_error_many_rare_classes_short_message(capsys, tmp_path):
    rows = [[i, -i, i] for i in range(300)]  # integer labels, one sample each
    path = write_csv(tmp_path / "ids.csv", ["a", "b", "id"], rows)
    code, out, err = run(capsys, "train", path, "-C", "1")
    check_error(code, out, err, "class 0 has only 1 sample(s)", "(300 classes)", "--test-size")
    assert len(err) < 300


def test_wide_csv(capsys, tmp_path):
    """One row of many numbers: parsed in full, and refused as training data with a clear message."""
    values = np.round(np.random.default_rng(0).standard_normal(50_000), 3)
    path = tmp_path / "wide.csv"
    path.write_text(",".join(map(str, values)) + "\n")
    data = cli.load_data(str(path))
    assert data.X.shape == (1, 49_999)
    np.testing.assert_array_equal(data.X[0], values[:-1])
    check_error(*run(capsys, "train", path), "need at least 2 classes, found 1", path)


@pytest.fixture
def small_blocks(monkeypatch):
    """CSV files read in blocks of about 200 characters, so that a test file spans many."""
    monkeypatch.setattr(cli, "CSV_BLOCK_SIZE", 200)


def read_row_by_row(path, **kwargs):
    """``load_data(path)`` with every row converted on its own (the reader without blocks)."""
    return cli._load_csv(str(path), lambda s: cli._columns_for_training(s.columns, None, str(path), s.sep),
                         bulk=False, **kwargs)


def test_csv_blocks_read_as_rows(tmp_path, small_blocks):
    """Blocks of lines converted at once, and those read again row by row (a missing value, a
    number only ``float`` parses) or from a quoted label on, give the row reader's values and
    labels; a CRLF line end and a blank line change nothing."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3)).round(4)
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, 300)]
    lines = [",".join([*map(str, x), s]) for x, s in zip(X, labels)]
    lines[40] = lines[40].replace(str(X[40, 1]), " ", 1)  # missing: the row is dropped
    lines[90] = "1_0," + lines[90].split(",", 1)[1]  # float("1_0") == 10.0, which loadtxt refuses
    lines[150] += "\r"  # a CRLF line ending
    lines.insert(200, "")  # a blank line
    lines[250] = lines[250].replace(labels[249], f'"{labels[249]}"')  # quoted: the rest row by row
    path = tmp_path / "blocks.csv"
    path.write_text("x1,x2,x3,label\n" + "\n".join(lines) + "\n")
    data = cli.load_data(str(path), drop_missing=True)
    keep = np.arange(300) != 40
    expected = X.copy()
    expected[90, 0] = 10.0
    np.testing.assert_array_equal(data.X, expected[keep])
    assert list(data.y) == list(labels[keep])
    rows = read_row_by_row(path, drop_missing=True)
    np.testing.assert_array_equal(data.X, rows.X)
    assert list(data.y) == list(rows.y)


@pytest.mark.parametrize("odd", [
    None,
    ('{0}, {1}, "{2}"', "{2}"),  # spaces before the quote
    ('{0},{1},"say ""hi"""', 'say "hi"'),  # a doubled quote
    ('{0},{1},x"y', 'x"y'),  # a quote inside an unquoted field
    ('{0},{1},"two\nlines"', "two\nlines"),
    ('{0},{1},"{3}"', "{3}"),  # a label of many lines: across blocks
])
def test_csv_quoted_blocks_read_as_rows(tmp_path, small_blocks, monkeypatch, odd):
    """Quoted labels (as R's write.csv writes them) are converted in blocks; from a quote the
    bulk conversion may misread on, the rest of the file is read row by row: the same values
    and labels either way."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2)).round(4)
    labels = [["a", "b b", "c,c"][k] for k in rng.integers(0, 3, 300)]
    lines = [f'{x[0]},{x[1]},"{s}"' for x, s in zip(X, labels)]
    if odd is not None:
        many = "\n".join(f"line {k}" for k in range(30))
        lines[150], labels[150] = (text.format(X[150, 0], X[150, 1], labels[150], many) for text in odd)
    path = tmp_path / "quoted.csv"
    path.write_text('"x1","x2","label"\n' + "\n".join(lines) + "\n")
    converted, convert = [], cli._BulkConverter.__call__

    def spy(self, lines, quoted=False):
        result = convert(self, lines, quoted)
        converted.append(result is not None)
        return result

    monkeypatch.setattr(cli._BulkConverter, "__call__", spy)
    data = cli.load_data(str(path))
    np.testing.assert_array_equal(data.X, X)
    assert list(data.y) == labels
    # every block at once, or those before the odd line and then the rest row by row
    assert converted == [True] * (len(converted) - (odd is not None)) + [False] * (odd is not None)
    rows = read_row_by_row(path)
    np.testing.assert_array_equal(rows.X, X)
    assert list(rows.y) == labels


@pytest.mark.parametrize("row, problem", [
    ("1,,x", "missing value in feature column 'x2' at line 151"),
    ("1,two,x", "non-numeric value 'two' in feature column 'x2' at line 151"),
    ("1,-inf,x", "infinite value in feature column 'x2' at line 151"),
    ("1,2,", "missing value in target column 'label' at line 151"),
    ("1,2,x,3", "line 151 has 4 fields, expected 3"),
    ("1,2", "line 151 has 2 fields, expected 3"),
])
def test_csv_error_in_a_later_block_names_its_line(tmp_path, small_blocks, row, problem):
    lines = [f"{k},{k % 7},{'ab'[k % 2]}" for k in range(200)]
    lines[149] = row
    path = tmp_path / "late.csv"
    path.write_text("x1,x2,label\n" + "\n".join(lines) + "\n")
    with pytest.raises(cli.CLIError, match=re.escape(problem)):
        cli.load_data(str(path))


def test_csv_values_rounded_as_float_rounds(tmp_path):
    """Numbers of many digits, near halfway between two floats, and at the ends of the range."""
    rng = np.random.default_rng(0)
    texts = [repr(float(v)) for v in rng.standard_normal(300) * 10.0 ** rng.integers(-300, 300, 300)]
    texts += [f"{v:.30e}" for v in rng.standard_normal(300)]
    texts += ["1.00000000000000011102230246251565404236316680908203125",  # halfway: rounds to even
              "1.00000000000000011102230246251565404236316680908203126", "9007199254740993",
              "2.4703282292062328e-324", "1.7976931348623157e308", "0.1", "-0.0"]
    texts = texts[: len(texts) // 2 * 2]
    path = tmp_path / "digits.csv"
    rows = zip(texts[::2], texts[1::2])
    path.write_text("a,b,label\n" + "".join(f"{a},{b},{k % 2}\n" for k, (a, b) in enumerate(rows)))
    data = cli.load_data(str(path))
    expected = np.array([float(t) for t in texts]).reshape(-1, 2)
    assert data.X.tobytes() == expected.tobytes()  # bit for bit (-0.0 included)


def test_progress_reports_reading(capsys, tmp_path, csv_data):
    path = tmp_path / "flowers.csv"
    path.write_text(flowers_text(csv_data))
    size = path.stat().st_size
    code, out, err = run(capsys, "train", path, "-C", "1", "--progress")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == f"hingeclf: reading {path} ({size / 1e3:.1f} kB) ..."
    assert re.fullmatch(r"hingeclf: read 150 rows x 4 feature columns in [0-9.]+ s \(csv, separator ','\)", lines[1])
    code, out, err = run(capsys, "train", path, "-C", "1", "--no-progress")
    assert code == 0 and err == ""


# --------------------------------------------------------------------------
# argument parsing
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, needle",
    [
        ([], "COMMAND"),
        (["fit"], "invalid choice"),
        (["train", "-C", "-1"], "positive"),
        (["train", "-C", "0"], "positive"),
        (["train", "-C", "nan"], "positive"),
        (["train", "--cv", "1"], "at least 2"),
        (["train", "--test-size", "1.5"], "below 1"),
        (["train", "--solver", "magic"], "invalid choice"),
        (["train", "--multi-class", "one_vs_one"], "invalid choice"),
        (["predict"], "required"),
        (["info"], "required"),
        (["train", "--estimator", "logistic"], "invalid choice"),
        (["train", "--format", "parquet"], "invalid choice"),
    ],
)
def test_usage_errors(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert re.search(r"^hingeclf( train| predict| info)?: error: ", err, flags=re.MULTILINE), err
    assert needle in err


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"hingeclf {hingeclf.__version__}"
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    for option in ("--estimator", "--loss", "--multi-class", "--solver", "--cv", "-C", "--test-size",
                   "--random-state", "--format", "--target", "--sep", "--drop-missing", "--out", "--progress"):
        assert option in out
    for command, options in [("predict", ("MODEL", "DATA", "--out", "--target", "--sep", "--progress")),
                             ("info", ("MODEL",))]:
        code, out, _ = run(capsys, command, "--help")
        assert code == 0
        for option in options:
            assert option in out


# --------------------------------------------------------------------------
# train options, and the train / predict / info round trip
# --------------------------------------------------------------------------


def test_train_single_C_fits_without_cross_validation(capsys, svmlight_file):
    code, out, err = run(capsys, "train", svmlight_file, "-C", "0.5")
    assert code == 0, err
    fields = dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", out, flags=re.MULTILINE))
    assert fields["chosen C"] == "0.5 (fixed)"
    assert "CV accuracy" not in fields
    assert number(fields["test accuracy"]) > 0.7


def test_error_single_C_with_cv(capsys, svmlight_file):
    check_error(*run(capsys, "train", svmlight_file, "--cv", "3", "-C", "0.5"), "--cv", "single value")


@pytest.mark.parametrize("solver", hingeclf.cli._solver_choices())
def test_train_solver_option(capsys, svmlight_file, solver):
    code, out, err = run(capsys, "train", svmlight_file, "--solver", solver, "-C", "0.1")
    assert code == 0, err
    assert report_line(out, "estimator") == f"MaxAbsScaler + SquaredHingeSVM (solver {solver})"


def report_line(out, key):
    return dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", out, flags=re.MULTILINE))[key]


def test_train_multiclass_loss_and_formulation(capsys, tmp_path, csv_data):
    X, labels = csv_data
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    model = tmp_path / "ww.skops"
    code, out, err = run(capsys, "train", path, "--estimator", "multiclass", "--loss", "squared_hinge",
                         "--multi-class", "weston_watkins", "-C", "0.1", "--out", model)
    assert code == 0, err
    fitted, _ = cli.load_model(str(model))
    svm = fitted[-1]
    assert (type(svm).__name__, svm.loss, svm.multi_class, svm.C) == (
        "MulticlassHingeSVM", "squared_hinge", "weston_watkins", 0.1)


@pytest.mark.parametrize("option", [["--loss", "hinge"], ["--multi-class", "ovr"]])
def test_error_multiclass_options_on_binary_estimator(capsys, svmlight_file, option):
    check_error(*run(capsys, "train", svmlight_file, *option), option[0], "--estimator multiclass")


def test_progress_bar_on_tuning(capsys, svmlight_file):
    code, out, err = run(capsys, "train", svmlight_file, "--progress", *FAST)
    assert code == 0, err
    assert err.count("tuning C [") == 6  # one update per fit: 2 C x 3 folds
    assert err.rstrip().split("\r")[-1].startswith("tuning C [" + "#" * 30 + "] 6/6 fits")
    code, out, err = run(capsys, "train", svmlight_file, "--no-progress", *FAST)
    assert code == 0 and err == ""


def test_interrupted_starts_a_new_line(capsys, svmlight_file, monkeypatch):
    from hingeclf.model_selection import RegularizationPathCV

    def interrupted_fit(self, X, y, progress=None):
        progress()
        progress()
        raise KeyboardInterrupt

    monkeypatch.setattr(RegularizationPathCV, "_fit", interrupted_fit)
    code, out, err = run(capsys, "train", svmlight_file, "--progress", *FAST)
    assert code == 130
    assert err.endswith("\nhingeclf: interrupted\n")
    assert err.split("\n")[-3].split("\r")[-1].startswith("tuning C [")
    assert "2/6 fits" in err


def test_label_with_newline_one_record_per_row(capsys, tmp_path):
    import csv

    rng = np.random.default_rng(0)
    path = tmp_path / "quoted.csv"
    labels = ["first\nsecond", 'say "hi"', "a, b"]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x1", "x2", "label"])
        for k in range(60):
            writer.writerow([*(rng.standard_normal(2) + 3 * (k % 3)).round(4), labels[k % 3]])
    model, preds = tmp_path / "m.skops", tmp_path / "pred.csv"
    code, out, err = run(capsys, "train", path, "-C", "1", "--test-size", "0", "--out", model)
    assert code == 0, err
    code, out, err = run(capsys, "predict", model, path, "--out", preds)
    assert code == 0, err
    with open(preds, newline="") as f:
        records = list(csv.reader(f))
    assert len(records) == 60
    assert all(len(r) == 1 for r in records)
    fitted, _ = cli.load_model(str(model))
    expected = list(fitted.predict(cli.load_data(str(path)).X))
    assert [r[0] for r in records] == expected
    assert set(expected) == set(labels)


def test_round_trip_svmlight(capsys, tmp_path, svmlight_file):
    from sklearn.datasets import load_svmlight_file

    model = tmp_path / "model.skops"
    code, out, err = run(capsys, "train", svmlight_file, "--estimator", "hinge", *FAST, "--out", model)
    assert code == 0, err
    assert report_line(out, "model saved") == str(model)
    chosen = float(report_line(out, "chosen C"))

    code, out, err = run(capsys, "info", model)
    assert code == 0, err
    assert report_line(out, "pipeline") == "MaxAbsScaler + HingeSVM"
    assert report_line(out, "classes") == "0, 1"
    assert report_line(out, "features") == "10"
    assert float(report_line(out, "C")) == pytest.approx(chosen)
    assert report_line(out, "CV accuracy").endswith("(3-fold, grid 0.01 1)")

    preds = tmp_path / "pred.txt"
    code, out, err = run(capsys, "predict", model, svmlight_file, "--out", preds)
    assert code == 0, err
    X, y = load_svmlight_file(str(svmlight_file))
    fitted, _ = cli.load_model(str(model))
    expected = fitted.predict(X)
    written = np.array([int(v) for v in preds.read_text().split()])
    np.testing.assert_array_equal(written, expected)
    accuracy = np.mean(expected == y)
    assert report_line(out, "accuracy").startswith(f"{accuracy:.4f} ({int(np.sum(expected == y))}/200)")

    # without --out: the labels on stdout, the accuracy on stderr
    code, out, err = run(capsys, "predict", model, svmlight_file)
    assert code == 0
    assert out.split() == [str(v) for v in expected]
    assert err.startswith("accuracy: ")


def test_round_trip_csv_with_string_labels(capsys, tmp_path, csv_data):
    X, labels = csv_data
    train = write_csv(tmp_path / "train.csv", ["species", "a", "b", "c", "d"], [[s, *x] for x, s in zip(X, labels)])
    model = tmp_path / "flowers.skops"
    code, out, err = run(capsys, "train", train, "--target", "species", "--test-size", "0", *FAST, "--out", model)
    assert code == 0, err
    assert "test accuracy" not in out  # --test-size 0: trained on all rows
    code, out, err = run(capsys, "info", model)
    assert code == 0, err
    assert report_line(out, "classes") == "'setosa', 'versicolor', 'virginica'"
    assert report_line(out, "feature names") == "'a', 'b', 'c', 'd'"
    assert report_line(out, "target column") == "species"
    assert report_line(out, "trained on") == f"{train} (150 samples)"
    fitted, _ = cli.load_model(str(model))
    expected = [str(v) for v in fitted.predict(X)]

    # the same file (the model's target column is found by name) ...
    preds = tmp_path / "pred.txt"
    code, out, err = run(capsys, "predict", model, train, "--out", preds)
    assert code == 0, err
    assert preds.read_text().split() == expected
    correct = sum(a == b for a, b in zip(expected, labels))
    assert report_line(out, "accuracy").startswith(f"{correct / 150:.4f} ({correct}/150)")
    # ... and features only, no labels: predictions, no accuracy
    features = write_csv(tmp_path / "new.csv", ["a", "b", "c", "d"], X)
    code, out, err = run(capsys, "predict", model, features)
    assert code == 0, err
    assert out.split() == expected
    assert err == ""


# --------------------------------------------------------------------------
# predict / info / --out: user errors, and no partial output
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A small model trained on an svmlight file, and that file."""
    tmp = tmp_path_factory.mktemp("model")
    X, y = make_classification(n_samples=200, n_features=10, n_informative=5, random_state=0)
    data = tmp / "binary.svm"
    dump_svmlight_file(X, y, str(data))
    model = tmp / "model.skops"
    assert cli.main(["train", str(data), "-C", "0.1", "--out", str(model)]) == 0
    return model, data


def test_output_closed_early_ends_quietly(saved_model):
    # `hingeclf info MODEL | head -1`: the reader goes away; no traceback, the shell's code
    model, _ = saved_model
    env = dict(os.environ)
    package_root = str(Path(hingeclf.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-m", "hingeclf", "info", str(model)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            stdin=subprocess.DEVNULL)
    proc.stdout.close()  # before anything is read: the first write finds no reader
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == cli.EXIT_BROKEN_PIPE
    assert err == ""


class NotOurs:
    """A type no hingeclf model holds."""

    def __init__(self):
        self.payload = [1, 2, 3]


def _foreign_files(tmp_path):
    import zipfile

    import skops.io

    text = tmp_path / "text.skops"
    text.write_text("just some text\n")
    zipped = tmp_path / "other.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "not a skops file")
    other = tmp_path / "other.skops"
    skops.io.dump({"weights": np.arange(3)}, str(other))
    estimator = tmp_path / "estimator.skops"
    from sklearn.linear_model import LogisticRegression

    skops.io.dump(LogisticRegression(), str(estimator))
    untrusted = tmp_path / "untrusted.skops"
    skops.io.dump({"format": cli.MODEL_FORMAT, "model": NotOurs()}, str(untrusted))
    return [
        (text, "not a hingeclf model file"),
        (zipped, "not a hingeclf model file"),
        (other, "not a hingeclf model file"),
        (estimator, "not a hingeclf model file"),
        (untrusted, "refusing to load"),
    ]


@pytest.mark.parametrize("command", ["info", "predict"])
def test_error_model_file_not_ours(capsys, tmp_path, saved_model, command):
    _, data = saved_model
    for path, needle in _foreign_files(tmp_path):
        out_file = tmp_path / "pred.txt"
        argv = [command, path] + ([data, "--out", out_file] if command == "predict" else [])
        check_error(*run(capsys, *argv), needle, path)
        assert not out_file.exists()
    assert NotOurs().payload  # the class exists only to be refused


def _payload(model, info=None, **extra):
    """A model file's content as save_model writes it, with ``model`` and ``info``."""
    return {"format": cli.MODEL_FORMAT, "format_version": cli.MODEL_FORMAT_VERSION, "hingeclf_version": "0",
            "model": model, "info": {} if info is None else info, **extra}


def _trusted_but_not_ours(saved_model):
    """Model files skops trusts by default that hingeclf did not write: (name, payload, needle)."""
    import skops.io
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    model, _ = saved_model
    fitted, payload = cli.load_model(str(model))
    X, y = make_classification(n_samples=50, n_features=10, random_state=0)
    dummy = DummyClassifier().fit(X, y)
    broken = skops.io.loads(skops.io.dumps(fitted), trusted=list(cli.TRUSTED_TYPES))
    broken[-1].coef_ = broken[-1].coef_[:, :5]  # 5 weights for 10 features
    no_scale = skops.io.loads(skops.io.dumps(fitted), trusted=list(cli.TRUSTED_TYPES))
    no_scale[0].scale_ = None  # a MaxAbsScaler without its scales
    return [
        ("dummy", _payload(dummy), "DummyClassifier"),
        ("dummy-pipeline", _payload(Pipeline([("scaler", StandardScaler().fit(X)), ("svm", dummy)])),
         "DummyClassifier"),
        ("unfitted", _payload(hingeclf.HingeSVM()), "HingeSVM, not a pipeline"),
        ("unfitted-pipeline", _payload(Pipeline([("scaler", StandardScaler()), ("svm", hingeclf.HingeSVM())])),
         "HingeSVM is not fitted"),
        ("inconsistent", _payload(broken, payload["info"]), "inconsistent"),
        ("cannot-predict", _payload(no_scale, payload["info"]), "it cannot predict"),
        ("info-list", _payload(fitted, [1, 2]), "'info' is a list"),
        ("cv-accuracy-none", _payload(fitted, {**payload["info"], "cv_folds": 3, "cv_accuracy": None}),
         "'cv_folds' without 'cv_accuracy'"),
        ("test-accuracy-text", _payload(fitted, {**payload["info"], "test_accuracy": "high"}),
         "'test_accuracy' is 'high'"),
        ("classes-text", _payload(fitted, {**payload["info"], "classes": "0 1"}), "'classes' is '0 1'"),
        ("features-short", _payload(fitted, {**payload["info"], "feature_columns": ["a"]}),
         "'feature_columns' is ['a'], expected a list of 10 strings"),
        ("version", _payload(fitted, payload["info"], hingeclf_version=1.0), "'hingeclf_version' is 1.0"),
        ("n-features-array", _payload(fitted, {**payload["info"], "n_features": np.array([10, 10])}),
         "'n_features' is array([10, 10])"),
        ("format-array", {**_payload(fitted), "format": np.array([cli.MODEL_FORMAT] * 2)}, "something else"),
        ("format-version-array", {**_payload(fitted), "format_version": np.array([1, 1])}, "format version"),
    ]


@pytest.mark.parametrize("command", ["info", "predict"])
def test_error_trusted_types_not_a_hingeclf_model(capsys, tmp_path, saved_model, command):
    """One error line and nothing before it, for files skops trusts that train did not write."""
    import skops.io

    _, data = saved_model
    for name, payload, needle in _trusted_but_not_ours(saved_model):
        path = tmp_path / f"{name}.skops"
        skops.io.dump(payload, str(path))
        out_file = tmp_path / "pred.txt"
        argv = [command, path] + ([data, "--out", out_file] if command == "predict" else [])
        code, out, err = run(capsys, *argv)
        check_error(code, out, err, needle, path)
        assert not out_file.exists()


@pytest.mark.parametrize(
    "name, make",
    [
        ("custom", lambda marker: NotOurs()),
        ("system", lambda marker: os.system),
        ("partial", lambda marker: __import__("functools").partial(os.system, f"touch {marker}")),
        ("eval", lambda marker: eval),
    ],
)
@pytest.mark.parametrize("command", ["info", "predict"])
def test_error_untrusted_types_run_nothing(capsys, tmp_path, saved_model, command, name, make):
    import skops.io

    _, data = saved_model
    marker = tmp_path / "ran"
    path = tmp_path / f"{name}.skops"
    skops.io.dump(_payload(make(marker)), str(path))
    argv = [command, path] + ([data] if command == "predict" else [])
    check_error(*run(capsys, *argv), "refusing to load", path)
    assert not marker.exists()


def test_untrusted_type_is_refused_before_loading(tmp_path, monkeypatch):
    """The refusal comes from the type list, before skops builds any object."""
    import skops.io

    path = tmp_path / "untrusted.skops"
    skops.io.dump({"format": cli.MODEL_FORMAT, "model": NotOurs()}, str(path))
    calls = []
    monkeypatch.setattr(skops.io, "loads", lambda *a, **k: calls.append(a))
    with pytest.raises(cli.CLIError, match="NotOurs"):
        cli.load_model(str(path))
    assert calls == []


def test_error_missing_model_file(capsys, tmp_path, saved_model):
    _, data = saved_model
    missing = tmp_path / "nope.skops"
    out_file = tmp_path / "pred.txt"
    check_error(*run(capsys, "predict", missing, data, "--out", out_file), "no such file", missing)
    check_error(*run(capsys, "info", missing), "no such file", missing)
    assert not out_file.exists()


@pytest.mark.parametrize(
    "name, content, needle",
    [
        ("missing.svm", None, "no such file"),
        ("garbage.svm", b"this is not\nan svmlight file\n", "svmlight"),
        ("wide.svm", b"1 1:0.5 25:1.0\n0 2:1.0\n", "expects 10"),
        ("narrow.csv", b"a,b\n1,2\n3,4\n", "expected the model's 10 feature columns"),
        ("words.csv", ",".join(f"f{i}" for i in range(10)).encode() + b"\n" + b"x," * 9 + b"1\n",
         "non-numeric value"),
    ],
)
def test_error_bad_prediction_data(capsys, tmp_path, saved_model, name, content, needle):
    model, _ = saved_model
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    out_file = tmp_path / "pred.txt"
    check_error(*run(capsys, "predict", model, path, "--out", out_file), needle, path)
    assert not out_file.exists()


@pytest.fixture
def flowers_model(capsys, tmp_path, csv_data):
    """A model trained on a CSV file with columns a, b, c, d, species; the expected predictions."""
    X, labels = csv_data
    train = write_csv(tmp_path / "train.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    model = tmp_path / "flowers.skops"
    assert run(capsys, "train", train, "-C", "1", "--out", model)[0] == 0
    fitted, _ = cli.load_model(str(model))
    return model, [str(v) for v in fitted.predict(X)]


def test_predict_matches_csv_columns_by_name(capsys, tmp_path, csv_data, flowers_model):
    X, labels = csv_data
    model, expected = flowers_model
    assert len(set(expected)) == 3  # a column mix-up would change the predictions
    # reordered, with the target first and two columns the model does not use
    header = ["species", "d", "id", "b", "a", "note", "c"]
    rows = [[s, x[3], k, x[1], x[0], "n", x[2]] for k, (x, s) in enumerate(zip(X, labels))]
    path = write_csv(tmp_path / "shuffled.csv", header, rows)
    code, out, err = run(capsys, "predict", model, path)
    assert code == 0, err
    assert out.split() == expected
    assert "ignored column(s) the model does not use: 'id', 'note'" in err
    assert "accuracy: " in err  # the model's target column, found by name
    # features only, reordered, one extra column
    path = write_csv(tmp_path / "features.csv", ["c", "extra", "a", "d", "b"],
                     [[x[2], 0, x[0], x[3], x[1]] for x in X])
    code, out, err = run(capsys, "predict", model, path)
    assert code == 0, err
    assert out.split() == expected
    assert err.strip() == "hingeclf: note: ignored column(s) the model does not use: 'extra'"


def test_error_predict_missing_feature_column(capsys, tmp_path, csv_data, flowers_model):
    X, _ = csv_data
    model, _ = flowers_model
    path = write_csv(tmp_path / "three.csv", ["a", "x", "d", "c"], [[x[0], x[1], x[3], x[2]] for x in X])
    out_file = tmp_path / "pred.txt"
    check_error(*run(capsys, "predict", model, path, "--out", out_file), "no column 'b'", path)
    assert not out_file.exists()


def test_predict_csv_without_header_by_position(capsys, tmp_path, csv_data, flowers_model):
    X, _ = csv_data
    model, expected = flowers_model
    path = write_csv(tmp_path / "numbers.csv", None, X)
    code, out, err = run(capsys, "predict", model, path)
    assert code == 0, err
    assert out.split() == expected


def test_error_predict_target_is_a_feature(capsys, tmp_path, csv_data, flowers_model):
    X, labels = csv_data
    model, _ = flowers_model
    path = write_csv(tmp_path / "data.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    check_error(*run(capsys, "predict", model, path, "--target", "a"), "'a' is one of the model's feature columns")


def test_error_predict_missing_value_names_line(capsys, tmp_path, csv_data, flowers_model):
    X, _ = csv_data
    model, _ = flowers_model
    rows = [list(x) for x in X]
    rows[4][2] = ""
    path = write_csv(tmp_path / "hole.csv", ["a", "b", "c", "d"], rows)
    code, out, err = run(capsys, "predict", model, path)
    check_error(code, out, err, "missing value in feature column 'c' at line 6", path)
    assert "--drop-missing" not in err  # predict has no such option: rows stay aligned


def test_error_prediction_target_column_missing(capsys, tmp_path, csv_data):
    X, labels = csv_data
    train = write_csv(tmp_path / "train.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    model = tmp_path / "m.skops"
    assert run(capsys, "train", train, "-C", "1", "--out", model)[0] == 0
    out_file = tmp_path / "pred.txt"
    check_error(*run(capsys, "predict", model, train, "--target", "colour", "--out", out_file), "'colour'")
    assert not out_file.exists()


def test_train_errors_write_no_model_file(capsys, tmp_path, csv_data):
    X, labels = csv_data
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"], [[*x, s] for x, s in zip(X, labels)])
    model = tmp_path / "model.skops"
    check_error(*run(capsys, "train", path, "--target", "colour", "--out", model), "'colour'")
    check_error(*run(capsys, "train", tmp_path / "missing.csv", "--out", model), "no such file")
    assert not model.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["flowers.csv"]  # no temporary file left
    # an unwritable destination is refused before any training
    check_error(*run(capsys, "train", path, "--out", tmp_path / "no" / "model.skops"), "no such directory")


def test_failed_write_leaves_previous_file_untouched(tmp_path, monkeypatch):
    target = tmp_path / "pred.txt"
    target.write_text("previous\n")

    def failing(f):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(cli.CLIError, match="No space left"):
        cli._write_atomically(str(target), failing, "output file")
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pred.txt"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_output_files_get_the_umask_mode(capsys, tmp_path, saved_model, umask):
    model, data = saved_model
    previous = os.umask(umask)
    try:
        preds, new_model = tmp_path / "pred.txt", tmp_path / "model.skops"
        assert run(capsys, "predict", model, data, "--out", preds)[0] == 0
        assert run(capsys, "train", data, "-C", "1", "--out", new_model)[0] == 0
    finally:
        os.umask(previous)
    for path in (preds, new_model):
        assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~umask)


def test_overwritten_output_file_keeps_its_mode(capsys, tmp_path, saved_model):
    model, data = saved_model
    preds = tmp_path / "pred.txt"
    preds.write_text("old\n")
    preds.chmod(0o640)
    assert run(capsys, "predict", model, data, "--out", preds)[0] == 0
    assert preds.stat().st_mode & 0o777 == 0o640
    assert preds.read_text() != "old\n"


def test_predict_svmlight_without_the_last_features(capsys, tmp_path, saved_model):
    """svmlight omits zeros: a file whose rows never use the last features is still predicted."""
    model, _ = saved_model
    path = tmp_path / "short.svm"
    path.write_text("1 1:0.5 2:-1.0\n0 3:2.0\n")
    code, out, err = run(capsys, "predict", model, path)
    assert code == 0, err
    fitted, _ = cli.load_model(str(model))
    X = np.zeros((2, 10))
    X[0, :2] = [0.5, -1.0]
    X[1, 2] = 2.0
    assert out.split() == [str(v) for v in fitted.predict(X)]


def test_csv_read_benchmark_quick(tmp_path):
    """``python -m benchmarks.csv_read --quick`` runs and writes its table (no timing asserted)."""
    import json

    from benchmarks.csv_read import main

    assert main(["--quick", "--repeats", "1", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "csv_read_quick.json").read_text())
    assert data["meta"]["command"].startswith("python -m benchmarks.csv_read --quick")
    assert [r["shape"] for r in data["records"]] == ["long", "long", "wide", "wide"]
    assert all(r["read_s"] > 0 and r["row_by_row_s"] > 0 and r["fields"] > 0 for r in data["records"])
    assert "| file | MB |" in (tmp_path / "csv_read_quick.md").read_text()


def test_info_lists_at_most_the_limit(capsys, tmp_path):
    n = cli.INFO_LIST_LIMIT + 5
    X, y = make_classification(n_samples=60, n_features=n, random_state=0)
    path = write_csv(tmp_path / "wide.csv", [f"x{k}" for k in range(n)] + ["label"], [[*x, k] for x, k in zip(X, y)])
    model = tmp_path / "m.skops"
    assert run(capsys, "train", path, "-C", "1", "--out", model)[0] == 0
    code, out, err = run(capsys, "info", model)
    assert code == 0, err
    shown = report_line(out, "feature names")
    assert shown.startswith("'x0', 'x1', ")
    assert shown.endswith(f"'x{cli.INFO_LIST_LIMIT - 1}', ... (5 more)")


def test_train_string_labels_give_the_model_of_the_labels(capsys, tmp_path, csv_data):
    """The CLI encodes the labels once and trains on their indices: the saved model has the
    labels as its classes and the coefficients of a fit on the labels themselves."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from hingeclf import SquaredHingeSVM

    X, labels = csv_data
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"],
                     [[*x, s] for x, s in zip(X, labels)])
    model = tmp_path / "model.skops"
    code, out, err = run(capsys, "train", path, "-C", "1", "--test-size", "0", "--out", model)
    assert code == 0, err
    fitted, _ = cli.load_model(str(model))
    assert fitted.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    direct = Pipeline([("scaler", StandardScaler()), ("svm", SquaredHingeSVM(C=1.0))])
    direct.fit(X, labels)
    np.testing.assert_allclose(fitted[-1].coef_, direct[-1].coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(X), direct.predict(X))
