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
                                          int hidden, int k, int m)
{
    for (ptrdiff_t i = 0; i < n; i++, inp += k, Z += m, A += m) {
        for (int c = 0; c < m; c++) {
            double acc = b[c];
            for (int t = 0; t < k; t++) acc += inp[t] * W[t * m + c];
            Z[c] = acc;
        }
        if (hidden) {
            for (int c = 0; c < m; c++) A[c] = tg_act_and_grad(act, Z[c], &Z[c]);
        } else {
            tg_act_row(act, Z, A, m);
        }
    }
}

/* gW = inp^T dZ, gb = column sums of dZ; unless dA is NULL, dA = (dZ W^T) * dAdZ
 * elementwise (the next layer down's dZ). */
TG_FORCE_INLINE void tg_narrow_backward_km(const double *inp, const double *dZ,
                                           const double *W, const double *dAdZ, double *gW,
                                           double *gb, double *dA, ptrdiff_t n, int k, int m)
{
    double accW[TG_NARROW * TG_NARROW] = {0.0}, accb[TG_NARROW] = {0.0};
    for (ptrdiff_t i = 0; i < n; i++, inp += k, dZ += m) {
        for (int c = 0; c < m; c++) {
            accb[c] += dZ[c];
            for (int t = 0; t < k; t++) accW[t * m + c] += inp[t] * dZ[c];
        }
        if (dA != NULL) {
            for (int t = 0; t < k; t++) {
                double acc = 0.0;
                for (int c = 0; c < m; c++) acc += dZ[c] * W[t * m + c];
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
                                           double scale, int k, int m)
{
    double total = 0.0;
    for (ptrdiff_t i = 0; i < n; i++, inp += k, Z += m, A += m, Y += m, dZ += m) {
        for (int c = 0; c < m; c++) {
            double acc = b[c];
            for (int t = 0; t < k; t++) acc += inp[t] * W[t * m + c];
            Z[c] = acc;
        }
        tg_act_row(act, Z, A, m);
        tg_loss_grad_row(loss, act, Z, A, Y, m, scale, dZ);
        if (flat) {
            for (int c = 0; c < m; c++) total += tg_loss_row(loss, Z + c, A + c, Y + c, 1);
        } else {
            total += tg_loss_row(loss, Z, A, Y, m);
        }
    }
    return total;
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

#endif /* TG_NARROW_H */
