"""Cases run under ``mpiexec -n K python tests/mpi_cases.py CASE`` by tests/test_mpi.py.

Each case runs on every rank and prints, on rank 0, one line ``RESULT <json>`` with what
the test checks: the data-parallel run against one process on the concatenated data
(rank 0 trains that itself), the ranks' parameters against each other, the error each
rank raised. Nothing is judged here; the test asserts.
"""

import json
import sys

import numpy as np
from mpi4py import MPI

import tensorgen as tg

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()


def shares(n, uneven):
    """Row bounds of each rank: equal parts, or uneven ones (rank 0 small, the last large)."""
    if not uneven:
        return np.linspace(0, n, size + 1).astype(int)
    weights = np.arange(1, size + 1) ** 2
    return np.concatenate([[0], np.cumsum(weights) * n // weights.sum()])


def digits():
    data = tg.datasets.load_digits()
    return data.X / 16.0, data.y


def same_on_every_rank(array):
    every = comm.allgather(array.tobytes())
    return all(b == every[0] for b in every)


def case_fit_digits():
    """10 epochs of digits, Adam, batch 32, uneven shares: the issue's figure."""
    X, y = digits()
    cuts = shares(len(X), uneven=True)
    mine = slice(cuts[rank], cuts[rank + 1])
    checks = []

    def watch(net, history):
        checks.append(same_on_every_rank(net.params))

    def make():
        return tg.Network([64, 32, 10], activation="tanh", loss="cross_entropy", seed=1)

    net = make()
    history = net.fit(X[mine], y[mine], optimizer="adam", epochs=10, batch_size=32, seed=3,
                      comm=comm, callbacks=[watch])
    out = {"rows": [int(c) for c in np.diff(cuts)], "same_every_epoch": checks,
           "same_at_end": same_on_every_rank(net.params)}
    if rank == 0:
        alone = make()
        h1 = alone.fit(X, y, optimizer="adam", epochs=10, batch_size=32, seed=3)
        out["rel_diff"] = float(np.max(np.abs(net.params - alone.params))
                                / np.max(np.abs(alone.params)))
        out["cost_diff"] = float(np.max(np.abs(history.cost - h1.cost)))
        out["steps"] = [history.steps, h1.steps]
        out["stop"] = [history.stop_reason, h1.stop_reason]
    return out


def case_empty_share():
    """Rank 1 holds no rows; full batch, in-order and shuffled mini-batches, and a long
    full-batch run that returns to Python on the (agreed) time budget many times."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    cuts = list(np.linspace(0, 40, size).astype(int))  # size - 1 shares...
    cuts.insert(1, cuts[1])  # ...and rank 1's, empty
    mine = slice(cuts[rank], cuts[rank + 1])
    out = {"rows": [int(c) for c in np.diff(cuts)], "runs": {}}
    runs = {"full": dict(epochs=50), "in_order": dict(epochs=20, batch_size=7, shuffle=False),
            "shuffled": dict(epochs=20, batch_size=7, seed=5, optimizer="momentum"),
            "long": dict(epochs=20000, lr=0.01), "tol": dict(epochs=3000, tol=1.0),
            "float32": dict(epochs=20, batch_size=7, seed=5, optimizer="adam", lr=0.01)}
    for name, options in runs.items():
        def make(dtype="float32" if name == "float32" else "float64"):
            return tg.Network([3, 4, 2], activation="tanh", seed=2, dtype=dtype)

        net = make()
        history = net.fit(X[mine], Y[mine], comm=comm, **options)
        result = {"same": same_on_every_rank(net.params), "epochs": history.epochs,
                  "stop": history.stop_reason}
        if rank == 0:
            alone = make()
            h1 = alone.fit(X, Y, **options)
            result["rel_diff"] = float(np.max(np.abs(net.params - alone.params))
                                       / np.max(np.abs(alone.params)))
            result["epochs_alone"] = h1.epochs
            result["stop_alone"] = h1.stop_reason
        out["runs"][name] = result
    return out


def case_decisions():
    """Validation shards, patience, and a callback that stops on the last rank only."""
    X, y = digits()
    Xt, yt, Xv, yv = X[:1200], y[:1200], X[1200:], y[1200:]
    tc, vc = shares(len(Xt), uneven=True), shares(len(Xv), uneven=False)
    mine_t, mine_v = slice(tc[rank], tc[rank + 1]), slice(vc[rank], vc[rank + 1])

    def stop_late(net, history):
        return rank == size - 1 and history.epochs == 4

    def make():
        return tg.Network([64, 16, 10], activation="relu", loss="cross_entropy", seed=4)

    options = dict(optimizer="adam", lr=0.03, epochs=60, batch_size=64, seed=1, patience=2)
    net = make()
    h = net.fit(Xt[mine_t], yt[mine_t], validation_data=(Xv[mine_v], yv[mine_v]), comm=comm,
                callbacks=[stop_late], **options)
    net2 = make()
    h2 = net2.fit(Xt[mine_t], yt[mine_t], validation_data=(Xv[mine_v], yv[mine_v]),
                  comm=comm, **options)
    every = comm.allgather((h.stop_reason, h.epochs, h2.stop_reason, h2.epochs,
                            h2.val_cost))
    out = {"every": [e[:4] for e in every],
           "val_same": all(e[4] == every[0][4] for e in every)}
    if rank == 0:
        alone = make()
        h3 = alone.fit(Xt, yt, validation_data=(Xv, yv), **options)
        out["alone"] = [h3.stop_reason, h3.epochs]
        out["val_diff"] = float(np.max(np.abs(np.array(h2.val_cost) - h3.val_cost)))
        out["metric_diff"] = float(np.max(np.abs(np.array(h2.val_metric) - h3.val_metric)))
    return out


def error_of(run):
    """The type and message of the error ``run`` raised on this rank, gathered by rank."""
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - the case reports whatever was raised
        mine = [type(exc).__name__, str(exc)]
    else:
        mine = None
    return comm.allgather(mine)


def case_errors():
    """One rank's fault raises the same error on every rank (and nothing hangs)."""
    X, y = digits()
    mine = slice(*np.linspace(0, len(X), size + 1).astype(int)[rank:rank + 2])
    Xm, ym = X[mine].copy(), y[mine]

    def net():
        return tg.Network([64, 8, 10], activation="tanh", loss="cross_entropy", seed=0)

    def bad_data():
        Xb = Xm.copy()
        if rank == 1:
            Xb[3, 5] = np.nan
        net().fit(Xb, ym, epochs=2, batch_size=32, comm=comm)

    def callback_raises():
        def boom(n, history):
            if rank == 1 and history.epochs == 2:
                raise RuntimeError("callback failed on purpose")
        net().fit(Xm, ym, epochs=5, batch_size=32, comm=comm, callbacks=[boom])

    def diverges():  # rank 1's rows overflow the forward pass: a NaN cost there only
        regression = tg.Network([64, 8, 1], activation="relu", seed=0)
        Xd = Xm * (1e300 if rank == 1 else 1.0)
        regression.fit(Xd, ym.astype(float), optimizer="adam", epochs=5, batch_size=32,
                       comm=comm)

    def options_differ():
        net().fit(Xm, ym, epochs=3 + rank, comm=comm)

    def no_compiled_loop():
        net().fit(Xm, ym, epochs=1, engine="finite", comm=comm)

    def unseeded_forward_gradient():
        net().fit(Xm, ym, epochs=1, engine="forward_gradient", comm=comm)

    def forward_gradient_streams_differ():
        engine = tg.engines.ForwardGradient(seed=5)
        if rank == 1:
            engine.draw(10)  # moves nothing: draw does not advance
            engine.value_and_grad(net().architecture, net().params, Xm[:4],
                                  np.eye(10)[ym[:4]])
        net().fit(Xm, ym, epochs=1, engine=engine, comm=comm)

    cases = {"bad_data": bad_data, "callback_raises": callback_raises, "diverges": diverges,
             "options_differ": options_differ, "no_compiled_loop": no_compiled_loop,
             "unseeded_forward_gradient": unseeded_forward_gradient,
             "forward_gradient_streams_differ": forward_gradient_streams_differ}
    return {name: error_of(run) for name, run in cases.items()}


def case_interrupt():
    """Ctrl-C on rank 1 only, inside the compiled loop: every rank raises
    KeyboardInterrupt after the same step, with the same parameters."""
    import os
    import signal
    import threading

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(64, 4)), rng.normal(size=(64, 1))
    net = tg.Network([4, 8, 1], activation="tanh", seed=0)
    comm.Barrier()
    if rank == 1:  # well inside the loop (Ctrl-C elsewhere is mpiexec's to forward)
        threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        net.fit(X, Y, epochs=200000, batch_size=8, lr=0.01, comm=comm)
    except KeyboardInterrupt as exc:
        got = ["KeyboardInterrupt", exc.history.stop_reason, exc.history.steps]
    else:
        got = None
    return {"every": comm.allgather(got), "same": same_on_every_rank(net.params)}


def case_forward_gradient():
    """Seeded forward-gradient training: every rank draws the same directions, so the
    data-parallel run is the one-process run up to the order of the sums."""
    X, y = digits()
    cuts = shares(len(X), uneven=True)
    mine = slice(cuts[rank], cuts[rank + 1])

    def make():
        return tg.Network([64, 8, 10], activation="tanh", loss="cross_entropy", seed=1)

    net = make()
    options = dict(optimizer="adam", lr=0.01, epochs=3, batch_size=64, seed=2)
    net.fit(X[mine], y[mine], engine=tg.engines.ForwardGradient(4, seed=7), comm=comm,
            **options)
    out = {"same": same_on_every_rank(net.params)}
    if rank == 0:
        alone = make()
        alone.fit(X, y, engine=tg.engines.ForwardGradient(4, seed=7), **options)
        out["rel_diff"] = float(np.max(np.abs(net.params - alone.params))
                                / np.max(np.abs(alone.params)))
    return out


def case_finite():
    """The sharded sweep against the one-process sweep, per method and sweep."""
    rng = np.random.default_rng(1)
    net = tg.Network([6, 5, 4, 3], activation="sigmoid", loss="cross_entropy", seed=3)
    X, y = rng.normal(size=(20, 6)), rng.integers(0, 3, 20)
    out = {}
    for method, sweep in [("central", "cached"), ("fourth_order", "naive"),
                          ("complex", "cached")]:
        engine = tg.engines.Finite(method=method, sweep=sweep, comm=comm)
        cost, grad = net.value_and_grad(X, y, engine=engine)
        cost1, grad1 = net.value_and_grad(X, y, engine=tg.engines.Finite(method=method,
                                                                           sweep=sweep))
        out[f"{method}-{sweep}"] = [cost == cost1, bool(np.array_equal(grad, grad1)),
                                    same_on_every_rank(grad)]
    return out


if __name__ == "__main__":
    result = globals()[f"case_{sys.argv[1]}"]()
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)
