"""Thread safety: gradients computed concurrently equal the single-thread results bit for bit.

Four threads on four networks, and four threads sharing one network with separate inputs
(each thread gets its own scratch workspace; the parameters are only read). The batches are
large enough for the BLAS path of the kernels and small enough for the loop path.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import tensorgen as tg
from tensorgen.engines import ENGINES

N_THREADS = 4
ROUNDS = 5
CONFIGS = [
    {"layers": [16, 32, 8], "activation": "tanh", "loss": "mse"},
    {"layers": [16, 24, 4], "activation": "relu", "loss": "cross_entropy"},
    {"layers": [16, 8, 8, 3], "activation": "sigmoid", "loss": "bce"},
    {"layers": [16, 2], "activation": "leaky_relu", "output_activation": "identity"},
]


def batch(net, seed, n=64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.layers[0]))
    Y = rng.random((n, net.layers[-1]))
    if net.loss_name == "cross_entropy":
        Y /= Y.sum(axis=1, keepdims=True)
    return X, Y


def run_concurrently(jobs):
    """Run each job ROUNDS times in its own thread, all starting together; return the
    results of every round, per job."""
    barrier = threading.Barrier(len(jobs))

    def worker(job):
        barrier.wait()
        return [job() for _ in range(ROUNDS)]

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(worker, jobs))


def assert_same(results, expected):
    for rounds, (cost, grad) in zip(results, expected):
        for got_cost, got_grad in rounds:
            assert got_cost == cost
            np.testing.assert_array_equal(got_grad, grad)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_four_threads_on_four_networks(engine):
    nets = [tg.Network(seed=i, **c) for i, c in enumerate(CONFIGS)]
    data = [batch(net, i, n=64 if i % 2 else 5) for i, net in enumerate(nets)]
    expected = [net.value_and_grad(X, Y, engine=engine) for net, (X, Y) in zip(nets, data)]
    jobs = [lambda net=net, X=X, Y=Y: net.value_and_grad(X, Y, engine=engine)
            for net, (X, Y) in zip(nets, data)]
    assert_same(run_concurrently(jobs), expected)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_four_threads_share_one_network(engine):
    net = tg.Network(seed=0, **CONFIGS[0])
    data = [batch(net, seed, n) for seed, n in zip(range(N_THREADS), (64, 3, 128, 64))]
    params = net.params.copy()
    expected = [net.value_and_grad(X, Y, engine=engine) for X, Y in data]
    jobs = [lambda X=X, Y=Y: net.value_and_grad(X, Y, engine=engine) for X, Y in data]
    assert_same(run_concurrently(jobs), expected)
    np.testing.assert_array_equal(net.params, params)


def test_predict_and_loss_share_one_network():
    net = tg.Network(seed=1, **CONFIGS[2])
    data = [batch(net, seed, n) for seed, n in zip(range(N_THREADS), (200, 1, 64, 33))]
    expected = [(net.loss(X, Y), net.predict(X)) for X, Y in data]
    jobs = [lambda X=X, Y=Y: (net.loss(X, Y), net.predict(X)) for X, Y in data]
    assert_same(run_concurrently(jobs), expected)
