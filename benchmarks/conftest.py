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


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_NS_PER_ELEMENT, [])
    if lines:
        terminalreporter.section("ns per element")
        for line in lines:
            terminalreporter.write_line(line)
    peers = peer_ratios(config)
    if peers:
        terminalreporter.section("TensorGen against its GEMMs and the peers (min times)")
        for line in peers:
            terminalreporter.write_line(line)


def peer_ratios(config):
    """Lines of test_bench_peers.py's summary: per group, TensorGen's min time, and its
    ratio to its GEMMs alone and to the faster peer (JAX or PyTorch)."""
    session = getattr(config, "_benchmarksession", None)
    if session is None:
        return []
    by_group = {}
    for bench in session.benchmarks:
        if "test_bench_peers" not in bench.fullname:
            continue
        name = bench.name.split("[")[0].removeprefix("test_")
        by_group.setdefault(bench.group, {})[name] = bench.stats.min
    lines = []
    for group, times in by_group.items():
        if "tensorgen" not in times:
            if "tensorgen_threads" in times:
                continue
            continue
        ours = times["tensorgen"]
        parts = [f"{group:<28} tensorgen {ours * 1e6:9.1f} us"]
        if "gemms" in times:
            parts.append(f"/ gemms {ours / times['gemms']:.2f}")
        peers = {k: v for k, v in times.items() if k in ("jax", "torch")}
        if peers:
            best = min(peers, key=peers.get)
            parts.append(f"/ {best} {ours / peers[best]:.2f} "
                         f"(jax {times.get('jax', float('nan')) * 1e6:.1f} us, "
                         f"torch {times.get('torch', float('nan')) * 1e6:.1f} us)")
        lines.append(" ".join(parts))
    return lines
