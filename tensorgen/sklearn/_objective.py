"""The function scikit-learn's MLPs minimise, as an Engine over any of TensorGen's.

For a batch of n samples, scikit-learn's MLPs follow the gradient of the batch's mean loss
plus ``0.5 * alpha * (sum of the squared weights, not the biases) / n``, and report that
value as the batch's loss. Their losses relate to TensorGen's as follows:

- log-loss (binary and multilabel: sigmoid outputs; multiclass: softmax outputs) is
  TensorGen's ``bce`` / ``cross_entropy``, sum over outputs, mean over samples;
- squared error is half of TensorGen's ``mse`` (which sums over outputs): the gradient is
  that of the sum over outputs / 2, but the loss reported is the mean over outputs / 2;
- Poisson (half the deviance, log link) is not one of TensorGen's losses: it is trained
  through the mse gradient at a working target (see ``Poisson``).

``Objective`` adds the penalty and the scales to the inner engine's cost and gradient; its
compiled form (``fit_kernel``) is the inner engine's wrapped in
``_kernels._penalty.PenalizedKernel``, so fit's compiled loop runs it, and from Python the
same C (``Penalty.apply``) applies it. Both are stateless, as engines must be.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import xlogy

from .._kernels import _mlp
from .._kernels._penalty import PenalizedKernel, Penalty
from .._kernels._seam import GradientKernel
from ..architecture import Architecture
from ..engines import Engine
from ..engines.base import FloatArray


def weight_ranges(architecture: Architecture) -> np.ndarray[Any, np.dtype[np.intp]]:
    """[start, stop) of every weight matrix in the flat parameter vector."""
    return np.array([[b.start, b.stop] for b in architecture.blocks if b.kind == "weight"],
                    dtype=np.intp)


def _writable(grad: FloatArray, dtype: np.dtype[Any]) -> FloatArray:
    """The engine's gradient, or a copy that Penalty.apply may update in place."""
    if grad.dtype == dtype and grad.flags.writeable and grad.flags.c_contiguous:
        return grad
    return np.array(grad, dtype=dtype, order="C")


class Objective(Engine):
    """``cost_scale * cost + penalty`` and ``grad_scale * grad + d penalty`` of an engine.

    Parameters
    ----------
    engine : Engine
        The engine computing the loss and its gradient.
    architecture : Architecture
        The network's (where its weights sit).
    alpha : float
        scikit-learn's L2 penalty (>= 0) on the weights.
    grad_scale, cost_scale : float
        Factors of the engine's gradient and of its cost.
    """

    name = "sklearn-objective"

    def __init__(self, engine: Engine, architecture: Architecture, alpha: float,
                 grad_scale: float = 1.0, cost_scale: float = 1.0) -> None:
        self.engine = engine
        self.alpha, self.grad_scale, self.cost_scale = alpha, grad_scale, cost_scale
        self.penalty = Penalty(architecture.n_params, weight_ranges(architecture), alpha,
                               grad_scale, cost_scale)

    def supports(self, architecture: Architecture) -> bool:
        return self.engine.supports(architecture)

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        cost, grad = self.engine.value_and_grad(architecture, params, X, Y)
        grad = _writable(grad, params.dtype)
        return self.penalty.apply(params, grad, float(cost), X.shape[0]), grad

    def fit_kernel(self, architecture: Architecture) -> GradientKernel | None:
        kernel = self.engine.fit_kernel(architecture)
        if kernel is None:
            return None
        return PenalizedKernel(kernel, self.penalty)

    def __repr__(self) -> str:
        return (f"Objective({self.engine!r}, alpha={self.alpha!r}, grad_scale="
                f"{self.grad_scale!r}, cost_scale={self.cost_scale!r})")


class Poisson(Engine):
    """Half the Poisson deviance with a log link (outputs ``exp(z)``), through ``engine``'s
    mse gradient, for a network with identity outputs and the mse loss.

    The deviance's gradient with respect to the outputs ``z`` is ``(exp(z) - y) / n``, and
    mse's at targets ``t`` is ``2 (z - t) / n``: at the working target
    ``t = z - (exp(z) - y) / 2`` they are equal, so one forward pass (for ``z``) and the
    engine's gradient at ``t`` give the deviance's gradient. Its cost is
    ``mean over samples, sum over outputs of y log(y / exp(z)) - y + exp(z)``, as
    scikit-learn's. No compiled form: fit runs it in its Python loop.

    Parameters
    ----------
    engine : Engine
        The engine computing the mse gradient.
    """

    name = "sklearn-poisson"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def supports(self, architecture: Architecture) -> bool:
        return self.engine.supports(architecture)

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        z = _mlp.predict(_mlp.plan_for(architecture), params, X)
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.exp(z)
            target = np.ascontiguousarray(z - (mean - Y) / 2, dtype=z.dtype)
            cost = float(np.sum(xlogy(Y, Y / mean) - Y + mean, dtype=np.float64)) / len(X)
        if not (np.isfinite(cost) and np.isfinite(target).all()):
            return cost, np.full(params.shape, np.nan, dtype=params.dtype)
        _, grad = self.engine.value_and_grad(architecture, params, X, target)
        return cost, grad

    def __repr__(self) -> str:
        return f"Poisson({self.engine!r})"
