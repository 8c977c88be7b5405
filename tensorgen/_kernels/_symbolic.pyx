# cython: language_level=3
# Design:
#   The symbolic engine compiles, at run time, a shared library whose tg_batch()
#   (csrc/tg_driver.c) loops the SymPy-generated routine of one sample over a batch and
#   averages. ctypes loads the library; value_and_grad below calls tg_batch through its
#   address with the GIL released, after taking every pointer from _arrays.data_of, so a
#   call costs what a Cython call costs instead of ctypes' per-argument conversions.
cimport numpy as cnp
import numpy as np

from tensorgen._kernels._arrays cimport data_of

cnp.import_array()

ctypedef double (*batch_fn)(Py_ssize_t n_params, Py_ssize_t n_in, Py_ssize_t n_out,
                            const double *params, const double *X, const double *Y,
                            Py_ssize_t n, double *grad) noexcept nogil


def value_and_grad(size_t address, Py_ssize_t n_params, Py_ssize_t n_in, Py_ssize_t n_out,
                   params, X, Y):
    """(cost, grad) from the library function tg_batch at ``address``, compiled for
    n_params parameters, n_in inputs and n_out outputs.

    params (n_params,), X (n, n_in), Y (n, n_out): C-contiguous float64, n >= 1.
    """
    if address == 0:
        raise ValueError("address: NULL function")
    if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
        raise ValueError("X: expected a 2-D array")
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if n < 1:
        raise ValueError("X: expected at least one sample")
    cdef batch_fn batch = <batch_fn>address
    cdef const double *p = <const double *>data_of(params, n_params, cnp.NPY_DOUBLE,
                                                   "params", False)       # IN
    cdef const double *x = <const double *>data_of(X, n * n_in, cnp.NPY_DOUBLE, "X",
                                                   False)                 # IN
    cdef const double *y = <const double *>data_of(Y, n * n_out, cnp.NPY_DOUBLE, "Y",
                                                   False)                 # IN
    grad = np.empty(n_params)                                             # OUT
    cdef double *g = <double *>data_of(grad, n_params, cnp.NPY_DOUBLE, "grad", True)
    cdef double cost
    with nogil:
        cost = batch(n_params, n_in, n_out, p, x, y, n, g)
    return cost, grad
