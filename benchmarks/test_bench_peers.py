"""TensorGen, JAX (jit) and PyTorch side by side: the cost and its gradient, float64 and
float32, on one core and on all cores, with TensorGen's own GEMMs alone as the floor.

Run each mode in its own process (JAX fixes its threads when it starts):

    TENSORGEN_BENCH_CORES=1   pytest benchmarks/test_bench_peers.py --benchmark-only
    TENSORGEN_BENCH_CORES=all pytest benchmarks/test_bench_peers.py --benchmark-only

``1`` pins the whole process (every library's threads) to one CPU, with TensorGen's and
PyTorch's threads and BLAS at one; ``all`` leaves every library its default threads.
Each group is one network x batch x dtype; its rows:

- ``tensorgen``: ``net.value_and_grad(X, Y)`` (the public call, checks included);
- ``gemms``: the same BLAS calls as that gradient, alone (``_testing.gemms_only_call``),
  through the same BLAS: what the gradient costs at least;
- ``jax``: ``jax.jit(jax.value_and_grad(cost))`` on the same parameters and data;
- ``torch``: ``loss.backward()`` on leaf tensors of the same parameters and data.

The terminal summary gives, per group, TensorGen against its GEMMs and against the faster
peer. The 784-256-10 x 1024 group also times TensorGen on one and two threads
(``tg.set_num_threads``), in the ``all`` mode. Peers missing are skipped with a reason.
"""

import numpy as np
import pytest
from cores import CORES

import tensorgen as tg
from tensorgen._kernels import _mlp, _testing

# name -> (layers, hidden activation, loss, batch)
CASES = {
    "2-2-1x4": ((2, 2, 1), "sigmoid", "mse", 4),
    "32-32-32-1x32": ((32, 32, 32, 1), "sigmoid", "mse", 32),
    "64-128-128-10x256": ((64, 128, 128, 10), "sigmoid", "mse", 256),
    "784-256-10x128": ((784, 256, 10), "relu", "cross_entropy", 128),
    "784-256-10x1024": ((784, 256, 10), "relu", "cross_entropy", 1024),
}
DTYPES = ("float64", "float32")
GROUPS = [(case, dtype) for case in CASES for dtype in DTYPES]


def problem(case, dtype):
    """(network, X, Y) of a case: a seeded network and data, Y one-hot or in [0, 1)."""
    layers, activation, loss, n = CASES[case]
    rng = np.random.default_rng(0)
    output = "sigmoid" if loss == "mse" else "softmax"
    net = tg.Network(list(layers), activation=activation, output_activation=output, loss=loss,
                     seed=0, dtype=dtype)
    X = rng.normal(size=(n, layers[0])).astype(dtype)
    if loss == "cross_entropy":
        Y = np.eye(layers[-1], dtype=dtype)[rng.integers(0, layers[-1], n)]
    else:
        Y = rng.random((n, layers[-1])).astype(dtype)
    return net, X, Y


def group_id(case, dtype):
    return f"{case} {dtype}"


@pytest.mark.parametrize("case, dtype", GROUPS, ids=[group_id(*g) for g in GROUPS])
def test_tensorgen(benchmark, case, dtype):
    net, X, Y = problem(case, dtype)
    benchmark.group = group_id(case, dtype)
    cost, grad = benchmark(net.value_and_grad, X, Y)
    assert grad.dtype == np.dtype(dtype) and np.isfinite(cost)


@pytest.mark.parametrize("case, dtype", GROUPS, ids=[group_id(*g) for g in GROUPS])
def test_gemms(benchmark, case, dtype):
    net, X, Y = problem(case, dtype)
    plan = _mlp.plan_for(net.architecture)
    if not _mlp.uses_blas(plan, X.shape[0]):
        pytest.skip("no layer of this network is large enough for BLAS")
    grad = np.empty(net.n_params, dtype)
    benchmark.group = group_id(case, dtype)
    benchmark(_testing.gemms_only_call, plan, net.params, X, grad)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tensorgen_threads(benchmark, dtype, threads):
    if CORES == "1":
        pytest.skip("one core: the thread comparison runs with TENSORGEN_BENCH_CORES=all")
    net, X, Y = problem("784-256-10x1024", dtype)
    benchmark.group = group_id("784-256-10x1024", dtype) + " threads"
    tg.set_num_threads(threads)
    try:
        benchmark(net.value_and_grad, X, Y)
    finally:
        tg.set_num_threads(None)


# ---- the peers ----

def layers_of(net):
    """The network's (W, b) pairs as float arrays of its dtype (copies)."""
    return [(W.copy(), b.copy()) for W, b in zip(net.ws, net.bs)]


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install 'jax[cpu]')")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed "
                                                "(pip install torch==2.13.0)")
    if CORES == "1":
        torch.set_num_threads(1)
    return torch


@pytest.mark.parametrize("case, dtype", GROUPS, ids=[group_id(*g) for g in GROUPS])
def test_jax(benchmark, jax, case, dtype):
    jnp = jax.numpy
    net, X, Y = problem(case, dtype)
    act = {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}[net.activation]

    def cost(params, X, Y):
        a = X
        for l, (W, b) in enumerate(params):
            z = a @ W + b
            a = act(z) if l < len(params) - 1 else z
        if net.loss_name == "cross_entropy":
            return -jnp.sum(Y * jax.nn.log_softmax(a, axis=1)) / X.shape[0]
        return jnp.sum((jax.nn.sigmoid(a) - Y) ** 2) / X.shape[0]

    step = jax.jit(jax.value_and_grad(cost))
    params = [tuple(jnp.asarray(p) for p in wb) for wb in layers_of(net)]
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    def run():
        value, grad = step(params, Xj, Yj)
        return jax.block_until_ready((value, grad))

    value, _ = run()
    assert float(value) == pytest.approx(net.loss(X, Y), rel=1e-5 if dtype == "float32" else 1e-10)
    benchmark.group = group_id(case, dtype)
    benchmark(run)


@pytest.mark.parametrize("case, dtype", GROUPS, ids=[group_id(*g) for g in GROUPS])
def test_torch(benchmark, torch, case, dtype):
    net, X, Y = problem(case, dtype)
    act = {"sigmoid": torch.sigmoid, "relu": torch.relu}[net.activation]
    params = [torch.tensor(p, requires_grad=True) for wb in layers_of(net) for p in wb]
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def run():
        for p in params:
            p.grad = None
        a = Xt
        for i in range(0, len(params), 2):
            z = a @ params[i] + params[i + 1]
            a = act(z) if i < len(params) - 2 else z
        if net.loss_name == "cross_entropy":
            loss = -(Yt * torch.log_softmax(a, dim=1)).sum() / Xt.shape[0]
        else:
            loss = ((torch.sigmoid(a) - Yt) ** 2).sum() / Xt.shape[0]
        loss.backward()
        return loss.item()

    assert run() == pytest.approx(net.loss(X, Y), rel=1e-5 if dtype == "float32" else 1e-10)
    benchmark.group = group_id(case, dtype)
    benchmark(run)
