"""Expression swell of the symbolic engine: op count, derive, generate and compile time for
both modes over growing networks, then the 8-32-32-1 gradient call against reverse mode.

Run from the repository root (after ``python setup.py build_ext --inplace``)::

    PYTHONPATH=$PWD python benchmarks/symbolic_scaling.py

Each build runs in a fresh process with an empty cache (nothing is reused) and is stopped
after LIMIT seconds; a mode that exceeded LIMIT is skipped at the larger sizes. Sizes grow
until every mode has exceeded it (or the list ends).
"""

import math
import multiprocessing
import os
import signal
import tempfile
import timeit
from pathlib import Path

import numpy as np

import tensorgen as tg

SIZES = [(2, 2, 1), (2, 4, 4, 1), (2, 8, 8, 1), (4, 16, 16, 1), (8, 32, 32, 1),
         (16, 64, 64, 1), (32, 128, 128, 1), (64, 256, 256, 1), (128, 512, 512, 1)]
MODES = {"cse": True, "naive": False}
LIMIT = 120.0
TARGET = 60.0
CALL_SIZE = (8, 32, 32, 1)


def build_report(layers, cse, cache, pipe):
    """Child process: build one library and send its SymbolicReport."""
    os.setpgrp()  # a group of its own, so a timeout also stops the compiler it runs
    engine = tg.engines.Symbolic(cse=cse, max_work=math.inf, cache_dir=cache)
    pipe.send(engine.report(tg.Network(list(layers)).architecture))


def measure(layers, cse, cache):
    """SymbolicReport of a fresh build, or None when it took more than LIMIT seconds."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=build_report, args=(layers, cse, cache, send))
    child.start()
    send.close()  # so a crashed child reads as end of file, not as a timeout
    if not receive.poll(LIMIT):
        os.killpg(child.pid, signal.SIGKILL)
        child.join()
        return None
    try:
        return receive.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"building {layers} failed (exit code {child.exitcode})") from None
    finally:
        child.join()


def call_times(layers, cache, n_samples=64, repeat=7, number=200):
    """Best time (s) of one gradient call, symbolic and reverse, on n_samples samples."""
    rng = np.random.default_rng(0)
    net = tg.Network(list(layers), seed=0)
    X, Y = rng.normal(size=(n_samples, layers[0])), rng.random((n_samples, layers[-1]))
    times = {}
    args = (net.architecture, net.params, X, Y)
    for engine in (tg.engines.Symbolic(cache_dir=cache), tg.engines.Reverse()):
        engine.value_and_grad(*args)
        best = min(timeit.repeat(lambda e=engine: e.value_and_grad(*args), repeat=repeat,
                                 number=number))
        times[engine.name] = best / number
    return times


def main():
    print(f"{'network':<14} {'params':>7} {'mode':<6} {'n_ops':>9} {'derive s':>9} "
          f"{'generate s':>10} {'compile s':>9} {'total s':>8}")
    exceeded, largest = set(), {}
    with tempfile.TemporaryDirectory(prefix="tensorgen-scaling-") as keep:
        for layers in SIZES:
            if exceeded == set(MODES):
                break
            row(layers, Path(keep), exceeded, largest)
        for mode in MODES:
            print(f"largest network built within {TARGET:.0f} s, {mode}: "
                  f"{largest.get(mode, '-')}")
        call_name = "-".join(map(str, CALL_SIZE))
        times = call_times(CALL_SIZE, Path(keep) / call_name / "cse")
    print(f"{call_name} gradient call, 64 samples (best of 7x200): "
          f"symbolic {times['symbolic'] * 1e6:.1f} us, reverse {times['reverse'] * 1e6:.1f} us, "
          f"ratio {times['symbolic'] / times['reverse']:.2f}")


def row(layers, keep, exceeded, largest):
    """Build ``layers`` in every mode not yet over LIMIT and print one line per mode."""
    name = "-".join(map(str, layers))
    n_params = tg.Network(list(layers)).n_params
    for mode, cse in MODES.items():
        if mode in exceeded:
            continue
        cache = keep / name / mode
        cache.mkdir(parents=True, mode=0o700)
        r = measure(layers, cse, cache)
        if r is None:
            exceeded.add(mode)
            print(f"{name:<14} {n_params:>7} {mode:<6} {'':>9} {'':>9} {'':>10} {'':>9} "
                  f"{'>' + format(LIMIT, '.0f'):>8}  (stopped)", flush=True)
            continue
        total = r.derive_seconds + r.generate_seconds + r.compile_seconds
        if total > LIMIT:
            exceeded.add(mode)
        if total <= TARGET:
            largest[mode] = f"{name} ({n_params} params)"
        print(f"{name:<14} {n_params:>7} {mode:<6} {r.n_ops:>9} {r.derive_seconds:>9.2f} "
              f"{r.generate_seconds:>10.2f} {r.compile_seconds:>9.2f} {total:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
