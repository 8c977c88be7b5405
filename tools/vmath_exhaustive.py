"""Every float32 input (all 2^32 bit patterns) through tg_vmath.h's float rows: the largest
ulp error of each function in each build against a float64 reference (whose own error,
about 2^-29 ulp of float32, does not show), and whether the builds with FMA (AVX2,
AVX-512) agree bit for bit.

Run: PYTHONPATH=$PWD python tools/vmath_exhaustive.py [function ...]   (minutes each)

ulp error as tests/test_vmath.py defines it: in the spacing of float32 numbers in the
binade of the exact value (the subnormal spacing below the normal range).
"""

import sys

import numpy as np

from tensorgen._kernels import _testing

CHUNK = 1 << 24


def ref_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)), e / (1 + e) ** 2


def ref_tanh(z):
    e = np.exp(-2 * np.abs(z))
    return np.tanh(z), 4 * e / (1 + e) ** 2


REFERENCES = {  # hook: the float64 reference of its outputs
    "vexp": lambda x: (np.exp(x),),
    "vlog1p": lambda x: (np.log1p(x),),
    "vsoftplus": lambda z: (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))),),
    "vsigmoid_and_grad": ref_sigmoid,
    "vtanh_and_grad": ref_tanh,
}


def ulp_error(y, ref):
    """|y - ref| in float32 ulps at ref (inf for a wrong inf or NaN), in float64."""
    y = y.astype(np.float64)
    _, e = np.frexp(ref)
    e = np.where(ref == 0, -126, np.maximum(e - 1, -126))
    err = np.abs(y - ref) / np.ldexp(1.0, e - 23)
    to_inf = np.abs(ref) >= np.ldexp(2 - 2.0**-24, 127)
    same = (y == ref) | (np.isnan(y) & np.isnan(ref))
    same |= to_inf & np.isinf(y) & (np.sign(y) == np.sign(ref))
    wrong = np.isnan(y) | np.isnan(ref) | np.isinf(y) | np.isinf(ref)
    return np.where(same, 0.0, np.where(wrong, np.inf, err))


def same(a, b):
    nan = np.isnan(a)
    return np.array_equal(nan, np.isnan(b)) and np.array_equal(a[~nan].view(np.uint32),
                                                               b[~nan].view(np.uint32))


def builds():
    """The builds that run here: portable, and those with FMA (which agree bit for bit)."""
    found = ["portable"]
    for build in ("avx2", "avx512"):
        try:
            _testing.build_name(build)
        except ValueError:
            continue
        found.append(build)
    return found


def sweep(name):
    runs = builds()
    worst = {build: None for build in runs}  # build: [(error, input) per output]
    agree = True
    for start in range(0, 1 << 32, CHUNK):
        x = np.arange(start, start + CHUNK, dtype=np.uint64).astype(np.uint32).view(np.float32)
        ys = [getattr(_testing, name)(x, build) for build in runs]
        ys = [y if isinstance(y, tuple) else (y,) for y in ys]
        agree &= all(same(a, b) for y in ys[2:] for a, b in zip(ys[1], y))
        with np.errstate(all="ignore"):
            refs = REFERENCES[name](x.astype(np.float64))
        for build, y in zip(runs, ys):
            errs = [ulp_error(out, ref) for out, ref in zip(y, refs)]
            found = [(float(err.max()), x[int(err.argmax())]) for err in errs]
            w = worst[build]
            worst[build] = found if w is None else [max(a, b) for a, b in zip(w, found)]
    for build in runs:
        for out, (err, x) in enumerate(worst[build]):
            label = name[1:] + ("[d]" if out else "")
            print(f"{label:18s} {build:8s} max {err:.3f} ulp (at x = {x!r})", flush=True)
    if len(runs) > 2:
        print(f"{name[1:]:18s} builds {'+'.join(runs[1:])} "
              f"{'agree bit for bit' if agree else 'DIFFER'}", flush=True)


if __name__ == "__main__":
    for name in sys.argv[1:] or REFERENCES:
        sweep(name)
