"""Stage 2 of the symbolic pipeline: a Derivation -> code.

``c_sources`` prints the derivation as C99 with SymPy's C99 printer: a routine ::

    void tg_sample(const double *params, const double *x, const double *y, double *loss,
                   double *grad)

that adds the loss of one sample to ``*loss`` and its gradient to ``grad`` (csrc/tg_driver.c
loops it over a batch). Steps become ``const double`` locals (a step that only copies a
value is not printed: its name prints as that value), each output (the loss, a partial) is
added in the part that computes the last step it uses, and the tg_* functions of
csrc/tg_math.h are called, not re-implemented.

Split: a C compiler's time and memory on one function grow faster than linearly with its
length (register allocation over one long straight-line block; measured in
docs/engine-symbolic.rst). So the statements are cut, in order, into parts of at most
``PART_CHARS`` characters, each a function ``tg_part_<k>`` in a file of its own, and
``tg_sample`` calls them in turn; a value used by a later part than the one computing it
is passed in an array ``v`` on tg_sample's stack (8 bytes each). A part reads what it
needs from ``v``, computes its steps, adds its outputs, then writes to ``v``. Every compiler
process then works on a file of bounded size, and compile time and memory grow linearly
with the code.

``numpy_function`` turns the same program into a vectorised numpy function with
``sympy.lambdify``, for when no C compiler works.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from sympy.printing.c import C99CodePrinter

from . import tgmath
from .expressions import Derivation

#: Characters of C in one part at most (one statement longer than this is a part alone).
PART_CHARS = 10_000
_SAMPLE = ("void tg_sample(const double *params, const double *x, const double *y, "
           "double *loss, double *grad)")
# restrict: the arrays never overlap (grad is allocated per call, loss and v are locals of
# the caller), so the compiler may keep values in registers across the stores to them.
_PART = ("void tg_part_{}(const double *restrict params, const double *restrict x, "
         "const double *restrict y, double *restrict v, double *restrict loss, "
         "double *restrict grad)")
_READ_CHARS = len("   const double d_z123_45 = v[12345];\n")

#: A C statement: (the step it computes or None for an output, its text, the step symbols
#: it uses).
_Statement = tuple[sp.Symbol | None, str, set[sp.Symbol]]
#: Arrays the numpy function reads: float64 (the engine's architectures are float64).
_In = NDArray[np.floating[Any]]


class _Printer(C99CodePrinter):  # type: ignore[misc]  # sympy has no type information
    """C99 printer that prints symbols by ``names`` (inputs as array elements, copies as
    what they copy), others by their own name."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        super().__init__({"order": "none"})  # sorting the terms of every sum is slow
        self._names = names

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        printed: str = self._names.get(expr) or super()._print_Symbol(expr)
        return printed


def c_sources(derivation: Derivation) -> dict[str, str]:
    """name -> C99 text of ``tg_sample.c`` and the ``tg_part_<k>.c`` it calls."""
    parts = _split(_statements(derivation))
    computed_in = {sym: k for k, part in enumerate(parts) for sym, _, _ in part if sym}
    # value used by a later part than the one computing it -> its index in v
    passed: dict[sp.Symbol, int] = {}
    for k, part in enumerate(parts):
        for _, _, uses in part:
            for u in uses:
                if computed_in[u] < k:
                    passed.setdefault(u, len(passed))
    files = {f"tg_part_{k}.c": _part(k, part, computed_in, passed)
             for k, part in enumerate(parts)}
    calls = "".join(f"   tg_part_{k}(params, x, y, v, loss, grad);\n" for k in range(len(parts)))
    files["tg_sample.c"] = "".join([
        '#include "tg_driver.h"\n\n', *(f"{_PART.format(k)};\n" for k in range(len(parts))),
        f"\n{_SAMPLE}\n{{\n   double v[{max(len(passed), 1)}];\n{calls}}}\n"])
    return files


def _statements(derivation: Derivation) -> list[_Statement]:
    """[(step symbol or None, C statement, step symbols it uses)] in an order where every
    value is computed before it is used and each output comes right after its last input."""
    names: dict[sp.Symbol, str] = {}
    for array, syms in (("params", derivation.params), ("x", derivation.x),
                        ("y", derivation.y)):
        names.update((s, f"{array}[{i}]") for i, s in enumerate(syms))
    printer = _Printer(names)
    same: dict[sp.Symbol, sp.Symbol] = {}  # a copy -> the step it copies
    position: dict[sp.Symbol, int] = {}  # a printed step -> its rank
    for sym, expr in derivation.steps:
        if expr.is_Symbol:
            same[sym] = same.get(expr, expr)
            names[sym] = printer.doprint(expr)
        else:
            position[sym] = len(position)

    def uses(expr: sp.Expr) -> set[sp.Symbol]:
        return {same.get(u, u) for u in expr.free_symbols} & position.keys()

    # rank of the last step an output uses -> the outputs
    after: defaultdict[int, list[_Statement]] = defaultdict(list)
    outputs = [("(*loss)", derivation.loss)]
    outputs += [(f"grad[{i}]", g) for i, g in enumerate(derivation.grad)]
    for target, expr in outputs:
        used = uses(expr)
        after[max((position[u] for u in used), default=-1)].append(
            (None, f"   {target} += {printer.doprint(expr)};\n", used))
    statements = after[-1]
    for sym, expr in derivation.steps:
        if sym in position:
            statements.append((sym, f"   const double {printer.doprint(sym)} = "
                                    f"{printer.doprint(expr)};\n", uses(expr)))
            statements += after[position[sym]]
    return statements


def _split(statements: list[_Statement]) -> list[list[_Statement]]:
    """The statements cut, in order, into parts of at most PART_CHARS characters each,
    counting a line that reads each value computed in an earlier part."""
    parts: list[list[_Statement]] = []
    here: set[sp.Symbol | None] = set()
    size = PART_CHARS + 1
    for sym, text, uses in statements:
        if size + len(text) + _READ_CHARS * len(uses - here) > PART_CHARS:
            parts.append([])
            size, here = 0, set()
        size += len(text) + _READ_CHARS * len(uses - here)
        here |= uses | {sym}
        parts[-1].append((sym, text, uses))
    return parts


def _part(k: int, part: list[_Statement], computed_in: dict[sp.Symbol, int],
          passed: dict[sp.Symbol, int]) -> str:
    """C text of tg_part_k: read from v the values computed before, compute the steps, add
    the outputs, write to v the values used after (all stores last)."""
    reads = dict.fromkeys(u for _, _, uses in part for u in uses if computed_in[u] < k)
    lines = ['#include <math.h>\n#include "tg_math.h"\n\n', f"{_PART.format(k)}\n{{\n"]
    lines += [f"   const double {u} = v[{passed[u]}];\n" for u in reads]
    lines += [text for sym, text, _ in part if sym]
    lines += [text for sym, text, _ in part if not sym]
    lines += [f"   v[{passed[sym]}] = {sym};\n" for sym, _, _ in part if sym in passed]
    lines.append("}\n")
    return "".join(lines)


def numpy_function(derivation: Derivation) -> Callable[[_In, _In, _In],
                                                      tuple[float, NDArray[np.float64]]]:
    """f(params, X, Y) -> (cost, grad): the mean over samples, vectorised with lambdify.

    ``params`` is the flat parameter vector, ``X`` (n, n_in) and ``Y`` (n, n_out).
    """
    outputs = [derivation.loss, *derivation.grad]
    per_sample = sp.lambdify(
        [derivation.params, derivation.x, derivation.y], outputs,
        modules=[tgmath.NUMPY, "numpy"], cse=lambda exprs: (list(derivation.steps), exprs),
    )

    def value_and_grad(params: _In, X: _In, Y: _In) -> tuple[float, NDArray[np.float64]]:
        n = X.shape[0]
        values = per_sample(params, X.T, Y.T)
        means = [float(np.sum(np.broadcast_to(v, (n,)))) / n for v in values]
        return means[0], np.array(means[1:])

    return value_and_grad
