"""csrc/tg_vmath.h through its test hooks (tensorgen._kernels._testing): every function, in
float64 and float32 and in every build, against a long double reference on over 10^6
inputs spanning its domain: the functions within 2 ulp, the derivatives within 4; special
values as C's libm gives them; the builds with a fused multiply-add (AVX2, AVX-512, and
the portable build compiled for a CPU that has one) bit for bit the same; rows of any
length and alignment; the hooks' argument checks.

The ulp error of a result y for the exact value v is |y - v| / ulp(v), where ulp(v) is the
spacing of the format's numbers in the binade of v: 2^(e - p + 1) for 2^e <= |v| < 2^(e+1),
p the significand bits (53, 24), and below the normal range (e < emin) the subnormal
spacing 2^(emin - p + 1). A result on the far side of a power of two from v is measured in
the finer spacing below it. Where v rounds to infinity in the format, y must be that
infinity; where v is infinite or NaN, y must be the same.
The reference is np.longdouble (x87 80-bit here: 64 significant bits, 11 more than double,
and a wider exponent, so overflow and subnormal results of double are ordinary numbers
there): its error is about 2^-11 ulp of double.
"""

import functools
import os
import subprocess
import sys

import numpy as np
import pytest

from tensorgen._kernels import _testing

if np.finfo(np.longdouble).nmant < 63:
    pytest.skip("the reference needs an 80-bit or wider long double", allow_module_level=True)

LD = np.longdouble
DTYPES = [np.float64, np.float32]
# significand bits, smallest normal exponent, largest exponent
FORMATS = {np.float64: (53, -1022, 1023), np.float32: (24, -126, 127)}
MAX_ULP = 2.0  # the functions
MAX_ULP_GRAD = 4.0  # the derivatives of sigmoid and tanh


def missing(build):
    """Why a build cannot run here, or None."""
    try:
        _testing.build_name(build)
    except ValueError as error:
        return str(error)
    return None


BUILDS = [
    "portable",
    *(pytest.param(build, marks=pytest.mark.skipif(missing(build) is not None,
                                                   reason=str(missing(build))))
      for build in ("avx2", "avx512")),
]


def ulp_error(y, ref, dtype):
    """|y - ref| in ulps of dtype at ref, as the module docstring defines it (inf for a
    wrong inf or NaN)."""
    p, emin, emax = FORMATS[dtype]
    y = y.astype(LD)
    with np.errstate(invalid="ignore"):  # inf - inf, NaN: settled below
        return _ulp_error(y, ref, p, emin, emax)


def _ulp_error(y, ref, p, emin, emax):
    _, e = np.frexp(ref)  # |ref| in [2^(e-1), 2^e)
    e = np.where(ref == 0, emin, np.maximum(e - 1, emin))
    err = np.abs(y - ref) / np.ldexp(LD(1), e - p + 1)
    to_inf = np.abs(ref) >= np.ldexp(2 - np.ldexp(LD(1), -p), emax)  # rounds to inf
    same = (y == ref) | (np.isnan(y) & np.isnan(ref))
    same |= to_inf & np.isinf(y) & (np.sign(y) == np.sign(ref))
    wrong = np.isnan(y) | np.isnan(ref) | np.isinf(y) | np.isinf(ref)
    return np.where(same, 0.0, np.where(wrong, np.inf, err)).astype(np.float64)


def test_ulp_error_is_measured_in_the_spacing_at_the_exact_value():
    one = np.float64(1)
    below = np.nextafter(one, 0)
    assert ulp_error(np.array([below]), np.array([LD(1)]), np.float64)[0] == 0.5
    assert ulp_error(np.array([one]), np.array([LD(below)]), np.float64)[0] == 1.0
    tiny = np.finfo(np.float64).smallest_subnormal
    assert ulp_error(np.array([3 * tiny]), np.array([LD(tiny)]), np.float64)[0] == 2.0
    assert ulp_error(np.array([tiny]), np.array([LD(0)]), np.float64)[0] == 1.0
    huge = np.ldexp(LD(1), 1024)
    assert ulp_error(np.array([np.inf]), np.array([huge]), np.float64)[0] == 0.0
    assert ulp_error(np.array([np.inf]), np.array([LD(1)]), np.float64)[0] == np.inf
    assert ulp_error(np.array([np.nan]), np.array([LD(np.nan)]), np.float64)[0] == 0.0


# ---- the references, in long double ----

def ref_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def ref_sigmoid_grad(z):
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def ref_tanh_grad(z):
    e = np.exp(-2 * np.abs(z))
    return 4 * e / (1 + e) ** 2


def ref_softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# hook: (reference of each output, inputs drawn uniformly per dtype, branch points per
# dtype: thresholds of overflow, underflow and subnormal results, of rounding to +-1, the
# ends of a reduction's interval, where the algorithm switches)
FUNCTIONS = {
    "vexp": ((np.exp,),
             {np.float64: (-750, 712), np.float32: (-105, 90)},
             {np.float64: [0, 0.3465735902799727, 1.0397207708399179, 709.782712893384,
                           -708.3964185322641, -745.1332191019411, 710, -746],
              np.float32: [0, 0.34657359, 1.0397208, 88.72284, -87.33655, -103.27893,
                           -103.97208, 89, -104]}),
    "vlog1p": ((np.log1p,),
               {np.float64: (-1, 10), np.float32: (-1, 10)},
               {dtype: [-1, 0, np.sqrt(0.5) - 1, np.sqrt(2) - 1, 1, 2 * np.sqrt(2) - 1,
                        1024 * np.sqrt(2) - 1] for dtype in DTYPES}),
    "vtanh": ((np.tanh,),
              {np.float64: (-25, 25), np.float32: (-12, 12)},
              {np.float64: [0, 2.0**-27, 0.17328679513998632, 0.5493061443340549,
                            19.061547465398498],
               np.float32: [0, 2.0**-12, 0.1732868, 0.54930615, 9.010913]}),
    "vsigmoid": ((ref_sigmoid,),
                 {np.float64: (-750, 750), np.float32: (-105, 105)},
                 {np.float64: [0, 36.7368005696771, -708.3964185322641,
                               -745.1332191019411],
                  np.float32: [0, 16.635532, -87.33655, -103.97208]}),
    "vsoftplus": ((ref_softplus,),
                  {np.float64: (-750, 750), np.float32: (-105, 105)},
                  {np.float64: [0, 36.7368005696771, -708.3964185322641,
                                -745.1332191019411],
                   np.float32: [0, 16.635532, -87.33655, -103.97208]}),
}
FUNCTIONS["vsigmoid_and_grad"] = ((ref_sigmoid, ref_sigmoid_grad), *FUNCTIONS["vsigmoid"][1:])
FUNCTIONS["vtanh_and_grad"] = ((np.tanh, ref_tanh_grad), *FUNCTIONS["vtanh"][1:])


@functools.lru_cache(maxsize=None)
def inputs_and_references(name, dtype):
    """(inputs, the reference of each output) for hook `name`: over 10^6 inputs, uniform
    on its interval; log-spaced magnitudes of both signs from the smallest subnormal to the
    largest finite number; random bit patterns (every kind of number, NaNs included); 2001
    consecutive numbers around each branch point and its negative; +-0, +-inf, NaN."""
    refs, intervals, points = FUNCTIONS[name]
    rng = np.random.default_rng(20240)
    p, emin, emax = FORMATS[dtype]
    magnitudes = np.exp2(np.linspace(emin - p + 1, emax + 0.999, 150_000, dtype=LD))
    uint = np.uint64 if dtype == np.float64 else np.uint32
    steps = np.arange(-1000, 1001)
    near = [dtype(b) + steps * np.spacing(dtype(b)) for b in points[dtype]]
    with np.errstate(all="ignore"):
        parts = [
            rng.uniform(*intervals[dtype], 600_000), magnitudes, -magnitudes,
            *near, *[-b for b in near], [0, -0.0, np.inf, -np.inf, np.nan],
        ]
        x = np.concatenate([
            *(np.asarray(part).astype(dtype) for part in parts),
            rng.integers(0, np.iinfo(uint).max, 100_000, dtype=uint, endpoint=True).view(dtype),
        ])
        return x, tuple(ref(x.astype(LD)) for ref in refs)


CASES = [(name, out) for name, (refs, _, _) in FUNCTIONS.items() for out in range(len(refs))]


def case_id(case):
    name, out = case
    return name[1:] + ("[d]" if out else "")


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_within_2_ulp_of_the_reference_derivatives_4(case, dtype, build, report_line):
    name, out = case
    x, refs = inputs_and_references(name, dtype)
    y = getattr(_testing, name)(x, build)
    y = y[out] if isinstance(y, tuple) else y
    assert y.dtype == dtype
    err = ulp_error(y, refs[out], dtype)
    worst = int(np.argmax(err))
    report_line(f"vmath {case_id(case):14s} {dtype.__name__:7s} {build:8s} max "
                f"{err[worst]:.3f} ulp over {len(x)} inputs")
    bound = MAX_ULP_GRAD if out else MAX_ULP
    assert err[worst] <= bound, f"x = {x[worst]!r}: {y[worst]!r}, exact {refs[out][worst]!r}"


# ---- special values: as C's libm (C99 Annex F) ----

def same(a, b):
    """Bit for bit the same numbers (the sign of 0 too), NaN where NaN (of any sign or
    payload: IEEE 754 leaves them unspecified)."""
    nan = np.isnan(a)
    bits = np.uint64 if a.dtype == np.float64 else np.uint32
    return bool(np.array_equal(nan, np.isnan(b))
                and np.array_equal(a[~nan].view(bits), b[~nan].view(bits)))


inf, nan = np.inf, np.nan
SPECIAL = {  # hook: [(input, each output)]
    "vexp": [(-inf, 0), (inf, inf), (nan, nan), (0.0, 1), (-0.0, 1), (1e4, inf), (-1e4, 0)],
    "vlog1p": [(-1, -inf), (-1.5, nan), (-inf, nan), (inf, inf), (nan, nan), (0.0, 0.0),
               (-0.0, -0.0)],
    "vtanh_and_grad": [(inf, 1, 0), (-inf, -1, 0), (0.0, 0.0, 1), (-0.0, -0.0, 1),
                       (nan, nan, nan), (1e4, 1, 0), (-1e4, -1, 0)],
    "vsigmoid_and_grad": [(inf, 1, 0), (-inf, 0, 0), (nan, nan, nan), (0.0, 0.5, 0.25),
                          (-0.0, 0.5, 0.25), (1e4, 1, 0), (-1e4, 0, 0)],
    "vsoftplus": [(inf, inf), (-inf, 0), (nan, nan), (1e4, 1e4), (-1e4, 0)],
}
SPECIAL["vtanh"] = [case[:2] for case in SPECIAL["vtanh_and_grad"]]
SPECIAL["vsigmoid"] = [case[:2] for case in SPECIAL["vsigmoid_and_grad"]]


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(SPECIAL), ids=lambda name: name[1:])
def test_special_values(name, dtype, build):
    cases = SPECIAL[name]
    x = np.array([case[0] for case in cases], dtype)
    ys = getattr(_testing, name)(x, build)
    for out, y in enumerate(ys if isinstance(ys, tuple) else (ys,)):
        expected = np.array([case[1 + out] for case in cases], dtype)
        assert same(y, expected), (x, y, expected)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_gradual_underflow(dtype, build):
    """exp's results go through every subnormal binade down to the smallest subnormal,
    then 0, as the reference does."""
    tiny = np.finfo(dtype).smallest_subnormal
    powers = np.exp2(np.array([*range(60), np.log2(0.75), -2], LD))  # 0.75 up, 0.25 down
    x = np.log(LD(tiny) * powers).astype(dtype)
    y = _testing.vexp(x, build)
    assert ulp_error(y, np.exp(x.astype(LD)), dtype).max() <= MAX_ULP
    assert y[0] == tiny and y[-2] == tiny and y[-1] == 0 and np.all(np.diff(y[:-2]) > 0)


# ---- the builds ----

def fma_builds():
    """The builds with a fused multiply-add that run here, as (hooks, build) pairs: the
    AVX2 and AVX-512 rows, and the portable build of the module compiled with -mfma."""
    builds = [(_testing, b) for b in ("avx2", "avx512") if missing(b) is None]
    if builds:
        try:
            from tensorgen._kernels import _testing_avx2
        except ImportError:  # not compiled in ($TENSORGEN_NO_AVX2 at build time)
            return builds
        builds.append((_testing_avx2, "portable"))
    return builds


@pytest.mark.skipif(len(fma_builds()) < 2, reason="fewer than two builds with FMA run here")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(FUNCTIONS), ids=lambda name: name[1:])
def test_the_builds_with_fma_agree_bit_for_bit(name, dtype):
    """The same operations, fused the same way: the same numbers, whatever the vectors'
    width (the portable build without FMA rounds some products apart, and differs in the
    last bits)."""
    x, _ = inputs_and_references(name, dtype)
    ys = [getattr(hooks, name)(x, build) for hooks, build in fma_builds()]
    for y in ys[1:]:
        for a, b in zip(ys[0] if isinstance(ys[0], tuple) else (ys[0],),
                        y if isinstance(y, tuple) else (y,)):
            assert same(a, b)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", ["vsigmoid", "vtanh"])
def test_the_value_is_the_same_with_or_without_the_derivative(name, dtype, build):
    x, _ = inputs_and_references(name, dtype)
    a = getattr(_testing, name)(x, build)
    a_with_d, _ = getattr(_testing, f"{name}_and_grad")(x, build)
    assert same(a, a_with_d)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(FUNCTIONS), ids=lambda name: name[1:])
def test_rows_of_any_length_and_alignment(name, dtype, build):
    """The vector loop's remainder and unaligned starts give the same bits."""
    x = np.random.default_rng(1).normal(0, 10, 64).astype(dtype)
    x = np.abs(x) if name == "vlog1p" else x
    whole = getattr(_testing, name)(x, build)
    whole = whole if isinstance(whole, tuple) else (whole,)
    for start in range(4):
        for n in (0, 1, 2, 3, 5, 7, 8, 9, 17, 31):
            part = getattr(_testing, name)(x[start:start + n], build)
            for a, b in zip(part if isinstance(part, tuple) else (part,), whole):
                assert same(a, b[start:start + n])


def test_out_arguments_are_written():
    x = np.linspace(-3, 3, 11)
    out, d_out = np.empty_like(x), np.empty_like(x)
    a, d = _testing.vsigmoid_and_grad(x, out=out, d_out=d_out)
    assert a is out and d is d_out
    assert np.array_equal(a, _testing.vsigmoid(x))


def run_python(code, **env):
    """stdout of Python running code, with env as the only TENSORGEN_NO_* variables."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("TENSORGEN_NO_AVX2", "TENSORGEN_NO_AVX512")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**base, **env}, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_auto_build_is_the_widest_the_cpu_runs_and_the_environment_allows():
    code = "from tensorgen._kernels import _testing; print(_testing.build_name())"
    widest = next((b for b in ("avx512", "avx2") if missing(b) is None), "portable")
    assert run_python(code) == widest
    assert run_python(code, TENSORGEN_NO_AVX2="", TENSORGEN_NO_AVX512="") == widest
    assert run_python(code, TENSORGEN_NO_AVX2="1") == "portable"
    no_avx512 = "avx2" if missing("avx2") is None else "portable"
    assert run_python(code, TENSORGEN_NO_AVX512="1") == no_avx512


# ---- argument checks ----

@pytest.mark.parametrize("x, error, match", [
    ([0.5, 1.0], TypeError, "x must be a numpy array, not list"),
    (np.arange(3), TypeError, "x must have dtype float32 or float64"),
    (np.arange(3, dtype=">f8"), TypeError, "x must have dtype float32 or float64"),
    (np.zeros((2, 2)), ValueError, "x must be 1-D, not 2-D"),
    (np.zeros(6)[::2], ValueError, "x must be C-contiguous"),
])
def test_bad_inputs_are_rejected_by_name(x, error, match):
    with pytest.raises(error, match=match):
        _testing.vexp(x)


def test_bad_arguments_are_rejected_by_name():
    x = np.zeros(3)
    with pytest.raises(TypeError, match="z must be a numpy array"):
        _testing.vsigmoid(None)
    with pytest.raises(ValueError,
                       match="build must be one of auto, portable, avx2, avx512, libm"):
        _testing.vtanh(x, "sse9")
    with pytest.raises(ValueError, match="out must have the dtype and length of the input"):
        _testing.vexp(x, out=np.zeros(4))
    with pytest.raises(ValueError, match="out must have the dtype and length of the input"):
        _testing.vexp(x, out=np.zeros(3, np.float32))
    readonly = np.zeros(3)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        _testing.vexp(x, out=readonly)
    with pytest.raises(ValueError, match="d_out must be C-contiguous"):
        _testing.vtanh_and_grad(x, d_out=np.zeros(6)[::2])
