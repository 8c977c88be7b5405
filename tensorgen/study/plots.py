"""PNG figures of a StudyResults: time against parameters (log-log, with fitted slopes),
gradient error against the finite-difference step, and XOR cost curves."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..plotting import pyplot
from . import StudyResults

if TYPE_CHECKING:  # matplotlib is optional: imported by pyplot() when a plot is made
    from matplotlib.figure import Figure


def scaling(results: StudyResults, path: Path) -> Path:
    """Seconds per gradient against parameters, one panel per sweep, slopes in the legend.

    Parameters
    ----------
    results : StudyResults
        What the study measured.
    path : Path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    plt = pyplot()
    rows = results.tables["scaling"]
    slope = {(r["sweep"], r["engine"]): r["slope"] for r in results.tables["slopes"]}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, sweep in zip(axes, ("width", "depth")):
        for engine in dict.fromkeys(r["engine"] for r in rows):
            points = [(r["n_params"], r["seconds"]) for r in rows if r["sweep"] == sweep
                      and r["engine"] == engine and r["seconds"] is not None]
            if points:
                k = slope.get((sweep, engine))
                label = engine if k is None else f"{engine} (slope {k:.2f})"
                ax.plot(*zip(*points), marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("seconds per gradient")
        ax.set_title(f"{sweep} sweep (slopes fitted over {_fitted(results.settings)})")
        ax.legend(fontsize=8)
    return _save(fig, path, plt)


def _fitted(settings: dict[str, Any]) -> str:
    """Which points the slopes were fitted over, in words."""
    low = settings["min_fit_params"]
    return "all points" if low <= 0 else f"points with >= {low} parameters"


def error_vs_eps(results: StudyResults, path: Path) -> Path:
    """Max relative error of the finite central difference against the relative step.

    Parameters
    ----------
    results : StudyResults
        What the study measured.
    path : Path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    plt = pyplot()
    rows = results.tables["accuracy"]
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    for i, problem in enumerate(dict.fromkeys(r["problem"] for r in rows)):
        mine = [r for r in rows if r["problem"] == problem]
        points = [(r["eps"], max(r["max_rel_error"], 1e-17)) for r in mine if r["eps"]]
        ax.plot(*zip(*points), marker="o", color=f"C{i}", label=f"central, {problem}")
        others = [r for r in mine if r["eps"] is None]
        for style, r in zip(itertools.cycle((":", "--", "-.", (0, (1, 4)))), others):
            ax.axhline(max(r["max_rel_error"], 1e-17), color=f"C{i}", linestyle=style,
                       linewidth=0.8, label=f"{r['engine']}, {problem}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("relative step eps")
    ax.set_ylabel("max relative gradient error")
    ax.set_title("Gradient error against the autograd oracle:\ncentral differences by step "
                 "(points), other methods (lines)", fontsize=10)
    # beside the axes: inside, the legend hid the lines
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return _save(fig, path, plt)


def xor_cost(results: StudyResults, path: Path) -> Path:
    """XOR training cost per epoch of each engine; the title says whether the curves of
    the deterministic engines coincide, which they do when they compute the same gradient
    (a random estimate's curve, the forward gradient's, is its own).

    Parameters
    ----------
    results : StudyResults
        What the study measured.
    path : Path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    stops = {r["engine"]: r["stop"] for r in results.tables.get("xor", [])}
    styles = ("-", "--", "-.", ":")
    for i, (engine, cost) in enumerate(results.curves.items()):
        # widest first, so that a curve drawn over another leaves it visible at its sides
        width = 1.5 * (len(results.curves) - i) + 0.5
        stop = f", {stops[engine]}" if engine in stops else ""
        line, = ax.plot(range(1, len(cost) + 1), cost, linestyle=styles[i % len(styles)],
                        linewidth=width, alpha=0.8, label=f"{engine}: {len(cost)} epochs{stop}")
        ax.plot(len(cost), cost[-1], marker="o", color=line.get_color())
    ax.axhline(1e-3, color="grey", linestyle=":", label="tol 1e-3")
    lengths = [len(c) for c in results.curves.values() if len(c)]
    if lengths and max(lengths) > 20 * min(lengths):
        ax.set_xscale("log")  # a run to the epoch limit would squeeze the others to its left
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost (mse)")
    random = {r["engine"] for r in results.tables.get("xor", []) if r.get("stochastic")}
    gap = _largest_gap(c for e, c in results.curves.items() if e not in random)
    every = "every engine" if not random else f"every engine but {', '.join(sorted(random))}"
    same = "" if gap is None or gap > 1e-6 else f": {every} gives the same curve"
    detail = "" if gap is None else (f"\nlargest relative difference between engines at an "
                                      f"epoch: {gap:.1e}; a dot marks where each run stopped")
    ax.set_title(f"XOR 2-2-1, same seed{same}{detail}", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path, plt)


def _largest_gap(curves: Iterable[Sequence[float]]) -> float | None:
    """Largest relative difference between two curves over the epochs both ran (None for
    fewer than two curves)."""
    arrays = [np.asarray(c, dtype=np.float64) for c in curves]
    if len(arrays) < 2:
        return None
    n = min(len(c) for c in arrays)
    stack = np.stack([c[:n] for c in arrays])
    return float(np.max((stack.max(axis=0) - stack.min(axis=0)) / np.abs(stack).max(axis=0)))


def _save(fig: Figure, path: Path, plt: ModuleType) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def write(results: StudyResults, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write scaling.png, error_vs_eps.png and xor_cost.png into ``out_dir``.

    Parameters
    ----------
    results : StudyResults
        What the study measured.
    out_dir : str or path-like
        An existing folder.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    return [scaling(results, out / "scaling.png"),
            error_vs_eps(results, out / "error_vs_eps.png"),
            xor_cost(results, out / "xor_cost.png")]
