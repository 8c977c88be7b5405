"""The one interface every gradient engine implements."""

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ..network import Network

#: Type of the float64 arrays engines take and return.
FloatArray = NDArray[np.float64]


class Engine(ABC):
    """A way to compute the cost of a network and its gradient.

    Engines receive data the Network has already checked: ``X`` is a C-contiguous, finite
    float64 array of shape (n_samples, n_inputs) and ``Y`` one of shape
    (n_samples, n_outputs), with n_samples >= 1. An engine never changes ``net.params``
    (beyond restoring them bit for bit), so one engine object may serve many networks.
    """

    #: Name accepted by ``value_and_grad(..., engine=name)``.
    name = "engine"
    #: Whether the gradient is exact up to rounding (False for finite differences).
    exact = True

    @abstractmethod
    def value_and_grad(self, net: "Network", X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        """Cost and gradient.

        Parameters
        ----------
        net : Network
            The network; its ``params`` are read, not changed.
        X : ndarray of shape (n_samples, n_inputs), float64
        Y : ndarray of shape (n_samples, n_outputs), float64
            Checked data (see the class docstring).

        Returns
        -------
        cost : float
            Mean over samples of the per-sample loss.
        grad : ndarray of shape (net.n_params,), float64
            d cost / d params, in the layout of ``net.params``.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
