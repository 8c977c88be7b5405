"""How many cores one forward or backward pass may use: ``set_num_threads``.

A pass over a large batch spends its time in two kinds of work, and both can use several
cores: the GEMMs (SciPy's BLAS, with its own thread pool) and the elementwise work
(activations and their derivatives, split into contiguous chunks over OpenMP threads).
The default lets each decide by size: OpenBLAS threads a GEMM only when it is large, and an
elementwise block takes one more thread per 262,144 elements (about half a millisecond of
sigmoids), up to all cores: a thread woken for less work lost more than it gained here
whenever another process held the core it needed (a 64-128-128-10 gradient of 256 samples
took 84 ms instead of 1.2 ms with two threads per block on a busy 2-core host). With
``set_num_threads(n)`` a block takes one more thread per 16,384 elements, up to ``n``.
Reproducibility: every element of the elementwise work is computed alone, so its result
does not depend on the thread count (tests/test_threads.py checks it bit for bit with BLAS
held to one thread). OpenBLAS's GEMMs do depend on it for some shapes: with two threads
instead of one, a 1024 x 784 by 784 x 256 product differed in the last bits (7e-14 at most,
measured here), so results are bit for bit the same for the same BLAS thread count.
"""

from __future__ import annotations

import threading

from ._blas import set_blas_threads
from ._checks import check_number
from ._kernels import _mlp

#: Most threads ``set_num_threads`` accepts.
MAX_THREADS = 256

_lock = threading.Lock()
_setting: int | None = None


def set_num_threads(n: int | None) -> None:
    """Set how many threads one pass over a batch may use.

    Parameters
    ----------
    n : int or None
        1 to ``MAX_THREADS`` (256): the elementwise work of a pass uses at most ``n``
        OpenMP threads, and SciPy's BLAS (the one TensorGen's kernels call; NumPy's own is
        left alone) at most ``n``. None (the default): each picks by size (see the module
        docstring), and BLAS goes back to its own setting.

    Raises
    ------
    TypeError, ValueError
        ``n`` not None nor an int in [1, 256].

    Notes
    -----
    This is process-wide, like BLAS's own setting. The finite-difference sweep holds BLAS
    to one thread while it runs whatever this says (its threads are the sweep's own).
    """
    global _setting
    if n is not None:
        n = check_number(n, "n", 1, MAX_THREADS, integer=True)
    with _lock:
        set_blas_threads(n)
        _mlp.set_threads(0 if n is None else n)
        _setting = n


def get_num_threads() -> int | None:
    """The setting of ``set_num_threads`` (None: by size).

    Returns
    -------
    int or None
    """
    return _setting
