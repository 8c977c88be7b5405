/*
 * tg_math_scalar.h -- activations, per-sample losses and their derivatives, written once
 * over a scalar type.
 *
 * Included by tg_math.h only, once per type, with these macros defined:
 *   TG_T        the scalar type (double, float, double complex)
 *   TG_REAL     1 for double and float: the activations are tg_vmath.h's and the
 *               derivatives and row functions below are defined; 0 for double complex
 *   TG_FN(f)    the name of function f for this type (f, f_f, f_c)
 *   TG_V(f)     (real types) the name of tg_vmath.h's function f for this type (f_d, f_f)
 *   TG_RE(x)    the real part of x (branches test it, see tg_math.h)
 *   TG_F_EXP, TG_F_LOG, TG_F_LOG1P, TG_F_TANH   the elementary functions for TG_T
 * and undefines them at the end. No include guard on purpose.
 */

/* ---- elementwise activations ---- */

#if TG_REAL
/* sigmoid, tanh and softplus are tg_vmath.h's. Sigmoid and tanh go through the build in
 * use (tg_vsigmoid_d, ...), as the rows below do: scalar calls and rows give the same
 * value, bit for bit, whichever build runs. Softplus (bce's cost only) is the scalar
 * function of this compilation, the same in every pass. */
#define TG_SIGMOID(z) TG_V(tg_vsigmoid)(z)
#define TG_TANH(z) TG_V(tg_vtanh)(z)
#define TG_SOFTPLUS(z) TG_V(tg_softplus)(z)
#else
static inline TG_T TG_FN(tg_sigmoid)(TG_T z)
{
    /* exp of a non-positive real part only: finite for z = +-1000 */
    int nonneg = TG_RE(z) >= 0.0;
    TG_T e = TG_F_EXP(nonneg ? -z : z);
    return nonneg ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* log(1 + exp(z)) without overflow */
static inline TG_T TG_FN(tg_softplus)(TG_T z)
{
    return TG_RE(z) > 0.0 ? z + TG_F_LOG1P(TG_F_EXP(-z)) : TG_F_LOG1P(TG_F_EXP(z));
}

#define TG_SIGMOID(z) TG_FN(tg_sigmoid)(z)
#define TG_TANH(z) TG_F_TANH(z)
#define TG_SOFTPLUS(z) TG_FN(tg_softplus)(z)
#endif

static inline TG_T TG_FN(tg_relu)(TG_T z) { return TG_RE(z) > 0.0 ? z : 0.0; }

static inline TG_T TG_FN(tg_leaky_relu)(TG_T z)
{
    return TG_RE(z) > 0.0 ? z : (TG_T)TG_LEAKY_SLOPE * z;
}

static inline TG_T TG_FN(tg_act)(int act, TG_T z)
{
    switch (act) {
    case TG_SIGMOID: return TG_SIGMOID(z);
    case TG_TANH: return TG_TANH(z);
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
    TG_T m = (TG_T)TG_FN(tg_row_max)(z, k);
    TG_T s = 0.0;
    for (ptrdiff_t j = 0; j < k; j++) s += TG_F_EXP(z[j] - m);
    return m + TG_F_LOG(s);
}

static inline void TG_FN(tg_softmax_row)(const TG_T *z, TG_T *a, ptrdiff_t k)
{
    TG_T m = (TG_T)TG_FN(tg_row_max)(z, k);
    TG_T s = 0.0;
    for (ptrdiff_t j = 0; j < k; j++) {
        a[j] = TG_F_EXP(z[j] - m);
        s += a[j];
    }
    for (ptrdiff_t j = 0; j < k; j++) a[j] /= s;
}

/* a = act(z) for one row of k pre-activations (softmax), or k elementwise ones: sigmoid
 * and tanh through tg_vmath.h's vectorized rows, the same values as TG_SIGMOID, TG_TANH */
static inline void TG_FN(tg_act_row)(int act, const TG_T *z, TG_T *a, ptrdiff_t k)
{
    if (act == TG_SOFTMAX) {
        TG_FN(tg_softmax_row)(z, a, k);
        return;
    }
#if TG_REAL
    switch (act) {
    case TG_SIGMOID: TG_V(tg_vsigmoid_row)(z, a, NULL, k); return;
    case TG_TANH: TG_V(tg_vtanh_row)(z, a, NULL, k); return;
    /* a loop per activation, without a switch inside: vectorized */
    case TG_RELU: TG_VM_SIMD for (ptrdiff_t j = 0; j < k; j++) a[j] = TG_FN(tg_relu)(z[j]);
        return;
    case TG_LEAKY_RELU:
        TG_VM_SIMD for (ptrdiff_t j = 0; j < k; j++) a[j] = TG_FN(tg_leaky_relu)(z[j]);
        return;
    default: break;
    }
#endif
    for (ptrdiff_t j = 0; j < k; j++) a[j] = TG_FN(tg_act)(act, z[j]);
}

/* ---- losses of one sample ----
 *
 * mse:           sum_k (a_k - y_k)^2                   (any output activation)
 * bce:           sum_k softplus(z_k) - y_k z_k          (sigmoid output; equals
 *                -y log a - (1-y) log(1-a) computed from the logits)
 * cross_entropy: sum_k y_k (logsumexp(z) - z_k)         (softmax output)
 * Targets y are of the network's type (double for the complex step).
 */
#if TG_REAL
#define TG_Y TG_T
#else
#define TG_Y double
#endif

/* one output's term of an elementwise loss (mse or bce) */
static inline TG_T TG_FN(tg_loss_elem)(int loss, TG_T z, TG_T a, TG_Y y)
{
    return loss == TG_BCE ? TG_SOFTPLUS(z) - y * z : (a - y) * (a - y);
}

static inline TG_T TG_FN(tg_loss_row)(int loss, const TG_T *z, const TG_T *a, const TG_Y *y,
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

#if TG_REAL
/* ---- derivatives ---- */

static inline TG_T TG_FN(tg_relu_grad)(TG_T z) { return z > 0 ? 1 : 0; }

static inline TG_T TG_FN(tg_leaky_relu_grad)(TG_T z)
{
    return z > 0 ? 1 : (TG_T)TG_LEAKY_SLOPE;
}

/* a = act(z) and *d = d act / dz, for an elementwise activation: the sigmoid's and tanh's
 * from one exp, e / (1 + e)^2 and 4e / (1 + e)^2 (not a (1 - a) and 1 - a^2, which lose
 * all relative accuracy once a rounds near 1) */
static inline TG_T TG_FN(tg_act_and_grad)(int act, TG_T z, TG_T *d)
{
    switch (act) {
    case TG_SIGMOID: return TG_V(tg_vsigmoid_and_grad)(z, d);
    case TG_TANH: return TG_V(tg_vtanh_and_grad)(z, d);
    case TG_RELU: *d = TG_FN(tg_relu_grad)(z); return TG_FN(tg_relu)(z);
    case TG_LEAKY_RELU: *d = TG_FN(tg_leaky_relu_grad)(z); return TG_FN(tg_leaky_relu)(z);
    default: *d = 1; return z;
    }
}

/* d act / dz, given z and a = act(z) (the same value as tg_act_and_grad's *d) */
static inline TG_T TG_FN(tg_act_grad)(int act, TG_T z, TG_T a)
{
    TG_T d;
    (void)a;
    TG_FN(tg_act_and_grad)(act, z, &d);
    return d;
}

/* a = act(z), d = act'(z) for k pre-activations of an elementwise activation, d may be z
 * (each d[j] replaces the z[j] it came from): tg_act_and_grad over a row, vectorized (a
 * loop per activation, without a switch inside; each z[j] is read before d[j] is written,
 * so the simd loops are right when d is z) */
static inline void TG_FN(tg_act_and_grad_row)(int act, const TG_T *z, TG_T *a, TG_T *d,
                                              ptrdiff_t k)
{
    switch (act) {
    case TG_SIGMOID: TG_V(tg_vsigmoid_row)(z, a, d, k); return;
    case TG_TANH: TG_V(tg_vtanh_row)(z, a, d, k); return;
    case TG_RELU:
        TG_VM_SIMD for (ptrdiff_t j = 0; j < k; j++) {
            TG_T zj = z[j];
            a[j] = TG_FN(tg_relu)(zj);
            d[j] = TG_FN(tg_relu_grad)(zj);
        }
        return;
    case TG_LEAKY_RELU:
        TG_VM_SIMD for (ptrdiff_t j = 0; j < k; j++) {
            TG_T zj = z[j];
            a[j] = TG_FN(tg_leaky_relu)(zj);
            d[j] = TG_FN(tg_leaky_relu_grad)(zj);
        }
        return;
    default:
        for (ptrdiff_t j = 0; j < k; j++) a[j] = TG_FN(tg_act_and_grad)(act, z[j], &d[j]);
    }
}

/* scale * d(loss)/dz of one output of an elementwise loss (mse or bce, the output
 * activation not softmax), given a = act(z) and d = act'(z) (which bce does not need) */
static inline TG_T TG_FN(tg_loss_grad_elem)(int loss, TG_T a, TG_T y, TG_T d, TG_T scale)
{
    return loss == TG_BCE ? scale * (a - y) : scale * 2 * (a - y) * d;
}

/* dz = scale * d(tg_loss_row)/dz for one sample (out_act is the output activation) */
static inline void TG_FN(tg_loss_grad_row)(int loss, int out_act, const TG_T *z,
                                           const TG_T *a, const TG_T *y, ptrdiff_t k,
                                           TG_T scale, TG_T *dz)
{
    if (loss == TG_BCE) {
        for (ptrdiff_t j = 0; j < k; j++) {
            dz[j] = TG_FN(tg_loss_grad_elem)(loss, a[j], y[j], 0, scale);
        }
    } else if (loss == TG_CROSS_ENTROPY) {
        TG_T ysum = 0;
        for (ptrdiff_t j = 0; j < k; j++) ysum += y[j];
        for (ptrdiff_t j = 0; j < k; j++) dz[j] = scale * (a[j] * ysum - y[j]);
    } else if (out_act == TG_SOFTMAX) {
        /* softmax Jacobian: dz_j = a_j (g_j - sum_i a_i g_i), g = 2 (a - y) */
        TG_T dot = 0;
        for (ptrdiff_t j = 0; j < k; j++) dot += a[j] * 2 * (a[j] - y[j]);
        for (ptrdiff_t j = 0; j < k; j++) dz[j] = scale * a[j] * (2 * (a[j] - y[j]) - dot);
    } else {
        /* act' a chunk at a time through the rows (which recompute a, here unused) */
        TG_T a_again[64], d[64];
        for (ptrdiff_t j0 = 0; j0 < k; j0 += 64) {
            ptrdiff_t m = k - j0 < 64 ? k - j0 : 64;
            TG_FN(tg_act_and_grad_row)(out_act, z + j0, a_again, d, m);
            for (ptrdiff_t j = 0; j < m; j++) {
                dz[j0 + j] = TG_FN(tg_loss_grad_elem)(loss, a[j0 + j], y[j0 + j], d[j], scale);
            }
        }
    }
}
#endif /* TG_REAL */

#undef TG_Y
#undef TG_SIGMOID
#undef TG_TANH
#undef TG_SOFTPLUS
#undef TG_T
#undef TG_REAL
#undef TG_FN
#undef TG_V
#undef TG_RE
#undef TG_F_EXP
#undef TG_F_LOG
#undef TG_F_LOG1P
#undef TG_F_TANH
