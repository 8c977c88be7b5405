"""The study's five parts, each a function filling rows of tables: accuracy, efficiency
(time, memory, symbolic setup), scalability, the XOR case study and peers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from importlib.metadata import version
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .. import datasets
from ..engines import Autograd, Engine, Finite, Symbolic
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
#: What scaling remembers of an engine's last point: (n_params, seconds, setup seconds),
#: or that it was skipped.
_Last = tuple[int, float, float] | Literal["skipped"]


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
    budget, or, for the symbolic engine, whose build is predicted (growth ** 1.5) to
    exceed the setup budget.

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
            row["status"] = _skip_reason(last.get((sweep, label)), net.n_params, settings,
                                         isinstance(engine, Symbolic))
            if row["status"] != "ok":
                last[(sweep, label)] = "skipped"
                continue
            setup_seconds = 0.0
            if isinstance(engine, Symbolic):
                try:
                    setup.append(_setup_row(engine, net, f"{sweep} sweep"))
                except ValueError as exc:  # above max_work
                    row["status"] = f"skipped: {exc}"
                    last[(sweep, label)] = "skipped"
                    continue
                setup_seconds = setup[-1]["setup_seconds"]
            seconds, repeats, (_, grad) = measure.time_per_call(
                partial(engine.value_and_grad, net.architecture, net.params, X, Y),
                settings.budget)
            row["seconds"], row["repeats"] = seconds, repeats
            row["max_abs_error"], row["max_rel_error"] = measure.gradient_errors(net, grad, ref)
            last[(sweep, label)] = (net.n_params, seconds, setup_seconds)
    return rows, setup


def _skip_reason(previous: _Last | None, n_params: int, settings: Settings,
                 symbolic: bool) -> str:
    if previous is None:
        return "ok"
    if previous == "skipped":
        return "skipped: a smaller point was skipped"
    p, seconds, setup_seconds = previous
    growth = n_params / p
    if seconds * growth**2 > settings.budget:
        return (f"skipped: predicted {seconds * growth**2:.3g} s per gradient > budget "
                f"{settings.budget:g} s")
    if symbolic and setup_seconds * growth**1.5 > settings.setup_budget:
        return (f"skipped: predicted build {setup_seconds * growth**1.5:.3g} s > setup "
                f"budget {settings.setup_budget:g} s")
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
    engines: dict[str, str | Engine] = {name: name for name in XOR_ENGINES}
    engines["symbolic"] = Symbolic(cache_dir=cache_dir)
    engines["finite"] = Finite()
    rows: list[Row] = []
    curves: dict[str, list[float]] = {}
    for name, engine in engines.items():
        net = Network([2, 2, 1], output_activation="sigmoid",
                      loss="mse", init="uniform", seed=0)
        start = time.perf_counter()

        def over_budget(net: Network, history: History, start: float = start) -> bool:
            return time.perf_counter() - start > settings.xor_budget

        history = net.fit(X, Y, engine=engine, lr=1.0, epochs=settings.xor_epochs, tol=1e-3,
                          callbacks=[over_budget])
        stop = {"tol": "cost < 1e-3", "epochs": "epoch limit",
                "callback": f"capped by the {settings.xor_budget:g} s budget"}
        rows.append({"engine": name, "epochs": history.epochs,
                     "reached": history.stop_reason == "tol",
                     "stop": stop.get(history.stop_reason, history.stop_reason),
                     "final_cost": float(history.cost[-1]) if len(history.cost) else None,
                     "wall_seconds": history.wall_time,
                     "block": f"{net}\n{net.format_results(X, Y)}"})
        curves[name] = history.cost.tolist()
        tick()
    return rows, curves


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
