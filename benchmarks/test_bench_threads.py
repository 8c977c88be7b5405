"""Speedup from threads: the kernels release the GIL, so two threads computing the gradients
of their own batch on 2 cores should take about half the time of one thread doing both.

Read the "threads" table: ``one-thread-two-batches`` against ``two-threads-one-batch-each``
for the same engine. BLAS is limited to one thread so that the baseline uses one core.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import tensorgen as tg
from tensorgen.engines import ENGINES

BATCH = 512


def problem():
    net = tg.Network([64, 256, 256, 10], activation="tanh", loss="cross_entropy", seed=0)
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(BATCH, 64)), rng.integers(0, 10, BATCH)) for _ in range(2)]
    return net, [(X, np.eye(10)[y]) for X, y in batches]


def engine_param(name):
    # autograd traces in Python and holds the GIL: threads cannot speed it up.
    marks = [pytest.mark.skip(reason="pure Python, holds the GIL")] if name == "autograd" else []
    return pytest.param(name, marks=marks, id=name if not marks else f"{name}-skipped-gil")


ENGINE_PARAMS = [engine_param(name) for name in ENGINES]


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_one_thread_two_batches(benchmark, engine):
    net, batches = problem()
    benchmark.name = f"one-thread-two-batches[{engine}]"

    def serial():
        return [net.value_and_grad(X, Y, engine=engine) for X, Y in batches]

    with threadpool_limits(1):
        net.value_and_grad(*batches[0], engine=engine)  # warm-up (workspace, compile)
        benchmark(serial)


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_two_threads_one_batch_each(benchmark, engine):
    net, batches = problem()
    benchmark.name = f"two-threads-one-batch-each[{engine}]"
    expected = [net.value_and_grad(X, Y, engine=engine) for X, Y in batches]
    with ThreadPoolExecutor(2) as pool, threadpool_limits(1):
        # each pool thread gets its workspace before timing starts
        list(pool.map(lambda b: net.value_and_grad(*b, engine=engine), batches))
        results = benchmark(lambda: list(pool.map(
            lambda b: net.value_and_grad(*b, engine=engine), batches)))
    for (cost, grad), (ref_cost, ref) in zip(results, expected):
        assert cost == ref_cost
        np.testing.assert_array_equal(grad, ref)
