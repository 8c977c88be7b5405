"""TensorGen: feed-forward networks with finite-difference, symbolic and reverse-mode
gradients, computed by compiled kernels.

``import tensorgen`` loads the kernels and the core API only: the study (``compare``),
SymPy, autograd, SciPy's BLAS and matplotlib load when first used.
"""

from typing import TYPE_CHECKING, Any

from . import datasets, engines, metrics, optimizers
from ._config import show_config
from ._threads import get_num_threads, set_num_threads
from ._version import __version__
from .architecture import Architecture, Block
from .gradcheck import GradcheckReport, gradcheck
from .network import Network
from .training import History

__all__ = [
    "Architecture",
    "Block",
    "GradcheckReport",
    "History",
    "Network",
    "__version__",
    "compare",
    "datasets",
    "engines",
    "get_num_threads",
    "gradcheck",
    "metrics",
    "optimizers",
    "set_num_threads",
    "show_config",
]


if TYPE_CHECKING:
    # For type checkers compare is an ordinary name, and the module has no __getattr__:
    # its Any would let every misspelt name of tensorgen pass unnoticed.
    from .study import compare
else:

    def __getattr__(name: str) -> Any:
        """``tg.compare``: the study, imported on first use (it is large and rarely
        needed)."""
        if name == "compare":
            from .study import compare

            return compare
        raise AttributeError(f"module 'tensorgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, ``compare`` included (imported on first use).

    Returns
    -------
    list of str
        Sorted.
    """
    return sorted(set(globals()) | {"compare"})
