# Types of the compiled module _seam.pyx. GradientKernel is an extension type with a C
# layout of its own: a disjoint base (PEP 800). Its subclasses (_mlp.ReverseKernel) are
# made by the compiled modules; the base class itself is not built from Python.
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

@disjoint_base
class GradientKernel:
    @property
    def n_params(self) -> int: ...
    @property
    def n_inputs(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def dtype(self) -> np.dtype[np.floating[Any]]: ...
    def __call__(
        self, params: NDArray[np.floating[Any]], X: NDArray[np.floating[Any]],
        Y: NDArray[np.floating[Any]],
    ) -> tuple[float, NDArray[np.floating[Any]]]: ...
