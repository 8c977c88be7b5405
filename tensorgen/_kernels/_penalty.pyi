# Types of the compiled module _penalty.pyx (its Python-visible names). Its extension types
# are built by __cinit__ (in tp_new), hence __new__ here; each a disjoint base.
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from typing_extensions import Self, disjoint_base

from ._seam import GradientKernel

# params and grad: both float64 or both float32 (checked at run time)
_Float = NDArray[np.floating[Any]]

@disjoint_base
class Penalty:
    def __new__(
        cls, n_params: int, ranges: ArrayLike, l2: float, grad_scale: float = ...,
        cost_scale: float = ...,
    ) -> Self: ...
    @property
    def n_params(self) -> int: ...
    def apply(self, params: _Float, grad: _Float, cost: float, n: int) -> float: ...

@disjoint_base
class PenalizedKernel(GradientKernel):
    def __new__(cls, inner: GradientKernel, penalty: Penalty) -> Self: ...
