/*
 * tg_math_scalar.h -- activations and per-sample losses, written once over a scalar type.
 *
 * Included by tg_math.h only, once per type, with these macros defined:
 *   TG_T        the scalar type (double, double complex)
 *   TG_FN(f)    the name of function f for this type
 *   TG_RE(x)    the real part of x (branches test it, see tg_math.h)
 *   TG_F_EXP, TG_F_LOG, TG_F_LOG1P, TG_F_TANH   the elementary functions for TG_T
 * and undefines them at the end. No include guard on purpose.
 */

static inline TG_T TG_FN(tg_sigmoid)(TG_T z)
{
    /* exp of a non-positive real part only: finite for z = +-1000 */
    int nonneg = TG_RE(z) >= 0.0;
    TG_T e = TG_F_EXP(nonneg ? -z : z);
    return nonneg ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

static inline TG_T TG_FN(tg_relu)(TG_T z) { return TG_RE(z) > 0.0 ? z : 0.0; }

static inline TG_T TG_FN(tg_leaky_relu)(TG_T z)
{
    return TG_RE(z) > 0.0 ? z : TG_LEAKY_SLOPE * z;
}

/* log(1 + exp(z)) without overflow */
static inline TG_T TG_FN(tg_softplus)(TG_T z)
{
    return TG_RE(z) > 0.0 ? z + TG_F_LOG1P(TG_F_EXP(-z)) : TG_F_LOG1P(TG_F_EXP(z));
}

static inline TG_T TG_FN(tg_act)(int act, TG_T z)
{
    switch (act) {
    case TG_SIGMOID: return TG_FN(tg_sigmoid)(z);
    case TG_TANH: return TG_F_TANH(z);
    case TG_RELU: return TG_FN(tg_relu)(z);
    case TG_LEAKY_RELU: return TG_FN(tg_leaky_relu)(z);
    default: return z;
    }
}

/* ---- rows: softmax, log-sum-exp (shifted by the largest real part; the shift cancels) ---- */

static inline double TG_FN(tg_row_max)(const TG_T *z, ptrdiff_t k)
{
    double m = TG_RE(z[0]);
    for (ptrdiff_t j = 1; j < k; j++) {
        if (TG_RE(z[j]) > m) m = TG_RE(z[j]);
    }
    return m;
}

static inline TG_T TG_FN(tg_logsumexp)(const TG_T *z, ptrdiff_t k)
{
    double m = TG_FN(tg_row_max)(z, k);
    TG_T s = 0.0;
    for (ptrdiff_t j = 0; j < k; j++) s += TG_F_EXP(z[j] - m);
    return m + TG_F_LOG(s);
}

static inline void TG_FN(tg_softmax_row)(const TG_T *z, TG_T *a, ptrdiff_t k)
{
    double m = TG_FN(tg_row_max)(z, k);
    TG_T s = 0.0;
    for (ptrdiff_t j = 0; j < k; j++) {
        a[j] = TG_F_EXP(z[j] - m);
        s += a[j];
    }
    for (ptrdiff_t j = 0; j < k; j++) a[j] /= s;
}

/* a = act(z) for one row of k pre-activations */
static inline void TG_FN(tg_act_row)(int act, const TG_T *z, TG_T *a, ptrdiff_t k)
{
    if (act == TG_SOFTMAX) {
        TG_FN(tg_softmax_row)(z, a, k);
        return;
    }
    for (ptrdiff_t j = 0; j < k; j++) a[j] = TG_FN(tg_act)(act, z[j]);
}

/* ---- losses of one sample ----
 *
 * mse:           sum_k (a_k - y_k)^2                   (any output activation)
 * bce:           sum_k softplus(z_k) - y_k z_k          (sigmoid output; equals
 *                -y log a - (1-y) log(1-a) computed from the logits)
 * cross_entropy: sum_k y_k (logsumexp(z) - z_k)         (softmax output)
 */
/* one output's term of an elementwise loss (mse or bce) */
static inline TG_T TG_FN(tg_loss_elem)(int loss, TG_T z, TG_T a, double y)
{
    return loss == TG_BCE ? TG_FN(tg_softplus)(z) - y * z : (a - y) * (a - y);
}

static inline TG_T TG_FN(tg_loss_row)(int loss, const TG_T *z, const TG_T *a, const double *y,
                                      ptrdiff_t k)
{
    TG_T s = 0.0;
    if (loss == TG_CROSS_ENTROPY) {
        TG_T lse = TG_FN(tg_logsumexp)(z, k);
        for (ptrdiff_t j = 0; j < k; j++) s += y[j] * (lse - z[j]);
    } else {
        for (ptrdiff_t j = 0; j < k; j++) s += TG_FN(tg_loss_elem)(loss, z[j], a[j], y[j]);
    }
    return s;
}

#undef TG_T
#undef TG_FN
#undef TG_RE
#undef TG_F_EXP
#undef TG_F_LOG
#undef TG_F_LOG1P
#undef TG_F_TANH
