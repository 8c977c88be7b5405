"""Smoke test of an installed TensorGen, run from outside the source tree (cibuildwheel's
test-command, .ci/wheel-check): the package imports from site-packages, ``tensorgen
--version`` and ``tensorgen xor`` work, and each gradient engine, called by name, agrees
with the reverse engine. A missing engine is a failure, not a skip.

    python .ci/smoke.py [--require-compiler]

``--require-compiler``: the symbolic engine must compile C (not fall back to lambdify).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SOURCE_TREE = Path(__file__).resolve().parents[1]
# Engine -> largest relative error against reverse: finite differences are approximate
# (central differences, error about cbrt(machine eps)); symbolic is exact to rounding.
ENGINES = {"finite": 1e-6, "symbolic": 1e-10}


def fail(message):
    sys.exit(f"smoke: FAILED: {message}")


def run_cli(*args):
    run = subprocess.run([sys.executable, "-m", "tensorgen", *args], capture_output=True,
                         text=True, timeout=600, check=False)
    if run.returncode != 0:
        fail(f"tensorgen {' '.join(args)} exited {run.returncode}: {run.stderr}")
    return run.stdout


def check_installed(tg):
    where = Path(tg.__file__).resolve()
    if SOURCE_TREE in where.parents:
        fail(f"tensorgen was imported from the source tree ({where}), not the installed wheel")
    print(f"smoke: tensorgen {tg.__version__} from {where.parent}")


def check_cli(tg):
    version = run_cli("--version").strip()
    if version != f"tensorgen {tg.__version__}":
        fail(f"tensorgen --version says {version!r}, the package {tg.__version__!r}")
    out = run_cli("xor", "--epochs", "20000").splitlines()
    outputs = [round(float(line.split(" : ")[1])) for line in out[-4:]]
    if outputs != [0, 1, 1, 0]:
        fail("tensorgen xor did not learn XOR:\n" + "\n".join(out))
    print("smoke: tensorgen xor:", " | ".join(out[-4:]))


def check_engine(tg, name, tolerance, require_compiler):
    if name not in tg.engines.ENGINES:
        fail(f"engine {name!r} is missing from this build (tensorgen.engines.ENGINES has "
             f"{sorted(tg.engines.ENGINES)})")
    rng = np.random.default_rng(0)
    net = tg.Network([3, 4, 2], activation="tanh", output_activation="sigmoid", seed=1)
    X, Y = rng.normal(size=(5, 3)), rng.random((5, 2))
    cost, grad = net.value_and_grad(X, Y, engine=name)
    ref_cost, ref = net.value_and_grad(X, Y, engine="reverse")
    error = np.max(np.abs(grad - ref)) / np.max(np.abs(ref))
    if not (abs(cost - ref_cost) <= 1e-12 * abs(ref_cost) and error <= tolerance):
        fail(f"engine {name!r}: cost {cost!r} vs {ref_cost!r}, relative gradient error "
             f"{error:.2e} > {tolerance:.0e}")
    detail = ""
    if name == "symbolic":
        backend = tg.engines.get_engine(name).report(net.architecture).backend
        if require_compiler and backend != "c":
            fail(f"engine 'symbolic' fell back to {backend!r}: no working C compiler, or "
                 "the installed C headers (tensorgen._csrc) are incomplete")
        detail = f", backend {backend}"
    print(f"smoke: engine {name!r} agrees with reverse (relative error {error:.1e}{detail})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require-compiler", action="store_true")
    args = parser.parse_args()
    # A fresh cache: the symbolic engine must compile here, from the installed headers.
    with tempfile.TemporaryDirectory(prefix="tensorgen-smoke-") as cache:
        os.environ["TENSORGEN_CACHE_DIR"] = cache
        import tensorgen as tg

        check_installed(tg)
        check_cli(tg)
        for name, tolerance in ENGINES.items():
            check_engine(tg, name, tolerance, args.require_compiler)
        tg.show_config()
    print("smoke: OK")


if __name__ == "__main__":
    main()
