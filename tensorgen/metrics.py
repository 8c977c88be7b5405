"""Metrics of predictions against targets (used by ``fit``'s validation and the CLI)."""

import numpy as np


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
