"""The penalty of _kernels._penalty (Penalty, PenalizedKernel): an L2 penalty on ranges of
the parameter vector, divided by the batch's size, and the loss's scales, against the same
formula in numpy."""

import numpy as np
import pytest

import tensorgen as tg
from tensorgen._kernels import _mlp
from tensorgen._kernels._penalty import PenalizedKernel, Penalty


def weight_ranges(net):
    return np.array([[b.start, b.stop] for b in net.architecture.blocks if b.kind == "weight"])


def problem(dtype, n=13):
    rng = np.random.default_rng(0)
    net = tg.Network([3, 5, 2], activation="tanh", output_activation="identity", seed=1,
                     dtype=dtype)
    X, Y = net.architecture.check_batch(rng.normal(size=(n, 3)), rng.normal(size=(n, 2)))
    return net, X, Y


def reference(net, X, Y, l2, grad_scale, cost_scale):
    cost, grad = net.value_and_grad(X, Y)
    mask = np.zeros(net.n_params, bool)
    for start, stop in weight_ranges(net):
        mask[start:stop] = True
    w = net.params.astype(np.float64)
    n = X.shape[0]
    grad = grad_scale * grad.astype(np.float64) + np.where(mask, l2 / n * w, 0.0)
    return cost_scale * cost + 0.5 * l2 / n * np.sum(w[mask] ** 2), grad


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-14), ("float32", 1e-5)])
@pytest.mark.parametrize("l2, grad_scale, cost_scale", [(0.3, 1.0, 1.0), (2.0, 0.5, 0.25),
                                                        (0.0, 0.5, 0.5)])
def test_kernel_and_apply_match_numpy_and_each_other(dtype, rtol, l2, grad_scale,
                                                     cost_scale):
    net, X, Y = problem(dtype)
    penalty = Penalty(net.n_params, weight_ranges(net), l2, grad_scale, cost_scale)
    inner = _mlp.ReverseKernel(_mlp.plan_for(net.architecture))
    kernel = PenalizedKernel(inner, penalty)
    cost, grad = kernel(net.params, X, Y)
    assert grad.dtype == net.dtype and kernel.n_params == net.n_params
    want_cost, want_grad = reference(net, X, Y, l2, grad_scale, cost_scale)
    np.testing.assert_allclose(cost, want_cost, rtol=rtol)
    np.testing.assert_allclose(grad, want_grad, rtol=rtol, atol=rtol * 1e-2)
    c, g = net.value_and_grad(X, Y)
    c = penalty.apply(net.params, g, c, X.shape[0])
    assert c == cost
    np.testing.assert_array_equal(g, grad)


def test_the_penalty_is_divided_by_the_batch_size_and_skips_other_ranges():
    net, X, Y = problem("float64", n=4)
    grad = np.zeros(net.n_params)
    net.params = np.arange(net.n_params, dtype=float)
    cost = Penalty(net.n_params, [[2, 4]], 0.8).apply(net.params, grad, 1.0, 4)
    assert cost == 1.0 + 0.5 * 0.8 / 4 * (2.0**2 + 3.0**2)
    np.testing.assert_array_equal(np.nonzero(grad)[0], [2, 3])
    np.testing.assert_allclose(grad[2:4], 0.2 * np.array([2.0, 3.0]))
    nothing = Penalty(net.n_params, np.empty((0, 2), int), 0.8)
    assert nothing.apply(net.params, grad, 1.5, 4) == 1.5 and nothing.n_params == net.n_params


@pytest.mark.parametrize("ranges, l2, error, match", [
    ([[0, 100]], 1.0, ValueError, "ranges"),
    ([[3, 2]], 1.0, ValueError, "ranges"),
    ([[-1, 2]], 1.0, ValueError, "ranges"),
    ([[0.5, 2]], 1.0, TypeError, "ranges"),
    ([0, 2, 3], 1.0, TypeError, "ranges"),
    ([[0, 2]], -1.0, ValueError, "l2"),
    ([[0, 2]], float("nan"), ValueError, "l2"),
])
def test_bad_settings_are_refused(ranges, l2, error, match):
    net, X, Y = problem("float64")
    with pytest.raises(error, match=match):
        Penalty(net.n_params, ranges, l2)


def test_apply_and_the_kernel_check_their_arguments():
    penalty, params = Penalty(5, [[0, 2]], 1.0), np.zeros(5)
    with pytest.raises(ValueError, match="n"):
        penalty.apply(params, np.zeros(5), 0.0, 0)
    with pytest.raises((TypeError, ValueError), match="grad"):
        penalty.apply(params, np.zeros(4), 0.0, 2)
    with pytest.raises((TypeError, ValueError), match="grad"):
        penalty.apply(params, np.zeros(5, np.float32), 0.0, 2)
    with pytest.raises((TypeError, ValueError), match="params"):
        penalty.apply(np.zeros(6), np.zeros(5), 0.0, 2)
    net, X, Y = problem("float64")
    with pytest.raises(ValueError, match="penalty: for 5 parameters"):
        PenalizedKernel(_mlp.ReverseKernel(_mlp.plan_for(net.architecture)), penalty)


class Penalized(tg.engines.Reverse):
    """The reverse engine with the penalty, compiled (fit_kernel) and from Python."""

    def __init__(self, net, compiled=True):
        self.penalty = Penalty(net.n_params, weight_ranges(net), 0.7, 0.5, 0.25)
        self.compiled = compiled

    def value_and_grad(self, architecture, params, X, Y):
        cost, grad = super().value_and_grad(architecture, params, X, Y)
        return self.penalty.apply(params, grad, cost, X.shape[0]), grad

    def fit_kernel(self, architecture):
        if not self.compiled:
            return None
        return PenalizedKernel(super().fit_kernel(architecture), self.penalty)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_compiled_loop_runs_it_as_the_python_loop(dtype):
    net, X, Y = problem(dtype, n=23)  # batches of 5: the last one has 3 samples
    other = net.copy()
    options = dict(optimizer="momentum", lr=0.05, epochs=7, batch_size=5, seed=2)
    compiled = net.fit(X, Y, engine=Penalized(net), **options)
    python = other.fit(X, Y, engine=Penalized(net, compiled=False), **options)
    np.testing.assert_array_equal(net.params, other.params)
    np.testing.assert_array_equal(compiled.cost, python.cost)
