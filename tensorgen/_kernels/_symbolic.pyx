# cython: language_level=3
# Design:
#   The symbolic engine compiles, at run time, a shared library whose tg_batch()
#   (csrc/tg_driver.c) loops the SymPy-generated routine of one sample over a batch and
#   averages. ctypes loads the library; value_and_grad below calls tg_batch through its
#   address with the GIL released, after checking every array it hands over, so a call
#   costs what a Cython call costs instead of ctypes' per-argument conversions.
cimport numpy as cnp
import numpy as np

cnp.import_array()

ctypedef double (*batch_fn)(long n_params, long n_in, long n_out, const double *params,
                            const double *X, const double *Y, long n,
                            double *grad) noexcept nogil


cdef inline const double *data_of(cnp.ndarray arr, Py_ssize_t rows, Py_ssize_t cols,
                                  str name) except NULL:
    """Pointer to a C-contiguous float64 array of exactly rows x cols values."""
    if (cnp.PyArray_TYPE(arr) != cnp.NPY_DOUBLE or not cnp.PyArray_IS_C_CONTIGUOUS(arr)
            or cnp.PyArray_SIZE(arr) != rows * cols or rows < 1):
        raise ValueError(f"{name}: expected a C-contiguous float64 array of {rows}x{cols}")
    return <const double *>cnp.PyArray_DATA(arr)


def value_and_grad(size_t address, long n_params, long n_in, long n_out,
                   cnp.ndarray params, cnp.ndarray X, cnp.ndarray Y):
    """(cost, grad) from the library function tg_batch at ``address``, compiled for
    n_params parameters, n_in inputs and n_out outputs.

    params (n_params,), X (n, n_in), Y (n, n_out): C-contiguous float64, n >= 1.
    """
    cdef long n = cnp.PyArray_DIM(X, 0) if cnp.PyArray_NDIM(X) == 2 else 0
    cdef batch_fn batch = <batch_fn>address
    cdef const double *p = data_of(params, 1, n_params, "params")   # IN
    cdef const double *x = data_of(X, n, n_in, "X")                 # IN
    cdef const double *y = data_of(Y, n, n_out, "Y")                # IN
    cdef cnp.ndarray grad = np.empty(n_params)                      # OUT
    cdef double cost
    if address == 0:
        raise ValueError("address: NULL function")
    with nogil:
        cost = batch(n_params, n_in, n_out, p, x, y, n, <double *>cnp.PyArray_DATA(grad))
    return cost, grad
