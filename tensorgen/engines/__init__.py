"""Gradient engines behind one interface (see base.Engine)."""

from functools import cache

from .._checks import check_choice
from ..architecture import Architecture
from .base import Engine
from .finite import Finite
from .forward import Forward
from .forward_gradient import ForwardGradient
from .oracle import Autograd
from .reverse import Reverse
from .symbolic import Symbolic, SymbolicReport

ENGINES = {"reverse": Reverse, "autograd": Autograd, "finite": Finite, "symbolic": Symbolic,
           "forward": Forward, "forward_gradient": ForwardGradient}


@cache
def _default(name: str) -> Engine:
    return ENGINES[name]()


def get_engine(engine: str | Engine) -> Engine:
    """An Engine from a name in ENGINES or an Engine object (returned as is).

    Parameters
    ----------
    engine : str or Engine
        A key of ``ENGINES`` (its shared default instance is returned) or an Engine.

    Returns
    -------
    Engine
        ``engine`` itself, or the shared instance of the named engine.

    Raises
    ------
    TypeError, ValueError
        When ``engine`` is neither an Engine nor the name of one.
    """
    if type(engine) is str and engine in ENGINES:  # the common case, kept cheap
        return _default(engine)
    if isinstance(engine, Engine):
        return engine
    return _default(check_choice(engine, "engine", ENGINES))


def engine_for(engine: str | Engine, architecture: Architecture) -> Engine:
    """``get_engine(engine)``, checked to compute for ``architecture`` (its dtype).

    Parameters
    ----------
    engine : str or Engine
        As for ``get_engine``.
    architecture : Architecture
        What the engine must compute for.

    Returns
    -------
    Engine
        As ``get_engine`` returns it.

    Raises
    ------
    TypeError, ValueError
        As ``get_engine``; ValueError naming ``engine`` when it does not support the
        architecture.
    """
    engine = get_engine(engine)
    if not engine.supports(architecture):
        hint = (f"; net.astype({engine.dtypes[0]!r}) gives a copy it can compute for"
                if engine.dtypes else "")
        raise ValueError(f"engine: {engine!r} does not compute for {architecture.dtype} "
                         f"networks (it supports {list(engine.dtypes)}){hint}")
    return engine


__all__ = ["ENGINES", "Autograd", "Engine", "Finite", "Forward", "ForwardGradient", "Reverse",
           "Symbolic", "SymbolicReport", "engine_for", "get_engine"]
