"""The symbolic engine: exactness against the autograd oracle (compiled C in both modes and
the lambdify fallback), the on-disk cache, the work guard and option checking."""

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import tensorgen as tg
from tensorgen import cli
from tensorgen._codegen import build, emit, expressions
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


def fake_compiler(tmp_path, body, name="fake-cc"):
    """An executable that answers --version (and the -march=native probe) like a compiler
    and runs the Python ``body`` on any other command line (sys.argv)."""
    script = tmp_path / name
    script.write_text(f"#!{sys.executable}\nimport os, signal, subprocess, sys, time\n"
                      f"if '--version' in sys.argv or '-E' in sys.argv:\n    sys.exit(0)\n"
                      + textwrap.dedent(body))
    script.chmod(0o755)
    return str(script)


def assert_falls_back(engine, net, X, Y, match, cache):
    with pytest.warns(RuntimeWarning, match=f"(?s){match}.*lambdify"):
        assert_exact(net, X, Y, engine)
    assert engine.report(net.architecture).backend == "lambdify"
    assert not cache.exists() or not list(cache.iterdir())  # nothing published, no temporary


def test_compiler_that_writes_no_library_falls_back(tmp_path, private_cache):
    net, X, Y = random_case("tanh", "sigmoid", "mse", 0)
    engine = tg.engines.Symbolic(compiler=[fake_compiler(tmp_path, "sys.exit(0)")])
    assert_falls_back(engine, net, X, Y, "wrote no lib.so", private_cache)


def test_library_without_entry_point_is_not_published(private_cache, monkeypatch):
    net, X, Y = random_case("tanh", "sigmoid", "mse", 0)
    for _ in range(2):  # a second engine, in a process with nothing in memory, too
        monkeypatch.setattr(symbolic, "_MEMO", {})
        engine = tg.engines.Symbolic(compiler=["cc", "-Dtg_batch=x"])
        assert_falls_back(engine, net, X, Y, "does not export tg_batch", private_cache)


@pytest.mark.parametrize(("hidden", "out", "loss", "seed", "cse"),
                         [(*CASES[7], True), (*CASES[1], False)],
                         ids=[f"{IDS[7]}-cse", f"{IDS[1]}-naive"])
def test_code_split_in_many_parts_matches_oracle(hidden, out, loss, seed, cse, private_cache,
                                                 monkeypatch):
    monkeypatch.setattr(emit, "PART_CHARS", 200)  # a part per statement or two
    net, X, Y = random_case(hidden, out, loss, seed, tiny=not cse)
    assert_exact(net, X, Y, tg.engines.Symbolic(cse=cse))
    [entry] = list(private_cache.iterdir())
    assert len(list(entry.glob("tg_part_*.c"))) > 2


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
        tg.engines.Symbolic().value_and_grad(net.architecture, net.params, np.ones((4, 3)), Y)
    with pytest.raises(ValueError, match="Y: expected"):
        tg.engines.Symbolic().value_and_grad(net.architecture, net.params, X, np.ones((3, 1)))


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


def copy_cache(cache, dest):
    """A copy of the cache's only entry in a new cache ``dest``: (entry, copy of it). Its
    library was never loaded in this process, where a loaded library cannot be reloaded."""
    [entry] = list(cache.iterdir())
    (dest / entry.name).mkdir(mode=0o700, parents=True)
    dest.chmod(0o700)
    for f in entry.iterdir():
        (dest / entry.name / f.name).write_bytes(f.read_bytes())
    return entry, dest / entry.name


def test_truncated_library_is_rebuilt(private_cache, tmp_path, monkeypatch):
    net, X, Y = random_case("tanh", "identity", "mse", 4)
    tg.engines.Symbolic().report(net.architecture)
    entry, copy = copy_cache(private_cache, tmp_path / "copy")
    library = copy / build.LIBRARY
    size = library.stat().st_size
    with open(library, "r+b") as f:
        f.truncate(size // 2)
    monkeypatch.setattr(symbolic, "_MEMO", {})
    engine = tg.engines.Symbolic(cache_dir=copy.parent)
    assert_exact(net, X, Y, engine)
    assert not engine.report(net.architecture).from_cache
    assert library.stat().st_size == size
    assert [p.name for p in copy.parent.iterdir()] == [entry.name]  # no temporary left behind


def edit_meta(entry, change):
    meta = json.loads((entry / build.META).read_text())
    (entry / build.META).write_text(json.dumps(change(meta)))


def replace_library(entry, c_text):
    """Compile ``c_text`` as the entry's library and record its digest, so only what the
    library exports is wrong."""
    (entry / "other.c").write_text(c_text)
    subprocess.run(["cc", "-shared", "-fPIC", "other.c", "-o", build.LIBRARY], cwd=entry,
                   check=True)
    edit_meta(entry, lambda m: {**m, "sha256": build._digest(entry / build.LIBRARY)})


def replace_with_file(entry):
    for f in entry.iterdir():
        f.unlink()
    entry.rmdir()
    entry.write_text("not an entry")


DAMAGES = {
    "meta-without-n_ops": lambda e: edit_meta(e, lambda m: {k: v for k, v in m.items()
                                                             if k != "n_ops"}),
    "meta-n_ops-not-int": lambda e: edit_meta(e, lambda m: {**m, "n_ops": "many"}),
    "meta-not-an-object": lambda e: (e / build.META).write_text("[1, 2]"),
    "meta-not-json": lambda e: (e / build.META).write_text("{"),
    "meta-missing": lambda e: (e / build.META).unlink(),
    "library-missing": lambda e: (e / build.LIBRARY).unlink(),
    "library-without-tg_batch": lambda e: replace_library(e, "double x(void) { return 0; }"),
    "entry-is-a-file": replace_with_file,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(net, X, Y) and a cache holding its library, built once for the damage tests."""
    net, X, Y = random_case("sigmoid", "identity", "mse", 6)
    cache = tmp_path_factory.mktemp("built")
    cache.chmod(0o700)
    tg.engines.Symbolic(cache_dir=cache).report(net.architecture)
    return net, X, Y, cache


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_damaged_entry_is_rebuilt(damage, built, tmp_path, monkeypatch):
    net, X, Y, cache = built
    entry, copy = copy_cache(cache, tmp_path / "damaged")
    damage(copy)
    monkeypatch.setattr(symbolic, "_MEMO", {})
    engine = tg.engines.Symbolic(cache_dir=copy.parent)
    assert_exact(net, X, Y, engine)
    report = engine.report(net.architecture)
    assert report.backend == "c" and not report.from_cache and isinstance(report.n_ops, int)
    assert [p.name for p in copy.parent.iterdir()] == [entry.name]  # no temporary left
    # the rebuilt entry is published and checks out (a copy: this one is loaded here)
    _, again = copy_cache(copy.parent, tmp_path / "again")
    assert build.load(again, symbolic.REPORTED) is not None


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
    assert build.load(entry, symbolic.REPORTED) is not None


def a_file(tmp_path):
    (tmp_path / "file").write_text("")
    return tmp_path / "file"


def a_dir(tmp_path, mode, owner=None):
    path = tmp_path / "dir"
    path.mkdir()
    path.chmod(mode)
    if owner is not None:
        os.chown(path, owner, -1)
    return path


ROOT = hasattr(os, "getuid") and os.getuid() == 0
BAD_CACHE_DIRS = {  # name: (path from tmp_path, what the message says, skip reason or None)
    "file": (a_file, "exists and is not a directory", None),
    "under-a-file": (lambda t: a_file(t) / "sub", "cannot be created", None),
    "dangling-link": (lambda t: (t / "link").symlink_to(t / "none") or t / "link",
                      "exists and is not a directory", None),
    "nul-byte": (lambda t: f"{t}/a\0b", "cannot be created", None),
    "group-writable": (lambda t: a_dir(t, 0o770), "is writable by group or others", None),
    "other-owner": (lambda t: a_dir(t, 0o700, owner=12345), "belongs to another user",
                    None if ROOT else "needs root to chown"),
    "read-only": (lambda t: a_dir(t, 0o500), "not readable, writable",
                  "root may write anywhere" if ROOT else None),
}


@pytest.mark.parametrize("env", [False, True], ids=["argument", "environment"])
@pytest.mark.parametrize(("make", "why", "skip"), BAD_CACHE_DIRS.values(),
                         ids=BAD_CACHE_DIRS.keys())
def test_unusable_cache_dir_is_a_value_error(make, why, skip, env, tmp_path, monkeypatch):
    if skip:
        pytest.skip(skip)
    path = str(make(tmp_path))
    if env and "\0" in path:
        pytest.skip("an environment variable cannot hold a NUL byte")
    name = "TENSORGEN_CACHE_DIR" if env else "cache_dir"
    if env:
        monkeypatch.setenv(name, path)
    with pytest.raises(ValueError, match=f"^{name}: {re.escape(repr(path))} {why}"):
        tg.engines.Symbolic(cache_dir=None if env else path).report(
            tg.Network([2, 2, 1]).architecture)


def test_empty_cache_dir_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="cache_dir: expected a directory, got an empty"):
        tg.engines.Symbolic(cache_dir="")
    with pytest.raises(ValueError, match="cache_dir: expected a directory, got an empty"):
        build.cache_dir("")
    assert not list(tmp_path.iterdir())


# ---- the compiler's process: timeout, interrupt, death of this process, memory ----

LINUX = sys.platform.startswith("linux")


def running(pid):
    """Whether process ``pid`` runs (a zombie does not), from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_until(condition, seconds=20):
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def hanging_compiler(tmp_path, before_hanging=""):
    """A fake compiler that starts a sub-process of its own (as gcc starts cc1), writes both
    pids to tmp_path / "pids", runs ``before_hanging`` and sleeps for a minute."""
    return fake_compiler(tmp_path, f"""
        child = subprocess.Popen(["sleep", "60"])
        with open({str(tmp_path / "pids")!r}, "w") as f:
            f.write(f"{{os.getpid()}} {{child.pid}}")
        {before_hanging}
        time.sleep(60)
    """)


def compiler_pids(tmp_path):
    return [int(p) for p in (tmp_path / "pids").read_text().split()]


def test_timeout_follows_the_size_of_the_code(private_cache, monkeypatch):
    assert build.timeout_for(0) == build.TIMEOUT_FLOOR
    assert build.TIMEOUT_FLOOR < build.timeout_for(10**6) < build.TIMEOUT_CEILING
    assert build.timeout_for(10**12) == build.TIMEOUT_CEILING
    sizes = []
    timeout_for = build.timeout_for
    monkeypatch.setattr(build, "timeout_for", lambda chars: sizes.append(chars) or
                        timeout_for(chars))
    tg.engines.Symbolic().report(tg.Network([2, 3, 1]).architecture)
    [entry] = list(private_cache.iterdir())
    assert sizes == [sum(len(f.read_text()) for f in entry.glob("tg_*.c")
                         if f.name != "tg_driver.c")]


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_hanging_compiler_is_killed_with_its_children(tmp_path, private_cache, monkeypatch):
    monkeypatch.setattr(build, "timeout_for", lambda chars: 1.0)
    net, X, Y = random_case("tanh", "sigmoid", "mse", 0)
    engine = tg.engines.Symbolic(compiler=[hanging_compiler(tmp_path)])
    start = time.monotonic()
    assert_falls_back(engine, net, X, Y, "did not finish within 1 s and was killed",
                      private_cache)
    assert time.monotonic() - start < 30  # not the minute the compiler sleeps
    assert wait_until(lambda: not any(map(running, compiler_pids(tmp_path))))


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_interrupted_build_kills_the_compiler(tmp_path, private_cache, monkeypatch):
    monkeypatch.setenv("TG_TEST_PID", str(os.getpid()))
    cc = hanging_compiler(tmp_path, 'os.kill(int(os.environ["TG_TEST_PID"]), signal.SIGINT)')
    with pytest.raises(KeyboardInterrupt):
        tg.engines.Symbolic(compiler=[cc]).report(tg.Network([2, 2, 1]).architecture)
    assert wait_until(lambda: not any(map(running, compiler_pids(tmp_path))))
    assert not list(private_cache.iterdir())  # the temporary directory is removed


DYING = textwrap.dedent("""
    import sys
    import tensorgen as tg
    tg.engines.Symbolic(compiler=[sys.argv[1]]).report(tg.Network([2, 2, 1]).architecture)
""")


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG and /proc")
def test_compiler_dies_with_python_and_its_folder_is_removed(tmp_path, private_cache):
    cc = hanging_compiler(tmp_path)
    user = subprocess.Popen([sys.executable, "-c", DYING, cc], cwd=tmp_path)
    try:
        assert wait_until(lambda: (tmp_path / "pids").exists() and compiler_pids(tmp_path),
                          60)
    finally:
        user.kill()
        user.wait()
    assert wait_until(lambda: not any(map(running, compiler_pids(tmp_path))))
    [tmp] = list(private_cache.iterdir())
    assert tmp.name.startswith(f"tmp-{user.pid}-")
    build.cache_dir(private_cache)  # the next use of the cache removes the dead build's folder
    assert not list(private_cache.iterdir())


def test_stale_temporary_directories_are_removed(private_cache):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    old = time.time() - build.TIMEOUT_CEILING - build.PROBE_TIMEOUT - 60
    names = {f"tmp-{dead}-a": False, f"tmp-{os.getpid()}-b": True,  # a live build is kept
             f"tmp-{os.getpid()}-c": False, "tmp-d": True, "tmp-e": False}
    for name in names:
        (private_cache / name / "sub").mkdir(parents=True)
        if name[-1] in "ce":
            os.utime(private_cache / name, (old, old))
    build.cache_dir(private_cache)
    assert sorted(p.name for p in private_cache.iterdir()) == [n for n, kept in names.items()
                                                               if kept]


def test_compiler_memory_is_capped(tmp_path, private_cache, monkeypatch):
    monkeypatch.setattr(build, "COMPILER_MEMORY", 256 << 20)
    net, X, Y = random_case("tanh", "sigmoid", "mse", 0)
    engine = tg.engines.Symbolic(compiler=[fake_compiler(tmp_path, "bytearray(512 << 20)")])
    assert_falls_back(engine, net, X, Y, "out of memory: its address space is capped at "
                      "256 MiB", private_cache)


CAPPED = """
    import resource
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
    os.execvp("cc", ["cc", *sys.argv[1:]])
"""


def test_deep_network_compiles_in_bounded_memory(tmp_path):
    # One function of the 400 layers' code takes gcc 12 over 150 MB of address space; a
    # part takes it to 60 MB.
    cc = fake_compiler(tmp_path, CAPPED.format(cap=100 << 20), name="capped-cc")
    net = tg.Network([1] * 402, activation="tanh", seed=0)
    X, Y = np.linspace(-1, 1, 6).reshape(3, 2)[:, :1], np.ones((3, 1))
    engine = tg.engines.Symbolic(compiler=[cc])
    assert engine.report(net.architecture).backend == "c"
    assert_exact(net, X, Y, engine)


# ---- threads ----

@pytest.mark.filterwarnings("ignore:symbolic engine")
def test_other_architectures_build_while_one_compiles(tmp_path):
    cc = fake_compiler(tmp_path, f"""
        open({str(tmp_path / "started")!r}, "w").close()
        deadline = time.monotonic() + 20
        while not os.path.exists({str(tmp_path / "go")!r}) and time.monotonic() < deadline:
            time.sleep(0.01)
        sys.exit(1)
    """)
    slow = threading.Thread(target=tg.engines.Symbolic(compiler=[cc]).report,
                            args=(tg.Network([2, 2, 1]).architecture,))
    slow.start()
    try:
        assert wait_until(lambda: (tmp_path / "started").exists())
        assert tg.engines.Symbolic().report(tg.Network([2, 3, 1]).architecture).backend == "c"
        assert slow.is_alive()  # built while the other compile still runs
    finally:
        (tmp_path / "go").touch()
        slow.join()


def test_threads_asking_for_one_architecture_share_one_build(monkeypatch):
    derived = []
    derive = expressions.derive
    monkeypatch.setattr(expressions, "derive", lambda *args: derived.append(args) or
                        derive(*args))
    engine, net = tg.engines.Symbolic(), tg.Network([2, 3, 1])
    threads = [threading.Thread(target=engine.report, args=(net.architecture,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(derived) == 1
    assert engine.report(net.architecture).backend == "c"


# ---- guard and options ----

def test_guard_names_limit_estimate_and_prediction(monkeypatch):
    forbid_sympy_work(monkeypatch)
    with pytest.raises(ValueError, match=r"estimated 46 operations of work \(predicted: 0 s "
                                         r"to derive and compile.*max_work=10"):
        tg.engines.Symbolic(max_work=10).report(tg.Network([2, 2, 1]).architecture)
    with pytest.raises(ValueError, match=r"cse=False.*predicted: [\d,]+ s.*max_work=500,000"):
        tg.engines.Symbolic(cse=False).report(tg.Network([8, 32, 32, 1]).architecture)


def test_deep_narrow_network_beyond_max_work_is_refused_before_any_sympy_work(monkeypatch):
    # The old estimate, five operations per parameter (400,010 here), let this network
    # through to hours of compiling; the work estimate also counts each unit's own steps.
    forbid_sympy_work(monkeypatch)
    net = tg.Network([1] * 40002, activation="tanh")
    with pytest.raises(ValueError, match=r"estimated 520,011 operations of work "
                                         r"\(predicted: [\d,]+ s.*above max_work=500,000"):
        tg.engines.Symbolic().report(net.architecture)


def test_too_deeply_nested_naive_expressions_are_a_value_error():
    net = tg.Network([1] * 42, activation="tanh")
    with pytest.raises(ValueError, match="cse=False: the expressions nest too deeply"):
        tg.engines.Symbolic(cse=False, max_work=10**7).report(net.architecture)


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


def test_estimate_predicts_before_any_work():
    engine = tg.engines.Symbolic()
    small, large = (tg.Network(layers).architecture for layers in ([2, 2, 1], [64, 128, 10]))
    work, seconds = engine.estimate(small)
    assert work == expressions.estimate_work(small, True)
    assert seconds == pytest.approx(expressions.predicted_seconds(work, True))
    big_work, big_seconds = engine.estimate(large)
    # the README's digits network: far above a few seconds, predicted without building
    assert big_work > 100 * work and big_seconds > symbolic.SLOW_BUILD_SECONDS
    assert tg.engines.Symbolic(cse=False).estimate(small)[0] != work
    with pytest.raises(TypeError, match="^architecture: "):
        engine.estimate(tg.Network([2, 2, 1]))


def test_a_slow_build_warns_with_its_prediction_first(monkeypatch, recwarn):
    net = tg.Network([2, 3, 1])
    monkeypatch.setattr(symbolic, "SLOW_BUILD_SECONDS", 1e9)
    tg.engines.Symbolic().report(tg.Network([2, 2, 1]).architecture)
    assert not [w for w in recwarn if "predicted" in str(w.message)]
    monkeypatch.setattr(symbolic, "SLOW_BUILD_SECONDS", 0.0)
    with pytest.warns(UserWarning, match=r"^symbolic engine: building the gradient of "
                      r"2-3-1 .* predicted to take about \d+ s \(\d+ operations of work\)"):
        assert tg.engines.Symbolic().report(net.architecture).backend == "c"
    recwarn.clear()
    tg.engines.Symbolic().report(net.architecture)  # cached: nothing to predict
    assert not [w for w in recwarn if "predicted" in str(w.message)]


def test_a_compiler_given_as_a_path(tmp_path):
    import shutil
    from pathlib import Path

    cc = shutil.which("cc") or pytest.skip("no cc on PATH")
    engine = tg.engines.Symbolic(compiler=Path(cc), cache_dir=tmp_path / "c")
    # the path once broke the cache key (a PosixPath is not JSON)
    assert engine.report(tg.Network([2, 2, 1]).architecture).backend == "c"
