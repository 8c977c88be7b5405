# cython: language_level=3
# Design:
#   opt_step   one optimizer update over the flat parameter vector, nogil C: reads p,
#              writes p_out (which may alias p), updates the state m (momentum / Adam's first
#              moment) and v (Adam's second moment) in place, and reports whether every new
#              parameter is finite. Writing to a separate p_out lets a caller keep the last
#              finite parameters without a copy (the training loop swaps two buffers).
#   step       the Python entry point: checks the arrays with the GIL, then runs opt_step.
from libc.math cimport isfinite, pow, sqrt

cimport numpy as cnp

cnp.import_array()


cdef bint opt_step(const OptSpec *o, Py_ssize_t n, const double *p, double *p_out,
                   const double *g, double *m, double *v, long t) noexcept nogil:
    cdef Py_ssize_t i
    cdef double gi, new, step
    cdef bint finite = True
    cdef double mu = o.momentum, wd = o.weight_decay, lr = o.lr
    cdef double b1 = o.beta1, b2 = o.beta2, c1, c2
    if o.kind == OPT_ADAM:
        # bias corrections of step t (t counts from 1)
        c1 = 1.0 - pow(b1, <double>t)
        c2 = 1.0 - pow(b2, <double>t)
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = b1 * m[i] + (1.0 - b1) * gi
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi
            new = p[i] - lr * (m[i] / c1) / (sqrt(v[i] / c2) + o.eps)
            finite &= isfinite(new)
            p_out[i] = new
    elif mu != 0.0:
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = mu * m[i] + gi
            step = gi + mu * m[i] if o.nesterov else m[i]
            new = p[i] - lr * step
            finite &= isfinite(new)
            p_out[i] = new
    else:
        for i in range(n):
            new = p[i] - lr * (g[i] + wd * p[i])
            finite &= isfinite(new)
            p_out[i] = new
    return finite


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
