"""Every engine by network size: time per gradient of [w, w, 1] sigmoid/mse networks with
32 samples, one benchmark group per size so that the engines (and the PyTorch peer, when
installed) read off one table. The slow engines stop where a call takes seconds: the naive
finite-difference sweep and the symbolic engine (whose build grows faster still) run on
the two smaller sizes only.

Run and compare with the saved baseline (one command, writes bench.json):

    PYTHONPATH=$PWD python -m pytest benchmarks/test_bench_engines.py --benchmark-only \\
        --benchmark-storage=benchmarks/baselines --benchmark-json=bench.json \\
        --benchmark-compare

Save a new baseline with ``--benchmark-save=engines`` in place of ``--benchmark-compare``.
The symbolic engine compiles into the usual cache (``$TENSORGEN_CACHE_DIR``), so only the
first run pays for its builds (they are not timed). BLAS and PyTorch run on one thread (a
multithreaded BLAS waiting for a busy core measures the machine, not the engine); the
finite-difference sweep keeps its OpenMP threads.
"""

import numpy as np
import pytest
from bench_cases import torch_value_and_grad

import tensorgen as tg
from tensorgen.engines import Autograd, Finite, Reverse, Symbolic

threadpoolctl = pytest.importorskip("threadpoolctl")

#: width -> engines run at that size
WIDTHS = {8: "all", 32: "all", 128: "fast"}
ENGINES = {
    "reverse": (Reverse, "fast"),
    "finite-cached": (Finite, "fast"),
    "finite-naive": (lambda: Finite(sweep="naive"), "all"),
    "symbolic": (Symbolic, "all"),
    "autograd": (Autograd, "fast"),
}
CASES = [(w, name) for w in WIDTHS for name, (_, needs) in ENGINES.items()
         if WIDTHS[w] == "all" or needs == "fast"]


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def problem(width):
    rng = np.random.default_rng(0)
    net = tg.Network([width, width, 1], activation="sigmoid", loss="mse", seed=0)
    return net, rng.normal(size=(32, width)), rng.random((32, 1))


def group(width):
    return f"engines-{width}-{width}-1 ({(width + 1) ** 2} params)"


@pytest.mark.parametrize("width, engine", CASES, ids=[f"w{w}-{e}" for w, e in CASES])
def test_engine(benchmark, width, engine):
    net, X, Y = problem(width)
    instance = ENGINES[engine][0]()
    net.value_and_grad(X, Y, engine=instance)  # builds the symbolic library, untimed
    benchmark.group = group(width)
    _, grad = benchmark(net.value_and_grad, X, Y, instance)
    _, ref = net.value_and_grad(X, Y, engine="autograd")
    assert np.max(np.abs(grad - ref)) <= 1e-6 * np.max(np.abs(ref))


@pytest.mark.parametrize("width", list(WIDTHS), ids=[f"w{w}-torch" for w in WIDTHS])
def test_torch_peer(benchmark, width):
    net, X, Y = problem(width)
    run = torch_value_and_grad(net, X, Y)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    benchmark.group = group(width)
    try:
        cost = benchmark(run)
    finally:
        torch.set_num_threads(threads)
    assert float(cost.detach()) == pytest.approx(net.loss(X, Y), rel=1e-12)
