# cython: language_level=3
# Design:
#   The gradient of the cost by finite differences, one perturbation per parameter, every
#   parameter swept in one call with the GIL released, parallel over parameters (prange,
#   per-thread scratch). Each derivative is computed by one thread in a fixed order, so the
#   result is bitwise the same for any thread count; the parameters are only read.
#   cached sweep   one unperturbed forward pass over the batch is kept (Z, A of every layer).
#                  A weight W_l[p, j] or bias b_l[j] moves only pre-activation j of layer l,
#                  by step * (input p of layer l) in each sample: layers before l come from
#                  the cache, layer l + 1 gets a rank-one update of its cached row and only
#                  the layers after it are recomputed, sample by sample, in three rows of
#                  scratch. Samples whose input p is 0 are not reached and are skipped.
#                  A sigmoid layer's exp(-|Z|) is cached too: a moved pre-activation's
#                  sigmoid comes from it by tg_sigmoid_shifted_row (tg_math.h), a few
#                  vectorized multiply-adds instead of an exp call per unit.
#   naive sweep    two (four for fourth order) full forward passes per parameter through
#                  _mlp.forward on a per-thread copy of the parameters: the baseline.
#   stencils       central, fourth-order five-point, and complex step Im f(w + ih) / h,
#                  whose forward pass runs the double complex maths of tg_math.h through
#                  the fused type `num`.
from cython.parallel cimport prange, threadid
from libc.math cimport exp, fabs, fmax, isfinite
from libc.string cimport memcpy

cimport numpy as cnp
import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._codes cimport TG_SIGMOID, TG_SOFTMAX
from tensorgen._kernels._mlp cimport (
    MLPSpec, Plan, cost, forward, need_blas, tg_act_row, tg_loss_row,
)

from tensorgen._kernels._arrays import check_memory

cnp.import_array()

cdef extern from "tg_math.h" nogil:
    double tg_sigmoid_shifted(double z0, double e0, double z)
    void tg_sigmoid_shifted_row(const double *z0, const double *e0, const double *z,
                                double *a, Py_ssize_t k)
    void tg_act_row_c(int act, const double complex *z, double complex *a, Py_ssize_t k)
    double complex tg_loss_row_c(int loss, const double complex *z, const double complex *a,
                                 const double *y, Py_ssize_t k)

cdef extern from "tg_omp.h" nogil:
    int tg_omp_enabled()
    int tg_omp_max_threads()

# Codes shared with engines/finite.py (METHODS, STEPS there).
cpdef enum:
    CENTRAL = 0
    FOURTH_ORDER = 1
    COMPLEX_STEP = 2
cpdef enum:
    STEP_AUTO = 0       # eps * max(|w|, 1)
    STEP_RELATIVE = 1   # eps * |w|, or eps where w == 0
    STEP_ABSOLUTE = 2   # eps
#: Most threads a sweep may be asked for (Finite checks n_threads against it).
MAX_THREADS = 256
cdef enum:
    # doubles in a cache line: the unit per-thread scratch is padded to
    LINE = 8
    # (parameter, sample) pairs below which one more thread is not worth waking
    MIN_WORK_PER_THREAD = 4096

ctypedef fused num:
    double
    double complex


cdef struct Sweep:
    const MLPSpec *s
    const double *params    # IN  (n_params,)
    const double *X         # IN  (n, widths[0])
    const double *Y         # IN  (n, widths[L])
    Py_ssize_t n
    double **Z              # IN  the unperturbed pass: L blocks of n x widths[l + 1]
    double **A
    double **E              # IN  exp(-|Z|) of the sigmoid layers (real cached sweep), else NULL
    int method
    int rule
    double eps


# ---- the maths of tg_math.h for either scalar type ----

cdef inline void act_row(int code, const num *z, num *a, Py_ssize_t k) noexcept nogil:
    if num is double:
        tg_act_row(code, z, a, k)
    else:
        tg_act_row_c(code, z, a, k)


cdef inline num loss_row(int loss, const num *z, const num *a, const double *y,
                         Py_ssize_t k) noexcept nogil:
    if num is double:
        return tg_loss_row(loss, z, a, y, k)
    else:
        return tg_loss_row_c(loss, z, a, y, k)


# ---- cached sweep ----

cdef inline void act_row_moved(const Sweep *sw, Py_ssize_t l, Py_ssize_t i, const num *z,
                               num *a, Py_ssize_t at, Py_ssize_t k) noexcept nogil:
    """a (k) = act_l(z) for k pre-activations of layer l moved from the cached ones at
    offset at of sample i's row; a sigmoid's come from the cached exp(-|Z|). A whole row
    (at 0, k = width) for softmax."""
    cdef Py_ssize_t row = i * sw.s.widths[l + 1] + at
    if num is double:
        if sw.E != NULL and sw.s.acts[l] == TG_SIGMOID:
            if k == 1:  # the moved unit itself, or a one-unit layer: no loop to vectorize
                a[0] = tg_sigmoid_shifted(sw.Z[l][row], sw.E[l][row], z[0])
            else:
                tg_sigmoid_shifted_row(sw.Z[l] + row, sw.E[l] + row, z, a, k)
            return
    act_row(sw.s.acts[l], z, a, k)


cdef inline void affine_row(const num *a, const double *W, const double *b, num *z,
                            Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    """z (m) = a (k) @ W (k x m) + b, four rows of W per pass over z.

    Four at a time shortens the chain of loads and stores through z that bounds this
    loop; Py_ssize_t indices (not int, wrapping under -fwrapv) let the compiler
    vectorize over c.
    """
    cdef Py_ssize_t r = 0, c
    cdef num a0, a1, a2, a3
    cdef const double *W0
    cdef const double *W1
    cdef const double *W2
    cdef const double *W3
    for c in range(m):
        z[c] = b[c]
    while r + 4 <= k:
        W0 = W + r * m
        W1 = W0 + m
        W2 = W1 + m
        W3 = W2 + m
        a0 = a[r]
        a1 = a[r + 1]
        a2 = a[r + 2]
        a3 = a[r + 3]
        for c in range(m):
            z[c] = z[c] + ((a0 * W0[c] + a1 * W1[c]) + (a2 * W2[c] + a3 * W3[c]))
        r += 4
    while r < k:
        W0 = W + r * m
        a0 = a[r]
        for c in range(m):
            z[c] = z[c] + a0 * W0[c]
        r += 1


cdef num shifted_loss(const Sweep *sw, Py_ssize_t l, Py_ssize_t j, Py_ssize_t i, num dz,
                      num *buf) noexcept nogil:
    """Loss of sample i when pre-activation j of layer l moves by dz.

    buf: 3 * max_width scratch (OUT, overwritten).
    """
    cdef const MLPSpec *s = sw.s
    cdef Py_ssize_t last = s.n_layers - 1, m = s.widths[l + 1], k, c
    cdef num *a_in = buf
    cdef num *z = buf + s.max_width
    cdef num *a = buf + 2 * s.max_width
    cdef num *tmp
    cdef num delta
    cdef const double *zc = sw.Z[l] + i * m
    cdef const double *ac = sw.A[l] + i * m
    cdef const double *W
    cdef const double *b
    if l == last:
        # output layer: softmax mixes the row, an elementwise activation changes a[j] alone
        for c in range(m):
            z[c] = zc[c]
            a[c] = ac[c]
        z[j] = zc[j] + dz
        if s.acts[l] == TG_SOFTMAX:
            act_row(TG_SOFTMAX, z, a, m)
        else:
            act_row_moved(sw, l, i, z + j, a + j, j, 1)
        return loss_row(s.loss, z, a, sw.Y + i * m, m)
    # hidden unit j moves by delta (hidden layers are elementwise), so layer l + 1 takes a
    # rank-one update of its cached row
    z[0] = zc[j] + dz
    act_row_moved(sw, l, i, z, a, j, 1)
    delta = a[0] - ac[j]
    l += 1
    m = s.widths[l + 1]
    W = sw.params + s.w_off[l] + j * m
    zc = sw.Z[l] + i * m
    for c in range(m):
        z[c] = zc[c] + delta * W[c]
    act_row_moved(sw, l, i, z, a, 0, m)
    # every later layer sees a whole changed row and is recomputed
    while l < last:
        l += 1
        k = m
        m = s.widths[l + 1]
        tmp = a_in
        a_in = a
        a = tmp
        W = sw.params + s.w_off[l]
        b = sw.params + s.b_off[l]
        affine_row(a_in, W, b, z, k, m)
        act_row_moved(sw, l, i, z, a, 0, m)
    return loss_row(s.loss, z, a, sw.Y + i * m, m)


cdef inline Py_ssize_t locate(const MLPSpec *s, Py_ssize_t q, Py_ssize_t *p,
                              Py_ssize_t *j) noexcept nogil:
    """Layer of parameter q; p = its input unit (-1 for a bias), j = its output unit."""
    cdef Py_ssize_t l = s.n_layers - 1, m
    while q < s.w_off[l]:
        l -= 1
    m = s.widths[l + 1]
    if q >= s.b_off[l]:
        p[0] = -1
        j[0] = q - s.b_off[l]
    else:
        p[0] = (q - s.w_off[l]) // m
        j[0] = (q - s.w_off[l]) % m
    return l


cdef inline double step_size(const Sweep *sw, double w) noexcept nogil:
    cdef double h
    if sw.rule == STEP_AUTO:
        return sw.eps * fmax(fabs(w), 1.0)
    if sw.rule == STEP_RELATIVE:
        h = sw.eps * fabs(w)
        if h > 0.0:
            return h
    return sw.eps  # absolute, or relative where w is 0 (or so small that eps * |w| is)


cdef inline double stencil_denominator(int method, double h) noexcept nogil:
    if method == CENTRAL:
        return 2.0 * h
    if method == FOURTH_ORDER:
        return 12.0 * h
    return h


cdef double cached_derivative(const Sweep *sw, Py_ssize_t q, double *buf) noexcept nogil:
    """d cost / d params[q] from shifted_loss; buf: per-thread scratch (OUT)."""
    cdef Py_ssize_t p, j, l = locate(sw.s, q, &p, &j)
    cdef Py_ssize_t k = sw.s.widths[l]
    cdef const double *inp = sw.X if l == 0 else sw.A[l - 1]
    cdef double h = step_size(sw, sw.params[q]), x, d, acc = 0.0
    cdef double complex *cbuf = <double complex *>buf
    cdef Py_ssize_t i
    for i in range(sw.n):
        x = 1.0 if p < 0 else inp[i * k + p]
        if x == 0.0:
            continue  # the perturbation does not reach this sample
        d = h * x
        if sw.method == CENTRAL:
            acc += shifted_loss(sw, l, j, i, d, buf) - shifted_loss(sw, l, j, i, -d, buf)
        elif sw.method == FOURTH_ORDER:
            acc += (8.0 * (shifted_loss(sw, l, j, i, d, buf)
                           - shifted_loss(sw, l, j, i, -d, buf))
                    - (shifted_loss(sw, l, j, i, 2.0 * d, buf)
                       - shifted_loss(sw, l, j, i, -2.0 * d, buf)))
        else:
            acc += shifted_loss(sw, l, j, i, 1j * d, cbuf).imag
    return acc / (sw.n * stencil_denominator(sw.method, h))


# ---- naive sweep ----

cdef inline double cost_at(const Sweep *sw, Py_ssize_t q, double value, double *pcopy,
                           double **Z, double **A) noexcept nogil:
    """Cost with params[q] = value, by a full forward pass on this thread's copy."""
    pcopy[q] = value
    forward(sw.s, pcopy, sw.X, sw.n, Z, A)
    return cost(sw.s, sw.Y, sw.n, Z, A)


cdef double naive_derivative(const Sweep *sw, Py_ssize_t q, double *pcopy, double **Z,
                             double **A) noexcept nogil:
    """d cost / d params[q] from full forward passes; pcopy is restored bitwise."""
    cdef double w = sw.params[q], h = step_size(sw, w), acc
    acc = cost_at(sw, q, w + h, pcopy, Z, A) - cost_at(sw, q, w - h, pcopy, Z, A)
    if sw.method == FOURTH_ORDER:
        acc = 8.0 * acc - (cost_at(sw, q, w + 2.0 * h, pcopy, Z, A)
                           - cost_at(sw, q, w - 2.0 * h, pcopy, Z, A))
    pcopy[q] = w
    return acc / stencil_denominator(sw.method, h)


# ---- scratch and the Python entry point ----

def sweep_threads(Plan plan, Py_ssize_t n, int n_threads):
    """Threads a sweep of n samples uses: n_threads (0: all OpenMP threads), but one
    without OpenMP, and no more than there is work for (waking a thread costs more than
    a tiny sweep; the result does not depend on the count)."""
    if not tg_omp_enabled():
        return 1
    if n_threads == 0:
        n_threads = min(tg_omp_max_threads(), MAX_THREADS)
    return max(1, min(n_threads, plan.spec.n_params * n // MIN_WORK_PER_THREAD))


def scratch_sizes(Plan plan, Py_ssize_t n, int method, bint naive, int n_threads):
    """(doubles, pointers, per-thread doubles) of scratch one sweep of n samples allocates.

    Shared: the unperturbed pass (Z and A, n * act_size doubles each, and 2L pointers),
    and for the cached real stencils exp(-|Z|) of the sigmoid layers (n * their widths,
    and L pointers).
    Per thread, cached: three rows of max_width (complex for the complex step); naive: a
    copy of the parameters and its own Z, A blocks (and 2L pointers).
    """
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t block = 2 * n * s.act_size, per_thread
    n_threads = sweep_threads(plan, n, n_threads)
    if naive:
        per_thread = s.n_params + block
    else:
        per_thread = 3 * s.max_width * (2 if method == COMPLEX_STEP else 1)
    # whole cache lines plus a spare one: whatever the base alignment, threads never write
    # to the same line
    per_thread = (per_thread + LINE - 1) // LINE * LINE + LINE
    pointers = 2 * s.n_layers * ((1 + n_threads) if naive else 1)
    exp_width = cached_exp_width(s, method, naive)
    if exp_width:
        block += n * exp_width
        pointers += s.n_layers
    return block + n_threads * per_thread, pointers, per_thread


cdef Py_ssize_t cached_exp_width(const MLPSpec *s, int method, bint naive) noexcept:
    """Units per sample whose exp(-|z|) the sweep caches: the sigmoid layers' (cached
    sweep, real stencils)."""
    cdef Py_ssize_t width = 0, l
    if naive or method == COMPLEX_STEP:
        return 0
    for l in range(s.n_layers):
        if s.acts[l] == TG_SIGMOID:
            width += s.widths[l + 1]
    return width


cdef void set_blocks(const MLPSpec *s, double *buf, Py_ssize_t n, double **Z,
                     double **A) noexcept:
    """Point Z[l], A[l] at consecutive n x widths[l + 1] blocks of buf."""
    cdef Py_ssize_t l
    for l in range(s.n_layers):
        Z[l] = buf
        buf += n * s.widths[l + 1]
        A[l] = buf
        buf += n * s.widths[l + 1]


def value_and_grad(Plan plan, params, X, Y, grad, int method, int rule, double eps,
                   bint naive, int n_threads, Py_ssize_t first=0, Py_ssize_t stop=-1):
    """Cost of a checked batch X, Y, and its finite-difference gradient written into grad.

    params is only read; n_threads 0 means all (at most MAX_THREADS). Only the parameters
    first to stop (default: all) are differenced, grad's other entries left as they are
    (a sharded sweep's part; each derivative is computed alone, so a part is bitwise the
    whole sweep's). Returns the cost of the unperturbed network.
    """
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t n, q, P = s.n_params, per_thread, l, L = s.n_layers
    cdef Sweep sw
    cdef double *g = <double *>data_of(grad, P, cnp.NPY_DOUBLE, "grad", True)
    cdef double c
    cdef int t
    if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
        raise ValueError("X: expected a 2-D array (n_samples, n_inputs)")
    n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if not (CENTRAL <= method <= COMPLEX_STEP and STEP_AUTO <= rule <= STEP_ABSOLUTE):
        raise ValueError(f"method/rule: unknown codes {method}, {rule}")
    if not (isfinite(eps) and eps > 0.0):
        raise ValueError(f"eps: expected a positive finite step, got {eps!r}")
    if not 0 <= n_threads <= MAX_THREADS:
        raise ValueError(f"n_threads: expected 0 (all) to {MAX_THREADS}, got {n_threads}")
    if n < 1:
        raise ValueError(f"X: expected at least one sample, got {n}")
    if stop == -1:
        stop = P
    if not 0 <= first <= stop <= P:
        raise ValueError(f"first, stop: expected 0 <= first <= stop <= {P}, got {first}, {stop}")
    if naive and method == COMPLEX_STEP:
        raise ValueError("sweep: 'naive' supports the real stencils only")
    n_threads = sweep_threads(plan, n, n_threads)
    sw.s = s
    sw.params = <const double *>data_of(params, P, cnp.NPY_DOUBLE, "params", False)
    sw.X = <const double *>data_of(X, n * s.widths[0], cnp.NPY_DOUBLE, "X", False)
    sw.Y = <const double *>data_of(Y, n * s.widths[L], cnp.NPY_DOUBLE, "Y", False)
    sw.n = n
    sw.method = method
    sw.rule = rule
    sw.eps = eps
    n_doubles, n_pointers, per_thread = scratch_sizes(plan, n, method, naive, n_threads)
    check_memory(8 * n_doubles + 8 * n_pointers, "X",
                 f"the finite-difference sweep's scratch for {n} samples")
    need_blas(plan, n)
    cdef cnp.ndarray work_arr = np.empty(n_doubles)
    cdef cnp.ndarray ptr_arr = np.empty(n_pointers, dtype=np.intp)
    cdef double *work = <double *>cnp.PyArray_DATA(work_arr)
    cdef double **ptrs = <double **>cnp.PyArray_DATA(ptr_arr)
    cdef double *mine
    sw.Z = ptrs
    sw.A = ptrs + L
    set_blocks(s, work, n, sw.Z, sw.A)
    work += 2 * n * s.act_size
    sw.E = NULL
    if cached_exp_width(s, method, naive):
        sw.E = ptrs + 2 * L  # (only the naive sweep has per-thread pointers)
        for l in range(L):
            sw.E[l] = work
            if s.acts[l] == TG_SIGMOID:
                work += n * s.widths[l + 1]
    if naive:
        for t in range(n_threads):
            mine = work + t * per_thread
            memcpy(mine, sw.params, P * sizeof(double))
            set_blocks(s, mine + P, n, ptrs + 2 * L * (t + 1), ptrs + 2 * L * (t + 1) + L)
    with nogil:
        forward(s, sw.params, sw.X, n, sw.Z, sw.A)
        c = cost(s, sw.Y, n, sw.Z, sw.A)
        if sw.E != NULL:
            for l in range(L):
                if s.acts[l] == TG_SIGMOID:
                    for q in range(n * s.widths[l + 1]):
                        sw.E[l][q] = exp(-fabs(sw.Z[l][q]))
        if naive:
            for q in prange(first, stop, num_threads=n_threads, schedule="dynamic"):
                t = threadid()
                g[q] = naive_derivative(&sw, q, work + t * per_thread,
                                        ptrs + 2 * L * (t + 1), ptrs + 2 * L * (t + 1) + L)
        else:
            for q in prange(first, stop, num_threads=n_threads, schedule="dynamic", chunksize=4):
                g[q] = cached_derivative(&sw, q, work + threadid() * per_thread)
    return c
