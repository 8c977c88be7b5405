/*
 * tg_vmath_type.h -- the functions of tg_vmath.h, written once over a floating type.
 *
 * Included by tg_vmath.h only, once per type and build, with these macros defined:
 *   per build (undefined at the end of this file; no include guard on purpose)
 *     TG_VM_FN(f)   the name of function f here: f_d, f_f, or f_d_avx2, f_f_avx2
 *     TG_VM_ATTR    the attribute of these functions: none, or the AVX2 target
 *     TG_VM_FMA     1 where the target has a fused multiply-add (exact products use it)
 *   per type (undefined by tg_vmath.h)
 *     TG_VM_T, TG_VM_U     the floating type and the unsigned integer of its width
 *     TG_VM_MANT, TG_VM_BIAS   stored significand bits, exponent bias
 *     TG_VM_SPLIT          2^ceil(p/2) + 1: Veltkamp's constant for p significant bits
 *     TG_VM_SHIFT          1.5 * 2^TG_VM_MANT: adding it rounds to an integer held in the
 *                          low bits
 *     TG_VM_INVLN2, TG_VM_LN2_HI, TG_VM_LN2_LO   1/ln2; ln2 in two parts, k ln2_hi exact
 *     TG_VM_EXP_MAX, TG_VM_EXP_MIN   past these, 2^j exp is inf or 0 (j <= 2)
 *     TG_VM_KB             -(the smallest k) + 1, see tg_vm_exp2
 *     TG_VM_SQRT1_2_BITS   the bits of sqrt(2)/2
 *     TG_VM_TANH_TINY      below it, tanh x = x to within half an ulp
 *     TG_VM_FABS, TG_VM_COPYSIGN, TG_VM_FMA_OF, TG_VM_BITS, TG_VM_FROM_BITS,
 *     TG_VM_EXP_POLY, TG_VM_LOG1P_POLY   the type's helpers
 * Literals here are integers or exact in both types, so the float functions do no double
 * arithmetic.
 *
 * Accuracy comes from carrying the roundings that would matter as a second, low part
 * (double-double style): exp gives e = hi + lo; a reciprocal 1 / q is corrected by the
 * exact remainder 1 - t q, whose product t q comes exactly from tg_vm_two_prod; the result
 * rounds once.
 */

/* hi + *lo = a b exactly (no overflow or underflow here): the error of the rounded
 * product by a fused multiply-add, or else by Dekker's product of halves (split by
 * Veltkamp's constant; its products must be rounded, not fused: see tg_vmath.h). */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_two_prod)(TG_VM_T a, TG_VM_T b, TG_VM_T *lo)
{
    TG_VM_T p = a * b;
#if TG_VM_FMA
    *lo = TG_VM_FMA_OF(a, b, -p);
#else
    TG_VM_T ca = TG_VM_SPLIT * a, cb = TG_VM_SPLIT * b;
    TG_VM_T ah = ca - (ca - a), bh = cb - (cb - b);
    TG_VM_T al = a - ah, bl = b - bh;
    *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
    return p;
}

/* ---- exp ----
 *
 * 2^j exp(x) = 2^(j+k) exp(r), k = round(x / ln2), r = x - k ln2 in [-ln2/2, ln2/2]
 * (j = 0 but for tanh's derivative 4e, which this rounds once where it is subnormal,
 * instead of rounding e and then 4e, with up to four times the error). The rounding
 * error dr of r (k ln2_hi is exact) is kept, and exp(r + dr) = 1 + r + (r^2 P(r) + dr),
 * 1 + r summed exactly (Fast2Sum). The significand comes out as hi + *lo, hi rounded
 * once. 2^(j+k) is applied as two normal powers of two 2^k1 2^k2 (k1 + k2 = j + k): the
 * first product is exact, the second exact too, or rounding into the subnormals or to
 * infinity as the true result does (a subnormal result is so rounded twice; measured:
 * within 0.75 ulp, a normal one within 0.67). x is clamped to where the result is 0 or
 * inf anyway, which bounds k; a comparison lets NaN through (its garbage k wraps in
 * unsigned arithmetic: defined).
 * *lo is exact scaling of the low part (meaningless once the result is subnormal, where
 * no caller needs it).
 */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_exp2)(TG_VM_T x, int j, TG_VM_T *lo)
{
    TG_VM_T xc = x > TG_VM_EXP_MAX ? TG_VM_EXP_MAX : (x < TG_VM_EXP_MIN ? TG_VM_EXP_MIN : x);
    TG_VM_T t = xc * TG_VM_INVLN2 + TG_VM_SHIFT;
    TG_VM_T k = t - TG_VM_SHIFT;
    TG_VM_T rh = xc - k * TG_VM_LN2_HI, rl = -k * TG_VM_LN2_LO;
    TG_VM_T r = rh + rl, dr = (rh - r) + rl;
    TG_VM_T h1 = 1 + r, l1 = (1 - h1) + r;
    TG_VM_T r2 = r * r;
    TG_VM_T tail = l1 + (r2 * TG_VM_EXP_POLY(r, r2) + dr);
    TG_VM_T ph = h1 + tail, pl = (h1 - ph) + tail;
    /* kb = j + k + KB >= 1; k1 = kb / 2 - KB / 2, k2 = j + k - k1, both normal exponents */
    TG_VM_U kb = TG_VM_BITS(t) - TG_VM_BITS(TG_VM_SHIFT) + (TG_VM_U)(TG_VM_KB + j);
    TG_VM_U h = kb >> 1;
    TG_VM_T s1 = TG_VM_FROM_BITS((h + TG_VM_BIAS - (TG_VM_KB >> 1)) << TG_VM_MANT);
    TG_VM_T s2 = TG_VM_FROM_BITS((kb - h + TG_VM_BIAS - TG_VM_KB + (TG_VM_KB >> 1)) << TG_VM_MANT);
    *lo = pl * s1 * s2;
    return ph * s1 * s2;
}

TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_exp)(TG_VM_T x)
{
    TG_VM_T lo;
    return TG_VM_FN(tg_vm_exp2)(x, 0, &lo);
}

/* ---- log1p ----
 *
 * u = 1 + x rounded = 2^k m, m in [sqrt(2)/2, sqrt(2)), from the bits: k is the top bits
 * of bits(u) - bits(sqrt(2)/2), sign-extended and made a floating-point number through
 * TG_VM_SHIFT. With f = m - 1 (exact) and s = f / (2 + f),
 * log(m) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + s^2 Q(s^2)), summed as fdlibm's log1p, and
 * log1p(x) = k ln2 + log(m) + c / u, c the rounding error of u (exact: Fast2Sum, the
 * larger operand first). For k = 0 (x in [sqrt(2)/2 - 1, sqrt(2) - 1)) f is x itself and
 * c is 0, which keeps small x accurate. For softplus, lo0 is a low part of x and the
 * result is add + log1p, rounded once: add + k ln2_hi is summed exactly (TwoSum), so
 * that log1p's own rounding does not add to the sum's.
 * Valid for 0 <= x < inf: tg_log1p selects the other inputs.
 */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_log1p_core)(TG_VM_T x, TG_VM_T lo0, TG_VM_T add)
{
    const TG_VM_U sign_bit = (TG_VM_U)1 << (8 * sizeof(TG_VM_T) - TG_VM_MANT - 1);
    TG_VM_T u = 1 + x;
    TG_VM_U tmp = TG_VM_BITS(u) - TG_VM_SQRT1_2_BITS;
    TG_VM_T m = TG_VM_FROM_BITS(TG_VM_BITS(u) - (tmp & ~(((TG_VM_U)1 << TG_VM_MANT) - 1)));
    TG_VM_T k = TG_VM_FROM_BITS(((tmp >> TG_VM_MANT) ^ sign_bit) + TG_VM_BITS(TG_VM_SHIFT))
                - (TG_VM_SHIFT + (TG_VM_T)sign_bit);
    TG_VM_T big = TG_VM_FABS(x) < 1 ? 1 : x, small = TG_VM_FABS(x) < 1 ? x : 1;
    TG_VM_T c = (k == 0 ? 0 : small - (u - big)) + lo0;
    TG_VM_T f = k == 0 ? x : m - 1;
    TG_VM_T s = f / (2 + f);
    TG_VM_T z = s * s;
    TG_VM_T hfsq = f * f / 2;
    TG_VM_T w = hfsq - (s * (hfsq + z * TG_VM_LOG1P_POLY(z))
                        + (k * TG_VM_LN2_LO + c / u));
    TG_VM_T kh = k * TG_VM_LN2_HI, sum = add + kh, bb = sum - add;
    TG_VM_T sum_lo = (add - (sum - bb)) + (kh - bb);
    return sum - ((w - f) - sum_lo);
}

/* x <= -1 and x = inf, where the core's bit tricks do not hold, are selected after;
 * copysign gives log1p(-0) = -0. A NaN propagates through the core's arithmetic. */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_log1p)(TG_VM_T x)
{
    TG_VM_T y = TG_VM_COPYSIGN(TG_VM_FN(tg_vm_log1p_core)(x, 0, 0), x);
    y = x == INFINITY ? x : y;
    y = x == -1 ? -INFINITY : y;
    return x < -1 ? NAN : y;
}

/* ---- sigmoid and tanh: rational functions of e = exp(-|z|) or exp(-2|z|) ----
 *
 * From 2^j e = eh + el (0 <= e <= 1, NaN for NaN): the reciprocal R = 1 / (1 + e) and
 * A = 2^j e / (1 + e) = 2^j e R, each as hi + lo to about twice the type's precision:
 *   1 + e = qh + ql exactly (Fast2Sum); R = t + t rho, t = 1 / qh rounded,
 *   rho = 1 - t (qh + ql), with t qh exact (two-product; 1 - t qh is exact too);
 *   A = 2^j e R, the product of its high parts exact.
 * Then, with j = 0, sigmoid = R (z >= 0) or A and its derivative e / (1 + e)^2 = A R;
 * with j = 2, tanh|z| = (1 - e) / (1 + e) = 1 - A/2 and its derivative
 * 4e / (1 + e)^2 = A R: each one sum or product of these parts, rounded once.
 * No overflow: e <= 1.
 */
typedef struct {
    TG_VM_T rh, rl; /* R = 1 / (1 + e) */
    TG_VM_T ah, al; /* A = 2^j e / (1 + e) */
} TG_VM_FN(tg_vm_ratios);

TG_VM_INLINE TG_VM_ATTR TG_VM_FN(tg_vm_ratios) TG_VM_FN(tg_vm_ratios_at)(TG_VM_T x, int j)
{
    TG_VM_FN(tg_vm_ratios) q;
    TG_VM_T el;
    TG_VM_T eh = TG_VM_FN(tg_vm_exp2)(x, j, &el);
    TG_VM_T unscale = 1 / (TG_VM_T)(1 << j); /* exact; inexact only where e is far below
                                                 an ulp of 1 + e */
    TG_VM_T qh = 1 + eh * unscale, ql = ((1 - qh) + eh * unscale) + el * unscale;
    TG_VM_T t = 1 / qh, p_lo;
    TG_VM_T p = TG_VM_FN(tg_vm_two_prod)(t, qh, &p_lo);
    q.rh = t;
    q.rl = t * (((1 - p) - p_lo) - t * ql);
    q.ah = TG_VM_FN(tg_vm_two_prod)(eh, q.rh, &q.al);
    q.al += eh * q.rl + el * q.rh;
    return q;
}

/* A R rounded once */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_ratios_product)(TG_VM_FN(tg_vm_ratios) q)
{
    TG_VM_T lo;
    TG_VM_T hi = TG_VM_FN(tg_vm_two_prod)(q.ah, q.rh, &lo);
    return hi + (lo + (q.ah * q.rl + q.al * q.rh));
}

/* 1 - A/2 rounded once (j = 2; 1 - ah/2 summed exactly: Fast2Sum, ah/2 <= 1) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_one_minus_half_a)(TG_VM_FN(tg_vm_ratios) q)
{
    TG_VM_T s = 1 - q.ah / 2;
    return s + (((1 - s) - q.ah / 2) - q.al / 2);
}

/* sigmoid(z): R (z >= 0) or A, e = exp(-|z|), as tg_math.h's tg_sigmoid */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_sigmoid)(TG_VM_T z)
{
    TG_VM_FN(tg_vm_ratios) q = TG_VM_FN(tg_vm_ratios_at)(-TG_VM_FABS(z), 0);
    return z >= 0 ? q.rh + q.rl : q.ah + q.al;
}

/* sigmoid(z), and *d = e / (1 + e)^2 its derivative, from one exp */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_sigmoid_and_grad)(TG_VM_T z, TG_VM_T *d)
{
    TG_VM_FN(tg_vm_ratios) q = TG_VM_FN(tg_vm_ratios_at)(-TG_VM_FABS(z), 0);
    *d = TG_VM_FN(tg_vm_ratios_product)(q);
    return z >= 0 ? q.rh + q.rl : q.ah + q.al;
}

/* tanh(x) = sign(x) (1 - A/2), e = exp(-2|x|); x itself below TANH_TINY, where tanh x
 * rounds to x and 1 - A/2, carried to an absolute accuracy of about 2^-2p, would lose its
 * relative accuracy as x goes to 0 */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_tanh)(TG_VM_T x)
{
    TG_VM_FN(tg_vm_ratios) q = TG_VM_FN(tg_vm_ratios_at)(-2 * TG_VM_FABS(x), 2);
    TG_VM_T y = TG_VM_COPYSIGN(TG_VM_FN(tg_vm_one_minus_half_a)(q), x);
    return TG_VM_FABS(x) < TG_VM_TANH_TINY ? x : y;
}

/* tanh(x), and *d = 4e / (1 + e)^2 = 1 - tanh^2 its derivative, accurate in the tails */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_tanh_and_grad)(TG_VM_T x, TG_VM_T *d)
{
    TG_VM_FN(tg_vm_ratios) q = TG_VM_FN(tg_vm_ratios_at)(-2 * TG_VM_FABS(x), 2);
    TG_VM_T y = TG_VM_COPYSIGN(TG_VM_FN(tg_vm_one_minus_half_a)(q), x);
    *d = TG_VM_FN(tg_vm_ratios_product)(q);
    return TG_VM_FABS(x) < TG_VM_TANH_TINY ? x : y;
}

/* ---- softplus log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): no overflow ----
 * (z > 0 ? z : 0, not fmax, which would make a NaN 0; exp's low part goes into log1p;
 * z = inf selected, as the exact sum inf + log1p(0) has no low part) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_softplus)(TG_VM_T z)
{
    TG_VM_T el;
    TG_VM_T eh = TG_VM_FN(tg_vm_exp2)(-TG_VM_FABS(z), 0, &el);
    TG_VM_T y = TG_VM_FN(tg_vm_log1p_core)(eh, el, z > 0 ? z : 0);
    return z == INFINITY ? z : y;
}

#undef TG_VM_FN
#undef TG_VM_ATTR
#undef TG_VM_FMA
