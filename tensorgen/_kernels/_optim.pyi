# Types of the compiled module _optim.pyx (its Python-visible names).
from typing import Any

import numpy as np
from numpy.typing import NDArray

# params, grad, out: float64 (_arrays.data_of refuses other dtypes at run time); m, v: the
# optimizer's float64 state.
_In = NDArray[np.floating[Any]]
_State = NDArray[np.float64]

def step(
    kind: int, lr: float, momentum: float, nesterov: bool, beta1: float, beta2: float,
    eps: float, weight_decay: float, t: int, params: _In, grad: _In, out: _In, m: _State,
    v: _State,
) -> bool: ...
