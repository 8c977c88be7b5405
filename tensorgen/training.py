"""Training: the fit loop and its History."""

import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from .engines import get_engine
from .functions import check_choice

OPTIMIZERS = ("sgd",)


@dataclass
class History:
    """What happened during ``fit``.

    Attributes
    ----------
    cost : list of float
        Training cost after each epoch's update was computed (the cost the gradient saw).
    stop_reason : str
        ``"tol"`` (cost fell below tol), ``"epochs"`` (ran them all).
    wall_time : float
        Seconds spent in ``fit``.
    """

    cost: list = field(default_factory=list)
    stop_reason: str = ""
    wall_time: float = 0.0

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.cost)


def check_positive(value, name, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name}: expected a positive {'int' if integer else 'number'}, "
                        f"got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name}: expected a positive finite value, got {value!r}")
    return value


def fit(net, X, Y, engine="reverse", optimizer="sgd", lr=0.1, epochs=1000, tol=None):
    """Train ``net`` in place by full-batch gradient descent.

    Parameters
    ----------
    net : Network
    X, Y : array_like
        Training data, as for ``Network.value_and_grad``.
    engine : str or Engine
        Gradient engine.
    optimizer : {"sgd"}
    lr : float
        Learning rate (> 0).
    epochs : int
        Maximum number of epochs (>= 1).
    tol : float or None
        Stop as soon as the cost falls below ``tol``.

    Returns
    -------
    History

    Raises
    ------
    FloatingPointError
        When the cost or gradient stops being finite; ``net`` keeps its last finite
        parameters.
    """
    engine = get_engine(engine)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_positive(lr, "lr")
    check_positive(epochs, "epochs", integer=True)
    if tol is not None:
        check_positive(tol, "tol")
    X, Y = net._check_XY(X, Y)
    history, start = History(), time.perf_counter()
    params = net.params
    for epoch in range(epochs):
        cost, grad = engine.value_and_grad(net, X, Y)
        if not (np.isfinite(cost) and np.isfinite(grad).all()):
            raise FloatingPointError(
                f"fit: cost or gradient became non-finite at epoch {epoch}; "
                "the network keeps its last finite parameters"
            )
        history.cost.append(cost)
        if tol is not None and cost < tol:
            history.stop_reason = "tol"
            break
        params -= lr * grad
    else:
        history.stop_reason = "epochs"
    history.wall_time = time.perf_counter() - start
    return history
