"""Reverse-mode automatic differentiation: the hand-written Cython backprop."""

from typing import TYPE_CHECKING

from .._kernels import _mlp
from .base import Engine, FloatArray

if TYPE_CHECKING:
    from ..network import Network


class Reverse(Engine):
    """Backpropagation: one forward and one backward pass over the batch, in C.

    Cost: about three forward passes' worth of arithmetic, whatever the parameter count.
    Scratch lives in a per-thread workspace of the network, allocated on the first call
    and reused.
    """

    name = "reverse"

    def value_and_grad(self, net: "Network", X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        return _mlp.value_and_grad(net._plan, net._workspace(), net.params, X, Y)
