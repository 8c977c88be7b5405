# Types of the compiled module _symbolic.pyx (its Python-visible names).
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Arrays read: float64 (_arrays.data_of refuses other dtypes at run time).
_In = NDArray[np.floating[Any]]

def value_and_grad(
    address: int, n_params: int, n_in: int, n_out: int, params: _In, X: _In, Y: _In
) -> tuple[float, NDArray[np.float64]]: ...
