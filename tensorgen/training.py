"""Training: ``fit`` (options, epoch driver, early stopping, progress) and its History.

Two loops run the epochs and draw the same mini-batches from the same seed: the compiled
loop (``_kernels._train.Loop``), which returns to Python only at a coarse interval, for an
engine that declares a compiled form (``Engine.fit_kernel``) with an optimizer that does
(``Optimizer.compiled_spec``), and a Python loop for every other engine or optimizer,
which calls ``engine.value_and_grad`` once per mini-batch. This module knows the model
only through its public interface (``Model``): it imports nothing of ``network``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypedDict, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import check_bool, check_number
from ._kernels import _arrays, _train
from ._kernels._seam import GradientKernel
from ._mpi import Group, check_share
from .architecture import Architecture
from .engines import Engine, engine_for
from .metrics import accuracy
from .optimizers import CompiledSpec, Optimizer, get_optimizer

_Status = _train.Status
# Data as the loops receive it: checked by Architecture.check_batch.
_Data = NDArray[Any]
# A data-parallel fit's part for the compiled loop: (rows of all ranks, this rank's first
# row, the per-step exchange); see _kernels._train.Loop.
_Shard = tuple[int, int, Callable[[Any], object]]

# Epochs a compiled run may cover between two returns to Python, and the seconds after
# which it returns anyway, so progress stays live.
CHUNK_EPOCHS = 1 << 16
CHUNK_SECONDS = 0.1


class Model(Protocol):
    """What ``fit`` needs of a model (``Network`` is one)."""

    @property
    def architecture(self) -> Architecture:
        """The model's Architecture."""

    @property
    def params(self) -> NDArray[Any]:
        """The flat parameter vector, updated in place."""

    def loss(self, X: ArrayLike, Y: ArrayLike) -> float:
        """The cost of a batch (see ``Network.loss``).

        Parameters
        ----------
        X, Y : array_like
            A batch.

        Returns
        -------
        float
            The cost.
        """

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The outputs of a batch (see ``Network.predict``).

        Parameters
        ----------
        X : array_like
            Inputs.

        Returns
        -------
        ndarray
            One row of outputs per sample.
        """


#: The model a fit trains (its callbacks receive it as it is).
M = TypeVar("M", bound=Model)


@dataclass(eq=False)
class History:
    """What happened during ``fit``.

    Attributes
    ----------
    cost : ndarray of shape (epochs,), float64
        Training cost of each epoch: full batch, the cost at the parameters the epoch's
        update started from; mini-batches, the sample-weighted mean of the batch costs seen
        during the epoch. (An array, which the compiled loop fills in place: building a
        list of 100,000 Python floats took a tenth as long as 100,000 XOR epochs.)
    val_cost, val_metric : list of float
        Cost and metric on ``validation_data`` after each epoch (empty without it).
    metric : str or None
        Name of ``val_metric``: ``"accuracy"`` for bce and cross_entropy networks, else None.
    stop_reason : str
        ``"epochs"`` (ran them all), ``"tol"`` (cost below tol), ``"patience"`` (validation
        cost stopped improving), ``"callback"`` (a callback returned True),
        ``"interrupted"`` (KeyboardInterrupt) or ``"nonfinite"`` (NaN/inf, see fit).
    steps : int
        Optimizer updates applied.
    wall_time : float
        Seconds spent in ``fit``.
    """

    cost: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    val_cost: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    metric: str | None = None
    stop_reason: str = ""
    steps: int = 0
    wall_time: float = 0.0
    _buf: NDArray[np.float64] | None = field(default=None, init=False, repr=False)

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.cost)

    def _room(self, k: int, limit: int) -> NDArray[np.float64]:
        """A writable view of the next k cost entries; ``cost`` grows by _commit. The
        buffer doubles as needed, up to ``limit`` entries (the fit's epochs)."""
        n = len(self.cost)
        if self._buf is None or n + k > len(self._buf):
            self._buf = np.empty(min(max(n + k, 2 * n, 1 << 20), max(limit, n + k)))
            self._buf[:n] = self.cost
            self.cost = self._buf[:n]
        return self._buf[n : n + k]

    def _commit(self, k: int) -> None:
        """Take the next k entries of the buffer into ``cost``."""
        assert self._buf is not None, "_commit follows _room"
        self.cost = self._buf[: len(self.cost) + k]

    def _seal(self) -> None:
        """End of fit: ``cost`` stops sharing the buffer, and holds no unused room."""
        if self._buf is not None and len(self._buf) > len(self.cost):
            self.cost = self.cost.copy()
        self._buf = None


class FitOptions(TypedDict, total=False):
    """The keyword options of ``fit``, as ``Network.fit`` passes them on (see ``fit``)."""

    engine: str | Engine
    optimizer: str | Optimizer
    lr: float | None
    epochs: int
    batch_size: int | None
    shuffle: bool
    seed: int | None
    tol: float | None
    validation_data: tuple[ArrayLike, ArrayLike] | None
    patience: int | None
    min_delta: float
    callbacks: Sequence[Callable[[Any, History], object]]
    progress: bool
    momentum: float | None
    nesterov: bool | None
    beta1: float | None
    beta2: float | None
    eps: float | None
    weight_decay: float | None
    comm: Any


def fit(net: M, X: ArrayLike, Y: ArrayLike, engine: str | Engine = "reverse",
        optimizer: str | Optimizer = "sgd", lr: float | None = None, epochs: int = 1000,
        batch_size: int | None = None, shuffle: bool = True, seed: int | None = None,
        tol: float | None = None,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        patience: int | None = None, min_delta: float = 0.0,
        callbacks: Sequence[Callable[[M, History], object]] = (), progress: bool = False,
        momentum: float | None = None, nesterov: bool | None = None,
        beta1: float | None = None, beta2: float | None = None, eps: float | None = None,
        weight_decay: float | None = None, comm: Any = None) -> History:
    """Train ``net`` in place.

    Parameters
    ----------
    net : Network
        Any model with ``architecture``, ``params``, ``loss`` and ``predict`` (``Model``).
    X : array_like of shape (n_samples, n_inputs)
        Training inputs.
    Y : array_like of shape (n_samples, n_outputs) or (n_samples,)
        Targets; 1-D integer class labels are one-hot encoded when the network has several
        outputs (as in ``Network.value_and_grad``).
    engine : str or Engine
        Gradient engine. ``"reverse"`` with a built-in optimizer runs the compiled loop;
        any other engine (``"autograd"``, ``"finite"``, ``"symbolic"``, an Engine object)
        runs the same epochs through ``engine.value_and_grad``.
    optimizer : {"sgd", "momentum", "nesterov", "adam"} or Optimizer
        A name, configured by ``lr`` and the optimizer options below, or an object such as
        ``tg.optimizers.Adam(lr=1e-3)`` (then those options must not be given). An object
        keeps its state between fits.
    lr : float, optional
        Learning rate; default 0.1 for the SGD family, 0.001 for Adam.
    epochs : int
        Maximum number of passes over the data, in [1, 2**62].
    batch_size : int or None
        Samples per update; None (default) or >= n_samples is full-batch gradient descent.
        The last batch of an epoch may be smaller.
    shuffle : bool
        Draw a new sample order every epoch (mini-batches only).
    seed : int or None
        Seed of the sample order; the same seed gives the same batches, so a seeded fit
        is reproducible bit for bit.
    tol : float or None
        Stop as soon as an epoch's training cost falls below ``tol`` (> 0). Full batch,
        that cost is evaluated before the update, and the update is skipped, as the core
        ``fit`` did.
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch: ``History.val_cost`` and, for bce/cross_entropy
        networks, ``History.val_metric`` (accuracy).
    patience : int or None
        Stop when the validation cost has not improved by more than ``min_delta`` for
        this many epochs (needs ``validation_data``).
    min_delta : float
        Smallest decrease of the validation cost that counts as an improvement (>= 0).
    callbacks : sequence of callable
        ``callback(net, history)`` after every epoch; returning True stops training. A
        callback may change the optimizer object's hyper-parameters (``opt.lr`` for a
        learning-rate schedule, say) and state: both loops use them from the next epoch.
    progress : bool
        Show a tqdm progress bar with the cost (and validation metric).
    momentum, nesterov, beta1, beta2, eps, weight_decay : optional
        Options of the named optimizer (see ``tensorgen.optimizers.SGD`` and ``Adam``).
    comm : mpi4py.MPI.Comm, optional
        Train data-parallel over the ranks of ``comm`` (see the MPI page of the docs):
        every rank calls ``fit`` with the same options and its own rows of ``X``, ``Y``
        (and of ``validation_data``), any number including none; the data set is their
        concatenation in rank order, and the ranks take the steps one process takes on
        it, each computing its share of every mini-batch, the gradients summed by one
        ``Allreduce`` per step. The network starts from rank 0's parameters. Needs the
        compiled loop (an engine with a compiled form, a built-in optimizer). Errors are
        raised on every rank.

    Returns
    -------
    History
        The cost of every epoch and why training stopped.

    Raises
    ------
    FloatingPointError
        When the cost, the gradient or the updated parameters stop being finite; the
        message names the epoch, ``net`` keeps its last finite parameters and the
        exception's ``history`` attribute holds the History so far (stop_reason
        ``"nonfinite"``).
    KeyboardInterrupt
        Re-raised within about a second of Ctrl-C, with ``net`` holding the parameters of
        the last completed step; the exception's ``history`` attribute holds the History
        so far (stop_reason ``"interrupted"``).
    """
    start = time.perf_counter()
    group = Group(comm)
    with group.agreed():  # one rank's bad input raises on every rank (none waits for it)
        arch = net.architecture
        engine = engine_for(engine, arch)
        opt = get_optimizer(optimizer, lr=lr, momentum=momentum, nesterov=nesterov,
                            beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
        epochs = check_number(epochs, "epochs", 1, 2**62, integer=True)  # a C count
        X, Y = arch.check_batch(X, Y) if comm is None else check_share(arch, X, Y)
        if not _arrays.all_finite(net.params):
            raise ValueError("params: contains NaN or infinity (written through net.params, "
                             "net.ws or net.bs); set finite values before training")
        if batch_size is not None:
            batch_size = check_number(batch_size, "batch_size", 1, integer=True)
        tol = -np.inf if tol is None else check_number(tol, "tol", 0.0, low_open=True)
        watch = _Watch(net, validation_data, patience, min_delta, callbacks, group)
        check_bool(shuffle, "shuffle")
        check_bool(progress, "progress")
        if seed is not None:
            check_number(seed, "seed", 0, integer=True)
        if comm is not None and engine.stochastic and getattr(engine, "seed", 0) is None:
            # each rank would draw its own directions: the summed estimate is not the
            # global batch's
            raise ValueError(f"engine: {engine!r} draws unseeded random estimates; give it "
                             "a seed under comm, the same on every rank")
    n, first = group.rows(X.shape[0])  # (solo: no exchange at all)
    group.check_same({"epochs": epochs, "batch_size": batch_size, "shuffle": shuffle,
                      "seed": seed, "tol": tol,
                      "engine": (repr(engine), getattr(engine, "calls", None))
                      if engine.stochastic else engine.name,
                      "optimizer": (type(opt).__name__, opt.compiled_spec())})
    group.same_array(net.params)
    rng = group.same(_seed_state(seed, draw=shuffle and batch_size is not None
                                 and batch_size < n))
    with group.agreed():
        if n >= 2**32:
            raise ValueError(f"X: at most 2**32 - 1 samples are supported, got {n}")
        if n < 1:
            raise ValueError("X: every rank's share of the data is empty")
        batch_size = n if batch_size is None else min(n, batch_size)
        shard = None if comm is None else (n, first, group.exchanger())
        loop = _make_loop(net, engine, opt, X, Y, batch_size, shuffle, rng, shard)
    progress = progress and group.rank == 0
    history = History(metric=watch.metric)
    try:
        _drive(loop, watch, history, epochs, tol, progress)
    except (KeyboardInterrupt, FloatingPointError) as exc:
        history.stop_reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else "nonfinite"
        exc.history = history  # type: ignore[union-attr]  # ours, documented above
        raise
    finally:
        history._seal()
        history.steps = loop.steps
        history.wall_time = time.perf_counter() - start
    return history


def _make_loop(net: Model, engine: Engine, opt: Optimizer, X: _Data, Y: _Data,
               batch_size: int, shuffle: bool, rng: int,
               shard: _Shard | None = None) -> _CompiledLoop | _PythonLoop:
    """The compiled loop where the engine and the optimizer both declare a compiled form,
    else the Python loop; ``shard`` (a data-parallel fit) needs the compiled one."""
    spec = opt.compiled_spec()
    kernel = engine.fit_kernel(net.architecture) if spec is not None else None
    if spec is not None and kernel is not None:
        return _CompiledLoop(net, kernel, opt, spec, X, Y, batch_size, shuffle, rng, shard)
    if shard is not None:
        raise ValueError(f"comm: data-parallel training runs the compiled loop, which needs "
                         f"an engine with a compiled form and a built-in optimizer; got "
                         f"engine {engine.name!r}, optimizer {type(opt).__name__}")
    return _PythonLoop(net, engine, opt, X, Y, batch_size, shuffle, rng)


def _seed_state(seed: int | None, draw: bool) -> int:
    """The sample-order generator's state from ``seed`` (checked by the caller); 0 unless
    ``draw`` (full batch or no shuffle: no order is drawn)."""
    if not draw:
        return 0
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])


class _NoBar:
    """tqdm's interface, doing nothing (a disabled tqdm still costs ~0.05 ms per fit)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        return False

    def update(self, n: int) -> None:
        pass

    def set_postfix(self, postfix: dict[str, str], refresh: bool) -> None:
        pass


def _drive(loop: _CompiledLoop | _PythonLoop, watch: _Watch[Any], history: History,
           epochs: int, tol: float, progress: bool) -> None:
    """Run epochs in chunks; between chunks: progress, validation, callbacks, stops."""
    from tqdm.auto import tqdm

    chunk = 1 if watch.per_epoch else CHUNK_EPOCHS
    bar = tqdm(total=epochs, unit="epoch", dynamic_ncols=True) if progress else _NoBar()
    with bar:
        while history.epochs < epochs:
            before = history.epochs
            status = loop.run(history, min(chunk, epochs - before), tol, CHUNK_SECONDS,
                              epochs)
            bar.update(history.epochs - before)
            if status == _Status.NONFINITE:
                raise FloatingPointError(
                    f"fit: the cost, gradient or parameters became NaN or infinite in epoch "
                    f"{history.epochs + 1} of {epochs} (after {loop.steps} updates); the "
                    "network keeps its last finite parameters (try a smaller lr)")
            reason = "tol" if status == _Status.TOL else watch.after_epoch(history)
            bar.set_postfix(watch.postfix(history), refresh=False)
            if reason:
                history.stop_reason = reason
                return
        history.stop_reason = "epochs"


class _Watch(Generic[M]):
    """Per-epoch observers: validation cost/metric, patience, callbacks."""

    def __init__(self, net: M, validation_data: tuple[ArrayLike, ArrayLike] | None,
                 patience: int | None, min_delta: float,
                 callbacks: Sequence[Callable[[M, History], object]],
                 group: Group | None = None) -> None:
        self.net = net
        self.group = group or Group(None)
        self.metric = ("accuracy" if net.architecture.loss in ("bce", "cross_entropy")
                       else None)
        self.val: tuple[_Data, _Data] | None = None
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise TypeError("validation_data: expected a pair (X_val, Y_val)")
            self.val = (net.architecture.check_batch(*validation_data)
                        if self.group.comm is None
                        else check_share(net.architecture, *validation_data))
        if patience is not None:
            check_number(patience, "patience", 1, integer=True)
            if self.val is None:
                raise ValueError("patience: early stopping on validation cost needs "
                                 "validation_data")
        self.patience, self.wait, self.best = patience, 0, np.inf
        self.min_delta = check_number(min_delta, "min_delta", 0.0)
        if callable(callbacks) or isinstance(callbacks, (str, bytes)):
            raise TypeError("callbacks: expected a sequence of callables")
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not callable(cb):
                raise TypeError(f"callbacks: {cb!r} is not callable")
        self.per_epoch = self.val is not None or bool(self.callbacks)

    def after_epoch(self, history: History) -> str | None:
        """Record validation figures; return a stop reason or None."""
        reason = None
        if self.val is not None:
            Xv, Yv = self.val
            with self.group.agreed():
                mine = [self.net.loss(Xv, Yv), accuracy(Yv, self.net.predict(Xv))
                        if self.metric else 0.0] if len(Xv) else [0.0, 0.0]
            val_cost, val_metric = self.group.mean(mine, len(Xv))
            history.val_cost.append(val_cost)
            if self.metric:
                history.val_metric.append(val_metric)
            if val_cost < self.best - self.min_delta:
                self.best, self.wait = val_cost, 0
            else:
                self.wait += 1
            if self.patience is not None and self.wait >= self.patience:
                reason = "patience"
        with self.group.agreed():  # a callback raising on one rank raises on every rank
            stops = [bool(cb(self.net, history)) for cb in self.callbacks]  # call them all
        if self.group.any(any(stops)):
            reason = "callback"
        return reason

    def postfix(self, history: History) -> dict[str, str]:
        out = {"cost": f"{history.cost[-1]:.4g}"} if len(history.cost) else {}
        if history.val_metric:
            out["val_acc"] = f"{history.val_metric[-1]:.4f}"
        elif history.val_cost:
            out["val_cost"] = f"{history.val_cost[-1]:.4g}"
        return out


class _CompiledLoop:
    """Epochs in the Cython loop; the optimizer's state is shared with it."""

    def __init__(self, net: Model, kernel: GradientKernel, opt: Optimizer, spec: CompiledSpec,
                 X: _Data, Y: _Data, batch_size: int, shuffle: bool, rng: int,
                 shard: _Shard | None = None) -> None:
        self.n_params, self.dtype = net.architecture.n_params, net.params.dtype
        m, v = opt.state(self.n_params, self.dtype)
        self.opt = opt
        self.loop = _train.Loop(kernel, net.params, X, Y, batch_size, shuffle, rng, spec, m, v,
                                opt.t, shard)

    @property
    def steps(self) -> int:
        return self.loop.steps

    def run(self, history: History, max_epochs: int, tol: float, budget: float,
            limit: int) -> int:
        """Run up to max_epochs epochs, appending their costs to history.cost (which may
        grow to ``limit``); return the loop's status. The optimizer is read again first:
        a callback may have changed it (as the Python loop sees at its next step)."""
        spec = self.opt.compiled_spec()
        if spec is None:
            raise TypeError(f"optimizer: {self.opt!r} lost its compiled form during fit")
        m, v = self.opt.state(self.n_params, self.dtype)
        self.loop.configure(spec, m, v, self.opt.t)
        try:
            self.loop.run(history._room(max_epochs, limit), max_epochs, tol, budget)
        finally:
            self.opt.t = self.loop.t
            history._commit(self.loop.epochs_run)
        return self.loop.status


class _PythonLoop:
    """The same epochs through engine.value_and_grad and optimizer.step, for any engine."""

    def __init__(self, net: Model, engine: Engine, opt: Optimizer, X: _Data, Y: _Data,
                 batch_size: int, shuffle: bool, rng: int) -> None:
        self.arch, self.params = net.architecture, net.params
        self.engine, self.opt, self.X, self.Y = engine, opt, X, Y
        self.batch_size, self.shuffle, self.rng = batch_size, shuffle, rng
        self.order = np.arange(X.shape[0], dtype=np.intp)
        self.spare = np.empty_like(net.params)
        self.steps = 0

    def run(self, history: History, max_epochs: int, tol: float, budget: float,
            limit: int) -> int:
        """As _CompiledLoop.run; checks the clock between epochs."""
        deadline = time.perf_counter() + budget
        for _ in range(max_epochs):
            status, cost = self._epoch(tol)
            if status == _Status.NONFINITE or cost is None:  # (cost is None exactly then)
                return status
            history._room(1, limit)[0] = cost
            history._commit(1)
            if status == _Status.TOL or cost < tol:
                return _Status.TOL
            if time.perf_counter() > deadline:
                break
        return _Status.RUNNING

    def _epoch(self, tol: float) -> tuple[_train.Status, float | None]:
        n, bs, params = self.X.shape[0], self.batch_size, self.params
        full = bs == n
        if self.shuffle and not full:
            self.rng = _train.shuffle(self.order, self.rng)
        total = 0.0
        for start in range(0, n, bs):
            if full or not self.shuffle:
                xb, yb = self.X[start : start + bs], self.Y[start : start + bs]
            else:
                rows = self.order[start : start + bs]
                xb, yb = self.X[rows], self.Y[rows]
            cost, grad = self.engine.value_and_grad(self.arch, params, xb, yb)
            if not (np.isfinite(cost) and np.isfinite(grad).all()):
                return _Status.NONFINITE, None
            if full and cost < tol:
                return _Status.TOL, cost
            if not self.opt.step(params, grad, out=self.spare):
                self.opt.t -= 1
                return _Status.NONFINITE, None
            params[:] = self.spare
            self.steps += 1
            total += cost if full else cost * xb.shape[0]
        return _Status.RUNNING, (cost if full else total / n)
