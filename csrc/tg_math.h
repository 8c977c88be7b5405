/*
 * tg_math.h -- the one definition of every activation and loss in TensorGen.
 *
 * Design: every engine computes exactly these functions. The Cython kernels include this
 * header; the C that the symbolic engine generates at run time includes it too and calls
 * the same tg_* functions, so all engines differentiate the same function.
 *
 * Conventions (double and float, row-major; every count is a ptrdiff_t):
 *   - activations are applied elementwise to a pre-activation z, except softmax (a row);
 *   - a loss is defined per sample on the output pre-activations z (k values) and the
 *     targets y; the network's cost is the mean over samples of the per-sample loss;
 *   - tg_loss_grad_row gives d(loss of one sample)/dz, so the output layer's backward step
 *     is one call whatever the loss/activation pair.
 * Stability: sigmoid, softplus and log-sum-exp never call exp() on a positive argument, so
 * z = +-1000 gives finite values.
 */
#ifndef TG_MATH_H
#define TG_MATH_H

#include <math.h>
#include <stddef.h>

#include "tg_codes.h"
#include "tg_vmath.h"

/* ---- activations and losses, written once over a scalar type ----
 *
 * tg_math_scalar.h is instantiated three times: for double (tg_act, tg_act_row,
 * tg_loss_row, ...), for float (the same names with an _f suffix) and for double complex
 * (_c), which the complex-step finite-difference engine needs. In the real types the
 * sigmoid, tanh, softplus and exp are tg_vmath.h's: branch-free, within 2 ulp, and
 * vectorized in the rows (tg_act_row, tg_act_and_grad_row); a scalar sigmoid or tanh goes
 * through the build the rows run (tg_vsigmoid_d, ...), so that a scalar call and a row
 * compute the same value bit for bit. Every branch tests the real part, so the
 * complex version is the analytic continuation of the real one wherever the real function
 * is analytic; relu and leaky_relu are not analytic at their kink: the complex version
 * picks the branch from Re z, so a complex step gives the true derivative away from z = 0
 * and, at z = 0 itself, the derivative of the branch taken there (tg_act_grad's value).
 */
#define TG_T double
#define TG_REAL 1
#define TG_FN(name) name
#define TG_V(name) name##_d
#define TG_RE(x) (x)
#define TG_F_EXP tg_exp_d
#define TG_F_LOG log
#define TG_F_LOG1P tg_log1p_d
#define TG_F_TANH tg_tanh_d
#include "tg_math_scalar.h"

#define TG_T float
#define TG_REAL 1
#define TG_FN(name) name##_f
#define TG_V(name) name##_f
#define TG_RE(x) (x)
#define TG_F_EXP tg_exp_f
#define TG_F_LOG logf
#define TG_F_LOG1P tg_log1p_f
#define TG_F_TANH tg_tanh_f
#include "tg_math_scalar.h"

#if !defined(__cplusplus) && !defined(__STDC_NO_COMPLEX__)
#include <complex.h>
#define TG_HAVE_COMPLEX 1
/* log(1 + x): the imaginary part, which the complex step reads, is exact to rounding */
static inline double complex tg_clog1p(double complex x) { return clog(1.0 + x); }

#define TG_T double complex
#define TG_REAL 0
#define TG_FN(name) name##_c
#define TG_RE(x) creal(x)
#define TG_F_EXP cexp
#define TG_F_LOG clog
#define TG_F_LOG1P tg_clog1p
#define TG_F_TANH ctanh
#include "tg_math_scalar.h"
#endif

/* the double activations by their own names (the symbolic engine's generated C calls
 * these; the kernels reach them through tg_act) */
static inline double tg_sigmoid(double z) { return tg_sigmoid_d(z); }
static inline double tg_tanh(double z) { return tg_tanh_d(z); }
static inline double tg_softplus(double z) { return tg_softplus_d(z); }

/* ---- the sigmoid of a moved pre-activation, from its cached exp ----
 *
 * The cached finite-difference sweep moves pre-activations z0, whose e0 = exp(-|z0|) it
 * keeps from the unperturbed pass, to nearby z. With s = sign(z0) and u = s (z0 - z),
 * e = e0 exp(u) is exp(-s z), and sigmoid(z) = 1 / (1 + e) (s = 1) or e / (1 + e) (s = -1),
 * whatever the sign of z. For |u| <= TG_SHIFT_MAX, exp(u) is its Taylor polynomial to u^5
 * (the remainder, below u^6 / 720 < 5e-18, is under half an ulp of 1): a few multiply-adds
 * in a loop the compiler vectorizes (branch-free, the numerator blended from s), instead of
 * an exp call and a branch per unit. The value is tg_sigmoid(z) to within a few ulp
 * (tests/test_finite.py checks it). Elements that move further take tg_sigmoid itself.
 */
#define TG_SHIFT_MAX 0x1p-8

/* sigmoid(z) from u = s (z0 - z) and e0, for |u| <= TG_SHIFT_MAX (s = sign of z0) */
static inline double tg_sigmoid_near(double s, double u, double e0)
{
    double e = e0 * (1.0 + u * (1.0 + u * (0.5 + u * (1.0 / 6.0 + u * (1.0 / 24.0
                                                               + u * (1.0 / 120.0))))));
    return (0.5 + 0.5 * s + (0.5 - 0.5 * s) * e) / (1.0 + e);
}

/* sigmoid(z) for one pre-activation moved from z0 (e0 = exp(-|z0|)) */
static inline double tg_sigmoid_shifted(double z0, double e0, double z)
{
    double s = copysign(1.0, z0), u = s * (z0 - z);
    return fabs(u) <= TG_SHIFT_MAX ? tg_sigmoid_near(s, u, e0) : tg_sigmoid(z);
}

/* a = sigmoid(z) for a row of k pre-activations moved from z0 (e0 = exp(-|z0|)) */
static inline void tg_sigmoid_shifted_row(const double *z0, const double *e0, const double *z,
                                          double *a, ptrdiff_t k)
{
    double far = 0.0; /* elements not near z0 (or NaN): a count, exact in any order */
#pragma omp simd reduction(+:far)
    for (ptrdiff_t j = 0; j < k; j++) {
        double s = copysign(1.0, z0[j]), u = s * (z0[j] - z[j]);
        a[j] = tg_sigmoid_near(s, u, e0[j]);
        far += fabs(u) <= TG_SHIFT_MAX ? 0.0 : 1.0;
    }
    if (far != 0.0) {
        for (ptrdiff_t j = 0; j < k; j++) a[j] = tg_sigmoid_shifted(z0[j], e0[j], z[j]);
    }
}

#endif /* TG_MATH_H */
