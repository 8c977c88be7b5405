"""What the study runs: the network sizes, repeats and time budgets of a quick and a full
run, and the engine variants it measures."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from .._checks import check_bool, check_number
from ..engines import Autograd, Engine, Finite, Forward, ForwardGradient, Reverse, Symbolic

#: A row of a results table: column name -> a JSON-able value.
Row = dict[str, Any]
#: The symbolic engine's cache folder (None: its default).
CacheDir = str | os.PathLike[str] | None


@dataclass(frozen=True)
class Settings:
    """Sizes and budgets of one study run.

    Attributes
    ----------
    widths : tuple of int
        Width sweep: networks [w, w, 1] (9 parameters for w = 2).
    depth_width : int
        Width sweep: the fixed width of the depth sweep.
    depths : tuple of int
        Depth sweep: networks [depth_width] + [depth_width] * d + [1].
    n_samples : int
        Samples per gradient in the sweeps and the efficiency table.
    budget : float
        Seconds one engine may spend on one point (all repeats); a point whose single
        gradient is predicted to take longer is skipped, and so are the larger ones.
    setup_budget : float
        Seconds a symbolic build (derive, generate, compile) may be predicted to take.
    xor_budget : float
        Seconds an engine may train XOR before it is capped.
    xor_epochs : int
        Maximum XOR epochs.
    efficiency_layers : tuple of int
        The network of the efficiency table.
    eps_layers : tuple of int
        The second network of the accuracy table (after XOR).
    min_fit_params : int
        Slopes are fitted over points with at least this many parameters (below it fixed
        per-call overheads dominate).
    directions : tuple of int
        Directions per estimate of the forward-gradient runs of the training table.
    digits_layers : tuple of int
        The digits network of the training table.
    digits_epochs : int
        Most epochs a digits run of the training table may take.
    digits_target : float
        Test accuracy a digits run of the training table aims at.
    training_budget : float
        Seconds a run of the training table may take (XOR and digits alike); kept small,
        as the table has eight runs and the study's other parts take most of its time.
    """

    widths: tuple[int, ...]
    depth_width: int
    depths: tuple[int, ...]
    n_samples: int
    budget: float
    setup_budget: float
    xor_budget: float
    xor_epochs: int
    efficiency_layers: tuple[int, ...]
    eps_layers: tuple[int, ...]
    min_fit_params: int
    directions: tuple[int, ...]
    digits_layers: tuple[int, ...]
    digits_epochs: int
    digits_target: float
    training_budget: float

    @classmethod
    def preset(cls, quick: bool = False, budget: float | None = None) -> Settings:
        """The quick (under a minute) or full (under 15 minutes on 2 cores) settings.

        Parameters
        ----------
        quick : bool
            The quick settings.
        budget : float, optional
            Per-point seconds (see ``budget``); the symbolic, XOR and training budgets
            scale with it.

        Returns
        -------
        Settings
            The preset.

        Raises
        ------
        TypeError, ValueError
            For a ``quick`` that is not a bool or a ``budget`` that is not positive.
        """
        check_bool(quick, "quick")
        if budget is not None:
            check_number(budget, "budget", 0.0, low_open=True)
        if quick:
            budget = 0.2 if budget is None else float(budget)
            return cls(widths=(2, 4, 8, 16, 32), depth_width=8, depths=(1, 2, 4, 8),
                       n_samples=16, budget=budget, setup_budget=10 * budget,
                       xor_budget=10 * budget, xor_epochs=100_000,
                       efficiency_layers=(8, 8, 1), eps_layers=(8, 8, 1), min_fit_params=0,
                       directions=(1, 4, 16), digits_layers=(64, 32, 10), digits_epochs=300,
                       digits_target=0.9, training_budget=10 * budget)
        budget = 5.0 if budget is None else float(budget)
        return cls(widths=(2, 4, 8, 16, 32, 64, 128, 256, 316), depth_width=32,
                   depths=(1, 2, 4, 8, 16, 32, 64, 96), n_samples=32, budget=budget,
                   setup_budget=15 * budget, xor_budget=12 * budget, xor_epochs=100_000,
                   efficiency_layers=(32, 32, 32, 1), eps_layers=(16, 16, 1),
                   min_fit_params=1000, directions=(1, 4, 16), digits_layers=(64, 32, 10),
                   digits_epochs=1000, digits_target=0.9, training_budget=6 * budget)

    def sizes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(sweep, layers) of every point of the two sweeps, smallest first per sweep.

        Returns
        -------
        list of (str, tuple of int)
            ``("width", layers)`` points, then ``("depth", layers)`` points.
        """
        return ([("width", (w, w, 1)) for w in self.widths]
                + [("depth", (self.depth_width,) * (d + 1) + (1,)) for d in self.depths])

    def as_dict(self) -> dict[str, Any]:
        """The settings by field name (for the results' JSON).

        Returns
        -------
        dict
            Field name -> value.
        """
        return asdict(self)


def timed_engines(cache_dir: CacheDir) -> dict[str, Engine]:
    """Engines of the efficiency table and the sweeps, by label.

    Parameters
    ----------
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.

    Returns
    -------
    dict of str to Engine
        Reverse, finite (cached and naive), symbolic, autograd, forward mode and the
        forward gradient (one direction, stream seed 0).
    """
    return {
        "reverse": Reverse(),
        "finite cached": Finite(),
        "finite naive": Finite(sweep="naive"),
        "symbolic": Symbolic(cache_dir=cache_dir),
        "autograd": Autograd(),
        "forward": Forward(),
        "forward gradient": ForwardGradient(seed=0),
    }


def efficiency_engines(cache_dir: CacheDir) -> dict[str, Engine]:
    """The timed engines and the other finite-difference methods.

    Parameters
    ----------
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.

    Returns
    -------
    dict of str to Engine
        ``timed_engines`` and finite differences of fourth order and by complex step.
    """
    return {**timed_engines(cache_dir), "finite fourth order": Finite(method="fourth_order"),
            "finite complex step": Finite(method="complex")}


#: The paper's relative steps.
PAPER_EPS = tuple(10.0 ** -k for k in range(1, 9))


def accuracy_engines(cache_dir: CacheDir) -> list[tuple[str, float | None, Engine]]:
    """(label, eps or None, engine) of the accuracy table: the default central step, the
    paper's relative steps, fourth order, complex step, symbolic, reverse, forward mode
    and the forward gradient (one and 16 directions, stream seed 0: one draw, whose error
    is of the order of sqrt((P + 1) / K) times the gradient's norm).

    Parameters
    ----------
    cache_dir : str, path-like or None
        The symbolic engine's cache folder.

    Returns
    -------
    list of (str, float or None, Engine)
        One entry per row of the table.
    """
    rows: list[tuple[str, float | None, Engine]] = [
        ("finite central (default step)", None, Finite())]
    rows += [(f"finite central relative eps={eps:.0e}", eps, Finite(eps=eps))
             for eps in PAPER_EPS]
    rows += [("finite fourth order", None, Finite(method="fourth_order")),
             ("finite complex step", None, Finite(method="complex")),
             ("symbolic", None, Symbolic(cache_dir=cache_dir)),
             ("reverse", None, Reverse()),
             ("forward", None, Forward()),
             ("forward gradient, 1 direction", None, ForwardGradient(seed=0)),
             ("forward gradient, 16 directions", None, ForwardGradient(16, seed=0))]
    return rows


#: Engines trained on XOR.
XOR_ENGINES = ("reverse", "finite", "symbolic", "autograd", "forward", "forward_gradient")
