"""Data sets: the paper's truth tables."""

import numpy as np
from numpy.typing import NDArray

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
