"""One version number: tensorgen/_version.py, read by the build (pyproject's dynamic
version), ``tg.__version__`` and ``tensorgen --version``."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import tensorgen as tg


def test_installed_metadata_matches_the_package():
    try:
        dist = importlib.metadata.distribution("tensorgen")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("tensorgen runs from a source tree, not an installed distribution")
    if Path(dist.locate_file("tensorgen/__init__.py")).resolve() != Path(tg.__file__).resolve():
        pytest.skip("the installed tensorgen is not the one imported (source tree on the path)")
    assert dist.version == tg.__version__


def test_cli_version_matches(tmp_path):
    run = subprocess.run([sys.executable, "-m", "tensorgen", "--version"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"tensorgen {tg.__version__}"
