"""Compare an engine's gradient with the autograd oracle, overall and per layer."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .architecture import Architecture
from .engines import Autograd, Engine, engine_for
from .network import Network


def relative_error(grad: NDArray[np.floating[Any]], ref: NDArray[np.floating[Any]],
                   blocks: Sequence[slice]) -> NDArray[np.floating[Any]]:
    """Componentwise |grad - ref| / max(|ref|, floor), floor = 1e-4 * max|ref| of the block.

    A block is one ws/bs array (``blocks`` are slices of the flat vector). Components far
    smaller than their block's largest are sums that cancel, where any two correct engines
    differ by rounding noise of the block's scale; the floor measures those against that
    scale instead of reporting the noise as a large relative error. Where the reference
    block is exactly zero, a nonzero component is measured against the smallest normal
    double: a huge error, inf beyond the double range (the forward gradient's random
    estimate is nonzero there).

    Parameters
    ----------
    grad : ndarray of shape (n_params,)
        The gradient checked.
    ref : ndarray of shape (n_params,)
        The reference gradient (the oracle's).
    blocks : sequence of slice
        The blocks of the flat vector, each measured against its own scale.

    Returns
    -------
    ndarray of shape (n_params,)
        The relative error of every component (float64 when ``ref`` is).
    """
    err = np.abs(grad - ref)
    for sl in blocks:
        scale = np.abs(ref[sl])
        floor = max(1e-4 * float(scale.max(initial=0.0)), np.finfo(float).tiny)
        with np.errstate(over="ignore"):  # (inf: see above)
            err[sl] /= np.maximum(scale, floor)
    return err


def block_relative_error(architecture: Architecture, grad: NDArray[np.floating[Any]],
                         ref: NDArray[np.floating[Any]]) -> NDArray[np.floating[Any]]:
    """``relative_error`` over the architecture's ws/bs blocks.

    Parameters
    ----------
    architecture : Architecture
        Whose blocks (``architecture.blocks``) split the vectors.
    grad, ref : ndarray of shape (architecture.n_params,)
        The gradient checked and the reference.

    Returns
    -------
    ndarray of shape (architecture.n_params,)
        The relative error of every component.
    """
    return relative_error(grad, ref, [b.slice for b in architecture.blocks])


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
    rows: tuple[tuple[str, int, float, float], ...]

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
        The network, at its current parameters.
    X, Y : array_like
        Data, as for ``net.value_and_grad``.
    engine : str or Engine
        The engine to check, by name or as an object.

    Returns
    -------
    GradcheckReport
        Max absolute and relative errors overall and per ws/bs block; ``print`` it for a
        table.

    Raises
    ------
    TypeError
        When ``net`` is not a Network.
    TypeError, ValueError
        For the data or the engine, as ``net.value_and_grad``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net: expected a tensorgen Network, got {type(net).__name__}")
    engine = engine_for(engine, net.architecture)
    cost, grad = net.value_and_grad(X, Y, engine=engine)
    ref_cost, ref = net.value_and_grad(X, Y, engine=Autograd())
    grad = np.asarray(grad, dtype=np.float64)  # a float32 network is compared in float64
    abs_err = np.abs(grad - ref)
    rel_err = block_relative_error(net.architecture, grad, ref)
    rows = [(b.name, b.size, float(abs_err[b.slice].max()), float(rel_err[b.slice].max()))
            for b in net.architecture.blocks]
    rows.append(("all", grad.size, float(abs_err.max()), float(rel_err.max())))
    return GradcheckReport(engine.name, abs(cost - ref_cost), rows[-1][2], rows[-1][3],
                           tuple(rows))
