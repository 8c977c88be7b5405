"""Stability at extreme pre-activations: +-1000 must give finite costs and gradients equal
to the autograd oracle's (where the oracle is finite), for sigmoid, softmax / log-sum-exp
and every loss, with every engine."""

import numpy as np
import pytest
from helpers import expected, seeded

import tensorgen as tg
from tensorgen.engines import ENGINES, get_engine
from tensorgen.engines.oracle import cost_function

autograd = pytest.importorskip("autograd", reason="the oracle needs autograd: "
                               "pip install '.[test]'")

# Inputs whose pre-activations are +-1000 (and mixtures) once W = I and b = 0.
X = np.array([[1000.0, -1000.0, 0.0],
              [-1000.0, 1000.0, 999.0],
              [1000.0, 1000.0, -1000.0],
              [-1000.0, -1000.0, -1000.0]])
TARGETS = {
    "mse": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]),
    "bce": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]]),
    "cross_entropy": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0],
                               [0.2, 0.3, 0.5]]),
}
# (hidden activation or None for a single layer, output activation, loss)
CASES = [
    (None, "sigmoid", "mse"),
    (None, "sigmoid", "bce"),
    (None, "softmax", "cross_entropy"),
    (None, "softmax", "mse"),
    (None, "tanh", "mse"),
    (None, "identity", "mse"),
    ("sigmoid", "sigmoid", "bce"),
    ("sigmoid", "softmax", "cross_entropy"),
    ("tanh", "sigmoid", "mse"),
]


def extreme_net(hidden, output_activation, loss):
    """A network whose every layer maps its input to itself (W = I, b = 0), so that the
    pre-activations are the +-1000 of X (scaled by 1000 after a saturated hidden layer)."""
    layers = [3, 3] if hidden is None else [3, 3, 3]
    net = tg.Network(layers, activation=hidden or "identity",
                     output_activation=output_activation, loss=loss, seed=0)
    params = np.zeros(net.n_params)
    net.params = params
    for l, W in enumerate(net.ws):
        W[:] = np.eye(3) * (1000.0 if l > 0 else 1.0)
    return net


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("hidden, output_activation, loss", CASES,
                         ids=[f"{h or 'single'}-{o}-{l}" for h, o, l in CASES])
def test_extreme_inputs_match_the_oracle(engine, hidden, output_activation, loss):
    net = extreme_net(hidden, output_activation, loss)
    Y = TARGETS[loss]
    subject = seeded(engine)
    cost, grad = net.value_and_grad(X, Y, engine=subject)
    assert np.isfinite(cost) and np.isfinite(grad).all()
    ref_cost, ref = autograd.value_and_grad(cost_function(net.architecture, X, Y))(
        net.params.copy())
    assert np.isfinite(ref_cost) and np.isfinite(ref).all(), "the oracle itself overflowed"
    # a stochastic estimate is exact given its directions: compared with the oracle's
    exact = get_engine(engine).exact or get_engine(engine).stochastic
    ref = expected(subject, ref)
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(cost, ref_cost, rtol=1e-12 if exact else 1e-6)
    np.testing.assert_allclose(grad, ref, rtol=1e-9 if exact else 1e-4,
                               atol=(1e-12 if exact else 1e-4) * scale)


@pytest.mark.parametrize("output_activation", ["sigmoid", "softmax", "tanh"])
def test_saturated_outputs_are_exact_probabilities(output_activation):
    loss = "cross_entropy" if output_activation == "softmax" else "mse"
    X_sat = 2000.0 * np.eye(3) - 1000.0  # +1000 on the diagonal, -1000 elsewhere
    out = extreme_net(None, output_activation, loss).predict(X_sat)
    expected = {"sigmoid": np.eye(3), "tanh": np.sign(X_sat), "softmax": np.eye(3)}
    np.testing.assert_array_equal(out, expected[output_activation])


def test_log_sum_exp_cost_is_linear_far_out():
    """cross-entropy of logits (1000, -1000) against the wrong class is exactly 2000:
    a naive log(sum(exp(z))) would overflow to inf."""
    net = tg.Network([2, 2], loss="cross_entropy", seed=0)
    net.params = np.zeros(net.n_params)
    net.ws[0][:] = np.eye(2)
    assert net.loss([[1000.0, -1000.0]], [[0.0, 1.0]]) == 2000.0
