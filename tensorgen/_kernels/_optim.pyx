# cython: language_level=3
# Design:
#   opt_step   (in _optim.pxd, inline, so that the training loop's copy is inlined into it)
#              one optimizer update over the flat parameter vector, nogil C: reads p,
#              writes p_out (which may alias p), updates the state m (momentum / Adam's first
#              moment) and v (Adam's second moment) in place, and reports whether every new
#              parameter is finite. Writing to a separate p_out lets a caller keep the last
#              finite parameters without a copy (the training loop swaps two buffers).
#   step       the Python entry point: takes its pointers from _arrays.data_of (float64,
#              or float32 throughout, native byte order, C-contiguous, aligned, the right
#              size, writable where written) with the GIL, then runs opt_step.
from libc.stdint cimport int64_t

cimport numpy as cnp

from tensorgen._kernels._arrays cimport data_of

cnp.import_array()


def step(int kind, double lr, double momentum, bint nesterov, double beta1, double beta2,
         double eps, double weight_decay, bint eps_hat, int64_t t, params, grad, out, m, v):
    """One update: out <- update(params, grad); m, v updated. Returns all(isfinite(out)).
    The arrays are all float64 or all float32 (the type of params)."""
    if kind not in (TG_OPT_SGD, TG_OPT_ADAM) or t < 1:
        raise ValueError(f"unknown optimizer kind {kind} or step {t} < 1")
    if not (cnp.PyArray_Check(params) and cnp.PyArray_NDIM(<cnp.ndarray>params) == 1):
        raise ValueError("params: expected a 1-D array")
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>params)
    if typenum != cnp.NPY_FLOAT:
        typenum = cnp.NPY_DOUBLE  # (data_of names params unless it is float64)
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray>params, 0)
    cdef OptSpec o = OptSpec(kind, lr, momentum, nesterov, beta1, beta2, eps, weight_decay,
                            eps_hat)
    cdef const void *p = data_of(params, n, typenum, "params", False)
    cdef const void *g = data_of(grad, n, typenum, "grad", False)
    cdef void *po = data_of(out, n, typenum, "out", True)
    cdef void *mm = data_of(m, n, typenum, "m", True)
    cdef void *vv = data_of(v, n, typenum, "v", True)
    cdef bint finite
    with nogil:
        if typenum == cnp.NPY_DOUBLE:
            finite = opt_step(&o, n, <const double *>p, <double *>po, <const double *>g,
                              <double *>mm, <double *>vv, t)
        else:
            finite = opt_step(&o, n, <const float *>p, <float *>po, <const float *>g,
                              <float *>mm, <float *>vv, t)
    return finite
