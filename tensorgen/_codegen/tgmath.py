"""The activations and losses of ``csrc/tg_math.h`` as SymPy functions.

Each class is the C function of the same name: it prints as a call to it (``_ccode``), its
``fdiff`` is the derivative the C kernels use, and ``NUMPY`` holds a numpy version with the
same formula for the lambdify fallback. So the generated code computes exactly the function
every other engine computes, and SymPy still does all the differentiating.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from ..functions import LEAKY_SLOPE

_Array = NDArray[np.float64]


class _TgFunction(sp.Function):  # type: ignore[misc]  # sympy has no type information
    """A function of tg_math.h: printed as a call to ``c_name`` (default: the class name,
    which is also its name in NUMPY)."""

    c_name: str | None = None

    def _call(self, printer: Any, name: str) -> str:
        return f"{name}({', '.join(printer._print(a) for a in self.args)})"

    def _ccode(self, printer: Any) -> str:
        return self._call(printer, self.c_name or type(self).__name__)

    def _numpycode(self, printer: Any) -> str:
        return self._call(printer, type(self).__name__)


class _Elementwise(_TgFunction):
    """A function of one value z; ``derivative(z, a)`` gives d a / dz from z and a = f(z),
    like tg_act_grad in C."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return self.derivative(self.args[0], self)


class _ActGrad(_TgFunction):
    """f'(z) of an activation f, as tg_act_grad(code, z, a) with a = f(z) (passed along so
    the value computed forward is reused); ``second(z, g)`` gives f''(z) from g = f'(z)."""

    nargs = 2

    def _ccode(self, printer: Any) -> str:
        z, a = (printer._print(v) for v in self.args)
        return f"tg_act_grad({self.code}, {z}, {a})"

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        # a only carries f(z) along: the value depends on z alone.
        return self.second(self.args[0], self) if argindex == 1 else sp.S.Zero


# The classes are named after their C functions: SymPy prints a function by its class name.
class tg_sigmoid_grad(_ActGrad):
    code = "TG_SIGMOID"
    second = staticmethod(lambda z, g: g * (1 - 2 * tg_sigmoid(z)))


class tg_sigmoid(_Elementwise):
    derivative = staticmethod(lambda z, a: tg_sigmoid_grad(z, a))


class tg_tanh_grad(_ActGrad):
    code = "TG_TANH"
    second = staticmethod(lambda z, g: -2 * tg_tanh(z) * g)


class tg_tanh(_Elementwise):
    c_name = "tanh"
    derivative = staticmethod(lambda z, a: tg_tanh_grad(z, a))


class tg_softplus(_Elementwise):
    """log(1 + exp(z)); its derivative is the sigmoid."""

    derivative = staticmethod(lambda z, a: tg_sigmoid(z))


class tg_relu_grad(_Elementwise):
    derivative = staticmethod(lambda z, a: sp.S.Zero)


class tg_relu(_Elementwise):
    derivative = staticmethod(lambda z, a: tg_relu_grad(z))


class tg_leaky_relu_grad(_Elementwise):
    derivative = staticmethod(lambda z, a: sp.S.Zero)


class tg_leaky_relu(_Elementwise):
    derivative = staticmethod(lambda z, a: tg_leaky_relu_grad(z))


class tg_logsumexp(_TgFunction):
    """log(sum_j exp(z_j)) of a row, any number of arguments; d/dz_i is softmax_i."""

    @classmethod
    def eval(cls, *args: sp.Expr) -> sp.Expr | None:
        if len(args) == 1:
            return args[0]
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.exp(self.args[argindex - 1] - self)

    def _ccode(self, printer: Any) -> str:
        # tg_logsumexp takes a pointer and a length: pass a C99 compound literal.
        row = ", ".join(printer._print(a) for a in self.args)
        return f"tg_logsumexp((const double[]){{{row}}}, {len(self.args)})"

    def _numpycode(self, printer: Any) -> str:
        return f"tg_logsumexp({', '.join(printer._print(a) for a in self.args)})"


def _sigmoid(z: _Array) -> _Array:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _act_grad(scale: float) -> Callable[[_Array, _Array], _Array]:
    """f'(z) from z alone, as tg_act_grad computes it for sigmoid (scale 1) and tanh
    (scale 2): scale^2 e / (1 + e)^2 with e = exp(-scale |z|), accurate in the tails."""

    def grad(z: _Array, a: _Array) -> _Array:
        e = np.exp(-scale * np.abs(z))
        return scale * scale * e / ((1.0 + e) * (1.0 + e))

    return grad


def _logsumexp(*row: _Array) -> _Array:
    z = np.stack(np.broadcast_arrays(*row))
    m = z.max(axis=0)
    lse: _Array = m + np.log(np.exp(z - m).sum(axis=0))
    return lse


#: numpy versions of the functions above (same formulas as tg_math.h), for lambdify.
NUMPY: dict[str, Callable[..., Any]] = {
    "tg_sigmoid": _sigmoid,
    "tg_sigmoid_grad": _act_grad(1.0),
    "tg_tanh": np.tanh,
    "tg_tanh_grad": _act_grad(2.0),
    "tg_softplus": lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
    "tg_relu": lambda z: np.where(z > 0, z, 0.0),
    "tg_relu_grad": lambda z: np.where(z > 0, 1.0, 0.0),
    "tg_leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "tg_leaky_relu_grad": lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
    "tg_logsumexp": _logsumexp,
}

_ELEMENTWISE: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "identity": lambda z: z,
    "sigmoid": tg_sigmoid,
    "tanh": tg_tanh,
    "relu": tg_relu,
    "leaky_relu": tg_leaky_relu,
}


def activation(name: str, z: sp.Expr) -> sp.Expr:
    """Activation ``name`` (not softmax) of the expression z."""
    return _ELEMENTWISE[name](z)


def softmax(z: Sequence[sp.Expr]) -> list[sp.Expr]:
    """Softmax of the row z (list of expressions), as exp(z_j - logsumexp(z))."""
    lse = tg_logsumexp(*z)
    return [sp.exp(zj - lse) for zj in z]


def loss(name: str, z: Sequence[sp.Expr], a: Sequence[sp.Expr],
         y: Sequence[sp.Expr]) -> sp.Expr:
    """Loss of one sample from output pre-activations z, activations a and targets y.

    The formulas of tg_loss_row: mse sum (a - y)^2, bce sum softplus(z) - y z,
    cross_entropy sum y (logsumexp(z) - z).
    """
    if name == "bce":
        return sp.Add(*[tg_softplus(zk) - yk * zk for zk, yk in zip(z, y)])
    if name == "cross_entropy":
        lse = tg_logsumexp(*z)
        return sp.Add(*[yk * (lse - zk) for zk, yk in zip(z, y)])
    return sp.Add(*[(ak - yk) ** 2 for ak, yk in zip(a, y)])
