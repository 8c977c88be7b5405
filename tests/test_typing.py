"""The public API's types: examples/typed_usage.py (every public name) passes
``mypy --strict`` against the imported tensorgen's annotations, stubs and py.typed, and
mypy does catch a misuse of them."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import tensorgen as tg

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "typed_usage.py"
MISUSE = '''\
import tensorgen as tg

X, Y = tg.datasets.xor()
net = tg.Network([2, 2, 1], seed=0)
cost: str = net.loss(X, Y)
report = tg.gradcheck(net, X, Y, engine=3)
on: str = tg.engines.get_engine("reverse").value_and_grad(net.architecture, net.params, X, Y)[1]
'''


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install '.[test]')")
def test_public_api_passes_mypy_strict(tmp_path):
    misuse = tmp_path / "misuse.py"
    misuse.write_text(MISUSE)
    # From tmp_path, so mypy finds tensorgen where Python imports it (the installed
    # package), not through the working directory.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(EXAMPLE),
         str(misuse)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    errors = [e.split(":") for e in run.stdout.splitlines() if ": error:" in e]
    assert not [e for e in errors if Path(e[0]).name == EXAMPLE.name], run.stdout + run.stderr
    lines = sorted({int(e[1]) for e in errors if Path(e[0]).name == misuse.name})
    assert lines == [5, 6, 7], run.stdout + run.stderr


def test_typed_usage_runs():
    run = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                         timeout=120, cwd=EXAMPLE.parent.parent, check=False)
    assert run.returncode == 0, run.stderr
    assert f"tensorgen {tg.__version__}: engines" in run.stdout


def test_package_ships_type_information():
    root = Path(tg.__file__).parent
    assert (root / "py.typed").is_file()
    for module in (root / "_kernels").glob("*.pyx"):
        assert module.with_suffix(".pyi").is_file(), f"no stub for {module.name}"
