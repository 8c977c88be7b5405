# cython: language_level=3
# Design:
#   GradientKernel  the compiled form of an engine's gradient (Engine.fit_kernel): a C
#                   function and its state, which the compiled training loop calls per
#                   mini-batch without the GIL and without knowing which engine made it.
#                   Subclasses (the reverse engine's in _mlp.pyx) set fn and state and
#                   implement reserve. Calling the object from Python runs one batch, the
#                   arrays checked by _arrays.data_of, for tests and Python loops.
cimport numpy as cnp
import numpy as np

from tensorgen._kernels._arrays cimport data_of

cnp.import_array()


cdef class GradientKernel:
    """A compiled gradient: ``kernel(params, X, Y) -> (cost, grad)``."""

    cdef int reserve(self, Py_ssize_t n) except -1:
        raise NotImplementedError("GradientKernel.reserve")

    def __call__(self, params, X, Y):
        """Cost and gradient of the batch X, Y at params (C-contiguous arrays of dtype)."""
        if cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2:
            n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
        else:
            raise ValueError("X: expected a 2-D array")
        if n < 1:
            raise ValueError("X: expected at least one sample")
        cdef int typenum = self.dtype.num
        cdef const void *p = data_of(params, self.n_params, typenum, "params", False)
        cdef const void *x = data_of(X, n * self.n_inputs, typenum, "X", False)
        cdef const void *y = data_of(Y, n * self.n_outputs, typenum, "Y", False)
        grad = np.empty(self.n_params, dtype=self.dtype)
        cdef void *g = data_of(grad, self.n_params, typenum, "grad", True)
        cdef Py_ssize_t rows = n
        cdef double cost
        self.reserve(rows)
        with nogil:
            cost = self.fn(self.state, p, x, y, rows, g)
        return cost, grad
