# cython: language_level=3
# Design:
#   Test hooks into the compiled kernels, kept out of the production modules: each gives a
#   test a path the public API takes only implicitly, so that it can be compared with the
#   path it must equal. setup.py also builds this module with the AVX2 flags
#   (_testing_avx2), like the finite sweep whose row function it reaches.
#   value_and_grad_layered  the reverse pass layer by layer, never the fused two-layer
#                           kernel, which must equal it bit for bit
#   sigmoid_moved           the cached finite sweep's sigmoid of moved pre-activations,
#                           which must match tg_sigmoid to within a few ulp
cimport numpy as cnp
import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._mlp cimport MLPSpec, Plan, Workspace, backward_layers, need_blas

cnp.import_array()

cdef extern from "tg_math.h" nogil:
    void tg_sigmoid_shifted_row(const double *z0, const double *e0, const double *z,
                                double *a, Py_ssize_t k)


def value_and_grad_layered(Plan plan, params, X, Y):
    """(cost, gradient) of a checked batch by backward_layers (_mlp.pyx)."""
    cdef const MLPSpec *s = &plan.spec
    if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
        raise ValueError("X: expected a 2-D array")
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if n < 1:
        raise ValueError("X: expected at least one sample")
    cdef const double *p = <const double *>data_of(params, s.n_params, cnp.NPY_DOUBLE,
                                                   "params", False)
    cdef const double *x = <const double *>data_of(X, n * s.widths[0], cnp.NPY_DOUBLE, "X",
                                                   False)
    cdef const double *y = <const double *>data_of(Y, n * s.widths[s.n_layers],
                                                   cnp.NPY_DOUBLE, "Y", False)
    cdef Workspace ws = Workspace(plan)
    ws.reserve(n)
    need_blas(plan, n)
    grad = np.empty(s.n_params)
    cdef double *g = <double *>data_of(grad, s.n_params, cnp.NPY_DOUBLE, "grad", True)
    cdef double c
    with nogil:
        c = backward_layers(s, p, x, y, n, ws.Z, ws.A, ws.d0, ws.d1, g)
    return c, grad


def sigmoid_moved(z0, z):
    """sigmoid(z) as the cached sweep computes it for pre-activations z moved from z0
    (from exp(-|z0|)); z0, z: float64 arrays of one length."""
    if np.shape(z0) != np.shape(z) or np.ndim(z) != 1:
        raise ValueError("z0, z: expected 1-D arrays of one length")
    cdef Py_ssize_t k = np.size(z)
    z0 = np.ascontiguousarray(z0, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    e0 = np.exp(-np.abs(z0))
    out = np.empty(k)
    cdef const double *pz0 = <const double *>data_of(z0, k, cnp.NPY_DOUBLE, "z0", False)
    cdef const double *pz = <const double *>data_of(z, k, cnp.NPY_DOUBLE, "z", False)
    cdef const double *pe0 = <const double *>data_of(e0, k, cnp.NPY_DOUBLE, "e0", False)
    cdef double *a = <double *>data_of(out, k, cnp.NPY_DOUBLE, "out", True)
    if k:
        tg_sigmoid_shifted_row(pz0, pe0, pz, a, k)
    return out
