/*
 * tg_math.h -- the one definition of every activation and loss in TensorGen.
 *
 * Design: every engine computes exactly these functions. The Cython kernels include this
 * header; the C that the symbolic engine generates at run time includes it too and calls
 * the same tg_* functions, so all engines differentiate the same function.
 *
 * Conventions (all double precision, row-major; every count is a ptrdiff_t):
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

/* ---- activations and losses, written once over a scalar type ----
 *
 * tg_math_scalar.h is instantiated twice: for double (tg_sigmoid, tg_act_row, tg_loss_row,
 * ...) and for double complex (the same names with a _c suffix), which the complex-step
 * finite-difference engine needs. Every branch tests the real part, so the complex version
 * is the analytic continuation of the real one wherever the real function is analytic;
 * relu and leaky_relu are not analytic at their kink: the complex version picks the branch
 * from Re z, so a complex step gives the true derivative away from z = 0 and, at z = 0
 * itself, the derivative of the branch taken there (the same value as tg_*_grad below).
 */
#define TG_T double
#define TG_FN(name) name
#define TG_RE(x) (x)
#define TG_F_EXP exp
#define TG_F_LOG log
#define TG_F_LOG1P log1p
#define TG_F_TANH tanh
#include "tg_math_scalar.h"

#if !defined(__cplusplus) && !defined(__STDC_NO_COMPLEX__)
#include <complex.h>
#define TG_HAVE_COMPLEX 1
/* log(1 + x): the imaginary part, which the complex step reads, is exact to rounding */
static inline double complex tg_clog1p(double complex x) { return clog(1.0 + x); }

#define TG_T double complex
#define TG_FN(name) name##_c
#define TG_RE(x) creal(x)
#define TG_F_EXP cexp
#define TG_F_LOG clog
#define TG_F_LOG1P tg_clog1p
#define TG_F_TANH ctanh
#include "tg_math_scalar.h"
#endif

/* ---- derivatives (real only) ---- */

static inline double tg_relu_grad(double z) { return z > 0.0 ? 1.0 : 0.0; }

static inline double tg_leaky_relu_grad(double z) { return z > 0.0 ? 1.0 : TG_LEAKY_SLOPE; }

/* d act / dz, given z and a = act(z). Sigmoid and tanh are computed from z, not as
 * a (1 - a) and 1 - a^2: those lose all relative accuracy once a rounds near 1. */
static inline double tg_act_grad(int act, double z, double a)
{
    double e;
    switch (act) {
    case TG_SIGMOID:
        e = exp(-fabs(z));
        return e / ((1.0 + e) * (1.0 + e));
    case TG_TANH:
        e = exp(-2.0 * fabs(z));
        return 4.0 * e / ((1.0 + e) * (1.0 + e));
    case TG_RELU: return tg_relu_grad(z);
    case TG_LEAKY_RELU: return tg_leaky_relu_grad(z);
    default: return 1.0;
    }
}

/* a = act(z) and *d = tg_act_grad(act, z, a), bit for bit, for an elementwise activation:
 * the backward pass's forward keeps d instead of z. The sigmoid shares one exp between
 * the two (the same exp(-|z|) that tg_sigmoid and tg_act_grad each compute). */
static inline double tg_act_and_grad(int act, double z, double *d)
{
    if (act == TG_SIGMOID) {
        double e = exp(-fabs(z));
        *d = e / ((1.0 + e) * (1.0 + e));
        return z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    }
    double a = tg_act(act, z);
    *d = tg_act_grad(act, z, a);
    return a;
}

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

/* scale * d(loss)/dz of one output of an elementwise loss (mse or bce, the output
 * activation not softmax), given a = act(z) and d = act'(z) (which bce does not need) */
static inline double tg_loss_grad_elem(int loss, double a, double y, double d, double scale)
{
    return loss == TG_BCE ? scale * (a - y) : scale * 2.0 * (a - y) * d;
}

/* dz = scale * d(tg_loss_row)/dz for one sample (out_act is the output activation) */
static inline void tg_loss_grad_row(int loss, int out_act, const double *z, const double *a,
                                    const double *y, ptrdiff_t k, double scale, double *dz)
{
    if (loss == TG_BCE) {
        for (ptrdiff_t j = 0; j < k; j++) dz[j] = tg_loss_grad_elem(loss, a[j], y[j], 0.0, scale);
    } else if (loss == TG_CROSS_ENTROPY) {
        double ysum = 0.0;
        for (ptrdiff_t j = 0; j < k; j++) ysum += y[j];
        for (ptrdiff_t j = 0; j < k; j++) dz[j] = scale * (a[j] * ysum - y[j]);
    } else if (out_act == TG_SOFTMAX) {
        /* softmax Jacobian: dz_j = a_j (g_j - sum_i a_i g_i), g = 2 (a - y) */
        double dot = 0.0;
        for (ptrdiff_t j = 0; j < k; j++) dot += a[j] * 2.0 * (a[j] - y[j]);
        for (ptrdiff_t j = 0; j < k; j++) dz[j] = scale * a[j] * (2.0 * (a[j] - y[j]) - dot);
    } else {
        for (ptrdiff_t j = 0; j < k; j++) {
            dz[j] = tg_loss_grad_elem(loss, a[j], y[j], tg_act_grad(out_act, z[j], a[j]), scale);
        }
    }
}

#endif /* TG_MATH_H */
