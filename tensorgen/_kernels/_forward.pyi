# Types of the compiled module _forward.pyx (its Python-visible names). Scratch is an
# extension type built without arguments; a disjoint base (PEP 800).
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

from ._mlp import Plan

# Arrays read and written: of the plan's dtype (float64 or float32; _arrays.data_of
# refuses others at run time).
_In = NDArray[np.floating[Any]]

MAX_THREADS: int
MAX_BLOCK: int

@disjoint_base
class Scratch: ...

def tangent_bytes(plan: Plan, n: int, k: int) -> int: ...
def blocks(plan: Plan, block: int) -> NDArray[np.intp]: ...
def sweep_threads(plan: Plan, n: int, block: int, n_threads: int) -> int: ...
def per_thread_bytes(plan: Plan, n: int, block: int) -> int: ...
def sweep_scratch_bytes(plan: Plan, n: int, block: int, n_threads: int) -> int: ...
def value_and_grad(
    plan: Plan, params: _In, X: _In, Y: _In, grad: _In, block: int, n_threads: int
) -> float: ...
def jvp(plan: Plan, params: _In, X: _In, Y: _In, v: _In) -> tuple[float, float]: ...
