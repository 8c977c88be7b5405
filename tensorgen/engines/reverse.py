"""Reverse-mode automatic differentiation: the hand-written Cython backprop."""

from __future__ import annotations

from .._kernels import _mlp
from .._kernels._seam import GradientKernel
from ..architecture import Architecture
from .base import Engine, FloatArray


class Reverse(Engine):
    """Backpropagation: one forward and one backward pass over the batch, in C.

    Cost: about three forward passes' worth of arithmetic, whatever the parameter count.
    Scratch lives in a per-thread workspace of the architecture's plan, allocated on the
    first call and reused. Its compiled form (``fit_kernel``) is the same backward pass,
    which ``fit`` runs in its compiled loop.
    """

    name = "reverse"
    dtypes = ("float64", "float32")

    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        return _mlp.value_and_grad(_mlp.plan_for(architecture), params, X, Y)

    def fit_kernel(self, architecture: Architecture) -> GradientKernel:
        return _mlp.ReverseKernel(_mlp.plan_for(architecture))

    def scratch_bytes(self, architecture: Architecture, n_samples: int) -> int:
        """Bytes of the per-thread workspace for batches of ``n_samples``: every layer's
        Z and A and two backprop blocks (reused between calls).

        Parameters
        ----------
        architecture : Architecture
            The network's description.
        n_samples : int
            Samples in the batch.

        Returns
        -------
        int
            The bytes.
        """
        size: int = _mlp.plan_for(architecture).scratch_bytes(n_samples)
        return size
