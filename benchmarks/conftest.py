import pytest
from bench_cases import CASES


@pytest.fixture(params=sorted(CASES))
def case(request):
    """(group name, network, X, Y) for each benchmark network."""
    return request.param, *CASES[request.param]()
