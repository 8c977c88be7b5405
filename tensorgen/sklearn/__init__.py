"""scikit-learn estimators trained by TensorGen: drop-ins for ``MLPClassifier`` and
``MLPRegressor`` of ``sklearn.neural_network``.

    from tensorgen.sklearn import MLPClassifier, MLPRegressor

The same constructor parameters with the same meanings and defaults, the same fitted
attributes and methods, the same numbers where scikit-learn defines them (initial weights
from ``random_state``, losses, L2 penalty, learning-rate schedules, stopping rules), plus
``engine`` and ``dtype``; ``network_`` is the trained ``tensorgen.Network``. The 'sgd'
and 'adam' epochs run in TensorGen's compiled training loop, 'lbfgs' is SciPy's L-BFGS-B
on TensorGen's gradient. Needs scikit-learn >= 1.6 (``pip install "tensorgen[sklearn]"``);
``import tensorgen`` does not import this module.
"""

import re

try:
    import sklearn
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError('tensorgen.sklearn needs scikit-learn >= 1.6: pip install '
                      '"tensorgen[sklearn]" (or pip install scikit-learn)') from exc

_found = re.match(r"(\d+)\.(\d+)", sklearn.__version__)
if _found is None or tuple(map(int, _found.groups())) < (1, 6):
    raise ImportError(f"tensorgen.sklearn needs scikit-learn >= 1.6, found "
                      f"{sklearn.__version__}: pip install --upgrade \"tensorgen[sklearn]\"")

# ruff: noqa: E402
# (scikit-learn's version is checked above, before the imports below)
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..engines import Engine
from ._base import BaseMLP

__all__ = ["MLPClassifier", "MLPRegressor"]


class MLPClassifier(ClassifierMixin, BaseMLP):  # type: ignore[misc]  # sklearn: no types
    """Multi-layer perceptron classifier: ``sklearn.neural_network.MLPClassifier``, trained
    by TensorGen.

    Minimises the log-loss (softmax outputs for multiclass targets, logistic outputs for
    binary and multilabel ones) plus the L2 penalty ``alpha`` with Adam, SGD or L-BFGS.
    Targets: class labels of any type (binary or multiclass) or a multilabel indicator
    matrix.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Widths of the hidden layers; ``()`` makes a network without hidden layers.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers (``'logistic'`` is TensorGen's ``'sigmoid'``).
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        ``'adam'`` and ``'sgd'`` run mini-batch epochs in TensorGen's compiled training
        loop; ``'lbfgs'`` is SciPy's L-BFGS-B on TensorGen's full-batch gradient.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases): ``0.5 * alpha *
        sum of squared weights / n_samples`` is added to the loss, ``n_samples`` being
        the batch's size.
    batch_size : int or 'auto', default='auto'
        Samples per mini-batch of the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``. Larger than the data: clipped, with a warning.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of the learning rate of ``'sgd'``: constant; ``learning_rate_init /
        (t + 1) ** power_t`` after each epoch, ``t`` the samples seen; or divided by 5
        each time the stopping rule would stop (stops below 1e-6).
    learning_rate_init : float, default=0.001
        The initial learning rate of ``'sgd'`` and ``'adam'``.
    power_t : float, default=0.5
        The exponent of ``'invscaling'``.
    max_iter : int, default=200
        Epochs of the stochastic solvers; iterations of ``'lbfgs'``.
    shuffle : bool, default=True
        Shuffle the samples every epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Draws the initial weights and biases (as scikit-learn draws them), the
        early-stopping split, and the seed of the mini-batch order.
    tol : float, default=1e-4
        Training stops once the loss (or the validation score, with early stopping) has
        not improved by ``tol`` for more than ``n_iter_no_change`` epochs; ``'lbfgs'``
        stops once the projected gradient is below ``tol``.
    verbose : bool, default=False
        Print the loss of every iteration (and the validation score).
    warm_start : bool, default=False
        Start ``fit`` from the previous fit's weights instead of new ones.
    momentum : float, default=0.9
        Momentum of ``'sgd'``, in [0, 1).
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for ``'sgd'`` (when ``momentum > 0``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for single-label
        targets) and stop when its score stops improving (stochastic solvers); the
        weights of the best score are kept.
    validation_fraction : float, default=0.1
        The share held out for early stopping.
    beta_1 : float, default=0.9
        Decay rate of ``'adam'``'s first moment, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of ``'adam'``'s second moment, in [0, 1).
    epsilon : float, default=1e-8
        ``'adam'``'s epsilon, added to ``sqrt(v)`` (``tensorgen.optimizers.Adam``'s
        ``eps_hat`` form, as scikit-learn's).
    n_iter_no_change : int, default=10
        Epochs without an improvement by ``tol`` before stopping (stochastic solvers).
    max_fun : int, default=15000
        Most loss evaluations of ``'lbfgs'``.
    engine : str or tensorgen.engines.Engine, default='reverse'
        TensorGen's gradient engine: ``'reverse'`` (compiled backpropagation; the only
        one the compiled training loop runs), ``'autograd'``, ``'finite'``,
        ``'symbolic'`` or an Engine object. The others compute the same gradient another
        way (``'finite'`` approximately), much more slowly.
    dtype : {'float64', 'float32'} or None, default=None
        The network's floating-point type; None: float32 for float32 ``X``, else float64
        (scikit-learn computes in ``X``'s type too).


    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (the columns of ``predict_proba``).
    loss_ : float
        The loss of the last epoch (the mean of its mini-batches' losses) or, for
        ``'lbfgs'``, of the solution; with the L2 penalty.
    best_loss_ : float or None
        The smallest epoch loss (None with early stopping); stochastic solvers only.
    loss_curve_ : list of float
        The loss of every epoch; stochastic solvers only.
    validation_scores_ : list of float or None
        The validation score (accuracy) after every epoch with early stopping, else None;
        stochastic solvers only.
    best_validation_score_ : float or None
        The best of ``validation_scores_`` (None without early stopping).
    t_ : int
        Training samples seen by the stochastic solvers (epochs times samples).
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (layer i's width, layer i + 1's): the weights; views of
        ``network_.params`` (``network_.ws``).
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (layer i + 1's width,): the biases (``network_.bs``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit, when ``X`` had string column names (a
        pandas DataFrame); ``predict`` checks them.
    n_iter_ : int
        Epochs run by the last fit (1 after ``partial_fit``), or L-BFGS iterations.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        The output activation ('softmax' or 'logistic').
    network_ : tensorgen.Network
        The trained network: ``network_.save(path)``, ``predict``, ``value_and_grad``
        and the rest of TensorGen.

    See Also
    --------
    MLPRegressor : The regressor.

    Notes
    -----
    The same ``random_state`` draws the same initial weights as scikit-learn's, and with
    ``shuffle=False`` (or one batch per epoch) the loss curve is scikit-learn's to
    rounding; with shuffling the mini-batches are drawn by TensorGen's generator, so the
    runs differ as two seeds do. Sparse ``X`` is densified. ``fit`` takes no
    ``sample_weight``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from tensorgen.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    classes_: NDArray[Any]

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool | int = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, engine: str | Engine = "reverse",
                 dtype: Any = None) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            loss="log_loss", shuffle=shuffle, random_state=random_state, tol=tol,
            verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            engine=engine, dtype=dtype)

    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def fit(self, X: ArrayLike, y: ArrayLike) -> "MLPClassifier":
        """Fit the model to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.

        Returns
        -------
        MLPClassifier
            The fitted estimator.
        """
        self._fit(X, y, incremental=False)
        return self

    @available_if(lambda est: est._check_solver())  # type: ignore[untyped-decorator]
    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def partial_fit(self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None
                    ) -> "MLPClassifier":
        """One epoch over ``X`` and ``y`` (stochastic solvers only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        classes : array-like of shape (n_classes,), optional
            Every class of all the calls; needed by the first call (not for multilabel
            targets), where ``y`` may hold only some of them.

        Returns
        -------
        MLPClassifier
            The estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        self._fit(X, y, incremental=True)
        return self

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The predicted classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or the multilabel indicator matrix.
        """
        check_is_fitted(self)
        outputs = self._forward(X)
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        labels: NDArray[Any] = self._label_binarizer.inverse_transform(outputs)
        return labels

    def predict_proba(self, X: ArrayLike) -> NDArray[Any]:
        """Probability of every class (of every label, for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        outputs = self._forward(X)
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        if outputs.ndim == 1:
            return np.vstack([1 - outputs, outputs]).T
        return outputs

    def predict_log_proba(self, X: ArrayLike) -> NDArray[Any]:
        """The logarithm of ``predict_proba``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        proba = self.predict_proba(X)
        log_proba: NDArray[Any] = np.log(proba, out=proba)
        return log_proba

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[NDArray[Any], NDArray[Any]]:
        """scikit-learn's checks of X and y; y binarized (classes_ set or checked)."""
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        return X, self._binarized(y)

    def _binarized(self, y: NDArray[Any]) -> NDArray[Any]:
        """``_label_binarizer.transform(y)``; for labels (not multilabel targets) by a
        comparison with the classes (transform checks the targets' type again: 1.3 ms,
        which is a tenth of a small L-BFGS fit). The labels are among the classes: fit
        learnt them from y, or _validate_input checked them."""
        binarizer = self._label_binarizer
        if y.ndim != 1 or binarizer.y_type_ not in ("binary", "multiclass"):
            labels: NDArray[Any] = binarizer.transform(y)
            return labels
        classes: NDArray[Any] = binarizer.classes_
        if binarizer.y_type_ == "multiclass":
            onehot: NDArray[np.bool_] = y[:, None] == classes
            return onehot
        if len(classes) == 1:  # one class: LabelBinarizer's column of zeros
            return np.zeros((len(y), 1), dtype=bool)
        positive: NDArray[np.bool_] = y[:, None] == classes[1]
        return positive

    def _out_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _targets_as_labels(self, Y: NDArray[Any]) -> NDArray[Any]:
        labels: NDArray[Any] = self._label_binarizer.inverse_transform(Y)
        return labels

    def _score_outputs(self, outputs: NDArray[Any], y: NDArray[Any]) -> float:
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return float(accuracy_score(y, self._label_binarizer.inverse_transform(outputs)))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):  # type: ignore[misc]  # sklearn: no types
    """Multi-layer perceptron regressor: ``sklearn.neural_network.MLPRegressor``, trained
    by TensorGen.

    Minimises half the squared error (identity outputs) or half the Poisson deviance
    (log link) plus the L2 penalty ``alpha`` with Adam, SGD or L-BFGS; one or several
    outputs.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        ``'squared_error'``: half the squared error (TensorGen's ``mse`` / 2; the loss
        reported is its mean over the outputs, as scikit-learn's). ``'poisson'``: half
        the Poisson deviance with a log link, outputs ``exp(z)``, targets ``y >= 0``; it
        trains through TensorGen's mse gradient at a working target, one extra forward
        pass per batch, in fit's Python loop (not the compiled one).
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Widths of the hidden layers; ``()`` makes a network without hidden layers.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers (``'logistic'`` is TensorGen's ``'sigmoid'``).
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        ``'adam'`` and ``'sgd'`` run mini-batch epochs in TensorGen's compiled training
        loop; ``'lbfgs'`` is SciPy's L-BFGS-B on TensorGen's full-batch gradient.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases): ``0.5 * alpha *
        sum of squared weights / n_samples`` is added to the loss, ``n_samples`` being
        the batch's size.
    batch_size : int or 'auto', default='auto'
        Samples per mini-batch of the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``. Larger than the data: clipped, with a warning.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of the learning rate of ``'sgd'``: constant; ``learning_rate_init /
        (t + 1) ** power_t`` after each epoch, ``t`` the samples seen; or divided by 5
        each time the stopping rule would stop (stops below 1e-6).
    learning_rate_init : float, default=0.001
        The initial learning rate of ``'sgd'`` and ``'adam'``.
    power_t : float, default=0.5
        The exponent of ``'invscaling'``.
    max_iter : int, default=200
        Epochs of the stochastic solvers; iterations of ``'lbfgs'``.
    shuffle : bool, default=True
        Shuffle the samples every epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Draws the initial weights and biases (as scikit-learn draws them), the
        early-stopping split, and the seed of the mini-batch order.
    tol : float, default=1e-4
        Training stops once the loss (or the validation score, with early stopping) has
        not improved by ``tol`` for more than ``n_iter_no_change`` epochs; ``'lbfgs'``
        stops once the projected gradient is below ``tol``.
    verbose : bool, default=False
        Print the loss of every iteration (and the validation score).
    warm_start : bool, default=False
        Start ``fit`` from the previous fit's weights instead of new ones.
    momentum : float, default=0.9
        Momentum of ``'sgd'``, in [0, 1).
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for ``'sgd'`` (when ``momentum > 0``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for single-label
        targets) and stop when its score stops improving (stochastic solvers); the
        weights of the best score are kept.
    validation_fraction : float, default=0.1
        The share held out for early stopping.
    beta_1 : float, default=0.9
        Decay rate of ``'adam'``'s first moment, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of ``'adam'``'s second moment, in [0, 1).
    epsilon : float, default=1e-8
        ``'adam'``'s epsilon, added to ``sqrt(v)`` (``tensorgen.optimizers.Adam``'s
        ``eps_hat`` form, as scikit-learn's).
    n_iter_no_change : int, default=10
        Epochs without an improvement by ``tol`` before stopping (stochastic solvers).
    max_fun : int, default=15000
        Most loss evaluations of ``'lbfgs'``.
    engine : str or tensorgen.engines.Engine, default='reverse'
        TensorGen's gradient engine: ``'reverse'`` (compiled backpropagation; the only
        one the compiled training loop runs), ``'autograd'``, ``'finite'``,
        ``'symbolic'`` or an Engine object. The others compute the same gradient another
        way (``'finite'`` approximately), much more slowly.
    dtype : {'float64', 'float32'} or None, default=None
        The network's floating-point type; None: float32 for float32 ``X``, else float64
        (scikit-learn computes in ``X``'s type too).


    Attributes
    ----------
    loss_ : float
        The loss of the last epoch (the mean of its mini-batches' losses) or, for
        ``'lbfgs'``, of the solution; with the L2 penalty.
    best_loss_ : float or None
        The smallest epoch loss (None with early stopping); stochastic solvers only.
    loss_curve_ : list of float
        The loss of every epoch; stochastic solvers only.
    validation_scores_ : list of float or None
        The validation score (R^2) after every epoch with early stopping, else None;
        stochastic solvers only.
    best_validation_score_ : float or None
        The best of ``validation_scores_`` (None without early stopping).
    t_ : int
        Training samples seen by the stochastic solvers (epochs times samples).
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (layer i's width, layer i + 1's): the weights; views of
        ``network_.params`` (``network_.ws``).
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (layer i + 1's width,): the biases (``network_.bs``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit, when ``X`` had string column names (a
        pandas DataFrame); ``predict`` checks them.
    n_iter_ : int
        Epochs run by the last fit (1 after ``partial_fit``), or L-BFGS iterations.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        The output activation ('identity', or 'exp' for the Poisson loss).
    network_ : tensorgen.Network
        The trained network: ``network_.save(path)``, ``predict``, ``value_and_grad``
        and the rest of TensorGen.

    See Also
    --------
    MLPClassifier : The classifier.

    Notes
    -----
    As for ``MLPClassifier``: the same initial weights and, without shuffling, the same
    loss curve as scikit-learn's; sparse ``X`` is densified; no ``sample_weight``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from tensorgen.sklearn import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), MLPRegressor(solver="lbfgs", random_state=0))
    >>> model.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {**BaseMLP._parameter_constraints,
                              "loss": [StrOptions({"squared_error", "poisson"})]}

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None,
                 tol: float = 1e-4, verbose: bool | int = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: int | float = 10, max_fun: int = 15000,
                 engine: str | Engine = "reverse", dtype: Any = None) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            loss=loss, shuffle=shuffle, random_state=random_state, tol=tol,
            verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            engine=engine, dtype=dtype)

    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def fit(self, X: ArrayLike, y: ArrayLike) -> "MLPRegressor":
        """Fit the model to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        Returns
        -------
        MLPRegressor
            The fitted estimator.
        """
        self._fit(X, y, incremental=False)
        return self

    @available_if(lambda est: est._check_solver())  # type: ignore[untyped-decorator]
    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> "MLPRegressor":
        """One epoch over ``X`` and ``y`` (stochastic solvers only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        Returns
        -------
        MLPRegressor
            The estimator.
        """
        self._fit(X, y, incremental=True)
        return self

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The predicted values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output (a vector for one output).
        """
        check_is_fitted(self)
        outputs = self._forward(X)
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[NDArray[Any], NDArray[Any]]:
        """scikit-learn's checks of X and y (and y >= 0 for the Poisson loss)."""
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("Some value(s) of y are negative which is not allowed for "
                             "Poisson regression.")
        return X, y

    def _out_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    def _targets_as_labels(self, Y: NDArray[Any]) -> NDArray[Any]:
        return Y

    def _score_outputs(self, outputs: NDArray[Any], y: NDArray[Any]) -> float:
        return float(r2_score(y, outputs.ravel() if outputs.shape[1] == 1 else outputs))
