/*
 * tg_random.h -- the forward gradient's random directions: a counter-based stream of
 * standard Gaussians.
 *
 * Design: a value is a pure function of (key, call, direction, index), with no state to
 * carry between draws, so any thread computes any value and the directions do not depend
 * on how the work is split, on the thread count or on the network's size (a smaller
 * network's directions are a prefix of a larger one's).
 *   tg_stream_base   hashes (key, call, direction) into the seed of one direction's
 *                    stream (splitmix64's finalizer, a bijection of 64-bit words, applied
 *                    to each field in turn);
 *   tg_stream_word   word i of that stream: splitmix64 read at position i (its state after
 *                    i + 1 steps is base + (i + 1) * golden ratio, so no step is replayed);
 *   tg_gauss_pair    two independent standard Gaussians, values 2q and 2q + 1 of the
 *                    direction, by Marsaglia's polar method: attempt t reads words
 *                    2 (q + t 2^32) and the next, turned into uniforms on (-1, 1), and is
 *                    kept when they fall inside the unit disc (t = 0 about 79% of the
 *                    time). Only sqrt (exact) and the C library's log are used, so the
 *                    values are the same bit for bit wherever log is (the same build and
 *                    C library).
 *   tg_counter_take  the engine's call counter, advanced atomically (a compiled fit may
 *                    run on one engine while Python threads call it).
 * Parameter counts are below 2^31 (Architecture), so q < 2^30 and the attempts' positions
 * never meet.
 */
#ifndef TG_RANDOM_H
#define TG_RANDOM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define TG_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

static inline uint64_t tg_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t tg_stream_base(uint64_t key, uint64_t call, uint64_t direction)
{
    return tg_mix64(tg_mix64(tg_mix64(key) ^ (call + TG_GOLDEN)) ^ (direction + TG_GOLDEN));
}

static inline uint64_t tg_stream_word(uint64_t base, uint64_t i)
{
    return tg_mix64(base + (i + 1) * TG_GOLDEN);
}

/* a uniform on (-1, 1) from the top 53 bits of a word: (2j + 1) / 2^53 - 1, never +-1 */
static inline double tg_unit(uint64_t word)
{
    return (double)(((word >> 11) << 1) | 1) * 0x1p-53 - 1.0;
}

static inline void tg_gauss_pair(uint64_t base, uint64_t q, double *g0, double *g1)
{
    for (uint64_t t = 0;; t++) {
        uint64_t i = 2 * (q + (t << 32));
        double u = tg_unit(tg_stream_word(base, i));
        double w = tg_unit(tg_stream_word(base, i + 1));
        double s = u * u + w * w;
        if (s < 1.0 && s > 0.0) {
            double f = sqrt(-2.0 * log(s) / s);
            *g0 = u * f;
            *g1 = w * f;
            return;
        }
    }
}

/* values [0, size) of one direction's stream */
static inline void tg_gauss_fill(uint64_t base, double *out, ptrdiff_t size)
{
    double spare;
    for (ptrdiff_t p = 0; p + 1 < size; p += 2) tg_gauss_pair(base, (uint64_t)p / 2, out + p, out + p + 1);
    if (size % 2) tg_gauss_pair(base, (uint64_t)(size - 1) / 2, out + size - 1, &spare);
}

static inline void tg_gauss_fill_f(uint64_t base, float *out, ptrdiff_t size)
{
    double g0, g1;
    for (ptrdiff_t p = 0; p < size; p += 2) {
        tg_gauss_pair(base, (uint64_t)p / 2, &g0, &g1);
        out[p] = (float)g0;
        if (p + 1 < size) out[p + 1] = (float)g1;
    }
}

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static inline uint64_t tg_counter_take(uint64_t *counter)
{
    return (uint64_t)_InterlockedExchangeAdd64((volatile __int64 *)counter, 1);
}
#else
static inline uint64_t tg_counter_take(uint64_t *counter)
{
    return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}
#endif

#endif /* TG_RANDOM_H */
