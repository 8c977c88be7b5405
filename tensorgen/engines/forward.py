"""Forward-mode automatic differentiation: tangents pushed through the network in
blocks of parameter directions, by a parallel Cython kernel; and ``jvp``, one
directional derivative."""

from __future__ import annotations

import contextlib

import numpy as np

from .._blas import limit_blas
from .._checks import ReadOnlyOptions, check_number
from .._kernels import _forward, _mlp
from ..architecture import Architecture
from .base import Engine, FloatArray

#: Most threads a sweep may be asked for.
MAX_THREADS: int = _forward.MAX_THREADS
#: Largest block of parameter directions pushed together.
MAX_BLOCK: int = _forward.MAX_BLOCK
#: Tangent bytes (two blocks) the default block aims at: about a core's L2 cache. Larger
#: blocks make larger GEMMs but spill the tangents out of the cache; on 64-32-32-10 with
#: 256 samples blocks of 1 to 4 directions ran fastest, 16 to 128 1.5-2x slower.
BLOCK_BYTES = 256 * 1024
#: Largest default block (small networks and batches).
DEFAULT_MAX_BLOCK = 64


def default_block(architecture: Architecture, n_samples: int) -> int:
    """The block ``Forward(block=None)`` uses: as many directions as keep two tangent
    blocks within BLOCK_BYTES, at least 1 and at most DEFAULT_MAX_BLOCK.

    Parameters
    ----------
    architecture : Architecture
        The network's description.
    n_samples : int
        Samples in the batch (>= 1).

    Returns
    -------
    int
        Parameter directions per block.
    """
    width = max(architecture.layers[1:])
    per_direction = 2 * n_samples * width * architecture.numpy_dtype.itemsize
    return max(1, min(DEFAULT_MAX_BLOCK, BLOCK_BYTES // per_direction))


class Forward(ReadOnlyOptions, Engine):
    """Forward-mode AD: the exact gradient from one tangent per parameter.

    The tangent of a parameter is the derivative of every layer's pre-activations along
    that parameter's direction. A parameter of layer l leaves the layers before it
    unchanged (their tangent is zero and is not computed) and moves one column of Z_l, so
    layer l + 1 gets a rank-one tangent; from there the tangents of a block of
    parameters are pushed through the later layers together, one GEMM per layer, and
    each one's pairing with the loss's derivative is a derivative of the cost.

    Parameters
    ----------
    n_threads : int or None
        Threads sweeping the blocks, 1 to ``MAX_THREADS`` (256); ``None`` uses all cores
        (OpenMP's default, capped at the same ceiling). The result is bitwise the same
        for any thread count. Sweeps too small to share (under about 4096 parameter-sample
        pairs per thread) use fewer threads, and without OpenMP there is one.
    block : int or None
        Parameter directions pushed together, 1 to ``MAX_BLOCK`` (4096); a block holds
        parameters of one layer only. ``None`` (default): as many as keep a thread's two
        tangent blocks (``2 * block * n_samples * max width`` values) within 256 KiB,
        between 1 and 64. The result depends on the block (the GEMMs' shapes), never on
        the thread count.

    Notes
    -----
    Cost: one forward pass, then for each parameter of layer l a rank-one product into
    layer l + 1 and a push through layers l + 2 onwards: about P forward passes of the
    network's tail, where P is the number of parameters (reverse mode needs about three
    forward passes in all). ``params`` are only read. While a sweep whose products are
    large enough for BLAS runs, BLAS is held to one thread (its threads would take the
    sweep's cores). The options are read-only once checked. ``fit`` runs this engine
    through its Python loop (no compiled form: the sweep's threads and BLAS's limit are
    set per call).
    """

    name = "forward"
    dtypes = ("float64", "float32")

    def __init__(self, n_threads: int | None = None, block: int | None = None) -> None:
        self.n_threads: int | None = (None if n_threads is None else check_number(
            n_threads, "n_threads", 1, MAX_THREADS, integer=True))
        self.block: int | None = (None if block is None else check_number(
            block, "block", 1, MAX_BLOCK, integer=True))
        self._seal()

    def _block(self, architecture: Architecture, n_samples: int) -> int:
        return self.block or default_block(architecture, n_samples)

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        plan = _mlp.plan_for(architecture)
        grad = np.empty(architecture.n_params, dtype=architecture.numpy_dtype)
        block = self._block(architecture, len(X))
        blas = _mlp.uses_blas(plan, block * len(X))
        with limit_blas(1) if blas else contextlib.nullcontext():
            cost = _forward.value_and_grad(plan, params, X, Y, grad, block,
                                           self.n_threads or 0)
        return cost, grad

    def scratch_bytes(self, architecture: Architecture, n_samples: int) -> int:
        """Bytes of scratch one ``value_and_grad`` call on ``n_samples`` samples needs:
        the forward pass (the calling thread's workspace, reused between calls), and per
        thread two blocks of tangents and the block's derivatives.

        Parameters
        ----------
        architecture : Architecture
            The network's description.
        n_samples : int
            Samples in the batch (>= 1).

        Returns
        -------
        int
            The bytes, for this engine's block and thread count.
        """
        n_samples = check_number(n_samples, "n_samples", 1, integer=True)
        size: int = _forward.sweep_scratch_bytes(
            _mlp.plan_for(architecture), n_samples, self._block(architecture, n_samples),
            self.n_threads or 0)
        return size

    def __repr__(self) -> str:
        return f"Forward(n_threads={self.n_threads!r}, block={self.block!r})"


def jvp(architecture: Architecture, params: FloatArray, X: FloatArray, Y: FloatArray,
        v: FloatArray) -> tuple[float, float]:
    """The cost and its derivative along ``v``: one forward pass carrying one tangent.

    Parameters
    ----------
    architecture : Architecture
        The network's description.
    params : ndarray of shape (architecture.n_params,)
        The parameters; read, never written.
    X, Y : ndarray
        A checked batch, as engines receive it (see ``Engine``).
    v : ndarray of shape (architecture.n_params,)
        The direction, of the architecture's dtype, laid out like ``params``.

    Returns
    -------
    cost : float
        The cost.
    derivative : float
        ``grad . v``, the derivative of the cost along ``v``.
    """
    cost, derivative = _forward.jvp(_mlp.plan_for(architecture), params, X, Y, v)
    return float(cost), float(derivative)
