"""The 'lbfgs' solver: scipy.optimize's L-BFGS-B on TensorGen's gradient.

scikit-learn's settings: at most ``max_iter`` iterations and ``max_fun`` function
evaluations, ``gtol=tol``; the objective is the full batch's (``_objective.Objective``,
computed by the estimator's engine). The data are checked once; each evaluation is then
one engine call (for the reverse engine, one compiled forward and backward pass). SciPy
works in float64: a float32 network's parameters are rounded to float32 for each
evaluation, and its gradient widened.
"""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.optimize
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning

from ..engines import Engine
from ..network import Network

if TYPE_CHECKING:
    from ._params import MLPParams


def fit_lbfgs(est: MLPParams, net: Network, X: NDArray[Any], Y: NDArray[Any],
              objective: Engine) -> None:
    """scikit-learn's ``_fit_lbfgs``: sets ``n_iter_`` and ``loss_``, leaves the solution in
    ``net``."""
    arch = net.architecture
    X, Y = arch.check_batch(X, Y)
    dtype = net.dtype

    def value_and_grad(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        params = x if dtype == np.float64 else x.astype(dtype)
        cost, grad = objective.value_and_grad(arch, params, X, Y)
        return cost, grad.astype(np.float64, copy=False)

    iterations = itertools.count(1)

    def report(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        print(f"Iteration {next(iterations)}, loss = {intermediate_result.fun:.8f}")

    result = scipy.optimize.minimize(
        value_and_grad, net.params.astype(np.float64), method="L-BFGS-B", jac=True,
        callback=report if est.verbose else None,
        options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol})
    est.n_iter_ = check_result(result, est.max_iter)
    est.loss_ = float(result.fun)
    if not np.isfinite(result.x).all():
        raise ValueError("Solver produced non-finite parameter weights. The input data may "
                         "contain large values and need to be preprocessed.")
    net.params = result.x


def check_result(result: scipy.optimize.OptimizeResult, max_iter: int) -> int:
    """The iterations run; warns as scikit-learn does when L-BFGS did not converge."""
    n_iter = min(int(result.nit), max_iter)
    if result.status != 0:
        message = (f"lbfgs failed to converge after {n_iter} iteration(s) "
                   f"(status={result.status}):\n{result.message}\n")
        if n_iter == max_iter:
            message += ("\nIncrease the number of iterations to improve the convergence "
                        f"(max_iter={max_iter}).")
        message += ("\nYou might also want to scale the data as shown in:\n"
                    "    https://scikit-learn.org/stable/modules/preprocessing.html")
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
    return n_iter
