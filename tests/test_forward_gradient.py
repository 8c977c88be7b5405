"""The forward gradient: exact given its directions, reproducible from its seed, its
statistical contract (mean -> the gradient, covariance (g g^T + |g|^2 I) / K) tested with
fixed seeds and bounds that the negative controls show can fail, and training by forward
passes alone, in the compiled loop and the Python loop alike."""

import numpy as np
import pytest
from helpers import LOSS_OUTPUT_IDS, LOSS_OUTPUTS, make_targets, n_outputs

import tensorgen as tg
from tensorgen._kernels import _arrays
from tensorgen.engines import Autograd, ForwardGradient

pytest.importorskip("autograd")


def problem(activation="tanh", loss="mse", output=None, layers=(3, 4, 2), n=6, seed=0):
    rng = np.random.default_rng(seed)
    layers = [*layers[:-1], n_outputs(output or activation, layers[-1])]
    net = tg.Network(layers, activation=activation, output_activation=output, loss=loss,
                     seed=seed)
    for b in net.bs:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X = rng.normal(size=(n, layers[0]))
    Y = make_targets(rng, loss, n, layers[-1])
    return net, X, Y


def estimate_from(grad, V):
    """(1/K) sum_k (grad . v_k) v_k for the directions V (K x P)."""
    return (V @ grad) @ V / len(V)


# ---- exact given its directions ----

@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS, ids=LOSS_OUTPUT_IDS)
@pytest.mark.parametrize("directions", [1, 3])
def test_estimate_is_exact_given_its_directions(loss, output, directions):
    net, X, Y = problem("sigmoid", loss, output, layers=(4, 5, 3, 3))
    engine = ForwardGradient(directions=directions, seed=11)
    ref_cost, ref = net.value_and_grad(X, Y, engine=Autograd())
    for call in range(3):
        V = engine.draw(net.n_params)
        cost, estimate = net.value_and_grad(X, Y, engine=engine)
        assert engine.calls == call + 1
        assert cost == pytest.approx(ref_cost, rel=1e-14)
        scale = np.abs(V @ ref).max() * np.abs(V).max()  # size of a term of the estimate
        np.testing.assert_allclose(estimate, estimate_from(ref, V), rtol=0,
                                   atol=1e-13 * scale)


def test_directions_stacked_in_chunks_give_the_same_estimate():
    """Batches large enough that the directions are pushed a few at a time (the tangent
    blocks are bounded): the estimate is the one the directions define."""
    rng = np.random.default_rng(0)
    net = tg.Network([4, 512, 1], activation="tanh", seed=0)
    X, Y = rng.normal(size=(1024, 4)), rng.random((1024, 1))
    engine = ForwardGradient(directions=5, seed=3)
    V = engine.draw(net.n_params)
    ref = net.value_and_grad(X, Y)[1]
    estimate = net.value_and_grad(X, Y, engine=engine)[1]
    np.testing.assert_allclose(estimate, estimate_from(ref, V), rtol=1e-10,
                               atol=1e-13 * np.abs(estimate).max())


def test_float32_networks():
    net, X, Y = problem("relu", "cross_entropy", "softmax", layers=(5, 6, 3))
    single = net.astype("float32")
    engine = ForwardGradient(directions=2, seed=1)
    V = engine.draw(net.n_params)
    _, estimate = single.value_and_grad(X, Y, engine=engine)
    assert estimate.dtype == np.float32
    want = estimate_from(net.value_and_grad(X, Y)[1], V)
    np.testing.assert_allclose(estimate, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())


# ---- the stream ----

def test_a_seed_repeats_its_sequence_of_estimates():
    net, X, Y = problem()
    a, b = ForwardGradient(2, seed=5), ForwardGradient(2, seed=5)
    first = [net.value_and_grad(X, Y, engine=a)[1] for _ in range(4)]
    second = [net.value_and_grad(X, Y, engine=b)[1] for _ in range(4)]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0], first[1])  # each call draws anew
    other = net.value_and_grad(X, Y, engine=ForwardGradient(2, seed=6))[1]
    assert not np.array_equal(first[0], other)
    assert a.calls == b.calls == 4


def test_draw_gives_any_estimate_without_advancing():
    engine = ForwardGradient(3, seed=9)
    assert engine.draw(10).shape == (3, 10)
    np.testing.assert_array_equal(engine.draw(10), engine.draw(10, call=0))
    assert engine.calls == 0
    # a smaller network's directions are a prefix of a larger one's
    np.testing.assert_array_equal(engine.draw(7, call=4), engine.draw(30, call=4)[:, :7])
    assert not np.array_equal(engine.draw(10, call=0), engine.draw(10, call=1))


def test_unseeded_engines_draw_different_streams():
    assert not np.array_equal(ForwardGradient().draw(8), ForwardGradient().draw(8))


def test_a_rejected_call_draws_nothing():
    net, X, Y = problem()
    engine = ForwardGradient(seed=0)
    with pytest.raises(ValueError, match="^X: "):
        net.value_and_grad(X[:, :2], Y, engine=engine)
    assert engine.calls == 0


def test_the_values_are_standard_gaussians():
    """Kolmogorov-Smirnov distance of 200,000 values from N(0, 1): about 0.002 (its 1%
    critical value is 1.63 / sqrt(n) = 0.0036); the moments to match."""
    from scipy import stats

    values = ForwardGradient(directions=4, seed=2).draw(50_000).ravel()
    assert stats.kstest(values, "norm").statistic < 1.63 / np.sqrt(values.size)
    assert abs(values.mean()) < 5 / np.sqrt(values.size)
    assert abs(values.var() - 1) < 5 * np.sqrt(2 / values.size)
    assert abs(stats.kurtosis(values)) < 5 * np.sqrt(24 / values.size)


# ---- the statistical contract ----

def draws(engine, net, X, Y, count):
    """`count` estimates from `engine` on checked data (count x n_params)."""
    X, Y = net.architecture.check_batch(X, Y)
    return np.array([engine.value_and_grad(net.architecture, net.params, X, Y)[1]
                     for _ in range(count)])


def mean_z(samples, g, directions):
    """Largest |z| of the sample mean against g, each component's standard error from the
    theory: Var(estimate_p) = (g_p^2 + |g|^2) / K."""
    se = np.sqrt((g**2 + g @ g) / directions / len(samples))
    return float(np.max(np.abs(samples.mean(axis=0) - g) / se))


def variance_z(samples, g, u, variance):
    """|z| of the sample variance of u . estimate against `variance`, its standard error
    estimated from the samples' fourth moment."""
    x = (samples - g) @ u
    sq = x**2
    return float(abs(sq.mean() - variance) / (sq.std() / np.sqrt(len(sq))))


N_DRAWS = 20_000
BOUND = 5.0  # |z| above 5: about 6e-7 per check for a normal statistic


@pytest.fixture(scope="module")
def contract():
    """20,000 estimates with one direction and 20,000 with four (fixed seeds), and the
    gradient they estimate."""
    net, X, Y = problem("tanh", "mse", layers=(3, 4, 2), n=6, seed=1)
    g = net.value_and_grad(X, Y, engine=Autograd())[1]
    ones = draws(ForwardGradient(1, seed=101), net, X, Y, N_DRAWS)
    fours = draws(ForwardGradient(4, seed=102), net, X, Y, N_DRAWS // 4)
    return g, ones, fours


def test_mean_is_the_gradient(contract, report_line):
    g, ones, fours = contract
    z1, z4 = mean_z(ones, g, 1), mean_z(fours, g, 4)
    report_line(f"forward gradient mean vs gradient: max |z| {z1:.2f} (K=1, {len(ones)} "
                f"draws), {z4:.2f} (K=4, {len(fours)} draws), bound {BOUND}")
    assert z1 <= BOUND and z4 <= BOUND
    # the check can fail: it rejects the mean of another gradient (10% away along a
    # random direction) and an estimate scaled by 1.1
    off = g + 0.1 * np.linalg.norm(g) * np.random.default_rng(0).standard_normal(g.size) \
        / np.sqrt(g.size)
    assert mean_z(ones, off, 1) > BOUND
    assert mean_z(1.1 * ones, g, 1) > BOUND


def test_covariance_is_g_gT_plus_norm_squared_identity_over_k(contract, report_line):
    """Along g/|g| the variance is 2|g|^2 / K, along any unit u orthogonal to g it is
    |g|^2 / K, and the total (P + 1)|g|^2 / K: each checked within BOUND standard errors
    for K = 1 and K = 4."""
    g, ones, fours = contract
    norm2 = g @ g
    rng = np.random.default_rng(3)
    along = g / np.sqrt(norm2)
    across = []
    for _ in range(3):
        w = rng.standard_normal(g.size)
        w -= (w @ along) * along
        across.append(w / np.linalg.norm(w))
    worst = 0.0
    for samples, K in ((ones, 1), (fours, 4)):
        zs = [variance_z(samples, g, along, 2 * norm2 / K)]
        zs += [variance_z(samples, g, w, norm2 / K) for w in across]
        total = ((samples - g) ** 2).sum(axis=1)
        zs.append(abs(total.mean() - (g.size + 1) * norm2 / K)
                  / (total.std() / np.sqrt(len(total))))
        worst = max(worst, *zs)
        assert max(zs) <= BOUND, (K, zs)
        # the check can fail: it rejects the variance of K + 1 directions (K = 1: half,
        # K = 4: 4/5 of the true one) and the isotropic |g|^2 I / K along g
        assert variance_z(samples, g, along, norm2 / K) > BOUND
        assert any(variance_z(samples, g, w, norm2 / (K + 1)) > BOUND for w in across)
    report_line(f"forward gradient covariance (g g^T + |g|^2 I) / K: max |z| {worst:.2f} "
                f"over the variances along g, across g and in total, K = 1 and 4, "
                f"bound {BOUND}")


# ---- training by forward passes alone ----

def test_trains_xor():
    """The paper's XOR from its initialisation, one direction per step. The noise decides
    the basin: of the stream seeds 0-5, four reached the cost 1e-3 in 3854-4210 epochs
    (reverse mode: 4691), seeds 0 and 2 stayed at XOR's plateau of cost 0.125."""
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    engine = ForwardGradient(seed=1)
    history = net.fit(X, Y, engine=engine, lr=1.0, epochs=100_000, tol=1e-3)
    assert history.stop_reason == "tol" and net.loss(X, Y) < 1e-3
    # every epoch drew one estimate, the last one's update skipped by tol
    assert engine.calls == history.steps + 1 == history.epochs


class PythonLoopForwardGradient(ForwardGradient):
    """The forward gradient without its compiled form: fit runs the Python loop."""

    def fit_kernel(self, architecture):
        return None


@pytest.mark.parametrize("options", [{"optimizer": "sgd", "lr": 0.5},
                                     {"optimizer": "adam", "lr": 0.01, "batch_size": 7,
                                      "seed": 2}],
                         ids=["sgd-full", "adam-mini"])
def test_compiled_loop_equals_python_loop_bit_for_bit(options):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    a = tg.Network([4, 6, 3], activation="tanh", loss="cross_entropy", seed=0)
    b = a.copy()
    ea, eb = ForwardGradient(3, seed=4), PythonLoopForwardGradient(3, seed=4)
    ha = a.fit(X, y, engine=ea, epochs=12, **options)
    hb = b.fit(X, y, engine=eb, epochs=12, **options)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(ha.cost, hb.cost)
    assert ea.calls == eb.calls == ha.steps == hb.steps
    # the fit advanced the engine's stream: the next estimate is number `steps`
    V = ea.draw(a.n_params)
    Xc, Yc = a.architecture.check_batch(X, y)
    np.testing.assert_allclose(a.value_and_grad(X, y, engine=ea)[1],
                               estimate_from(a.value_and_grad(Xc, Yc)[1], V), rtol=1e-9,
                               atol=1e-12)


# ---- checks ----

@pytest.mark.parametrize("kwargs, error, message", [
    ({"directions": 0}, ValueError, "^directions: "),
    ({"directions": 2**20 + 1}, ValueError, "^directions: "),
    ({"directions": 1.5}, TypeError, "^directions: "),
    ({"directions": True}, TypeError, "^directions: "),
    ({"seed": -1}, ValueError, "^seed: "),
    ({"seed": 2**64}, ValueError, "^seed: "),
    ({"seed": 1.0}, TypeError, "^seed: "),
    ({"seed": "1"}, TypeError, "^seed: "),
], ids=["dir-0", "dir-huge", "dir-float", "dir-bool", "seed-neg", "seed-2**64",
        "seed-float", "seed-str"])
def test_bad_options_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        ForwardGradient(**kwargs)


def test_options_are_read_only_and_draw_checks_its_arguments():
    engine = ForwardGradient(directions=2, seed=3)
    for name, value in (("directions", 4), ("seed", 4)):
        with pytest.raises(AttributeError, match=f"^{name}: "):
            setattr(engine, name, value)
    with pytest.raises(AttributeError):
        engine.calls = 5
    for kwargs, message in (({"n_params": 0}, "^n_params: "),
                            ({"n_params": 3, "call": -1}, "^call: "),
                            ({"n_params": 3, "call": 2.0}, "^call: ")):
        with pytest.raises((TypeError, ValueError), match=message):
            engine.draw(**kwargs)
    assert repr(engine) == "ForwardGradient(directions=2, seed=3)"
    assert ForwardGradient.exact is False and ForwardGradient.stochastic is True


def test_gradcheck_reports_the_estimates_error():
    net, X, Y = problem()
    report = tg.gradcheck(net, X, Y, engine="forward_gradient")
    assert report.engine == "forward_gradient" and report.cost_error < 1e-14
    assert np.isfinite(report.max_rel_error) and report.max_rel_error > 1e-3
    # a block whose gradient is exactly zero (a hidden layer saturated for every sample):
    # the estimate is not zero there, a huge relative error (inf when it overflows,
    # without a warning)
    net, X, Y = problem("sigmoid", output="sigmoid")
    net.params = np.concatenate([np.full(12, 1e3), np.zeros(net.n_params - 12)])
    engine = ForwardGradient(seed=0)
    V = engine.draw(net.n_params)
    g = net.value_and_grad(np.abs(X), Y, engine=Autograd())[1]
    assert not g[:12].any()
    with np.errstate(over="raise"):  # (the oracle underflows on its own)
        report = tg.gradcheck(net, np.abs(X), Y, engine=engine)
    rows = {part: (abs_err, rel_err) for part, _, abs_err, rel_err in report.rows}
    # its absolute error is the estimate there, (g . v) v over ws0
    assert rows["ws0"][0] == pytest.approx(np.abs((V @ g) * V[0, :12]).max(), rel=1e-12)
    assert rows["ws0"][0] > 0 and rows["ws0"][1] > 1e300


def test_scratch_is_bounded_and_checked_before_it_is_allocated(monkeypatch):
    net = tg.Network([8, 256, 1], seed=0)
    engine = ForwardGradient(directions=64, seed=0)
    # a million samples: the directions go one at a time, not 64 tangent blocks at once
    size = engine.scratch_bytes(net.architecture, 10**6)
    assert size < net.architecture.numpy_dtype.itemsize * 10**6 * (2 * 257 + 2 * 256) * 2
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4096, 8)), rng.random((4096, 1))
    monkeypatch.setattr(_arrays, "_MEMORY", engine.scratch_bytes(net.architecture, 4096) // 2)
    with pytest.raises(MemoryError, match="^X: "):
        net.value_and_grad(X, Y, engine=engine)
    assert engine.calls == 0
