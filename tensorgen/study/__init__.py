"""The comparison study: accuracy, efficiency, scalability, the XOR case study and ease of
implementation of every engine, measured (``tg.compare``, ``tensorgen compare``).

Modules: ``settings`` (sizes, budgets, engine variants), ``measure`` (one measurement),
``runs`` (the study's parts), ``peers`` (optional PyTorch/JAX), ``loc`` (lines of code),
``report`` (markdown, JSON, CSV) and ``plots`` (PNG figures).
"""

from __future__ import annotations

import os
import platform
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from .._checks import check_bool
from . import measure, runs
from .loc import lines_of_code
from .peers import available_peers
from .settings import (
    XOR_ENGINES,
    Row,
    Settings,
    accuracy_engines,
    efficiency_engines,
    timed_engines,
)


@dataclass
class StudyResults:
    """Everything one study run measured.

    Attributes
    ----------
    settings : dict
        The sizes and budgets used (see ``Settings``).
    machine : dict
        CPU, core count and Python version.
    tables : dict of str to list of dict
        ``accuracy``, ``efficiency``, ``symbolic_setup``, ``scaling``, ``slopes``, ``xor``,
        ``training``, ``loc`` and ``peers``: one dict per row.
    curves : dict of str to list of float
        XOR cost per epoch of each engine.
    notes : list of str
    """

    settings: dict[str, Any]
    machine: dict[str, Any]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    curves: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, Any]:
    """CPU model, cores, Python version and the 1-minute load average (other work on the
    machine slows every measurement) of this machine.

    Returns
    -------
    dict
        ``cpu``, ``cores``, ``python``, ``platform``, ``load_average_at_start``.
    """
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": None if load is None else round(load[0], 2)}


def compare(quick: bool = False, budget: float | None = None,
            cache_dir: str | os.PathLike[str] | None = None,
            progress: bool = False) -> StudyResults:
    """Run the comparison study.

    Parameters
    ----------
    quick : bool
        Small sizes and budgets: under a minute. The full run takes under 15 minutes on
        2 cores.
    budget : float, optional
        Seconds one engine may spend on one point of the size sweeps (default 0.2 quick,
        5 full); larger points predicted to exceed it are skipped and marked.
    cache_dir : str or os.PathLike, optional
        Cache of the symbolic engine's compiled libraries. Default: a temporary directory,
        so that every build's derive/generate/compile time is measured.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    StudyResults
        Every table, curve and note of the run.

    Raises
    ------
    TypeError, ValueError
        For an option of the wrong type or range (named).
    """
    settings = Settings.preset(quick, budget)
    check_bool(progress, "progress")
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir: expected a path or None, got {cache_dir!r}")
    if cache_dir is None:
        # created 0o700, as the symbolic engine requires of its cache
        with tempfile.TemporaryDirectory(prefix="tensorgen-compare-") as tmp:
            return _run(settings, tmp, progress, "a temporary directory")
    return _run(settings, cache_dir, progress, str(cache_dir))


def _run(settings: Settings, cache_dir: str | os.PathLike[str], progress: bool,
         cache_name: str) -> StudyResults:
    from tqdm.auto import tqdm

    peers, notes = available_peers()
    n_timed = len(timed_engines(None)) + len(peers)
    total = (2 * len(accuracy_engines(None)) + len(efficiency_engines(None)) + len(peers)
             + len(settings.sizes()) * n_timed + len(XOR_ENGINES)
             + 2 * (1 + len(settings.directions)))
    results = StudyResults(settings.as_dict(), machine(), notes=list(notes))
    results.notes.append(f"symbolic builds cached in {cache_name}")
    with ExitStack() as stack:
        results.notes += [stack.enter_context(measure.one_blas_thread()),
                          *(stack.enter_context(p.one_thread()) for p in peers)]
        bar = stack.enter_context(tqdm(total=total, desc="tensorgen compare",
                                       disable=not progress, unit="step"))
        results.notes.append("finite differences and forward mode: OpenMP over all cores "
                             "(n_threads=None); reverse, symbolic and the forward gradient: "
                             "one thread per call")
        tick = bar.update
        tables = results.tables
        tables["accuracy"] = runs.accuracy(settings, cache_dir, tick)
        tables["efficiency"], setup = runs.efficiency(settings, cache_dir, peers, tick)
        tables["scaling"], sweep_setup = runs.scaling(settings, cache_dir, peers, tick)
        # one row per architecture: later look-ups of the same one reuse its library
        first: dict[str, Row] = {}
        for row in setup + sweep_setup:
            first.setdefault(row["layers"], row)
        tables["symbolic_setup"] = list(first.values())
        tables["slopes"] = runs.slopes(settings, tables["scaling"])
        tables["xor"], results.curves = runs.xor(settings, cache_dir, tick)
        tables["training"] = runs.forward_training(settings, tick)
        tables["loc"] = lines_of_code()
        tables["peers"] = runs.peer_rows(peers, notes)
    return results


__all__ = ["Settings", "StudyResults", "compare"]
