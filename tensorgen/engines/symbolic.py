"""The symbolic engine: gradients derived by SymPy, generated as C, compiled and cached.

The pipeline lives in ``tensorgen._codegen`` (expressions -> emit -> build); this module
decides when to run it. A library is looked up, in order, in this engine's own table, in
the process-wide memo, in the on-disk cache, and only then built. Without a working C
compiler the same expressions run through ``sympy.lambdify`` instead.
"""

from __future__ import annotations

import ctypes
import numbers
import os
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .._checks import ReadOnlyOptions, check_number
from .._kernels import _symbolic
from ..architecture import Architecture
from .base import Engine, FloatArray

if TYPE_CHECKING:  # loaded on first use (SymPy is slow to import)
    from .._codegen.build import Compiler, Meta

#: Default limit of ``Symbolic(max_work=...)``: estimated work, in operations (see
#: ``tensorgen._codegen.expressions.estimate_work``).
DEFAULT_MAX_WORK = 500_000
#: A build predicted to take longer than this (seconds) warns first, with the prediction,
#: and shows its stages on a progress bar (on a terminal).
SLOW_BUILD_SECONDS = 5.0

# Fields of SymbolicReport stored with a cached library, and their types.
REPORTED = {"architecture": str, "cse": bool, "n_ops": int, "derive_seconds": float,
            "generate_seconds": float, "compile_seconds": float, "library_bytes": int}
# Built gradient functions by (cache dir, key) or, for the lambdify fallback,
# (architecture, cse): a second engine or Network of the same shape reuses them.
_MEMO: dict[tuple[object, ...], _Gradient] = {}
# One lock per memo key, held while that key is built: threads asking for the same key wait
# for one build, while other keys are built in parallel. _MEMO_LOCK guards the two dicts only.
_BUILDING: defaultdict[tuple[object, ...], threading.Lock] = defaultdict(threading.Lock)
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class SymbolicReport:
    """How the symbolic gradient of one architecture was made.

    Attributes
    ----------
    architecture : str
        e.g. ``"2-2-1 sigmoid/sigmoid mse"``.
    cse : bool
        Mode: shared subexpressions (True) or one expression per partial (False).
    n_ops : int
        ``sympy.count_ops`` of the generated expressions (steps, loss and gradient).
    derive_seconds, generate_seconds, compile_seconds : float
        Time to derive (build the expressions and differentiate), to generate (CSE, op
        count and code text) and to compile, measured when the library was built (also
        when it was later loaded from the cache).
    from_cache : bool
        The library was loaded from the on-disk cache, with no SymPy work in this process.
    backend : {"c", "lambdify"}
        Compiled C, or the numpy fallback used when no C compiler works.
    library_bytes : int
        Size of the shared library (0 for lambdify).
    """

    architecture: str
    cse: bool
    n_ops: int
    derive_seconds: float
    generate_seconds: float
    compile_seconds: float
    from_cache: bool
    backend: str
    library_bytes: int


class _Compiled:
    """The library's tg_batch, called by address from Cython with the GIL released."""

    def __init__(self, lib: ctypes.CDLL, arch: Architecture, report: SymbolicReport) -> None:
        self._lib = lib  # keeps the library loaded while its address is in use
        # (a NULL address, None to ctypes, would be refused by the kernel as 0)
        self._call = (ctypes.cast(lib.tg_batch, ctypes.c_void_p).value or 0, arch.n_params,
                      arch.n_inputs, arch.n_outputs)
        self.report = report

    def __call__(self, params: FloatArray, X: FloatArray,
                 Y: FloatArray) -> tuple[float, NDArray[np.float64]]:
        return _symbolic.value_and_grad(*self._call, params, X, Y)


class _Lambdified:
    def __init__(self, function: Callable[[FloatArray, FloatArray, FloatArray],
                                          tuple[float, NDArray[np.float64]]],
                 report: SymbolicReport) -> None:
        self._function = function
        self.report = report

    def __call__(self, params: FloatArray, X: FloatArray,
                 Y: FloatArray) -> tuple[float, NDArray[np.float64]]:
        return self._function(params, X, Y)


#: A built gradient function: f(params, X, Y) -> (cost, grad), with its ``report``.
_Gradient = _Compiled | _Lambdified


class Symbolic(ReadOnlyOptions, Engine):
    """Exact gradients derived by SymPy and compiled to C.

    SymPy differentiates the loss of one sample, written in symbols for the parameters,
    inputs and targets; the result is printed as C by SymPy, in functions of bounded size,
    compiled with a hand-written sample loop (csrc/tg_driver.c) into a shared library
    (``-O2``, and ``-march=native`` where the compiler has it), cached on disk, loaded with
    ctypes and called with no Python per sample. This happens once per architecture, on
    first use (or on ``report``).

    Parameters
    ----------
    cse : bool
        True (default): intermediate values are named per layer, so the derivation follows
        the network's graph, and common subexpressions are eliminated over the loss and all
        partials together. False: every partial derivative is its own expression (the naive
        way; expressions swell with depth and width).
    max_work : int or float
        Refuse (ValueError, before any SymPy work) to build when the estimated work exceeds
        this: operations of the expressions, plus a per-unit share with ``cse=True`` (see
        ``tensorgen._codegen.expressions.estimate_work``; ``report`` gives actual op
        counts). Build time grows linearly with it; the message gives the prediction.
        Default 500,000: about 6 minutes of build on the reference machine
        (docs/engine-symbolic.rst); with ``cse=True`` a 300-300-1 network (90,601
        parameters) or 20,000 one-unit layers, without it a 2-8-8-1 network.
    cache_dir : str or os.PathLike, optional
        Directory of compiled libraries. Default ``$TENSORGEN_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/tensorgen`` (``~/.cache/tensorgen``), created if missing. It must
        be a directory of yours, not writable by group or others: on first use, anything
        else is refused with a ValueError naming ``cache_dir`` (or ``TENSORGEN_CACHE_DIR``)
        and saying why.
    compiler : str or sequence of str, optional
        C compiler: a program, or a program and its arguments. Default ``$CC``, else ``cc``.
        Where it is missing or fails, the engine warns and uses ``sympy.lambdify``.
    """

    name = "symbolic"

    def __init__(self, cse: bool = True, max_work: float = DEFAULT_MAX_WORK,
                 cache_dir: str | os.PathLike[str] | None = None,
                 compiler: str | os.PathLike[str] | Sequence[str] | None = None) -> None:
        if not isinstance(cse, (bool, np.bool_)):
            raise TypeError(f"cse: expected True or False, got {cse!r}")
        if isinstance(max_work, bool) or not isinstance(max_work, numbers.Real):
            raise TypeError(f"max_work: expected a positive number, got {max_work!r}")
        if not max_work > 0:
            raise ValueError(f"max_work: expected a positive number, got {max_work!r}")
        if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
            raise TypeError(f"cache_dir: expected a path or None, got {cache_dir!r}")
        if cache_dir is not None and not os.fspath(cache_dir):
            raise ValueError("cache_dir: expected a directory, got an empty string")
        self.cse: bool = bool(cse)
        self.max_work: float = max_work
        self.cache_dir: str | os.PathLike[str] | None = cache_dir
        self.compiler: str | os.PathLike[str] | tuple[str, ...] | None = _check_compiler(
            compiler)
        self._by_shape: dict[Architecture, _Gradient] = {}
        self._last: tuple[Architecture | None, _Gradient | None] = (None, None)
        self._seal()

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        return self._gradient(architecture)(params, X, Y)

    def report(self, architecture: Architecture) -> SymbolicReport:
        """SymbolicReport for ``architecture`` (building its library if needed).

        Parameters
        ----------
        architecture : Architecture
            E.g. ``net.architecture``.

        Returns
        -------
        SymbolicReport
            How its gradient was made: op count, times, backend, library size.

        Raises
        ------
        TypeError
            When ``architecture`` is not an Architecture.
        ValueError
            When the build is refused: its estimated work exceeds ``max_work``, its
            expressions nest too deeply for SymPy, or ``cache_dir`` is not a private
            directory of yours.
        """
        return self._gradient(architecture).report

    def estimate(self, architecture: Architecture) -> tuple[int, float]:
        """Predicted cost of building ``architecture``'s gradient, before any SymPy work.

        Parameters
        ----------
        architecture : Architecture
            E.g. ``net.architecture``.

        Returns
        -------
        work : int
            Estimated operations of work (what ``max_work`` bounds).
        seconds : float
            Predicted seconds to derive, generate and compile on the reference machine
            (docs/engine-symbolic.rst), from a fit to measured builds that leaves out
            SymPy's one-off warm-up. A cached library loads in milliseconds instead.

        Raises
        ------
        TypeError
            When ``architecture`` is not an Architecture.
        """
        from .._codegen import expressions

        _check_architecture(architecture)
        work = expressions.estimate_work(architecture, self.cse)
        return work, expressions.predicted_seconds(work, self.cse)

    def scratch_bytes(self, architecture: Architecture, n_samples: int) -> int:
        """Bytes of scratch one gradient call allocates for ``n_samples`` samples: none.

        The generated routine adds each sample's loss and gradient straight into the
        returned gradient (which is not counted), so no call needs scratch.

        Parameters
        ----------
        architecture : Architecture
            The network's description.
        n_samples : int
            Samples in the batch (>= 1).

        Returns
        -------
        int
            0.
        """
        check_number(n_samples, "n_samples", 1, integer=True)
        return 0

    def __repr__(self) -> str:
        return (f"Symbolic(cse={self.cse!r}, max_work={self.max_work!r}, "
                f"cache_dir={self.cache_dir!r}, compiler={self.compiler!r})")

    # ---- finding or building the gradient function ----

    # The code generator (and SymPy, slow to import) loads on first use, so that
    # `import tensorgen` stays fast for those who never use this engine.

    def _gradient(self, architecture: Architecture) -> _Gradient:
        last, gradient = self._last
        # the common case: the same network again (gradient is set whenever last is)
        if architecture is last and gradient is not None:
            return gradient
        _check_architecture(architecture)
        gradient = self._by_shape.get(architecture)
        if gradient is None:
            gradient = self._by_shape[architecture] = self._lookup(architecture)
        self._last = (architecture, gradient)
        return gradient

    def _lookup(self, arch: Architecture) -> _Gradient:
        from .._codegen import build

        compiler: Compiler | None
        why: str | None
        memo_key: tuple[object, ...]
        cache: Path | None
        key: str | None
        try:
            compiler = build.find_compiler(build.compiler_command(self.compiler))
        except build.CompilerError as exc:
            compiler, why = None, str(exc)
        if compiler is None:
            memo_key, cache, key = ("lambdify", arch, self.cse), None, None
        else:
            cache = build.cache_dir(self.cache_dir)
            key = build.cache_key(arch, self.cse, compiler)
            memo_key, why = (str(cache), key), None
        with _MEMO_LOCK:
            building = _BUILDING[memo_key]
        with building:
            gradient = _MEMO.get(memo_key)
            if gradient is None:
                try:
                    gradient = self._build(arch, compiler, cache, key, why)
                except RecursionError:  # SymPy recurses over expression trees
                    raise ValueError(
                        f"symbolic engine: {arch.label()} with cse={self.cse}: the "
                        "expressions nest too deeply for SymPy (RecursionError); use "
                        "cse=True or a shallower network") from None
                with _MEMO_LOCK:
                    _MEMO[memo_key] = gradient
        return gradient

    def _build(self, arch: Architecture, compiler: Compiler | None, cache: Path | None,
               key: str | None, why: str | None) -> _Gradient:
        from tqdm.auto import tqdm

        from .._codegen import build, emit, expressions

        # (compiler, cache and key are None together: the lambdify fallback)
        if compiler is not None and cache is not None and key is not None:
            loaded = build.load(cache / key, REPORTED)
            if loaded is not None:
                return _compiled(loaded, arch, from_cache=True)
        estimate, seconds = self.estimate(arch)
        if estimate > self.max_work:
            raise ValueError(
                f"symbolic engine: {arch.label()} with cse={self.cse} needs an estimated "
                f"{estimate:,} operations of work (predicted: {seconds:,.0f} s to derive and "
                f"compile on the reference machine), above max_work={self.max_work:,}; "
                "raise max_work, use cse=True or a smaller network")
        slow = seconds > SLOW_BUILD_SECONDS
        if slow:
            warnings.warn(
                f"symbolic engine: building the gradient of {arch.label()} is predicted to "
                f"take about {seconds:,.0f} s ({estimate:,} operations of work); it is "
                "built once and cached for later calls", UserWarning, stacklevel=5)
        stages = ["derive", "share", "generate C", "compile"][0 if self.cse else 1:]
        with tqdm(total=len(stages), desc=f"symbolic build {arch.label()}", unit="stage",
                  disable=None if slow else True, leave=False) as bar:
            def stage(name: str) -> None:
                bar.set_postfix_str(name, refresh=False)
                bar.update(0 if name == stages[0] else 1)

            stage(stages[0])
            start = time.perf_counter()
            derivation = expressions.derive(arch, self.cse)
            derived = time.perf_counter()
            if self.cse:
                stage("share")
                derivation = expressions.share(derivation)
            meta: Meta = {"architecture": arch.label(), "cse": self.cse,
                          "n_ops": expressions.count_ops(derivation),
                          "derive_seconds": derived - start}
            if compiler is not None and cache is not None and key is not None:
                stage("generate C")
                sources = emit.c_sources(derivation)
                meta["generate_seconds"] = time.perf_counter() - derived
                stage("compile")
                try:
                    loaded = build.compile_entry(cache, key, sources, compiler, meta)
                    return _compiled(loaded, arch, from_cache=False)
                except build.CompilerError as exc:
                    why = str(exc)
        warnings.warn(f"symbolic engine: {why}; falling back to sympy.lambdify over numpy "
                      "(exact gradients, slower calls)", RuntimeWarning, stacklevel=5)
        function = emit.numpy_function(derivation)
        meta["generate_seconds"] = time.perf_counter() - derived
        return _Lambdified(function, SymbolicReport(
            **meta, compile_seconds=0.0, from_cache=False, backend="lambdify",
            library_bytes=0))


def _check_architecture(architecture: object) -> None:
    """TypeError unless ``architecture`` is an Architecture (engines receive no Network)."""
    if not isinstance(architecture, Architecture):
        raise TypeError(f"architecture: expected a tensorgen Architecture, got "
                        f"{type(architecture).__name__}")


def _compiled(loaded: tuple[ctypes.CDLL, Meta], arch: Architecture,
              from_cache: bool) -> _Compiled:
    lib, meta = loaded
    report = SymbolicReport(**{f: meta[f] for f in REPORTED}, from_cache=from_cache,
                            backend="c")
    return _Compiled(lib, arch, report)


def _check_compiler(compiler: str | os.PathLike[str] | Sequence[str] | None,
                    ) -> str | os.PathLike[str] | tuple[str, ...] | None:
    if compiler is None or isinstance(compiler, (str, os.PathLike)):
        if isinstance(compiler, str) and not compiler.strip():
            raise ValueError("compiler: expected a program name, got an empty string")
        return compiler
    try:
        command = tuple(compiler)
    except TypeError:
        raise TypeError(f"compiler: expected a program or a list of arguments, "
                        f"got {compiler!r}") from None
    if not command or not all(isinstance(a, str) for a in command):
        raise TypeError(f"compiler: expected a non-empty list of strings, got {compiler!r}")
    return command
