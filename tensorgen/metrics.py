"""Metrics of predictions against targets (used by ``fit``'s validation and the CLI)."""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: For class scores: (number of classes, a description for messages).
_Scores = tuple[int, str]


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of samples whose predicted class is the true one.

    Parameters
    ----------
    y_true, y_pred : array_like
        Each either class labels (n_samples,), one-hot rows or class scores
        (n_samples, k) -- the class is the arg-max -- or one column of probabilities of
        class 1 (n_samples, 1), read as class 1 when >= 0.5.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        Naming the argument: a different number of samples; a column of probabilities
        outside [0, 1], or labels other than 0 and 1 beside one; labels that are not
        integers in [0, k) beside k class scores; scores for different numbers of classes;
        non-finite scores.
    """
    (t, t_scores), (p, p_scores) = _classes(y_true, "y_true"), _classes(y_pred, "y_pred")
    if t.shape != p.shape or t.size == 0:
        raise ValueError(f"y_true, y_pred: expected the same number (>= 1) of samples, got "
                         f"{t.size} and {p.size}")
    if t_scores and p_scores and t_scores[0] != p_scores[0]:
        raise ValueError(f"y_true, y_pred: {t_scores[1]} and {p_scores[1]}")
    _check_labels(t, "y_true", p_scores, "y_pred")
    _check_labels(p, "y_pred", t_scores, "y_true")
    return float(np.mean(t == p))


def _classes(y: ArrayLike, name: str) -> tuple[NDArray[Any], _Scores | None]:
    """The class of each sample, and for scores (number of classes, description)."""
    y = np.asarray(y)
    if y.ndim == 1:
        return y, None
    if y.ndim != 2:
        raise ValueError(f"{name}: expected labels (n,) or scores (n, k), got shape {y.shape}")
    if y.dtype.kind not in "biuf" or not np.isfinite(y).all():
        raise ValueError(f"{name}: expected finite real scores, got {_span(y)}")
    if y.shape[1] == 1:
        if not ((y >= 0) & (y <= 1)).all():
            raise ValueError(f"{name}: one column holds probabilities of class 1, expected "
                             f"values in [0, 1], got {_span(y)}")
        return (y[:, 0] >= 0.5).astype(np.int64), (2, "one column of probabilities")
    return np.argmax(y, axis=1), (y.shape[1], f"scores for {y.shape[1]} classes")


def _check_labels(labels: NDArray[Any], name: str, scores: _Scores | None,
                  other: str) -> None:
    """Labels compared with k classes' scores in ``other`` must be integers in [0, k)."""
    if scores is None:
        return
    k, what = scores
    if labels.dtype.kind in "biuf" and np.isin(labels, np.arange(k)).all():
        return
    allowed = "0 or 1" if k == 2 else f"integers in [0, {k})"
    raise ValueError(f"{name}: labels must be {allowed} to be compared with {what} in "
                     f"{other}, got {_span(labels)}")


def _span(y: NDArray[Any]) -> str:
    """A short description of an array's values, for messages."""
    if y.dtype.kind not in "biuf":
        return f"dtype {y.dtype}"
    return f"values in [{np.min(y)}, {np.max(y)}]" if y.size else "no values"
