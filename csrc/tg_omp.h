/*
 * tg_omp.h -- the few OpenMP queries the kernels need, with serial fallbacks so the
 * package builds and runs (on one thread) where the compiler has no OpenMP.
 */
#ifndef TG_OMP_H
#define TG_OMP_H

#ifdef _OPENMP
#include <omp.h>
static inline int tg_omp_enabled(void) { return 1; }
static inline int tg_omp_max_threads(void) { return omp_get_max_threads(); }
#else
static inline int tg_omp_enabled(void) { return 0; }
static inline int tg_omp_max_threads(void) { return 1; }
#endif

#endif /* TG_OMP_H */
