"""Checks of scalar options, shared by every module that takes them, and the descriptor
that keeps a validated attribute valid when it is assigned again."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, Generic, Literal, TypeVar, cast, overload

T = TypeVar("T")


@overload
def check_number(value: object, name: str, low: float | None = None,
                 high: float | None = None, *, integer: Literal[True],
                 low_open: bool = False, high_open: bool = False) -> int: ...


@overload
def check_number(value: object, name: str, low: float | None = None,
                 high: float | None = None, *, integer: Literal[False] = False,
                 low_open: bool = False, high_open: bool = False) -> float: ...


def check_number(value: object, name: str, low: float | None = None,
                 high: float | None = None, *, integer: bool = False, low_open: bool = False,
                 high_open: bool = False) -> int | float:
    """Return ``value`` if it is a finite real (an int if ``integer``) within the bounds.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, for the message.
    low, high : float, optional
        Bounds, inclusive unless ``low_open``/``high_open``.
    integer : bool
        Require an integral value (returned as int; otherwise float).
    low_open, high_open : bool
        Exclude the bound itself.

    Returns
    -------
    int or float
        ``value`` as an int if ``integer``, else as a float.

    Raises
    ------
    TypeError
        For a wrong type (bools are not numbers here).
    ValueError
        For NaN, infinity or a value out of range; the message names the argument.
    """
    kind, what = (numbers.Integral, "an int") if integer else (numbers.Real, "a number")
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name}: expected {what}, got {value!r}")
    # A numbers.Real (int, float, numpy scalar, ...): compared as itself, so ints exactly.
    value = cast(float, value)
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):  # ints are
        raise ValueError(f"{name}: expected a finite value, got {value!r}")   # (10**400 too)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'(' if low_open else '['}{low}, "
        hi = "" if high is None else f"{high}{')' if high_open else ']'}"
        span = f"{lo or '(-inf, '}{hi or 'inf)'}"
        raise ValueError(f"{name}: expected a value in {span}, got {value!r}")
    return int(value) if integer else float(value)


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool, else raise TypeError naming the argument.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, for the message.

    Returns
    -------
    bool
        ``value``.

    Raises
    ------
    TypeError
        When ``value`` is not a bool.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return value


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise naming the
    argument.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, for the message.
    choices : iterable of str
        The accepted names (a dict's keys count).

    Returns
    -------
    str
        ``value``.

    Raises
    ------
    TypeError
        When ``value`` is not a string.
    ValueError
        When it is not one of ``choices``.
    """
    listed = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {listed}, got {value!r}")
    if value not in listed:
        raise ValueError(f"{name}: expected one of {listed}, got {value!r}")
    return value


class Checked(Generic[T]):
    """An attribute checked on every assignment, not only in ``__init__``.

    ``lr = Checked(lambda v, name: check_number(v, name, 0.0, low_open=True))`` in a class
    body: ``obj.lr = -0.5`` raises the check's error, naming ``lr``, and leaves the old
    value in place. The value lives in ``obj._<name>``.
    """

    def __init__(self, check: Callable[[Any, str], T]) -> None:
        self.check = check
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Checked[T]: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T: ...

    def __get__(self, obj: object | None, objtype: type | None = None) -> T | Checked[T]:
        if obj is None:
            return self
        value: T = obj.__dict__["_" + self.name]
        return value

    def __set__(self, obj: object, value: Any) -> None:
        obj.__dict__["_" + self.name] = self.check(value, self.name)


class ReadOnlyOptions:
    """Public attributes fixed once ``__init__`` has checked them.

    An object whose options were validated together (an engine's step and method, say)
    cannot have one of them reassigned behind the checks: assigning a public attribute
    after ``_seal()`` raises AttributeError. Private attributes (caches) stay writable.
    """

    _sealed = False

    def _seal(self) -> None:
        object.__setattr__(self, "_sealed", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._sealed and not name.startswith("_"):
            cls = type(self).__name__
            raise AttributeError(f"{name}: the options of a {cls} are read-only once checked; "
                                 f"make a new {cls}(...) instead")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self._sealed and not name.startswith("_"):
            raise AttributeError(f"{name}: the options of a {type(self).__name__} are "
                                 "read-only")
        object.__delattr__(self, name)
