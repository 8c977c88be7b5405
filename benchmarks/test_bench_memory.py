"""The issue's full leak check: 100,000 value_and_grad calls per engine grow the resident
memory by less than 5 MB (the test suite runs a reduced count, tests/test_memory.py).

The symbolic engine's one-off compilation happens in the warm-up and is not counted. The
growth is in each benchmark's ``extra_info`` (``--benchmark-json``) and asserted.
"""

import gc

import numpy as np
import psutil
import pytest

import tensorgen as tg
from tensorgen.engines import ENGINES

CALLS = 100_000
BOUND = 5 * 2**20


@pytest.mark.benchmark(group="memory-100k-calls")
@pytest.mark.parametrize("engine", list(ENGINES))
def test_100k_calls_grow_rss_by_less_than_5mb(benchmark, engine):
    net = tg.Network([4, 8, 2], activation="tanh", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(16, 4)), rng.random((16, 2))
    for _ in range(200):
        net.value_and_grad(X, Y, engine=engine)
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss

    def calls():
        for _ in range(CALLS):
            net.value_and_grad(X, Y, engine=engine)

    benchmark.pedantic(calls, rounds=1, iterations=1)
    gc.collect()
    growth = process.memory_info().rss - before
    benchmark.extra_info["rss_growth_bytes"] = growth
    benchmark.extra_info["calls"] = CALLS
    print(f"{engine}: {CALLS} calls grew RSS by {growth / 2**20:.3f} MB")
    assert growth < BOUND
