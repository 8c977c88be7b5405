# cython: language_level=3
# The finite-difference sweep of _finite.pyx, compiled again with AVX2 and FMA (setup.py
# builds it where the compiler can; engines/finite.py imports it only where the CPU can,
# as told by _buildinfo.cpu_avx2_fma). Its one vectorized loop, the sigmoid of a moved
# row (omp simd; setup.py turns the compiler's own vectorizing off), runs 4 wide, which
# speeds up sigmoid networks; the results differ from _finite's in the last bits (fused
# multiply-adds) and, like them, not with the thread count.
include "_finite.pyx"
