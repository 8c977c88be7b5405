"""Optimizers: SGD (plain, momentum, Nesterov) and Adam over the flat parameter vector.

Each optimizer holds its hyper-parameters and its state (momentum buffer, Adam's moments
and step count) for one parameter vector; the update itself is the C kernel in
``tensorgen._kernels._optim``, shared with the compiled training loop.
"""

import functools
import inspect

import numpy as np

from ._checks import check_bool, check_number
from ._kernels import _optim
from .functions import check_choice

_SGD, _ADAM = 0, 1  # kinds of the C kernel (OPT_SGD, OPT_ADAM in _optim.pxd)


@functools.cache
def _param_names(cls):
    """The constructor's parameter names (inspect.signature takes ~0.1 ms; fit asks each
    time)."""
    return tuple(inspect.signature(cls).parameters)


class Optimizer:
    """An update rule over a flat parameter vector, with its state.

    Use one optimizer object per network: its state belongs to the parameters it updates.
    The state is (re)allocated when the parameter count changes or ``reset`` is called.
    """

    name = "optimizer"
    _kind = None

    def __init__(self, lr, weight_decay):
        self.lr = check_number(lr, "lr", 0.0, low_open=True)
        self.weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        self.reset()

    def reset(self, n_params=0):
        """Forget the state; the next step is step 1."""
        self.t = 0
        self.m = np.zeros(n_params)
        self.v = np.zeros(n_params)

    def _hyper(self):
        """(momentum, nesterov, beta1, beta2, eps) as the C kernel takes them."""
        raise NotImplementedError

    def _spec(self):
        """The kernel's OptSpec fields, in order."""
        return (self._kind, self.lr, *self._hyper(), self.weight_decay)

    def _state_for(self, n_params):
        if self.m.size != n_params:
            self.reset(n_params)
        return self.m, self.v

    def step(self, params, grad, out=None):
        """Apply one update.

        Parameters
        ----------
        params : ndarray of shape (n,), float64, C-contiguous
        grad : ndarray of shape (n,), float64
            Gradient of the cost at ``params``.
        out : ndarray of shape (n,), float64, optional
            Where to write the new parameters; ``params`` itself (in place) by default.

        Returns
        -------
        bool
            Whether every new parameter is finite. The state is advanced either way.
        """
        out = params if out is None else out
        m, v = self._state_for(params.size)
        self.t += 1
        return _optim.step(*self._spec(), self.t, params, grad, out, m, v)

    def get_params(self):
        """The hyper-parameters, as keyword arguments of the constructor."""
        return {name: getattr(self, name) for name in _param_names(type(self))}

    def __repr__(self):
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
    _kind = _SGD

    def __init__(self, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.momentum = check_number(momentum, "momentum", 0.0, 1.0, high_open=True)
        self.nesterov = check_bool(nesterov, "nesterov")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov: Nesterov momentum needs momentum > 0")
        super().__init__(lr, weight_decay)

    def _hyper(self):
        return (self.momentum, self.nesterov, 0.0, 0.0, 0.0)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias-corrected moments.

    With ``g = grad + weight_decay * p``: ``m = beta1 m + (1 - beta1) g``,
    ``v = beta2 v + (1 - beta2) g^2``, ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` where
    ``m_hat = m / (1 - beta1^t)`` and ``v_hat = v / (1 - beta2^t)``.

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
    """

    name = "adam"
    _kind = _ADAM

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.beta1 = check_number(beta1, "beta1", 0.0, 1.0, high_open=True)
        self.beta2 = check_number(beta2, "beta2", 0.0, 1.0, high_open=True)
        self.eps = check_number(eps, "eps", 0.0, low_open=True)
        super().__init__(lr, weight_decay)

    def _hyper(self):
        return (0.0, False, self.beta1, self.beta2, self.eps)


# Names accepted by fit(optimizer=...): the class and its defaults.
OPTIMIZERS = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": (Adam, {}),
}


def get_optimizer(optimizer, **params):
    """An Optimizer from a name in OPTIMIZERS (with ``params``) or an Optimizer object.

    ``params`` whose value is None are not given. With an object, none may be given: its
    hyper-parameters are set on it. Raises ValueError naming a parameter the optimizer
    does not take.
    """
    given = {k: v for k, v in params.items() if v is not None}
    if isinstance(optimizer, Optimizer):
        if given:
            raise ValueError(f"{next(iter(given))}: set it on the optimizer object "
                             f"{optimizer!r}, not as a fit() option")
        return optimizer
    cls, defaults = OPTIMIZERS[check_choice(optimizer, "optimizer", OPTIMIZERS)]
    accepted = _param_names(cls)
    for key in given:
        if key not in accepted:
            raise ValueError(f"{key}: not a parameter of optimizer {optimizer!r} "
                             f"(it takes {', '.join(accepted)})")
    return cls(**{**defaults, **given})
