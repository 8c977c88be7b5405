/*
 * tg_narrow.h -- fixed-width kernels for the narrow layers of the reverse engine.
 *
 * Design: a layer with at most TG_NARROW inputs and outputs (XOR's 2-2-1, most toy
 * networks) spends its time in loop control, not arithmetic, when its widths are run-time
 * values. Here one kernel is written over widths k, m and instantiated for every pair
 * (k, m) <= TG_NARROW with k and m constants, so the compiler unrolls the loops over them
 * and keeps the sums in registers; _mlp.pyx picks the instance from the tables
 * tg_narrow_forward, tg_narrow_backward and tg_narrow_output. Only the loop over samples is
 * left. Every sum has the same terms in the same order as the general loops of _mlp.pyx
 * (affine, weight_grad, input_grad, cost), so the results are theirs bit for bit.
 * A network of two narrow layers (XOR's) runs its whole backward pass as one function,
 * tg_narrow2_backward[k - 1][h - 1][m - 1], instantiated for every k, h, m <= TG_NARROW.
 *
 * Row-major, as in _mlp.pyx: inp n x k, W k x m, b m, Z and A n x m.
 */
#ifndef TG_NARROW_H
#define TG_NARROW_H

#include <stddef.h>
#include <string.h>

#include "tg_math.h"

#define TG_NARROW 4

#if defined(_MSC_VER)
#define TG_FORCE_INLINE static __forceinline
#else
#define TG_FORCE_INLINE static inline __attribute__((always_inline))
#endif

/* Z = inp W + b, A = act(Z), sample by sample. hidden: Z receives dA/dZ instead (computed
 * with A, as forward_pass does for hidden layers); otherwise act may be softmax. */
TG_FORCE_INLINE void tg_narrow_forward_km(const double *inp, const double *W, const double *b,
                                          double *Z, double *A, ptrdiff_t n, int act,
                                          int hidden, ptrdiff_t k, ptrdiff_t m)
{
    for (ptrdiff_t i = 0; i < n; i++, inp += k, Z += m, A += m) {
        for (ptrdiff_t c = 0; c < m; c++) {
            double acc = b[c];
            for (ptrdiff_t t = 0; t < k; t++) acc += inp[t] * W[t * m + c];
            Z[c] = acc;
        }
        if (hidden) {
            for (ptrdiff_t c = 0; c < m; c++) A[c] = tg_act_and_grad(act, Z[c], &Z[c]);
        } else {
            tg_act_row(act, Z, A, m);
        }
    }
}

/* gW = inp^T dZ, gb = column sums of dZ; unless dA is NULL, dA = (dZ W^T) * dAdZ
 * elementwise (the next layer down's dZ). */
TG_FORCE_INLINE void tg_narrow_backward_km(const double *inp, const double *dZ,
                                           const double *W, const double *dAdZ, double *gW,
                                           double *gb, double *dA, ptrdiff_t n, ptrdiff_t k, ptrdiff_t m)
{
    double accW[TG_NARROW * TG_NARROW], accb[TG_NARROW];
    for (ptrdiff_t t = 0; t < k * m; t++) accW[t] = 0.0; /* k * m stores, not a memset of all */
    for (ptrdiff_t c = 0; c < m; c++) accb[c] = 0.0;
    for (ptrdiff_t i = 0; i < n; i++, inp += k, dZ += m) {
        for (ptrdiff_t c = 0; c < m; c++) {
            accb[c] += dZ[c];
            for (ptrdiff_t t = 0; t < k; t++) accW[t * m + c] += inp[t] * dZ[c];
        }
        if (dA != NULL) {
            for (ptrdiff_t t = 0; t < k; t++) {
                double acc = 0.0;
                for (ptrdiff_t c = 0; c < m; c++) acc += dZ[c] * W[t * m + c];
                dA[i * k + t] = acc * dAdZ[i * k + t];
            }
        }
    }
    memcpy(gW, accW, (size_t)(k * m) * sizeof(double));
    memcpy(gb, accb, (size_t)m * sizeof(double));
}

/* The output layer in a backward pass: Z, A as tg_narrow_forward_km (not hidden), then
 * dZ = scale * d(loss)/dZ; returns the sum of the samples' losses, added up as cost() in
 * _mlp.pyx does: one running sum over every output if flat (an elementwise loss), else
 * one term per sample. Y: n x m targets. */
TG_FORCE_INLINE double tg_narrow_output_km(const double *inp, const double *W, const double *b,
                                           double *Z, double *A, const double *Y, double *dZ,
                                           ptrdiff_t n, int act, int loss, int flat,
                                           double scale, ptrdiff_t k, ptrdiff_t m)
{
    double total = 0.0;
    for (ptrdiff_t i = 0; i < n; i++, inp += k, Z += m, A += m, Y += m, dZ += m) {
        for (ptrdiff_t c = 0; c < m; c++) {
            double acc = b[c];
            for (ptrdiff_t t = 0; t < k; t++) acc += inp[t] * W[t * m + c];
            Z[c] = acc;
        }
        if (flat) { /* elementwise: A and act' from one evaluation (one exp for sigmoid) */
            for (ptrdiff_t c = 0; c < m; c++) {
                double d;
                A[c] = tg_act_and_grad(act, Z[c], &d);
                dZ[c] = tg_loss_grad_elem(loss, A[c], Y[c], d, scale);
                total += tg_loss_elem(loss, Z[c], A[c], Y[c]);
            }
        } else {
            tg_act_row(act, Z, A, m);
            tg_loss_grad_row(loss, act, Z, A, Y, m, scale, dZ);
            total += tg_loss_row(loss, Z, A, Y, m);
        }
    }
    return total;
}

/* A network of two narrow layers (one hidden layer): forward, loss and backward in one
 * function, the kernels above in the order backward_layers() in _mlp.pyx runs them (so
 * bit for bit its result), with all three widths known to the compiler and no calls
 * between the layers. Layer by layer rather than sample by sample: the exps of a layer's
 * samples are independent and overlap (one sample at a time measured slower).
 * p, g: the parameters and the gradient in the Plan's layout (W0, b0, W1, b1); Z0, A0,
 * Z1, A1, dZ, dA: the workspace blocks. Returns the cost. */
TG_FORCE_INLINE double tg_narrow2_backward_khm(const double *X, const double *Y, ptrdiff_t n,
                                               const double *p, double *g, double *Z0,
                                               double *A0, double *Z1, double *A1, double *dZ,
                                               double *dA, int act0, int act1, int loss,
                                               int flat, ptrdiff_t k, ptrdiff_t h,
                                               ptrdiff_t m)
{
    const double *W0 = p, *b0 = p + k * h, *W1 = b0 + h, *b1 = W1 + h * m;
    double *gW0 = g, *gb0 = g + k * h, *gW1 = gb0 + h, *gb1 = gW1 + h * m;
    double c;
    tg_narrow_forward_km(X, W0, b0, Z0, A0, n, act0, 1, k, h); /* Z0 now holds dA0/dZ0 */
    c = tg_narrow_output_km(A0, W1, b1, Z1, A1, Y, dZ, n, act1, loss, flat, 1.0 / n, h, m) / n;
    tg_narrow_backward_km(A0, dZ, W1, Z0, gW1, gb1, dA, n, h, m);
    tg_narrow_backward_km(X, dA, W0, NULL, gW0, gb0, NULL, n, k, h);
    return c;
}

typedef void (*tg_narrow_forward_fn)(const double *inp, const double *W, const double *b,
                                     double *Z, double *A, ptrdiff_t n, int act, int hidden);
typedef void (*tg_narrow_backward_fn)(const double *inp, const double *dZ, const double *W,
                                      const double *dAdZ, double *gW, double *gb, double *dA,
                                      ptrdiff_t n);
typedef double (*tg_narrow_output_fn)(const double *inp, const double *W, const double *b,
                                      double *Z, double *A, const double *Y, double *dZ,
                                      ptrdiff_t n, int act, int loss, int flat, double scale);

#define TG_NARROW_INSTANCE(K, M)                                                            \
    static void tg_narrow_forward_##K##_##M(const double *inp, const double *W,             \
                                            const double *b, double *Z, double *A,          \
                                            ptrdiff_t n, int act, int hidden)               \
    {                                                                                       \
        tg_narrow_forward_km(inp, W, b, Z, A, n, act, hidden, K, M);                        \
    }                                                                                       \
    static void tg_narrow_backward_##K##_##M(const double *inp, const double *dZ,           \
                                             const double *W, const double *dAdZ,           \
                                             double *gW, double *gb, double *dA,            \
                                             ptrdiff_t n)                                   \
    {                                                                                       \
        tg_narrow_backward_km(inp, dZ, W, dAdZ, gW, gb, dA, n, K, M);                       \
    }                                                                                       \
    static double tg_narrow_output_##K##_##M(const double *inp, const double *W,            \
                                             const double *b, double *Z, double *A,         \
                                             const double *Y, double *dZ, ptrdiff_t n,      \
                                             int act, int loss, int flat, double scale)     \
    {                                                                                       \
        return tg_narrow_output_km(inp, W, b, Z, A, Y, dZ, n, act, loss, flat, scale, K, M);\
    }
#define TG_NARROW_ROW(K) \
    TG_NARROW_INSTANCE(K, 1) TG_NARROW_INSTANCE(K, 2) TG_NARROW_INSTANCE(K, 3) \
    TG_NARROW_INSTANCE(K, 4)
TG_NARROW_ROW(1)
TG_NARROW_ROW(2)
TG_NARROW_ROW(3)
TG_NARROW_ROW(4)

#define TG_NARROW_TABLE_ROW(kind, K) \
    {tg_narrow_##kind##_##K##_1, tg_narrow_##kind##_##K##_2, tg_narrow_##kind##_##K##_3, \
     tg_narrow_##kind##_##K##_4}
#define TG_NARROW_TABLE(kind)                                                   \
    {TG_NARROW_TABLE_ROW(kind, 1), TG_NARROW_TABLE_ROW(kind, 2),                \
     TG_NARROW_TABLE_ROW(kind, 3), TG_NARROW_TABLE_ROW(kind, 4)}

/* the instance for k inputs, m outputs: tg_narrow_forward[k - 1][m - 1] */
static const tg_narrow_forward_fn tg_narrow_forward[TG_NARROW][TG_NARROW] =
    TG_NARROW_TABLE(forward);
static const tg_narrow_backward_fn tg_narrow_backward[TG_NARROW][TG_NARROW] =
    TG_NARROW_TABLE(backward);
static const tg_narrow_output_fn tg_narrow_output[TG_NARROW][TG_NARROW] =
    TG_NARROW_TABLE(output);

typedef double (*tg_narrow2_backward_fn)(const double *X, const double *Y, ptrdiff_t n,
                                         const double *p, double *g, double *Z0, double *A0,
                                         double *Z1, double *A1, double *dZ, double *dA,
                                         int act0, int act1, int loss, int flat);

#define TG_NARROW2_INSTANCE(K, H, M)                                                        \
    static double tg_narrow2_backward_##K##_##H##_##M(                                      \
        const double *X, const double *Y, ptrdiff_t n, const double *p, double *g,          \
        double *Z0, double *A0, double *Z1, double *A1, double *dZ, double *dA, int act0,   \
        int act1, int loss, int flat)                                                       \
    {                                                                                       \
        return tg_narrow2_backward_khm(X, Y, n, p, g, Z0, A0, Z1, A1, dZ, dA, act0, act1,   \
                                       loss, flat, K, H, M);                                \
    }
#define TG_NARROW2_ROW(K, H) \
    TG_NARROW2_INSTANCE(K, H, 1) TG_NARROW2_INSTANCE(K, H, 2) TG_NARROW2_INSTANCE(K, H, 3) \
    TG_NARROW2_INSTANCE(K, H, 4)
#define TG_NARROW2_BLOCK(K) \
    TG_NARROW2_ROW(K, 1) TG_NARROW2_ROW(K, 2) TG_NARROW2_ROW(K, 3) TG_NARROW2_ROW(K, 4)
TG_NARROW2_BLOCK(1)
TG_NARROW2_BLOCK(2)
TG_NARROW2_BLOCK(3)
TG_NARROW2_BLOCK(4)

#define TG_NARROW2_TABLE_ROW(K, H) \
    {tg_narrow2_backward_##K##_##H##_1, tg_narrow2_backward_##K##_##H##_2, \
     tg_narrow2_backward_##K##_##H##_3, tg_narrow2_backward_##K##_##H##_4}
#define TG_NARROW2_TABLE_BLOCK(K)                                                     \
    {TG_NARROW2_TABLE_ROW(K, 1), TG_NARROW2_TABLE_ROW(K, 2), TG_NARROW2_TABLE_ROW(K, 3), \
     TG_NARROW2_TABLE_ROW(K, 4)}

/* the two-layer network k-h-m: tg_narrow2_backward[k - 1][h - 1][m - 1] */
static const tg_narrow2_backward_fn tg_narrow2_backward[TG_NARROW][TG_NARROW][TG_NARROW] = {
    TG_NARROW2_TABLE_BLOCK(1), TG_NARROW2_TABLE_BLOCK(2), TG_NARROW2_TABLE_BLOCK(3),
    TG_NARROW2_TABLE_BLOCK(4)};

#endif /* TG_NARROW_H */
