"""Gradient call of the compiled symbolic engine against the reverse engine (one table per
network): XOR (the paper's 2-2-1) and 8-32-32-1 on 64 samples. Libraries are built before
timing, in a private cache."""

import numpy as np
import pytest

import tensorgen as tg

ENGINES = ["symbolic", "reverse"]


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    cache = tmp_path_factory.mktemp("tensorgen-cache")
    cache.chmod(0o700)
    return {"symbolic": tg.engines.Symbolic(cache_dir=cache), "reverse": tg.engines.Reverse()}


def run(benchmark, engine, net, X, Y):
    args = (net.architecture, net.params, X, Y)
    engine.value_and_grad(*args)  # build (symbolic) outside the timing
    cost, grad = benchmark(engine.value_and_grad, *args)
    ref_cost, ref = net.value_and_grad(X, Y, engine="reverse")
    np.testing.assert_allclose(grad, ref, rtol=1e-10, atol=1e-14)
    assert cost == pytest.approx(ref_cost, rel=1e-12)


@pytest.mark.benchmark(group="gradient call: XOR 2-2-1, 4 samples")
@pytest.mark.parametrize("name", ENGINES)
def test_xor(benchmark, engines, name):
    X, Y = tg.datasets.xor()
    run(benchmark, engines[name], tg.Network([2, 2, 1], output_activation="sigmoid", seed=0), X, Y)


@pytest.mark.benchmark(group="gradient call: 8-32-32-1 sigmoid mse, 64 samples")
@pytest.mark.parametrize("name", ENGINES)
def test_8_32_32_1(benchmark, engines, name):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(64, 8)), rng.random((64, 1))
    run(benchmark, engines[name], tg.Network([8, 32, 32, 1], seed=0), X, Y)
