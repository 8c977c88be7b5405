"""Optional peers timed on the same networks: PyTorch and JAX in float64, when importable.

Both compute the study's networks (sigmoid layers, mse loss) from the flat parameter
vector, laid out as the Architecture says, with the engines' signature
``value_and_grad(architecture, params, X, Y)``, so their gradient is compared with the
oracle like any engine's. Neither is a dependency of TensorGen.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..architecture import Architecture

# The engines' signature: arrays of the architecture's dtype in, a float64 gradient out.
_In = NDArray[np.floating[Any]]
_Array = NDArray[np.float64]


def _layers(arch: Architecture) -> list[tuple[slice, tuple[int, int], slice]]:
    """(weight slice, weight shape, bias slice) per layer of the flat parameter vector."""
    return [(arch.weight_slice(l), arch.weight_shape(l), arch.bias_slice(l))
            for l in range(arch.n_layers)]


def _check_supported(arch: Architecture) -> None:
    if set(arch.activations) != {"sigmoid"} or arch.loss != "mse":
        raise ValueError("peers: only sigmoid/sigmoid mse networks are timed")


class TorchPeer:
    """PyTorch autograd in float64 (CPU)."""

    name = "torch"

    def __init__(self) -> None:
        import torch

        self._torch = torch
        self.version = torch.__version__

    @contextmanager
    def one_thread(self) -> Iterator[str]:
        """Run PyTorch on one intra-op thread (as the reverse engine runs), then restore.

        Yields
        ------
        str
            A note saying so.
        """
        before = self._torch.get_num_threads()
        self._torch.set_num_threads(1)
        try:
            yield "torch: one intra-op thread"
        finally:
            self._torch.set_num_threads(before)

    def value_and_grad(self, arch: Architecture, params: _In, X: _In,
                       Y: _In) -> tuple[float, _Array]:
        """Cost and gradient, as an engine's ``value_and_grad`` (see ``Engine``).

        Parameters
        ----------
        arch : Architecture
            A sigmoid/sigmoid mse network's description.
        params : ndarray of shape (arch.n_params,)
            The flat parameter vector.
        X, Y : ndarray
            The batch.

        Returns
        -------
        cost : float
            The mse cost.
        grad : ndarray of shape (arch.n_params,)
            Its gradient, from PyTorch's autograd.

        Raises
        ------
        ValueError
            For another architecture than sigmoid/sigmoid mse.
        """
        _check_supported(arch)
        torch = self._torch
        p = torch.tensor(params, requires_grad=True)
        a = torch.from_numpy(X)
        for w, shape, b in _layers(arch):
            a = torch.sigmoid(a @ p[w].view(shape) + p[b])
        cost = ((a - torch.from_numpy(Y)) ** 2).sum() / X.shape[0]
        cost.backward()
        grad: _Array = p.grad.numpy()
        return float(cost.detach()), grad


class JaxPeer:
    """JAX ``value_and_grad`` in float64, jit-compiled once per architecture."""

    name = "jax"

    def __init__(self) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)
        self._jax = jax
        self.version = jax.__version__
        self._compiled: dict[Architecture, Any] = {}

    def one_thread(self) -> AbstractContextManager[str]:
        """XLA fixes its threads at start-up: nothing to change (the note says so).

        Returns
        -------
        context manager
            Entering it yields the note (str).
        """
        return nullcontext("jax: XLA's own thread pool (not changed)")

    def value_and_grad(self, arch: Architecture, params: _In, X: _In,
                       Y: _In) -> tuple[float, _Array]:
        """Cost and gradient, as an engine's ``value_and_grad`` (see ``Engine``).

        Parameters
        ----------
        arch : Architecture
            A sigmoid/sigmoid mse network's description.
        params : ndarray of shape (arch.n_params,)
            The flat parameter vector.
        X, Y : ndarray
            The batch.

        Returns
        -------
        cost : float
            The mse cost.
        grad : ndarray of shape (arch.n_params,)
            Its gradient, from JAX's ``value_and_grad`` (jit-compiled once per
            architecture).

        Raises
        ------
        ValueError
            For another architecture than sigmoid/sigmoid mse.
        """
        _check_supported(arch)
        if arch not in self._compiled:
            self._compiled[arch] = self._jax.jit(self._jax.value_and_grad(self._cost(arch)))
        cost, grad = self._compiled[arch](params, X, Y)
        return float(cost), np.asarray(grad)

    def _cost(self, arch: Architecture) -> Callable[[Any, Any, Any], Any]:
        jnp = self._jax.numpy
        layers = _layers(arch)

        def cost(params: Any, X: Any, Y: Any) -> Any:  # jax arrays, traced
            a = X
            for w, shape, b in layers:
                a = self._jax.nn.sigmoid(a @ params[w].reshape(shape) + params[b])
            return jnp.sum((a - Y) ** 2) / X.shape[0]

        return cost


#: A peer library, timed like an engine.
Peer = TorchPeer | JaxPeer

PEERS: dict[str, tuple[str, type[Peer]]] = {"torch": ("torch", TorchPeer),
                                            "jax": ("jax", JaxPeer)}


def available_peers() -> tuple[list[Peer], list[str]]:
    """Peer objects for the importable libraries, a note for each missing one.

    Returns
    -------
    peers : list of TorchPeer or JaxPeer
        One per library that imports.
    notes : list of str
        Why each other one is skipped.
    """
    peers: list[Peer] = []
    notes: list[str] = []
    for name, (module, cls) in PEERS.items():
        if importlib.util.find_spec(module) is None:
            notes.append(f"{name}: not installed, skipped")
            continue
        try:
            peers.append(cls())
        except Exception as exc:  # a broken install is a note, not a failed study
            notes.append(f"{name}: failed to import ({type(exc).__name__}: {exc}), skipped")
    return peers, notes
