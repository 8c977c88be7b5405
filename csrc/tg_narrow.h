/*
 * tg_narrow.h -- fixed-width kernels for the narrow layers of the reverse engine.
 *
 * Design: a layer with at most TG_NARROW inputs and outputs (XOR's 2-2-1, most toy
 * networks) spends its time in loop control, not arithmetic, when its widths are run-time
 * values. Here one kernel is written over widths k, m and instantiated for every pair
 * (k, m) <= TG_NARROW with k and m constants, so the compiler unrolls the loops over them
 * and keeps the sums in registers; _mlp.pyx picks the instance from the tables
 * tg_narrow_forward_d, tg_narrow_backward_d and tg_narrow_output_d (double) or their _f
 * twins (float). Only the loop over samples is left. Every sum has the same terms in the same order as the general loops of _mlp.pyx
 * (affine, weight_grad, input_grad, cost), so the results are theirs bit for bit.
 * A network of two narrow layers (XOR's) runs its whole backward pass as one function,
 * tg_narrow2_backward_d[k - 1][h - 1][m - 1] (_f), instantiated for every k, h, m <=
 * TG_NARROW.
 * The kernels are written once, over the floating type, in tg_narrow_type.h, which this
 * header includes twice; costs are summed in double in both types.
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


/* The instances and tables of tg_narrow_type.h (TG_N names them for the type in hand). */
#define TG_NARROW_INSTANCE(K, M)                                                            \
    static void TG_N(tg_narrow_forward_##K##_##M)(const TG_T *inp, const TG_T *W,             \
                                            const TG_T *b, TG_T *Z, TG_T *A,          \
                                            ptrdiff_t n, int act, int hidden)               \
    {                                                                                       \
        TG_N(tg_narrow_forward_km)(inp, W, b, Z, A, n, act, hidden, K, M);                        \
    }                                                                                       \
    static void TG_N(tg_narrow_backward_##K##_##M)(const TG_T *inp, const TG_T *dZ,           \
                                             const TG_T *W, const TG_T *dAdZ,           \
                                             TG_T *gW, TG_T *gb, TG_T *dA,            \
                                             ptrdiff_t n)                                   \
    {                                                                                       \
        TG_N(tg_narrow_backward_km)(inp, dZ, W, dAdZ, gW, gb, dA, n, K, M);                       \
    }                                                                                       \
    static double TG_N(tg_narrow_output_##K##_##M)(const TG_T *inp, const TG_T *W,            \
                                             const TG_T *b, TG_T *Z, TG_T *A,         \
                                             const TG_T *Y, TG_T *dZ, ptrdiff_t n,      \
                                             int act, int loss, int flat, TG_T scale)     \
    {                                                                                       \
        return TG_N(tg_narrow_output_km)(inp, W, b, Z, A, Y, dZ, n, act, loss, flat, scale, K, M);\
    }
#define TG_NARROW_ROW(K) \
    TG_NARROW_INSTANCE(K, 1) TG_NARROW_INSTANCE(K, 2) TG_NARROW_INSTANCE(K, 3) \
    TG_NARROW_INSTANCE(K, 4)
#define TG_NARROW_TABLE_ROW(kind, K) \
    {TG_N(tg_narrow_##kind##_##K##_1), TG_N(tg_narrow_##kind##_##K##_2), TG_N(tg_narrow_##kind##_##K##_3), \
     TG_N(tg_narrow_##kind##_##K##_4)}
#define TG_NARROW_TABLE(kind)                                                   \
    {TG_NARROW_TABLE_ROW(kind, 1), TG_NARROW_TABLE_ROW(kind, 2),                \
     TG_NARROW_TABLE_ROW(kind, 3), TG_NARROW_TABLE_ROW(kind, 4)}
#define TG_NARROW2_INSTANCE(K, H, M)                                                        \
    static double TG_N(tg_narrow2_backward_##K##_##H##_##M)(                                      \
        const TG_T *X, const TG_T *Y, ptrdiff_t n, const TG_T *p, TG_T *g,          \
        TG_T *Z0, TG_T *A0, TG_T *Z1, TG_T *A1, TG_T *dZ, TG_T *dA, int act0,   \
        int act1, int loss, int flat)                                                       \
    {                                                                                       \
        return TG_N(tg_narrow2_backward_khm)(X, Y, n, p, g, Z0, A0, Z1, A1, dZ, dA, act0, act1,   \
                                       loss, flat, K, H, M);                                \
    }
#define TG_NARROW2_ROW(K, H) \
    TG_NARROW2_INSTANCE(K, H, 1) TG_NARROW2_INSTANCE(K, H, 2) TG_NARROW2_INSTANCE(K, H, 3) \
    TG_NARROW2_INSTANCE(K, H, 4)
#define TG_NARROW2_BLOCK(K) \
    TG_NARROW2_ROW(K, 1) TG_NARROW2_ROW(K, 2) TG_NARROW2_ROW(K, 3) TG_NARROW2_ROW(K, 4)
#define TG_NARROW2_TABLE_ROW(K, H) \
    {TG_N(tg_narrow2_backward_##K##_##H##_1), TG_N(tg_narrow2_backward_##K##_##H##_2), \
     TG_N(tg_narrow2_backward_##K##_##H##_3), TG_N(tg_narrow2_backward_##K##_##H##_4)}
#define TG_NARROW2_TABLE_BLOCK(K)                                                     \
    {TG_NARROW2_TABLE_ROW(K, 1), TG_NARROW2_TABLE_ROW(K, 2), TG_NARROW2_TABLE_ROW(K, 3), \
     TG_NARROW2_TABLE_ROW(K, 4)}

#define TG_T double
#define TG_N(name) name##_d
#define TG_M(name) name
#include "tg_narrow_type.h"

#define TG_T float
#define TG_N(name) name##_f
#define TG_M(name) name##_f
#include "tg_narrow_type.h"

#endif /* TG_NARROW_H */
