"""The one BLAS thread limiter: BLAS held to a number of threads while some work runs,
counted, so that overlapping users (threads running sweeps at once, a study timing
engines) restore the caller's setting only when the last one ends."""

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
        self._limiter: Any = None

    @contextlib.contextmanager
    def limit(self, threads: int = 1) -> Iterator[str]:
        """Hold BLAS to ``threads`` threads (threadpoolctl) inside the block; yields a note
        saying what was done (nested and concurrent blocks keep the first block's limit)."""
        from threadpoolctl import ThreadpoolController

        with self._lock:
            if self._users == 0:
                if self._controller is None:
                    # the kernels' BLAS is SciPy's, loaded on their first large batch: a
                    # controller made before it was loaded would never limit it
                    import scipy.linalg.cython_blas  # noqa: F401

                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=threads, user_api="blas")
            self._users += 1
        try:
            yield f"BLAS held to {threads} thread{'s' if threads != 1 else ''} (threadpoolctl)"
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._limiter.restore_original_limits()


_limiter = _Limiter()


def limit_blas(threads: int = 1) -> contextlib.AbstractContextManager[str]:
    """A context in which BLAS runs on ``threads`` threads; the caller's setting is
    restored when the last overlapping context ends."""
    return _limiter.limit(threads)
