"""Data: the paper's truth tables, scikit-learn's bundled data sets, a CSV loader, and the
usual helpers (stratified split, standard scaler, accuracy). Nothing is downloaded."""

import csv
import importlib
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._checks import check_number
from .functions import check_choice

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
    Y : ndarray of shape (4, 1), float64
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

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    target_names: tuple | None


def _sklearn_dataset(loader):
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


def load_digits():
    """8x8 handwritten digits: 1797 samples, 64 features (0..16), 10 classes."""
    return _sklearn_dataset("load_digits")


def load_iris():
    """Iris flowers: 150 samples, 4 features, 3 classes."""
    return _sklearn_dataset("load_iris")


def load_breast_cancer():
    """Wisconsin breast cancer: 569 samples, 30 features, 2 classes."""
    return _sklearn_dataset("load_breast_cancer")


def load_csv(path, target=None, delimiter=","):
    """Read a CSV file with a header row; the column named ``target`` is the target.

    Parameters
    ----------
    path : str or path-like
    target : str or None
        Name of the target column; None when the file has only features (``y`` is then
        None).
    delimiter : str

    Returns
    -------
    Dataset
        Every other column is a numeric feature. A target whose values are all integers
        becomes class labels 0..k-1 (``target_names`` the original values); text values
        become class labels in sorted order; other numbers are a regression target
        (``target_names`` None).

    Raises
    ------
    ValueError
        Duplicate column names, missing target column, a row of the wrong length, a
        non-numeric feature, no rows (each naming the line or column).
    """
    rows = _read_rows(path, delimiter)
    if not rows:
        raise ValueError(f"{path}: empty file, expected a header row")
    header = [h.strip() for h in rows[0]]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        # a model finds its feature columns by name: two columns of one name are ambiguous
        raise ValueError(f"{path}: duplicate column names {repeated} in the header; every "
                         "column needs its own name")
    if target is not None and target not in header:
        raise ValueError(f"target: no column {target!r} in {path} (columns: {header})")
    body = []
    for line, r in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in r):
            continue  # blank line
        if len(r) != len(header):
            raise ValueError(f"{path}: line {line} has {len(r)} fields, the header "
                             f"{len(header)}")
        body.append(r)
    if not body:
        raise ValueError(f"{path}: no data rows after the header")
    t = None if target is None else header.index(target)
    features = [i for i in range(len(header)) if i != t]
    X = np.empty((len(body), len(features)))
    for j, i in enumerate(features):
        try:
            X[:, j] = [float(r[i]) for r in body]
        except ValueError:
            raise ValueError(f"{path}: column {header[i]!r} is not numeric") from None
    if not np.isfinite(X).all():
        raise ValueError(f"{path}: the features contain NaN or infinity")
    y, names = (None, None) if t is None else _encode_target([r[t].strip() for r in body])
    return Dataset(X, y, tuple(header[i] for i in features), names)


def _read_rows(path, delimiter):
    """Every row of the file as lists of strings; csv and decoding errors become a
    ValueError naming the file (and the line, where csv knows it)."""
    # utf-8-sig: UTF-8, with or without the byte-order mark spreadsheets write
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            return list(reader)
        except csv.Error as exc:  # e.g. a field over csv's limit of 131,072 characters
            raise ValueError(f"{path}: line {reader.line_num}: {exc} (is the delimiter "
                             f"{delimiter!r} right? is a quote left open?)") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc.reason}); save it as a UTF-8 "
                             "CSV file") from None


def _encode_target(values):
    try:
        numbers = np.array([float(v) for v in values])
    except ValueError:
        numbers = None
    if numbers is not None and not (np.isfinite(numbers).all()
                                    and (numbers == np.round(numbers)).all()):
        if not np.isfinite(numbers).all():
            raise ValueError("target: contains NaN or infinity")
        return numbers, None
    keys = np.unique(numbers) if numbers is not None else sorted(set(values))
    classes = numbers if numbers is not None else np.array(values)
    labels = np.searchsorted(np.asarray(keys), classes).astype(np.int64)
    names = tuple(f"{k:g}" if numbers is not None else str(k) for k in keys)
    return labels, names


# ---- helpers ----

def train_test_split(X, y, test_size=0.25, stratify=None, seed=None):
    """Split samples into a training and a test part.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
    y : array_like of shape (n_samples, ...)
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
    test = []
    for idx in groups:
        idx = rng.permutation(idx)
        k = round(test_size * idx.size)
        if idx.size >= 2:
            k = min(max(k, 1), idx.size - 1)
        test.append(idx[:k])
    test = rng.permutation(np.concatenate(test))
    train = rng.permutation(np.setdiff1d(np.arange(X.shape[0]), test))
    if test.size == 0 or train.size == 0:
        raise ValueError(f"test_size: {test_size} leaves one part empty for "
                         f"{X.shape[0]} samples")
    return X[train], X[test], y[train], y[test]


class StandardScaler:
    """Centre each feature and scale it to unit variance, with statistics of the data
    passed to ``fit`` only (the training part).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Feature means and standard deviations (a zero deviation is stored as 1).
    """

    def __init__(self, mean=None, scale=None):
        self.mean_ = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale_ = None if scale is None else np.asarray(scale, dtype=np.float64)

    def fit(self, X):
        """Learn the means and deviations of X (n_samples, n_features); returns self."""
        X = _features(X, "X")
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        """``(X - mean_) / scale_`` as a new float64 array."""
        if self.mean_ is None:
            raise ValueError("StandardScaler: call fit before transform")
        X = _features(X, "X")
        if X.shape[1] != self.mean_.size:
            raise ValueError(f"X: expected {self.mean_.size} features, got {X.shape[1]}")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X):
        """fit(X) then transform(X)."""
        return self.fit(X).transform(X)


def _features(X, name):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got shape "
                         f"{X.shape}")
    return X


def accuracy(y_true, y_pred):
    """Fraction of samples whose predicted class is the true one.

    Parameters
    ----------
    y_true, y_pred : array_like
        Either class labels (n_samples,), one-hot rows or class scores (n_samples, k) --
        the class is the arg-max -- or one column of probabilities (n_samples, 1), read as
        class 1 when >= 0.5.

    Returns
    -------
    float
    """
    t, p = _classes(y_true, "y_true"), _classes(y_pred, "y_pred")
    if t.shape != p.shape or t.size == 0:
        raise ValueError(f"y_true, y_pred: expected the same number (>= 1) of samples, got "
                         f"{t.size} and {p.size}")
    return float(np.mean(t == p))


def _classes(y, name):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        return (y[:, 0] >= 0.5).astype(np.int64)
    if y.ndim == 2:
        return np.argmax(y, axis=1)
    if y.ndim == 1:
        return y
    raise ValueError(f"{name}: expected labels (n,) or scores (n, k), got shape {y.shape}")
