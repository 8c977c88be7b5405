"""The symbolic engine: exactness against the autograd oracle (compiled C in both modes and
the lambdify fallback), the on-disk cache, the work guard and option checking."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tensorgen as tg
from tensorgen import cli
from tensorgen._codegen import build, expressions
from tensorgen.engines import symbolic

# Every (output activation, loss) pair the library accepts; the hidden activation cycles.
PAIRS = [(out, "mse") for out in ("identity", "sigmoid", "tanh", "relu", "leaky_relu",
                                  "softmax")] + [("sigmoid", "bce"), ("softmax", "cross_entropy")]
HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
CASES = [(HIDDEN[i % len(HIDDEN)], out, loss, i) for i, (out, loss) in enumerate(PAIRS)]
IDS = [f"{h}-{o}-{loss}" for h, o, loss, _ in CASES]
NO_COMPILER = "tensorgen-no-such-compiler"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """A fresh cache directory and an empty in-process memo for every test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TENSORGEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(symbolic, "_MEMO", {})
    return cache


def random_case(hidden, out, loss, seed, n=5, tiny=False):
    """A small random architecture with data suited to its loss; ``tiny`` keeps it to
    one hidden layer and widths <= 2 (1 under softmax), for the naive mode whose
    expressions swell."""
    rng = np.random.default_rng(seed)
    top = 3 if tiny else 4
    n_out = int(rng.integers(2, top)) if out == "softmax" else int(rng.integers(1, 3))
    depth = 1 if tiny else rng.integers(1, 3)
    hidden_top = 2 if tiny and out == "softmax" else top
    widths = [int(rng.integers(1, top))] + [int(w) for w in rng.integers(1, hidden_top, depth)]
    net = tg.Network(widths + [n_out], activation=hidden, output_activation=out, loss=loss,
                     seed=seed)
    X = rng.normal(size=(n, widths[0]))
    if loss == "cross_entropy":
        Y = np.eye(n_out)[rng.integers(0, n_out, n)]
    elif loss == "bce":
        Y = rng.random((n, n_out))
    else:
        Y = rng.normal(size=(n, n_out))
    return net, X, Y


def assert_exact(net, X, Y, engine):
    check = tg.gradcheck(net, X, Y, engine=engine)
    assert check.max_rel_error <= 1e-12, str(check)
    assert check.cost_error <= 1e-12 * max(1.0, abs(net.loss(X, Y)))


# ---- exactness ----

@pytest.mark.parametrize("cse", [True, False], ids=["cse", "naive"])
@pytest.mark.parametrize(("hidden", "out", "loss", "seed"), CASES, ids=IDS)
def test_compiled_gradient_matches_oracle(hidden, out, loss, seed, cse):
    net, X, Y = random_case(hidden, out, loss, seed, tiny=not cse)
    engine = tg.engines.Symbolic(cse=cse)
    assert_exact(net, X, Y, engine)
    report = engine.report(net.architecture)
    assert report.backend == "c" and report.library_bytes > 0 and report.cse == cse


@pytest.mark.parametrize(("hidden", "out", "loss", "seed"), CASES, ids=IDS)
def test_lambdify_fallback_matches_oracle(hidden, out, loss, seed):
    cse = seed % 2 == 0
    net, X, Y = random_case(hidden, out, loss, seed, tiny=not cse)
    engine = tg.engines.Symbolic(cse=cse, compiler=NO_COMPILER)
    with pytest.warns(RuntimeWarning, match=f"{NO_COMPILER}.*not found.*lambdify"):
        assert_exact(net, X, Y, engine)
    assert engine.report(net.architecture).backend == "lambdify"


def test_failing_compile_falls_back_with_reason():
    net, X, Y = random_case("tanh", "sigmoid", "mse", 0)
    engine = tg.engines.Symbolic(compiler=["cc", "-fno-such-option-tensorgen"])
    with pytest.warns(RuntimeWarning, match="failed.*no-such-option"):
        assert_exact(net, X, Y, engine)
    assert engine.report(net.architecture).backend == "lambdify"


def test_extreme_preactivations_stay_finite():
    net = tg.Network([1, 2], activation="tanh", loss="cross_entropy", seed=0)
    X, Y = np.array([[1000.0], [-1000.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    net.params = [1.0, -1.0, 0.0, 0.0]
    cost, grad = net.value_and_grad(X, Y, engine=tg.engines.Symbolic())
    ref_cost, ref = net.value_and_grad(X, Y, engine="reverse")
    assert np.isfinite(cost) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, ref, rtol=1e-12, atol=0)
    assert cost == pytest.approx(ref_cost, rel=1e-12)


def test_cse_shrinks_the_expressions():
    arch = tg.Architecture((2, 3, 3, 1), ("sigmoid",) * 3, "mse")
    shared = expressions.count_ops(expressions.share(expressions.derive(arch, True)))
    naive = expressions.count_ops(expressions.derive(arch, False))
    assert shared * 5 < naive
    assert expressions.estimate_work(arch, True) * 10 < expressions.estimate_work(arch, False)


def test_engine_by_name_and_wrong_data():
    net = tg.Network([2, 3, 1], seed=1)
    X, Y = tg.datasets.xor()
    cost, grad = net.value_and_grad(X, Y, engine="symbolic")
    ref_cost, ref = net.value_and_grad(X, Y)
    np.testing.assert_allclose(grad, ref, rtol=1e-12, atol=1e-15)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    with pytest.raises(ValueError, match="X: expected"):
        tg.engines.Symbolic().value_and_grad(net.architecture, net.params, np.ones((4, 3)),
                                             Y)
    with pytest.raises(ValueError, match="Y: expected"):
        tg.engines.Symbolic().value_and_grad(net.architecture, net.params, X,
                                             np.ones((3, 1)))


# ---- cache ----

def forbid_sympy_work(monkeypatch):
    def refuse(*args):
        raise AssertionError("SymPy work on a cached architecture")

    monkeypatch.setattr(expressions, "derive", refuse)


def test_second_engine_and_network_do_no_sympy_work(monkeypatch):
    net, X, Y = random_case("sigmoid", "sigmoid", "mse", 3)
    first = tg.engines.Symbolic()
    expected = first.value_and_grad(net.architecture, net.params, X, Y)
    assert not first.report(net.architecture).from_cache
    forbid_sympy_work(monkeypatch)
    other_net = net.copy()
    # in-process memo
    assert_equal_results(first.value_and_grad(other_net.architecture, other_net.params, X, Y),
                         expected)
    monkeypatch.setattr(symbolic, "_MEMO", {})
    second = tg.engines.Symbolic()
    # disk cache
    assert_equal_results(second.value_and_grad(other_net.architecture, other_net.params, X, Y),
                         expected)
    report = second.report(other_net.architecture)
    assert report.from_cache and report.n_ops == first.report(net.architecture).n_ops


def assert_equal_results(result, expected):
    assert result[0] == expected[0]
    np.testing.assert_array_equal(result[1], expected[1])


def test_truncated_library_is_rebuilt(private_cache, tmp_path, monkeypatch):
    net, X, Y = random_case("tanh", "identity", "mse", 4)
    tg.engines.Symbolic().report(net.architecture)
    # Corrupt a copy never loaded in this process (a loaded library cannot be reloaded).
    copy = tmp_path / "copy"
    copy.mkdir(mode=0o700)
    [entry] = [p for p in private_cache.iterdir()]
    (copy / entry.name).mkdir(mode=0o700)
    for f in entry.iterdir():
        (copy / entry.name / f.name).write_bytes(f.read_bytes())
    library = copy / entry.name / build.LIBRARY
    size = library.stat().st_size
    with open(library, "r+b") as f:
        f.truncate(size // 2)
    monkeypatch.setattr(symbolic, "_MEMO", {})
    engine = tg.engines.Symbolic(cache_dir=copy)
    assert_exact(net, X, Y, engine)
    assert not engine.report(net.architecture).from_cache
    assert library.stat().st_size == size
    assert [p.name for p in copy.iterdir()] == [entry.name]  # no temporary left behind


RACER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorgen as tg
    net = tg.Network([2, 3, 2], activation="tanh", loss="cross_entropy", seed=5)
    X = np.linspace(-1, 1, 8).reshape(4, 2)
    Y = np.eye(2)[[0, 1, 1, 0]]
    cost, grad = net.value_and_grad(X, Y, engine=tg.engines.Symbolic())
    print(json.dumps([cost, grad.tolist()]))
""")


def test_processes_racing_to_build_both_get_correct_gradients(private_cache, tmp_path):
    # run outside the source tree, so the installed package is what runs
    racers = [subprocess.Popen([sys.executable, "-c", RACER], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
              for _ in range(2)]
    outputs = [r.communicate(timeout=300) for r in racers]
    net = tg.Network([2, 3, 2], activation="tanh", loss="cross_entropy", seed=5)
    X = np.linspace(-1, 1, 8).reshape(4, 2)
    Y = np.eye(2)[[0, 1, 1, 0]]
    ref_cost, ref = net.value_and_grad(X, Y, engine="autograd")
    for racer, (out, err) in zip(racers, outputs):
        assert racer.returncode == 0, err
        cost, grad = json.loads(out)
        assert cost == pytest.approx(ref_cost, rel=1e-12)
        # gradcheck's relative error: components below 1e-6 max|ref| compare to that floor
        np.testing.assert_allclose(grad, ref, rtol=1e-12, atol=1e-18 * np.abs(ref).max())
    [entry] = list(private_cache.iterdir())  # one published entry, no temporaries
    assert build.load(entry) is not None


def test_cache_directory_must_be_private(tmp_path):
    cache = tmp_path / "shared"
    cache.mkdir()
    cache.chmod(0o777)
    engine = tg.engines.Symbolic(cache_dir=cache)
    with pytest.raises(PermissionError, match="writable by group or others"):
        engine.report(tg.Network([2, 2, 1]).architecture)


# ---- guard and options ----

def test_guard_names_limit_and_estimate(monkeypatch):
    forbid_sympy_work(monkeypatch)
    with pytest.raises(ValueError, match=r"estimated 45 operations.*max_work=10"):
        tg.engines.Symbolic(max_work=10).report(tg.Network([2, 2, 1]).architecture)
    with pytest.raises(ValueError, match=r"cse=False.*max_work=500,000"):
        tg.engines.Symbolic(cse=False).report(tg.Network([8, 32, 32, 1]).architecture)


@pytest.mark.parametrize(("options", "error", "match"), [
    ({"cse": "yes"}, TypeError, "cse"),
    ({"max_work": 0}, ValueError, "max_work"),
    ({"max_work": "big"}, TypeError, "max_work"),
    ({"cache_dir": 3}, TypeError, "cache_dir"),
    ({"compiler": ""}, ValueError, "compiler"),
    ({"compiler": []}, TypeError, "compiler"),
    ({"compiler": ["cc", 2]}, TypeError, "compiler"),
], ids=["cse", "max_work-zero", "max_work-type", "cache_dir", "compiler-empty",
        "compiler-no-args", "compiler-args"])
def test_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        tg.engines.Symbolic(**options)


def test_scratch_bytes():
    net = tg.Network([2, 3, 1])
    engine = tg.engines.Symbolic()
    arch = net.architecture
    assert engine.scratch_bytes(arch, 1) == engine.scratch_bytes(arch, 1000) == 0
    with pytest.raises(ValueError, match="n_samples"):
        engine.scratch_bytes(net.architecture, 0)
    with pytest.raises(TypeError, match="n_samples"):
        engine.scratch_bytes(net.architecture, 2.5)


def test_cli_trains_xor_with_symbolic(capsys):
    assert cli.main(["xor", "--engine", "symbolic"]) == 0
    out = capsys.readouterr().out
    cost = float(out.split("cost:")[1].split()[0])
    assert cost <= 1e-3 and "stopped after" not in out
