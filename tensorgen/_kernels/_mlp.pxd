# Declarations shared by every Cython kernel: the C maths of csrc/tg_math.h, the network
# plan (an Architecture as C arrays), the per-thread workspace, and the nogil
# forward/backward passes.
from tensorgen._kernels._codes cimport TG_CROSS_ENTROPY, TG_SOFTMAX
from tensorgen._kernels._seam cimport GradientKernel

cdef extern from "tg_math.h" nogil:
    double tg_act(int act, double z)
    double tg_act_grad(int act, double z, double a)
    double tg_act_and_grad(int act, double z, double *d)
    void tg_act_row(int act, const double *z, double *a, Py_ssize_t k)
    double tg_loss_row(int loss, const double *z, const double *a, const double *y,
                       Py_ssize_t k)
    void tg_loss_grad_row(int loss, int out_act, const double *z, const double *a,
                          const double *y, Py_ssize_t k, double scale, double *dz)


cdef struct MLPSpec:
    Py_ssize_t n_layers     # number of weight layers L
    Py_ssize_t *widths      # L + 1 layer widths
    int *acts               # activation code of each weight layer's output (L entries)
    Py_ssize_t *w_off       # offset of W_l (widths[l] x widths[l+1], row-major) in params
    Py_ssize_t *b_off       # offset of b_l (widths[l+1]) in params
    int loss
    Py_ssize_t max_width    # max over widths[1:]
    Py_ssize_t n_params
    Py_ssize_t act_size     # sum over widths[1:]: doubles of Z (or A) per sample


cdef class Workspace


cdef class Plan:
    cdef MLPSpec spec
    cdef readonly object architecture
    cdef Py_ssize_t blas_rows  # batches of at least this many samples call BLAS
    cdef object _keep          # numpy arrays owning the spec's C arrays
    cdef object _local         # threading.local: this thread's Workspace
    cdef object __weakref__    # plan_for's cache holds plans weakly
    cdef Workspace workspace(self)


cdef class Workspace:
    cdef readonly Plan plan
    cdef Py_ssize_t capacity  # samples the buffers hold
    cdef double *buf
    cdef double **Z           # L pre-activation blocks, each n x widths[l+1]
    cdef double **A           # L activation blocks
    cdef double *d0           # two n x max_width blocks for backprop
    cdef double *d1
    cdef int reserve(self, Py_ssize_t n) except -1


cdef int need_blas(Plan plan, Py_ssize_t n) except -1

cdef void forward(const MLPSpec *s, const double *params, const double *X, Py_ssize_t n,
                  double **Z, double **A) noexcept nogil

cdef inline bint elementwise_loss(const MLPSpec *s) noexcept nogil:
    """Whether the loss and its gradient treat every output alike (no row coupling), so
    a whole block can go through tg_loss_row / tg_loss_grad_row as one row."""
    return s.loss != TG_CROSS_ENTROPY and s.acts[s.n_layers - 1] != TG_SOFTMAX


cdef double backward(const MLPSpec *s, const double *params, const double *X,
                     const double *Y, Py_ssize_t n, double **Z, double **A,
                     double *d0, double *d1, double *grad) noexcept nogil

cdef double backward_layers(const MLPSpec *s, const double *params, const double *X,
                            const double *Y, Py_ssize_t n, double **Z, double **A,
                            double *d0, double *d1, double *grad) noexcept nogil

cdef double cost(const MLPSpec *s, const double *Y, Py_ssize_t n, double **Z,
                 double **A) noexcept nogil
