# Forward mode (_forward.pyx): the primal pass tangents are pushed along, the push itself,
# and the per-thread tangent scratch, shared with the forward gradient
# (_forward_gradient.pyx).
from tensorgen._kernels._mlp cimport MLPSpec, Plan, Workspace, real


cdef struct Primal:
    const MLPSpec *s
    const void *params      # IN  (n_params,)
    const void *X           # IN  (n, widths[0])
    Py_ssize_t n
    void **A                # A[l] (n x widths[l + 1]): the workspace's activations
    void **D                # D[l]: dA/dZ of hidden layer l (the workspace's Z, overwritten)
    void *G                 # (n x widths[L]): d cost / d Z of the output layer


cdef class Scratch:
    cdef char *buf
    cdef Py_ssize_t capacity  # bytes
    cdef void *reserve(self, object nbytes, str what) except NULL


cdef Scratch thread_scratch()

# rows of the batch X, checked to be a 2-D array of at least one sample
cdef Py_ssize_t rows_of(object X) except -1

# checks params, X, Y (of the plan's dtype) and points p at them and at ws (reserved for
# the batch, extra_bytes more memory about to be needed); returns Y's data
cdef const void *begin_primal(Primal *p, Plan plan, Workspace ws, object params, object X,
                              object Y, object extra_bytes) except NULL

cdef double primal_pass(const Primal *p, const real *Y) noexcept nogil

# out[k] = d cost . V_k for K directions of every parameter (direction k at V + k * stride),
# after primal_pass; T, U: K * n * max_width scratch each
cdef void directional(const Primal *p, real *T, real *U, Py_ssize_t K, const real *V,
                      Py_ssize_t stride, double *out) noexcept nogil
