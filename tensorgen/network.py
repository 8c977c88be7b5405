"""Network: a facade over an Architecture and one flat parameter buffer.

It checks what the user hands it (data through ``_kernels._arrays``, the parameters'
finiteness before every computation), then calls an engine or the compiled forward pass
with public types only: the Architecture, the parameter vector, the checked batch.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import persistence, training
from ._checks import check_choice, check_number
from ._kernels import _arrays, _mlp
from .architecture import Architecture, Layers
from .engines import Engine, engine_for
from .training import FitOptions, History

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; mypy always has typing_extensions
    from typing_extensions import Unpack

INITS = ("auto", "glorot", "he", "uniform")

Array = NDArray[np.floating[Any]]


def _init_bound(init: str, activation: str, fan_in: int, fan_out: int) -> float:
    if init == "he" or (init == "auto" and activation in ("relu", "leaky_relu")):
        return math.sqrt(6.0 / fan_in)
    factor = 2.0 if activation == "sigmoid" else 6.0
    return math.sqrt(factor / (fan_in + fan_out))


def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed: expected an int or None, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
    return int(seed)


class Network:
    """A fully connected feed-forward network with one flat parameter vector.

    Parameters
    ----------
    layers : sequence of int
        Widths from input to output, e.g. ``[2, 2, 1]``; every width >= 1.
    activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}
        Activation of the hidden layers.
    output_activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"}, optional
        Activation of the output layer. Default: ``"identity"`` for ``loss="mse"`` (as
        scikit-learn's MLPs: a regression output takes any value; the paper's XOR network
        asks for ``"sigmoid"``), ``"sigmoid"`` for ``loss="bce"``, ``"softmax"`` for
        ``loss="cross_entropy"``.
    loss : {"mse", "bce", "cross_entropy"}
        ``mse``: mean over samples of the summed squared error over outputs (the paper's
        cost). ``bce``: binary cross-entropy, sigmoid outputs. ``cross_entropy``: categorical
        cross-entropy, softmax outputs (at least two).
    init : {"auto", "glorot", "he", "uniform"}
        ``glorot``: weights uniform in +-sqrt(6 / (fan_in + fan_out)) (+-sqrt(2 / ...) for
        sigmoid layers), biases zero. ``he``: weights uniform in +-sqrt(6 / fan_in), biases
        zero. ``auto`` (default): ``he`` for relu/leaky_relu layers, ``glorot`` otherwise.
        ``uniform``: every weight and bias uniform in [0, 1), as in the paper.
    seed : int or None
        Seed of the initialisation; the same seed gives the same parameters.
    dtype : {"float64"}
        Floating-point type of the parameters and of the computation.

    Attributes
    ----------
    architecture : Architecture
        The immutable description every engine receives (layers, activations, loss,
        dtype, and where each W and b sits in ``params``).
    params : ndarray of shape (n_params,)
        All parameters in one contiguous, writable array laid out ws0 (row-major), bs0,
        ws1, bs1, ... Assigning to ``net.params`` copies into this buffer (checked); values
        written through the views must be finite too: every computation checks.
    ws, bs : tuple of ndarray
        Views into ``params``: ``ws[l]`` has shape (layers[l], layers[l+1]), ``bs[l]`` has
        shape (layers[l+1],).
    metadata : dict
        Extras saved with the network and restored by ``load`` (empty by default).

    ``layers``, ``activation``, ``output_activation``, ``loss_name``, ``dtype``, ``init``
    and ``seed`` are read-only: they were checked together, and the parameter buffer is
    laid out for them.
    """

    def __init__(self, layers: Layers, activation: str = "sigmoid",
                 output_activation: str | None = None, loss: str = "mse", init: str = "auto",
                 seed: int | None = None, dtype: DTypeLike = "float64") -> None:
        arch = Architecture.from_options(layers, activation, output_activation, loss, dtype)
        self._activation = activation  # checked by from_options; not in arch without hidden
        self._init = check_choice(init, "init", INITS)
        self._seed = _check_seed(seed)
        # The parameters and the initialiser's random draw are live at once: check that
        # they fit before asking for them (an overcommitted allocation fails only when
        # touched).
        _arrays.check_memory(2 * arch.numpy_dtype.itemsize * arch.n_params, "layers",
                             f"{list(arch.layers)} ({arch.n_params} parameters)")
        self._architecture = arch
        self._plan = _mlp.plan_for(arch)  # the compiled forward pass; kept for its lifetime
        self._params = np.zeros(arch.n_params, dtype=arch.numpy_dtype)
        self._ws, self._bs = arch.unpack(self._params)
        self.metadata: dict[str, Any] = {}
        self._initialise(np.random.default_rng(seed))

    # ---- the description (read-only) ----

    @property
    def architecture(self) -> Architecture:
        """The network's Architecture."""
        return self._architecture

    @property
    def layers(self) -> tuple[int, ...]:
        """Layer widths, input to output."""
        return self._architecture.layers

    @property
    def activation(self) -> str:
        """Activation of the hidden layers (as given, also without hidden layers)."""
        return self._activation

    @property
    def output_activation(self) -> str:
        """Activation of the output layer."""
        return self._architecture.output_activation

    @property
    def loss_name(self) -> str:
        """Name of the loss."""
        return self._architecture.loss

    @property
    def dtype(self) -> np.dtype[Any]:
        """dtype of the parameters and the computation."""
        return self._architecture.numpy_dtype

    @property
    def init(self) -> str:
        """The initialisation the network was built with."""
        return self._init

    @property
    def seed(self) -> int | None:
        """The initialisation's seed."""
        return self._seed

    # ---- parameters ----

    @property
    def n_params(self) -> int:
        """Number of weights and biases."""
        return self._architecture.n_params

    @property
    def params(self) -> Array:
        """The flat parameter buffer (see the class docstring)."""
        return self._params

    @params.setter
    def params(self, values: ArrayLike) -> None:
        self._params[:] = _arrays.vector(values, "params", self.n_params, self.dtype)

    @property
    def ws(self) -> tuple[Array, ...]:
        """Weight matrices: views into ``params``."""
        return self._ws

    @property
    def bs(self) -> tuple[Array, ...]:
        """Bias vectors: views into ``params``."""
        return self._bs

    def _initialise(self, rng: np.random.Generator) -> None:
        if self._init == "uniform":
            self._params[:] = rng.random(self.n_params)
            return
        for W, act in zip(self._ws, self._architecture.activations):
            bound = _init_bound(self._init, act, *W.shape)
            W[:] = rng.uniform(-bound, bound, size=W.shape)

    def check_params(self) -> None:
        """Raise ValueError if a parameter is NaN or infinite (written through
        ``params``, ``ws`` or ``bs``). Every computation calls this first: a C scan, a
        few nanoseconds for XOR.

        Raises
        ------
        ValueError
            Naming ``params``, when a parameter is not finite.
        """
        if not _arrays.all_finite(self._params):
            raise ValueError("params: contains NaN or infinity (written through net.params, "
                             "net.ws or net.bs); set finite values before computing")

    # ---- data ----

    # ---- maths ----

    def predict(self, X: ArrayLike) -> Array:
        """Network output for each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, layers[0])
            Inputs, one row per sample (see the README for the layouts accepted).

        Returns
        -------
        ndarray of shape (n_samples, layers[-1])
            The output layer's activations, of the network's dtype.

        Raises
        ------
        TypeError, ValueError
            Naming ``X`` (or ``params``) and what was expected; ValueError naming ``X, Y,
            params`` when the output overflows.
        """
        X = self._architecture.check_inputs(X)
        self.check_params()
        out: Array = _mlp.predict(self._plan, self._params, X)
        _check_finite(out, "output")
        return out

    def loss(self, X: ArrayLike, Y: ArrayLike) -> float:
        """Cost: mean over samples of the per-sample loss.

        Parameters
        ----------
        X, Y : array_like
            Data, as for ``value_and_grad``.

        Returns
        -------
        float
            The cost.

        Raises
        ------
        TypeError, ValueError
            As ``value_and_grad``.
        """
        X, Y = self._architecture.check_batch(X, Y)
        self.check_params()
        cost = float(_mlp.loss(self._plan, self._params, X, Y))
        _check_finite(cost, "cost")
        return cost

    def value_and_grad(self, X: ArrayLike, Y: ArrayLike,
                       engine: str | Engine = "reverse") -> tuple[float, Array]:
        """Cost and its gradient with respect to ``params``.

        Parameters
        ----------
        X : array_like of shape (n_samples, layers[0])
            Inputs, one row per sample.
        Y : array_like of shape (n_samples, layers[-1])
            Targets; 1-D integer class labels are one-hot encoded when there are several
            outputs, and a 1-D vector is taken as a column when there is one.
        engine : str or Engine
            ``"reverse"`` (default), ``"autograd"`` or any name in ``tensorgen.engines.ENGINES``,
            or an Engine object.

        Returns
        -------
        cost : float
            Mean over samples of the per-sample loss.
        grad : ndarray of shape (n_params,)
            d cost / d params, laid out like ``params``.

        Raises
        ------
        TypeError, ValueError
            Naming the argument (``X``, ``Y``, ``params``, ``engine``) and what was
            expected; ValueError naming ``X, Y, params`` when the cost or the gradient
            overflows; TypeError when an engine returns a gradient of another shape.
        """
        engine = engine_for(engine, self._architecture)
        X, Y = self._architecture.check_batch(X, Y)
        self.check_params()
        cost, grad = engine.value_and_grad(self._architecture, self._params, X, Y)
        if type(grad) is not np.ndarray or grad.shape != self._params.shape:
            raise TypeError(f"engine {engine.name!r}: returned a gradient of shape "
                            f"{np.shape(grad)}, expected ({self.n_params},)")
        cost = float(cost)
        _check_finite(cost, "cost")
        _check_finite(grad, "gradient")
        return cost, grad

    def fit(self, X: ArrayLike, Y: ArrayLike, **options: Unpack[FitOptions]) -> History:
        """Train the network in place.

        Parameters
        ----------
        X, Y : array_like
            Training data, as for ``value_and_grad``.
        **options
            ``engine``, ``optimizer``, ``lr``, ``epochs``, ``tol``, ...: the options of
            ``tensorgen.training.fit``.

        Returns
        -------
        History
            The cost of every epoch and why training stopped.
        """
        return training.fit(self, X, Y, **options)

    # ---- persistence ----

    def save(self, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None,
             ) -> None:
        """Write the network to ``path`` (``.npz`` with a JSON header).

        Parameters
        ----------
        path : str or path-like
            Exactly the file written (replaced atomically).
        metadata : dict, optional
            JSON-serialisable extras kept in the header, returned by ``load`` as
            ``net.metadata``; by default the network's own ``metadata``.

        Raises
        ------
        ValueError
            Before anything is written, what ``load`` would refuse: non-finite
            parameters (naming ``params``); metadata (naming ``metadata``) that is not a
            dict, not JSON-serialisable (NaN, infinity, other objects), nested more than
            63 deep, with keys that repeat once made strings, or making the header hold
            more than 1,000,000 arrays and objects or more than 16 MiB; more than 10,000
            layers (naming ``layers``). See ``tensorgen.persistence``.
        """
        self.check_params()
        persistence.write(path, self._config(), self._params,
                          self.metadata if metadata is None else metadata)

    @classmethod
    def load(cls, path: str | os.PathLike[str], max_bytes: int | None = None) -> Network:
        """Read a network written by ``save``.

        Parameters
        ----------
        path : str or path-like
            A regular file; anything else (FIFO, device, socket, directory) is refused
            without reading from it or waiting on it.
        max_bytes : int, optional
            Refuse files larger than this, before reading them (default
            ``persistence.DEFAULT_MAX_BYTES``, 4 GiB).

        Returns
        -------
        Network
            With the saved architecture, parameters and ``metadata``.

        Raises
        ------
        FileNotFoundError
            When ``path`` does not exist (as ``numpy.load``).
        ValueError
            Anything else that is not a file written by ``save`` (see
            ``tensorgen.persistence.read``), naming the path.
        TypeError
            When ``path`` is not a path or ``max_bytes`` not an int.
        """
        config, params, metadata = persistence.read(path, max_bytes)
        try:
            net = _rebuild(config, params)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: header describes an invalid network ({exc})") from None
        except MemoryError as exc:  # checked before allocating: the network is too large
            raise ValueError(f"{path}: the network does not fit in memory ({exc})") from None
        net.metadata = metadata
        return net

    # ---- printing ----

    def __str__(self) -> str:
        return self.format_params()

    def format_params(self, threshold: int = 1000, edgeitems: int = 3) -> str:
        """The parameters in the paper's block format (``str(net)``), 6 decimals.

        Networks of up to ``threshold`` parameters print in full; larger ones, as numpy
        abbreviates its arrays, keep the first and last ``edgeitems`` rows of each block
        and of each row, with ``...`` in between.

        Parameters
        ----------
        threshold : int, default 1000
            Most parameters printed in full (numpy's default threshold), >= 0.
        edgeitems : int, default 3
            Rows and values kept at each end of an abbreviated block or row, >= 1.

        Returns
        -------
        str
            ``nn = [``, then ``ws0 = [ ... ]``, ``bs0 = [ ... ]``, ... and ``]``.

        Raises
        ------
        TypeError, ValueError
            Naming ``threshold`` or ``edgeitems`` when it is not an int in range.
        """
        threshold = check_number(threshold, "threshold", 0, math.inf, integer=True)
        edgeitems = check_number(edgeitems, "edgeitems", 1, math.inf, integer=True)
        keep = None if self.n_params <= threshold else edgeitems
        lines = ["nn = ["]
        for l, (W, b) in enumerate(zip(self._ws, self._bs)):
            lines.append(f"  ws{l} = [")
            lines.extend("    " + row for row in _rows(W, keep))
            lines.append("  ]")
            lines.append(f"  bs{l} = [")
            lines.append("    " + _row(b, keep))
            lines.append("  ]")
        lines.append("]")
        return "\n".join(lines)

    def format_results(self, X: ArrayLike, Y: ArrayLike) -> str:
        """The paper's results block: ``cost:``, ``-----`` and one row per sample.

        Each row is the sample's inputs, `` : `` and the network's outputs (6 decimals),
        e.g. ``0 1 : 0.983400``.

        Parameters
        ----------
        X, Y : array_like
            Data, as for ``value_and_grad``.

        Returns
        -------
        str
            The block's lines.

        Raises
        ------
        TypeError, ValueError
            As ``value_and_grad``.
        """
        X, Y = self._architecture.check_batch(X, Y)
        out = self.predict(X)
        lines = [f"cost: {self.loss(X, Y):.6f}", "-----"]
        lines.extend(
            " ".join(f"{v:g}" for v in x) + " : " + _row(o) for x, o in zip(X, out)
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        dtype = "" if self.dtype == np.float64 else f", dtype={self.dtype.name!r}"
        return (
            f"Network({list(self.layers)}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, loss={self.loss_name!r}, "
            f"init={self.init!r}, seed={self.seed!r}{dtype})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self._config(), self._params.copy())

    def _config(self) -> dict[str, Any]:
        """The constructor's arguments (what save stores and pickling rebuilds from)."""
        return dict(layers=list(self.layers), activation=self.activation,
                    output_activation=self.output_activation, loss=self.loss_name,
                    init=self.init, seed=self.seed, dtype=self.dtype.name)

    def copy(self) -> Network:
        """An independent network with the same architecture and parameters.

        Returns
        -------
        Network
            With its own parameter buffer and a copy of ``metadata``.
        """
        net = _rebuild(self._config(), self._params)
        net.metadata = dict(self.metadata)
        return net

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy computing in another floating-point type.

        Parameters
        ----------
        dtype : {"float64", "float32"}
            The copy's type; the parameters are converted (to float32: rounded).

        Returns
        -------
        Network
            An independent network with this one's architecture (but the dtype),
            parameters and metadata.

        Raises
        ------
        TypeError, ValueError
            An unknown dtype, or parameters that do not fit it (float32 overflows past
            about 3.4e38).
        """
        config = self._config()
        config["dtype"] = dtype
        net = _rebuild(config, self._params)
        net.metadata = dict(self.metadata)
        return net


def _check_finite(values: float | Array, what: str) -> None:
    """Raise if an overflow (huge X or params) made a result infinite or NaN."""
    finite = math.isfinite(values) if isinstance(values, float) else _arrays.all_finite(values)
    if not finite:
        raise ValueError(f"X, Y, params: the {what} overflowed to a non-finite value; "
                         "rescale the data or the parameters")


def _row(values: Array, keep: int | None = None) -> str:
    """Values with 6 decimals; past 2 * keep of them, the first and last keep around ...."""
    if keep is not None and len(values) > 2 * keep:
        return f"{_row(values[:keep])} ... {_row(values[-keep:])}"
    return " ".join(f"{v:.6f}" for v in values)


def _rows(W: Array, keep: int | None) -> list[str]:
    """A block's rows (see _row); past 2 * keep rows, the first and last keep around ...."""
    if keep is not None and len(W) > 2 * keep:
        return ([_row(r, keep) for r in W[:keep]] + ["..."]
                + [_row(r, keep) for r in W[-keep:]])
    return [_row(r, keep) for r in W]


def _rebuild(config: dict[str, Any], params: Array) -> Network:
    net = Network(**config)
    net.params = params
    return net
