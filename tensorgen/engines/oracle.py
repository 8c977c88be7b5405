"""The autograd oracle: an independent forward pass in autograd.numpy.

This is the only module that imports autograd. Its activations and losses are written
again here from their mathematical definitions, not taken from the kernels, so agreement
with the other engines is evidence that both are right.
"""

from typing import TYPE_CHECKING

import numpy as np

from .base import Engine, FloatArray

if TYPE_CHECKING:
    from ..network import Network


def _activation(name, z):
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    if name == "sigmoid":
        return anp.exp(-anp.logaddexp(0.0, -z))
    if name == "tanh":
        return anp.tanh(z)
    if name == "relu":
        return anp.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return anp.where(z > 0, z, 0.01 * z)
    if name == "softmax":
        return anp.exp(z - logsumexp(z, axis=1, keepdims=True))
    return z


def _loss(name, z, a, Y):
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    if name == "bce":
        per_output = anp.logaddexp(0.0, z) - Y * z
    elif name == "cross_entropy":
        per_output = Y * (logsumexp(z, axis=1, keepdims=True) - z)
    else:
        per_output = (a - Y) ** 2
    return anp.sum(per_output) / Y.shape[0]


def cost_function(net, X, Y):
    """The network's cost as a function of a flat parameter vector, in autograd.numpy."""
    layers = net.layers
    acts = [net.activation] * (len(layers) - 2) + [net.output_activation]

    def cost(params):
        a, pos = X, 0
        for l, act in enumerate(acts):
            k, m = layers[l], layers[l + 1]
            W = params[pos : pos + k * m].reshape(k, m)
            pos += k * m
            b = params[pos : pos + m]
            pos += m
            z = a @ W + b
            a = _activation(act, z)
        return _loss(net.loss_name, z, a, Y)

    return cost


class Autograd(Engine):
    """Gradient from the HIPS autograd package: the correctness oracle (slow)."""

    name = "autograd"

    def value_and_grad(self, net: "Network", X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        try:
            from autograd import value_and_grad
        except ImportError:
            raise ImportError(
                "engine 'autograd' needs the autograd package: pip install 'tensorgen[test]'"
            ) from None
        cost, grad = value_and_grad(cost_function(net, X, Y))(net.params.copy())
        return float(cost), np.asarray(grad, dtype=np.float64)
