"""What MLPClassifier and MLPRegressor share: scikit-learn's parameters and their checks,
the network behind the estimator, its initialisation, fit's solvers and the forward pass.

It follows scikit-learn's ``BaseMultilayerPerceptron`` step by step where that defines
the numbers (validation, initialisation from ``random_state``, losses, penalty, stopping
rules), so that a fit draws the same initial weights from the same seed and computes the
same loss curve; the work itself is TensorGen's (``network_``: a ``tensorgen.Network``
whose ``ws``/``bs`` are ``coefs_``/``intercepts_``). The only stream drawn differently is
the order of the mini-batches: one seed from ``random_state`` starts TensorGen's sample
shuffle, where scikit-learn permutes with ``random_state`` every epoch.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import scipy.sparse
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import validate_data

from ..engines import ENGINES, Engine, engine_for
from ..network import Network
from ._lbfgs import fit_lbfgs
from ._objective import Objective, Poisson
from ._stochastic import fit_stochastic

STOCHASTIC_SOLVERS = ("sgd", "adam")
# scikit-learn's activation names -> TensorGen's
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
# out_activation_ -> (TensorGen's output activation, loss)
OUTPUTS = {"softmax": ("softmax", "cross_entropy"), "logistic": ("sigmoid", "bce"),
           "identity": ("identity", "mse"), "exp": ("identity", "mse")}
Array = NDArray[Any]


class BaseMLP(BaseEstimator):  # type: ignore[misc]  # scikit-learn ships no types
    """The shared machinery (see the module docstring); not an estimator by itself."""

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

    # ---- what the subclasses define ----

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Array, Array]:
        raise NotImplementedError

    def _out_activation(self) -> str:
        raise NotImplementedError

    def _targets_as_labels(self, Y: Array) -> Array:
        """Binarized targets as the validation score compares them."""
        raise NotImplementedError

    def _score_outputs(self, outputs: Array, y: Array) -> float:
        """The validation score of network outputs (accuracy or R^2)."""
        raise NotImplementedError

    # ---- fit ----

    def _fit(self, X: Any, y: Any, incremental: bool) -> BaseMLP:
        """fit and partial_fit (their _fit_context has validated the parameters)."""
        hidden = _hidden_layer_sizes(self.hidden_layer_sizes)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        X = _dense(X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [X.shape[1], *hidden, y.shape[1]]
        if not first_pass and list(self.network_.layers) != layer_units:
            raise ValueError(f"hidden_layer_sizes, X, y: the network has layers "
                             f"{list(self.network_.layers)}, the data and hidden_layer_sizes "
                             f"call for {layer_units} (warm_start and partial_fit keep "
                             "the network)")
        self.n_outputs_ = y.shape[1]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, self.dtype or X.dtype)
        net = self.network_
        X = np.ascontiguousarray(X, dtype=net.dtype)
        Y = np.ascontiguousarray(y, dtype=net.dtype)
        objective = self._objective(net)
        if self.solver in STOCHASTIC_SOLVERS:
            fit_stochastic(self, net, X, Y, objective, incremental)
        else:
            fit_lbfgs(self, net, X, Y, objective)
        return self

    def _initialize(self, layer_units: list[int], dtype: Any) -> None:
        """A new network, its weights and biases drawn as scikit-learn draws them."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        output, loss = OUTPUTS[self.out_activation_]
        net = Network(layer_units, activation=ACTIVATIONS[self.activation],
                      output_activation=output, loss=loss, init="glorot", dtype=dtype)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for W, b in zip(net.ws, net.bs):  # scikit-learn's _init_coef, in its order
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[:] = self._random_state.uniform(-bound, bound, W.shape)
            b[:] = self._random_state.uniform(-bound, bound, b.shape)
        self.network_ = net
        self._link_views()
        self._best_params = net.params.copy()
        if self.solver in STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _objective(self, net: Network) -> Objective:
        """scikit-learn's loss and penalty over the estimator's engine (see _objective)."""
        engine = engine_for(self.engine, net.architecture)
        if self.out_activation_ == "exp":
            engine = Poisson(engine)
        if self.out_activation_ == "identity":  # half the squared error
            return Objective(engine, net.architecture, self.alpha, 0.5, 0.5 / self.n_outputs_)
        return Objective(engine, net.architecture, self.alpha)

    def _score_network(self, net: Network, X: Array, y: Array) -> float:
        """The validation score of early stopping (NaN where the outputs overflow)."""
        try:
            outputs = self._link(net.predict(X))
        except ValueError:
            return float("nan")
        return self._score_outputs(outputs, y)

    # ---- predict ----

    def _link(self, outputs: Array) -> Array:
        """The network's outputs as scikit-learn's (exp of them for the Poisson loss)."""
        return np.exp(outputs) if self.out_activation_ == "exp" else outputs

    def _forward(self, X: Any) -> Array:
        """The outputs for X, checked as scikit-learn checks it."""
        X = _dense(validate_data(self, X, accept_sparse=["csr", "csc"], reset=False))
        return self._link(self.network_.predict(X))

    def _check_solver(self) -> bool:
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    # ---- coefs_ and intercepts_ are views of network_'s parameters ----

    def _link_views(self) -> None:
        self.coefs_ = list(self.network_.ws)
        self.intercepts_ = list(self.network_.bs)

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state = dict(state)
        state.pop("coefs_", None)
        state.pop("intercepts_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "network_" in state:
            self._link_views()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _hidden_layer_sizes(sizes: Any) -> list[int]:
    hidden = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    if np.any(np.array(hidden) <= 0):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
    return [int(h) for h in hidden]


def _dense(X: Any) -> Array:
    """X as a dense array (sparse input is densified: the kernels compute dense)."""
    dense: Array = X.toarray() if scipy.sparse.issparse(X) else X
    return dense
