"""What the solvers see of an estimator: scikit-learn's parameters and their checks, the
fitted attributes they update, and the hooks they call (the validation score of early
stopping). MLPClassifier and MLPRegressor build on it through ``_base.BaseMLP``; the
solvers (``_stochastic``, ``_lbfgs``) take an ``MLPParams``, so that they need not import
``_base``, which runs them.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ..engines import ENGINES, Engine
from ..network import Network
from ..optimizers import Optimizer

# scikit-learn's activation names -> TensorGen's
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
Array = NDArray[Any]


class MLPParams(BaseEstimator):  # type: ignore[misc]  # scikit-learn ships no types
    """The parameters, fitted attributes and solver hooks (see the module docstring); not
    an estimator by itself."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],  # TensorGen: momentum < 1
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "engine": [StrOptions(set(ENGINES)), Engine],
        "dtype": [StrOptions({"float64", "float32"}), Options(type, {np.float64, np.float32}),
                  np.dtype, None],
    }

    # the constructor's parameters (set by the subclasses' __init__, as scikit-learn's)
    hidden_layer_sizes: Any
    activation: str
    solver: str
    alpha: float
    batch_size: int | str
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    loss: str
    shuffle: bool
    random_state: Any
    tol: float
    verbose: bool | int
    warm_start: bool
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    validation_fraction: float
    beta_1: float
    beta_2: float
    epsilon: float
    n_iter_no_change: int | float
    max_fun: int
    engine: str | Engine
    dtype: Any
    # fitted: see the subclasses' Attributes
    network_: Network
    coefs_: list[Array]
    intercepts_: list[Array]
    n_iter_: int
    t_: int
    n_outputs_: int
    n_layers_: int
    out_activation_: str
    loss_: float
    loss_curve_: list[float]
    best_loss_: float | None
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    _no_improvement_count: int
    _best_params: Array
    _random_state: np.random.RandomState
    _optimizer: Optimizer

    def __init__(self, hidden_layer_sizes: Any, activation: str, solver: str, alpha: float,
                 batch_size: int | str, learning_rate: str, learning_rate_init: float,
                 power_t: float, max_iter: int, loss: str, shuffle: bool, random_state: Any,
                 tol: float, verbose: bool | int, warm_start: bool, momentum: float,
                 nesterovs_momentum: bool, early_stopping: bool, validation_fraction: float,
                 beta_1: float, beta_2: float, epsilon: float, n_iter_no_change: int | float,
                 max_fun: int, engine: str | Engine, dtype: Any) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.engine = engine
        self.dtype = dtype

    # ---- the hooks the solvers call ----

    def _targets_as_labels(self, Y: Array) -> Array:
        """Binarized targets as the validation score compares them."""
        raise NotImplementedError

    def _score_outputs(self, outputs: Array, y: Array) -> float:
        """The validation score of network outputs (accuracy or R^2)."""
        raise NotImplementedError

    def _score_network(self, net: Network, X: Array, y: Array) -> float:
        """The validation score of early stopping (NaN where the outputs overflow)."""
        try:
            outputs = self._link(net.predict(X))
        except ValueError:
            return float("nan")
        return self._score_outputs(outputs, y)

    def _link(self, outputs: Array) -> Array:
        """The network's outputs as scikit-learn's (exp of them for the Poisson loss)."""
        return np.exp(outputs) if self.out_activation_ == "exp" else outputs
