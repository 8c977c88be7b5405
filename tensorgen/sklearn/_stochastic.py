"""The 'sgd' and 'adam' solvers: scikit-learn's epochs, run by TensorGen's fit.

``fit`` runs the epochs (the compiled loop for the reverse engine) with scikit-learn's
objective (``_objective.Objective``) and calls ``Epochs`` after each one: the bookkeeping
of scikit-learn's ``_fit_stochastic`` (``n_iter_``, ``t_``, ``loss_curve_``), its stopping
rule (no improvement by ``tol`` for more than ``n_iter_no_change`` epochs, on the training
loss or, with early stopping, on the validation score), its learning-rate schedules and
its verbose output. The learning rate changed from the callback takes effect from the
next epoch, as scikit-learn's does.

scikit-learn's momentum keeps its velocity in parameter units (``v = momentum * v -
lr * g``); TensorGen's SGD keeps its buffer in gradient units (``b = momentum * b + g``,
``v = -lr * b``). The two are the same update while lr is constant; when a schedule
changes lr, the buffer is rescaled by ``old lr / new lr`` so that the velocity carries
over unchanged, as in scikit-learn.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ..engines import Engine
from ..network import Network
from ..optimizers import SGD, Adam, Optimizer
from ..training import History

if TYPE_CHECKING:
    from ._params import MLPParams

# scikit-learn's 'adaptive' schedule stops once the learning rate is this small
MIN_ADAPTIVE_LR = 1e-6


def make_optimizer(est: MLPParams) -> Optimizer:
    """scikit-learn's optimizer for the estimator's solver, as TensorGen's."""
    if est.solver == "adam":
        return Adam(lr=est.learning_rate_init, beta1=est.beta_1, beta2=est.beta_2,
                    eps=est.epsilon, eps_hat=True)
    return SGD(lr=est.learning_rate_init, momentum=est.momentum,
               nesterov=bool(est.nesterovs_momentum and est.momentum > 0))


def set_learning_rate(opt: Optimizer, net: Network, lr: float) -> None:
    """Change the learning rate, keeping SGD's velocity (see the module docstring)."""
    old, opt.lr = opt.lr, lr
    if isinstance(opt, SGD) and opt.momentum > 0:
        buffer, _ = opt.state(net.n_params, net.dtype)
        buffer *= old / lr


class Epochs:
    """The callback run after each epoch: scikit-learn's bookkeeping and stopping rule.

    Parameters
    ----------
    est : MLPParams
        The estimator being fitted (its fitted attributes are updated).
    opt : Optimizer
        The optimizer fit runs (its learning rate follows the schedule).
    n_train : int
        Training samples per epoch.
    validation : (X_val, y_val) or None
        The held-out data of early stopping, y_val as the estimator's ``_score`` takes it.
    incremental : bool
        A ``partial_fit``: one epoch, and no warning at ``max_iter``.
    """

    def __init__(self, est: MLPParams, opt: Optimizer, n_train: int,
                 validation: tuple[NDArray[Any], NDArray[Any]] | None,
                 incremental: bool) -> None:
        self.est, self.opt, self.n_train = est, opt, n_train
        self.validation, self.incremental = validation, incremental

    def __call__(self, net: Network, history: History) -> bool:
        est = self.est
        est.n_iter_ += 1
        est.loss_ = float(history.cost[-1])
        est.t_ += self.n_train
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        self.update_no_improvement_count(net)
        if isinstance(self.opt, SGD) and est.learning_rate == "invscaling":
            set_learning_rate(self.opt, net,
                              float(est.learning_rate_init) / (est.t_ + 1) ** est.power_t)
        if est._no_improvement_count > est.n_iter_no_change:
            if self.trigger_stopping(net):
                return True
            est._no_improvement_count = 0
        if self.incremental:
            return True
        if est.n_iter_ == est.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=1)  # (this module, as scikit-learn's does)
        return False

    def update_no_improvement_count(self, net: Network) -> None:
        """scikit-learn's ``_update_no_improvement_count``."""
        est = self.est
        if self.validation is None:
            # (None after a fit with early stopping, warm-started without: start afresh)
            best = np.inf if est.best_loss_ is None else est.best_loss_
            if est.loss_curve_[-1] > best - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(best, est.loss_curve_[-1])
            return
        score = est._score_network(net, *self.validation)
        if est.validation_scores_ is None or est.best_validation_score_ is None:
            est.validation_scores_, est.best_validation_score_ = [], -np.inf  # (likewise)
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_params = net.params.copy()

    def trigger_stopping(self, net: Network) -> bool:
        """Whether to stop, or (the 'adaptive' schedule) divide the learning rate by 5."""
        est = self.est
        what = ("Validation score did not improve more" if self.validation is not None
                else "Training loss did not improve more")
        msg = (f"{what} than tol={est.tol:f} for {est.n_iter_no_change} consecutive "
               "epochs.")
        if not (isinstance(self.opt, SGD) and est.learning_rate == "adaptive"):
            if est.verbose:
                print(msg + " Stopping.")
            return True
        if self.opt.lr <= MIN_ADAPTIVE_LR:
            if est.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        set_learning_rate(self.opt, net, self.opt.lr / 5.0)
        if est.verbose:
            print(msg + f" Setting learning rate to {self.opt.lr:f}")
        return False


def fit_stochastic(est: MLPParams, net: Network, X: NDArray[Any], Y: NDArray[Any],
                   objective: Engine, incremental: bool) -> None:
    """scikit-learn's ``_fit_stochastic``: X and Y as the network takes them (Y binarized
    for a classifier)."""
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = make_optimizer(est)
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    validation = None
    if est.early_stopping:
        # don't stratify in multilabel classification (scikit-learn's rule)
        stratify = Y if is_classifier(est) and est.n_outputs_ == 1 else None
        X, X_val, Y, Y_val = train_test_split(X, Y, random_state=est._random_state,
                                              test_size=est.validation_fraction,
                                              stratify=stratify)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        validation = (X_val, est._targets_as_labels(Y_val))
    n = X.shape[0]
    if est.batch_size == "auto":
        batch_size = min(200, n)
    else:
        if est.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped", stacklevel=3)
        batch_size = int(np.clip(est.batch_size, 1, n))
    seed = int(est._random_state.randint(np.iinfo(np.int32).max)) if est.shuffle else None
    epochs = Epochs(est, est._optimizer, n, validation, incremental)
    est.n_iter_ = 0
    try:
        net.fit(X, Y, engine=objective, optimizer=est._optimizer,
                epochs=1 if incremental else est.max_iter, batch_size=batch_size,
                shuffle=est.shuffle, seed=seed, callbacks=[epochs])
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=3)
    except FloatingPointError as exc:
        raise ValueError("Solver produced non-finite parameter weights. The input data may "
                         f"contain large values and need to be preprocessed. ({exc})"
                         ) from None
    if est.early_stopping:  # restore the best weights
        net.params = est._best_params
