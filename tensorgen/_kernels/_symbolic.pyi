# Types of the compiled module _symbolic.pyx (its Python-visible names).
import numpy as np
from numpy.typing import NDArray

_Array = NDArray[np.float64]

def value_and_grad(
    address: int, n_params: int, n_in: int, n_out: int, params: _Array, X: _Array, Y: _Array
) -> tuple[float, _Array]: ...
