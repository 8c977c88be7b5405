"""Speedup from threads: the kernels release the GIL, so two threads computing the gradients
of their own batch on 2 cores should take about half the time of one thread doing both.

Read the "threads" table: ``one-thread-two-batches[engine]`` against
``two-threads-one-batch-each[engine]``. BLAS and OpenMP are limited to one thread each, so
that the baseline uses one core. The batch is sized per engine so that one call takes about
TARGET_SECONDS (a finite-difference call costs hundreds of forward passes); the two tests of
an engine share it. ``extra_info["cpu_per_wall"]`` is the process's CPU time over wall time:
about 2 when both threads really run at once, at most 1 if something serialises them.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import tensorgen as tg
from tensorgen.engines import ENGINES

TARGET_SECONDS = 0.02
MIN_BATCH, MAX_BATCH = 64, 65536


@cache
def problem(engine):
    """(net, two batches) for engine, the batch sized from a timed call."""
    net = tg.Network([8, 32, 32, 1], activation="tanh", loss="mse", seed=0)
    rng = np.random.default_rng(0)

    def batch(n):
        return rng.normal(size=(n, 8)), rng.random((n, 1))

    X, Y = batch(MIN_BATCH)
    with threadpool_limits(1):
        net.value_and_grad(X, Y, engine=engine)  # warm-up: workspace, compilation
        start = time.perf_counter()
        net.value_and_grad(X, Y, engine=engine)
        per_sample = (time.perf_counter() - start) / MIN_BATCH
    n = int(np.clip(TARGET_SECONDS / per_sample, MIN_BATCH, MAX_BATCH))
    return net, (batch(n), batch(n))


def engine_param(name):
    # autograd traces in Python and holds the GIL: threads cannot speed it up.
    marks = [pytest.mark.skip(reason="pure Python, holds the GIL")] if name == "autograd" else []
    return pytest.param(name, marks=marks, id=name if not marks else f"{name}-skipped-gil")


ENGINE_PARAMS = [engine_param(name) for name in ENGINES]


def timed(benchmark, fn):
    """benchmark(fn), recording the CPU time per wall time of the whole run."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = benchmark(fn)
    benchmark.extra_info["cpu_per_wall"] = round(
        (time.process_time() - cpu) / (time.perf_counter() - wall), 2)
    return result


def named_problem(benchmark, engine, case):
    """problem(engine), with the benchmark named after the case and its batch size noted."""
    net, batches = problem(engine)
    benchmark.name = f"{case}[{engine}]"
    benchmark.extra_info["batch"] = len(batches[0][0])
    return net, batches


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_one_thread_two_batches(benchmark, engine):
    net, batches = named_problem(benchmark, engine, "one-thread-two-batches")
    with threadpool_limits(1):
        timed(benchmark, lambda: [net.value_and_grad(X, Y, engine=engine) for X, Y in batches])


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_two_threads_one_batch_each(benchmark, engine):
    net, batches = named_problem(benchmark, engine, "two-threads-one-batch-each")
    with threadpool_limits(1):  # BLAS's own thread count can change the last bits
        expected = [net.value_and_grad(X, Y, engine=engine) for X, Y in batches]

    def job(b):
        return net.value_and_grad(*b, engine=engine)

    with ThreadPoolExecutor(2) as pool, threadpool_limits(1):
        list(pool.map(job, batches))  # each pool thread makes its workspace before timing
        results = timed(benchmark, lambda: list(pool.map(job, batches)))
    for (cost, grad), (ref_cost, ref) in zip(results, expected):
        assert cost == ref_cost
        np.testing.assert_array_equal(grad, ref)
