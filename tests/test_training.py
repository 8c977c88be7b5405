"""fit: the compiled loop against the Python loop, reproducibility, stops, errors."""

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tensorgen as tg
from tensorgen.engines import Reverse
from tensorgen.optimizers import SGD, Adam


class PythonLoopReverse(Reverse):
    """The reverse engine without its compiled form: fit runs it through the Python loop."""

    def fit_kernel(self, architecture):
        return None


def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = rng.normal(size=(n, 4)) + y[:, None]
    return X, y


def classifier(seed=0):
    return tg.Network([4, 6, 3], activation="tanh", loss="cross_entropy", seed=seed)


LOOPS = [
    {"optimizer": "sgd", "lr": 0.5},
    {"optimizer": "momentum", "lr": 0.05, "batch_size": 16, "seed": 3},
    {"optimizer": "nesterov", "lr": 0.05, "batch_size": 7, "shuffle": False},
    {"optimizer": "adam", "lr": 0.01, "batch_size": 10, "seed": 1, "weight_decay": 1e-3},
]


@pytest.mark.parametrize("options", LOOPS, ids=["sgd-full", "momentum-mini", "nesterov-ordered",
                                                "adam-mini-wd"])
def test_compiled_loop_equals_python_loop_bit_for_bit(options):
    X, y = blobs()
    a, b = classifier(), classifier()
    ha = a.fit(X, y, epochs=15, **options)
    hb = b.fit(X, y, epochs=15, engine=PythonLoopReverse(), **options)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(ha.cost, hb.cost)
    assert ha.cost.dtype == np.float64 and ha.cost.shape == (15,)
    assert ha.steps == hb.steps == 15 * -(-60 // options.get("batch_size", 60))


def test_generic_engine_trains_like_reverse():
    X, y = blobs(n=20)
    a, b = classifier(), classifier()
    a.fit(X, y, epochs=5, optimizer="adam", lr=0.01, batch_size=8, seed=2)
    b.fit(X, y, epochs=5, optimizer="adam", lr=0.01, batch_size=8, seed=2, engine="autograd")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-9, atol=1e-12)


def test_seeded_fits_are_reproducible_and_seeds_matter():
    X, y = blobs()
    runs = []
    for seed in (5, 5, 6):
        net = classifier()
        history = net.fit(X, y, optimizer="adam", lr=0.01, epochs=10, batch_size=8, seed=seed)
        runs.append((net.params.copy(), history.cost))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_tol_full_batch_stops_before_the_update_like_the_core():
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    history = net.fit(X, Y, lr=1.0, epochs=100_000, tol=1e-3)
    assert history.stop_reason == "tol"
    assert history.cost[-1] < 1e-3 <= history.cost[:-1].min()
    assert history.steps == history.epochs - 1
    assert net.loss(X, Y) == history.cost[-1]  # the update after it was skipped


def test_mini_batch_tol_and_epochs_reason():
    X, y = blobs()
    history = classifier().fit(X, y, optimizer="adam", lr=0.05, epochs=400, batch_size=20,
                               seed=0, tol=0.3)
    assert history.stop_reason == "tol" and history.cost[-1] < 0.3
    history = classifier().fit(X, y, epochs=3)
    assert history.stop_reason == "epochs" and history.epochs == 3


def test_history_cost_is_an_array_of_the_epochs_run():
    X, Y = tg.datasets.xor()
    seen = []
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    history = net.fit(X, Y, lr=1.0, epochs=70_000, tol=0.05,
                      callbacks=[lambda n, h: seen.append(h.cost.copy())])
    assert history.stop_reason == "tol"
    assert history.cost.dtype == np.float64 and history.cost.shape == (history.epochs,)
    assert history.cost.base is None  # its own memory: the unused room is not kept
    # each callback saw the costs so far (none runs after the epoch that met tol)
    assert [len(c) for c in seen] == list(range(1, history.epochs))
    np.testing.assert_array_equal(seen[-1], history.cost[:-1])
    compiled = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0).fit(
        X, Y, lr=1.0, epochs=70_000, tol=0.05)
    np.testing.assert_array_equal(compiled.cost, history.cost)


def test_history_cost_buffer_grows_and_keeps_every_entry():
    from tensorgen.training import History

    history, written = History(), []
    for k in (3, 1 << 20, 5):  # the second outgrows the first buffer (1 << 20 entries)
        room = history._room(k, limit=1 << 22)
        room[:] = np.arange(len(written), len(written) + k)
        written.extend(range(len(written), len(written) + k))
        history._commit(k)
    history._seal()
    np.testing.assert_array_equal(history.cost, written)
    assert history.cost.base is None and history.epochs == len(written)


def test_validation_history_patience_and_callbacks():
    X, y = blobs(n=80)
    net = classifier()
    seen = []
    history = net.fit(X[:60], y[:60], optimizer="adam", lr=0.3, epochs=300, batch_size=10,
                      seed=0, validation_data=(X[60:], y[60:]), patience=3,
                      callbacks=[lambda n, h: seen.append(h.epochs)])
    assert history.stop_reason == "patience"
    assert len(history.val_cost) == len(history.val_metric) == history.epochs == len(seen)
    assert history.metric == "accuracy" and 0.0 <= history.val_metric[-1] <= 1.0
    best = int(np.argmin(history.val_cost))
    assert history.epochs - 1 - best >= 3
    stop = classifier().fit(X, y, epochs=50, callbacks=[lambda n, h: h.epochs == 4])
    assert stop.stop_reason == "callback" and stop.epochs == 4
    assert stop.wall_time > 0


def test_mse_network_has_no_metric_and_progress_runs(capsys):
    X, Y = tg.datasets.xor()
    history = tg.Network([2, 3, 1], seed=0).fit(X, Y, epochs=20, progress=True,
                                              validation_data=(X, Y))
    assert history.metric is None and history.val_metric == [] and len(history.val_cost) == 20
    assert "20/20" in capsys.readouterr().err


def diverging():
    X = np.array([[1.0, 2.0], [3.0, -1.0], [-2.0, 0.5]])
    Y = np.array([[1.0], [-2.0], [0.5]])
    net = tg.Network([2, 8, 1], activation="relu", output_activation="identity", seed=0)
    return net, X, Y


@pytest.mark.parametrize("engine", ["reverse", "python-loop"])
def test_divergence_names_the_epoch_and_keeps_last_finite_params(engine):
    engine = PythonLoopReverse() if engine == "python-loop" else engine
    net, X, Y = diverging()
    start = net.params.copy()
    with pytest.raises(FloatingPointError, match=r"in epoch (\d+) of 1000") as info:
        net.fit(X, Y, engine=engine, lr=2.0, epochs=1000)
    assert np.isfinite(net.params).all()
    assert info.value.history.stop_reason == "nonfinite"
    assert info.value.history.epochs == int(info.value.args[0].split("in epoch ")[1].split()[0]) - 1
    epoch = int(info.value.args[0].split("in epoch ")[1].split()[0])
    replay, _, _ = diverging()
    replay.params = start
    replay.fit(X, Y, engine=engine, lr=2.0, epochs=epoch - 1)
    np.testing.assert_array_equal(net.params, replay.params)


@pytest.mark.parametrize("engine", ["reverse", "python-loop"])
@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1), lambda: SGD(lr=0.1, momentum=0.9),
                                  lambda: Adam(lr=0.1)], ids=["sgd", "momentum", "adam"])
def test_infinite_gradient_at_a_finite_cost_stops_before_any_update(engine, make):
    """cost 1e308 is finite, its gradient (2 (a - y) x = 2e308) is not: the first step is
    refused by every optimizer, in both loops, and a stateful optimizer's state stays as
    it was (the plain-SGD loop relies on the new parameters' check alone)."""
    engine = PythonLoopReverse() if engine == "python-loop" else engine
    optimizer = make()
    net = tg.Network([1, 1, 1], activation="identity", output_activation="identity")
    net.params = np.array([1.0, 0.0, 1.0, 0.0])  # a = x
    X, Y = np.array([[1e154]]), np.array([[0.0]])
    assert np.isfinite(net.loss(X, Y))
    with pytest.raises(ValueError, match="gradient overflowed"):
        net.value_and_grad(X, Y)
    with pytest.raises(FloatingPointError, match=r"in epoch 1 of 5 \(after 0 updates\)"):
        net.fit(X, Y, engine=engine, optimizer=optimizer, epochs=5)
    np.testing.assert_array_equal(net.params, [1.0, 0.0, 1.0, 0.0])
    assert optimizer.t == 0
    state = optimizer.state(net.n_params)
    assert all(np.array_equal(part, np.zeros(net.n_params)) for part in state)


def test_integer_labels_are_one_hot_encoded():
    X, y = blobs(n=30)
    a, b = classifier(), classifier()
    a.fit(X, y, epochs=5)
    b.fit(X, np.eye(3)[y], epochs=5)
    np.testing.assert_array_equal(a.params, b.params)


def test_optimizer_object_keeps_state_between_fits():
    X, y = blobs(n=30)
    opt = Adam(lr=0.01)
    net = classifier()
    net.fit(X, y, optimizer=opt, epochs=3)
    net.fit(X, y, optimizer=opt, epochs=2)
    assert opt.t == 5
    whole = classifier()
    whole.fit(X, y, optimizer=Adam(lr=0.01), epochs=5)
    np.testing.assert_array_equal(net.params, whole.params)


BAD = [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 2.5}, TypeError, "epochs"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"lr": -1.0}, ValueError, "lr"),
    ({"tol": 0.0}, ValueError, "tol"),
    ({"seed": -1}, ValueError, "seed"),
    ({"shuffle": "yes"}, TypeError, "shuffle"),
    ({"progress": 1}, TypeError, "progress"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer"),
    ({"optimizer": "sgd", "beta2": 0.9}, ValueError, "beta2"),
    ({"optimizer": Adam(), "lr": 0.1}, ValueError, "lr"),
    ({"engine": "magic"}, ValueError, "engine"),
    ({"patience": 3}, ValueError, "patience"),
    ({"validation_data": np.zeros((3, 4))}, TypeError, "validation_data"),
    ({"validation_data": (np.zeros((3, 5)), [0, 1, 2])}, ValueError, "X"),
    ({"callbacks": print}, TypeError, "callbacks"),
    ({"callbacks": [1]}, TypeError, "callbacks"),
    ({"min_delta": -1.0}, ValueError, "min_delta"),
]


@pytest.mark.parametrize("options, error, name", BAD, ids=[b[2] + str(i) for i, b in
                                                           enumerate(BAD)])
def test_bad_options_raise_naming_the_argument(options, error, name):
    X, y = blobs(n=10)
    with pytest.raises(error, match=name):
        classifier().fit(X, y, epochs=options.pop("epochs", 2), **options)


INTERRUPTED = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import tensorgen as tg
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    options = json.loads(sys.argv[1])
    net.copy().fit(X, Y, epochs=1, **options)  # imports done before the clock starts
    print("ready", flush=True)
    try:
        net.fit(X, Y, lr=1.0, epochs=10**12, **options)
    except KeyboardInterrupt as exc:
        t = time.perf_counter()
        print(json.dumps({"steps": exc.history.steps, "reason": exc.history.stop_reason,
                          "params": net.params.tolist(), "t": t}), flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("options", [{}, {"engine": "autograd"}], ids=["compiled", "python"])
def test_ctrl_c_stops_within_a_second_with_last_completed_step(options, tmp_path):
    # run outside the source tree, so the installed package is what runs
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED, json.dumps(options)],
                             stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        line = child.stdout.readline()
        elapsed = time.perf_counter() - sent
        child.wait(timeout=10)
    finally:
        child.kill()
    assert child.returncode == 0, line
    result = json.loads(line)
    assert elapsed < 1.0
    assert result["reason"] == "interrupted" and result["steps"] > 0
    params = np.array(result["params"])
    assert np.isfinite(params).all()
    # the parameters are exactly those after the reported number of completed steps
    X, Y = tg.datasets.xor()
    replay = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    replay.fit(X, Y, lr=1.0, epochs=result["steps"], **options)
    np.testing.assert_array_equal(params, replay.params)
