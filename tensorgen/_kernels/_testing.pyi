# Types of the compiled module _testing.pyx (test hooks).
import numpy as np
from numpy.typing import NDArray

from ._mlp import Plan

_Array = NDArray[np.float64]

def value_and_grad_layered(
    plan: Plan, params: _Array, X: _Array, Y: _Array
) -> tuple[float, _Array]: ...
def sigmoid_moved(z0: _Array, z: _Array) -> _Array: ...
