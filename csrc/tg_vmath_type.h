/*
 * tg_vmath_type.h -- the functions of tg_vmath.h, written once over a floating type.
 *
 * Included by tg_vmath.h only, once per type and build, with these macros defined:
 *   per build (undefined at the end of this file; no include guard on purpose)
 *     TG_VM_FN(f)   the name of function f here: f_d, f_f, or f_d_avx2, f_f_avx2, ...
 *     TG_VM_ATTR    the attribute of these functions: none, or the build's target
 *     TG_VM_FMA     1 where the target has a fused multiply-add: the build then fuses
 *                   every a b + c written TG_VM_MADD, and exact products use it
 *   per type (undefined by tg_vmath.h)
 *     TG_VM_T, TG_VM_U     the floating type and the unsigned integer of its width
 *     TG_VM_MANT, TG_VM_BIAS   stored significand bits, exponent bias
 *     TG_VM_SPLIT          2^ceil(p/2) + 1: Veltkamp's constant for p significant bits
 *     TG_VM_SHIFT          1.5 * 2^TG_VM_MANT: adding it rounds to an integer held in the
 *                          low bits
 *     TG_VM_INVLN2, TG_VM_LN2_HI, TG_VM_LN2_LO   1/ln2; ln2 in two parts, k ln2_hi exact
 *     TG_VM_EXP_MAX, TG_VM_EXP_MIN   past these, exp is inf or rounds to 0
 *     TG_VM_KB             -(the smallest k) + 1, see tg_vm_pow2_halves
 *     TG_VM_KMIN           the smallest k used as such in sigmoid and tanh (2^-KMIN and
 *                          SPLIT 2^-KMIN finite), see tg_vm_ratio
 *     TG_VM_SQRT1_2_BITS   the bits of sqrt(2)/2
 *     TG_VM_TANH_TINY      below it, tanh x = x to within half an ulp
 *     TG_VM_FABS, TG_VM_COPYSIGN, TG_VM_FMA_OF, TG_VM_BITS, TG_VM_FROM_BITS,
 *     TG_VM_EXP_POLY, TG_VM_LOG1P_POLY   the type's helpers
 * Literals here are integers or exact in both types, so the float functions do no double
 * arithmetic.
 *
 * Stages: exp, sigmoid and tanh are written as stages that pass three numbers (k, b, c)
 * from one to the next -- reduce: x -> (k, r1, dr); expm: -> (k, ph, pl); ratio:
 * -> (k, t, cc) -- and an output function of (x, k, b, c). The scalar functions chain
 * them; the rows run each stage as a loop of its own over a block (tg_vmath.h), which
 * gives the processor short chains of dependent operations to overlap. Numbers stored
 * between stages are exact, so a row gives the scalar function's values bit for bit.
 */

#if TG_VM_FMA
#define TG_VM_MADD(a, b, c) TG_VM_FMA_OF(a, b, c)
#else
#define TG_VM_MADD(a, b, c) ((a) * (b) + (c))
#endif

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

/* c - a b, exact where representable (here: the remainder of a rounded division): one
 * fused multiply-add, or Dekker's product; the same number either way */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_remainder)(TG_VM_T a, TG_VM_T b, TG_VM_T c)
{
#if TG_VM_FMA
    return TG_VM_FMA_OF(-a, b, c);
#else
    TG_VM_T lo;
    TG_VM_T p = TG_VM_FN(tg_vm_two_prod)(a, b, &lo);
    return (c - p) - lo;
#endif
}

/* 2^n for an integer n (a floating-point number) within the normal exponents */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_pow2)(TG_VM_T n)
{
    return TG_VM_FROM_BITS(TG_VM_BITS(n + (TG_VM_SHIFT + TG_VM_BIAS)) << TG_VM_MANT);
}

/* ---- exp ----
 *
 * exp(x) = 2^k exp(r), k = round(x / ln2), r = x - k ln2 in [-ln2/2, ln2/2]:
 * r1 = (x - k ln2_hi) - k ln2_lo (the first difference exact: ln2_hi has few bits) and
 * dr its rounding error. exp(r1 + dr) = h1 + w, h1 = 1 + r1 rounded,
 * w = r1^2 P(r1) + dr + (1 + r1 - h1) (the last term exact: Fast2Sum), summed into
 * p = ph + pl: exp(r) to about twice the type's precision but for P's own error and w's
 * rounding. Valid for |x| < 2^20 or so (k ln2_hi exact); NaN propagates; the output
 * functions select the results beyond EXP_MIN and EXP_MAX.
 */

/* stage reduce: x -> (k, r1, dr) */
TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_reduce)(TG_VM_T x, TG_VM_T *k, TG_VM_T *b,
                                                   TG_VM_T *c)
{
    TG_VM_T kx = TG_VM_MADD(x, TG_VM_INVLN2, TG_VM_SHIFT) - TG_VM_SHIFT;
    TG_VM_T rh = TG_VM_MADD(-kx, TG_VM_LN2_HI, x); /* exact */
    TG_VM_T r1 = TG_VM_MADD(-kx, TG_VM_LN2_LO, rh);
    *c = TG_VM_MADD(-kx, TG_VM_LN2_LO, rh - r1);
    *b = r1;
    *k = kx;
}

/* stage expm: (k, r1, dr) -> (k, ph, pl), exp(r1 + dr) = ph + pl */
TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_expm)(TG_VM_T *k, TG_VM_T *b, TG_VM_T *c)
{
    TG_VM_T r1 = *b, r2 = r1 * r1;
    TG_VM_T h1 = 1 + r1, l1 = (1 - h1) + r1;
    TG_VM_T w = TG_VM_MADD(r2, TG_VM_EXP_POLY(r1, r2, TG_VM_FMA), *c + l1);
    TG_VM_T ph = h1 + w;
    (void)k;
    *c = (h1 - ph) + w;
    *b = ph;
}

/* 2^(k + j) = s1 s2, two normal powers of two (2^(kb / 2 - KB / 2) and the rest,
 * kb = k + j + KB >= 0) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_pow2_halves)(TG_VM_T k, int j, TG_VM_T *s2)
{
    TG_VM_U kb = TG_VM_BITS(k + (TG_VM_SHIFT + (TG_VM_KB + j))) - TG_VM_BITS(TG_VM_SHIFT);
    TG_VM_U h = kb >> 1;
    *s2 = TG_VM_FROM_BITS((kb - h + TG_VM_BIAS - TG_VM_KB + (TG_VM_KB >> 1)) << TG_VM_MANT);
    return TG_VM_FROM_BITS((h + TG_VM_BIAS - (TG_VM_KB >> 1)) << TG_VM_MANT);
}

/* output exp(x) = ph s1 s2: the first product exact, the second exact too, or rounding
 * into the subnormals or to infinity as the true result does; inf or 0 selected beyond
 * EXP_MAX, EXP_MIN */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_exp_out)(TG_VM_T x, TG_VM_T k, TG_VM_T ph,
                                                       TG_VM_T pl)
{
    TG_VM_T s2, s1 = TG_VM_FN(tg_vm_pow2_halves)(k, 0, &s2);
    TG_VM_T y = ph * s1 * s2;
    (void)pl;
    y = x > TG_VM_EXP_MAX ? (TG_VM_T)INFINITY : y;
    return x < TG_VM_EXP_MIN ? 0 : y;
}

TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_exp)(TG_VM_T x)
{
    TG_VM_T k, b, c;
    TG_VM_FN(tg_vm_reduce)(x, &k, &b, &c);
    TG_VM_FN(tg_vm_expm)(&k, &b, &c);
    return TG_VM_FN(tg_vm_exp_out)(x, k, b, c);
}

/* exp(x) = *hi + *lo for x <= 0: hi rounded once, lo its error (meaningless where hi is
 * subnormal); 0 below EXP_MIN */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_exp_lo)(TG_VM_T x, TG_VM_T *lo)
{
    TG_VM_T k, ph, pl, s2, s1;
    TG_VM_FN(tg_vm_reduce)(x, &k, &ph, &pl);
    TG_VM_FN(tg_vm_expm)(&k, &ph, &pl);
    s1 = TG_VM_FN(tg_vm_pow2_halves)(k, 0, &s2);
    *lo = x < TG_VM_EXP_MIN ? 0 : pl * s1 * s2;
    return x < TG_VM_EXP_MIN ? 0 : ph * s1 * s2;
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

/* ---- sigmoid and tanh: E = e / (1 + e), e = exp(-|z|) or exp(-2|z|) ----
 *
 * sigmoid(-|z|) = E with e = exp(-|z|), sigmoid' = E (1 - E);
 * tanh|z| = (1 - e) / (1 + e) = 1 - 2E with e = exp(-2|z|), tanh' = 4E (1 - E).
 * With e = 2^k p (p = ph + pl, above), E = p / (2^-k + p): one division t = ph / dh of
 * the rounded sum dh = 2^-k + ph (its error dl exact: Fast2Sum), corrected by the exact
 * remainder ph - t dh and the low parts, cc = remainder + pl - t dl:
 * E = t + cc / (2^-k + p) = t + cc 2^k (1 - E), the last factor taken as 1 - t.
 * t + cc w (w = 2^k (1 - t)) carries E to about twice the type's precision, so 1 - 2E
 * keeps tanh's relative accuracy as |z| goes to 0 (below TANH_TINY, tanh z = z).
 * Each result is t + cc w, or 1 - a (t + cc w) with 1 - a t summed exactly (Fast2Sum),
 * rounded once, or the product of two of them.
 * 2^-k must be finite: k is clamped to kc >= KMIN, which leaves p 2^kc so small that
 * 1 + p 2^kc = 1 in the rounding, and E is scaled by 2^(k - kc) at the end (rounding
 * once into the subnormals). Below x = EXP_MIN, where E rounds to 0 and the reduction
 * need not hold, E = 0 and 1 - E = 1 are selected.
 */

/* stage ratio: (k, ph, pl) -> (k, t, cc) */
TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_ratio)(TG_VM_T *k, TG_VM_T *b, TG_VM_T *c)
{
    TG_VM_T ph = *b, pl = *c;
    TG_VM_T kc = *k < TG_VM_KMIN ? TG_VM_KMIN : *k;
    TG_VM_T a = TG_VM_FN(tg_vm_pow2)(-kc);
    TG_VM_T dh = a + ph, dl = ((a - dh) + ph) + pl; /* a >= 1 > ph, or a = 1 */
    TG_VM_T t = ph / dh;
    *c = TG_VM_FN(tg_vm_remainder)(t, dh, ph) + TG_VM_MADD(-t, dl, pl);
    *b = t;
}

/* x -> (k, t, cc): the stages in turn */
TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_ratio_at)(TG_VM_T x, TG_VM_T *k, TG_VM_T *b,
                                                     TG_VM_T *c)
{
    TG_VM_FN(tg_vm_reduce)(x, k, b, c);
    TG_VM_FN(tg_vm_expm)(k, b, c);
    TG_VM_FN(tg_vm_ratio)(k, b, c);
}

typedef struct {
    TG_VM_T t, cc, w; /* E' = t + cc w = E 2^(kc - k) */
    TG_VM_T s;        /* 2^(k - kc + j) */
    int far;          /* x < EXP_MIN: E = 0 */
} TG_VM_FN(tg_vm_parts);

TG_VM_INLINE TG_VM_ATTR TG_VM_FN(tg_vm_parts) TG_VM_FN(tg_vm_parts_of)(TG_VM_T x, TG_VM_T k,
                                                                     TG_VM_T t, TG_VM_T cc,
                                                                     int j)
{
    TG_VM_FN(tg_vm_parts) q;
    TG_VM_T kc = k < TG_VM_KMIN ? TG_VM_KMIN : k;
    q.t = t;
    q.cc = cc;
    q.w = (1 - t) * TG_VM_FN(tg_vm_pow2)(kc);
    q.s = TG_VM_FN(tg_vm_pow2)(k - kc + j);
    q.far = x < TG_VM_EXP_MIN;
    return q;
}

/* 2^j E, rounded once */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_e)(TG_VM_FN(tg_vm_parts) q)
{
    TG_VM_T y = TG_VM_MADD(q.cc, q.w * q.s, q.t * q.s);
    return q.far ? 0 : y;
}

/* 1 - a E' rounded once (a t <= 1) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_one_minus)(TG_VM_FN(tg_vm_parts) q, TG_VM_T a)
{
    TG_VM_T at = a * q.t, h = 1 - at;
    TG_VM_T y = h + TG_VM_MADD(-q.cc, a * q.w, (1 - h) - at);
    return q.far ? 1 : y;
}

/* output sigmoid(z): 1 - E (z >= 0) or E, e = exp(-|z|) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_sigmoid_out)(TG_VM_T z, TG_VM_T k, TG_VM_T t,
                                                           TG_VM_T cc)
{
    TG_VM_FN(tg_vm_parts) q = TG_VM_FN(tg_vm_parts_of)(-TG_VM_FABS(z), k, t, cc, 0);
    return z >= 0 ? TG_VM_FN(tg_vm_one_minus)(q, 1) : TG_VM_FN(tg_vm_e)(q);
}

/* output sigmoid(z), and *d = e / (1 + e)^2 = E (1 - E) its derivative */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_sigmoid_grad_out)(TG_VM_T z, TG_VM_T k,
                                                                TG_VM_T t, TG_VM_T cc,
                                                                TG_VM_T *d)
{
    TG_VM_FN(tg_vm_parts) q = TG_VM_FN(tg_vm_parts_of)(-TG_VM_FABS(z), k, t, cc, 0);
    TG_VM_T e = TG_VM_FN(tg_vm_e)(q), r = TG_VM_FN(tg_vm_one_minus)(q, 1);
    *d = e * r;
    return z >= 0 ? r : e;
}

/* output tanh(x) = sign(x) (1 - 2E), e = exp(-2|x|); x itself below TANH_TINY */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_tanh_out)(TG_VM_T x, TG_VM_T k, TG_VM_T t,
                                                        TG_VM_T cc)
{
    TG_VM_FN(tg_vm_parts) q = TG_VM_FN(tg_vm_parts_of)(-2 * TG_VM_FABS(x), k, t, cc, 2);
    TG_VM_T y = TG_VM_COPYSIGN(TG_VM_FN(tg_vm_one_minus)(q, 2), x);
    return TG_VM_FABS(x) < TG_VM_TANH_TINY ? x : y;
}

/* output tanh(x), and *d = 4e / (1 + e)^2 = 4E (1 - E) = 1 - tanh^2 its derivative,
 * accurate in the tails (4E rounded once where it is subnormal: j = 2) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_vm_tanh_grad_out)(TG_VM_T x, TG_VM_T k, TG_VM_T t,
                                                             TG_VM_T cc, TG_VM_T *d)
{
    TG_VM_FN(tg_vm_parts) q = TG_VM_FN(tg_vm_parts_of)(-2 * TG_VM_FABS(x), k, t, cc, 2);
    TG_VM_T y = TG_VM_COPYSIGN(TG_VM_FN(tg_vm_one_minus)(q, 2), x);
    *d = TG_VM_FN(tg_vm_e)(q) * TG_VM_FN(tg_vm_one_minus)(q, 1);
    return TG_VM_FABS(x) < TG_VM_TANH_TINY ? x : y;
}

/* first stages of the rows: reduce -|z| (sigmoid), -2|z| (tanh) */
TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_reduce_sigmoid)(TG_VM_T z, TG_VM_T *k, TG_VM_T *b,
                                                           TG_VM_T *c)
{
    TG_VM_FN(tg_vm_reduce)(-TG_VM_FABS(z), k, b, c);
}

TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_reduce_tanh)(TG_VM_T z, TG_VM_T *k, TG_VM_T *b,
                                                        TG_VM_T *c)
{
    TG_VM_FN(tg_vm_reduce)(-2 * TG_VM_FABS(z), k, b, c);
}

/* sigmoid(z), as tg_math.h's tg_sigmoid */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_sigmoid)(TG_VM_T z)
{
    TG_VM_T k, t, cc;
    TG_VM_FN(tg_vm_ratio_at)(-TG_VM_FABS(z), &k, &t, &cc);
    return TG_VM_FN(tg_vm_sigmoid_out)(z, k, t, cc);
}

/* sigmoid(z), and *d its derivative e / (1 + e)^2, from one exp */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_sigmoid_and_grad)(TG_VM_T z, TG_VM_T *d)
{
    TG_VM_T k, t, cc;
    TG_VM_FN(tg_vm_ratio_at)(-TG_VM_FABS(z), &k, &t, &cc);
    return TG_VM_FN(tg_vm_sigmoid_grad_out)(z, k, t, cc, d);
}

TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_tanh)(TG_VM_T x)
{
    TG_VM_T k, t, cc;
    TG_VM_FN(tg_vm_ratio_at)(-2 * TG_VM_FABS(x), &k, &t, &cc);
    return TG_VM_FN(tg_vm_tanh_out)(x, k, t, cc);
}

/* tanh(x), and *d its derivative 4e / (1 + e)^2, from one exp */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_tanh_and_grad)(TG_VM_T x, TG_VM_T *d)
{
    TG_VM_T k, t, cc;
    TG_VM_FN(tg_vm_ratio_at)(-2 * TG_VM_FABS(x), &k, &t, &cc);
    return TG_VM_FN(tg_vm_tanh_grad_out)(x, k, t, cc, d);
}

/* ---- softplus log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): no overflow ----
 * (z > 0 ? z : 0, not fmax, which would make a NaN 0; exp's low part goes into log1p;
 * z = inf selected, as the exact sum inf + log1p(0) has no low part) */
TG_VM_INLINE TG_VM_ATTR TG_VM_T TG_VM_FN(tg_softplus)(TG_VM_T z)
{
    TG_VM_T el;
    TG_VM_T eh = TG_VM_FN(tg_vm_exp_lo)(-TG_VM_FABS(z), &el);
    TG_VM_T y = TG_VM_FN(tg_vm_log1p_core)(eh, el, z > 0 ? z : 0);
    return z == INFINITY ? z : y;
}

/* a stage that does nothing (rows of fewer stages) */
TG_VM_INLINE TG_VM_ATTR void TG_VM_FN(tg_vm_nop)(TG_VM_T *k, TG_VM_T *b, TG_VM_T *c)
{
    (void)k;
    (void)b;
    (void)c;
}

#undef TG_VM_MADD
#undef TG_VM_FN
#undef TG_VM_ATTR
#undef TG_VM_FMA
