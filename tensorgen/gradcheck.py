"""Compare an engine's gradient with the autograd oracle, overall and per layer."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .engines import Autograd, get_engine
from .engines.base import Engine
from .network import Network


def relative_error(grad, ref, blocks):
    """Componentwise |grad - ref| / max(|ref|, floor), floor = 1e-4 * max|ref| of the block.

    A block is one ws/bs array (``blocks`` are slices of the flat vector). Components far
    smaller than their block's largest are sums that cancel, where any two correct engines
    differ by rounding noise of the block's scale; the floor measures those against that
    scale instead of reporting the noise as a large relative error.
    """
    err = np.abs(grad - ref)
    for sl in blocks:
        scale = np.abs(ref[sl])
        floor = max(1e-4 * float(scale.max(initial=0.0)), np.finfo(float).tiny)
        err[sl] /= np.maximum(scale, floor)
    return err


@dataclass(frozen=True)
class GradcheckReport:
    """Errors of one engine's gradient against the oracle's.

    Attributes
    ----------
    engine : str
        Name of the engine checked.
    cost_error : float
        Absolute difference of the costs.
    max_abs_error, max_rel_error : float
        Largest absolute and relative gradient errors over all parameters (relative
        errors as defined by ``relative_error``).
    rows : tuple of (str, int, float, float)
        (part, n, max_abs_error, max_rel_error) for each ws/bs block, then ``"all"``.
    """

    engine: str
    cost_error: float
    max_abs_error: float
    max_rel_error: float
    rows: tuple

    def __str__(self) -> str:
        lines = [f"gradcheck: engine {self.engine!r} vs autograd "
                 f"(cost error {self.cost_error:.2e})",
                 f"{'part':<6} {'n':>7} {'max abs err':>12} {'max rel err':>12}"]
        lines += [f"{p:<6} {n:>7} {a:>12.3e} {r:>12.3e}" for p, n, a, r in self.rows]
        return "\n".join(lines)


def gradcheck(net: Network, X: ArrayLike, Y: ArrayLike,
              engine: str | Engine = "reverse") -> GradcheckReport:
    """Check ``engine``'s gradient against the autograd oracle.

    Parameters
    ----------
    net : Network
    X, Y : array_like
        Data, as for ``net.value_and_grad``.
    engine : str or Engine
        The engine to check, by name or as an object.

    Returns
    -------
    GradcheckReport
        Max absolute and relative errors overall and per ws/bs block; ``print`` it for a
        table.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net: expected a tensorgen Network, got {type(net).__name__}")
    engine = get_engine(engine)
    cost, grad = net.value_and_grad(X, Y, engine=engine)
    ref_cost, ref = net.value_and_grad(X, Y, engine=Autograd())
    blocks, names, pos = [], [], 0
    for l, (W, b) in enumerate(zip(net.ws, net.bs)):
        for part, size in ((f"ws{l}", W.size), (f"bs{l}", b.size)):
            blocks.append(slice(pos, pos + size))
            names.append(part)
            pos += size
    abs_err = np.abs(grad - ref)
    rel_err = relative_error(grad, ref, blocks)
    rows = [(part, sl.stop - sl.start, float(abs_err[sl].max()), float(rel_err[sl].max()))
            for part, sl in zip(names, blocks)]
    rows.append(("all", grad.size, float(abs_err.max()), float(rel_err.max())))
    return GradcheckReport(engine.name, abs(cost - ref_cost), rows[-1][2], rows[-1][3],
                           tuple(rows))
