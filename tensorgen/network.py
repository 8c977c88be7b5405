"""Network: architecture, initialisation, the flat parameter buffer and its views."""

import math
import numbers
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functions
from ._kernels import _mlp
from .engines import Engine, get_engine

if TYPE_CHECKING:
    from .training import History

INITS = ("auto", "glorot", "he", "uniform")
# Largest parameter count and layer width the C kernels index safely (C int widths).
MAX_PARAMS = 2**31 - 1


def _check_layers(layers):
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
        raise TypeError(f"layers: expected a sequence of layer widths, got {layers!r}")
    if len(layers) < 2:
        raise ValueError(f"layers: expected at least an input and an output width, got {layers!r}")
    widths = []
    for w in layers:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral):
            raise TypeError(f"layers: widths must be integers, got {w!r}")
        if w < 1:
            raise ValueError(f"layers: widths must be >= 1, got {w!r} in {list(layers)!r}")
        widths.append(int(w))
    n_params = sum((widths[l] + 1) * widths[l + 1] for l in range(len(widths) - 1))
    if n_params > MAX_PARAMS or max(widths) > MAX_PARAMS:
        raise MemoryError(
            f"layers: {list(widths)} needs {n_params} parameters, more than the {MAX_PARAMS} "
            "the kernels support"
        )
    # The parameters and the initialiser's random draw are live at once: check that they
    # fit before asking for them (an overcommitted allocation fails only when touched).
    memory = _mlp.physical_memory()
    if memory is not None and 2 * 8 * n_params > memory:
        raise MemoryError(f"layers: {list(widths)} needs {n_params} parameters "
                          f"({16 * n_params} bytes to build), more than the machine's "
                          f"{memory} bytes of memory")
    return tuple(widths)


def _check_finite(values, what):
    """Raise if an overflow (huge X or params) made a result infinite or NaN."""
    finite = math.isfinite(values) if isinstance(values, float) else _mlp.all_finite(values)
    if not finite:
        raise ValueError(f"X, Y, params: the {what} overflowed to a non-finite value; "
                         "rescale the data or the parameters")


def _init_bound(init, activation, fan_in, fan_out):
    if init == "he" or (init == "auto" and activation in ("relu", "leaky_relu")):
        return np.sqrt(6.0 / fan_in)
    factor = 2.0 if activation == "sigmoid" else 6.0
    return np.sqrt(factor / (fan_in + fan_out))


class Network:
    """A fully connected feed-forward network with one flat parameter vector.

    Parameters
    ----------
    layers : sequence of int
        Widths from input to output, e.g. ``[2, 2, 1]``; every width >= 1.
    activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}
        Activation of the hidden layers.
    output_activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"}, optional
        Activation of the output layer. Default: ``"sigmoid"`` for ``loss="bce"``,
        ``"softmax"`` for ``loss="cross_entropy"``, otherwise the hidden activation.
    loss : {"mse", "bce", "cross_entropy"}
        ``mse``: mean over samples of the summed squared error over outputs (the paper's
        cost). ``bce``: binary cross-entropy, sigmoid outputs. ``cross_entropy``: categorical
        cross-entropy, softmax outputs.
    init : {"auto", "glorot", "he", "uniform"}
        ``glorot``: weights uniform in +-sqrt(6 / (fan_in + fan_out)) (+-sqrt(2 / ...) for
        sigmoid layers), biases zero. ``he``: weights uniform in +-sqrt(6 / fan_in), biases
        zero. ``auto`` (default): ``he`` for relu/leaky_relu layers, ``glorot`` otherwise.
        ``uniform``: every weight and bias uniform in [0, 1), as in the paper.
    seed : int or None
        Seed of the initialisation; the same seed gives the same parameters.

    Attributes
    ----------
    params : ndarray of shape (n_params,), float64
        All parameters in one contiguous, writable array laid out ws0 (row-major), bs0,
        ws1, bs1, ... Assigning to ``net.params`` copies into this buffer.
    ws, bs : tuple of ndarray
        Views into ``params``: ``ws[l]`` has shape (layers[l], layers[l+1]), ``bs[l]`` has
        shape (layers[l+1],).
    """

    def __init__(self, layers: Sequence[int], activation: str = "sigmoid",
                 output_activation: str | None = None, loss: str = "mse", init: str = "auto",
                 seed: int | None = None) -> None:
        self.layers = _check_layers(layers)
        self.activation, self.output_activation, self.loss_name = functions.resolve(
            activation, output_activation, loss
        )
        self.init = functions.check_choice(init, "init", INITS)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"seed: expected an int or None, got {seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
        self.seed = seed
        acts = [self.activation] * (len(self.layers) - 2) + [self.output_activation]
        self._plan = _mlp.Plan(
            self.layers,
            [functions.ACTIVATIONS[a] for a in acts],
            functions.LOSSES[self.loss_name],
        )
        self._params = np.zeros(self._plan.n_params)
        self._params.setflags(write=True)
        self.ws, self.bs = self._views()
        self._tls = threading.local()
        self._initialise(np.random.default_rng(seed), acts)

    # ---- parameters ----

    @property
    def n_params(self) -> int:
        """Number of weights and biases."""
        return self._params.size

    @property
    def params(self) -> NDArray[np.float64]:
        return self._params

    @params.setter
    def params(self, values: ArrayLike) -> None:
        values = np.asarray(values)
        if values.dtype.kind not in "fiu":
            raise TypeError(f"params: expected real numbers, got dtype {values.dtype}")
        if values.shape != self._params.shape:
            raise ValueError(f"params: expected shape {self._params.shape}, got {values.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("params: contains NaN or infinity")
        self._params[:] = values

    def _views(self) -> tuple[tuple[NDArray[np.float64], ...], tuple[NDArray[np.float64], ...]]:
        ws, bs, pos = [], [], 0
        for k, m in zip(self.layers[:-1], self.layers[1:]):
            ws.append(self._params[pos : pos + k * m].reshape(k, m))
            pos += k * m
            bs.append(self._params[pos : pos + m])
            pos += m
        return tuple(ws), tuple(bs)

    def _initialise(self, rng, acts):
        if self.init == "uniform":
            self._params[:] = rng.random(self.n_params)
            return
        for W, act in zip(self.ws, acts):
            bound = _init_bound(self.init, act, *W.shape)
            W[:] = rng.uniform(-bound, bound, size=W.shape)

    def _workspace(self):
        """This thread's scratch buffers for the kernels (created on first use)."""
        try:
            return self._tls.ws
        except AttributeError:
            ws = self._tls.ws = _mlp.Workspace(self._plan)
            return ws

    # ---- data ----

    def _check_X(self, X):
        return _mlp.check_data(X, "X", self.layers[0])

    def _check_XY(self, X, Y):
        n_out = self.layers[-1]
        if not (type(Y) is np.ndarray and Y.ndim == 2):
            Y = _mlp.as_array(Y, "Y")
            if Y.ndim == 1:
                Y = self._column_targets(Y, n_out)
        X, Y = _mlp.check_pair(X, Y, self.layers[0], n_out)
        if self.loss_name == "bce" and not ((Y >= 0).all() and (Y <= 1).all()):
            raise ValueError("Y: loss 'bce' needs targets in [0, 1]")
        if self.loss_name == "cross_entropy" and not (Y >= 0).all():
            raise ValueError("Y: loss 'cross_entropy' needs non-negative targets")
        return X, Y

    @staticmethod
    def _column_targets(Y, n_out):
        """1-D targets: a column when there is one output, else integer class labels."""
        if n_out == 1:
            return Y.reshape(-1, 1)
        if Y.dtype.kind not in "fiu":
            raise TypeError(f"Y: expected real numbers, got dtype {Y.dtype}")
        if Y.dtype.kind not in "iu" and not (
            Y.dtype.kind == "f" and np.all(np.isfinite(Y)) and np.all(Y == np.round(Y))
        ):
            raise ValueError(
                f"Y: 1-D targets for {n_out} outputs must be integer class labels, "
                f"got dtype {Y.dtype}"
            )
        labels = Y.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_out):
            raise ValueError(f"Y: class labels must lie in [0, {n_out}), got "
                             f"[{labels.min()}, {labels.max()}]")
        onehot = np.zeros((labels.size, n_out))
        onehot[np.arange(labels.size), labels] = 1.0
        return onehot

    # ---- maths ----

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Network output for each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, layers[0])

        Returns
        -------
        ndarray of shape (n_samples, layers[-1]), float64
        """
        X = self._check_X(X)
        out = np.empty((X.shape[0], self.layers[-1]))
        _mlp.predict(self._plan, self._workspace(), self._params, X, out)
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
        """
        X, Y = self._check_XY(X, Y)
        cost = _mlp.loss(self._plan, self._workspace(), self._params, X, Y)
        _check_finite(cost, "cost")
        return cost

    def value_and_grad(self, X: ArrayLike, Y: ArrayLike,
                       engine: str | Engine = "reverse") -> tuple[float, NDArray[np.float64]]:
        """Cost and its gradient with respect to ``params``.

        Parameters
        ----------
        X : array_like of shape (n_samples, layers[0])
        Y : array_like of shape (n_samples, layers[-1])
            Targets; 1-D integer class labels are one-hot encoded when there are several
            outputs, and a 1-D vector is taken as a column when there is one.
        engine : str or Engine
            ``"reverse"`` (default), ``"autograd"`` or any name in ``tensorgen.engines.ENGINES``,
            or an Engine object.

        Returns
        -------
        cost : float
        grad : ndarray of shape (n_params,), float64, laid out like ``params``
        """
        engine = get_engine(engine)
        X, Y = self._check_XY(X, Y)
        cost, grad = engine.value_and_grad(self, X, Y)
        _check_finite(cost, "cost")
        _check_finite(grad, "gradient")
        return cost, grad

    def fit(self, X: ArrayLike, Y: ArrayLike, **options: Any) -> "History":
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
        from .training import fit

        return fit(self, X, Y, **options)

    # ---- persistence ----

    def save(self, path, metadata=None):
        """Write the network to ``path`` (``.npz`` with a JSON header); see
        ``tensorgen.persistence.save``."""
        from .persistence import save

        save(self, path, metadata)

    @classmethod
    def load(cls, path, max_bytes=None):
        """Read a network written by ``save``; see ``tensorgen.persistence.load``."""
        from .persistence import DEFAULT_MAX_BYTES, load

        return load(path, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)

    # ---- printing ----

    def __str__(self) -> str:
        lines = ["nn = ["]
        for l, (W, b) in enumerate(zip(self.ws, self.bs)):
            lines.append(f"  ws{l} = [")
            lines.extend("    " + _row(row) for row in W)
            lines.append("  ]")
            lines.append(f"  bs{l} = [")
            lines.append("    " + _row(b))
            lines.append("  ]")
        lines.append("]")
        return "\n".join(lines)

    def format_results(self, X: ArrayLike, Y: ArrayLike) -> str:
        """The paper's results block: ``cost:``, ``-----`` and one row per sample.

        Each row is the sample's inputs, `` : `` and the network's outputs (6 decimals),
        e.g. ``0 1 : 0.983400``.
        """
        X, Y = self._check_XY(X, Y)
        out = self.predict(X)
        lines = [f"cost: {self.loss(X, Y):.6f}", "-----"]
        lines.extend(
            " ".join(f"{v:g}" for v in x) + " : " + _row(o) for x, o in zip(X, out)
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Network({list(self.layers)}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, loss={self.loss_name!r}, "
            f"init={self.init!r}, seed={self.seed!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self._config(), self._params.copy())

    def _config(self):
        return dict(layers=list(self.layers), activation=self.activation,
                    output_activation=self.output_activation, loss=self.loss_name,
                    init=self.init, seed=self.seed)

    def copy(self) -> "Network":
        """An independent network with the same architecture and parameters."""
        return _rebuild(self._config(), self._params)


def _row(values):
    return " ".join(f"{v:.6f}" for v in values)


def _rebuild(config, params):
    net = Network(**config)
    net.params = params
    return net
