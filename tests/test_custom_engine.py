"""An engine written with the public API alone (examples/numpy_engine.py, shown in the
docs): the oracle agrees with it, fit trains with it, and its declaration is honoured."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tensorgen as tg

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "numpy_engine.py"
spec = importlib.util.spec_from_file_location("numpy_engine", EXAMPLE)
numpy_engine = importlib.util.module_from_spec(spec)
spec.loader.exec_module(numpy_engine)
NumpyBackprop = numpy_engine.NumpyBackprop


@pytest.mark.parametrize("hidden", ["identity", "sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("output", ["identity", "sigmoid", "tanh"])
def test_gradcheck_agrees_with_the_oracle(rng, hidden, output):
    pytest.importorskip("autograd")
    net = tg.Network([3, 5, 4, 2], activation=hidden, output_activation=output, seed=1)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    report = tg.gradcheck(net, X, Y, engine=NumpyBackprop())
    assert report.engine == "numpy-backprop"
    assert report.max_rel_error <= 1e-10, str(report)
    # and the reverse engine computes the same gradient
    np.testing.assert_allclose(net.value_and_grad(X, Y, engine=NumpyBackprop())[1],
                               net.value_and_grad(X, Y)[1], rtol=1e-10, atol=1e-14)


def test_fit_trains_xor_with_it():
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    history = net.fit(X, Y, engine=NumpyBackprop(), lr=1.0, epochs=5000, tol=1e-3)
    assert history.stop_reason == "tol"
    assert np.array_equal(np.round(net.predict(X)), Y)
    # the same steps as the reverse engine's (the same gradients, to rounding)
    ref = tg.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    ref_history = ref.fit(X, Y, lr=1.0, epochs=5000, tol=1e-3)
    assert abs(history.epochs - ref_history.epochs) <= 1


def test_what_it_does_not_support_is_refused_before_it_runs():
    net = tg.Network([2, 3, 2], loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="^engine: .*does not compute"):
        net.value_and_grad(np.ones((2, 2)), [0, 1], engine=NumpyBackprop())
    with pytest.raises(ValueError, match="^engine: "):
        net.fit(np.ones((2, 2)), [0, 1], engine=NumpyBackprop(), epochs=1)


def test_the_example_runs(capsys):
    pytest.importorskip("autograd")
    numpy_engine.main()
    out = capsys.readouterr().out
    assert "gradcheck: engine 'numpy-backprop'" in out and "(tol)" in out
