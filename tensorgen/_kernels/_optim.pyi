# Types of the compiled module _optim.pyx (its Python-visible names).
import numpy as np
from numpy.typing import NDArray

_Array = NDArray[np.float64]

def step(
    kind: int, lr: float, momentum: float, nesterov: bool, beta1: float, beta2: float,
    eps: float, weight_decay: float, t: int, params: _Array, grad: _Array, out: _Array,
    m: _Array, v: _Array,
) -> bool: ...
