"""Measuring one engine on one problem: time per gradient, peak extra memory, gradient
errors against the oracle, and the log-log slope of a scaling curve."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._blas import limit_blas
from ..gradcheck import block_relative_error
from ..network import Network

T = TypeVar("T")


def one_blas_thread() -> AbstractContextManager[str]:
    """Hold BLAS to one thread (the library's one limiter); yields a note saying so.

    A multithreaded BLAS on a busy machine turns a 0.2 ms GEMM into a 30 ms one while its
    threads wait for a core, which would measure the machine, not the engine.

    Returns
    -------
    context manager
        Entering it yields the note (str).
    """
    return limit_blas(1)


def time_per_call(call: Callable[[], T], budget: float,
                  max_repeats: int = 25) -> tuple[float, int, T]:
    """Median seconds of ``call()`` over repeats fitting in ``budget`` seconds.

    One untimed warm-up call first (caches, workspaces, lazily built code). Then calls
    repeat until ``max_repeats`` or until the next one would overrun ``budget``, with at
    least one timed call.

    Parameters
    ----------
    call : callable
        Called with no arguments.
    budget : float
        Seconds the timed calls may take together.
    max_repeats : int
        Most timed calls.

    Returns
    -------
    seconds : float
        Median over the timed calls.
    repeats : int
        Number of timed calls.
    result : object
        What the last call returned.
    """
    result = call()
    times: list[float] = []
    spent = 0.0
    while len(times) < max_repeats:
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        if spent + times[-1] > budget:
            break
    return float(np.median(times)), len(times), result


def peak_python_bytes(call: Callable[[], object]) -> int:
    """Peak bytes of Python (and numpy) allocations made during one ``call()``.

    C-level scratch (malloc in the kernels) is invisible to tracemalloc; callers add the
    engine's own ``scratch_bytes``.

    Parameters
    ----------
    call : callable
        Called once, with no arguments.

    Returns
    -------
    int
        The peak, in bytes.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def scratch_bytes(engine: object, net: Network, n_samples: int) -> int | None:
    """The engine's own C scratch for one call (its ``scratch_bytes``), or None when the
    engine cannot say (the oracle, peers).

    Parameters
    ----------
    engine : Engine or peer
        What computes the gradient.
    net : Network
        The problem's network.
    n_samples : int
        Samples per call.

    Returns
    -------
    int or None
        The bytes.
    """
    method = getattr(engine, "scratch_bytes", None)
    size = None if method is None else method(net.architecture, n_samples)
    return None if size is None else int(size)


def gradient_errors(net: Network, grad: ArrayLike,
                    ref: NDArray[np.floating[Any]]) -> tuple[float, float]:
    """(max absolute, max relative) error of ``grad`` against the oracle's ``ref``, relative
    errors as ``tg.gradcheck`` defines them (per ws/bs block).

    Parameters
    ----------
    net : Network
        Whose architecture's blocks scale the relative errors.
    grad : array_like of shape (n_params,)
        The gradient measured.
    ref : ndarray of shape (n_params,)
        The oracle's gradient.

    Returns
    -------
    max_abs_error, max_rel_error : float
        The largest errors over all parameters.
    """
    grad = np.asarray(grad, dtype=np.float64)
    abs_err = np.abs(grad - ref)
    return (float(abs_err.max()),
            float(block_relative_error(net.architecture, grad, ref).max()))


def loglog_slope(sizes: Sequence[float], seconds: Sequence[float]) -> float | None:
    """Least-squares slope of log(seconds) against log(sizes).

    Parameters
    ----------
    sizes, seconds : sequence of positive float
        At least two points with at least two distinct sizes.

    Returns
    -------
    float or None
        The exponent k of seconds ~ c * size**k; None with fewer than two distinct sizes.

    Raises
    ------
    ValueError
        When the lengths differ or a value is not positive and finite.
    """
    x = np.asarray(sizes, dtype=float)
    y = np.asarray(seconds, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"sizes, seconds: expected two 1-D sequences of one length, got "
                         f"shapes {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(x > 0)
            and np.all(y > 0)):
        raise ValueError("sizes, seconds: expected positive finite values")
    if np.unique(x).size < 2:
        return None
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
