# cython: language_level=3
# The test hooks of _testing.pyx, compiled with the AVX2 flags of _finite_avx2 (setup.py),
# so that tests reach the row functions as that build computes them.
include "_testing.pyx"
