"""Stage 2 of the symbolic pipeline: a Derivation -> code.

``c_source`` writes one C99 routine with ``sympy.utilities.codegen``::

    void tg_sample(double *params, double *x, double *y, double *loss, double *grad)

which adds the loss of one sample to ``*loss`` and its gradient to ``grad``
(csrc/tg_driver.c loops it over a batch). Steps
become ``const double`` locals, and the tg_* functions of csrc/tg_math.h are called, not
re-implemented. ``numpy_function`` turns the same program into a vectorised numpy function
with ``sympy.lambdify``, for when no C compiler works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from sympy.printing.c import C99CodePrinter
from sympy.utilities.codegen import (
    C99CodeGen,
    InOutArgument,
    InputArgument,
    Result,
    Routine,
    default_datatypes,
)

from . import tgmath
from .expressions import Derivation

#: Name of the generated routine (declared in csrc/tg_driver.h).
ROUTINE = "tg_sample"


class _Printer(C99CodePrinter):  # type: ignore[misc]  # sympy has no type information
    """C99 printer that reads the input symbols out of the routine's arrays."""

    def __init__(self, arrays: dict[sp.Symbol, str]) -> None:
        super().__init__({"order": "none"})  # sorting the terms of every sum is slow
        self._arrays = arrays

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        printed: str = self._arrays.get(expr) or super()._print_Symbol(expr)
        return printed


def _routine(derivation: Derivation) -> Routine:
    """The codegen Routine: inputs params, x, y; outputs loss (scalar) and grad (array)."""
    def array(name: str, size: int) -> tuple[sp.MatrixSymbol, list[tuple[sp.Expr, int]]]:
        return sp.MatrixSymbol(name, size, 1), [(sp.S.Zero, size - 1)]

    params, x, y = (array(name, len(syms)) for name, syms in
                    (("params", derivation.params), ("x", derivation.x), ("y", derivation.y)))
    grad_sym, grad_dims = array("grad", len(derivation.grad))
    loss_sym = sp.Symbol("loss")
    # In-out: the routine adds its sample's loss and gradient to the running sums, so the
    # sample loop needs no scratch and no second pass.
    grad_sums = sp.Matrix([grad_sym[i, 0] + g for i, g in enumerate(derivation.grad)])
    arguments = [InputArgument(m, dimensions=d) for m, d in (params, x, y)]
    arguments += [
        InOutArgument(loss_sym, loss_sym, loss_sym + derivation.loss),
        InOutArgument(grad_sym, grad_sym, grad_sums, dimensions=grad_dims,
                      datatype=default_datatypes["float"]),
    ]
    local_vars = [Result(e, name=s, result_var=s) for s, e in derivation.steps]
    # The scalar input symbols are read out of the arrays by _Printer, not passed.
    scalars = {*derivation.params, *derivation.x, *derivation.y}
    return Routine(ROUTINE, arguments, [], local_vars, scalars)


def c_source(derivation: Derivation) -> tuple[str, str]:
    """C99 source (text) of the per-sample routine; it includes tg_sample.h and tg_math.h."""
    arrays: dict[sp.Symbol, str] = {}
    for name, syms in (("params", derivation.params), ("x", derivation.x),
                       ("y", derivation.y)):
        arrays.update((s, f"{name}[{i}]") for i, s in enumerate(syms))
    gen = C99CodeGen(project="tensorgen", printer=_Printer(arrays),
                     preprocessor_statements=["#include <math.h>", '#include "tg_math.h"'])
    [(_, source), (_, header)] = gen.write([_routine(derivation)], ROUTINE, header=False)
    return source, header


def numpy_function(derivation: Derivation) -> Callable[
        [NDArray[Any], NDArray[Any], NDArray[Any]], tuple[float, NDArray[np.float64]]]:
    """f(params, X, Y) -> (cost, grad): the mean over samples, vectorised with lambdify.

    ``params`` is the flat parameter vector, ``X`` (n, n_in) and ``Y`` (n, n_out).
    """
    outputs = [derivation.loss, *derivation.grad]
    per_sample = sp.lambdify(
        [derivation.params, derivation.x, derivation.y], outputs,
        modules=[tgmath.NUMPY, "numpy"], cse=lambda exprs: (list(derivation.steps), exprs),
    )

    def value_and_grad(params: NDArray[Any], X: NDArray[Any],
                       Y: NDArray[Any]) -> tuple[float, NDArray[np.float64]]:
        n = X.shape[0]
        values = per_sample(params, X.T, Y.T)
        means = [float(np.sum(np.broadcast_to(v, (n,)))) / n for v in values]
        return means[0], np.array(means[1:])

    return value_and_grad
