# cython: language_level=3
# Design:
#   apply_penalty   for a batch of n samples: the gradient an engine computed is multiplied
#                   by grad_scale, then l2 / n * p is added to it over the given ranges of the
#                   parameter vector (typically the weights, not the biases); the cost
#                   returned is cost_scale * the engine's cost + 0.5 * l2 / n * the sum of the
#                   squares of those parameters. Dividing by the batch's size is how
#                   scikit-learn's MLPs apply their L2 penalty alpha: it is added to the
#                   batch's summed loss, before the mean. The two scales are equal for a
#                   scaled loss (0.5: half the squared error); they differ only to report a
#                   cost other than the function followed (scikit-learn's multi-output
#                   squared error reports the mean over outputs, follows the gradient of
#                   their sum). Squares are summed in double in both types.
#   Penalty         its settings, checked once (the ranges within the parameter vector);
#                   Penalty.apply runs apply_penalty from Python over a gradient an engine
#                   returned (engines without a compiled form, L-BFGS), its arrays checked
#                   by data_of.
#   PenalizedKernel a GradientKernel (_seam.pxd) over another: the inner kernel's cost and
#                   gradient, then apply_penalty; the compiled training loop runs it as any
#                   kernel, without the GIL.
cimport numpy as cnp

import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._mlp cimport real
from tensorgen._kernels._seam cimport GradientKernel, gradient_fn

cnp.import_array()


cdef struct PenaltySpec:
    double l2
    double grad_scale
    double cost_scale
    const Py_ssize_t *ranges  # [start, stop) pairs, checked to lie in [0, n_params]
    Py_ssize_t n_ranges
    Py_ssize_t n_params


cdef inline double apply_penalty(const PenaltySpec *pen, double cost, const real *p, real *g,
                                 Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t r, i
    cdef double per_sample = pen.l2 / n, squares = 0.0
    cdef real c = <real>per_sample, scale = <real>pen.grad_scale
    if pen.grad_scale != 1.0:
        for i in range(pen.n_params):
            g[i] *= scale
    for r in range(pen.n_ranges):
        for i in range(pen.ranges[2 * r], pen.ranges[2 * r + 1]):
            squares += <double>p[i] * <double>p[i]
            g[i] += c * p[i]
    return pen.cost_scale * cost + 0.5 * per_sample * squares


cdef class Penalty:
    """The penalty and scales of apply_penalty for vectors of n_params parameters, checked
    once; ``apply`` runs it on an engine's gradient, PenalizedKernel in the compiled loop."""

    cdef PenaltySpec spec
    cdef object _ranges  # the array spec.ranges points into

    def __cinit__(self, Py_ssize_t n_params, ranges, double l2, double grad_scale=1.0,
                  double cost_scale=1.0):
        for name, value in (("l2", l2), ("grad_scale", grad_scale),
                            ("cost_scale", cost_scale)):
            if not np.isfinite(value):
                raise ValueError(f"{name}: expected a finite number, got {value}")
        if l2 < 0:
            raise ValueError(f"l2: expected a value >= 0, got {l2}")
        if n_params < 1:
            raise ValueError(f"n_params: expected at least 1, got {n_params}")
        pairs = np.asarray(ranges)
        if pairs.size == 0:
            pairs = np.empty((0, 2), dtype=np.intp)
        elif pairs.dtype.kind not in "iu" or pairs.ndim != 2 or pairs.shape[1] != 2:
            raise TypeError(f"ranges: expected an (r, 2) array of [start, stop) integer "
                            f"pairs, got {ranges!r}")
        pairs = pairs.astype(np.intp)
        if pairs.size and (pairs.min() < 0 or pairs.max() > n_params
                           or (pairs[:, 0] > pairs[:, 1]).any()):
            raise ValueError(f"ranges: expected [start, stop) pairs within [0, {n_params}], "
                             f"got {pairs.tolist()}")
        self._ranges = np.ascontiguousarray(pairs)
        self.spec = PenaltySpec(l2, grad_scale, cost_scale,
                                <const Py_ssize_t *>cnp.PyArray_DATA(self._ranges),
                                pairs.shape[0], n_params)

    @property
    def n_params(self):
        return self.spec.n_params

    def apply(self, params, grad, double cost, Py_ssize_t n):
        """apply_penalty for a batch of n samples: grad (IN/OUT) updated in place, the new
        cost returned. params and grad: (n_params,), both float64 or both float32,
        C-contiguous."""
        if n < 1:
            raise ValueError(f"n: expected at least one sample, got {n}")
        if not (cnp.PyArray_Check(params) and cnp.PyArray_NDIM(<cnp.ndarray>params) == 1):
            raise ValueError("params: expected a 1-D array")
        cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>params)
        if typenum != cnp.NPY_FLOAT:
            typenum = cnp.NPY_DOUBLE  # (data_of names params unless it is float64)
        cdef const void *p = data_of(params, self.spec.n_params, typenum, "params", False)
        cdef void *g = data_of(grad, self.spec.n_params, typenum, "grad", True)
        with nogil:
            if typenum == cnp.NPY_DOUBLE:
                cost = apply_penalty(&self.spec, cost, <const double *>p, <double *>g, n)
            else:
                cost = apply_penalty(&self.spec, cost, <const float *>p, <float *>g, n)
        return cost


cdef struct PenalizedState:
    gradient_fn inner_fn
    void *inner_state
    const PenaltySpec *pen


cdef double penalized_d(void *state, const void *params, const void *X, const void *Y,
                        Py_ssize_t n, void *grad) noexcept nogil:
    cdef PenalizedState *st = <PenalizedState *>state
    cdef double cost = st.inner_fn(st.inner_state, params, X, Y, n, grad)
    return apply_penalty(st.pen, cost, <const double *>params, <double *>grad, n)


cdef double penalized_f(void *state, const void *params, const void *X, const void *Y,
                        Py_ssize_t n, void *grad) noexcept nogil:
    cdef PenalizedState *st = <PenalizedState *>state
    cdef double cost = st.inner_fn(st.inner_state, params, X, Y, n, grad)
    return apply_penalty(st.pen, cost, <const float *>params, <float *>grad, n)


cdef class PenalizedKernel(GradientKernel):
    """``inner``'s cost and gradient, then ``penalty`` (see the design)."""

    cdef GradientKernel inner
    cdef Penalty penalty
    cdef PenalizedState st

    def __cinit__(self, GradientKernel inner, Penalty penalty):
        if penalty.spec.n_params != inner.n_params:
            raise ValueError(f"penalty: for {penalty.spec.n_params} parameters, the kernel "
                             f"has {inner.n_params}")
        self.inner, self.penalty = inner, penalty
        self.st.inner_fn = inner.fn
        self.st.inner_state = inner.state
        self.st.pen = &penalty.spec
        self.fn = penalized_d if inner.dtype.num == cnp.NPY_DOUBLE else penalized_f
        self.state = &self.st
        self.n_params, self.n_inputs, self.n_outputs = (inner.n_params, inner.n_inputs,
                                                        inner.n_outputs)
        self.dtype = inner.dtype

    cdef int reserve(self, Py_ssize_t n) except -1:
        self.inner.reserve(n)
        self.st.inner_state = self.inner.state
        return 0
