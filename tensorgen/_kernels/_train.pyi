# Types of the compiled module _train.pyx (its Python-visible names). Loop is built by
# __cinit__ (in tp_new), hence __new__ here; an extension type, so a disjoint base.
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self, disjoint_base

from ._seam import GradientKernel

_Array = NDArray[np.float64]
# the kernel's dtype (float64 or float32), checked at run time
_Float = NDArray[np.floating[Any]]

class Status(IntEnum):
    RUNNING = 0
    TOL = 1
    NONFINITE = 2

def shuffle(order: NDArray[np.intp], state: int) -> int: ...

@disjoint_base
class Loop:
    rng: int
    t: int
    def __new__(
        cls, kernel: GradientKernel, params: _Float, X: _Float, Y: _Float, batch_size: int,
        shuffle: bool, rng: int,
        opt: tuple[int, float, float, bool, float, float, float, float, bool], m: _Float,
        v: _Float, t: int,
        shard: tuple[int, int, Callable[[Any], object]] | None = None,
    ) -> Self: ...
    @property
    def steps(self) -> int: ...
    @property
    def epochs_run(self) -> int: ...
    @property
    def status(self) -> int: ...
    def configure(
        self, opt: tuple[int, float, float, bool, float, float, float, float, bool], m: _Float,
        v: _Float, t: int,
    ) -> None: ...
    def run(self, costs: _Array, max_epochs: int, tol: float, budget: float) -> int: ...
