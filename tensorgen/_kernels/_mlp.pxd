# Declarations shared by every Cython kernel: the C maths of csrc/tg_math.h for both
# floating types (`real` below), the network plan (an Architecture as C arrays), the
# per-thread workspace, and the nogil forward/backward passes.
from tensorgen._kernels._codes cimport TG_CROSS_ENTROPY, TG_SOFTMAX
from tensorgen._kernels._seam cimport GradientKernel

ctypedef fused real:
    float
    double

cdef extern from "tg_math.h" nogil:
    void tg_vmath_init()
    double tg_act(int act, double z)
    float tg_act_f(int act, float z)
    double tg_act_and_grad(int act, double z, double *d)
    float tg_act_and_grad_f(int act, float z, float *d)
    void tg_act_row(int act, const double *z, double *a, Py_ssize_t k)
    void tg_act_row_f(int act, const float *z, float *a, Py_ssize_t k)
    void tg_act_and_grad_row(int act, const double *z, double *a, double *d, Py_ssize_t k)
    void tg_act_and_grad_row_f(int act, const float *z, float *a, float *d, Py_ssize_t k)
    double tg_loss_row(int loss, const double *z, const double *a, const double *y,
                       Py_ssize_t k)
    float tg_loss_row_f(int loss, const float *z, const float *a, const float *y,
                        Py_ssize_t k)
    double tg_loss_grad_elem(int loss, double a, double y, double d, double scale)
    float tg_loss_grad_elem_f(int loss, float a, float y, float d, float scale)
    void tg_loss_grad_row(int loss, int out_act, const double *z, const double *a,
                          const double *y, Py_ssize_t k, double scale, double *dz)
    void tg_loss_grad_row_f(int loss, int out_act, const float *z, const float *a,
                            const float *y, Py_ssize_t k, float scale, float *dz)


# ---- the maths for either type ----

cdef inline real act_scalar(int act, real z) noexcept nogil:
    if real is double:
        return tg_act(act, z)
    else:
        return tg_act_f(act, z)


cdef inline real act_and_grad(int act, real z, real *d) noexcept nogil:
    if real is double:
        return tg_act_and_grad(act, z, d)
    else:
        return tg_act_and_grad_f(act, z, d)


cdef inline void act_row(int act, const real *z, real *a, Py_ssize_t k) noexcept nogil:
    if real is double:
        tg_act_row(act, z, a, k)
    else:
        tg_act_row_f(act, z, a, k)


cdef inline void act_and_grad_row(int act, const real *z, real *a, real *d,
                                  Py_ssize_t k) noexcept nogil:
    if real is double:
        tg_act_and_grad_row(act, z, a, d, k)
    else:
        tg_act_and_grad_row_f(act, z, a, d, k)


cdef inline real loss_row(int loss, const real *z, const real *a, const real *y,
                          Py_ssize_t k) noexcept nogil:
    if real is double:
        return tg_loss_row(loss, z, a, y, k)
    else:
        return tg_loss_row_f(loss, z, a, y, k)


cdef inline real loss_grad_elem(int loss, real a, real y, real d, real scale) noexcept nogil:
    """scale * d(loss)/dz of one output of an elementwise loss, from a and d = act'(z)
    (which bce does not read)."""
    if real is double:
        return tg_loss_grad_elem(loss, a, y, d, scale)
    else:
        return tg_loss_grad_elem_f(loss, a, y, d, scale)


cdef inline void loss_grad_row(int loss, int out_act, const real *z, const real *a,
                               const real *y, Py_ssize_t k, real scale,
                               real *dz) noexcept nogil:
    if real is double:
        tg_loss_grad_row(loss, out_act, z, a, y, k, scale, dz)
    else:
        tg_loss_grad_row_f(loss, out_act, z, a, y, k, scale, dz)


cdef struct MLPSpec:
    Py_ssize_t n_layers     # number of weight layers L
    Py_ssize_t *widths      # L + 1 layer widths
    int *acts               # activation code of each weight layer's output (L entries)
    Py_ssize_t *w_off       # offset of W_l (widths[l] x widths[l+1], row-major) in params
    Py_ssize_t *b_off       # offset of b_l (widths[l+1]) in params
    int loss
    Py_ssize_t max_width    # max over widths[1:]
    Py_ssize_t n_params
    Py_ssize_t act_size     # sum over widths[1:]: elements of Z (or A) per sample


cdef class Workspace


cdef class Plan:
    cdef MLPSpec spec
    cdef readonly object architecture
    cdef readonly object dtype  # numpy dtype of the parameters, data and scratch
    cdef int typenum           # its type number (NPY_DOUBLE or NPY_FLOAT)
    cdef Py_ssize_t blas_rows  # batches of at least this many samples call BLAS
    cdef object _keep          # numpy arrays owning the spec's C arrays
    cdef object _local         # threading.local: this thread's Workspace
    cdef object __weakref__    # plan_for's cache holds plans weakly
    cdef Workspace workspace(self)


cdef class Workspace:
    cdef readonly Plan plan
    cdef Py_ssize_t capacity  # samples the buffers hold
    cdef char *buf
    cdef void **Z             # L pre-activation blocks, each n x widths[l+1]
    cdef void **A             # L activation blocks
    cdef void *d0             # two n x max_width blocks for backprop
    cdef void *d1
    cdef int reserve(self, Py_ssize_t n) except -1


cdef int need_blas(Plan plan, Py_ssize_t n) except -1
# params and the batch X checked against the plan, scratch and BLAS reserved: n (the rows)
cdef Py_ssize_t begin(Plan plan, Workspace ws, object params, object X, const void **p,
                      const void **x) except -1

cdef inline bint elementwise_loss(const MLPSpec *s) noexcept nogil:
    """Whether the loss and its gradient treat every output alike (no row coupling), so
    a whole block can go through tg_loss_row / tg_loss_grad_row as one row."""
    return s.loss != TG_CROSS_ENTROPY and s.acts[s.n_layers - 1] != TG_SOFTMAX


# The passes, for either type (Z, A: the workspace's blocks of that type)
cdef void forward(const MLPSpec *s, const real *params, const real *X, Py_ssize_t n,
                  real **Z, real **A) noexcept nogil

cdef double cost(const MLPSpec *s, const real *Y, Py_ssize_t n, real **Z,
                 real **A) noexcept nogil

cdef double backward(const MLPSpec *s, const real *params, const real *X, const real *Y,
                     Py_ssize_t n, real **Z, real **A, real *d0, real *d1,
                     real *grad) noexcept nogil

cdef double forward_to_delta(const MLPSpec *s, const real *params, const real *X,
                            const real *Y, Py_ssize_t n, real **Z, real **A,
                            real *dZ) noexcept nogil

# C (rows x cols) = A @ B (+ C when accumulate), contiguous row-major: BLAS or loops
cdef void matmul(const real *A, const real *B, real *C, Py_ssize_t rows, Py_ssize_t inner,
                 Py_ssize_t cols, bint accumulate) noexcept nogil

cdef double backward_layers(const MLPSpec *s, const real *params, const real *X,
                            const real *Y, Py_ssize_t n, real **Z, real **A, real *d0,
                            real *d1, real *grad) noexcept nogil

# backward_layers' BLAS calls alone (benchmarks: what a gradient costs at least)
cdef void gemms_only(const MLPSpec *s, const real *params, const real *X, Py_ssize_t n,
                     real **Z, real **A, real *d0, real *d1, real *grad) noexcept nogil
