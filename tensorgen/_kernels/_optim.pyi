# Types of the compiled module _optim.pyx (its Python-visible names).
from typing import Any

import numpy as np
from numpy.typing import NDArray

# params, grad, out, m, v: all float64 or all float32 (_arrays.data_of refuses other dtypes
# and mixtures at run time).
_In = NDArray[np.floating[Any]]
_State = NDArray[np.floating[Any]]

def step(
    kind: int, lr: float, momentum: float, nesterov: bool, beta1: float, beta2: float,
    eps: float, weight_decay: float, eps_hat: bool, t: int, params: _In, grad: _In, out: _In,
    m: _State, v: _State,
) -> bool: ...
