# Types of the compiled module _forward_gradient.pyx (its Python-visible names). Its
# kernel is built by __cinit__ (in tp_new), hence __new__ here; an extension type, so a
# disjoint base.
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self, disjoint_base

from ._mlp import Plan
from ._seam import GradientKernel

# Arrays read and written: of the plan's dtype (float64 or float32; _arrays.data_of
# refuses others at run time).
_In = NDArray[np.floating[Any]]

MAX_DIRECTIONS: int

def capacities(plan: Plan, n: int, directions: int) -> tuple[int, int]: ...
def scratch_sizes(plan: Plan, n: int, directions: int) -> tuple[int, int]: ...
def value_and_grad(
    plan: Plan, params: _In, X: _In, Y: _In, grad: _In, directions: int, key: int,
    counter: NDArray[np.uint64],
) -> float: ...
def draw(n_params: int, directions: int, key: int, call: int) -> NDArray[np.float64]: ...

@disjoint_base
class ForwardGradientKernel(GradientKernel):
    def __new__(
        cls, plan: Plan, directions: int, key: int, counter: NDArray[np.uint64]
    ) -> Self: ...
