"""Data: the paper's truth tables, scikit-learn's bundled data sets, a CSV loader, and the
usual helpers (stratified split, standard scaler, accuracy). Nothing is downloaded."""

from __future__ import annotations

import csv
import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import check_choice, check_number
from .metrics import accuracy as accuracy  # (tg.datasets.accuracy, as before)

TRUTH_TABLES = {
    "xor": (0, 1, 1, 0),
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
}


def truth_table(name: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inputs and outputs of a two-input logic gate.

    Parameters
    ----------
    name : {"xor", "and", "or", "nand"}

    Returns
    -------
    X : ndarray of shape (4, 2), float64
        The four input pairs 00, 01, 10, 11.
    Y : ndarray of shape (4, 1), float64
        The gate's output for each pair.
    """
    check_choice(name, "name", TRUTH_TABLES)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array(TRUTH_TABLES[name], dtype=np.float64).reshape(4, 1)
    return X, Y


def xor() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The XOR truth table, the paper's case study.

    Returns
    -------
    X : ndarray of shape (4, 2), float64
        The four input pairs 00, 01, 10, 11.
    Y : ndarray of shape (4, 1), float64
        0, 1, 1, 0.
    """
    return truth_table("xor")


# ---- tabular data sets ----

class Dataset(NamedTuple):
    """A table of samples.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
        int64 class labels 0..k-1 for classification, float64 for regression.
    feature_names : tuple of str
    target_names : tuple of str or None
        Class names in label order (None for a numeric regression target).
    """

    X: NDArray[np.float64]
    y: NDArray[Any] | None
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...] | None


def _sklearn_dataset(loader: str) -> Dataset:
    try:
        module = importlib.import_module("sklearn.datasets")
    except ImportError:
        raise ImportError(
            f"{loader}() reads scikit-learn's bundled copy of the data set; install it with "
            "pip install 'tensorgen[datasets]' (or pip install scikit-learn)"
        ) from None
    bunch = getattr(module, loader)()
    return Dataset(np.ascontiguousarray(bunch.data, dtype=np.float64),
                   np.asarray(bunch.target, dtype=np.int64),
                   tuple(str(f) for f in bunch.feature_names),
                   tuple(str(t) for t in bunch.target_names))


def load_digits() -> Dataset:
    """8x8 handwritten digits: 1797 samples, 64 features (0..16), 10 classes.

    Returns
    -------
    Dataset
        scikit-learn's bundled copy, X as float64, y as int64 labels.

    Raises
    ------
    ImportError
        When scikit-learn is not installed.
    """
    return _sklearn_dataset("load_digits")


def load_iris() -> Dataset:
    """Iris flowers: 150 samples, 4 features, 3 classes.

    Returns
    -------
    Dataset
        scikit-learn's bundled copy, X as float64, y as int64 labels.

    Raises
    ------
    ImportError
        When scikit-learn is not installed.
    """
    return _sklearn_dataset("load_iris")


def load_breast_cancer() -> Dataset:
    """Wisconsin breast cancer: 569 samples, 30 features, 2 classes.

    Returns
    -------
    Dataset
        scikit-learn's bundled copy, X as float64, y as int64 labels.

    Raises
    ------
    ImportError
        When scikit-learn is not installed.
    """
    return _sklearn_dataset("load_breast_cancer")


# ---- CSV files ----

TASKS = ("classification", "regression")
# guess_task: integer targets with this many distinct values or fewer are class labels
MAX_GUESSED_CLASSES = 20


def load_csv(path: str | os.PathLike[str], target: str | None = None, delimiter: str = ",",
             task: str | None = None) -> Dataset:
    """Read a CSV file with a header row; the column named ``target`` is the target.

    Parameters
    ----------
    path : str or path-like
        A UTF-8 text file (a byte-order mark is allowed).
    target : str or None
        Name of the target column; None when the file has only features (``y`` is then
        None).
    delimiter : str
        The character between fields.
    task : {"classification", "regression"} or None
        What the target is. None (default): guessed by ``guess_task`` -- text labels, or
        integers with at most 20 distinct values, are classes; other numbers are a
        regression target.

    Returns
    -------
    Dataset
        Every other column is a numeric feature. Classification: ``y`` holds labels
        0..k-1 of the distinct values in sorted order (numbers by value), which
        ``target_names`` lists; regression: ``y`` holds the numbers, ``target_names`` is
        None.

    Raises
    ------
    ValueError
        Everything ``read_csv`` refuses; a missing target column; an empty cell, or one
        that is not a finite number, in a feature column or a regression target (naming
        the line, the column and the value).
    """
    return read_csv(path, delimiter).dataset(target, task)


def read_csv(path: str | os.PathLike[str], delimiter: str = ",", header: bool = True) -> Table:
    """Read the cells of a CSV file as text (``Table.numeric`` reads them as numbers).

    Parameters
    ----------
    path : str or path-like
        A UTF-8 text file (a byte-order mark is allowed). Blank lines are left out.
    delimiter : str
        The character between fields.
    header : bool
        Whether the first line names the columns; without a header they are named
        ``"column 1"``, ``"column 2"``, ...

    Returns
    -------
    Table
        The cells as text, with their file lines.

    Raises
    ------
    ValueError
        A file that is not UTF-8 text or not CSV (e.g. a field over csv's limit of 131,072
        characters), no header or no data rows, duplicate column names, a row with another
        number of fields than the first (each naming the file, and the line where there is
        one).
    """
    rows, lines = _read_rows(path, delimiter)
    if header:
        if not rows:
            raise ValueError(f"{path}: empty file, expected a header row")
        columns, first = tuple(cell.strip() for cell in rows.pop(0)), lines.pop(0)
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            # a model finds its feature columns by name: two columns of one name are ambiguous
            raise ValueError(f"{path}: duplicate column names {repeated} in the header; "
                             "every column needs its own name")
        shape = "the header"
    elif rows:
        columns, first = tuple(f"column {i}" for i in range(1, len(rows[0]) + 1)), lines[0]
        shape = f"line {first}"
    if not rows:
        raise ValueError(f"{path}: no data rows" + (" after the header" if header else ""))
    for row, line in zip(rows, lines):
        if len(row) != len(columns):
            raise ValueError(f"{path}: line {line} has {len(row)} fields, {shape} "
                             f"{len(columns)}")
    return Table(str(path), columns, rows, lines, header)


def _read_rows(path: str | os.PathLike[str],
               delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The file's non-blank rows (lists of str) and their line numbers; csv and decoding
    errors become a ValueError naming the file (and the line, where csv knows it)."""
    rows: list[list[str]] = []
    lines: list[int] = []
    # utf-8-sig: UTF-8, with or without the byte-order mark spreadsheets write
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
        except csv.Error as exc:  # e.g. a field over csv's limit of 131,072 characters
            raise ValueError(f"{path}: line {reader.line_num}: {exc} (is the delimiter "
                             f"{delimiter!r} right? is a quote left open?)") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc.reason}); save it as a UTF-8 "
                             "CSV file") from None
    return rows, lines


@dataclass(frozen=True)
class Table:
    """The cells of a CSV file as text, with the file line of each row (see ``read_csv``).

    Attributes
    ----------
    path : str
    columns : tuple of str
        Column names: the header row's, or ``"column 1"``, ``"column 2"``, ...
    rows : list of list of str
        The data rows, one cell per column.
    lines : list of int
        The file line of each row, for messages.
    header : bool
        Whether the column names come from a header row.
    """

    path: str
    columns: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]
    header: bool = True

    def index(self, name: str, what: str = "column") -> int:
        """Position of the column ``name``.

        Parameters
        ----------
        name : str
            A column name.
        what : str
            What the column is for, naming it in the message (e.g. ``"--target"``).

        Returns
        -------
        int
            Its index in ``columns``.

        Raises
        ------
        ValueError
            Naming ``what``, when there is no such column.
        """
        if "_positions" not in self.__dict__:  # a dict, not tuple.index: 100,000 columns
            self.__dict__["_positions"] = {c: i for i, c in enumerate(self.columns)}
        position: int | None = self.__dict__["_positions"].get(name)
        if position is None:
            raise ValueError(f"{what}: no column {name!r} in {self.path} (columns: "
                             f"{_shortlist(self.columns)})")
        return position

    def column(self, name: str) -> list[str]:
        """The cells of column ``name``, stripped of spaces, each non-empty.

        Parameters
        ----------
        name : str
            A column name.

        Returns
        -------
        list of str
            One cell per row.

        Raises
        ------
        ValueError
            When there is no such column, or an empty cell (naming its line).
        """
        i = self.index(name)
        cells = [row[i].strip() for row in self.rows]
        for cell, line in zip(cells, self.lines):
            if not cell:
                raise ValueError(f"{self._where(line, i)}: empty cell")
        return cells

    def numeric(self, names: Sequence[str] | None = None) -> NDArray[np.float64]:
        """Columns as numbers.

        Parameters
        ----------
        names : sequence of str, optional
            The columns, in this order; default every column.

        Returns
        -------
        ndarray of shape (n_rows, n_columns), float64
            The cells' values.

        Raises
        ------
        ValueError
            An empty cell or one that is not a finite number, naming the line, the column
            and the value.
        """
        index: Sequence[int] = (range(len(self.columns)) if names is None
                                else [self.index(n) for n in names])
        X = np.empty((len(self.rows), len(index)))
        for j, i in enumerate(index):
            try:
                X[:, j] = [float(row[i]) for row in self.rows]
            except ValueError:
                self._raise_not_a_number(i)
        bad = np.argwhere(~np.isfinite(X))
        if bad.size:
            r, j = bad[0]
            raise ValueError(f"{self._where(self.lines[r], index[j])}: "
                             f"{self.rows[r][index[j]].strip()!r} is NaN or infinite, "
                             "expected a finite number")
        return X

    def dataset(self, target: str | None = None, task: str | None = None) -> Dataset:
        """A Dataset: the column ``target`` as target, every other column a numeric
        feature.

        Parameters
        ----------
        target : str or None
            Name of the target column; None for features only (``y`` is then None).
        task : {"classification", "regression"} or None
            As in ``load_csv``.

        Returns
        -------
        Dataset
            As ``load_csv`` describes it.

        Raises
        ------
        ValueError
            As ``load_csv``.
        """
        if target is not None:
            self.index(target, "target")
        features = tuple(c for c in self.columns if c != target)
        X = self.numeric(features)
        y, names = (None, None) if target is None else self._target(target, task)
        return Dataset(X, y, features, names)

    def _target(self, name: str,
                task: str | None) -> tuple[NDArray[Any], tuple[str, ...] | None]:
        """(y, target_names) of the target column ``name`` (see ``load_csv``)."""
        if task is None:
            task, _ = guess_task(self.column(name))
        check_choice(task, "task", TASKS)
        if task == "regression":
            try:
                return self.numeric([name])[:, 0], None
            except ValueError as exc:
                raise ValueError(f"{exc} (a regression target must be numeric)") from None
        return self.classes(name)

    def classes(self, name: str) -> tuple[NDArray[np.int64], tuple[str, ...]]:
        """Column ``name`` as class labels.

        Parameters
        ----------
        name : str
            A column name.

        Returns
        -------
        y : ndarray of shape (n_rows,), int64
            Labels 0..k-1 of the distinct values in sorted order: numbers by value when
            every value is a number (then ``"1"`` and ``"1.0"`` are one class), else text.
        names : tuple of str
            The k classes, numbers written as integers where they are (``"1"``, ``"0.5"``).
        """
        values = self.column(name)
        numbers = _numbers(values)
        if numbers is not None and np.isfinite(numbers).all():
            keys, y = np.unique(numbers, return_inverse=True)
            names = tuple(str(int(k)) if k.is_integer() else repr(float(k)) for k in keys)
        else:
            keys, y = np.unique(np.array(values), return_inverse=True)
            names = tuple(str(k) for k in keys)
        return y.astype(np.int64), names

    def _where(self, line: int, i: int) -> str:
        column = f"column {self.columns[i]!r}" if self.header else f"column {i + 1}"
        return f"{self.path}: line {line}, {column}"

    def _raise_not_a_number(self, i: int) -> None:
        for row, line in zip(self.rows, self.lines):
            cell = row[i].strip()
            try:
                float(cell)
            except ValueError:
                what = f"{cell!r} is not a number" if cell else "empty cell, expected a number"
                if not self.header and line == self.lines[0]:
                    what += " (is this line a header?)"
                raise ValueError(f"{self._where(line, i)}: {what}") from None


def _shortlist(names: Sequence[str], shown: int = 8) -> str:
    """Names for a message: all of them, or the first few and how many there are."""
    if len(names) <= shown:
        return ", ".join(map(repr, names))
    return ", ".join(map(repr, names[:shown])) + f", ... ({len(names)} columns)"


def guess_task(values: Sequence[str]) -> tuple[str, str]:
    """Whether a target column looks like class labels or like a quantity.

    The rule: text labels, or integers with at most ``MAX_GUESSED_CLASSES`` (20) distinct
    values, are classes; any other numbers are a regression target.

    Parameters
    ----------
    values : sequence of str
        The target's cells.

    Returns
    -------
    task : {"classification", "regression"}
        The guess.
    reason : str
        Why, for a message: e.g. ``"3 distinct integer values (20 or fewer)"``.
    """
    numbers = _numbers(values)
    if numbers is None:
        text = next(v for v in values if _numbers([v]) is None)
        return "classification", f"text values such as {text!r}"
    integral = np.isfinite(numbers) & (numbers == np.round(numbers))
    if not integral.all():
        return "regression", f"non-integer values such as {values[int(np.argmin(integral))]!r}"
    k = np.unique(numbers).size
    if k <= MAX_GUESSED_CLASSES:
        return "classification", f"{k} distinct integer values ({MAX_GUESSED_CLASSES} or fewer)"
    return "regression", f"{k} distinct integer values (more than {MAX_GUESSED_CLASSES})"


def _numbers(values: Sequence[str]) -> NDArray[np.float64] | None:
    """The values as a float64 array, or None if one of them is not a number."""
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


# ---- helpers ----

def train_test_split(
    X: ArrayLike, y: ArrayLike, test_size: float = 0.25, stratify: ArrayLike | None = None,
    seed: int | None = None,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Split samples into a training and a test part.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
        Samples.
    y : array_like of shape (n_samples, ...)
        Their targets.
    test_size : float
        Fraction of the samples in the test part, in (0, 1).
    stratify : array_like of shape (n_samples,), optional
        Class labels: each class is split in the same proportion (rounded per class, at
        least one sample on each side for classes with two or more samples).
    seed : int or None
        Seed of the shuffle.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        The two parts of ``X`` and of ``y``, each in a random order.

    Raises
    ------
    ValueError
        Different numbers of samples (or fewer than two), a ``stratify`` of another
        shape, or a ``test_size`` that leaves one part empty.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[:1] != y.shape[:1] or X.shape[0] < 2:
        raise ValueError(f"X, y: expected the same number (>= 2) of samples, got "
                         f"{X.shape[:1]} and {y.shape[:1]}")
    test_size = check_number(test_size, "test_size", 0.0, 1.0, low_open=True, high_open=True)
    rng = np.random.default_rng(seed)
    if stratify is None:
        groups = [np.arange(X.shape[0])]
    else:
        stratify = np.asarray(stratify)
        if stratify.shape != (X.shape[0],):
            raise ValueError(f"stratify: expected shape ({X.shape[0]},), got {stratify.shape}")
        groups = [np.flatnonzero(stratify == c) for c in np.unique(stratify)]
    parts = []
    for idx in groups:
        idx = rng.permutation(idx)
        k = round(test_size * idx.size)
        if idx.size >= 2:
            k = min(max(k, 1), idx.size - 1)
        parts.append(idx[:k])
    test = rng.permutation(np.concatenate(parts))
    train = rng.permutation(np.setdiff1d(np.arange(X.shape[0]), test))
    if test.size == 0 or train.size == 0:
        raise ValueError(f"test_size: {test_size} leaves one part empty for "
                         f"{X.shape[0]} samples")
    return X[train], X[test], y[train], y[test]


class StandardScaler:
    """Centre each feature and scale it to unit variance, with statistics of the data
    passed to ``fit`` only (the training part).

    Parameters
    ----------
    mean, scale : array_like of shape (n_features,), optional
        Statistics learnt before (e.g. stored with a model); otherwise call ``fit``.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,) or None
        Feature means and standard deviations (a zero deviation is stored as 1); None
        until fitted.
    """

    def __init__(self, mean: ArrayLike | None = None, scale: ArrayLike | None = None) -> None:
        self.mean_ = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale_ = None if scale is None else np.asarray(scale, dtype=np.float64)

    def fit(self, X: ArrayLike) -> StandardScaler:
        """Learn the means and deviations of ``X``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training part.

        Returns
        -------
        StandardScaler
            ``self``.

        Raises
        ------
        ValueError
            When ``X`` is not a non-empty 2-D array.
        """
        X = _features(X, "X")
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """``(X - mean_) / scale_`` as a new float64 array.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples to scale.

        Returns
        -------
        ndarray of shape (n_samples, n_features), float64
            The scaled samples.

        Raises
        ------
        ValueError
            Before ``fit``, or for ``X`` of another number of features.
        """
        if self.mean_ is None or self.scale_ is None:
            raise ValueError("StandardScaler: call fit before transform")
        X = _features(X, "X")
        if X.shape[1] != self.mean_.size:
            raise ValueError(f"X: expected {self.mean_.size} features, got {X.shape[1]}")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """fit(X) then transform(X).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training part.

        Returns
        -------
        ndarray of shape (n_samples, n_features), float64
            ``X`` scaled by its own statistics.
        """
        return self.fit(X).transform(X)


def _features(X: ArrayLike, name: str) -> NDArray[np.float64]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got shape "
                         f"{X.shape}")
    return X
