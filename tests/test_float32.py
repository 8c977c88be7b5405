"""float32 networks end to end: parameters, data, forward and backward passes (the narrow
kernels and sgemm), optimizers and the compiled loop, predict, save/load, the CLI; gradients
against the float64 autograd oracle; engines that compute only in float64 refuse them."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import LOSS_OUTPUT_IDS, LOSS_OUTPUTS, make_targets, n_outputs

import tensorgen as tg
from tensorgen.functions import HIDDEN_ACTIVATIONS

F32 = np.float32


def relative_gap(grad, ref):
    """max |grad - ref| / max |ref|: float32's rounding, measured against the gradient's
    scale (a component far below the largest is a difference of terms of that scale)."""
    return float(np.max(np.abs(np.asarray(grad, np.float64) - ref)) / np.max(np.abs(ref)))


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS, ids=LOSS_OUTPUT_IDS)
@pytest.mark.parametrize("layers, n", [((3, 4, 2), 5), ((16, 32, 32, 8), 64),
                                       ((64, 128, 10), 256)], ids=["narrow", "loops", "gemm"])
def test_gradient_within_1e_4_of_the_float64_oracle(rng, activation, loss, output, layers, n):
    pytest.importorskip("autograd")
    layers = (*layers[:-1], n_outputs(output, layers[-1]))
    net = tg.Network(list(layers), activation=activation, output_activation=output,
                     loss=loss, seed=3, dtype="float32")
    for b in net.bs:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X = rng.normal(size=(n, layers[0]))
    Y = make_targets(rng, loss, n, layers[-1])
    cost, grad = net.value_and_grad(X, Y)
    assert grad.dtype == F32 and isinstance(cost, float)
    ref_cost, ref = net.value_and_grad(X, Y, engine="autograd")  # float64 of the same params
    assert relative_gap(grad, ref) <= 1e-4
    assert abs(cost - ref_cost) <= 1e-5 * max(1.0, abs(ref_cost))


def test_float32_is_float32_throughout(rng):
    net = tg.Network([5, 7, 3], activation="tanh", loss="cross_entropy", seed=0, dtype="float32")
    assert net.params.dtype == F32 and net.ws[0].dtype == F32 and net.dtype == F32
    assert net.architecture.dtype == "float32" and "float32" in net.architecture.label()
    X = rng.normal(size=(9, 5))  # float64 data are converted once
    assert net.predict(X).dtype == F32
    assert net.value_and_grad(X, rng.integers(0, 3, 9))[1].dtype == F32
    assert "dtype='float32'" in repr(net)


def test_compiled_loop_equals_python_loop_in_float32(rng):
    class PythonLoopReverse(tg.engines.Reverse):
        def fit_kernel(self, architecture):
            return None

    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    for optimizer in ("sgd", "momentum", "adam"):
        a = tg.Network([4, 8, 3], activation="relu", loss="cross_entropy", seed=1,
                       dtype="float32")
        b = a.copy()
        ha = a.fit(X, y, optimizer=optimizer, epochs=5, batch_size=8, seed=2)
        hb = b.fit(X, y, engine=PythonLoopReverse(), optimizer=optimizer, epochs=5,
                   batch_size=8, seed=2)
        np.testing.assert_array_equal(a.params, b.params)
        np.testing.assert_array_equal(ha.cost, hb.cost)


def test_xor_trains_in_float32():
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0,
                     dtype="float32")
    history = net.fit(X, Y, lr=1.0, epochs=100_000, tol=1e-3)
    assert history.stop_reason == "tol"
    assert np.array_equal(np.round(net.predict(X)), Y)


def test_optimizer_state_follows_the_dtype():
    opt = tg.optimizers.Adam()
    m, v = opt.state(5, np.float32)
    assert m.dtype == v.dtype == F32
    m, v = opt.state(5, np.float64)
    assert m.dtype == np.float64 and opt.t == 0  # another type: a new state


def test_save_and_load_keep_the_dtype(tmp_path, rng):
    net = tg.Network([3, 4, 2], seed=0, dtype="float32")
    net.save(tmp_path / "m.npz")
    loaded = tg.Network.load(tmp_path / "m.npz")
    assert loaded.dtype == F32
    np.testing.assert_array_equal(loaded.params, net.params)
    X = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


def test_astype_converts_both_ways(rng):
    net = tg.Network([3, 4, 2], activation="tanh", seed=0)
    single = net.astype("float32")
    assert single.dtype == F32 and net.dtype == np.float64
    np.testing.assert_array_equal(single.params, net.params.astype(F32))
    back = single.astype(np.float64)
    np.testing.assert_array_equal(back.params, single.params.astype(np.float64))
    with pytest.raises(ValueError, match="^params: contains NaN or infinity"):
        big = net.copy()
        big.params = np.full(net.n_params, 1e300)
        big.astype("float32")
    with pytest.raises(ValueError, match="^dtype: "):
        net.astype("float16")


@pytest.mark.parametrize("engine", ["finite", "symbolic"])
def test_float64_only_engines_refuse_float32_networks(engine):
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0, dtype="float32")
    X, Y = tg.datasets.xor()
    with pytest.raises(ValueError, match=r"^engine: .*float32.*astype\('float64'\)"):
        net.value_and_grad(X, Y, engine=engine)
    with pytest.raises(ValueError, match="^engine: "):
        net.fit(X, Y, engine=engine, epochs=1)
    # the advice works
    cost, grad = net.astype("float64").value_and_grad(X, Y, engine=engine)
    assert np.isfinite(cost) and grad.dtype == np.float64


def test_data_that_overflow_float32_are_refused():
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0, dtype="float32")
    with pytest.raises(ValueError, match="^X: contains NaN or infinity"):
        net.predict([[1e39, 0.0]])


def test_cli_trains_xor_in_float32(tmp_path):
    run = subprocess.run([sys.executable, "-m", "tensorgen", "xor", "--dtype", "float32",
                          "--no-progress"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    outputs = [float(r.split(" : ")[1]) for r in run.stdout.splitlines()[-4:]]
    assert np.array_equal(np.round(outputs), [0, 1, 1, 0])
    bad = subprocess.run([sys.executable, "-m", "tensorgen", "xor", "--dtype", "float32",
                          "--engine", "finite"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("tensorgen: error: engine: ")
