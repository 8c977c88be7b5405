"""Architecture: the one public, immutable description of a network's problem.

Layer widths, the activation of every weight layer, the loss, the dtype, and where every
weight matrix and bias vector sits in the flat parameter vector. Every consumer reads it
from here: the network, the engines, the compiled kernels' plans, the autograd oracle, the
symbolic expression builder, ``gradcheck``, persistence and the study. Nothing else
derives an offset.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._checks import check_choice
from ._kernels import _arrays
from .functions import (
    ACTIVATIONS,
    DEFAULT_OUTPUT,
    DTYPES,
    HIDDEN_ACTIVATIONS,
    LOSS_OUTPUT,
    LOSSES,
)

#: Largest layer width: the BLAS calls take C ``int`` dimensions.
MAX_WIDTH = 2**31 - 1
#: Layer widths as a network takes them: a sequence (or a 1-D array) of ints.
Layers = Sequence[int] | NDArray[np.integer[Any]]


@dataclass(frozen=True)
class Block:
    """Where one weight matrix or bias vector sits in the flat parameter vector.

    Attributes
    ----------
    name : str
        ``"ws0"``, ``"bs0"``, ``"ws1"``, ... as the network prints them.
    layer : int
        Index of the weight layer (0 is the first).
    kind : {"weight", "bias"}
    start, stop : int
        ``params[start:stop]`` holds the block, row-major.
    shape : tuple of int
        ``(inputs, outputs)`` of a weight matrix, ``(outputs,)`` of a bias vector.
    """

    name: str
    layer: int
    kind: str
    start: int
    stop: int
    shape: tuple[int, ...]

    @property
    def slice(self) -> slice:
        """``slice(start, stop)``."""
        return slice(self.start, self.stop)

    @property
    def size(self) -> int:
        """Number of parameters in the block."""
        return self.stop - self.start


@dataclass(frozen=True)
class Architecture:
    """A feed-forward network's architecture: what every engine differentiates.

    Parameters
    ----------
    layers : tuple of int
        Widths from input to output, at least two, each in [1, 2**31 - 1].
    activations : tuple of str
        The activation of each weight layer's output (``len(layers) - 1`` names): hidden
        layers one of ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"leaky_relu"``; the output layer any of those or ``"softmax"``.
    loss : {"mse", "bce", "cross_entropy"}
        ``bce`` needs sigmoid outputs, ``cross_entropy`` softmax outputs; softmax needs at
        least two outputs.
    dtype : {"float64"}
        The floating-point type of the parameters and the data the kernels read.

    Attributes
    ----------
    n_params : int
        Number of weights and biases.
    blocks : tuple of Block
        ``ws0, bs0, ws1, bs1, ...`` in the order they sit in the flat vector.

    Raises
    ------
    TypeError, ValueError
        Naming the field and what was expected.

    Examples
    --------
    >>> import tensorgen as tg
    >>> arch = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0).architecture
    >>> arch.n_params, arch.weight_slice(1), arch.label()
    (9, slice(6, 8, None), '2-2-1 sigmoid/sigmoid mse')
    """

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    dtype: str = "float64"
    n_params: int = field(init=False, repr=False, compare=False)
    blocks: tuple[Block, ...] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        layers = _check_layers(self.layers)
        activations = _check_activations(self.activations, len(layers) - 1)
        loss = check_choice(self.loss, "loss", LOSSES)
        dtype = _check_dtype(self.dtype)
        required = LOSS_OUTPUT[loss]
        if required and activations[-1] != required:
            raise ValueError(f"output_activation: loss {loss!r} needs {required!r} outputs, "
                             f"got {activations[-1]!r}")
        if activations[-1] == "softmax" and layers[-1] < 2:
            hint = " (for a binary target use loss='bce', a sigmoid output)" if (
                loss == "cross_entropy") else ""
            raise ValueError(f"layers: a softmax output needs at least 2 outputs, got "
                             f"{layers[-1]}{hint}")
        blocks, pos = [], 0
        for l, (k, m) in enumerate(zip(layers[:-1], layers[1:])):
            blocks.append(Block(f"ws{l}", l, "weight", pos, pos + k * m, (k, m)))
            pos += k * m
            blocks.append(Block(f"bs{l}", l, "bias", pos, pos + m, (m,)))
            pos += m
        for name, value in (("layers", layers), ("activations", activations),
                            ("loss", loss), ("dtype", dtype), ("n_params", pos),
                            ("blocks", tuple(blocks)),
                            ("_hash", hash((layers, activations, loss, dtype)))):
            object.__setattr__(self, name, value)

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def from_options(cls, layers: Layers, activation: str = "sigmoid",
                     output_activation: str | None = None, loss: str = "mse",
                     dtype: DTypeLike = "float64") -> Architecture:
        """The architecture ``Network(...)`` builds from its options.

        Parameters
        ----------
        layers : sequence of int
            Widths from input to output.
        activation : str
            Activation of every hidden layer.
        output_activation : str or None
            Default: ``"identity"`` for ``loss="mse"`` (as scikit-learn's MLPs: a
            regression output takes any value), ``"sigmoid"`` for ``loss="bce"``,
            ``"softmax"`` for ``loss="cross_entropy"``.
        loss : str
            The loss's name.
        dtype : str or numpy dtype
            The floating-point type (``"float64"``).

        Returns
        -------
        Architecture
            Checked like any other.

        Raises
        ------
        TypeError, ValueError
            Naming the option and what was expected.
        """
        layers = _check_layers(layers)
        check_choice(activation, "activation", HIDDEN_ACTIVATIONS)
        check_choice(loss, "loss", LOSSES)
        if output_activation is None:
            output_activation = DEFAULT_OUTPUT[loss]
        check_choice(output_activation, "output_activation", ACTIVATIONS)
        acts = (activation,) * (len(layers) - 2) + (output_activation,)
        return cls(layers, acts, loss, cast(str, dtype))  # __post_init__ takes its name

    # ---- the layers ----

    @property
    def n_layers(self) -> int:
        """Number of weight layers (``len(layers) - 1``)."""
        return len(self.layers) - 1

    @property
    def n_inputs(self) -> int:
        """Width of the input layer."""
        return self.layers[0]

    @property
    def n_outputs(self) -> int:
        """Width of the output layer."""
        return self.layers[-1]

    @property
    def hidden_activation(self) -> str | None:
        """Activation of the hidden layers (the first one's), None without hidden layers."""
        return self.activations[0] if self.n_layers > 1 else None

    @property
    def output_activation(self) -> str:
        """Activation of the output layer."""
        return self.activations[-1]

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        """``dtype`` as a numpy dtype."""
        return np.dtype(self.dtype)

    def weight_slice(self, l: int) -> slice:
        """Slice of ``params`` holding ``W_l`` (row-major, shape ``weight_shape(l)``).

        Parameters
        ----------
        l : int
            Index of the weight layer, in [0, n_layers).

        Returns
        -------
        slice
            ``params[weight_slice(l)]`` is ``W_l``, flat.

        Raises
        ------
        ValueError
            For an index that is not a weight layer's.
        """
        return self.blocks[2 * self._layer(l)].slice

    def bias_slice(self, l: int) -> slice:
        """Slice of ``params`` holding ``b_l``.

        Parameters
        ----------
        l : int
            Index of the weight layer, in [0, n_layers).

        Returns
        -------
        slice
            ``params[bias_slice(l)]`` is ``b_l``.

        Raises
        ------
        ValueError
            For an index that is not a weight layer's.
        """
        return self.blocks[2 * self._layer(l) + 1].slice

    def weight_shape(self, l: int) -> tuple[int, int]:
        """``(layers[l], layers[l + 1])``: inputs by outputs of weight layer ``l``.

        Parameters
        ----------
        l : int
            Index of the weight layer, in [0, n_layers).

        Returns
        -------
        tuple of (int, int)
            The shape of ``W_l``.

        Raises
        ------
        ValueError
            For an index that is not a weight layer's.
        """
        l = self._layer(l)
        return self.layers[l], self.layers[l + 1]

    def unpack(self, params: NDArray[Any]) -> tuple[tuple[NDArray[Any], ...],
                                                   tuple[NDArray[Any], ...]]:
        """Views of ``params`` as the weight matrices and bias vectors.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            A flat parameter vector laid out as ``blocks`` say.

        Returns
        -------
        ws : tuple of ndarray
            ``ws[l]`` of shape ``weight_shape(l)``; views (no copies) where ``params`` is
            contiguous.
        bs : tuple of ndarray
            ``bs[l]`` of shape ``(layers[l+1],)``; views likewise.

        Raises
        ------
        ValueError
            When ``params`` does not have shape ``(n_params,)``.
        """
        if np.shape(params) != (self.n_params,):
            raise ValueError(f"params: expected shape ({self.n_params},), got "
                             f"{np.shape(params)}")
        ws = tuple(params[b.slice].reshape(b.shape) for b in self.blocks[0::2])
        bs = tuple(params[b.slice] for b in self.blocks[1::2])
        return ws, bs

    # ---- data ----

    def check_inputs(self, X: ArrayLike) -> NDArray[Any]:
        """``X`` as the engines receive it: a finite, C-contiguous array of ``dtype`` and
        shape (n_samples, n_inputs), 1 <= n_samples <= 2**31 - 1 (a copy only when the
        input does not already conform).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_inputs)
            Inputs, in any layout and real dtype.

        Returns
        -------
        ndarray of shape (n_samples, n_inputs)
            ``X`` itself when it conforms, else a conforming copy.

        Raises
        ------
        TypeError, ValueError
            Naming ``X`` and what was expected.
        """
        return _arrays.matrix(X, "X", self.layers[0], self.dtype)

    def check_batch(self, X: ArrayLike, Y: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
        """``(X, Y)`` as the engines receive them (see ``check_inputs``).

        A 1-D ``Y`` is a column when there is one output, else integer class labels, one-hot
        encoded. ``bce`` targets must lie in [0, 1], ``cross_entropy`` targets be >= 0.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_inputs)
            Inputs.
        Y : array_like of shape (n_samples, n_outputs) or (n_samples,)
            Targets.

        Returns
        -------
        X : ndarray of shape (n_samples, n_inputs)
            As ``check_inputs`` returns it.
        Y : ndarray of shape (n_samples, n_outputs)
            Checked likewise, one-hot encoded from labels where needed.

        Raises
        ------
        TypeError, ValueError
            Naming ``X`` or ``Y`` and what was expected.
        """
        X = self.check_inputs(X)
        Y = _arrays.targets(Y, self.layers[-1], LOSSES[self.loss], self.dtype)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y: expected {X.shape[0]} rows to match X, got {Y.shape[0]}")
        return X, Y

    def label(self) -> str:
        """A short description, e.g. ``"2-2-1 sigmoid/sigmoid mse"``.

        Returns
        -------
        str
            Widths, hidden/output activations and loss (and the dtype unless float64).
        """
        widths = "-".join(map(str, self.layers))
        hidden = self.hidden_activation or "-"
        text = f"{widths} {hidden}/{self.output_activation} {self.loss}"
        return text if self.dtype == "float64" else f"{text} {self.dtype}"

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-able values (``from_dict`` reads them back).

        Returns
        -------
        dict
            ``layers``, ``activations`` (lists), ``loss`` and ``dtype``.
        """
        return {"layers": list(self.layers), "activations": list(self.activations),
                "loss": self.loss, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> Architecture:
        """The architecture ``to_dict`` described (checked like any other).

        Parameters
        ----------
        fields : dict
            Exactly ``layers``, ``activations``, ``loss`` and ``dtype``.

        Returns
        -------
        Architecture
            Checked as the constructor checks.

        Raises
        ------
        TypeError, ValueError
            Other fields than those four, or values the constructor refuses.
        """
        if not isinstance(fields, dict) or set(fields) != {"layers", "activations", "loss",
                                                           "dtype"}:
            raise ValueError(f"architecture: expected the fields layers, activations, loss "
                             f"and dtype, got {fields!r}")
        return cls(fields["layers"], fields["activations"], fields["loss"], fields["dtype"])

    def _layer(self, l: int) -> int:
        if isinstance(l, bool) or not isinstance(l, numbers.Integral) or not (
                0 <= l < self.n_layers):
            raise ValueError(f"l: expected a weight layer index in [0, {self.n_layers}), "
                             f"got {l!r}")
        return int(l)


def _check_layers(layers: Any) -> tuple[int, ...]:
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
        raise TypeError(f"layers: expected a sequence of layer widths, got {layers!r}")
    if len(layers) < 2:
        raise ValueError(f"layers: expected at least an input and an output width, got "
                         f"{layers!r}")
    widths = []
    for w in layers:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral):
            raise TypeError(f"layers: widths must be integers, got {w!r}")
        width = int(w)
        if not 1 <= width <= MAX_WIDTH:
            raise ValueError(f"layers: widths must be >= 1 and <= {MAX_WIDTH} (the BLAS "
                             f"calls' C int), got {w!r} in {list(layers)!r}")
        widths.append(width)
    return tuple(widths)


def _check_activations(activations: Any, n_layers: int) -> tuple[str, ...]:
    if isinstance(activations, (str, bytes)) or not hasattr(activations, "__len__"):
        raise TypeError(f"activations: expected a sequence of {n_layers} names, got "
                        f"{activations!r}")
    if len(activations) != n_layers:
        raise ValueError(f"activations: expected one per weight layer ({n_layers}), got "
                         f"{len(activations)}")
    for a in activations[:-1]:
        check_choice(a, "activation", HIDDEN_ACTIVATIONS)
    check_choice(activations[-1], "output_activation", ACTIVATIONS)
    return tuple(activations)


def _check_dtype(dtype: Any) -> str:
    try:
        name: str = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"dtype: expected one of {list(DTYPES)}, got {dtype!r}") from None
    if name not in DTYPES:
        raise ValueError(f"dtype: expected one of {list(DTYPES)}, got {dtype!r}")
    return name
