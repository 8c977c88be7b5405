"""No leaks: many value_and_grad calls must not grow the resident memory.

The issue's bound is 5 MB over 100,000 calls (benchmarks/test_bench_memory.py runs that);
here a reduced count per engine keeps the suite fast. A leak of one gradient array per call
(3.4 kB for this network) would grow the process by tens of MB and fail the test.
"""

import gc

import numpy as np
import psutil
import pytest

import tensorgen as tg
from tensorgen.engines import ENGINES

# Reduced counts; autograd (a Python tracer, ~1 ms a call) gets fewer to stay fast.
CALLS = {"autograd": 1_000}
DEFAULT_CALLS = 20_000
WARMUP = 200  # first calls allocate the workspace, compile (symbolic), fill caches
BOUND_MB = 2.0


def rss_growth(fn, calls):
    """Resident memory growth (bytes) over `calls` calls of fn, after a warm-up."""
    for _ in range(WARMUP):
        fn()
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    for _ in range(calls):
        fn()
    gc.collect()
    return process.memory_info().rss - before


def small_problem():
    net = tg.Network([8, 32, 8], activation="tanh", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(16, 8)), rng.random((16, 8))


@pytest.mark.parametrize(
    "engine, calls",
    [(name, CALLS.get(name, DEFAULT_CALLS)) for name in ENGINES],
    ids=[f"{name}-{CALLS.get(name, DEFAULT_CALLS)}calls" for name in ENGINES],
)
def test_value_and_grad_does_not_leak(engine, calls, report_line):
    net, X, Y = small_problem()
    growth = rss_growth(lambda: net.value_and_grad(X, Y, engine=engine), calls)
    report_line(f"memory {engine}: {calls} value_and_grad calls grew RSS by "
                f"{growth / 2**20:.3f} MB")
    assert growth < BOUND_MB * 2**20


def test_rejected_calls_do_not_leak(report_line):
    """The error paths (conversion, validation messages) free what they allocated."""
    net, X, Y = small_problem()
    bad = X.copy()
    bad[0, 0] = np.nan

    def rejected():
        with pytest.raises(ValueError, match="X"):
            net.value_and_grad(bad.T.copy().T, Y)

    growth = rss_growth(rejected, DEFAULT_CALLS)
    report_line(f"memory rejected calls: {DEFAULT_CALLS} grew RSS by {growth / 2**20:.3f} MB")
    assert growth < BOUND_MB * 2**20
