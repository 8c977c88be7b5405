"""MPI for ``fit`` and the finite-difference sweep: the ranks of a communicator as they use them.

Design: ``Group(comm)`` wraps an mpi4py communicator (``comm=None`` is one process, every
operation then a no-op), so ``training`` and ``engines.finite`` call the same few
collectives whether or not they run under MPI, and nothing here imports mpi4py until a
communicator is given. Faults are agreed, not broadcast by whoever noticed: a phase that
may fail on one rank runs under ``agreed()``, which ends in one ``allgather`` of every
rank's error (or None), and every rank then raises the first rank's error, so no rank is
left waiting in a collective the failed rank never reaches.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .architecture import Architecture

#: Environment variables in which MPI launchers give the number of ranks: MPICH's and Intel
#: MPI's hydra, Slurm's PMI (PMI_SIZE), Open MPI, MVAPICH.
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
#: What a communicator must offer (mpi4py's ``Comm``; duck-typed, mpi4py is optional).
_COMM_METHODS = ("Get_rank", "Get_size", "Allreduce", "Allgatherv", "Bcast", "allgather",
                 "bcast")


class Group:
    """The ranks of ``comm`` (an ``mpi4py.MPI.Comm``), or this process alone (None).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm or None
        The communicator; None is one process without MPI.

    Raises
    ------
    TypeError
        When ``comm`` is not None and lacks a communicator's methods.
    """

    def __init__(self, comm: Any) -> None:
        if comm is not None and not all(hasattr(comm, m) for m in _COMM_METHODS):
            raise TypeError(f"comm: expected an mpi4py communicator (e.g. MPI.COMM_WORLD) or "
                            f"None, got {type(comm).__name__}")
        self.comm = comm
        self.rank = 0 if comm is None else int(comm.Get_rank())
        self.size = 1 if comm is None else int(comm.Get_size())

    @contextmanager
    def agreed(self) -> Iterator[None]:
        """Run a phase whose error, on any rank, is raised on every rank.

        Yields
        ------
        None
            The phase runs in the ``with`` block; every rank must enter it.

        Raises
        ------
        Exception
            The error of the lowest rank that failed (its own error on that rank, a copy
            noting the rank elsewhere).
        """
        if self.comm is None:
            yield
            return
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:  # noqa: B036 - Ctrl-C too: every rank must hear of it
            error = exc
        self.raise_first(error)

    def raise_first(self, error: BaseException | None) -> None:
        """Every rank's ``error`` (or None) gathered; the lowest rank's raised everywhere.

        Parameters
        ----------
        error : BaseException or None
            This rank's error.

        Raises
        ------
        BaseException
            The lowest failing rank's error, when any rank failed.
        """
        if self.comm is None:
            if error is not None:
                raise error
            return
        errors = self.comm.allgather(_portable(error))
        failed = [r for r, e in enumerate(errors) if e is not None]
        if not failed:
            return
        if failed[0] == self.rank and error is not None:
            raise error
        copy = errors[failed[0]]
        if hasattr(copy, "add_note"):  # Python 3.11+
            copy.add_note(f"(raised on MPI rank {failed[0]} of {self.size})")
        raise copy

    def rows(self, n_mine: int) -> tuple[int, int]:
        """Rows of all ranks, and the first of this rank's in their concatenation.

        Parameters
        ----------
        n_mine : int
            This rank's rows.

        Returns
        -------
        n_total, first : int
            The global row count and this rank's offset (ranks in order).
        """
        counts = [n_mine] if self.comm is None else self.comm.allgather(n_mine)
        return sum(counts), sum(counts[: self.rank])

    def split(self, n: int) -> tuple[int, int]:
        """This rank's contiguous part ``[start, stop)`` of ``n`` items, the parts differing
        by at most one item (the first ``n % size`` ranks take one more).

        Parameters
        ----------
        n : int
            Items to share.

        Returns
        -------
        start, stop : int
            This rank's part.
        """
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (self.rank < extra)

    def same(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank.

        Parameters
        ----------
        value : object
            Any picklable value.

        Returns
        -------
        object
            Rank 0's value.
        """
        return value if self.comm is None else self.comm.bcast(value, root=0)

    def same_array(self, array: NDArray[Any]) -> None:
        """Overwrite ``array`` with rank 0's, in place.

        Parameters
        ----------
        array : ndarray
            Contiguous, of the same shape and dtype on every rank.
        """
        if self.comm is not None:
            self.comm.Bcast(array, root=0)

    def check_same(self, options: dict[str, Any]) -> None:
        """Raise, on every rank, when the ranks passed different ``options``.

        Parameters
        ----------
        options : dict
            Options every rank must pass alike (by name; picklable, comparable values).

        Raises
        ------
        ValueError
            Naming the first option that differs, and each rank's value.
        """
        if self.comm is None:
            return
        every = self.comm.allgather(options)
        for name in options:
            values = [o[name] for o in every]
            if any(v != values[0] for v in values):
                raise ValueError(f"{name}: every rank must pass the same value, got "
                                 f"{values} (by rank)")

    def total(self, values: list[float]) -> list[float]:
        """Element-wise sums of ``values`` over the ranks.

        Parameters
        ----------
        values : list of float
            This rank's values (the same length on every rank).

        Returns
        -------
        list of float
            The sums, the same on every rank.
        """
        buf = np.array(values, dtype=np.float64)
        if self.comm is not None:
            from mpi4py import MPI

            self.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        return [float(v) for v in buf]

    def mean(self, means: list[float], n_mine: int) -> list[float]:
        """Means over the rows of all ranks, from this rank's ``means`` over its rows.

        Parameters
        ----------
        means : list of float
            This rank's means (anything, when ``n_mine`` is 0).
        n_mine : int
            This rank's rows.

        Returns
        -------
        list of float
            The global means (one process: ``means`` unchanged); NaN when no rank has a
            row.
        """
        if self.comm is None:
            return means
        sums = self.total([m * n_mine for m in means] + [float(n_mine)])
        return [s / sums[-1] if sums[-1] else float("nan") for s in sums[:-1]]

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank.

        Parameters
        ----------
        flag : bool
            This rank's.

        Returns
        -------
        bool
            The same on every rank.
        """
        return flag if self.comm is None else self.total([float(flag)])[0] > 0

    def exchanger(self) -> Callable[[NDArray[Any]], object]:
        """The data-parallel fit's per-step collective: ``exchange(shared)`` sums
        ``shared`` (a rank's weighted gradient, cost share and flags) over the ranks, in
        place; ``_train.Loop`` calls it once per step, with the GIL.

        Returns
        -------
        callable
            mpi4py's ``Allreduce`` bound to its arguments: compiled code only, so no
            Python signal handler (Ctrl-C) can interrupt one rank between the loop's own
            check of signals and the collective.
        """
        from mpi4py import MPI

        return functools.partial(self.comm.Allreduce, MPI.IN_PLACE, op=MPI.SUM)

    def join(self, out: NDArray[np.float64], start: int, stop: int) -> None:
        """Every rank's part of ``out`` (``self.split(len(out))``) on every rank, in place.

        Parameters
        ----------
        out : ndarray of shape (n,), float64
            This rank's part written at ``[start, stop)``; the whole on return.
        start, stop : int
            This rank's part.
        """
        if self.comm is None:
            return
        from mpi4py import MPI

        counts = self.comm.allgather(stop - start)
        displs = [sum(counts[:r]) for r in range(self.size)]
        self.comm.Allgatherv(MPI.IN_PLACE, [out, counts, displs, MPI.DOUBLE])


def _portable(error: BaseException | None) -> BaseException | None:
    """``error`` if it survives pickling, else a RuntimeError with its text."""
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any failure to pickle: send the text instead
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def check_share(architecture: Architecture, X: Any, Y: Any) -> tuple[NDArray[Any],
                                                                     NDArray[Any]]:
    """A rank's rows of a data-parallel fit, checked: ``architecture.check_batch``, or for
    an empty share, empty arrays of the right shapes (after checking its width).

    Parameters
    ----------
    architecture : Architecture
        The network's description.
    X : array_like of shape (n_samples, n_inputs)
        This rank's inputs; n_samples may be 0.
    Y : array_like of shape (n_samples, n_outputs) or (n_samples,)
        This rank's targets.

    Returns
    -------
    X, Y : ndarray
        As ``check_batch`` returns them.

    Raises
    ------
    ValueError, TypeError
        As ``check_batch``, naming ``X`` or ``Y``.
    """
    if np.ndim(X) == 2 and np.shape(X)[0] == 0:
        n_in, n_out = architecture.layers[0], architecture.layers[-1]
        if np.shape(X)[1] != n_in:
            raise ValueError(f"X: expected {n_in} columns, got {np.shape(X)[1]}")
        if np.shape(Y)[0] != 0:
            raise ValueError(f"Y: expected 0 rows to match X, got {np.shape(Y)[0]}")
        dtype = np.dtype(architecture.dtype)
        return np.empty((0, n_in), dtype), np.empty((0, n_out), dtype)
    return architecture.check_batch(X, Y)


def launched_world() -> Any:
    """``MPI.COMM_WORLD`` when this process was started by an MPI launcher with several
    ranks (``mpiexec -n 4 tensorgen train ...``), else None (mpi4py is then not imported).

    Returns
    -------
    mpi4py.MPI.Comm or None
        The world communicator, or None.

    Raises
    ------
    ImportError
        When launched with several ranks but mpi4py is not installed.
    """
    sizes = [os.environ.get(name, "") for name in _LAUNCHER_SIZE]
    if not any(size.isdigit() and int(size) > 1 for size in sizes):
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError("started by an MPI launcher with several ranks, but mpi4py is not "
                          "installed (pip install 'tensorgen[mpi]')") from None
    return MPI.COMM_WORLD
