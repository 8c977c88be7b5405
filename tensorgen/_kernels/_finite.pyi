# Types of the compiled module _finite.pyx (its Python-visible names).
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._mlp import Plan

# Arrays read: of the plan's dtype (float64; _arrays.data_of refuses others at run time).
_In = NDArray[np.floating[Any]]

CENTRAL: int
FOURTH_ORDER: int
COMPLEX_STEP: int
STEP_AUTO: int
STEP_RELATIVE: int
STEP_ABSOLUTE: int
MAX_THREADS: int

def sweep_threads(plan: Plan, n: int, n_threads: int) -> int: ...
def scratch_sizes(
    plan: Plan, n: int, method: int, naive: bool, n_threads: int
) -> tuple[int, int, int]: ...
def value_and_grad(
    plan: Plan, params: _In, X: _In, Y: _In, grad: NDArray[np.float64], method: int,
    rule: int, eps: float, naive: bool, n_threads: int, first: int = 0, stop: int = -1,
) -> float: ...
