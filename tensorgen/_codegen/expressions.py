"""Stage 1 of the symbolic pipeline: a network's architecture -> SymPy loss of one sample and
its gradient.

Everything is in symbols: ``p_i`` for the parameters (in the layout of the Architecture's
blocks, read from it),
``x_k`` for one sample's inputs and ``y_k`` for its targets, so the expressions do not grow
with the data set.

Two ways to derive (``cse``):

- naive (``cse=False``): the loss is one expression tree and ``sympy.diff`` differentiates
  it with respect to each parameter on its own -- the swell the paper warns about.
- shared (``cse=True``): each layer's pre-activations, activations and their adjoints are
  named as intermediate symbols (steps), so the network is a graph. SymPy differentiates
  every step with respect to the symbols it uses, and the chain rule is applied over the
  graph in reverse order (each adjoint is a step too), which costs about what backprop
  costs. ``sympy.cse`` then runs over all steps, the loss and the gradient together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sympy as sp

from ..architecture import Architecture
from . import tgmath

#: A step of the straight-line program: (symbol, expression).
Step = tuple[sp.Symbol, sp.Expr]


@dataclass(frozen=True)
class Derivation:
    """A straight-line program for one sample: steps, then the loss and its gradient.

    ``steps`` are (symbol, expression) pairs in evaluation order; every expression uses
    only the inputs (params, x, y) and symbols of earlier steps.
    """

    params: tuple[sp.Symbol, ...]
    x: tuple[sp.Symbol, ...]
    y: tuple[sp.Symbol, ...]
    steps: tuple[Step, ...]
    loss: sp.Expr
    grad: tuple[sp.Expr, ...]

    def expressions(self) -> list[sp.Expr]:
        """All right-hand sides: steps, loss, gradient."""
        return [e for _, e in self.steps] + [self.loss, *self.grad]


#: Work of a unit besides its operations, in operations: each unit adds steps of their own
#: (pre-activation, activation, adjoints), and a short step costs SymPy and the C compiler
#: about as much as this many operations of a long sum (fitted: docs/engine-symbolic.rst).
UNIT_WORK = 5
#: Seconds to derive, generate and compile per unit of estimated work, by mode (cse): the
#: highest measured on the reference machine (docs/engine-symbolic.rst); time grows
#: linearly with the work.
SECONDS_PER_WORK = {True: 7.5e-4, False: 1.5e-4}


def estimate_work(arch: Architecture, cse: bool) -> int:
    """Estimated work of building the gradient of ``arch``, in operations (as
    ``count_ops`` counts them), from the architecture alone.

    Shared: per weight, a multiply-add forward and a multiply for its partial, and from the
    second layer on a multiply-add into the adjoint of its input; per unit, three
    operations (activation, derivative, product with the adjoint) and UNIT_WORK.
    Naive: ``tree[k]``, the size of one unit's expression in layer k, grows by the width of
    every layer; by the chain rule, the partial with respect to a weight into layer l holds
    that weight's input and a derivative factor tg_act_grad(z, a) (two trees) per unit on
    the way up, summed over the width of each layer above. An upper bound, within 2.1x of
    ``count_ops`` for sigmoid and tanh (measured).
    """
    w = arch.layers
    if cse:
        return sum((5 if l else 3) * w[l] * w[l + 1] + (3 + UNIT_WORK) * w[l + 1]
                   for l in range(len(w) - 1))
    tree = [1]
    for l in range(len(w) - 1):
        tree.append(w[l] * (tree[l] + 2) + 2)
    # Working down from the output: the size of a partial's derivative of the network's
    # output is scale * (its size at layer l + 1) + offset.
    work, scale, offset = 0, 1, 0
    for l in reversed(range(len(w) - 1)):
        at_layer = 2 * tree[l + 1] + tree[l] + 1
        work += (w[l] + 1) * w[l + 1] * w[-1] * (scale * at_layer + offset + tree[-1] + 4)
        offset += scale * (2 * tree[l + 1] + 2 * w[l])
        scale *= w[l]
    return work


def predicted_seconds(work: int, cse: bool) -> float:
    """Seconds to derive, generate and compile ``work`` (estimate_work) on the reference
    machine."""
    return work * SECONDS_PER_WORK[cse]


def derive(arch: Architecture, cse: bool) -> Derivation:
    """Derive the loss of one sample and its gradient.

    Parameters
    ----------
    arch : Architecture
    cse : bool
        Name intermediate results as steps (True) or build one tree per partial (False).

    Returns
    -------
    Derivation
        With ``cse=False`` it has no steps; with ``cse=True`` pass it to ``share``.
    """
    params = sp.symbols(f"p_:{arch.n_params}")
    x = sp.symbols(f"x_:{arch.layers[0]}")
    y = sp.symbols(f"y_:{arch.layers[-1]}")
    steps: list[Step] = []

    def name(label: str, expr: sp.Expr) -> sp.Expr:
        if not cse:
            return expr
        sym = sp.Symbol(label)
        steps.append((sym, expr))
        return sym

    loss = _forward(arch, params, x, y, name)
    if not cse:
        return Derivation(params, x, y, (), loss, tuple(sp.diff(loss, p) for p in params))
    return _reverse(Derivation(params, x, y, tuple(steps), loss, ()))


def _forward(arch: Architecture, params: Sequence[sp.Symbol], x: Sequence[sp.Symbol],
             y: Sequence[sp.Symbol], name: Callable[[str, sp.Expr], sp.Expr]) -> sp.Expr:
    """The loss of one sample; name(label, expr) decides whether a value becomes a step."""
    a = list(x)
    last = len(arch.activations) - 1
    for l, act in enumerate(arch.activations):
        k, m = arch.weight_shape(l)
        W, b = params[arch.weight_slice(l)], params[arch.bias_slice(l)]
        z = [name(f"z{l}_{j}", sp.Add(*[a[i] * W[i * m + j] for i in range(k)], b[j]))
             for j in range(m)]
        if l == last and arch.loss != "mse":  # bce and cross_entropy use z only
            break
        if act == "softmax":
            lse = name(f"lse{l}", tgmath.tg_logsumexp(*z))
            a = [name(f"a{l}_{j}", sp.exp(zj - lse)) for j, zj in enumerate(z)]
        elif act == "identity":
            a = z
        else:
            a = [name(f"a{l}_{j}", tgmath.activation(act, zj)) for j, zj in enumerate(z)]
    return tgmath.loss(arch.loss, z, a, y)


def _reverse(forward: Derivation) -> Derivation:
    """Add adjoint steps and the gradient to a forward derivation (reverse accumulation).

    adjoint(u) = sum over the steps s using u of adjoint(s) * d expr(s) / du, where SymPy
    computes every d expr(s) / du.
    """
    contributions: defaultdict[sp.Symbol, list[sp.Expr]] = defaultdict(list)
    targets = set(forward.params) | {s for s, _ in forward.steps}

    def push(expr: sp.Expr, seed: sp.Expr) -> None:
        for u, partial in _partials(expr, targets):
            contributions[u].append(seed * partial)

    push(forward.loss, sp.S.One)
    adjoints: list[Step] = []
    for sym, expr in reversed(forward.steps):
        if contributions[sym]:
            adjoint = sp.Symbol(f"d_{sym.name}")
            adjoints.append((adjoint, sp.Add(*contributions[sym])))
            push(expr, adjoint)
    grad = tuple(sp.Add(*contributions[p]) for p in forward.params)
    return Derivation(forward.params, forward.x, forward.y, forward.steps + tuple(adjoints),
                      forward.loss, grad)


def _partials(expr: sp.Expr, symbols: set[sp.Symbol]) -> list[tuple[sp.Symbol, sp.Expr]]:
    """(u, d expr / du) for each u of symbols in expr, by SymPy.

    A sum is split first (linearity) so each term is differentiated only with respect to
    the symbols it holds: a layer's sums then cost O(terms), not O(terms^2).
    """
    terms = expr.args if expr.is_Add else (expr,)
    holders: defaultdict[sp.Symbol, list[sp.Expr]] = defaultdict(list)
    for term in terms:
        for u in term.free_symbols & symbols:
            holders[u].append(term)
    return [(u, sp.Add(*[sp.diff(t, u) for t in holders[u]]))
            for u in sorted(holders, key=sp.default_sort_key)]


def share(derivation: Derivation) -> Derivation:
    """Common subexpression elimination over all steps, the loss and the gradient.

    Returns a Derivation whose steps are the CSE temporaries and the reduced steps. They
    keep the derivation's order, each temporary placed just before its first use, so
    values live briefly (the C compiler spills less).
    """
    exprs = derivation.expressions()
    n_steps = len(derivation.steps)
    temps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t"))
    defs = dict(temps)
    defs.update((s, e) for (s, _), e in zip(derivation.steps, reduced[:n_steps]))
    roots = [s for s, _ in derivation.steps] + [s for s, _ in temps]
    steps = tuple((s, defs[s]) for s in _first_use_order(roots, defs))
    loss, *grad = reduced[n_steps:]
    return Derivation(derivation.params, derivation.x, derivation.y, steps, loss, tuple(grad))


def _first_use_order(roots: Iterable[sp.Symbol],
                     defs: dict[sp.Symbol, sp.Expr]) -> list[sp.Symbol]:
    """Symbols of defs in a depth-first post-order from roots: each after what it uses."""
    order: list[sp.Symbol] = []
    placed: set[sp.Symbol] = set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            sym, expanded = stack.pop()
            if sym in placed:
                continue
            if expanded:
                placed.add(sym)
                order.append(sym)
                continue
            stack.append((sym, True))
            uses = sorted(defs[sym].free_symbols & defs.keys(), key=sp.default_sort_key)
            stack.extend((u, False) for u in reversed(uses) if u not in placed)
    return order


def count_ops(derivation: Derivation) -> int:
    """``sympy.count_ops`` of everything the generated code computes."""
    return int(sum(sp.count_ops(e) for e in derivation.expressions()))
