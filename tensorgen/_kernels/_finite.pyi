# Types of the compiled module _finite.pyx (its Python-visible names).
import numpy as np
from numpy.typing import NDArray

from ._mlp import Plan

_Array = NDArray[np.float64]

CENTRAL: int
FOURTH_ORDER: int
COMPLEX_STEP: int
STEP_AUTO: int
STEP_RELATIVE: int
STEP_ABSOLUTE: int

def sigmoid_moved(z0: _Array, z: _Array) -> _Array: ...
def sweep_threads(plan: Plan, n: int, n_threads: int) -> int: ...
def scratch_sizes(
    plan: Plan, n: int, method: int, naive: bool, n_threads: int
) -> tuple[int, int, int]: ...
def value_and_grad(
    plan: Plan, params: _Array, X: _Array, Y: _Array, grad: _Array, method: int, rule: int,
    eps: float, naive: bool, n_threads: int,
) -> float: ...
