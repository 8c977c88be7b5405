/*
 * tg_vmath.h -- exp, log1p, tanh, sigmoid and softplus in double and float, written to
 * vectorize, and rows of them built three times (portable, AVX2 + FMA, AVX-512) with the
 * build chosen at run time.
 *
 * Design:
 *   scalar   tg_exp_d, tg_exp_f, tg_log1p_*, tg_tanh_*, tg_sigmoid_*, tg_softplus_* and the
 *            pairs tg_sigmoid_and_grad_*, tg_tanh_and_grad_* (value and derivative from one
 *            exp), defined once over the type in tg_vmath_type.h. Branch-free: every path
 *            is computed and the result selected (c ? a : b), so a `#pragma omp simd` loop
 *            over them compiles to blends, not jumps; no libm call but fabs and copysign.
 *   rows     tg_vexp_row_d(x, y, n) and friends: y[i] = f(x[i]) for i < n, ptrdiff_t counts;
 *            y may be x, no other overlap. The sigmoid and tanh rows also give the derivative
 *            where d is not NULL (d may be z). Exp, sigmoid and tanh run in stages
 *            (tg_vmath_type.h), each a loop over a block of TG_VM_BLOCK elements: short
 *            chains of dependent operations, which the processor overlaps across elements
 *            (one loop over the whole function left it waiting on its 80-cycle chain).
 *   builds   every row function exists three times in the compiled module: portable (the
 *            compiler's flags) and, with GCC or Clang on x86, AVX2 + FMA and AVX-512
 *            (F, DQ, VL; 512-bit vectors) through __attribute__((target)), over their own
 *            copies of the scalar functions. tg_vmath_init() picks one table of them once:
 *            the widest that this CPU and OS run (tg_cpu.h), but portable where
 *            $TENSORGEN_NO_AVX2 is set (not empty) and at most AVX2 where $TENSORGEN_NO_AVX512
 *            is. Call it once (module init) before the tg_v*_row functions; until then they
 *            run the portable build. tg_vmath_rows_of(build) gives any table.
 *            (AVX-512 took 0.8-0.9x the AVX2 build's time per element on rows of 68,000,
 *            every function and type but float exp (about equal), on an AMD Zen 4 that
 *            runs 512-bit operations as two 256-bit halves: half the instructions to
 *            schedule per element. $TENSORGEN_NO_AVX512 is for CPUs where it is not.)
 *   one      tg_vsigmoid_d(z), tg_vsigmoid_and_grad_d(z, &d), tg_vtanh_*: one element
 *            through the build in use, the value its rows give. Code that mixes scalar
 *            calls with rows (tg_math.h) calls these.
 * Fused multiply-adds: a build whose target has FMA (AVX2, AVX-512, and the portable build
 * where the compiler's flags give FP_FAST_FMA) fuses every a * b + c written TG_VM_MADD
 * (Cody-Waite reduction, polynomials, corrections): shorter chains, fewer instructions,
 * one rounding less. The portable build on a target without FMA rounds those products
 * apart, and its results differ from the others' in the last bits (within the same
 * bounds). Every build with FMA gives the same results, bit for bit, whatever its vector
 * width; the exact products (division remainders) are the same in all builds (a fused
 * multiply-add, or Dekker's product without FMA).
 * Accuracy: the functions within 2 ulp, the derivatives within 4 ulp, subnormal results
 * included; measured (tests/test_vmath.py, over 10^6 inputs per function, type and build)
 * within 1.0 ulp for the functions and 1.9 ulp for the derivatives. Special values as
 * C99 Annex F (exp(-inf) = 0, log1p(-1) = -inf, tanh(+-0) = +-0, NaN in gives NaN out).
 * Nothing here assumes finite maths: do not compile it with -ffast-math or
 * -ffinite-math-only.
 *
 * Compiler options: the row functions carry two (TG_VMATH_LOOP), whatever the flags of the
 * module including this header; a loop of one's own over the scalar functions needs them
 * too to vectorize and to match the rows:
 *   no-trapping-math  GCC vectorizes a loop with selects only where it may assume that
 *                     floating-point operations do not trap (otherwise it will not evaluate
 *                     both sides of a select). Nobody runs with FP traps enabled, and no
 *                     value changes: NaN and inf behave as before. Clang assumes it already.
 *   fp-contract=off   no fusing but the explicit fma() of TG_VM_MADD (GCC's default
 *                     -ffp-contract=fast fuses wherever the target has FMA, as it sees fit):
 *                     the same roundings in a loop's vector body and its scalar remainder,
 *                     and in every build with FMA.
 */
#ifndef TG_VMATH_H
#define TG_VMATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tg_cpu.h"

/* Clang fuses a * b + c within an expression by default (GCC: see TG_VMATH_LOOP); off
 * from here to the end of this header, where the default comes back. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* Scalar functions are always inlined: GCC inlines nothing into a function whose
 * optimization options (TG_VMATH_LOOP) differ from the callee's, unless told to. */
#if defined(__GNUC__) || defined(__clang__)
#define TG_VM_INLINE static inline __attribute__((always_inline))
#else
#define TG_VM_INLINE static inline
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define TG_VMATH_LOOP __attribute__((optimize("no-trapping-math", "fp-contract=off")))
#else
#define TG_VMATH_LOOP
#endif

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define TG_VMATH_HAVE_AVX2 1
#define TG_VM_AVX2 __attribute__((target("avx2,fma")))
#define TG_VMATH_HAVE_AVX512 1
#ifdef __clang__
#define TG_VM_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#else
#define TG_VM_AVX512                                                                        \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma,prefer-vector-width=512")))
#endif
#else
#define TG_VMATH_HAVE_AVX2 0
#define TG_VMATH_HAVE_AVX512 0
#endif

/* ---- bits of a floating-point number (memcpy compiles to nothing, in vectors too) ---- */

TG_VM_INLINE uint64_t tg_vm_bits_d(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

TG_VM_INLINE double tg_vm_from_bits_d(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

TG_VM_INLINE uint32_t tg_vm_bits_f(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

TG_VM_INLINE float tg_vm_from_bits_f(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* a b + c: one rounding where fused (a fused multiply-add), else two; `fused` is a
 * constant once inlined */
TG_VM_INLINE double tg_vm_madd_d(double a, double b, double c, int fused)
{
    return fused ? fma(a, b, c) : a * b + c;
}

TG_VM_INLINE float tg_vm_madd_f(float a, float b, float c, int fused)
{
    return fused ? fmaf(a, b, c) : a * b + c;
}

/* ---- the fitted polynomials (tools/vmath_coeffs.py), in Estrin's scheme: a shorter
 * chain of dependent operations than Horner's, which bounds these loops ---- */

/* P in exp(r) = 1 + r + r^2 P(r), |r| <= ln2/2; r2 = r^2 */
TG_VM_INLINE double tg_vm_exp_poly_d(double r, double r2, int fused)
{
#define M(a, b, c) tg_vm_madd_d(a, b, c, fused)
    double r4 = r2 * r2;
    double p01 = M(r, 0x1.5555555555556p-3, 0x1.0000000000001p-1);
    double p23 = M(r, 0x1.1111111110918p-7, 0x1.5555555553b6cp-5);
    double p45 = M(r, 0x1.a01a01a83ba17p-13, 0x1.6c16c1794e1dcp-10);
    double p67 = M(r, 0x1.71de0be2b5e96p-19, 0x1.a019b621f9d08p-16);
    double p89 = M(r, 0x1.af3ce42b12b24p-26, 0x1.2894f52583578p-22);
    double q03 = M(r2, p23, p01), q47 = M(r2, p67, p45);
    return M(r4, M(r4, p89, q47), q03);
#undef M
}

TG_VM_INLINE float tg_vm_exp_poly_f(float r, float r2, int fused)
{
#define M(a, b, c) tg_vm_madd_f(a, b, c, fused)
    float p01 = M(r, 0x1.555556p-3f, 0.5f);
    float p23 = M(r, 0x1.1110ep-7f, 0x1.5554e4p-5f);
    float p45 = M(r, 0x1.a12a42p-13f, 0x1.6d492p-10f);
    return M(r2, M(r2, p45, p23), p01);
#undef M
}

/* Q in 2 atanh(s) = 2s + s z Q(z), z = s^2 <= (3 - 2 sqrt(2))^2 */
TG_VM_INLINE double tg_vm_log1p_poly_d(double z)
{
    double z2 = z * z;
    double q01 = 0x1.5555555555558p-1 + z * 0x1.9999999994e76p-2;
    double q23 = 0x1.2492492e6dfddp-2 + z * 0x1.c71c6247410e3p-3;
    double q45 = 0x1.7462e17b4cddp-3 + z * 0x1.39f8963ccbdc2p-3;
    return q01 + z2 * (q23 + z2 * (q45 + z2 * 0x1.2b9f7fb3de73fp-3));
}

TG_VM_INLINE float tg_vm_log1p_poly_f(float z)
{
    float q01 = 0x1.555556p-1f + z * 0x1.9999eep-2f;
    float q23 = 0x1.245b28p-2f + z * 0x1.de0b02p-3f;
    return q01 + (z * z) * q23;
}

/* ---- the functions, once per type and build ---- */

#define TG_VM_T double
#define TG_VM_U uint64_t
#define TG_VM_MANT 52
#define TG_VM_BIAS 1023
#define TG_VM_SPLIT 0x1.000002p27 /* 2^27 + 1 */
#define TG_VM_SHIFT 0x1.8p52
#define TG_VM_INVLN2 0x1.71547652b82fep0
#define TG_VM_LN2_HI 0x1.62e42feep-1 /* 32 significant bits */
#define TG_VM_LN2_LO 0x1.a39ef35793c76p-33
#define TG_VM_KMIN -990.0 /* 2^-KMIN SPLIT finite */
#define TG_VM_EXP_MAX 710.0
#define TG_VM_EXP_MIN -748.0
#define TG_VM_KB 1080 /* k >= -1079 */
#define TG_VM_SQRT1_2_BITS 0x3fe6a09e667f3bcdULL
#define TG_VM_TANH_TINY 0x1p-27
#define TG_VM_FABS fabs
#define TG_VM_COPYSIGN copysign
#define TG_VM_FMA_OF fma
#define TG_VM_BITS tg_vm_bits_d
#define TG_VM_FROM_BITS tg_vm_from_bits_d
#define TG_VM_EXP_POLY tg_vm_exp_poly_d
#define TG_VM_LOG1P_POLY tg_vm_log1p_poly_d

#define TG_VM_FN(f) f##_d
#define TG_VM_ATTR
#ifdef FP_FAST_FMA
#define TG_VM_FMA 1
#else
#define TG_VM_FMA 0
#endif
#include "tg_vmath_type.h"

#if TG_VMATH_HAVE_AVX2
#define TG_VM_FN(f) f##_d_avx2
#define TG_VM_ATTR TG_VM_AVX2
#define TG_VM_FMA 1
#include "tg_vmath_type.h"
#endif

#if TG_VMATH_HAVE_AVX512
#define TG_VM_FN(f) f##_d_avx512
#define TG_VM_ATTR TG_VM_AVX512
#define TG_VM_FMA 1
#include "tg_vmath_type.h"
#endif

#undef TG_VM_T
#undef TG_VM_U
#undef TG_VM_MANT
#undef TG_VM_BIAS
#undef TG_VM_SPLIT
#undef TG_VM_SHIFT
#undef TG_VM_INVLN2
#undef TG_VM_LN2_HI
#undef TG_VM_KMIN
#undef TG_VM_LN2_LO
#undef TG_VM_EXP_MAX
#undef TG_VM_EXP_MIN
#undef TG_VM_KB
#undef TG_VM_SQRT1_2_BITS
#undef TG_VM_TANH_TINY
#undef TG_VM_FABS
#undef TG_VM_COPYSIGN
#undef TG_VM_FMA_OF
#undef TG_VM_BITS
#undef TG_VM_FROM_BITS
#undef TG_VM_EXP_POLY
#undef TG_VM_LOG1P_POLY

#define TG_VM_T float
#define TG_VM_U uint32_t
#define TG_VM_MANT 23
#define TG_VM_BIAS 127
#define TG_VM_SPLIT 0x1.002p12f /* 2^12 + 1 */
#define TG_VM_SHIFT 0x1.8p23f
#define TG_VM_INVLN2 0x1.715476p0f
#define TG_VM_LN2_HI 0x1.62e4p-1f /* 15 significant bits */
#define TG_VM_LN2_LO 0x1.7f7d1cp-20f
#define TG_VM_KMIN -100.0f
#define TG_VM_EXP_MAX 89.0f
#define TG_VM_EXP_MIN -106.0f
#define TG_VM_KB 154 /* k >= -153 */
#define TG_VM_SQRT1_2_BITS 0x3f3504f3U
#define TG_VM_TANH_TINY 0x1p-12f
#define TG_VM_FABS fabsf
#define TG_VM_COPYSIGN copysignf
#define TG_VM_FMA_OF fmaf
#define TG_VM_BITS tg_vm_bits_f
#define TG_VM_FROM_BITS tg_vm_from_bits_f
#define TG_VM_EXP_POLY tg_vm_exp_poly_f
#define TG_VM_LOG1P_POLY tg_vm_log1p_poly_f

#define TG_VM_FN(f) f##_f
#define TG_VM_ATTR
#ifdef FP_FAST_FMAF
#define TG_VM_FMA 1
#else
#define TG_VM_FMA 0
#endif
#include "tg_vmath_type.h"

#if TG_VMATH_HAVE_AVX2
#define TG_VM_FN(f) f##_f_avx2
#define TG_VM_ATTR TG_VM_AVX2
#define TG_VM_FMA 1
#include "tg_vmath_type.h"
#endif

#if TG_VMATH_HAVE_AVX512
#define TG_VM_FN(f) f##_f_avx512
#define TG_VM_ATTR TG_VM_AVX512
#define TG_VM_FMA 1
#include "tg_vmath_type.h"
#endif

#undef TG_VM_T
#undef TG_VM_U
#undef TG_VM_MANT
#undef TG_VM_BIAS
#undef TG_VM_SPLIT
#undef TG_VM_SHIFT
#undef TG_VM_INVLN2
#undef TG_VM_LN2_HI
#undef TG_VM_KMIN
#undef TG_VM_LN2_LO
#undef TG_VM_EXP_MAX
#undef TG_VM_EXP_MIN
#undef TG_VM_KB
#undef TG_VM_SQRT1_2_BITS
#undef TG_VM_TANH_TINY
#undef TG_VM_FABS
#undef TG_VM_COPYSIGN
#undef TG_VM_FMA_OF
#undef TG_VM_BITS
#undef TG_VM_FROM_BITS
#undef TG_VM_EXP_POLY
#undef TG_VM_LOG1P_POLY

/* ---- rows, once per build ---- */

#if defined(__GNUC__) || defined(__clang__)
#define TG_VM_SIMD _Pragma("omp simd")
#else
#define TG_VM_SIMD
#endif

/* y[i] = fn(x[i]) */
#define TG_VM_ROW(attr, name, T, fn)                                                        \
    TG_VMATH_LOOP attr static void name(const T *x, T *y, ptrdiff_t n)                      \
    {                                                                                       \
        TG_VM_SIMD for (ptrdiff_t i = 0; i < n; i++) y[i] = fn(x[i]);                       \
    }

/* Elements per block of a staged row: its stages' numbers stay in the L1 cache. */
#define TG_VM_BLOCK 256

/* The loops of a staged row over one block of m elements x[0..m) (see
 * tg_vmath_type.h): first(x[i]) gives the three numbers k, b, c; mid1 and mid2 update
 * them; `last` is the output loop's statement. */
#define TG_VM_STAGES(T, first, mid1, mid2, last)                                            \
    T k[TG_VM_BLOCK], b[TG_VM_BLOCK], c[TG_VM_BLOCK];                                       \
    for (ptrdiff_t i0 = 0; i0 < n; i0 += TG_VM_BLOCK) {                                     \
        ptrdiff_t m = n - i0 < TG_VM_BLOCK ? n - i0 : TG_VM_BLOCK;                          \
        TG_VM_SIMD for (ptrdiff_t i = 0; i < m; i++) first(x[i0 + i], &k[i], &b[i], &c[i]);  \
        TG_VM_SIMD for (ptrdiff_t i = 0; i < m; i++) mid1(&k[i], &b[i], &c[i]);             \
        TG_VM_SIMD for (ptrdiff_t i = 0; i < m; i++) mid2(&k[i], &b[i], &c[i]);             \
        TG_VM_SIMD for (ptrdiff_t i = 0; i < m; i++) last;                                  \
    }

/* y[i] = out(x[i], k, b, c) after the stages */
#define TG_VM_ROW_STAGED(attr, name, T, first, mid1, mid2, out)                             \
    TG_VMATH_LOOP attr static void name(const T *x, T *y, ptrdiff_t n)                      \
    {                                                                                       \
        TG_VM_STAGES(T, first, mid1, mid2, y[i0 + i] = out(x[i0 + i], k[i], b[i], c[i]))    \
    }

/* y[i] = out(x[i], k, b, c), and d[i] its derivative from out_grad where d is not NULL */
#define TG_VM_ROW_STAGED_GRAD(attr, name, T, first, mid1, mid2, out, out_grad)              \
    TG_VMATH_LOOP attr static void name(const T *x, T *y, T *d, ptrdiff_t n)                \
    {                                                                                       \
        if (d == NULL) {                                                                    \
            TG_VM_STAGES(T, first, mid1, mid2, y[i0 + i] = out(x[i0 + i], k[i], b[i], c[i])) \
        } else {                                                                            \
            TG_VM_STAGES(T, first, mid1, mid2,                                              \
                         y[i0 + i] = out_grad(x[i0 + i], k[i], b[i], c[i], &d[i0 + i]))     \
        }                                                                                   \
    }

/* One element: fn(z), or fn_grad(z, d) where d is not NULL -- the chain of the stages the
 * rows run, compiled alike, so the same bits as a row's element (a row of one would pay
 * for the loops of every stage: a 2-2-1 network's whole step is a dozen of these) */
#define TG_VM_ONE_FN(attr, name, T, fn, fn_grad)                                            \
    TG_VMATH_LOOP attr static T name(T z, T *d)                                             \
    {                                                                                       \
        return d == NULL ? fn(z) : fn_grad(z, d);                                           \
    }

/* One build's row functions, and its one-element sigmoid and tanh. */
typedef struct {
    const char *name;
    void (*exp_d)(const double *x, double *y, ptrdiff_t n);
    void (*exp_f)(const float *x, float *y, ptrdiff_t n);
    void (*log1p_d)(const double *x, double *y, ptrdiff_t n);
    void (*log1p_f)(const float *x, float *y, ptrdiff_t n);
    void (*softplus_d)(const double *z, double *y, ptrdiff_t n);
    void (*softplus_f)(const float *z, float *y, ptrdiff_t n);
    void (*sigmoid_d)(const double *z, double *a, double *d, ptrdiff_t n);
    void (*sigmoid_f)(const float *z, float *a, float *d, ptrdiff_t n);
    void (*tanh_d)(const double *z, double *a, double *d, ptrdiff_t n);
    void (*tanh_f)(const float *z, float *a, float *d, ptrdiff_t n);
    double (*sigmoid1_d)(double z, double *d);
    float (*sigmoid1_f)(float z, float *d);
    double (*tanh1_d)(double z, double *d);
    float (*tanh1_f)(float z, float *d);
} tg_vmath_rows;

/* The rows of one type t (d, f) and build, over the functions named f_<t><sfx> */
#define TG_VM_BUILD_TYPE(build, attr, sfx, t, T)                                            \
    TG_VM_ROW_STAGED(attr, tg_vexp_row_##t##_##build, T, tg_vm_reduce_##t##sfx,             \
                     tg_vm_expm_##t##sfx, tg_vm_nop_##t##sfx, tg_vm_exp_out_##t##sfx)       \
    TG_VM_ROW(attr, tg_vlog1p_row_##t##_##build, T, tg_log1p_##t##sfx)                      \
    TG_VM_ROW(attr, tg_vsoftplus_row_##t##_##build, T, tg_softplus_##t##sfx)                \
    TG_VM_ROW_STAGED_GRAD(attr, tg_vsigmoid_row_##t##_##build, T,                           \
                          tg_vm_reduce_sigmoid_##t##sfx, tg_vm_expm_##t##sfx,               \
                          tg_vm_ratio_##t##sfx, tg_vm_sigmoid_out_##t##sfx,                 \
                          tg_vm_sigmoid_grad_out_##t##sfx)                                  \
    TG_VM_ROW_STAGED_GRAD(attr, tg_vtanh_row_##t##_##build, T, tg_vm_reduce_tanh_##t##sfx,  \
                          tg_vm_expm_##t##sfx, tg_vm_ratio_##t##sfx,                        \
                          tg_vm_tanh_out_##t##sfx, tg_vm_tanh_grad_out_##t##sfx)    \
    TG_VM_ONE_FN(attr, tg_vsigmoid1_##t##_##build, T, tg_sigmoid_##t##sfx,                 \
                 tg_sigmoid_and_grad_##t##sfx)                                              \
    TG_VM_ONE_FN(attr, tg_vtanh1_##t##_##build, T, tg_tanh_##t##sfx, tg_tanh_and_grad_##t##sfx)

/* The row functions and table tg_vmath_<build> of one build */
#define TG_VM_BUILD(build, attr, sfx)                                                       \
    TG_VM_BUILD_TYPE(build, attr, sfx, d, double)                                           \
    TG_VM_BUILD_TYPE(build, attr, sfx, f, float)                                            \
    static const tg_vmath_rows tg_vmath_##build = {                                         \
        #build, tg_vexp_row_d_##build, tg_vexp_row_f_##build, tg_vlog1p_row_d_##build,      \
        tg_vlog1p_row_f_##build, tg_vsoftplus_row_d_##build, tg_vsoftplus_row_f_##build,   \
        tg_vsigmoid_row_d_##build, tg_vsigmoid_row_f_##build, tg_vtanh_row_d_##build,       \
        tg_vtanh_row_f_##build, tg_vsigmoid1_d_##build, tg_vsigmoid1_f_##build,             \
        tg_vtanh1_d_##build, tg_vtanh1_f_##build,                                           \
    };

TG_VM_BUILD(portable, , )
#if TG_VMATH_HAVE_AVX2
TG_VM_BUILD(avx2, TG_VM_AVX2, _avx2)
#endif
#if TG_VMATH_HAVE_AVX512
TG_VM_BUILD(avx512, TG_VM_AVX512, _avx512)
#endif

/* ---- the build in use ---- */

enum { TG_VMATH_AUTO = 0, TG_VMATH_PORTABLE = 1, TG_VMATH_AVX2 = 2, TG_VMATH_AVX512 = 3 };

/* Whether environment variable `name` is set and not empty */
static inline int tg_vmath_env_set(const char *name)
{
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0';
}

/* The table of one build: portable; AVX2 or AVX-512 (NULL where not compiled in or this
 * CPU lacks what it needs); auto, the widest available of them that the environment
 * allows: $TENSORGEN_NO_AVX2 set (not empty) means portable, $TENSORGEN_NO_AVX512 at most
 * AVX2. */
static inline const tg_vmath_rows *tg_vmath_rows_of(int build)
{
    const tg_vmath_rows *avx2 = NULL, *avx512 = NULL;
#if TG_VMATH_HAVE_AVX2
    if (tg_cpu_avx2_fma()) avx2 = &tg_vmath_avx2;
#endif
#if TG_VMATH_HAVE_AVX512
    if (tg_cpu_avx2_fma() && tg_cpu_avx512()) avx512 = &tg_vmath_avx512;
#endif
    if (build == TG_VMATH_PORTABLE) return &tg_vmath_portable;
    if (build == TG_VMATH_AVX2) return avx2;
    if (build == TG_VMATH_AVX512) return avx512;
    if (avx2 == NULL || tg_vmath_env_set("TENSORGEN_NO_AVX2")) return &tg_vmath_portable;
    return avx512 == NULL || tg_vmath_env_set("TENSORGEN_NO_AVX512") ? avx2 : avx512;
}

static const tg_vmath_rows *tg_vmath_active = &tg_vmath_portable;

/* Picks the build the tg_v*_row functions run: once, before any of them is called. */
static inline void tg_vmath_init(void) { tg_vmath_active = tg_vmath_rows_of(TG_VMATH_AUTO); }

static inline void tg_vexp_row_d(const double *x, double *y, ptrdiff_t n)
{
    tg_vmath_active->exp_d(x, y, n);
}

static inline void tg_vexp_row_f(const float *x, float *y, ptrdiff_t n)
{
    tg_vmath_active->exp_f(x, y, n);
}

static inline void tg_vlog1p_row_d(const double *x, double *y, ptrdiff_t n)
{
    tg_vmath_active->log1p_d(x, y, n);
}

static inline void tg_vlog1p_row_f(const float *x, float *y, ptrdiff_t n)
{
    tg_vmath_active->log1p_f(x, y, n);
}

static inline void tg_vsoftplus_row_d(const double *z, double *y, ptrdiff_t n)
{
    tg_vmath_active->softplus_d(z, y, n);
}

static inline void tg_vsoftplus_row_f(const float *z, float *y, ptrdiff_t n)
{
    tg_vmath_active->softplus_f(z, y, n);
}

static inline void tg_vsigmoid_row_d(const double *z, double *a, double *d, ptrdiff_t n)
{
    tg_vmath_active->sigmoid_d(z, a, d, n);
}

static inline void tg_vsigmoid_row_f(const float *z, float *a, float *d, ptrdiff_t n)
{
    tg_vmath_active->sigmoid_f(z, a, d, n);
}

static inline void tg_vtanh_row_d(const double *z, double *a, double *d, ptrdiff_t n)
{
    tg_vmath_active->tanh_d(z, a, d, n);
}

static inline void tg_vtanh_row_f(const float *z, float *a, float *d, ptrdiff_t n)
{
    tg_vmath_active->tanh_f(z, a, d, n);
}

/* ---- one element through the build in use: a row's value, bit for bit ----
 * (the builds differ in the last bits, see above: code that mixes scalar calls with rows
 * calls these, not the tg_sigmoid_d family, which is the portable build's) */

#define TG_VM_ONE(name, T, one)                                                             \
    static inline T name(T z) { return tg_vmath_active->one(z, NULL); }

#define TG_VM_ONE_GRAD(name, T, one)                                                        \
    static inline T name(T z, T *d) { return tg_vmath_active->one(z, d); }

TG_VM_ONE(tg_vsigmoid_d, double, sigmoid1_d)
TG_VM_ONE(tg_vsigmoid_f, float, sigmoid1_f)
TG_VM_ONE_GRAD(tg_vsigmoid_and_grad_d, double, sigmoid1_d)
TG_VM_ONE_GRAD(tg_vsigmoid_and_grad_f, float, sigmoid1_f)
TG_VM_ONE(tg_vtanh_d, double, tanh1_d)
TG_VM_ONE(tg_vtanh_f, float, tanh1_f)
TG_VM_ONE_GRAD(tg_vtanh_and_grad_d, double, tanh1_d)
TG_VM_ONE_GRAD(tg_vtanh_and_grad_f, float, tanh1_f)

#ifdef __clang__
#pragma STDC FP_CONTRACT DEFAULT
#endif

#endif /* TG_VMATH_H */
