"""TensorGen: feed-forward networks with finite-difference, symbolic and reverse-mode
gradients, computed by compiled kernels."""

from . import datasets, engines, optimizers
from ._config import show_config
from ._version import __version__
from .gradcheck import GradcheckReport, gradcheck
from .network import Network
from .study import compare
from .training import History

__all__ = [
    "GradcheckReport",
    "History",
    "Network",
    "__version__",
    "compare",
    "datasets",
    "engines",
    "gradcheck",
    "optimizers",
    "show_config",
]
