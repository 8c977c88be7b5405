"""Reverse engine vs the autograd oracle and PyTorch (float64), per call.

Run: pytest benchmarks/test_bench_core.py --benchmark-only
Each group (xor, mlp) reads as one table: the reverse engine, our forward pass alone,
autograd and PyTorch on the same network and data.
"""

import pytest
from bench_cases import torch_value_and_grad


@pytest.mark.parametrize("engine", ["reverse", "autograd"])
def test_gradient(benchmark, case, engine):
    if engine == "autograd":
        pytest.importorskip("autograd")
    name, net, X, Y = case
    benchmark.group = name
    cost, _ = benchmark(net.value_and_grad, X, Y, engine=engine)
    assert cost == pytest.approx(net.loss(X, Y))


def test_forward(benchmark, case):
    name, net, X, Y = case
    benchmark.group = name
    assert benchmark(net.predict, X).shape == Y.shape


def test_torch_float64(benchmark, case):
    name, net, X, Y = case
    run = torch_value_and_grad(net, X, Y)
    benchmark.group = name
    assert float(benchmark(run)) == pytest.approx(net.loss(X, Y))
