"""Shared test plumbing: a seeded generator, and a summary of figures that must show in CI
output."""

import os

import numpy as np
import pytest
from hypothesis import settings

# CI runs are reproducible: the same examples every time (locally, hypothesis explores).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

_REPORT = pytest.StashKey[list]()

# Python started by a test (python -c, python -m, mpiexec python ...) must import the
# tensorgen under test, not the source tree of the working directory: from a clone, the
# tree holds no compiled modules (CI runs the tests there against the installed wheel).
# PYTHONSAFEPATH (Python >= 3.11) keeps the working directory out of such sys.path.
os.environ["PYTHONSAFEPATH"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _private_symbolic_cache(tmp_path_factory):
    """Compiled symbolic libraries go to a folder of this run, not the user's cache."""
    if "TENSORGEN_CACHE_DIR" not in os.environ:
        os.environ["TENSORGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("tensorgen-cache"))
        yield
        del os.environ["TENSORGEN_CACHE_DIR"]
    else:
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def report_line(request):
    """Call with a string to print it in pytest's terminal summary (even without -s)."""
    return request.config.stash.setdefault(_REPORT, []).append


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("tensorgen reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
