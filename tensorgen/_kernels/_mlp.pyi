# Types of the compiled module _mlp.pyx (its Python-visible names). Its extension types
# are built by __cinit__ (in tp_new), hence __new__ here; their C layout makes each a
# disjoint base (PEP 800): no class can inherit from two of them.
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self, disjoint_base

from ..architecture import Architecture
from ._seam import GradientKernel

# Arrays read: of the plan's dtype (float64; _arrays.data_of refuses others at run time).
_In = NDArray[np.floating[Any]]
_Out = NDArray[np.float64]

@disjoint_base
class Plan:
    def __new__(cls, architecture: Architecture) -> Self: ...
    @property
    def architecture(self) -> Architecture: ...
    @property
    def n_params(self) -> int: ...
    def scratch_doubles(self, n: int) -> int: ...

@disjoint_base
class Workspace:
    def __new__(cls, plan: Plan) -> Self: ...
    @property
    def plan(self) -> Plan: ...

@disjoint_base
class ReverseKernel(GradientKernel):
    def __new__(cls, plan: Plan) -> Self: ...

def plan_for(architecture: Architecture) -> Plan: ...
def value_and_grad(plan: Plan, params: _In, X: _In, Y: _In) -> tuple[float, _Out]: ...
def uses_blas(plan: Plan, n: int) -> bool: ...
def loss(plan: Plan, params: _In, X: _In, Y: _In) -> float: ...
def predict(plan: Plan, params: _In, X: _In) -> _Out: ...
