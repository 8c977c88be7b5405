# Types of the compiled module _train.pyx (its Python-visible names).
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from ._seam import GradientKernel

_Array = NDArray[np.float64]

class Status(IntEnum):
    RUNNING = 0
    TOL = 1
    NONFINITE = 2

def shuffle(order: NDArray[np.intp], state: int) -> int: ...

class Loop:
    rng: int
    t: int
    @property
    def steps(self) -> int: ...
    @property
    def epochs_run(self) -> int: ...
    @property
    def status(self) -> int: ...
    def __init__(
        self, kernel: GradientKernel, params: _Array, X: _Array, Y: _Array,
        batch_size: int, shuffle: bool, rng: int, opt: tuple[float, ...], m: _Array,
        v: _Array, t: int,
    ) -> None: ...
    def run(self, costs: _Array, max_epochs: int, tol: float, budget: float) -> int: ...
