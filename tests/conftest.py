"""Shared test plumbing: a summary line for figures that must show in CI output."""

import pytest

_REPORT = pytest.StashKey[list]()


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
