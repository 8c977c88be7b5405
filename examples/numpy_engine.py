"""A gradient engine written against TensorGen's public API alone: backpropagation in
numpy, for mse networks of identity, sigmoid, tanh and relu layers.

An engine receives the Architecture (layers, activations, loss, where every W and b sits
in the flat parameter vector), the parameters and a checked batch, and returns the cost
and the gradient in the parameters' layout. It declares what it can do: here, through
``supports``, which networks it computes for. ``tg.gradcheck`` checks it against the
autograd oracle and ``fit`` trains with it (in its Python loop: it has no compiled form).

    python examples/numpy_engine.py
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import tensorgen as tg
from tensorgen.engines.base import FloatArray

Function = Callable[[NDArray[Any]], NDArray[Any]]
Derivative = Callable[[NDArray[Any], NDArray[Any]], NDArray[Any]]

#: activation -> (f(z), f'(z) given z and a = f(z))
ACTIVATIONS: dict[str, tuple[Function, Derivative]] = {
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
    "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
}


class NumpyBackprop(tg.engines.Engine):
    """Reverse-mode AD of the mse cost, one numpy array per layer."""

    name = "numpy-backprop"

    def supports(self, architecture: tg.Architecture) -> bool:
        return (super().supports(architecture) and architecture.loss == "mse"
                and all(a in ACTIVATIONS for a in architecture.activations))

    def value_and_grad(self, architecture: tg.Architecture, params: FloatArray,
                       X: FloatArray, Y: FloatArray) -> tuple[float, FloatArray]:
        ws, bs = architecture.unpack(params)
        grad = np.empty_like(params)
        grad_ws, grad_bs = architecture.unpack(grad)  # views: writing them fills grad
        inputs, zs, outputs = [], [], []
        a = X
        for W, b, name in zip(ws, bs, architecture.activations):
            inputs.append(a)
            zs.append(a @ W + b)
            a = ACTIVATIONS[name][0](zs[-1])
            outputs.append(a)
        n = X.shape[0]
        cost = float(np.sum((a - Y) ** 2) / n)
        delta = 2.0 * (a - Y) / n  # d cost / d output
        for l in reversed(range(architecture.n_layers)):
            delta = delta * ACTIVATIONS[architecture.activations[l]][1](zs[l], outputs[l])
            grad_ws[l][:] = inputs[l].T @ delta
            grad_bs[l][:] = delta.sum(axis=0)
            delta = delta @ ws[l].T
        return cost, grad


def main() -> None:
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    print(tg.gradcheck(net, X, Y, engine=NumpyBackprop()))
    history = net.fit(X, Y, engine=NumpyBackprop(), lr=1.0, epochs=5000, tol=1e-3)
    print(f"XOR trained by {NumpyBackprop.name}: {history.epochs} epochs "
          f"({history.stop_reason}), cost {history.cost[-1]:.6f}")


if __name__ == "__main__":
    main()
