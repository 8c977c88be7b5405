"""C headers shared by the Cython kernels and the symbolic engine's generated code."""
