# cython: language_level=3
# Design:
#   opt_step   (in _optim.pxd, inline, so that the training loop's copy is inlined into it)
#              one optimizer update over the flat parameter vector, nogil C: reads p,
#              writes p_out (which may alias p), updates the state m (momentum / Adam's first
#              moment) and v (Adam's second moment) in place, and reports whether every new
#              parameter is finite. Writing to a separate p_out lets a caller keep the last
#              finite parameters without a copy (the training loop swaps two buffers).
#   step       the Python entry point: checks the arrays with the GIL, then runs opt_step.
cimport numpy as cnp

cnp.import_array()


cdef inline double *vector(cnp.ndarray arr, Py_ssize_t n, str name) except NULL:
    if (cnp.PyArray_TYPE(arr) != cnp.NPY_DOUBLE or not cnp.PyArray_IS_C_CONTIGUOUS(arr)
            or cnp.PyArray_SIZE(arr) != n or not cnp.PyArray_ISWRITEABLE(arr)):
        raise ValueError(f"{name}: expected a writable C-contiguous float64 array of {n}")
    return <double *>cnp.PyArray_DATA(arr)


def step(int kind, double lr, double momentum, bint nesterov, double beta1, double beta2,
         double eps, double weight_decay, long t, cnp.ndarray params, cnp.ndarray grad,
         cnp.ndarray out, cnp.ndarray m, cnp.ndarray v):
    """One update: out <- update(params, grad); m, v updated. Returns all(isfinite(out))."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(params)
    cdef OptSpec o = OptSpec(kind, lr, momentum, nesterov, beta1, beta2, eps, weight_decay)
    cdef double *p = vector(params, n, "params")
    cdef double *g = vector(grad, n, "grad")
    cdef double *po = vector(out, n, "out")
    cdef double *mm = vector(m, n, "m")
    cdef double *vv = vector(v, n, "v")
    cdef bint finite
    if kind not in (OPT_SGD, OPT_ADAM) or t < 1:
        raise ValueError(f"unknown optimizer kind {kind} or step {t} < 1")
    with nogil:
        finite = opt_step(&o, n, p, po, g, mm, vv, t)
    return finite
