"""Optimizers: SGD (plain, momentum, Nesterov) and Adam over the flat parameter vector.

Each optimizer holds its hyper-parameters and its state (momentum buffer, Adam's moments
and step count) for one parameter vector; the update itself is the C kernel in
``tensorgen._kernels._optim``, shared with the compiled training loop. An optimizer
declares whether the compiled loop may run it (``compiled_spec``); one whose ``step`` is
your own never is. Hyper-parameters are checked on every assignment, so ``opt.lr = -0.5``
raises instead of training uphill.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, cast

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ._checks import Checked, check_bool, check_choice, check_number
from ._kernels import _optim
from .functions import OPTIMIZER_KINDS

# Arrays ``step`` reads and writes: all float64 or all float32 (others are refused).
FloatArray = NDArray[np.floating[Any]]
# The settings of the C update kernel: (kind, lr, momentum, nesterov, beta1, beta2, eps,
# weight_decay, eps_hat), as ``Optimizer.compiled_spec`` returns them.
CompiledSpec = tuple[int, float, float, bool, float, float, float, float, bool]


@functools.cache
def _param_names(cls: type) -> tuple[str, ...]:
    """The constructor's parameter names (inspect.signature takes ~0.1 ms; fit asks each
    time)."""
    return tuple(inspect.signature(cls).parameters)


def _positive(value: Any, name: str) -> float:
    return float(check_number(value, name, 0.0, low_open=True))


def _non_negative(value: Any, name: str) -> float:
    return float(check_number(value, name, 0.0))


def _unit(value: Any, name: str) -> float:
    return float(check_number(value, name, 0.0, 1.0, high_open=True))


class Optimizer:
    """An update rule over a flat parameter vector, with its state.

    Use one optimizer object per network: its state belongs to the parameters it updates.
    The state is (re)allocated when the parameter count changes or ``reset`` is called.
    A subclass that defines its own ``step`` runs in fit's Python loop (its
    ``compiled_spec`` is None) unless it also defines ``compiled_spec``.

    Attributes
    ----------
    lr : float
        Learning rate (> 0), checked on every assignment.
    weight_decay : float
        L2 penalty coefficient (>= 0), checked on every assignment.
    t : int
        Updates applied since the last reset.
    """

    name = "optimizer"
    lr = Checked(_positive)
    weight_decay = Checked(_non_negative)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__ and "compiled_spec" not in cls.__dict__:
            cls.compiled_spec = Optimizer.compiled_spec  # type: ignore[method-assign]

    def __init__(self, lr: float, weight_decay: float) -> None:
        self.lr = lr
        self.weight_decay = weight_decay
        self.reset()

    def reset(self, n_params: int = 0, dtype: DTypeLike = np.float64) -> None:
        """Forget the state; the next step is step 1.

        Parameters
        ----------
        n_params : int
            Size of the new, zero state arrays.
        dtype : dtype
            Their type: the parameters' (float64 or float32).
        """
        self.t = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)

    def compiled_spec(self) -> CompiledSpec | None:
        """The settings of the C update kernel that ``step`` runs, for fit's compiled
        loop, or None when the update is not that kernel (the base class, and subclasses
        with a ``step`` of their own).

        Returns
        -------
        tuple or None
            ``(kind, lr, momentum, nesterov, beta1, beta2, eps, weight_decay, eps_hat)``.
        """
        return None

    def state(self, n_params: int, dtype: DTypeLike = np.float64) -> tuple[FloatArray,
                                                                          FloatArray]:
        """The state arrays for ``n_params`` parameters of ``dtype``, reset when the count
        or the type changes.

        Parameters
        ----------
        n_params : int
            Size of the parameter vector the state belongs to.
        dtype : dtype
            The parameters' type (float64 or float32): the state's.

        Returns
        -------
        m : ndarray of shape (n_params,)
            Momentum buffer or Adam's first moment; updated in place by every step.
        v : ndarray of shape (n_params,)
            Adam's second moment (unused by SGD).
        """
        if self.m.size != n_params or self.m.dtype != np.dtype(dtype):
            self.reset(n_params, dtype)
        return self.m, self.v

    def step(self, params: FloatArray, grad: FloatArray, out: FloatArray | None = None) -> bool:
        """Apply one update.

        Parameters
        ----------
        params : ndarray of shape (n,), float64 or float32, C-contiguous (native byte
            order, aligned)
            The parameters the update starts from.
        grad : ndarray of shape (n,), of params' dtype, C-contiguous
            Gradient of the cost at ``params``.
        out : ndarray of shape (n,), of params' dtype, writable, C-contiguous, optional
            Where to write the new parameters; ``params`` itself (in place) by default,
            which must then be writable.

        Returns
        -------
        bool
            Whether every new parameter is finite. The state is advanced either way.

        Raises
        ------
        TypeError, ValueError
            Arrays of another type, dtype, byte order, layout or size (named), before
            anything is read or written.
        NotImplementedError
            For an optimizer without a compiled update that does not define ``step``.
        """
        spec = self.compiled_spec()
        if spec is None:
            raise NotImplementedError(f"{type(self).__name__}.step")
        out = params if out is None else out
        m, v = self.state(np.size(params), getattr(params, "dtype", np.float64))
        finite: bool = _optim.step(*spec, self.t + 1, params, grad, out, m, v)
        self.t += 1
        return finite

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters, as keyword arguments of the constructor.

        Returns
        -------
        dict
            Parameter name -> current value.
        """
        # cast to a plain type: mypy does not see that a class is Hashable (python/mypy#11470)
        return {name: getattr(self, name) for name in _param_names(cast(type, type(self)))}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    With ``g = grad + weight_decay * p`` and the buffer ``b`` (zero at first):
    plain ``p -= lr * g``; momentum ``b = momentum * b + g; p -= lr * b``;
    Nesterov ``b = momentum * b + g; p -= lr * (g + momentum * b)`` (as in PyTorch).

    Parameters
    ----------
    lr : float
        Learning rate (> 0).
    momentum : float
        In [0, 1); 0 is plain SGD.
    nesterov : bool
        Nesterov momentum (needs momentum > 0).
    weight_decay : float
        L2 penalty coefficient (>= 0), applied to every parameter.
    """

    name = "sgd"
    momentum = Checked(_unit)

    def __init__(self, lr: float = 0.1, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self.momentum = momentum
        self._nesterov = check_bool(nesterov, "nesterov")
        self._check_nesterov()
        super().__init__(lr, weight_decay)

    @property
    def nesterov(self) -> bool:
        """Nesterov momentum (checked on assignment: needs momentum > 0)."""
        return self._nesterov

    @nesterov.setter
    def nesterov(self, value: bool) -> None:
        self._nesterov = check_bool(value, "nesterov")
        self._check_nesterov()

    def _check_nesterov(self) -> None:
        if self._nesterov and self.momentum == 0.0:
            self._nesterov = False
            raise ValueError("nesterov: Nesterov momentum needs momentum > 0")

    def compiled_spec(self) -> CompiledSpec:
        if self._nesterov and self.momentum == 0.0:
            raise ValueError("nesterov: Nesterov momentum needs momentum > 0 (momentum was "
                             "set to 0 afterwards)")
        return (OPTIMIZER_KINDS["sgd"], self.lr, self.momentum, self._nesterov, 0.0, 0.0,
                0.0, self.weight_decay, False)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias-corrected moments.

    With ``g = grad + weight_decay * p``: ``m = beta1 m + (1 - beta1) g``,
    ``v = beta2 v + (1 - beta2) g^2``, ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` where
    ``m_hat = m / (1 - beta1^t)`` and ``v_hat = v / (1 - beta2^t)``. With ``eps_hat``,
    ``p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)``: the form of
    Kingma & Ba's Section 2, in which ``eps`` is their "epsilon hat" (TensorFlow's and
    scikit-learn's Adam); the two differ only through ``eps``, which weighs more in the
    first steps of the second.

    Parameters
    ----------
    lr : float
        Learning rate (> 0).
    beta1, beta2 : float
        Decay rates of the moment estimates, in [0, 1).
    eps : float
        Added to the denominator (> 0).
    weight_decay : float
        L2 penalty coefficient (>= 0), applied to every parameter.
    eps_hat : bool
        Add ``eps`` to ``sqrt(v)`` before the bias correction (see above).
    """

    name = "adam"
    beta1 = Checked(_unit)
    beta2 = Checked(_unit)
    eps = Checked(_positive)
    eps_hat = Checked(check_bool)

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, eps_hat: bool = False) -> None:
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.eps_hat = eps_hat
        super().__init__(lr, weight_decay)

    def compiled_spec(self) -> CompiledSpec:
        return (OPTIMIZER_KINDS["adam"], self.lr, 0.0, False, self.beta1, self.beta2,
                self.eps, self.weight_decay, self.eps_hat)


# Names accepted by fit(optimizer=...): the class and its defaults.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": (Adam, {}),
}


def get_optimizer(optimizer: str | Optimizer, **params: Any) -> Optimizer:
    """An Optimizer from a name in OPTIMIZERS (with ``params``) or an Optimizer object.

    Parameters
    ----------
    optimizer : str or Optimizer
        A key of ``OPTIMIZERS`` or an Optimizer object (returned as is).
    **params
        Hyper-parameters of the named optimizer; those whose value is None are not given.
        With an object, none may be given: its hyper-parameters are set on it.

    Returns
    -------
    Optimizer
        ``optimizer`` itself, or a new one of the named kind.

    Raises
    ------
    TypeError, ValueError
        Naming a parameter the optimizer does not take, or an unknown name.
    """
    given = {k: v for k, v in params.items() if v is not None}
    if isinstance(optimizer, Optimizer):
        if given:
            raise ValueError(f"{next(iter(given))}: set it on the optimizer object "
                             f"{optimizer!r}, not as a fit() option")
        return optimizer
    cls, defaults = OPTIMIZERS[check_choice(optimizer, "optimizer", OPTIMIZERS)]
    accepted = _param_names(cast(type, cls))  # (python/mypy#11470, as in get_params)
    for key in given:
        if key not in accepted:
            raise ValueError(f"{key}: not a parameter of optimizer {optimizer!r} "
                             f"(it takes {', '.join(accepted)})")
    return cls(**{**defaults, **given})
