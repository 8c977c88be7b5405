"""The one BLAS thread limiter: BLAS held to a number of threads while some work runs,
counted, so that overlapping users (threads running sweeps at once, a study timing
engines) restore the caller's setting only when the last one ends; and the lasting limit
of the kernels' BLAS that ``tg.set_num_threads`` sets. Both go through one threadpoolctl
controller, made once SciPy's BLAS is loaded."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _Limiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._controller: Any = None  # made on first use (~10 ms: it scans the libraries)
        self._limiter: Any = None  # the counted, temporary limit of every BLAS
        self._lasting: Any = None  # set_threads's limit of SciPy's BLAS

    def _control(self) -> Any:
        """The controller (made under the lock, on first use)."""
        from threadpoolctl import ThreadpoolController

        if self._controller is None:
            # the kernels' BLAS is SciPy's, loaded on their first large batch: a
            # controller made before it was loaded would never limit it
            import scipy.linalg.cython_blas  # noqa: F401

            self._controller = ThreadpoolController()
        return self._controller

    @contextlib.contextmanager
    def limit(self, threads: int = 1) -> Iterator[str]:
        """Hold BLAS to ``threads`` threads (threadpoolctl) inside the block; yields a note
        saying what was done (nested and concurrent blocks keep the first block's limit)."""
        with self._lock:
            if self._users == 0:
                self._limiter = self._control().limit(limits=threads, user_api="blas")
            self._users += 1
        try:
            yield f"BLAS held to {threads} thread{'s' if threads != 1 else ''} (threadpoolctl)"
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._limiter.restore_original_limits()

    def set_threads(self, threads: int | None) -> None:
        """Hold SciPy's BLAS (the one the kernels call; NumPy's own is left alone) to
        ``threads`` from now on; None gives it back its own setting."""
        with self._lock:
            if self._lasting is not None:
                self._lasting.restore_original_limits()
                self._lasting = None
            if threads is not None:
                blas = self._control().select(user_api="blas")
                scipy_only = [lib for lib in blas.lib_controllers
                              if "scipy.libs" in lib.filepath
                              or "scipy/.dylibs" in lib.filepath]
                if scipy_only:
                    blas.lib_controllers = scipy_only
                self._lasting = blas.limit(limits=threads)


_limiter = _Limiter()


def limit_blas(threads: int = 1) -> contextlib.AbstractContextManager[str]:
    """A context in which BLAS runs on ``threads`` threads; the caller's setting is
    restored when the last overlapping context ends."""
    return _limiter.limit(threads)


def set_blas_threads(threads: int | None) -> None:
    """SciPy's BLAS on ``threads`` threads from now on (None: its own setting)."""
    _limiter.set_threads(threads)
