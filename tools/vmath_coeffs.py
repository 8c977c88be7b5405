"""The polynomial coefficients of csrc/tg_vmath.h: near-minimax fits (Chebyshev
interpolation in 160-bit arithmetic, mpmath), printed as C hex-float literals rounded to
the target type, with the largest relative error of the rounded polynomial.

Run: python tools/vmath_coeffs.py   (a few seconds)
"""

import mpmath as mp

mp.mp.prec = 160

HALF_LN2 = mp.log(2) / 2
# log1p's s = f / (2 + f) for m = 1 + f in [sqrt(2)/2, sqrt(2)): |s| <= 3 - 2 sqrt(2)
S_MAX = 3 - 2 * mp.sqrt(2)


def exp_p(r):
    """P in exp(r) = 1 + r + r^2 P(r)."""
    return mp.mpf(1) / 2 if r == 0 else (mp.exp(r) - 1 - r) / r**2


def log1p_q(z):
    """Q in 2 atanh(s) = 2 s + s z Q(z), z = s^2."""
    s = mp.sqrt(z)
    return mp.mpf(2) / 3 if z == 0 else (2 * mp.atanh(s) - 2 * s) / (s * z)


# name: (function, interval (1% wider than the reduced argument's), degree per type)
FITS = {
    "exp": (exp_p, (-HALF_LN2 * 1.01, HALF_LN2 * 1.01), {"d": 9, "f": 5}),
    "log1p": (log1p_q, (0, S_MAX**2 * 1.01), {"d": 6, "f": 3}),
}
BITS = {"d": 53, "f": 24}


def rounded(c, bits):
    """c rounded to nearest in a binary format with `bits` significant bits."""
    if c == 0:
        return mp.mpf(0)
    q = mp.mpf(2) ** (mp.floor(mp.log(abs(c), 2)) - bits + 1)
    return mp.nint(c / q) * q


def hexfloat(c, suffix):
    """The C hex-float literal of c (exact: c has at most 53 significant bits)."""
    if c == 0:
        return "0.0" + suffix
    e = int(mp.floor(mp.log(abs(c), 2)))
    frac = int(mp.nint((abs(c) / mp.mpf(2) ** e - 1) * mp.mpf(2) ** 52))
    digits = f"{frac:013x}".rstrip("0") or "0"
    return f"{'-' if c < 0 else ''}0x1.{digits}p{e}{suffix}"


def main():
    for name, (g, (lo, hi), degrees) in FITS.items():
        for t, degree in degrees.items():
            coeffs, _ = mp.chebyfit(g, [lo, hi], degree + 1, error=True)
            coeffs = [rounded(c, BITS[t]) for c in coeffs]  # highest degree first
            grid = [lo + (hi - lo) * mp.mpf(j) / 4000 for j in range(4001)]
            worst = max(abs(mp.polyval(coeffs, x) / g(x) - 1) for x in grid)
            print(f"{name}_{t}: degree {degree} on [{mp.nstr(lo, 6)}, {mp.nstr(hi, 6)}], "
                  f"max relative error 2^{mp.nstr(mp.log(worst, 2), 4)}")
            print("    " + ", ".join(hexfloat(c, "f" if t == "f" else "") for c in coeffs))


if __name__ == "__main__":
    main()
