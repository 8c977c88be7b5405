"""Finite differences: one perturbation per parameter, swept by a parallel Cython kernel."""

import contextlib
import os
import threading

import numpy as np

from .._checks import check_number
from .._kernels import _buildinfo, _finite, _mlp
from ..functions import check_choice
from .base import Engine

METHODS = {
    "central": _finite.CENTRAL,
    "fourth_order": _finite.FOURTH_ORDER,
    "complex": _finite.COMPLEX_STEP,
}
STEPS = {"relative": _finite.STEP_RELATIVE, "absolute": _finite.STEP_ABSOLUTE}
SWEEPS = ("cached", "naive")


def sweep_build():
    """The compiled sweep this machine runs: _finite_avx2 where it was built and the CPU
    runs AVX2 and FMA (not with $TENSORGEN_NO_AVX2 set), else the portable _finite."""
    if _buildinfo.cpu_avx2_fma() and not os.environ.get("TENSORGEN_NO_AVX2"):
        try:
            from .._kernels import _finite_avx2
        except ImportError:  # the compiler could not build it
            return _finite
        return _finite_avx2
    return _finite


_sweep = sweep_build()


class _OneBlasThread:
    """BLAS held to one thread while any sweep that calls it runs (threadpoolctl).

    The sweep's own threads share the cores; OpenBLAS's workers, left spinning after each
    GEMM of the unperturbed pass or of the naive sweep's passes, took them (64-32-32-10,
    256 samples, two sweep threads: the naive sweep 2.4x slower, the cached 1.14x). The
    limit is counted, so that sweeps running at once in several Python threads restore the
    user's setting only when the last one ends.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._controller = None  # made on first use (~10 ms: it scans the loaded libraries)
        self._limiter = None

    @contextlib.contextmanager
    def __call__(self):
        from threadpoolctl import ThreadpoolController

        with self._lock:
            if self._users == 0:
                self._controller = self._controller or ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._limiter.restore_original_limits()


_one_blas_thread = _OneBlasThread()

# Default steps: the error of a stencil of order k with step h is about
# h^k |f^(k+1)| + eps_mach |f| / h, smallest near h = eps_mach^(1 / (k + 1)) for unit scales.
# The complex step has no cancellation, so h only has to make h^2 negligible.
DEFAULT_EPS = {
    "central": np.finfo(float).eps ** (1 / 3),
    "fourth_order": np.finfo(float).eps ** (1 / 5),
    "complex": 1e-20,
}


class Finite(Engine):
    """Finite-difference gradient, one perturbation per parameter.

    Parameters
    ----------
    eps : float or None
        Step size (> 0, finite). With ``None`` (default) each parameter gets the step that
        balances truncation against round-off error: ``cbrt(machine eps) * max(|w|, 1)``
        (about 6e-6) for ``central``, ``machine eps ** (1/5) * max(|w|, 1)`` (about 7e-4)
        for ``fourth_order``, and ``h = 1e-20`` for ``complex``; ``step`` is then ignored.
    step : {"relative", "absolute"}
        How a given ``eps`` becomes the step ``h`` of a parameter ``w``: ``relative``
        perturbs ``w +- eps*|w|`` as the paper does, falling back to ``+- eps`` where ``w``
        is 0 (or ``eps*|w|`` underflows); ``absolute`` perturbs ``w +- eps``.
    method : {"central", "fourth_order", "complex"}
        ``central``: (f(w+h) - f(w-h)) / 2h, error O(h^2).
        ``fourth_order``: the five-point stencil (-f(w+2h) + 8 f(w+h) - 8 f(w-h) + f(w-2h))
        / 12h, error O(h^4).
        ``complex``: Im f(w + ih) / h from a forward pass in complex arithmetic (the same
        activation and loss definitions, instantiated for double complex in tg_math.h). It
        subtracts nothing, so it is exact to rounding even for h = 1e-20. relu and
        leaky_relu are not analytic at 0: their complex extension takes the branch from the
        real part, so away from the kink the result is the true derivative, and a unit
        sitting exactly at 0 contributes the derivative of the branch taken there (as the
        reverse engine does).
    n_threads : int or None
        Threads sweeping the parameters (>= 1); ``None`` uses all cores (OpenMP's default).
        The result is bitwise the same for any thread count. Sweeps too small to share
        (under about 4096 parameter-sample pairs per thread) use fewer threads, and without
        OpenMP there is one.
    sweep : {"cached", "naive"}
        ``cached`` (default) keeps one unperturbed forward pass: perturbing a parameter of
        layer l leaves the layers before it unchanged and moves one pre-activation of layer
        l, so only what that touches is recomputed. ``naive`` runs full forward passes per
        parameter (two for central, four for fourth order); it exists as the baseline for
        benchmarks and studies and supports the real stencils only.

    Notes
    -----
    ``net.params`` is only read: perturbations live in the pre-activations (cached sweep)
    or in per-thread copies of the parameters (naive sweep).
    """

    name = "finite"
    exact = False

    def __init__(self, eps=None, step="relative", method="central", n_threads=None,
                 sweep="cached"):
        self.method = check_choice(method, "method", METHODS)
        self.step = check_choice(step, "step", STEPS)
        self.sweep = check_choice(sweep, "sweep", SWEEPS)
        if self.sweep == "naive" and self.method == "complex":
            raise ValueError("sweep: 'naive' supports methods 'central' and 'fourth_order', "
                             "not 'complex'")
        self.eps = None if eps is None else check_number(eps, "eps", 0.0, low_open=True)
        self.n_threads = (None if n_threads is None
                          else check_number(n_threads, "n_threads", 1, integer=True))

    def _rule(self):
        """(step rule code, eps) the kernel applies to every parameter."""
        if self.eps is not None:
            return STEPS[self.step], self.eps
        if self.method == "complex":
            return _finite.STEP_ABSOLUTE, DEFAULT_EPS["complex"]
        return _finite.STEP_AUTO, DEFAULT_EPS[self.method]

    def value_and_grad(self, net, X, Y):
        grad = np.empty(net.n_params)
        rule, eps = self._rule()
        blas = _mlp.uses_blas(net._plan, len(X))
        with _one_blas_thread() if blas else contextlib.nullcontext():
            cost = _sweep.value_and_grad(
                net._plan, net.params, X, Y, grad, METHODS[self.method], rule, eps,
                self.sweep == "naive", self.n_threads or 0,
            )
        return cost, grad

    def scratch_bytes(self, net, n_samples):
        """Bytes of scratch one ``value_and_grad`` call on ``n_samples`` samples allocates.

        Shared: one unperturbed forward pass (pre-activations and activations). Per thread:
        a few rows (cached sweep) or a parameter copy and a whole forward pass (naive).
        """
        n_samples = check_number(n_samples, "n_samples", 1, integer=True)
        n_doubles, n_pointers, _ = _sweep.scratch_sizes(
            net._plan, n_samples, METHODS[self.method], self.sweep == "naive",
            self.n_threads or 0,
        )
        return n_doubles * np.dtype(np.float64).itemsize + n_pointers * np.dtype(np.intp).itemsize

    def __repr__(self):
        return (f"Finite(eps={self.eps!r}, step={self.step!r}, method={self.method!r}, "
                f"n_threads={self.n_threads!r}, sweep={self.sweep!r})")
