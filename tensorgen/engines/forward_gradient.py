"""The forward gradient: an unbiased random estimate of the gradient from forward passes
alone, (1/K) sum_k (grad . v_k) v_k over K Gaussian directions v_k."""

from __future__ import annotations

import numpy as np

from .._checks import ReadOnlyOptions, check_number
from .._kernels import _forward_gradient, _mlp
from .._kernels._seam import GradientKernel
from ..architecture import Architecture
from .base import Engine, FloatArray

#: Most directions one estimate may average.
MAX_DIRECTIONS: int = _forward_gradient.MAX_DIRECTIONS


class ForwardGradient(ReadOnlyOptions, Engine):
    """The forward gradient (Baydin et al., 2022): ``(1/K) sum_k (g . v_k) v_k``.

    Each ``v_k`` is a vector of independent standard Gaussians, one per parameter, and
    ``g . v_k`` the cost's derivative along it, from one forward pass with a tangent
    (forward-mode AD, exact to rounding). For Gaussian directions ``E[(g . v) v] = g``:
    the estimate is unbiased, and its covariance is ``(g g^T + |g|^2 I) / K``, so its
    expected squared error is ``(P + 1) |g|^2 / K`` for P parameters. It costs one
    forward pass and K tangents, whatever P.

    Parameters
    ----------
    directions : int
        K, the directions averaged per estimate, 1 to ``MAX_DIRECTIONS`` (2**20).
    seed : int or None
        Key of the random stream: an int >= 0 (below 2**64), or None for a key drawn from
        the operating system's entropy at construction.

    Notes
    -----
    The stream is counter-based: direction k of estimate number c (counted from 0 over
    this object's life, every ``value_and_grad`` call and every step of a compiled
    ``fit`` loop advancing c by one) is a fixed function of (seed, c, k), drawn in C
    (``csrc/tg_random.h``). So a new engine with the same seed repeats the same
    sequence of estimates, call by call, whatever the network, the data or the thread
    (``calls`` tells the position, ``draw`` gives the directions of any estimate), and
    two calls on one engine never reuse directions. The values are bitwise the same on a
    given build and C library (they use its ``log``). A rejected call (bad data) draws
    nothing. An engine object may be shared by networks and threads; its counter
    advances atomically, so concurrent calls get distinct estimates (in an order the
    threads decide).

    ``exact`` is False: ``gradcheck`` reports the estimate's error against the oracle,
    which is of the order of ``sqrt((P + 1) / K)`` times the gradient's norm, not
    rounding. ``stochastic`` is True.
    """

    name = "forward_gradient"
    exact = False
    stochastic = True
    dtypes = ("float64", "float32")

    def __init__(self, directions: int = 1, seed: int | None = None) -> None:
        self.directions: int = check_number(directions, "directions", 1, MAX_DIRECTIONS,
                                            integer=True)
        self.seed: int | None = (None if seed is None else check_number(
            seed, "seed", 0, 2**64 - 1, integer=True))
        self._key: int = (int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
                          if self.seed is None else self.seed)
        self._counter = np.zeros(1, dtype=np.uint64)
        self._seal()

    @property
    def calls(self) -> int:
        """Estimates drawn so far: the next one is number ``calls`` of the stream."""
        return int(self._counter[0])

    def draw(self, n_params: int, call: int | None = None) -> FloatArray:
        """The directions of one estimate of this engine's stream.

        Parameters
        ----------
        n_params : int
            Parameters of the network (the directions' length), >= 1.
        call : int or None
            The estimate's number; None: the next one (``calls``). Drawing does not
            advance the stream.

        Returns
        -------
        ndarray of shape (directions, n_params), float64
            Row k is direction ``v_k`` (a float32 network uses it rounded to float32).

        Raises
        ------
        TypeError, ValueError
            For an ``n_params`` or ``call`` that is not an int in range.
        """
        n_params = check_number(n_params, "n_params", 1, 2**31 - 1, integer=True)
        call = self.calls if call is None else check_number(call, "call", 0, 2**64 - 1,
                                                            integer=True)
        out: FloatArray = _forward_gradient.draw(n_params, self.directions, self._key, call)
        return out

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        grad = np.empty(architecture.n_params, dtype=architecture.numpy_dtype)
        cost = _forward_gradient.value_and_grad(_mlp.plan_for(architecture), params, X, Y,
                                                grad, self.directions, self._key,
                                                self._counter)
        return cost, grad

    def fit_kernel(self, architecture: Architecture) -> GradientKernel:
        return _forward_gradient.ForwardGradientKernel(
            _mlp.plan_for(architecture), self.directions, self._key, self._counter)

    def scratch_bytes(self, architecture: Architecture, n_samples: int) -> int:
        """Bytes of scratch one ``value_and_grad`` call on ``n_samples`` samples needs:
        the forward pass (the calling thread's workspace), two blocks of tangents and
        the directions of a chunk of them (reused between calls).

        Parameters
        ----------
        architecture : Architecture
            The network's description.
        n_samples : int
            Samples in the batch (>= 1).

        Returns
        -------
        int
            The bytes.
        """
        n_samples = check_number(n_samples, "n_samples", 1, integer=True)
        primal, tangents = _forward_gradient.scratch_sizes(
            _mlp.plan_for(architecture), n_samples, self.directions)
        return int(primal + tangents)

    def __repr__(self) -> str:
        return f"ForwardGradient(directions={self.directions!r}, seed={self.seed!r})"
