"""csrc/tg_vmath.h's rows (through tensorgen._kernels._testing), portable, AVX2 and AVX-512
builds, against a plain C loop over the C library's exp, log1p and tanh in today's formulas
(build "libm") and, where NumPy has the function, NumPy's own loop. Rows of 68,000
elements: about the sigmoid units of one forward pass of a 64-128-128-10 network over 256
samples ((128 + 128 + 10) x 256 = 68,096). One group per function and dtype.

Run: PYTHONPATH=$PWD taskset -c 1 python -m pytest benchmarks/test_bench_vmath.py \
         --benchmark-only --benchmark-columns=min,median,rounds
The summary at the end gives ns/element (the fastest round / 68,000).
"""

import numpy as np
import pytest

from tensorgen._kernels import _testing

N = 68_000
FUNCTIONS = ["vexp", "vlog1p", "vsoftplus", "vsigmoid", "vsigmoid_and_grad", "vtanh",
             "vtanh_and_grad"]
NUMPY = {"vexp": np.exp, "vlog1p": np.log1p, "vtanh": np.tanh}


def missing(build):
    try:
        _testing.build_name(build)
    except ValueError as error:
        return str(error)
    return None


BUILDS = [
    "libm",
    "portable",
    *(pytest.param(build, marks=pytest.mark.skipif(missing(build) is not None,
                                                   reason=str(missing(build))))
      for build in ("avx2", "avx512")),
    "numpy",
]


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", FUNCTIONS, ids=lambda name: name[1:])
def test_row(benchmark, ns_per_element, name, dtype, build):
    if build == "numpy" and name not in NUMPY:
        pytest.skip(f"NumPy has no {name[1:]}")
    benchmark.group = f"vmath-{name[1:]}-{dtype.__name__}"
    rng = np.random.default_rng(0)
    # pre-activations of a trained network's units; log1p's argument as softplus has it
    x = (rng.uniform(0, 1, N) if name == "vlog1p" else rng.normal(0, 4, N)).astype(dtype)
    out, d_out = np.empty_like(x), np.empty_like(x)
    if build == "numpy":
        benchmark(NUMPY[name], x, out=out)
    elif name.endswith("_and_grad"):
        benchmark(getattr(_testing, name), x, build, out=out, d_out=d_out)
    else:
        benchmark(getattr(_testing, name), x, build, out=out)
    if benchmark.stats is not None:  # None under --benchmark-disable: nothing was timed
        ns_per_element(f"{name[1:]:16s} {dtype.__name__:7s} {build:8s}",
                       benchmark.stats.stats.min * 1e9 / N)
