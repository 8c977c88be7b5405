# Declarations shared by every Cython kernel: the C maths of csrc/tg_math.h, the network
# plan (architecture as C arrays), the per-thread workspace, and the nogil forward/backward.
cimport numpy as cnp

cdef extern from "tg_math.h" nogil:
    int TG_IDENTITY, TG_SIGMOID, TG_TANH, TG_RELU, TG_LEAKY_RELU, TG_SOFTMAX
    int TG_MSE, TG_BCE, TG_CROSS_ENTROPY
    double tg_act(int act, double z)
    double tg_act_grad(int act, double z, double a)
    double tg_act_and_grad(int act, double z, double *d)
    void tg_act_row(int act, const double *z, double *a, int k)
    double tg_loss_row(int loss, const double *z, const double *a, const double *y, int k)
    void tg_loss_grad_row(int loss, int out_act, const double *z, const double *a,
                          const double *y, int k, double scale, double *dz)


cdef struct MLPSpec:
    int n_layers            # number of weight layers L
    int *widths             # L + 1 layer widths
    int *acts               # activation of each weight layer's output (L entries)
    Py_ssize_t *w_off       # offset of W_l (widths[l] x widths[l+1], row-major) in params
    Py_ssize_t *b_off       # offset of b_l (widths[l+1]) in params
    int loss
    int max_width           # max over widths[1:]
    Py_ssize_t n_params
    Py_ssize_t act_size     # sum over widths[1:]: doubles of Z (or A) per sample


cdef class Plan:
    cdef MLPSpec spec
    cdef object _keep       # numpy arrays owning the spec's C arrays


cdef class Workspace:
    cdef readonly Plan plan
    cdef Py_ssize_t capacity  # samples the buffers hold
    cdef double *buf
    cdef double **Z           # L pre-activation blocks, each n x widths[l+1]
    cdef double **A           # L activation blocks
    cdef double *d0           # two n x max_width blocks for backprop
    cdef double *d1
    cdef int reserve(self, Py_ssize_t n) except -1


cdef void forward(const MLPSpec *s, const double *params, const double *X, Py_ssize_t n,
                  double **Z, double **A) noexcept nogil

cdef inline bint elementwise_loss(const MLPSpec *s) noexcept nogil:
    """Whether the loss and its gradient treat every output alike (no row coupling), so
    a whole block can go through tg_loss_row / tg_loss_grad_row as one row."""
    return s.loss != TG_CROSS_ENTROPY and s.acts[s.n_layers - 1] != TG_SOFTMAX


# The whole backward pass of a network of two narrow layers (tg_narrow.h), for a loop
# that looks it up once (narrow2_for: NULL unless s is such a network for batches of n)
ctypedef double (*narrow2_fn)(const double *X, const double *Y, Py_ssize_t n,
                              const double *p, double *g, double *Z0, double *A0, double *Z1,
                              double *A1, double *dZ, double *dA, int act0, int act1, int loss,
                              int flat) noexcept nogil

cdef narrow2_fn narrow2_for(const MLPSpec *s, Py_ssize_t n) noexcept nogil

cdef double backward_layers(const MLPSpec *s, const double *params, const double *X,
                            const double *Y, Py_ssize_t n, double **Z, double **A,
                            double *d0, double *d1, double *grad) noexcept nogil


cdef inline double backward_with(narrow2_fn fused, const MLPSpec *s, const double *params,
                                 const double *X, const double *Y, Py_ssize_t n, double **Z,
                                 double **A, double *d0, double *d1,
                                 double *grad) noexcept nogil:
    """backward() with the kernel narrow2_for(s, n) gave, the fused pass or (NULL) layer by
    layer: what a loop over batches of one network calls, having looked it up once."""
    if fused != NULL:
        return fused(X, Y, n, params, grad, Z[0], A[0], Z[1], A[1], d0, d1, s.acts[0],
                     s.acts[1], s.loss, elementwise_loss(s))
    return backward_layers(s, params, X, Y, n, Z, A, d0, d1, grad)


cdef double backward(const MLPSpec *s, const double *params, const double *X,
                     const double *Y, Py_ssize_t n, double **Z, double **A,
                     double *d0, double *d1, double *grad) noexcept nogil

cdef double cost(const MLPSpec *s, const double *Y, Py_ssize_t n, double **Z,
                 double **A) noexcept nogil


cdef const double *data_of(cnp.ndarray arr, Py_ssize_t rows, Py_ssize_t cols,
                           str name) except NULL
