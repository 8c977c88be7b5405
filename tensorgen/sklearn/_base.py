"""What MLPClassifier and MLPRegressor share beyond their parameters (``_params``): the
network behind the estimator, its initialisation, fit's solvers and the forward pass.

It follows scikit-learn's ``BaseMultilayerPerceptron`` step by step where that defines
the numbers (validation, initialisation from ``random_state``, losses, penalty, stopping
rules), so that a fit draws the same initial weights from the same seed and computes the
same loss curve; the work itself is TensorGen's (``network_``: a ``tensorgen.Network``
whose ``ws``/``bs`` are ``coefs_``/``intercepts_``). The only stream drawn differently is
the order of the mini-batches: one seed from ``random_state`` starts TensorGen's sample
shuffle, where scikit-learn permutes with ``random_state`` every epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ..engines import engine_for
from ..network import Network
from ._lbfgs import fit_lbfgs
from ._objective import Objective, Poisson
from ._params import ACTIVATIONS, Array, MLPParams
from ._stochastic import fit_stochastic

STOCHASTIC_SOLVERS = ("sgd", "adam")
# out_activation_ -> (TensorGen's output activation, loss)
OUTPUTS = {"softmax": ("softmax", "cross_entropy"), "logistic": ("sigmoid", "bce"),
           "identity": ("identity", "mse"), "exp": ("identity", "mse")}


class BaseMLP(MLPParams):
    """The shared machinery (see the module docstring); not an estimator by itself."""

    # ---- what the subclasses define ----

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Array, Array]:
        raise NotImplementedError

    def _out_activation(self) -> str:
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

    # ---- predict ----

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
