"""Checks of scalar options, shared by training, optimizers and data helpers."""

import math
import numbers


def check_number(value, name, low=None, high=None, *, integer=False, low_open=False,
                 high_open=False):
    """Return ``value`` if it is a finite real (an int if ``integer``) within the bounds.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``. Raises TypeError for
    a wrong type and ValueError for a value out of range, naming the argument.
    """
    kind, what = (numbers.Integral, "an int") if integer else (numbers.Real, "a number")
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name}: expected {what}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite value, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'(' if low_open else '['}{low}, "
        hi = "" if high is None else f"{high}{')' if high_open else ']'}"
        span = f"{lo or '(-inf, '}{hi or 'inf)'}"
        raise ValueError(f"{name}: expected a value in {span}, got {value!r}")
    return int(value) if integer else float(value)


def check_bool(value, name):
    """Return ``value`` if it is a bool, else raise TypeError naming the argument."""
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return value
