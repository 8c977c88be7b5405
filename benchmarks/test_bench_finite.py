"""Finite differences on the issue's 64-32-32-10 sigmoid/mse net with 256 samples (3466
parameters): the cached sweep against the naive two-forward-passes sweep on one thread, one
thread against two, and the reverse engine on the same net, all in one table.

Run: PYTHONPATH=$PWD python -m pytest benchmarks/test_bench_finite.py --benchmark-only
BLAS is held to one thread (threadpoolctl) so that "one thread" holds for the naive sweep's
GEMMs too.
"""

import numpy as np
import pytest

import tensorgen as tg
from tensorgen.engines import Finite, Reverse

threadpoolctl = pytest.importorskip("threadpoolctl")

GROUP = "finite-64-32-32-10-n256"
# (engine, rounds): a few rounds for the sweeps (seconds each), many for backprop
CASES = {
    "reverse": (Reverse(), 200),
    "finite-cached-1thread": (Finite(n_threads=1), 7),
    "finite-cached-2threads": (Finite(n_threads=2), 7),
    "finite-naive-1thread": (Finite(n_threads=1, sweep="naive"), 4),
}


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    net = tg.Network([64, 32, 32, 10], activation="sigmoid", loss="mse", seed=0)
    X = rng.normal(size=(256, 64))
    Y = rng.random((256, 10))
    return net, X, Y


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("case", list(CASES))
def test_gradient(benchmark, problem, case):
    net, X, Y = problem
    engine, rounds = CASES[case]
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        _, grad = benchmark.pedantic(net.value_and_grad, args=(X, Y, engine), rounds=rounds,
                                     warmup_rounds=1)
    _, ref = net.value_and_grad(X, Y, engine="reverse")
    assert np.max(np.abs(grad - ref)) <= 1e-6 * np.max(np.abs(ref))
