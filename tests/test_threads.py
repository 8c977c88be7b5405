"""Thread safety: gradients computed concurrently equal the single-thread results bit for bit.

Four threads on four networks, and four threads sharing one network with separate inputs
(each thread gets its own scratch workspace; the parameters are only read). The batches are
large enough for the BLAS path of the kernels and small enough for the loop path.
"""

import threading
import time
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


GIL_CALL_SECONDS = 0.4


def long_call(engine):
    """A (net, X, Y) whose value_and_grad takes about GIL_CALL_SECONDS, and that time."""
    net = tg.Network([8, 64, 64, 1], activation="tanh", seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(256, 8)), rng.random((256, 1))
    net.value_and_grad(X, Y, engine=engine)  # warm-up: workspace, compilation
    start = time.perf_counter()
    net.value_and_grad(X, Y, engine=engine)
    n = int(min(2**20, max(256, 256 * GIL_CALL_SECONDS / (time.perf_counter() - start))))
    X, Y = rng.normal(size=(n, 8)), rng.random((n, 1))
    start = time.perf_counter()
    net.value_and_grad(X, Y, engine=engine)
    return net, X, Y, time.perf_counter() - start


@pytest.mark.parametrize("engine", [
    pytest.param(name, id=f"{name}-skipped-python-tracer",
                 marks=pytest.mark.skip(reason="runs Python under the GIL, no kernel to check"))
    if name == "autograd" else name
    for name in ENGINES
])
def test_kernels_release_the_gil(engine):
    """While a thread is inside value_and_grad, the main thread keeps running Python: its
    longest pause is a fraction of the call (with the GIL held it would be the whole call)."""
    net, X, Y, seconds = long_call(engine)
    done = threading.Event()

    def worker():
        net.value_and_grad(X, Y, engine=engine)
        done.set()

    thread = threading.Thread(target=worker)
    longest, last = 0.0, time.perf_counter()
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    thread.join()
    assert longest < seconds / 2, f"main thread paused {longest:.3f} s of a {seconds:.3f} s call"


# ---- several cores for one big batch (tg.set_num_threads) ----

@pytest.fixture
def num_threads():
    """Restore the library-wide setting after a test changes it."""
    yield tg.set_num_threads
    tg.set_num_threads(None)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_elementwise_threads_do_not_change_the_result(num_threads, dtype, activation):
    """A block of 256 x 256 units is split over up to four threads; with BLAS on one thread
    the cost, gradient and output are bit for bit those of one thread."""
    rng = np.random.default_rng(0)
    net = tg.Network([64, 256, 256, 10], activation=activation, loss="mse", seed=0,
                     dtype=dtype)
    X, Y = rng.normal(size=(256, 64)), rng.random((256, 10))
    results = []
    for n in (1, 2, 4):
        num_threads(n)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            results.append((*net.value_and_grad(X, Y), net.predict(X)))
    for cost, grad, out in results[1:]:
        assert cost == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])
        np.testing.assert_array_equal(out, results[0][2])


def test_num_threads_setting_is_checked_and_reported(num_threads):
    assert tg.get_num_threads() is None
    num_threads(2)
    assert tg.get_num_threads() == 2
    for bad, error in ((0, ValueError), (257, ValueError), (2.0, TypeError), ("2", TypeError)):
        with pytest.raises(error, match="^n: "):
            num_threads(bad)
    assert tg.get_num_threads() == 2  # a refused setting leaves the last one
    num_threads(None)
    assert tg.get_num_threads() is None


def test_blas_follows_the_setting_and_comes_back(num_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def scipy_blas_threads():
        return {i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas" and "scipy.libs" in i["filepath"]}

    import scipy.linalg  # noqa: F401

    before = scipy_blas_threads()
    num_threads(1)
    assert scipy_blas_threads() == {1}
    num_threads(None)
    assert scipy_blas_threads() == before
