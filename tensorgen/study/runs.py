"""The study's parts, each a function filling rows of tables: accuracy, efficiency (time,
memory, symbolic setup), scalability, the XOR case study, training by forward passes and
peers."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from functools import partial
from importlib.metadata import version
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .. import datasets
from ..engines import Autograd, Engine, Finite, ForwardGradient, Symbolic, get_engine
from ..network import Network
from ..training import History
from . import measure
from .peers import Peer
from .settings import (
    XOR_ENGINES,
    CacheDir,
    Row,
    Settings,
    accuracy_engines,
    efficiency_engines,
    timed_engines,
)

_Array = NDArray[np.float64]
#: Called once per step of the study (the progress bar's update).
Tick = Callable[[], object]
#: What scaling remembers of an engine's last point: (n_params, seconds), or that it was
#: skipped.
_Last = tuple[int, float] | Literal["skipped"]


def problem(layers: Sequence[int], n_samples: int,
            seed: int = 0) -> tuple[Network, _Array, _Array]:
    """A sigmoid/mse network and random data of matching shape (the sweeps' problems).

    Parameters
    ----------
    layers : sequence of int
        The network's widths.
    n_samples : int
        Rows of data.
    seed : int
        Seed of the network and the data.

    Returns
    -------
    net : Network
        The network.
    X, Y : ndarray
        Normal inputs and uniform [0, 1) targets.
    """
    rng = np.random.default_rng(seed)
    net = Network(list(layers), activation="sigmoid", output_activation="sigmoid", loss="mse",
                  seed=seed)
    X = rng.normal(size=(n_samples, layers[0]))
    Y = rng.random((n_samples, layers[-1]))
    return net, X, Y


def _label(layers: Sequence[int]) -> str:
    """e.g. "32-32x8-1": input width, runs of equal hidden widths, output width."""
    hidden: list[list[int]] = []
    for width in layers[1:-1]:
        if hidden and hidden[-1][0] == width:
            hidden[-1][1] += 1
        else:
            hidden.append([width, 1])
    parts = [str(w) if k == 1 else f"{w}x{k}" for w, k in hidden]
    return "-".join([str(layers[0]), *parts, str(layers[-1])])


def _oracle(net: Network, X: _Array, Y: _Array) -> NDArray[np.floating[Any]]:
    return net.value_and_grad(X, Y, engine=Autograd())[1]


def _setup_row(engine: Symbolic, net: Network, where: str) -> Row:
    """Build (or load) the symbolic library of ``net`` and describe it; setup_seconds is
    derive + generate + compile as measured when the library was built."""
    report = engine.report(net.architecture)
    return {"where": where, "layers": _label(net.layers), "n_params": net.n_params,
            "n_ops": report.n_ops, "derive_seconds": report.derive_seconds,
            "generate_seconds": report.generate_seconds,
            "compile_seconds": report.compile_seconds,
            "setup_seconds": report.derive_seconds + report.generate_seconds
            + report.compile_seconds, "from_cache": report.from_cache,
            "backend": report.backend, "library_bytes": report.library_bytes}


def accuracy(settings: Settings, cache_dir: CacheDir, tick: Tick) -> list[Row]:
    """Max absolute and relative gradient error of each variant on XOR and a larger net.

    Parameters
    ----------
    settings : Settings
        Sizes and budgets.
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.
    tick : callable
        Called after each measurement (progress).

    Returns
    -------
    list of dict
        One row per problem and engine variant.
    """
    X, Y = datasets.xor()
    xor_net = Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    problems = [("xor 2-2-1", xor_net, X, Y),
                (_label(settings.eps_layers), *problem(settings.eps_layers, settings.n_samples))]
    rows = []
    for name, net, X, Y in problems:
        ref = _oracle(net, X, Y)
        for label, eps, engine in accuracy_engines(cache_dir):
            max_abs, max_rel = measure.gradient_errors(
                net, net.value_and_grad(X, Y, engine=engine)[1], ref)
            rows.append({"problem": name, "n_params": net.n_params, "engine": label,
                         "eps": eps, "max_abs_error": max_abs, "max_rel_error": max_rel})
            tick()
    return rows


def efficiency(settings: Settings, cache_dir: CacheDir, peers: Sequence[Peer],
               tick: Tick) -> tuple[list[Row], list[Row]]:
    """Median time per gradient and peak extra memory per call on one network.

    Parameters
    ----------
    settings : Settings
        Sizes and budgets.
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.
    peers : sequence of TorchPeer or JaxPeer
        Peer libraries timed like the engines.
    tick : callable
        Called after each measurement (progress).

    Returns
    -------
    rows : list of dict
        One row per engine.
    setup : list of dict
        The symbolic engine's setup rows.
    """
    net, X, Y = problem(settings.efficiency_layers, settings.n_samples)
    engines: dict[str, Engine | Peer] = {**efficiency_engines(cache_dir),
                                         **{p.name: p for p in peers}}
    rows: list[Row] = []
    setup: list[Row] = []
    for label, engine in engines.items():
        if isinstance(engine, Symbolic):
            setup.append(_setup_row(engine, net, "efficiency"))
        call = partial(engine.value_and_grad, net.architecture, net.params, X, Y)
        seconds, repeats, _ = measure.time_per_call(call, settings.budget)
        python_bytes = measure.peak_python_bytes(call)
        scratch = measure.scratch_bytes(engine, net, settings.n_samples)
        rows.append({"engine": label, "layers": _label(net.layers), "n_params": net.n_params,
                     "n_samples": settings.n_samples, "seconds": seconds, "repeats": repeats,
                     "python_peak_bytes": python_bytes, "scratch_bytes": scratch,
                     "extra_bytes": python_bytes + (scratch or 0)})
        tick()
    return rows, setup


def scaling(settings: Settings, cache_dir: CacheDir, peers: Sequence[Peer],
            tick: Tick) -> tuple[list[Row], list[Row]]:
    """Time per gradient (and its error) of each engine over the width and depth sweeps.

    Within a sweep an engine is skipped from the first point whose single gradient is
    predicted (quadratic growth from its last point, the worst engine's) to exceed the
    budget, or, for the symbolic engine, whose build is predicted by the engine itself
    (``Symbolic.estimate``) to exceed the setup budget.

    Parameters
    ----------
    settings : Settings
        Sizes and budgets.
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.
    peers : sequence of TorchPeer or JaxPeer
        Peer libraries timed like the engines.
    tick : callable
        Called after each point and engine (progress).

    Returns
    -------
    rows : list of dict
        One row per point and engine (``status`` says why one was skipped).
    setup : list of dict
        The symbolic engine's setup rows.
    """
    engines: dict[str, Engine | Peer] = {**timed_engines(cache_dir),
                                         **{p.name: p for p in peers}}
    rows: list[Row] = []
    setup: list[Row] = []
    last: dict[tuple[str, str], _Last] = {}
    for sweep, layers in settings.sizes():
        net, X, Y = problem(layers, settings.n_samples)
        ref = _oracle(net, X, Y)
        for label, engine in engines.items():
            row = {"sweep": sweep, "layers": _label(layers), "n_params": net.n_params,
                   "engine": label, "seconds": None, "repeats": 0, "max_abs_error": None,
                   "max_rel_error": None, "status": "ok"}
            rows.append(row)
            tick()
            build = (engine.estimate(net.architecture)[1] if isinstance(engine, Symbolic)
                     else None)
            row["status"] = _skip_reason(last.get((sweep, label)), net.n_params, settings,
                                         build)
            if row["status"] != "ok":
                last[(sweep, label)] = "skipped"
                continue
            if isinstance(engine, Symbolic):
                try:
                    setup.append(_setup_row(engine, net, f"{sweep} sweep"))
                except ValueError as exc:  # above max_work
                    row["status"] = f"skipped: {exc}"
                    last[(sweep, label)] = "skipped"
                    continue
            seconds, repeats, (_, grad) = measure.time_per_call(
                partial(engine.value_and_grad, net.architecture, net.params, X, Y),
                settings.budget)
            row["seconds"], row["repeats"] = seconds, repeats
            row["max_abs_error"], row["max_rel_error"] = measure.gradient_errors(net, grad, ref)
            last[(sweep, label)] = (net.n_params, seconds)
    return rows, setup


def _skip_reason(previous: _Last | None, n_params: int, settings: Settings,
                 build_seconds: float | None) -> str:
    """Why a point is skipped, or "ok". ``build_seconds``: the symbolic engine's own
    prediction of its build (Symbolic.estimate: a fit over builds that leaves out SymPy's
    one-off warm-up, which dominated a 2-2-1 build and once made 4-4-1 look too slow)."""
    if build_seconds is not None and build_seconds > settings.setup_budget:
        return (f"skipped: predicted build {build_seconds:.3g} s > setup budget "
                f"{settings.setup_budget:g} s")
    if previous is None:
        return "ok"
    if previous == "skipped":
        return "skipped: a smaller point was skipped"
    p, seconds = previous
    growth = n_params / p
    if seconds * growth**2 > settings.budget:
        return (f"skipped: predicted {seconds * growth**2:.3g} s per gradient > budget "
                f"{settings.budget:g} s")
    return "ok"


def slopes(settings: Settings, scaling_rows: Sequence[Row]) -> list[Row]:
    """Fitted log-log slope of time per gradient against parameters, per sweep and engine.

    Parameters
    ----------
    settings : Settings
        ``min_fit_params`` selects the points fitted.
    scaling_rows : sequence of dict
        The rows ``scaling`` returned.

    Returns
    -------
    list of dict
        One row per sweep and engine (slope None with fewer than two points).
    """
    rows = []
    for sweep in ("width", "depth"):
        for engine in dict.fromkeys(r["engine"] for r in scaling_rows):
            points = [(r["n_params"], r["seconds"]) for r in scaling_rows
                      if r["sweep"] == sweep and r["engine"] == engine
                      and r["seconds"] is not None and r["n_params"] >= settings.min_fit_params]
            slope = measure.loglog_slope(*zip(*points)) if len(points) >= 2 else None
            rows.append({"sweep": sweep, "engine": engine, "slope": slope,
                         "points": len(points),
                         "min_params": min((p for p, _ in points), default=None),
                         "max_params": max((p for p, _ in points), default=None)})
    return rows


def xor(settings: Settings, cache_dir: CacheDir,
        tick: Tick) -> tuple[list[Row], dict[str, list[float]]]:
    """Each engine trains the paper's 2-2-1 sigmoid network from the same seed.

    Parameters
    ----------
    settings : Settings
        Sizes and budgets.
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.
    tick : callable
        Called after each engine (progress).

    Returns
    -------
    rows : list of dict
        One row per engine, with the printed block.
    curves : dict of str to list of float
        The cost per epoch of each engine.
    """
    X, Y = datasets.xor()
    engines: dict[str, Engine] = {name: get_engine(name) for name in XOR_ENGINES}
    engines["symbolic"] = Symbolic(cache_dir=cache_dir)
    engines["finite"] = Finite()
    engines["forward_gradient"] = ForwardGradient(seed=0)
    rows: list[Row] = []
    curves: dict[str, list[float]] = {}
    for name, engine in engines.items():
        net = xor_network()
        history = net.fit(X, Y, engine=engine, lr=1.0, epochs=settings.xor_epochs, tol=1e-3,
                          callbacks=[_time_limit(settings.xor_budget)])
        stop = {"tol": "cost < 1e-3", "epochs": "epoch limit",
                "callback": f"capped by the {settings.xor_budget:g} s budget"}
        rows.append({"engine": name, "stochastic": engine.stochastic,
                     "epochs": history.epochs,
                     "reached": history.stop_reason == "tol",
                     "stop": stop.get(history.stop_reason, history.stop_reason),
                     "final_cost": float(history.cost[-1]) if len(history.cost) else None,
                     "wall_seconds": history.wall_time,
                     "block": f"{net}\n{net.format_results(X, Y)}"})
        curves[name] = history.cost.tolist()
        tick()
    return rows, curves


def xor_network() -> Network:
    """The paper's XOR network: 2-2-1 sigmoid/mse, its uniform [0, 1) initialisation, seed 0.

    Returns
    -------
    Network
        A new network.
    """
    return Network([2, 2, 1], activation="sigmoid", output_activation="sigmoid", loss="mse",
                   init="uniform", seed=0)


def _time_limit(seconds: float) -> Callable[[Network, History], bool]:
    """A fit callback stopping the fit once ``seconds`` have passed since it was made."""
    start = time.perf_counter()

    def over_budget(net: Network, history: History) -> bool:
        return time.perf_counter() - start > seconds

    return over_budget


def _trainers(settings: Settings) -> list[tuple[str, int | None, Engine]]:
    """(engine label, directions, engine) of the training table: reverse mode, then the
    forward gradient with each of ``settings.directions`` (stream seed 0)."""
    return [("reverse", None, get_engine("reverse"))] + [
        ("forward gradient", k, ForwardGradient(k, seed=0)) for k in settings.directions]


def forward_training(settings: Settings, tick: Tick) -> list[Row]:
    """Reverse mode and the forward gradient train XOR and digits to a target.

    XOR: the paper's network and full-batch gradient descent (lr 1) until the cost is
    below 1e-3. Digits: ``settings.digits_layers``, relu/softmax cross-entropy, Adam (lr
    1e-3) on mini-batches of 32 of three quarters of the data, until the accuracy on the
    other quarter reaches ``settings.digits_target`` (checked after every epoch). Every
    run starts from the same network and batch order; each stops at the target, at its
    epoch limit or at ``settings.training_budget`` seconds.

    Parameters
    ----------
    settings : Settings
        Sizes and budgets.
    tick : callable
        Called after each run (progress).

    Returns
    -------
    list of dict
        One row per problem and engine: the steps and seconds to the target, or why it was
        not reached.
    """
    rows = []
    X, Y = datasets.xor()
    for label, directions, engine in _trainers(settings):
        net = xor_network()
        history = net.fit(X, Y, engine=engine, lr=1.0, epochs=settings.xor_epochs, tol=1e-3,
                          callbacks=[_time_limit(settings.training_budget)])
        rows.append(_training_row("xor 2-2-1", label, directions, "cost < 1e-3", history,
                                  history.stop_reason == "tol", float(history.cost[-1]),
                                  settings))
        tick()
    problem = f"digits {_label(settings.digits_layers)}"
    target = f"test accuracy >= {settings.digits_target:g}"
    if importlib.util.find_spec("sklearn") is None:
        for label, directions, _ in _trainers(settings):
            rows.append({"problem": problem, "engine": label, "directions": directions,
                         "target": target, "reached": False, "steps": None, "epochs": None,
                         "wall_seconds": None, "final": None,
                         "stop": "skipped: scikit-learn is not installed"})
            tick()
        return rows
    data = _digits()
    for label, directions, engine in _trainers(settings):
        rows.append(_train_digits(settings, data, problem, target, label, directions, engine))
        tick()
    return rows


def _digits() -> tuple[_Array, _Array, _Array, _Array]:
    """Digits split 3:1 (stratified, seed 0) and standardised on the training part."""
    digits = datasets.load_digits()
    X, y = digits.X, digits.y
    assert y is not None, "digits has class labels"
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.25, stratify=y,
                                                                 seed=0)
    scaler = datasets.StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _train_digits(settings: Settings, data: tuple[_Array, _Array, _Array, _Array],
                  problem: str, target: str, label: str, directions: int | None,
                  engine: Engine) -> Row:
    X_train, X_test, y_train, y_test = data
    net = Network(list(settings.digits_layers), activation="relu", loss="cross_entropy",
                  seed=0)
    over_budget = _time_limit(settings.training_budget)
    accuracy = [0.0]

    def check(net: Network, history: History) -> bool:
        accuracy[0] = datasets.accuracy(y_test, net.predict(X_test))
        return accuracy[0] >= settings.digits_target or over_budget(net, history)

    history = net.fit(X_train, y_train, engine=engine, optimizer="adam", lr=1e-3,
                      epochs=settings.digits_epochs, batch_size=32, seed=0, callbacks=[check])
    return _training_row(problem, label, directions, target, history,
                         accuracy[0] >= settings.digits_target, accuracy[0], settings)


def _training_row(problem: str, engine: str, directions: int | None, target: str,
                  history: History, reached: bool, final: float, settings: Settings) -> Row:
    if reached:
        stop = "reached"
    elif history.stop_reason == "epochs":
        stop = f"not reached in {history.epochs} epochs"
    else:
        stop = f"not reached in the {settings.training_budget:g} s budget"
    return {"problem": problem, "engine": engine, "directions": directions,
            "target": target, "reached": reached, "steps": history.steps,
            "epochs": history.epochs, "wall_seconds": history.wall_time, "final": final,
            "stop": stop}


def peer_rows(peers: Sequence[Peer], notes: Sequence[str]) -> list[Row]:
    """Which peers ran (autograd always, as the oracle) and which were skipped.

    Parameters
    ----------
    peers : sequence of TorchPeer or JaxPeer
        The peers timed.
    notes : sequence of str
        ``"name: why"`` for each peer skipped.

    Returns
    -------
    list of dict
        ``peer``, ``version`` and ``status`` per peer.
    """
    rows: list[Row] = [{"peer": "autograd", "version": version("autograd"),
                        "status": "timed (the oracle)"}]
    rows += [{"peer": p.name, "version": p.version, "status": "timed"} for p in peers]
    rows += [{"peer": n.split(":")[0], "version": None, "status": n.split(": ", 1)[1]}
             for n in notes]
    return rows
