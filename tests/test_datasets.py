"""Data sets and helpers: truth tables, bundled sets, CSV, split, scaler, accuracy."""

import builtins

import numpy as np
import pytest

from tensorgen import datasets

NO_SKLEARN = ("the bundled data sets are read from scikit-learn (pip install "
              "'tensorgen[datasets]'), not installed")


@pytest.mark.parametrize("name, column", [("xor", [0, 1, 1, 0]), ("and", [0, 0, 0, 1]),
                                          ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0])])
def test_truth_tables(name, column):
    X, Y = datasets.truth_table(name)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(Y[:, 0], column)
    assert X.dtype == Y.dtype == np.float64
    with pytest.raises(ValueError, match="name"):
        datasets.truth_table("xnor")


@pytest.mark.parametrize("loader, shape, n_classes", [
    (datasets.load_digits, (1797, 64), 10),
    (datasets.load_iris, (150, 4), 3),
    (datasets.load_breast_cancer, (569, 30), 2),
], ids=["digits", "iris", "breast_cancer"])
def test_bundled_sets(loader, shape, n_classes):
    pytest.importorskip("sklearn", reason=NO_SKLEARN)
    data = loader()
    assert data.X.shape == shape and data.X.dtype == np.float64
    assert data.y.dtype == np.int64 and set(data.y) == set(range(n_classes))
    assert len(data.feature_names) == shape[1] and len(data.target_names) == n_classes


def test_missing_scikit_learn_gives_install_hint(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    monkeypatch.setattr(datasets.importlib, "import_module", lambda n: no_sklearn(n))
    with pytest.raises(ImportError, match=r"tensorgen\[datasets\]"):
        datasets.load_iris()


def test_load_csv_classes_regression_and_no_target(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,kind\n1,2.5,cat\n3,4,dog\n\n5,6e-1,cat\n")
    data = datasets.load_csv(path, target="kind")
    np.testing.assert_array_equal(data.X, [[1, 2.5], [3, 4], [5, 0.6]])
    np.testing.assert_array_equal(data.y, [0, 1, 0])
    assert data.feature_names == ("a", "b") and data.target_names == ("cat", "dog")
    with pytest.raises(ValueError, match=r"d\.csv: line 2, column 'kind': 'cat' is not a number"):
        datasets.load_csv(path, target="a")
    path.write_text("a,b,level\n1,2,3\n3,4,1\n5,6,3\n")
    numeric = datasets.load_csv(path, target="level")
    assert numeric.target_names == ("1", "3") and list(numeric.y) == [1, 0, 1]
    path.write_text("x,y\n1,0.5\n2,1.25\n")
    reg = datasets.load_csv(path, target="y")
    assert reg.target_names is None and reg.y.tolist() == [0.5, 1.25]
    assert datasets.load_csv(path).y is None


@pytest.mark.parametrize("values, task, reason", [
    (["cat", "dog", "cat"], "classification", "text values such as 'cat'"),
    (["1", "2", "n/a"], "classification", "text values such as 'n/a'"),
    (["0", "1", "2.0", "1"], "classification", "3 distinct integer values (20 or fewer)"),
    ([str(v) for v in range(32)], "regression", "32 distinct integer values (more than 20)"),
    (["1", "2.5", "3"], "regression", "non-integer values such as '2.5'"),
    (["1", "inf"], "regression", "non-integer values such as 'inf'"),
], ids=["text", "mixed", "few-integers", "many-integers", "fractions", "infinity"])
def test_guess_task_rule(values, task, reason):
    assert datasets.guess_task(values) == (task, reason)


def test_load_csv_task_overrides_the_guess(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i % 30}\n" for i in range(60)))
    guessed = datasets.load_csv(path, target="y")
    assert guessed.target_names is None and guessed.y.dtype == np.float64  # 30 integers
    classes = datasets.load_csv(path, target="y", task="classification")
    assert classes.target_names == tuple(str(k) for k in range(30))
    assert classes.y.tolist() == [i % 30 for i in range(60)]
    path.write_text("x,y\n1,3\n2,1.0\n3,1\n4,0.5\n")
    few = datasets.load_csv(path, target="y", task="classification")
    assert few.target_names == ("0.5", "1", "3") and few.y.tolist() == [2, 1, 1, 0]
    path.write_text("x,y\n1,a\n2,b\n")
    with pytest.raises(ValueError, match=r"line 2, column 'y': 'a' is not a number \(a "
                                         r"regression target must be numeric\)"):
        datasets.load_csv(path, target="y", task="regression")
    with pytest.raises(ValueError, match="task: expected one of"):
        datasets.load_csv(path, target="y", task="clustering")


@pytest.mark.parametrize("text, target, match", [
    ("a,b\n1,2\n", "c", "no column 'c'"),
    ("a,b\n1,2,3\n", "b", "line 2 has 3 fields"),
    ("a,b\n1,2\nx,2\n", "b", r"bad\.csv: line 3, column 'a': 'x' is not a number"),
    ("a,b\n1,2\n\n , 3\n", "b", r"bad\.csv: line 4, column 'a': empty cell, expected a number"),
    ("a,b\n1,\n", "b", r"bad\.csv: line 2, column 'b': empty cell"),
    ("a,b\n", "b", "no data rows"),
    ("", "b", "empty file"),
    ("a,b\n1,1\n2,1\nnan,1\n", "b", r"line 4, column 'a': 'nan' is NaN or infinite"),
    ("a,b,a,c,c\n1,2,3,4,5\n", "b", r"duplicate column names \['a', 'c'\]"),
], ids=["no-target", "ragged", "text-feature", "empty-feature-cell", "empty-target-cell",
        "no-rows", "empty", "nan", "duplicate-names"])
def test_load_csv_errors(tmp_path, text, target, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        datasets.load_csv(path, target=target)


@pytest.mark.parametrize("content, match", [
    ("a,y\n1,0\n\n" + "2" * 140_000 + ",1\n", r"bad\.csv: line 4: field larger than field limit"),
    (b"a,y\n1,0\n\xff\xfe,1\n", r"bad\.csv: not UTF-8 text"),
], ids=["field-over-csv-limit", "not-utf8"])
def test_load_csv_unreadable_files_name_the_file(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(ValueError, match=match):
        datasets.load_csv(path, target="y")


def test_load_csv_reads_utf8_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffa,y\n1,0\n2,1\n".encode())
    data = datasets.load_csv(path, target="y")
    assert data.feature_names == ("a",) and data.X[:, 0].tolist() == [1.0, 2.0]


def test_stratified_split_keeps_proportions_and_is_seeded():
    y = np.repeat([0, 1, 2], [40, 20, 12])
    X = np.arange(y.size * 2, dtype=float).reshape(-1, 2)
    Xtr, Xte, ytr, yte = datasets.train_test_split(X, y, 0.25, stratify=y, seed=0)
    assert np.bincount(yte).tolist() == [10, 5, 3]
    assert sorted(np.concatenate([Xtr[:, 0], Xte[:, 0]])) == sorted(X[:, 0])
    assert all(y[int(x) // 2] == label for x, label in zip(Xtr[:, 0], ytr))  # rows kept whole
    assert all(y[int(x) // 2] == label for x, label in zip(Xte[:, 0], yte))
    again = datasets.train_test_split(X, y, 0.25, stratify=y, seed=0)
    np.testing.assert_array_equal(again[1], Xte)
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, y, 1.0)
    with pytest.raises(ValueError, match="stratify"):
        datasets.train_test_split(X, y, 0.5, stratify=y[:-1])


def test_scaler_uses_training_statistics_only():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    scaler = datasets.StandardScaler().fit(train)
    np.testing.assert_array_equal(scaler.mean_, [2.0, 5.0])
    np.testing.assert_array_equal(scaler.scale_, [1.0, 1.0])  # constant column: scale 1
    np.testing.assert_array_equal(scaler.transform([[4.0, 6.0]]), [[2.0, 1.0]])
    with pytest.raises(ValueError, match="expected 2 features"):
        scaler.transform([[1.0]])
    with pytest.raises(ValueError, match="call fit"):
        datasets.StandardScaler().transform(train)


def test_accuracy_reads_labels_scores_and_probabilities():
    assert datasets.accuracy([0, 2, 1], np.array([[0.9, 0, 0.1], [0, 0.2, 0.8],
                                                  [0.5, 0.1, 0.4]])) == pytest.approx(2 / 3)
    assert datasets.accuracy(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]])) == 0.5
    assert datasets.accuracy([1, 1], [1, 1]) == 1.0
    assert datasets.accuracy(["cat", "dog"], ["cat", "cat"]) == 0.5
    assert datasets.accuracy([1.0, 0.0], [[0.2], [0.1]]) == 0.5  # float labels 0/1
    assert datasets.accuracy(np.eye(3), [0, 1, 1]) == pytest.approx(2 / 3)
    # a one-output model's column is P(class 1), not a score to take the arg-max of (which
    # would make every prediction class 0): both samples are predicted 1, both are 0
    assert datasets.accuracy([0, 0], [[1.0], [1.0]]) == 0.0
    assert datasets.accuracy([1, 1], [[1.0], [1.0]]) == 1.0
    with pytest.raises(ValueError, match="same number"):
        datasets.accuracy([1, 0], [1])


@pytest.mark.parametrize("y_true, y_pred, match", [
    ([0, 3], [[0.2], [0.9]], r"y_true: labels must be 0 or 1 .* one column of probabilities"),
    ([0, 1], [[0.2], [1.9]], r"y_pred: one column holds probabilities of class 1, expected "
                             r"values in \[0, 1\], got values in \[0.2, 1.9\]"),
    ([[0.5], [-1.0]], [[0.2], [0.9]], r"y_true: one column holds probabilities"),
    ([0, 0.5], [[0.1, 0.9], [0.8, 0.2]], r"y_true: labels must be 0 or 1 .* scores for 2"),
    ([0, 4], np.eye(3)[:2], r"y_true: labels must be integers in \[0, 3\)"),
    (["a", "b"], np.eye(3)[:2], r"y_true: labels must be integers in \[0, 3\).* dtype <U1"),
    (np.eye(3)[:2], np.eye(4)[:2], r"y_true, y_pred: scores for 3 classes and scores for 4"),
    ([0, 1], [[0.2, np.nan], [0.3, 0.1]], r"y_pred: expected finite real scores"),
    ([0, 1], np.zeros((2, 2, 2)), r"y_pred: expected labels \(n,\) or scores \(n, k\)"),
], ids=["labels-beside-probabilities", "probabilities-out-of-range", "true-column-out-of-range",
        "fractional-labels", "label-beyond-classes", "text-labels-beside-scores",
        "different-classes", "nan-scores", "3-d"])
def test_accuracy_refuses_inputs_that_are_not_classes(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        datasets.accuracy(y_true, y_pred)


def test_read_csv_table_columns_by_name_or_position(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,x,label\nA7,1.5,1\n\nB2, 2 ,1.0\nC9,3,2\n")
    table = datasets.read_csv(path)
    assert table.columns == ("id", "x", "label") and table.lines == [2, 4, 5]
    np.testing.assert_array_equal(table.numeric(["label", "x"]), [[1, 1.5], [1, 2], [2, 3]])
    y, names = table.classes("label")
    assert names == ("1", "2") and y.tolist() == [0, 0, 1]  # "1" and "1.0": one class
    assert table.classes("id")[1] == ("A7", "B2", "C9")
    with pytest.raises(ValueError, match=r"t\.csv: line 2, column 'id': 'A7' is not a number"):
        table.numeric()
    path.write_text("1,2\n3,4\n")
    bare = datasets.read_csv(path, header=False)
    assert bare.columns == ("column 1", "column 2")
    np.testing.assert_array_equal(bare.numeric(), [[1, 2], [3, 4]])
    path.write_text("1,2\n3\n")
    with pytest.raises(ValueError, match="line 2 has 1 fields, line 1 2"):
        datasets.read_csv(path, header=False)
