import pytest
from bench_cases import CASES


@pytest.fixture(params=sorted(CASES))
def case(request):
    """(group name, network, X, Y) for each benchmark network."""
    return request.param, *CASES[request.param]()


_NS_PER_ELEMENT = pytest.StashKey[list]()


@pytest.fixture
def ns_per_element(request):
    """Call with (label, ns) to print "label: ns ns/element" in the terminal summary."""
    lines = request.config.stash.setdefault(_NS_PER_ELEMENT, [])
    return lambda label, ns: lines.append(f"{label}: {ns:6.2f} ns/element")


_REPORT = pytest.StashKey[list]()


@pytest.fixture
def report_line(request):
    """Call with a string to print it in the terminal summary (ratios of one run)."""
    return request.config.stash.setdefault(_REPORT, []).append


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_NS_PER_ELEMENT, [])
    if lines:
        terminalreporter.section("ns per element")
        for line in lines:
            terminalreporter.write_line(line)
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("ratios")
        for line in lines:
            terminalreporter.write_line(line)
