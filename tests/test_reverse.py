"""The reverse engine (Cython backprop) against the autograd oracle."""

import numpy as np
import pytest
from helpers import LOSS_OUTPUT_IDS, LOSS_OUTPUTS, make_targets, n_outputs
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorgen as tg
from tensorgen.functions import HIDDEN_ACTIVATIONS

pytest.importorskip("autograd")


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS, ids=LOSS_OUTPUT_IDS)
@settings(max_examples=8, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 32), min_size=1, max_size=4),
    n_in=st.integers(1, 32),
    n_out=st.integers(1, 32),
    n=st.integers(1, 64),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_oracle(activation, loss, output, hidden, n_in, n_out, n, seed):
    rng = np.random.default_rng(seed)
    n_out = n_outputs(output, n_out)
    net = tg.Network([n_in, *hidden, n_out], activation=activation,
                     output_activation=output, loss=loss, seed=seed)
    for b in net.bs:  # the default init leaves biases at zero; exercise them too
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X = rng.normal(size=(n, n_in))
    Y = make_targets(rng, loss, n, n_out)
    report = tg.gradcheck(net, X, Y, engine="reverse")
    assert report.cost_error <= 1e-12 * max(1.0, abs(net.loss(X, Y)))
    assert report.max_rel_error <= 1e-10, str(report)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS, ids=LOSS_OUTPUT_IDS)
@settings(max_examples=6, deadline=None)
@given(
    widths=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
    n=st.integers(1, 70),
    seed=st.integers(0, 2**32 - 1),
)
def test_fused_two_layer_kernel_is_the_layered_pass(activation, loss, output, widths, n, seed):
    """A network of two narrow layers runs as one fused kernel (tg_narrow.h); it gives
    the layer-by-layer pass's cost and gradient bit for bit, and the oracle's."""
    from tensorgen._kernels import _mlp, _testing

    rng = np.random.default_rng(seed)
    widths = (*widths[:2], n_outputs(output, widths[2]))
    net = tg.Network(list(widths), activation=activation, output_activation=output,
                     loss=loss, seed=seed)
    net.params = rng.normal(size=net.n_params)
    X = rng.normal(size=(n, widths[0]))
    Y = make_targets(rng, loss, n, widths[2])
    cost, grad = net.value_and_grad(X, Y)
    Xc, Yc = net.architecture.check_batch(X, Y)
    layered = _testing.value_and_grad_layered(_mlp.plan_for(net.architecture), net.params,
                                              Xc, Yc)
    assert cost == layered[0]
    np.testing.assert_array_equal(grad, layered[1])
    report = tg.gradcheck(net, X, Y, engine="reverse")
    assert report.max_rel_error <= 1e-10, str(report)


def test_gemm_path_matches_oracle(rng):
    """Layers large enough to go through BLAS give the oracle's gradient too."""
    net = tg.Network([64, 128, 128, 10], activation="tanh", loss="cross_entropy", seed=1)
    X = rng.normal(size=(256, 64))
    Y = np.eye(10)[rng.integers(0, 10, 256)]
    report = tg.gradcheck(net, X, Y)
    assert report.max_rel_error <= 1e-10, str(report)


def test_gradcheck_report_rows_and_table(rng):
    net = tg.Network([3, 4, 2], seed=0)
    report = tg.gradcheck(net, rng.random((5, 3)), rng.random((5, 2)))
    assert [row[0] for row in report.rows] == ["ws0", "bs0", "ws1", "bs1", "all"]
    assert [row[1] for row in report.rows] == [12, 4, 8, 2, 26]
    assert report.max_abs_error == max(row[2] for row in report.rows[:-1])
    text = str(report)
    assert "max abs err" in text and "ws1" in text and "'reverse'" in text


def test_gradcheck_catches_a_wrong_gradient(rng):
    """The check can fail: an engine off by a little in one component is reported."""

    class Wrong(tg.engines.Reverse):
        def value_and_grad(self, architecture, params, X, Y):
            cost, grad = super().value_and_grad(architecture, params, X, Y)
            grad[3] *= 1 + 1e-6
            return cost, grad

    net = tg.Network([2, 3, 1], seed=0)
    report = tg.gradcheck(net, rng.random((4, 2)), rng.random((4, 1)), engine=Wrong())
    assert 5e-7 < report.max_rel_error < 2e-6
    assert report.rows[0][3] == report.max_rel_error  # index 3 lies in ws0


def test_cost_is_papers_mse():
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    X, Y = tg.datasets.xor()
    out = net.predict(X)
    assert net.loss(X, Y) == pytest.approx(np.sum((out - Y) ** 2) / 4, rel=1e-15)


def test_gradient_does_not_change_params(rng):
    net = tg.Network([4, 5, 3], activation="relu", seed=3)
    before = net.params.copy()
    net.value_and_grad(rng.random((6, 4)), rng.random((6, 3)))
    assert np.array_equal(net.params, before)
