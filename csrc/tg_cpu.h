/*
 * tg_cpu.h -- whether this CPU (and OS) runs AVX2 and FMA code, for the kernels that setup.py
 * also builds with -mavx2 -mfma: they are imported only where this says yes; and AVX-512
 * (F, DQ, VL: tg_vmath.h's widest build).
 */
#ifndef TG_CPU_H
#define TG_CPU_H

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
static inline int tg_cpu_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline int tg_cpu_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
           && __builtin_cpu_supports("avx512vl");
}
#else
static inline int tg_cpu_avx2_fma(void) { return 0; }
static inline int tg_cpu_avx512(void) { return 0; }
#endif

#endif /* TG_CPU_H */
