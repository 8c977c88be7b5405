"""How the symbolic engine's build grows with the network: time of each stage, and the C
compiler's time and peak memory, by shape and mode, with the generated code split into
parts of emit.PART_CHARS characters (the engine's way) or not split (one function).

Run from the repository root (after ``python setup.py build_ext --inplace``)::

    PYTHONPATH=$PWD python benchmarks/symbolic_compile_cost.py                 # the sweep
    PYTHONPATH=$PWD python benchmarks/symbolic_compile_cost.py 1-1x2000-1 cse unsplit

A shape is widths joined by ``-``, ``WxK`` meaning K layers of width W (all tanh, mse).
Each point runs in a fresh process. ``derive`` (derive and share) and ``emit`` are CPU
seconds of the Python process (SymPy); ``compile`` is the wall time of one compiler command
over all files (as the engine runs it), ``cc cpu`` its CPU time (user + system, less
sensitive to a busy machine), ``cc MB`` the peak resident memory of its largest process
(GNU ``/usr/bin/time``'s %M: the driver, cc1, as or ld), ``py MB`` the Python process's
peak (SymPy's expressions).
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (shape, mode, split) points of the sweep: the engine's split against one function, on
#: wide and shallow, deep and narrow, and in between; naive mode on its own small shapes.
SWEEP = [
    *((f"1-1x{d}-1", "cse", s) for d in (250, 500, 1000, 2000) for s in ("unsplit", "split")),
    *((f"1-1x{d}-1", "cse", "split") for d in (4000, 8000, 16000)),
    *((f"{w}-{w}-1", "cse", s) for w in (16, 32, 64) for s in ("unsplit", "split")),
    ("128-128-1", "cse", "split"),
    *((f"32-32x{d}-1", "cse", s) for d in (2, 4) for s in ("unsplit", "split")),
    ("32-32x8-1", "cse", "split"),
    *((shape, "cse", "split") for shape in ("32-32x16-1", "8-8x64-1", "4-4x250-1")),
    *((shape, "naive", s) for shape in ("2-8-1", "4-4-4-1", "2-8-8-1", "1-1x10-1", "1-1x20-1",
                                        "1-1x30-1") for s in ("unsplit", "split")),
]
COLUMNS = ("shape", "mode", "split", "n_params", "estimate", "n_ops", "parts", "c_chars",
           "derive", "emit", "py MB", "compile", "cc cpu", "cc MB")


def widths(shape):
    out = []
    for part in shape.split("-"):
        width, _, times = part.partition("x")
        out += [int(width)] * int(times or 1)
    return tuple(out)


def measure(shape, mode, split):
    """One point, in this process: a dict of COLUMNS."""
    from tensorgen._codegen import build, emit, expressions

    if split == "unsplit":
        emit.PART_CHARS = sys.maxsize
    elif split.startswith("split:"):  # another part size
        emit.PART_CHARS = int(split[len("split:"):])
    w = widths(shape)
    arch = expressions.Architecture(w, ("tanh",) * (len(w) - 1), "mse")
    start = time.process_time()
    derivation = expressions.derive(arch, mode == "cse")
    if mode == "cse":
        derivation = expressions.share(derivation)
    derived = time.process_time()
    n_ops = expressions.count_ops(derivation)
    counted = time.process_time()
    sources = emit.c_sources(derivation)
    emitted = time.process_time()
    compiler = build.find_compiler(build.compiler_command())
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in {**build._csrc(), **sources}.items():
            Path(tmp, name).write_text(text)
        units = sorted(sources) + ["tg_driver.c"]
        # GNU time forks the compiler from its own small process: a child of this process
        # would start its peak-memory count at this process's size
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", "time.txt",
                        *compiler.command, *compiler.flags, "-I.", *units, "-o", "lib.so",
                        "-lm"], cwd=tmp, check=True)
        wall, user, system, peak_kb = Path(tmp, "time.txt").read_text().split()[-4:]
    py_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"shape": shape, "mode": mode, "split": split, "n_params": arch.n_params,
            "estimate": expressions.estimate_work(arch, mode == "cse"), "n_ops": n_ops,
            "parts": len(sources) - 1, "c_chars": sum(map(len, sources.values())),
            "derive": round(derived - start, 2), "emit": round(emitted - counted, 2),
            "py MB": py_peak // 1024, "compile": float(wall),
            "cc cpu": round(float(user) + float(system), 2), "cc MB": int(peak_kb) // 1024}


def main(points):
    print(" | ".join(COLUMNS))
    for point in points:
        run = subprocess.run([sys.executable, __file__, "--one", *point], capture_output=True,
                             text=True, check=True)
        row = json.loads(run.stdout)
        print(" | ".join(str(row[c]) for c in COLUMNS), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(*sys.argv[2:5])))
    else:
        main([tuple(sys.argv[1:4])] if len(sys.argv) > 1 else SWEEP)
