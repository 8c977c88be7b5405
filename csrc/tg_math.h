/*
 * tg_math.h -- the one definition of every activation and loss in TensorGen.
 *
 * Design: every engine computes exactly these functions. The Cython kernels include this
 * header; the C that the symbolic engine generates at run time includes it too and calls
 * the same tg_* functions, so all engines differentiate the same function.
 *
 * Conventions (all double precision, row-major):
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

enum {
    TG_IDENTITY = 0,
    TG_SIGMOID = 1,
    TG_TANH = 2,
    TG_RELU = 3,
    TG_LEAKY_RELU = 4,
    TG_SOFTMAX = 5
};

enum { TG_MSE = 0, TG_BCE = 1, TG_CROSS_ENTROPY = 2 };

#define TG_LEAKY_SLOPE 0.01

/* ---- elementwise activations and their derivatives ---- */

static inline double tg_sigmoid(double z)
{
    if (z >= 0.0) {
        return 1.0 / (1.0 + exp(-z));
    }
    double e = exp(z);
    return e / (1.0 + e);
}

static inline double tg_relu(double z) { return z > 0.0 ? z : 0.0; }

static inline double tg_relu_grad(double z) { return z > 0.0 ? 1.0 : 0.0; }

static inline double tg_leaky_relu(double z) { return z > 0.0 ? z : TG_LEAKY_SLOPE * z; }

static inline double tg_leaky_relu_grad(double z) { return z > 0.0 ? 1.0 : TG_LEAKY_SLOPE; }

/* log(1 + exp(z)) without overflow */
static inline double tg_softplus(double z)
{
    return (z > 0.0 ? z : 0.0) + log1p(exp(-fabs(z)));
}

static inline double tg_act(int act, double z)
{
    switch (act) {
    case TG_SIGMOID: return tg_sigmoid(z);
    case TG_TANH: return tanh(z);
    case TG_RELU: return tg_relu(z);
    case TG_LEAKY_RELU: return tg_leaky_relu(z);
    default: return z;
    }
}

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

/* ---- rows: softmax, log-sum-exp ---- */

static inline double tg_row_max(const double *z, int k)
{
    double m = z[0];
    for (int j = 1; j < k; j++) {
        if (z[j] > m) m = z[j];
    }
    return m;
}

static inline double tg_logsumexp(const double *z, int k)
{
    double m = tg_row_max(z, k), s = 0.0;
    for (int j = 0; j < k; j++) s += exp(z[j] - m);
    return m + log(s);
}

static inline void tg_softmax_row(const double *z, double *a, int k)
{
    double m = tg_row_max(z, k), s = 0.0;
    for (int j = 0; j < k; j++) {
        a[j] = exp(z[j] - m);
        s += a[j];
    }
    for (int j = 0; j < k; j++) a[j] /= s;
}

/* a = act(z) for one row of k pre-activations */
static inline void tg_act_row(int act, const double *z, double *a, int k)
{
    if (act == TG_SOFTMAX) {
        tg_softmax_row(z, a, k);
        return;
    }
    for (int j = 0; j < k; j++) a[j] = tg_act(act, z[j]);
}

/* ---- losses of one sample ---- */

/*
 * mse:           sum_k (a_k - y_k)^2                   (any output activation)
 * bce:           sum_k softplus(z_k) - y_k z_k          (sigmoid output; equals
 *                -y log a - (1-y) log(1-a) computed from the logits)
 * cross_entropy: sum_k y_k (logsumexp(z) - z_k)         (softmax output)
 */
static inline double tg_loss_row(int loss, const double *z, const double *a, const double *y,
                                 int k)
{
    double s = 0.0;
    if (loss == TG_BCE) {
        for (int j = 0; j < k; j++) s += tg_softplus(z[j]) - y[j] * z[j];
    } else if (loss == TG_CROSS_ENTROPY) {
        double lse = tg_logsumexp(z, k);
        for (int j = 0; j < k; j++) s += y[j] * (lse - z[j]);
    } else {
        for (int j = 0; j < k; j++) s += (a[j] - y[j]) * (a[j] - y[j]);
    }
    return s;
}

/* dz = scale * d(tg_loss_row)/dz for one sample (out_act is the output activation) */
static inline void tg_loss_grad_row(int loss, int out_act, const double *z, const double *a,
                                    const double *y, int k, double scale, double *dz)
{
    if (loss == TG_BCE) {
        for (int j = 0; j < k; j++) dz[j] = scale * (a[j] - y[j]);
    } else if (loss == TG_CROSS_ENTROPY) {
        double ysum = 0.0;
        for (int j = 0; j < k; j++) ysum += y[j];
        for (int j = 0; j < k; j++) dz[j] = scale * (a[j] * ysum - y[j]);
    } else if (out_act == TG_SOFTMAX) {
        /* softmax Jacobian: dz_j = a_j (g_j - sum_i a_i g_i), g = 2 (a - y) */
        double dot = 0.0;
        for (int j = 0; j < k; j++) dot += a[j] * 2.0 * (a[j] - y[j]);
        for (int j = 0; j < k; j++) dz[j] = scale * a[j] * (2.0 * (a[j] - y[j]) - dot);
    } else {
        for (int j = 0; j < k; j++) {
            dz[j] = scale * 2.0 * (a[j] - y[j]) * tg_act_grad(out_act, z[j], a[j]);
        }
    }
}

#endif /* TG_MATH_H */
