"""Reverse-mode automatic differentiation: the hand-written Cython backprop."""

from .._kernels import _mlp
from .base import Engine


class Reverse(Engine):
    """Backpropagation: one forward and one backward pass over the batch, in C.

    Cost: about three forward passes' worth of arithmetic, whatever the parameter count.
    Scratch lives in a per-thread workspace of the network, allocated on the first call
    and reused.
    """

    name = "reverse"

    def value_and_grad(self, net, X, Y):
        return _mlp.value_and_grad(net._plan, net._workspace(), net.params, X, Y)
