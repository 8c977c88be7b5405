"""The autograd oracle: an independent forward pass in autograd.numpy.

This is the only module that imports autograd (when first used: it is an optional extra).
Its activations and losses are written again here from their mathematical definitions,
not taken from the kernels, so agreement with the other engines is evidence that both are
right; only the leaky_relu slope, a constant of the definition, comes from csrc/tg_codes.h.
The parameter layout is the Architecture's, as for every engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..architecture import Architecture
from ..functions import LEAKY_SLOPE
from .base import Engine, FloatArray


def _activation(name: str, z: Any) -> Any:
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    if name == "sigmoid":
        return anp.exp(-anp.logaddexp(0.0, -z))
    if name == "tanh":
        return anp.tanh(z)
    if name == "relu":
        return anp.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return anp.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "softmax":
        return anp.exp(z - logsumexp(z, axis=1, keepdims=True))
    return z


def _loss(name: str, z: Any, a: Any, Y: FloatArray) -> Any:
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    if name == "bce":
        per_output = anp.logaddexp(0.0, z) - Y * z
    elif name == "cross_entropy":
        per_output = Y * (logsumexp(z, axis=1, keepdims=True) - z)
    else:
        per_output = (a - Y) ** 2
    return anp.sum(per_output) / Y.shape[0]


def cost_function(architecture: Architecture, X: FloatArray,
                  Y: FloatArray) -> Callable[[Any], Any]:
    """The network's cost as a function of a flat parameter vector, in autograd.numpy.

    Parameters
    ----------
    architecture : Architecture
        The network's description.
    X, Y : ndarray
        A batch (float64; a float32 batch is compared in float64).

    Returns
    -------
    callable
        ``cost(params)`` for a flat parameter vector (an autograd-traceable array).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)

    def cost(params: Any) -> Any:
        ws, bs = architecture.unpack(params)
        a: Any = X
        for W, b, act in zip(ws, bs, architecture.activations):
            z = a @ W + b
            a = _activation(act, z)
        return _loss(architecture.loss, z, a, Y)

    return cost


class Autograd(Engine):
    """Gradient from the HIPS autograd package: the correctness oracle (slow).

    It computes in float64 whatever the architecture's dtype, so that a float32 network
    is compared with exact float64 derivatives (``gradcheck`` does that).
    """

    name = "autograd"
    dtypes = ("float64", "float32")

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        try:
            from autograd import value_and_grad
        except ImportError:
            raise ImportError(
                "engine 'autograd' needs the autograd package: pip install autograd (or "
                "pip install 'tensorgen[autograd]')"
            ) from None
        cost, grad = value_and_grad(cost_function(architecture, X, Y))(
            np.array(params, dtype=np.float64))
        return float(cost), np.asarray(grad, dtype=np.float64)
