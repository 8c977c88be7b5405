# cython: language_level=3
# Design:
#   Plan       an Architecture (tensorgen.architecture) as C arrays: widths, activation
#              codes, the offsets of every W and b read from the architecture's blocks,
#              and its dtype (float64 or float32). One per architecture (plan_for), shared
#              read-only by every thread and network; it holds each thread's Workspace.
#   Workspace  per-thread scratch (Z and A per layer, two backprop blocks, of the plan's
#              type), grown when a larger batch arrives (after the memory check) and
#              otherwise reused, so a call allocates nothing.
#   forward / backward / cost
#              nogil C over a whole batch, written once over the fused type `real`
#              (float or double). A layer is a GEMM (SciPy's BLAS, dgemm or sgemm, loaded
#              on the first batch that needs it, so `import tensorgen` does not import
#              SciPy) when it is large enough to pay for the call, a plain loop otherwise,
#              and a fixed-width kernel of csrc/tg_narrow.h when it is also narrow (at most
#              TG_NARROW inputs and outputs): the loop's sums in the loop's order, bit for
#              bit, unrolled; a narrow output layer also gives the loss gradient and the
#              cost in that pass; a network of two narrow layers runs its whole backward
#              pass as one fused kernel, bit for bit the layered pass (backward_layers).
#              Activations and losses come from csrc/tg_math.h, the definitions every
#              engine shares; a hidden layer's activations and their derivatives go
#              through its vectorized rows (tg_vmath.h). Costs are summed in double in
#              both types.
#              backward's forward pass keeps each hidden layer's dA/dZ in place of Z
#              (computed with A: the sigmoid's exp is shared), so backprop recomputes none;
#              a narrow output layer with an elementwise loss shares it the same way.
#              forward_to_delta is that forward pass up to the output layer's delta, which
#              forward mode (_forward.pyx) pushes its tangents along; matmul is the product
#              (BLAS or loops) its tangent blocks go through.
#   ReverseKernel
#              the reverse engine's GradientKernel (_seam.pxd): backward() for the compiled
#              training loop, with a workspace of its own.
#   value_and_grad / loss / predict
#              the Python-visible entry points: pointers come from _arrays.data_of (dtype,
#              byte order, contiguity, alignment, size) with the GIL held; only then is it
#              released. Every count is a Py_ssize_t; BLAS's C int dimensions are made in
#              one place (blas_int), from sizes checked to fit.
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer
from cython.parallel cimport prange
from libc.string cimport memcpy, memset

cimport numpy as cnp
import collections
import threading
import weakref

import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._codes cimport TG_MSE
from tensorgen._kernels._seam cimport GradientKernel

from tensorgen._kernels import _codes
from tensorgen._kernels._arrays import check_memory

cnp.import_array()
tg_vmath_init()

cdef extern from "tg_vmath.h" nogil:
    ctypedef struct tg_vmath_rows:
        const char *name
    const tg_vmath_rows *tg_vmath_active


def vmath_build():
    """The build of csrc/tg_vmath.h's rows that this module's activations run, chosen at
    import: "portable", "avx2" or "avx512"."""
    return tg_vmath_active.name.decode()

cdef extern from "tg_omp.h" nogil:
    int tg_omp_max_threads()

cdef extern from "tg_narrow.h" nogil:
    int TG_NARROW
    ctypedef void (*tg_narrow_forward_fn_d)(const double *inp, const double *W, const double *b,
                                      double *Z, double *A, Py_ssize_t n, int act,
                                      int hidden)
    ctypedef void (*tg_narrow_forward_fn_f)(const float *inp, const float *W, const float *b,
                                      float *Z, float *A, Py_ssize_t n, int act, int hidden)
    ctypedef void (*tg_narrow_backward_fn_d)(const double *inp, const double *dZ, const double *W,
                                       const double *dAdZ, double *gW, double *gb,
                                       double *dA, Py_ssize_t n)
    ctypedef void (*tg_narrow_backward_fn_f)(const float *inp, const float *dZ, const float *W,
                                       const float *dAdZ, float *gW, float *gb, float *dA,
                                       Py_ssize_t n)
    ctypedef double (*tg_narrow_output_fn_d)(const double *inp, const double *W, const double *b,
                                       double *Z, double *A, const double *Y, double *dZ,
                                       Py_ssize_t n, int act, int loss, int flat,
                                       double scale)
    ctypedef double (*tg_narrow_output_fn_f)(const float *inp, const float *W, const float *b,
                                       float *Z, float *A, const float *Y, float *dZ,
                                       Py_ssize_t n, int act, int loss, int flat,
                                       float scale)
    ctypedef double (*tg_narrow2_backward_fn_d)(const double *X, const double *Y, Py_ssize_t n,
                                 const double *p, double *g, double *Z0, double *A0,
                                 double *Z1, double *A1, double *dZ, double *dA, int act0,
                                 int act1, int loss, int flat)
    ctypedef double (*tg_narrow2_backward_fn_f)(const float *X, const float *Y, Py_ssize_t n,
                                 const float *p, float *g, float *Z0, float *A0, float *Z1,
                                 float *A1, float *dZ, float *dA, int act0, int act1,
                                 int loss, int flat)
    # indexed [k - 1][m - 1], k and m at most TG_NARROW (4); the fused two-layer pass
    # [k - 1][h - 1][m - 1]
    tg_narrow_forward_fn_d tg_narrow_forward_d[4][4]
    tg_narrow_forward_fn_f tg_narrow_forward_f[4][4]
    tg_narrow_output_fn_d tg_narrow_output_d[4][4]
    tg_narrow_output_fn_f tg_narrow_output_f[4][4]
    tg_narrow_backward_fn_d tg_narrow_backward_d[4][4]
    tg_narrow_backward_fn_f tg_narrow_backward_f[4][4]
    tg_narrow2_backward_fn_d tg_narrow2_backward_d[4][4][4]
    tg_narrow2_backward_fn_f tg_narrow2_backward_f[4][4][4]

# Multiply-adds below which a layer is computed by loops instead of a BLAS call; elements
# of an elementwise block per thread: at least PARALLEL_MIN when set_threads asked for
# threads, AUTO_MIN by default (about half a millisecond of sigmoids: a thread woken for
# less loses more than it gains whenever another process holds the core it needs).
cdef enum:
    GEMM_MIN_WORK = 8192
    PARALLEL_MIN = 1 << 14
    AUTO_MIN = 1 << 18

# Threads an elementwise block may use: 0 (auto: OpenMP's, as the size pays for them) or
# the most set_threads allowed.
cdef int thread_limit = 0


def set_threads(int threads):
    """Most threads the elementwise work of one pass may use; 0: OpenMP's default."""
    global thread_limit
    if threads < 0:
        raise ValueError(f"threads: expected 0 (auto) or more, got {threads}")
    thread_limit = threads


def get_threads():
    """The limit set_threads set (0: auto)."""
    return thread_limit


cdef inline int block_threads(Py_ssize_t size) noexcept nogil:
    """Threads for an elementwise block of size elements: as many as the limit allows and
    the size pays for (PARALLEL_MIN or, by default, AUTO_MIN elements each)."""
    cdef int threads = thread_limit if thread_limit > 0 else tg_omp_max_threads()
    cdef Py_ssize_t useful = size // (PARALLEL_MIN if thread_limit > 0 else AUTO_MIN)
    while threads > 1 and threads > useful:
        threads -= 1
    return threads

_ACT_CODES = _codes.names(_codes.tg_activation)
_LOSS_CODES = _codes.names(_codes.tg_loss)
_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}


# ---- BLAS, loaded on first use ----

ctypedef void (*dgemm_fn)(char *transa, char *transb, int *m, int *n, int *k, double *alpha,
                          double *a, int *lda, double *b, int *ldb, double *beta, double *c,
                          int *ldc) noexcept nogil
ctypedef void (*sgemm_fn)(char *transa, char *transb, int *m, int *n, int *k, float *alpha,
                          float *a, int *lda, float *b, int *ldb, float *beta, float *c,
                          int *ldc) noexcept nogil

cdef dgemm_fn dgemm = NULL
cdef sgemm_fn sgemm = NULL


cdef int need_blas(Plan plan, Py_ssize_t n) except -1:
    """Load SciPy's dgemm and sgemm (scipy.linalg.cython_blas) if a batch of n samples
    needs them. Called with the GIL by every entry point before a pass; until then the
    layers that would call them run as loops (see gemm)."""
    global dgemm, sgemm
    if dgemm == NULL and n >= plan.blas_rows:
        from scipy.linalg import cython_blas

        capsule = cython_blas.__pyx_capi__["sgemm"]
        sgemm = <sgemm_fn>PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule))
        capsule = cython_blas.__pyx_capi__["dgemm"]
        dgemm = <dgemm_fn>PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule))
    return 0


cdef inline int blas_int(Py_ssize_t size) noexcept nogil:
    """A BLAS dimension: widths are at most 2**31 - 1 (Architecture) and batches at most
    2**31 - 1 rows (_arrays.matrix, the training loop's batches are no larger)."""
    return <int>size


cdef inline void blas_gemm(char *ta, char *tb, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                           const real *a, Py_ssize_t lda, const real *b, Py_ssize_t ldb,
                           real beta, real *c, Py_ssize_t ldc) noexcept nogil:
    """C (m x n, column-major) = op(a) op(b) + beta C: dgemm or sgemm."""
    cdef int bm = blas_int(m), bn = blas_int(n), bk = blas_int(k)
    cdef int blda = blas_int(lda), bldb = blas_int(ldb), bldc = blas_int(ldc)
    cdef real one = 1
    if real is double:
        dgemm(ta, tb, &bm, &bn, &bk, &one, <double *>a, &blda, <double *>b, &bldb, &beta, c,
              &bldc)
    else:
        sgemm(ta, tb, &bm, &bn, &bk, &one, <float *>a, &blda, <float *>b, &bldb, &beta, c,
              &bldc)


# ---- plan and workspace ----

cdef class Plan:
    """The architecture of a network as C arrays; immutable once built."""

    def __cinit__(self, architecture):
        self.dtype = _DTYPES.get(architecture.dtype)
        if self.dtype is None:
            raise ValueError(f"architecture: the kernels compute in {list(_DTYPES)}, got "
                             f"{architecture.dtype}")
        self.typenum = self.dtype.num
        w = np.array(architecture.layers, dtype=np.intp)
        a = np.array([_ACT_CODES[name] for name in architecture.activations], dtype=np.intc)
        w_off = np.array([b.start for b in architecture.blocks[0::2]], dtype=np.intp)
        b_off = np.array([b.start for b in architecture.blocks[1::2]], dtype=np.intp)
        self._keep = (w, a, w_off, b_off)
        self.architecture = architecture
        self.spec.n_layers = len(w) - 1
        self.spec.widths = <Py_ssize_t *>cnp.PyArray_DATA(w)
        self.spec.acts = <int *>cnp.PyArray_DATA(a)
        self.spec.w_off = <Py_ssize_t *>cnp.PyArray_DATA(w_off)
        self.spec.b_off = <Py_ssize_t *>cnp.PyArray_DATA(b_off)
        self.spec.loss = _LOSS_CODES[architecture.loss]
        self.spec.n_params = architecture.n_params
        self.spec.max_width = int(w[1:].max())
        self.spec.act_size = int(w[1:].sum())
        largest = max(int(w[l]) * int(w[l + 1]) for l in range(len(w) - 1))
        self.blas_rows = -(-GEMM_MIN_WORK // largest)
        self._local = threading.local()

    @property
    def n_params(self):
        return self.spec.n_params

    def scratch_elements(self, n):
        """Elements (of the plan's dtype) of scratch a Workspace needs for a batch of n
        samples (a Python int, so that it cannot overflow)."""
        return int(n) * (2 * self.spec.act_size + 2 * int(self.spec.max_width))

    def scratch_bytes(self, n):
        """Bytes of scratch a Workspace needs for a batch of n samples."""
        return self.dtype.itemsize * self.scratch_elements(n)

    cdef Workspace workspace(self):
        """This thread's workspace (created on its first call)."""
        try:
            return self._local.ws
        except AttributeError:
            ws = self._local.ws = Workspace(self)
            return ws


# One plan per architecture: the ones some network (or a recent call) holds.
_plans = weakref.WeakValueDictionary()
_recent = collections.deque(maxlen=8)
cdef tuple _last = (None, None)


def plan_for(architecture):
    """The Plan of an Architecture (made on first use, then shared)."""
    global _last
    last = _last
    if last[0] is architecture:
        return last[1]
    plan = _plans.get(architecture)
    if plan is None:
        plan = _plans[architecture] = Plan(architecture)
        _recent.append(plan)
    _last = (architecture, plan)
    return plan


cdef class Workspace:
    """Scratch buffers for one thread; see Plan.scratch_elements for their size."""

    def __cinit__(self, Plan plan):
        self.plan = plan
        self.capacity = 0
        self.buf = NULL
        cdef Py_ssize_t L = plan.spec.n_layers
        self.Z = <void **>PyMem_Malloc(L * sizeof(void *))
        self.A = <void **>PyMem_Malloc(L * sizeof(void *))
        if self.Z == NULL or self.A == NULL:
            raise MemoryError("cannot allocate the workspace")

    def __dealloc__(self):
        PyMem_Free(self.buf)
        PyMem_Free(self.Z)
        PyMem_Free(self.A)

    cdef int reserve(self, Py_ssize_t n) except -1:
        if n <= self.capacity:
            return 0
        cdef const MLPSpec *s = &self.plan.spec
        cdef Py_ssize_t l, pos = 0, size = self.plan.dtype.itemsize
        nbytes = self.plan.scratch_bytes(n)
        check_memory(nbytes, "X", f"scratch for {n} samples of this network")
        cdef char *buf = <char *>PyMem_Malloc(<size_t>nbytes)
        if buf == NULL:
            raise MemoryError(f"X: cannot allocate {nbytes} bytes of scratch for {n} samples")
        PyMem_Free(self.buf)
        self.buf = buf
        self.capacity = n
        for l in range(s.n_layers):
            self.Z[l] = buf + pos * size
            pos += n * s.widths[l + 1]
            self.A[l] = buf + pos * size
            pos += n * s.widths[l + 1]
        self.d0 = buf + pos * size
        self.d1 = buf + (pos + n * s.max_width) * size
        return 0


# ---- layer primitives (row-major; BLAS sees the transposes as column-major) ----

cdef inline void small_product(const real *L, Py_ssize_t l_row, Py_ssize_t l_in,
                               const real *R, Py_ssize_t r_in, Py_ssize_t r_col,
                               const real *init, real *out, Py_ssize_t rows,
                               Py_ssize_t cols, Py_ssize_t inner) noexcept nogil:
    """out (rows x cols) = L @ R (+ init per column), L and R given by strides.

    For layers too small for BLAS: one register accumulator per output, summed in order
    of the inner index, so the result matches a plain row-by-row loop bit for bit.
    """
    cdef Py_ssize_t r, c, t
    cdef real acc
    for r in range(rows):
        for c in range(cols):
            acc = 0 if init == NULL else init[c]
            for t in range(inner):
                acc += L[r * l_row + t * l_in] * R[t * r_in + c * r_col]
            out[r * cols + c] = acc


cdef inline bint gemm(Py_ssize_t n, Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    """Whether a product of these sizes goes to BLAS (loaded by need_blas once a batch
    is large enough; until then, and below GEMM_MIN_WORK, a loop)."""
    return n * k * m >= GEMM_MIN_WORK and dgemm != NULL


cdef inline void affine(const real *A, const real *W, const real *b, real *Z, Py_ssize_t n,
                        Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    """Z (n x m) = A (n x k) @ W (k x m) + b."""
    cdef Py_ssize_t i
    if not gemm(n, k, m):
        small_product(A, k, 1, W, m, 1, b, Z, n, m, k)
        return
    for i in range(n):
        memcpy(Z + i * m, b, m * sizeof(real))
    blas_gemm(b"N", b"N", m, n, k, W, m, A, k, <real>1, Z, m)


cdef inline void weight_grad(const real *A, const real *dZ, real *dW, real *db, Py_ssize_t n,
                             Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    """dW (k x m) = A^T dZ, db (m) = column sums of dZ."""
    cdef Py_ssize_t i, j
    memset(db, 0, m * sizeof(real))
    for i in range(n):
        for j in range(m):
            db[j] += dZ[i * m + j]
    if not gemm(n, k, m):
        small_product(A, 1, k, dZ, m, 1, <const real *>NULL, dW, k, m, n)
        return
    blas_gemm(b"N", b"T", m, k, n, dZ, m, A, k, <real>0, dW, m)


cdef inline void input_grad(const real *dZ, const real *W, real *dA, Py_ssize_t n,
                            Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    """dA (n x k) = dZ (n x m) @ W^T."""
    if not gemm(n, k, m):
        small_product(dZ, m, 1, W, 1, m, <const real *>NULL, dA, n, k, m)
        return
    blas_gemm(b"T", b"N", k, n, m, W, m, dZ, m, <real>0, dA, k)


cdef void matmul(const real *A, const real *B, real *C, Py_ssize_t rows, Py_ssize_t inner,
                 Py_ssize_t cols, bint accumulate) noexcept nogil:
    """C (rows x cols) = A (rows x inner) @ B (inner x cols), plus C's own values when
    accumulate; contiguous row-major. A GEMM when large enough (gemm), else loops."""
    cdef Py_ssize_t r, t, c
    cdef real a
    cdef real *row
    if gemm(rows, inner, cols):
        blas_gemm(b"N", b"N", cols, rows, inner, B, cols, A, inner, <real>accumulate, C, cols)
        return
    for r in range(rows):
        row = C + r * cols
        if not accumulate:
            memset(row, 0, cols * sizeof(real))
        for t in range(inner):
            a = A[r * inner + t]
            for c in range(cols):
                row[c] += a * B[t * cols + c]


cdef inline bint narrow(Py_ssize_t n, Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    """Whether a layer (n samples, k inputs, m outputs) goes to the fixed-width kernels of
    tg_narrow.h: narrow, and small enough that the loops above would compute it anyway."""
    return k <= TG_NARROW and m <= TG_NARROW and n * k * m < GEMM_MIN_WORK


cdef inline void narrow_forward(const real *inp, const real *W, const real *b, real *Z,
                                real *A, Py_ssize_t n, Py_ssize_t k, Py_ssize_t m, int act,
                                int hidden) noexcept nogil:
    if real is double:
        tg_narrow_forward_d[k - 1][m - 1](inp, W, b, Z, A, n, act, hidden)
    else:
        tg_narrow_forward_f[k - 1][m - 1](inp, W, b, Z, A, n, act, hidden)


cdef inline double narrow_output(const real *inp, const real *W, const real *b, real *Z,
                                 real *A, const real *Y, real *dZ, Py_ssize_t n,
                                 Py_ssize_t k, Py_ssize_t m, int act, int loss, int flat,
                                 real scale) noexcept nogil:
    if real is double:
        return tg_narrow_output_d[k - 1][m - 1](inp, W, b, Z, A, Y, dZ, n, act, loss, flat,
                                                scale)
    else:
        return tg_narrow_output_f[k - 1][m - 1](inp, W, b, Z, A, Y, dZ, n, act, loss, flat,
                                                scale)


cdef inline void narrow_backward(const real *inp, const real *dZ, const real *W,
                                 const real *dAdZ, real *gW, real *gb, real *dA, Py_ssize_t n,
                                 Py_ssize_t k, Py_ssize_t m) noexcept nogil:
    if real is double:
        tg_narrow_backward_d[k - 1][m - 1](inp, dZ, W, dAdZ, gW, gb, dA, n)
    else:
        tg_narrow_backward_f[k - 1][m - 1](inp, dZ, W, dAdZ, gW, gb, dA, n)


cdef inline void act_block(int act, const real *Z, real *A, real *D,
                           Py_ssize_t size) noexcept nogil:
    """A = act(Z) (and D = act'(Z) unless D is NULL; D may be Z) over a block of an
    elementwise activation, in contiguous chunks over block_threads(size) threads: each
    element is computed alone, so the result does not depend on the thread count."""
    cdef int threads = block_threads(size), t
    cdef Py_ssize_t chunk = (size + threads - 1) // threads, start, length
    if threads == 1:
        if D == NULL:
            act_row(act, Z, A, size)
        else:
            act_and_grad_row(act, Z, A, D, size)
        return
    for t in prange(threads, num_threads=threads, schedule="static"):
        start = t * chunk
        length = size - start if size - start < chunk else chunk
        if length > 0:
            if D == NULL:
                act_row(act, Z + start, A + start, length)
            else:
                act_and_grad_row(act, Z + start, A + start, D + start, length)


# ---- whole-network passes ----

cdef inline void forward_pass(const MLPSpec *s, const real *params, const real *X,
                              Py_ssize_t n, real **Z, real **A, bint keep_grad,
                              Py_ssize_t n_layers) noexcept nogil:
    """Z, A of the first n_layers layers; with keep_grad, each hidden layer's Z is replaced
    by dA/dZ (what backprop needs of it), computed together with A."""
    cdef Py_ssize_t l, k, m, i
    cdef int act
    cdef const real *inp = X
    for l in range(n_layers):
        k = s.widths[l]
        m = s.widths[l + 1]
        act = s.acts[l]
        if narrow(n, k, m):
            narrow_forward(inp, params + s.w_off[l], params + s.b_off[l], Z[l], A[l], n, k, m,
                           act, keep_grad and l < s.n_layers - 1)
            inp = A[l]
            continue
        affine(inp, params + s.w_off[l], params + s.b_off[l], Z[l], n, k, m)
        if keep_grad and l < s.n_layers - 1:  # hidden: elementwise, never softmax
            act_block(act, Z[l], A[l], Z[l], n * m)
        elif act != TG_SOFTMAX:  # elementwise: the whole block in one call
            act_block(act, Z[l], A[l], NULL, n * m)
        else:
            for i in range(n):
                act_row(act, Z[l] + i * m, A[l] + i * m, m)
        inp = A[l]


cdef void forward(const MLPSpec *s, const real *params, const real *X, Py_ssize_t n,
                  real **Z, real **A) noexcept nogil:
    forward_pass(s, params, X, n, Z, A, False, s.n_layers)


cdef double cost(const MLPSpec *s, const real *Y, Py_ssize_t n, real **Z,
                 real **A) noexcept nogil:
    cdef Py_ssize_t L = s.n_layers
    cdef Py_ssize_t i, rows = n, width = s.widths[L]
    cdef double total = 0.0
    if elementwise_loss(s):
        rows, width = 1, n * width
    for i in range(rows):
        total += loss_row(s.loss, Z[L - 1] + i * width, A[L - 1] + i * width, Y + i * width,
                          width)
    return total / n


cdef inline bint fused_pass(const MLPSpec *s, Py_ssize_t n) noexcept nogil:
    """Whether a network of two narrow layers runs as one fused kernel for batches of n."""
    cdef const Py_ssize_t *w = s.widths
    return s.n_layers == 2 and narrow(n, w[0], w[1]) and narrow(n, w[1], w[2])


cdef inline void *fused_kernel(const MLPSpec *s, real dummy) noexcept nogil:
    """The fused two-layer kernel of this network's widths (fused_pass must hold)."""
    cdef const Py_ssize_t *w = s.widths
    if real is double:
        return <void *>tg_narrow2_backward_d[w[0] - 1][w[1] - 1][w[2] - 1]
    else:
        return <void *>tg_narrow2_backward_f[w[0] - 1][w[1] - 1][w[2] - 1]


cdef inline double backward_with(void *fused, const MLPSpec *s, const real *params,
                                 const real *X, const real *Y, Py_ssize_t n, real **Z,
                                 real **A, real *d0, real *d1, real *grad) noexcept nogil:
    """backward() with its fused kernel looked up (fused_kernel) or NULL: layer by layer."""
    if fused == NULL:
        return backward_layers(s, params, X, Y, n, Z, A, d0, d1, grad)
    if real is double:
        return (<tg_narrow2_backward_fn_d>fused)(X, Y, n, params, grad, Z[0], A[0], Z[1], A[1], d0, d1,
                                  s.acts[0], s.acts[1], s.loss, elementwise_loss(s))
    else:
        return (<tg_narrow2_backward_fn_f>fused)(X, Y, n, params, grad, Z[0], A[0], Z[1], A[1], d0, d1,
                                  s.acts[0], s.acts[1], s.loss, elementwise_loss(s))


cdef double backward(const MLPSpec *s, const real *params, const real *X, const real *Y,
                     Py_ssize_t n, real **Z, real **A, real *d0, real *d1,
                     real *grad) noexcept nogil:
    """Forward, then reverse-mode accumulation; returns the cost, fills grad."""
    cdef void *fused = fused_kernel(s, params[0]) if fused_pass(s, n) else NULL
    return backward_with(fused, s, params, X, Y, n, Z, A, d0, d1, grad)


cdef double forward_to_delta(const MLPSpec *s, const real *params, const real *X,
                            const real *Y, Py_ssize_t n, real **Z, real **A,
                            real *dZ) noexcept nogil:
    """The forward pass a gradient needs: every layer's A, each hidden layer's dA/dZ in
    place of its Z, and dZ (n x widths[L]) = d cost / d Z of the output layer (the loss
    gradient times 1/n); returns the cost."""
    cdef Py_ssize_t L = s.n_layers, k = s.widths[L - 1], m = s.widths[L]
    cdef Py_ssize_t i, j, rows = n, width = m
    cdef real scale = <real>(1.0 / n)
    cdef const real *inp
    if narrow(n, k, m):  # the output layer, the loss gradient and the cost in one pass
        forward_pass(s, params, X, n, Z, A, True, L - 1)  # hidden Z[l] now hold dA/dZ
        return narrow_output(X if L == 1 else A[L - 2], params + s.w_off[L - 1],
                             params + s.b_off[L - 1], Z[L - 1], A[L - 1], Y, dZ, n, k, m,
                             s.acts[L - 1], s.loss, elementwise_loss(s), scale) / n
    if elementwise_loss(s):
        # the output's activation and (for mse) its derivative from one evaluation,
        # vectorized, the derivative straight into dZ, which the loss gradient scales
        forward_pass(s, params, X, n, Z, A, True, L - 1)
        inp = X if L == 1 else A[L - 2]
        affine(inp, params + s.w_off[L - 1], params + s.b_off[L - 1], Z[L - 1], n, k, m)
        act_block(s.acts[L - 1], Z[L - 1], A[L - 1], dZ if s.loss == TG_MSE else NULL,
                  n * m)
        for j in range(n * m):
            dZ[j] = loss_grad_elem(s.loss, A[L - 1][j], Y[j],
                                   dZ[j] if s.loss == TG_MSE else 0, scale)
    else:
        forward_pass(s, params, X, n, Z, A, True, L)
        for i in range(rows):
            loss_grad_row(s.loss, s.acts[L - 1], Z[L - 1] + i * width,
                          A[L - 1] + i * width, Y + i * width, width, scale,
                          dZ + i * width)
    return cost(s, Y, n, Z, A)


cdef double backward_layers(const MLPSpec *s, const real *params, const real *X,
                            const real *Y, Py_ssize_t n, real **Z, real **A, real *d0,
                            real *d1, real *grad) noexcept nogil:
    """backward() layer by layer."""
    cdef Py_ssize_t L = s.n_layers, l, k, m
    cdef Py_ssize_t j
    cdef real *dZ = d0
    cdef real *tmp
    cdef const real *inp
    cdef double c = forward_to_delta(s, params, X, Y, n, Z, A, dZ)
    for l in range(L - 1, -1, -1):
        k = s.widths[l]
        m = s.widths[l + 1]
        inp = X if l == 0 else A[l - 1]
        if narrow(n, k, m):  # weight_grad and input_grad (times dA/dZ) in one pass
            narrow_backward(inp, dZ, params + s.w_off[l], NULL if l == 0 else Z[l - 1],
                            grad + s.w_off[l], grad + s.b_off[l], NULL if l == 0 else d1, n,
                            k, m)
        else:
            weight_grad(inp, dZ, grad + s.w_off[l], grad + s.b_off[l], n, k, m)
            if l > 0:
                input_grad(dZ, params + s.w_off[l], d1, n, k, m)
                for j in range(n * k):
                    d1[j] *= Z[l - 1][j]
        if l == 0:
            break
        tmp = dZ
        dZ = d1
        d1 = tmp
    return c


cdef void gemms_only(const MLPSpec *s, const real *params, const real *X, Py_ssize_t n,
                     real **Z, real **A, real *d0, real *d1, real *grad) noexcept nogil:
    """The BLAS calls of backward_layers alone, with its shapes and buffers: each layer's
    forward product, weight gradient and (below the output) input gradient, wherever
    backward_layers makes them GEMMs. What a gradient costs at least, for benchmarks."""
    cdef Py_ssize_t l, k, m
    cdef const real *inp
    for l in range(s.n_layers):
        k = s.widths[l]
        m = s.widths[l + 1]
        if gemm(n, k, m) and not narrow(n, k, m):
            blas_gemm(b"N", b"N", m, n, k, params + s.w_off[l], m, X if l == 0 else A[l - 1],
                      k, <real>1, Z[l], m)
    for l in range(s.n_layers - 1, -1, -1):
        k = s.widths[l]
        m = s.widths[l + 1]
        inp = X if l == 0 else A[l - 1]
        if gemm(n, k, m) and not narrow(n, k, m):
            blas_gemm(b"N", b"T", m, k, n, d0, m, inp, k, <real>0, grad + s.w_off[l], m)
            if l > 0:
                blas_gemm(b"T", b"N", k, n, m, params + s.w_off[l], m, d0, m, <real>0, d1, k)


# ---- the compiled loop's gradient ----

cdef struct ReverseState:
    const MLPSpec *s
    void **Z
    void **A
    void *d0
    void *d1
    Py_ssize_t fused_n      # the batch size fused was looked up for (0: none yet)
    void *fused


cdef inline double reverse_typed(ReverseState *st, const real *params, const real *X,
                                 const real *Y, Py_ssize_t n, real *grad) noexcept nogil:
    if n != st.fused_n:  # a loop's batches are one size (bar the last): look it up once
        st.fused = fused_kernel(st.s, params[0]) if fused_pass(st.s, n) else NULL
        st.fused_n = n
    return backward_with(st.fused, st.s, params, X, Y, n, <real **>st.Z, <real **>st.A,
                         <real *>st.d0, <real *>st.d1, grad)


cdef double reverse_gradient_d(void *state, const void *params, const void *X, const void *Y,
                               Py_ssize_t n, void *grad) noexcept nogil:
    return reverse_typed(<ReverseState *>state, <const double *>params, <const double *>X,
                         <const double *>Y, n, <double *>grad)


cdef double reverse_gradient_f(void *state, const void *params, const void *X, const void *Y,
                               Py_ssize_t n, void *grad) noexcept nogil:
    return reverse_typed(<ReverseState *>state, <const float *>params, <const float *>X,
                         <const float *>Y, n, <float *>grad)


cdef class ReverseKernel(GradientKernel):
    """The reverse engine's gradient for the compiled training loop (Engine.fit_kernel)."""

    cdef Plan plan
    cdef Workspace ws
    cdef ReverseState st

    def __cinit__(self, Plan plan):
        self.plan = plan
        self.ws = Workspace(plan)
        self.fn = reverse_gradient_d if plan.typenum == cnp.NPY_DOUBLE else reverse_gradient_f
        self.state = &self.st
        self.st.s = &plan.spec
        self.st.fused_n = 0
        self.n_params = plan.spec.n_params
        self.n_inputs = plan.spec.widths[0]
        self.n_outputs = plan.spec.widths[plan.spec.n_layers]
        self.dtype = plan.dtype

    cdef int reserve(self, Py_ssize_t n) except -1:
        self.ws.reserve(n)
        need_blas(self.plan, n)
        self.st.Z, self.st.A, self.st.d0, self.st.d1 = self.ws.Z, self.ws.A, self.ws.d0, self.ws.d1
        return 0


# ---- Python entry points ----

cdef Py_ssize_t begin(Plan plan, Workspace ws, object params, object X, const void **p,
                      const void **x) except -1:
    """What every entry point checks first: params and the batch X against the plan;
    reserves scratch (and BLAS) for the batch and returns its row count."""
    cdef const MLPSpec *s = &plan.spec
    if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
        raise ValueError("X: expected a 2-D array")
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if n < 1:
        raise ValueError("X: expected at least one sample")
    p[0] = data_of(params, s.n_params, plan.typenum, "params", False)
    x[0] = data_of(X, n * s.widths[0], plan.typenum, "X", False)
    ws.reserve(n)
    need_blas(plan, n)
    return n


cdef double run_backward(Plan plan, Workspace ws, const void *p, const void *x,
                         const void *y, Py_ssize_t n, void *g, real dummy) noexcept nogil:
    return backward(&plan.spec, <const real *>p, <const real *>x, <const real *>y, n,
                    <real **>ws.Z, <real **>ws.A, <real *>ws.d0, <real *>ws.d1, <real *>g)


cdef double run_loss(Plan plan, Workspace ws, const void *p, const void *x, const void *y,
                     Py_ssize_t n, real dummy) noexcept nogil:
    forward(&plan.spec, <const real *>p, <const real *>x, n, <real **>ws.Z, <real **>ws.A)
    return cost(&plan.spec, <const real *>y, n, <real **>ws.Z, <real **>ws.A)


cdef void run_forward(Plan plan, Workspace ws, const void *p, const void *x, Py_ssize_t n,
                      real dummy) noexcept nogil:
    forward(&plan.spec, <const real *>p, <const real *>x, n, <real **>ws.Z, <real **>ws.A)


def value_and_grad(Plan plan, params, X, Y):
    """(cost, gradient) for a checked batch X, Y; the gradient is a new (n_params,) array
    of the plan's dtype."""
    cdef const MLPSpec *s = &plan.spec
    cdef Workspace ws = plan.workspace()
    cdef const void *p
    cdef const void *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef const void *y = data_of(Y, n * s.widths[s.n_layers], plan.typenum, "Y", False)
    cdef cnp.npy_intp size = s.n_params
    cdef cnp.ndarray grad = cnp.PyArray_EMPTY(1, &size, plan.typenum, 0)
    cdef void *g = cnp.PyArray_DATA(grad)
    cdef double c
    cdef bint is_double = plan.typenum == cnp.NPY_DOUBLE
    with nogil:
        if is_double:
            c = run_backward(plan, ws, p, x, y, n, g, <double>0)
        else:
            c = run_backward(plan, ws, p, x, y, n, g, <float>0)
    return c, grad


def uses_blas(Plan plan, Py_ssize_t n):
    """Whether a pass over a batch of n samples calls BLAS (a layer as large as a GEMM)."""
    return n >= plan.blas_rows


def loss(Plan plan, params, X, Y):
    """Cost of a checked batch X, Y."""
    cdef const MLPSpec *s = &plan.spec
    cdef Workspace ws = plan.workspace()
    cdef const void *p
    cdef const void *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef const void *y = data_of(Y, n * s.widths[s.n_layers], plan.typenum, "Y", False)
    cdef double c
    cdef bint is_double = plan.typenum == cnp.NPY_DOUBLE
    with nogil:
        if is_double:
            c = run_loss(plan, ws, p, x, y, n, <double>0)
        else:
            c = run_loss(plan, ws, p, x, y, n, <float>0)
    return c


def predict(Plan plan, params, X):
    """Network output for a checked batch X: a new (n, n_outputs) array of the plan's
    dtype."""
    cdef const MLPSpec *s = &plan.spec
    cdef Workspace ws = plan.workspace()
    cdef Py_ssize_t m = s.widths[s.n_layers]
    cdef const void *p
    cdef const void *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef cnp.npy_intp dims[2]
    dims[0], dims[1] = n, m
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(2, dims, plan.typenum, 0)
    cdef void *o = cnp.PyArray_DATA(out)
    cdef bint is_double = plan.typenum == cnp.NPY_DOUBLE
    cdef size_t nbytes = cnp.PyArray_NBYTES(out)
    with nogil:
        if is_double:
            run_forward(plan, ws, p, x, n, <double>0)
        else:
            run_forward(plan, ws, p, x, n, <float>0)
        memcpy(o, ws.A[s.n_layers - 1], nbytes)
    return out
