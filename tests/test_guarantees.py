"""The README's guarantees under the calls a reviewer broke them with: each test here failed
on the code before the foundation change (a crash, an abort, a hang or a silent wrong
number) and now gets a finite correct result or an error naming the argument."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import expected, seeded

import tensorgen as tg
from tensorgen._kernels import _arrays
from tensorgen.engines import ENGINES, Finite

X, Y = tg.datasets.xor()


# ---- options range-checked at construction ----

@pytest.mark.parametrize("n_threads", [0, -1, 257, 35_000, 10**9, 2**31, 2**64])
def test_finite_n_threads_has_a_documented_ceiling(n_threads):
    # 10**9 threads segfaulted in the sweep, 35,000 aborted the process in libgomp, 2**31
    # raised OverflowError at call time
    with pytest.raises(ValueError, match=r"^n_threads: .*\[1, 256\]"):
        Finite(n_threads=n_threads)


def test_finite_n_threads_at_the_ceiling_runs():
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    cost, grad = net.value_and_grad(X, Y, engine=Finite(n_threads=256))
    np.testing.assert_allclose(grad, net.value_and_grad(X, Y)[1], rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("eps, method", [(1e300, "central"), (2.0, "central"),
                                         (5e-324, "central"), (1e-17, "fourth_order"),
                                         (1e-300, "complex"), (2.0, "complex")])
def test_finite_eps_must_be_able_to_mean_something(eps, method):
    # eps=1e300 returned ~1e-301 for every component, eps=5e-324 exactly 0
    with pytest.raises(ValueError, match="^eps: "):
        Finite(eps=eps, method=method)


def test_finite_eps_at_the_range_ends_runs():
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    ref = net.value_and_grad(X, Y)[1]
    for engine in (Finite(eps=np.finfo(float).eps, step="absolute"), Finite(eps=1e-150,
                                                                            method="complex")):
        assert np.all(np.isfinite(net.value_and_grad(X, Y, engine=engine)[1]))
    np.testing.assert_allclose(net.value_and_grad(X, Y, engine=Finite(eps=1e-150,
                                                                      method="complex"))[1],
                               ref, rtol=1e-12)


# ---- masked arrays ----

def test_masked_entries_are_refused_not_read_raw():
    # a NaN under the mask predicted 0 on a relu network
    net = tg.Network([2, 3, 1], activation="relu", seed=0)
    masked = np.ma.masked_invalid(np.array([[np.nan, 1.0], [1.0, 2.0]]))
    for call in (lambda: net.predict(masked), lambda: net.loss(masked, [[1.0], [0.0]]),
                 lambda: net.value_and_grad(masked, [[1.0], [0.0]]),
                 lambda: net.fit(masked, [[1.0], [0.0]], epochs=1)):
        with pytest.raises(ValueError, match="^X: a masked array with masked entries"):
            call()


def test_masked_targets_are_refused_not_read_raw():
    # a masked negative cross-entropy target gave a negative cost
    net = tg.Network([2, 3, 2], loss="cross_entropy", seed=0)
    Y = np.ma.masked_less(np.array([[-1.0, 1.0], [0.0, 1.0]]), 0)
    with pytest.raises(ValueError, match="^Y: a masked array with masked entries"):
        net.loss(np.ones((2, 2)), Y)


def test_masked_array_without_masked_entries_is_its_data():
    net = tg.Network([2, 3, 1], seed=0)
    masked = np.ma.masked_array(X, mask=np.zeros(X.shape, bool))
    np.testing.assert_array_equal(net.predict(masked), net.predict(X))


# ---- parameters written through the views ----

@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("where", ["ws", "bs", "params"])
def test_non_finite_parameters_are_refused_by_every_engine(engine, where):
    # relu(NaN) = 0: a NaN weight gave a finite output, cost and gradient
    net = tg.Network([2, 3, 1], activation="relu", seed=0)
    target = {"ws": net.ws[0], "bs": net.bs[1], "params": net.params}[where]
    target.flat[0] = np.nan if where != "bs" else np.inf
    with pytest.raises(ValueError, match="^params: contains NaN or infinity"):
        net.value_and_grad(X, Y, engine=engine)


@pytest.mark.parametrize("call", ["predict", "loss", "fit", "gradcheck", "save",
                                  "format_results"])
def test_non_finite_parameters_are_refused_by_every_call(call, tmp_path):
    net = tg.Network([2, 3, 1], activation="relu", seed=0)
    net.ws[1][0, 0] = np.nan
    calls = {"predict": lambda: net.predict(X), "loss": lambda: net.loss(X, Y),
             "fit": lambda: net.fit(X, Y, epochs=1), "gradcheck": lambda: tg.gradcheck(net, X, Y),
             "save": lambda: net.save(tmp_path / "m.npz"),
             "format_results": lambda: net.format_results(X, Y)}
    with pytest.raises(ValueError, match="^params: contains NaN or infinity"):
        calls[call]()
    assert not (tmp_path / "m.npz").exists()


def test_params_setter_refuses_non_finite_and_keeps_the_old_values():
    net = tg.Network([2, 3, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match="^params: contains NaN or infinity"):
        net.params = np.full(net.n_params, np.nan)
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
def test_the_finiteness_scan_finds_any_non_finite_value_anywhere(dtype):
    # csrc/tg_allfinite.h scans in blocks of 1024 without branches: every position of
    # the first, second and last (partial) block, and the numbers at the edges of finite
    from tensorgen._kernels._arrays import all_finite

    x = np.ones(2 * 1024 + 5, dtype)
    assert all_finite(x) and all_finite(x[:0]) and all_finite(x[:1])
    for v in (np.inf, -np.inf, np.nan, -np.nan):
        for pos in range(x.size):
            x[pos] = v
            assert not all_finite(x), (v, pos)
            x[pos] = 1
    info = np.finfo(dtype)
    edges = np.array([info.max, -info.max, info.smallest_subnormal, -0.0, 0.0], dtype)
    assert all_finite(edges)
    with np.errstate(over="ignore"):
        past_max = np.nextafter(info.max, dtype(np.inf))
    assert not all_finite(np.array([1, past_max], dtype))


# ---- validated attributes stay valid ----

@pytest.mark.parametrize("attribute, value", [
    ("activation", "relu"), ("output_activation", "identity"), ("layers", (2, 5, 1)),
    ("loss_name", "bce"), ("dtype", np.float32), ("architecture", None), ("init", "he"),
    ("seed", 3), ("ws", ()), ("bs", ()), ("n_params", 3)])
def test_network_description_is_read_only(attribute, value):
    # reassigning net.activation made the engines disagree
    net = tg.Network([2, 3, 1], seed=0)
    before = net.value_and_grad(X, Y)
    with pytest.raises(AttributeError, match=attribute):
        setattr(net, attribute, value)
    after = net.value_and_grad(X, Y)
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    for name in ENGINES:  # every engine still differentiates the same function
        engine = seeded(name)
        np.testing.assert_allclose(net.value_and_grad(X, Y, engine=engine)[1],
                                   expected(engine, before[1]), rtol=1e-6, atol=1e-12)


def test_architecture_is_immutable_and_hashable():
    arch = tg.Network([2, 3, 1], seed=0).architecture
    with pytest.raises(AttributeError):
        arch.loss = "bce"
    assert arch == tg.Network([2, 3, 1], seed=5).architecture
    assert hash(arch) == hash(tg.Network([2, 3, 1], seed=5).architecture)


@pytest.mark.parametrize("attribute, value", [("lr", -0.5), ("lr", 0.0), ("lr", np.nan),
                                              ("momentum", 1.0), ("weight_decay", -1.0)])
def test_optimizer_hyper_parameters_are_checked_on_assignment(attribute, value):
    # lr = -0.5 trained uphill silently
    opt = tg.optimizers.SGD(lr=0.5, momentum=0.5)
    with pytest.raises(ValueError, match=f"^{attribute}: "):
        setattr(opt, attribute, value)
    assert getattr(opt, attribute) == {"lr": 0.5, "momentum": 0.5, "weight_decay": 0.0}[
        attribute]


@pytest.mark.parametrize("attribute, value", [("beta1", 1.0), ("beta2", -0.1), ("eps", 0.0)])
def test_adam_hyper_parameters_are_checked_on_assignment(attribute, value):
    opt = tg.optimizers.Adam()
    with pytest.raises(ValueError, match=f"^{attribute}: "):
        setattr(opt, attribute, value)


def test_a_changed_learning_rate_is_what_fit_uses():
    X2, Y2 = tg.datasets.truth_table("and")
    a = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    b = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    opt = tg.optimizers.SGD(lr=5.0)
    opt.lr = 0.5
    a.fit(X2, Y2, optimizer=opt, epochs=20)
    b.fit(X2, Y2, optimizer="sgd", lr=0.5, epochs=20)
    np.testing.assert_array_equal(a.params, b.params)


@pytest.mark.parametrize("make, attribute, value", [
    (lambda: Finite(), "eps", 1e300), (lambda: Finite(), "n_threads", 10**9),
    (lambda: Finite(), "method", "nope"), (lambda: tg.engines.Symbolic(), "cse", "yes"),
    (lambda: tg.engines.Symbolic(), "max_work", -1)])
def test_engine_options_are_read_only(make, attribute, value):
    engine = make()
    with pytest.raises(AttributeError, match=f"^{attribute}: .* read-only"):
        setattr(engine, attribute, value)


# ---- the optimizer kernel's arrays ----

def misaligned(n):
    raw = bytearray(8 * n + 1)
    return np.frombuffer(raw, dtype=np.float64, offset=1, count=n)


@pytest.mark.parametrize("argument", ["params", "grad", "out"])
@pytest.mark.parametrize("make", [lambda: np.ones(3, ">f8"), lambda: misaligned(3),
                                  lambda: np.ones(6)[::2], lambda: np.ones(3, np.int64)],
                         ids=["big-endian", "misaligned", "strided", "int64"])
def test_optimizer_step_refuses_arrays_it_would_misread(argument, make):
    # SGD(lr=.5).step(np.ones(3, '>f8'), np.ones(3, '>f8')) returned 4.4e-157, not 0.5
    arrays = {"params": np.ones(3), "grad": np.ones(3), "out": np.empty(3)}
    arrays[argument] = make()
    with pytest.raises(ValueError, match=f"^{argument}: expected a .*native float64"):
        tg.optimizers.SGD(lr=0.5).step(**arrays)


def test_optimizer_step_on_good_arrays():
    params = np.ones(3)
    assert tg.optimizers.SGD(lr=0.5).step(params, np.ones(3))
    np.testing.assert_array_equal(params, 0.5)


@pytest.mark.parametrize("argument", ["grad", "out"])
def test_optimizer_step_takes_one_dtype_throughout(argument):
    arrays = {name: np.ones(3, np.float32) for name in ("params", "grad", "out")}
    assert tg.optimizers.Adam(lr=0.5).step(**arrays)  # float32 throughout
    arrays[argument] = np.ones(3)
    with pytest.raises(ValueError, match=f"^{argument}: expected a .*native float32"):
        tg.optimizers.SGD(lr=0.5).step(**arrays)


@pytest.mark.parametrize("make", [lambda: np.ones((2, 2), ">f8"),
                                  lambda: misaligned(4).reshape(2, 2),
                                  lambda: np.asfortranarray(np.ones((2, 3)))[:, :2]],
                         ids=["big-endian", "misaligned", "non-contiguous"])
def test_symbolic_kernel_refuses_arrays_it_would_misread(make):
    # the address is never called: the arrays are refused first (1 would crash)
    from tensorgen._kernels import _symbolic

    with pytest.raises(ValueError, match="^X: expected"):
        _symbolic.value_and_grad(1, 1, 2, 1, np.ones(1), make(), np.ones((2, 1)))


# ---- one description of the parameter layout ----

def test_every_consumer_reads_the_layout_from_the_architecture(monkeypatch):
    """The oracle, gradcheck's blocks and the network's views all follow the
    Architecture's blocks: the reverse engine and the oracle agree block by block."""
    net = tg.Network([3, 4, 2], activation="tanh", seed=1)
    arch = net.architecture
    assert [b.name for b in arch.blocks] == ["ws0", "bs0", "ws1", "bs1"]
    for W, block in zip(net.ws, arch.blocks[0::2]):
        assert np.shares_memory(W, net.params[block.slice]) and W.shape == block.shape
    report = tg.gradcheck(net, np.ones((2, 3)), np.zeros((2, 2)))
    assert [row[0] for row in report.rows[:-1]] == [b.name for b in arch.blocks]
    assert [row[1] for row in report.rows[:-1]] == [b.size for b in arch.blocks]


def test_import_tensorgen_loads_no_optional_or_heavy_module():
    code = ("import sys, tensorgen; print(sorted(m for m in ('sympy', 'autograd', "
            "'matplotlib', 'tensorgen.study', 'scipy', 'threadpoolctl', 'tqdm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    assert callable(tg.compare)  # the study is still there, imported on first use


def test_integers_beyond_the_float_range_are_out_of_range_not_overflow():
    # math.isfinite(10**400) raised OverflowError from every integer option check
    with pytest.raises(ValueError, match="^epochs: expected a value in"):
        tg.Network([2, 2, 1]).fit(X, Y, epochs=10**400)
    with pytest.raises(ValueError, match="^n_threads: "):
        Finite(n_threads=10**400)


def test_finite_sweep_scratch_is_checked_against_memory_first(monkeypatch):
    # the sweep's per-thread scratch was allocated without the check the workspace has
    net = tg.Network([1, 3, 1], seed=0)
    X = np.linspace(-1, 1, 50_000).reshape(-1, 1)
    monkeypatch.setattr(_arrays, "_MEMORY", 2**20)
    with pytest.raises(MemoryError, match="^X: the finite-difference sweep's scratch for "
                                          "50000 samples"):
        net.value_and_grad(X, X, engine="finite")
    monkeypatch.undo()
    cost, _ = net.value_and_grad(X, X, engine="finite")
    assert np.isfinite(cost)
