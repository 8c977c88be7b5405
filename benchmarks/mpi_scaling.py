"""MPI scaling: the sharded finite-difference sweep and the data-parallel fit at 1 and 2
ranks (MPI jobs do not fit pytest-benchmark's single process, so this is a script).

Run from the source tree (or with tensorgen installed), with the ``mpi`` extra::

    python benchmarks/mpi_scaling.py                 # 1 and 2 ranks, full sizes
    python benchmarks/mpi_scaling.py --quick         # small sizes: proves it runs
    python benchmarks/mpi_scaling.py --ranks 1 2 4 --json out.json

The driver launches ``mpiexec -n K python benchmarks/mpi_scaling.py --worker`` for each K;
every rank runs one OpenMP/BLAS thread, so K ranks use K cores. It measures:

- sweep: ``Finite(comm=...)`` on a 64-32-32-10 network and 256 samples, the best of
  ``--repeat`` gradients; the speed-up over 1 rank (and, for reference, one process with
  K threads, the sweep's own parallelism);
- fit: seconds per epoch of the data-parallel fit (Adam) on digits (64-128-10, batch 32)
  and on a synthetic 784-256-10 x 60,000 set (batch 128), and the share of the time spent
  in the per-step Allreduce, waiting included (timed around mpi4py's call), with the
  Allreduce's cost alone (ranks already in step) per step;
- a projection to 8-64 ranks from the measured compute per step and an Allreduce model
  (ring: 2 log2(p) latency + 2 (p-1)/p message / bandwidth), with the latency and
  bandwidth given by ``--latency`` and ``--bandwidth`` (defaults: 2 us, 10 GB/s, an
  InfiniBand-class interconnect). Projections are a model, not measurements.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# One thread per rank: K ranks use K cores (set before numpy loads its BLAS).
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def sizes(quick: bool) -> dict[str, dict[str, int]]:
    """The problems: full sizes, or small ones that only prove the script runs."""
    if quick:
        return {"sweep": {"samples": 32, "repeat": 2},
                "digits": {"epochs": 2, "hidden": 32, "batch": 32},
                "synthetic": {"rows": 2000, "epochs": 1, "batch": 128}}
    return {"sweep": {"samples": 256, "repeat": 5},
            "digits": {"epochs": 10, "hidden": 128, "batch": 32},
            "synthetic": {"rows": 60_000, "epochs": 2, "batch": 128}}


# ---- the worker: runs on every rank ----

def worker(quick: bool) -> None:
    import numpy as np
    from mpi4py import MPI

    import tensorgen as tg
    from tensorgen import _mpi

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    plan = sizes(quick)
    out: dict[str, object] = {"ranks": size}

    # the sweep, every rank on the same batch
    rng = np.random.default_rng(0)
    net = tg.Network([64, 32, 32, 10], activation="tanh", loss="cross_entropy", seed=0)
    X = rng.normal(size=(plan["sweep"]["samples"], 64))
    y = rng.integers(0, 10, len(X))
    engine = tg.engines.Finite(comm=comm, n_threads=1)
    net.value_and_grad(X, y, engine=engine)  # warm
    best = math.inf
    for _ in range(plan["sweep"]["repeat"]):
        comm.Barrier()
        start = time.perf_counter()
        net.value_and_grad(X, y, engine=engine)
        best = min(best, comm.allreduce(time.perf_counter() - start, op=MPI.MAX))
    out["sweep_s"] = best
    out["sweep_params"] = net.n_params

    # the fit: time the exchange where the loop calls it
    spent = [0.0, 0]
    original = _mpi.Group.exchanger

    def timed(group: _mpi.Group):
        allreduce = original(group)

        def exchange(shared):
            start = time.perf_counter()
            allreduce(shared)
            spent[0] += time.perf_counter() - start
            spent[1] += 1
        return exchange

    _mpi.Group.exchanger = timed
    digits = tg.datasets.load_digits()
    synthetic_rows = plan["synthetic"]["rows"]
    data = {
        "digits": (digits.X / 16.0, digits.y, [64, plan["digits"]["hidden"], 10],
                   plan["digits"]["batch"], plan["digits"]["epochs"]),
        "synthetic": (rng.normal(size=(synthetic_rows, 784)),
                      rng.integers(0, 10, synthetic_rows), [784, 256, 10],
                      plan["synthetic"]["batch"], plan["synthetic"]["epochs"]),
    }
    for name, (Xd, yd, layers, batch, epochs) in data.items():
        start, stop = _mpi.Group(comm).split(len(Xd))
        fit_net = tg.Network(layers, activation="relu", loss="cross_entropy", seed=0)
        options = dict(optimizer="adam", batch_size=batch, seed=0, comm=comm)
        fit_net.fit(Xd[start:stop], yd[start:stop], epochs=1, **options)  # warm
        spent[:] = [0.0, 0]
        comm.Barrier()
        history = fit_net.fit(Xd[start:stop], yd[start:stop], epochs=epochs, **options)
        wall = comm.allreduce(history.wall_time, op=MPI.MAX)
        exchange = comm.allreduce(spent[0], op=MPI.MAX)
        # the Allreduce alone, the ranks already in step
        shared = np.zeros(fit_net.n_params + 3)
        comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(200):
            comm.Allreduce(MPI.IN_PLACE, shared, op=MPI.SUM)
        alone = comm.allreduce((time.perf_counter() - t0) / 200, op=MPI.MAX)
        out[name] = {"epoch_s": wall / epochs, "steps": spent[1], "exchange_share":
                     exchange / wall, "allreduce_s": alone, "params": fit_net.n_params,
                     "step_s": wall / max(spent[1], 1)}
    if rank == 0:
        print("RESULT " + json.dumps(out), flush=True)


# ---- the driver ----

def launch(ranks: int, quick: bool, threads: int | None = None) -> dict[str, object]:
    mpiexec = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}"
                           f"{os.environ.get('PATH', '')}")
    if mpiexec is None:
        sys.exit("mpi_scaling: no mpiexec (pip install 'tensorgen[mpi]')")
    env = {**os.environ, **THREADS}
    root = Path(__file__).resolve().parents[1]
    if (root / "tensorgen").is_dir():  # run from the source tree
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    command = [mpiexec, "-n", str(ranks), sys.executable, __file__, "--worker"]
    command += ["--quick"] if quick else []
    run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    if run.returncode or not lines:
        sys.exit(f"mpi_scaling: mpiexec -n {ranks} failed ({run.returncode}):\n"
                 f"{run.stdout}\n{run.stderr}")
    result: dict[str, object] = json.loads(lines[0][len("RESULT "):])
    return result


def threaded_sweep(threads: int, quick: bool) -> float:
    """One process, ``threads`` OpenMP threads: the sweep's own parallelism."""
    import numpy as np

    import tensorgen as tg

    rng = np.random.default_rng(0)
    net = tg.Network([64, 32, 32, 10], activation="tanh", loss="cross_entropy", seed=0)
    X = rng.normal(size=(sizes(quick)["sweep"]["samples"], 64))
    y = rng.integers(0, 10, len(X))
    engine = tg.engines.Finite(n_threads=threads)
    net.value_and_grad(X, y, engine=engine)
    best = math.inf
    for _ in range(sizes(quick)["sweep"]["repeat"]):
        start = time.perf_counter()
        net.value_and_grad(X, y, engine=engine)
        best = min(best, time.perf_counter() - start)
    return best


def allreduce_model(p: int, n_bytes: float, latency: float, bandwidth: float) -> float:
    """Seconds of a ring/recursive-doubling Allreduce of n_bytes over p ranks."""
    return 2 * math.log2(p) * latency + 2 * (p - 1) / p * n_bytes / bandwidth


def project(one: dict[str, object], latency: float, bandwidth: float) -> list[str]:
    """Strong and weak scaling of the fit to 8-64 ranks from the 1-rank compute per step."""
    lines = ["", f"projection (model; latency {latency * 1e6:g} us, bandwidth "
             f"{bandwidth / 1e9:g} GB/s): step time and efficiency"]
    for name in ("digits", "synthetic"):
        fit = one[name]
        assert isinstance(fit, dict)
        compute = fit["step_s"]  # one rank: the whole batch, no real exchange
        n_bytes = 8 * (fit["params"] + 3)
        row = [f"  {name} ({fit['params']} params, {compute * 1e3:.3f} ms/step at 1 rank):"]
        for p in (8, 16, 32, 64):
            comm_s = allreduce_model(p, n_bytes, latency, bandwidth)
            strong = compute / p + comm_s
            weak = compute + comm_s
            row.append(f"p={p}: strong {compute / (p * strong):.0%}, weak "
                       f"{compute / weak:.0%}")
        lines.append(" ".join(row[:1]))
        lines.extend("    " + r for r in row[1:])
    return lines


def report(results: list[dict[str, object]], quick: bool) -> list[str]:
    base = results[0]
    lines = [f"{'ranks':>5} {'sweep s':>9} {'speed-up':>8} {'thr s':>8} | "
             f"{'digits s/ep':>11} {'xch %':>6} {'ar us':>7} | "
             f"{'synth s/ep':>10} {'xch %':>6} {'ar us':>7}"]
    for res in results:
        k = int(res["ranks"])
        thr = threaded_sweep(k, quick)
        d, s = res["digits"], res["synthetic"]
        assert isinstance(d, dict) and isinstance(s, dict)
        lines.append(
            f"{k:>5} {res['sweep_s']:>9.4f} {base['sweep_s'] / res['sweep_s']:>7.2f}x "
            f"{thr:>8.4f} | {d['epoch_s']:>11.4f} {100 * d['exchange_share']:>5.1f}% "
            f"{1e6 * d['allreduce_s']:>7.1f} | {s['epoch_s']:>10.3f} "
            f"{100 * s['exchange_share']:>5.1f}% {1e6 * s['allreduce_s']:>7.1f}")
    lines.append("sweep: Finite(comm) on 64-32-32-10 x samples, best of repeats, 1 thread per "
                 "rank; thr s: one process with as many threads. xch %: share of the fit's "
                 "time inside the per-step Allreduce (waiting included); ar us: one "
                 "Allreduce of the gradient, ranks in step.")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--latency", type=float, default=2e-6, help="seconds (projection)")
    parser.add_argument("--bandwidth", type=float, default=10e9, help="bytes/s (projection)")
    parser.add_argument("--json", metavar="PATH", help="also write the measurements here")
    args = parser.parse_args()
    if args.worker:
        worker(args.quick)
        return
    root = Path(__file__).resolve().parents[1]
    if (root / "tensorgen").is_dir():  # run from the source tree
        sys.path.insert(0, str(root))
    for name, value in THREADS.items():  # the threaded-sweep reference sets its own
        os.environ.setdefault(name, value)
    results = [launch(k, args.quick) for k in sorted(set(args.ranks))]
    lines = report(results, args.quick)
    if results[0]["ranks"] == 1:
        lines += project(results[0], args.latency, args.bandwidth)
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
