# cython: language_level=3
# Design:
#   What the compiler did to this build, for tg.show_config(): whether OpenMP was on
#   (csrc/tg_omp.h answers from _OPENMP, so the build works without it) and how many threads
#   an OpenMP region would use. Same flags as every other kernel (setup.py), so the answer
#   holds for them too. And whether the CPU runs AVX2 + FMA code (csrc/tg_cpu.h), which
#   decides whether the AVX2 build of a kernel may be imported.

cdef extern from "tg_omp.h" nogil:
    int tg_omp_enabled()
    int tg_omp_max_threads()

cdef extern from "tg_cpu.h" nogil:
    int tg_cpu_avx2_fma()


def openmp():
    """(compiled with OpenMP, threads a parallel region would use: 1 without OpenMP)."""
    return bool(tg_omp_enabled()), int(tg_omp_max_threads())


def cpu_avx2_fma():
    """Whether this CPU and OS run AVX2 and FMA instructions."""
    return bool(tg_cpu_avx2_fma())
