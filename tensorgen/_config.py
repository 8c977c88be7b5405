"""``show_config``: what a bug report needs to know about this installation."""

import importlib.util
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from ._kernels import _buildinfo, _mlp
from ._threads import get_num_threads
from ._version import __version__
from .functions import DTYPES


def cache_dir() -> Path:
    """Where the symbolic engine keeps compiled libraries (not created here).

    ``$TENSORGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tensorgen``, else
    ``~/.cache/tensorgen``: the symbolic engine's rule.
    """
    if os.environ.get("TENSORGEN_CACHE_DIR"):
        return Path(os.environ["TENSORGEN_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tensorgen"


def c_compiler() -> str:
    """The C compiler the symbolic engine calls by default: ``$CC`` (split like a shell
    would), else ``cc``; with its resolved path and first ``--version`` line, or why it
    is unusable (the engine then falls back to ``sympy.lambdify``)."""
    command = shlex.split(os.environ.get("CC", "")) or ["cc"]
    program = shutil.which(command[0])
    if program is None:
        return f"{shlex.join(command)} (not found: the symbolic engine uses sympy.lambdify)"
    try:
        run = subprocess.run([*command, "--version"], capture_output=True, text=True,
                             timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{shlex.join(command)} ({program}: does not run: {exc})"
    first = (run.stdout.strip().splitlines() or ["no --version output"])[0]
    return f"{shlex.join(command)} ({program}: {first})"


def blas() -> str:
    """The BLAS the kernels call (SciPy's ``cython_blas``), from SciPy's build config."""
    import scipy

    info = scipy.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return f"{info.get('name', '?')} {info.get('version', '?')} (SciPy's)"


def blas_loaded() -> str:
    """Every BLAS loaded in this process (SciPy's and NumPy's may differ), with its thread
    count and file, as threadpoolctl sees them; or a note when it is not installed."""
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS, so threadpoolctl lists it)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to list them)"
    loaded = [f"{p['internal_api']} {p['version']}, {p['num_threads']} threads "
              f"({p['filepath']})" for p in threadpool_info() if p["user_api"] == "blas"]
    return "; ".join(loaded) or "none"


def finite_sweep() -> str:
    """Which build of the finite-difference sweep this machine runs."""
    from .engines import finite

    if finite._sweep.__name__.endswith("_avx2"):
        return "AVX2 + FMA build"
    why = ("not built" if _buildinfo.cpu_avx2_fma() else "this CPU lacks AVX2 or FMA")
    if os.environ.get("TENSORGEN_NO_AVX2"):
        why = "TENSORGEN_NO_AVX2 is set"
    return f"portable build ({why})"


def mpi() -> str:
    """The MPI library and world size mpi4py sees, or why there is none. Importing mpi4py
    initializes MPI, so only this report does (``import tensorgen`` does not)."""
    if importlib.util.find_spec("mpi4py") is None:
        return "no mpi4py (pip install 'tensorgen[mpi]' to train and sweep over MPI)"
    import mpi4py

    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as exc:  # mpi4py without a loadable MPI library
        return f"mpi4py {mpi4py.__version__}, no usable MPI library: {exc}"
    library = " ".join(MPI.Get_library_version().splitlines()[0].split())
    return (f"{library} (mpi4py {mpi4py.__version__}), world size "
            f"{MPI.COMM_WORLD.Get_size()}")


def activations() -> str:
    """Which build of the vectorized activations (csrc/tg_vmath.h) the network kernels run."""
    build = _mlp.vmath_build()
    text = {"avx512": "AVX-512 build", "avx2": "AVX2 + FMA build"}.get(build, "portable build")
    if build != "avx512" and os.environ.get("TENSORGEN_NO_AVX2"):
        text += " (TENSORGEN_NO_AVX2 is set)"
    elif build == "avx2" and os.environ.get("TENSORGEN_NO_AVX512"):
        text += " (TENSORGEN_NO_AVX512 is set)"
    return text


def _scipy_version() -> str:
    import scipy

    return str(scipy.__version__)


def config() -> dict[str, str]:
    """The facts ``show_config`` prints, by name."""
    with_openmp, threads = _buildinfo.openmp()
    return {
        "tensorgen": __version__,
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "numpy": np.__version__,
        "scipy": _scipy_version(),
        "openmp": f"yes, {threads} threads" if with_openmp else "no (kernels run serially)",
        "pass threads": (f"{get_num_threads()} (tg.set_num_threads)" if get_num_threads()
                         else "by size (tg.set_num_threads(n) to fix a number)"),
        "dtypes": ", ".join(DTYPES),
        "finite sweep": finite_sweep(),
        "activations": activations(),
        "blas": blas(),
        "blas loaded": blas_loaded(),
        "c compiler": c_compiler(),
        "cache dir": str(cache_dir()),
        "mpi": mpi(),
    }


def show_config(file: TextIO | None = None) -> None:
    """Print what a bug report needs: versions, OpenMP and its thread count, the BLAS,
    the C compiler of the symbolic engine and its cache folder, the MPI library and world
    size (when mpi4py is installed; this initializes MPI).

    Parameters
    ----------
    file : text stream, optional
        Where to print; ``sys.stdout`` by default.

    Examples
    --------
    >>> import tensorgen as tg
    >>> tg.show_config()  # doctest: +SKIP
    tensorgen:  0.1.0
    openmp:     yes, 2 threads
    ...
    """
    facts = config()
    width = max(map(len, facts)) + 2
    for name, value in facts.items():
        print(f"{name + ':':<{width}}{value}", file=file)
