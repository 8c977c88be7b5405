"""TENSORGEN_BENCH_CORES, shared by the benchmarks that time peers side by side.

``1`` (default): before JAX or TensorGen start any thread, the whole process is pinned to
one CPU, XLA gets no thread pool of its own, and TensorGen's passes and BLAS one thread;
``all``: every library keeps its default threads. Import ``CORES`` from here before
importing the peers.
"""

import os

CORES = os.environ.get("TENSORGEN_BENCH_CORES", "1")
if CORES not in ("1", "all"):
    raise ValueError(f"TENSORGEN_BENCH_CORES: expected 1 or all, got {CORES!r}")
if CORES == "1":
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})

import tensorgen as tg  # noqa: E402  (after the pinning: its threads inherit it)

if CORES == "1":
    tg.set_num_threads(1)
