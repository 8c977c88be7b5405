"""Gradient engines behind one interface (see base.Engine)."""

from functools import cache

from ..functions import check_choice
from .base import Engine
from .finite import Finite
from .oracle import Autograd
from .reverse import Reverse

ENGINES = {"reverse": Reverse, "autograd": Autograd, "finite": Finite}


@cache
def _default(name):
    return ENGINES[name]()


def get_engine(engine):
    """An Engine from a name in ENGINES or an Engine object (returned as is)."""
    if isinstance(engine, Engine):
        return engine
    return _default(check_choice(engine, "engine", ENGINES))


__all__ = ["ENGINES", "Autograd", "Engine", "Finite", "Reverse", "get_engine"]
