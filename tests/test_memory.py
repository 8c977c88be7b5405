"""No leaks: many value_and_grad calls must not grow the resident memory.

The issue's bound is 5 MB over 100,000 calls (benchmarks/test_bench_memory.py runs that).
Here each engine gets as many calls as fit a short time budget (timed on the warm-up, so a
slow engine such as finite differences or autograd gets fewer). Two measures:
- resident memory (what the issue bounds), with the bound scaled to the count and a floor
  above the allocator's noise; it sees C-level leaks, but only at large counts, since
  the allocator first reuses memory freed earlier;
- memory traced by tracemalloc (Python objects, NumPy arrays, PyMem buffers) over a
  separate, shorter loop (tracing costs time and memory of its own), which is exact: one
  leaked gradient array per call (about 600 bytes for this network) exceeds its bound
  several times over.
"""

import gc
import time
import tracemalloc

import numpy as np
import psutil
import pytest

import tensorgen as tg
from tensorgen.engines import ENGINES

WARMUP = 200  # first calls allocate the workspace, compile (symbolic), fill caches
BUDGET_SECONDS = 1.0
MIN_CALLS, MAX_CALLS = 500, 20_000
FULL_CALLS, FULL_BOUND = 100_000, 5 * 2**20
NOISE_FLOOR = 256 * 2**10
TRACED_CALLS, TRACED_BOUND = 250, 64 * 2**10


def warm_up(fn):
    """Run fn WARMUP times; return the calls that fit the time budget."""
    start = time.perf_counter()
    for _ in range(WARMUP):
        fn()
    per_call = (time.perf_counter() - start) / WARMUP
    return int(min(MAX_CALLS, max(MIN_CALLS, BUDGET_SECONDS / per_call)))


def rss_growth(fn, calls):
    """Resident memory growth in bytes over `calls` calls of fn."""
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    for _ in range(calls):
        fn()
    gc.collect()
    return process.memory_info().rss - before


def traced_growth(fn, calls):
    """Growth of the memory tracemalloc sees, in bytes, over `calls` calls of fn."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(calls):
            fn()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def check_growth(what, fn, report_line):
    calls = warm_up(fn)
    rss, traced = rss_growth(fn, calls), traced_growth(fn, TRACED_CALLS)
    report_line(f"memory {what}: {calls} calls grew RSS by {rss / 2**20:.3f} MB "
                f"(bound {bound(calls) / 2**20:.3f}); "
                f"{TRACED_CALLS} traced calls by {traced} bytes")
    assert rss < bound(calls)
    assert traced < TRACED_BOUND


def bound(calls):
    return max(NOISE_FLOOR, FULL_BOUND * calls / FULL_CALLS)


def small_problem():
    net = tg.Network([4, 8, 2], activation="tanh", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(16, 4)), rng.random((16, 2))


@pytest.mark.parametrize("engine", list(ENGINES))
def test_value_and_grad_does_not_leak(engine, report_line):
    net, X, Y = small_problem()

    def call():
        net.value_and_grad(X, Y, engine=engine)

    check_growth(f"{engine} value_and_grad", call, report_line)


def test_rejected_calls_do_not_leak(report_line):
    """The error paths (conversion, validation messages) free what they allocated."""
    net, X, Y = small_problem()
    bad = X.copy()
    bad[0, 0] = np.nan

    def rejected():
        with pytest.raises(ValueError, match="X"):
            net.value_and_grad(bad.T.copy().T, Y)

    check_growth("rejected value_and_grad", rejected, report_line)
