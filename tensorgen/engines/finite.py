"""Finite differences: one perturbation per parameter, swept by a parallel Cython kernel."""

from __future__ import annotations

import contextlib
import os
from types import ModuleType
from typing import Any

import numpy as np

from .._blas import limit_blas
from .._checks import ReadOnlyOptions, check_choice, check_number
from .._kernels import _buildinfo, _finite, _mlp
from .._mpi import Group
from ..architecture import Architecture
from .base import Engine, FloatArray

METHODS = {
    "central": _finite.CENTRAL,
    "fourth_order": _finite.FOURTH_ORDER,
    "complex": _finite.COMPLEX_STEP,
}
STEPS = {"relative": _finite.STEP_RELATIVE, "absolute": _finite.STEP_ABSOLUTE}
SWEEPS = ("cached", "naive")


def sweep_build() -> ModuleType:
    """The compiled sweep this machine runs: _finite_avx2 where it was built and the CPU
    runs AVX2 and FMA (not with $TENSORGEN_NO_AVX2 set), else the portable _finite.

    Returns
    -------
    module
        ``tensorgen._kernels._finite_avx2`` or ``tensorgen._kernels._finite``.
    """
    if _buildinfo.cpu_avx2_fma() and not os.environ.get("TENSORGEN_NO_AVX2"):
        try:
            from .._kernels import _finite_avx2
        except ImportError:  # the compiler could not build it
            return _finite
        return _finite_avx2
    return _finite


# Either build (a module object to mypy): both have the names of _kernels/_finite.pyi.
_sweep: Any = sweep_build()


# Default steps: the error of a stencil of order k with step h is about
# h^k |f^(k+1)| + eps_mach |f| / h, smallest near h = eps_mach^(1 / (k + 1)) for unit scales.
# The complex step has no cancellation, so h only has to make h^2 negligible.
DEFAULT_EPS = {
    "central": np.finfo(float).eps ** (1 / 3),
    "fourth_order": np.finfo(float).eps ** (1 / 5),
    "complex": 1e-20,
}
#: Range of eps: a real stencil's step below machine epsilon (relative to the weight)
#: moves nothing, and above 1 it is as large as the weight; the complex step has no
#: cancellation, so h may be tiny (down to where h * |x| would underflow).
EPS_RANGE = {"central": (np.finfo(float).eps, 1.0), "fourth_order": (np.finfo(float).eps, 1.0),
             "complex": (1e-150, 1.0)}
#: Most threads a sweep may be asked for.
MAX_THREADS: int = _finite.MAX_THREADS


class Finite(ReadOnlyOptions, Engine):
    """Finite-difference gradient, one perturbation per parameter.

    Parameters
    ----------
    eps : float or None
        Step size: in [machine epsilon, 1] (about [2.2e-16, 1]) for ``central`` and
        ``fourth_order``, in [1e-150, 1] for ``complex`` (outside it a difference cannot
        mean anything: the step moves nothing, or as much as the weight). With ``None``
        (default) each parameter gets the step that
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
        Threads sweeping the parameters, 1 to ``MAX_THREADS`` (256); ``None`` uses all
        cores (OpenMP's default, capped at the same ceiling).
        The result is bitwise the same for any thread count. Sweeps too small to share
        (under about 4096 parameter-sample pairs per thread) use fewer threads, and without
        OpenMP there is one.
    sweep : {"cached", "naive"}
        ``cached`` (default) keeps one unperturbed forward pass: perturbing a parameter of
        layer l leaves the layers before it unchanged and moves one pre-activation of layer
        l, so only what that touches is recomputed. ``naive`` runs full forward passes per
        parameter (two for central, four for fourth order); it exists as the baseline for
        benchmarks and studies and supports the real stencils only.
    comm : mpi4py.MPI.Comm, optional
        Shard the sweep over the ranks of ``comm``: every rank calls ``value_and_grad``
        with the same parameters and batch, differences a contiguous slice of the
        parameters (sizes differing by at most one), and an ``Allgatherv`` joins the
        slices, so every rank returns the whole gradient, bitwise the one process's
        (each derivative is computed alone). An error on any rank is raised on every
        rank. Give each rank its own cores (``n_threads``) when ranks share a machine.

    Notes
    -----
    ``params`` are only read: perturbations live in the pre-activations (cached sweep)
    or in per-thread copies of the parameters (naive sweep). While a sweep that calls BLAS
    runs, BLAS is held to one thread (its spinning workers took the sweep's cores). The
    options are read-only once checked.
    """

    name = "finite"
    exact = False

    def __init__(self, eps: float | None = None, step: str = "relative",
                 method: str = "central", n_threads: int | None = None,
                 sweep: str = "cached", comm: Any = None) -> None:
        self.method = check_choice(method, "method", METHODS)
        self.step = check_choice(step, "step", STEPS)
        self.sweep = check_choice(sweep, "sweep", SWEEPS)
        if self.sweep == "naive" and self.method == "complex":
            raise ValueError("sweep: 'naive' supports methods 'central' and 'fourth_order', "
                             "not 'complex'")
        self.eps: float | None = None if eps is None else check_number(
            eps, "eps", *EPS_RANGE[self.method])
        self.n_threads: int | None = (None if n_threads is None else check_number(
            n_threads, "n_threads", 1, MAX_THREADS, integer=True))
        self._group = Group(comm)
        self.comm = comm
        self._seal()

    def _rule(self) -> tuple[int, float]:
        """(step rule code, eps) the kernel applies to every parameter."""
        if self.eps is not None:
            return STEPS[self.step], self.eps
        if self.method == "complex":
            return _finite.STEP_ABSOLUTE, DEFAULT_EPS["complex"]
        return _finite.STEP_AUTO, DEFAULT_EPS[self.method]

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        plan = _mlp.plan_for(architecture)
        grad = np.empty(architecture.n_params)
        rule, eps = self._rule()
        blas = _mlp.uses_blas(plan, len(X))
        start, stop = self._group.split(architecture.n_params)  # (one process: all)
        with self._group.agreed(), limit_blas(1) if blas else contextlib.nullcontext():
            cost = _sweep.value_and_grad(
                plan, params, X, Y, grad, METHODS[self.method], rule, eps,
                self.sweep == "naive", self.n_threads or 0, start, stop,
            )
        self._group.join(grad, start, stop)
        return cost, grad

    def scratch_bytes(self, architecture: Architecture, n_samples: int) -> int:
        """Bytes of scratch one ``value_and_grad`` call on ``n_samples`` samples allocates.

        Shared: one unperturbed forward pass (pre-activations and activations). Per thread:
        a few rows (cached sweep) or a parameter copy and a whole forward pass (naive).

        Parameters
        ----------
        architecture : Architecture
            The network's description.
        n_samples : int
            Samples in the batch (>= 1).

        Returns
        -------
        int
            The bytes, for this engine's method, sweep and thread count.
        """
        n_samples = check_number(n_samples, "n_samples", 1, integer=True)
        n_doubles, n_pointers, _ = _sweep.scratch_sizes(
            _mlp.plan_for(architecture), n_samples, METHODS[self.method],
            self.sweep == "naive", self.n_threads or 0,
        )
        size: int = n_doubles * np.dtype(np.float64).itemsize + n_pointers * np.dtype(
            np.intp).itemsize
        return size

    def __repr__(self) -> str:
        return (f"Finite(eps={self.eps!r}, step={self.step!r}, method={self.method!r}, "
                f"n_threads={self.n_threads!r}, sweep={self.sweep!r}"
                + (")" if self.comm is None else f", comm={self.comm!r})"))
