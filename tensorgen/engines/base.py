"""The one interface every gradient engine implements, built-in or your own."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .._kernels._seam import GradientKernel
from ..architecture import Architecture

#: Type of the arrays engines take and return (float64, or the architecture's dtype).
FloatArray = NDArray[np.floating[Any]]


class Engine(ABC):
    """A way to compute the cost of a network and its gradient.

    An engine is a function of the public description of the problem: the
    :class:`~tensorgen.Architecture`, the flat parameter vector and a batch. It needs
    nothing private from a Network, so an engine of your own is a subclass with a name and
    ``value_and_grad`` (the docs show a short numpy backprop).

    Engines receive data ``Network`` has already checked: ``params`` has shape
    ``(architecture.n_params,)``, ``X`` is a C-contiguous, finite array of shape
    ``(n_samples, architecture.n_inputs)`` and ``Y`` one of shape
    ``(n_samples, architecture.n_outputs)``, n_samples >= 1, all of
    ``architecture.dtype``. An engine never writes into ``params``, so one engine object
    may serve many networks and threads.

    Engines declare what they can do, and the library reads the declarations instead of
    recognising engines by type:

    - ``exact``: whether the gradient is exact up to rounding;
    - ``stochastic``: whether it is a random estimate, a new draw per call, whose mean
      over draws is the gradient;
    - ``dtypes``: the architectures' dtypes it computes in;
    - ``fit_kernel``: a compiled form for the compiled training loop, or None.
    """

    #: Name accepted by ``value_and_grad(..., engine=name)`` once registered in ENGINES.
    name: ClassVar[str] = "engine"
    #: Whether the gradient is exact up to rounding (False for finite differences).
    exact: ClassVar[bool] = True
    #: Whether each call returns a new random estimate, unbiased: its mean over calls is
    #: the gradient (True for the forward gradient; such an engine is not ``exact``).
    stochastic: ClassVar[bool] = False
    #: The dtypes (``Architecture.dtype``) this engine computes in.
    dtypes: ClassVar[tuple[str, ...]] = ("float64",)

    @abstractmethod
    def value_and_grad(self, architecture: Architecture, params: FloatArray, X: FloatArray,
                       Y: FloatArray) -> tuple[float, FloatArray]:
        """Cost and gradient.

        Parameters
        ----------
        architecture : Architecture
            The network's layers, activations, loss, dtype and parameter layout.
        params : ndarray of shape (architecture.n_params,)
            The parameters; read, never written.
        X : ndarray of shape (n_samples, architecture.n_inputs)
            Checked inputs (see the class docstring).
        Y : ndarray of shape (n_samples, architecture.n_outputs)
            Checked targets.

        Returns
        -------
        cost : float
            Mean over samples of the per-sample loss.
        grad : ndarray of shape (architecture.n_params,)
            d cost / d params, in the layout of ``params``.
        """

    def fit_kernel(self, architecture: Architecture) -> GradientKernel | None:
        """The compiled form of this engine's gradient for ``fit``'s compiled loop.

        Parameters
        ----------
        architecture : Architecture
            The network's description.

        Returns
        -------
        GradientKernel or None
            A kernel made by TensorGen's compiled modules, which the compiled loop calls
            once per mini-batch without the GIL; None (the default) when the engine has no
            compiled form, and ``fit`` then calls ``value_and_grad`` once per mini-batch.
            A new kernel per call: a fit owns its kernel's scratch.
        """
        return None

    def scratch_bytes(self, architecture: Architecture, n_samples: int) -> int | None:
        """Bytes of scratch memory one ``value_and_grad`` call on ``n_samples`` samples
        needs beyond its result, or None when the engine cannot say.

        Parameters
        ----------
        architecture : Architecture
            The network's description.
        n_samples : int
            Samples in the batch.

        Returns
        -------
        int or None
            The bytes; None by default.
        """
        return None

    def supports(self, architecture: Architecture) -> bool:
        """Whether this engine computes for ``architecture`` (by default: its dtype is in
        ``dtypes``).

        Parameters
        ----------
        architecture : Architecture
            The network's description.

        Returns
        -------
        bool
            True when this engine can compute its gradient.
        """
        return architecture.dtype in self.dtypes

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
