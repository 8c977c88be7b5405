# cython: language_level=3
# Design:
#   Plan       the architecture as C arrays (widths, activations, parameter offsets), built
#              once per Network and shared read-only by every thread.
#   Workspace  per-thread scratch (Z and A per layer, two backprop blocks), grown when a
#              larger batch arrives and otherwise reused, so a call allocates nothing.
#   forward / backward / cost
#              nogil C over a whole batch. A layer is a GEMM (SciPy's cython_blas) when it is
#              large enough to pay for the call, a plain loop otherwise. Activations and
#              losses come from csrc/tg_math.h, the definitions every engine shares.
#   value_and_grad / predict / check_data
#              the Python-visible entry points; they check what they are handed (types,
#              shapes, finiteness) with the GIL held and only then release it.
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport isfinite
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dgemm

cimport numpy as cnp
import numpy as np

cnp.import_array()

# Multiply-adds below which a layer is computed by loops instead of a BLAS call.
cdef enum:
    GEMM_MIN_WORK = 8192


cdef class Plan:
    """The architecture of a network as C arrays; immutable once built."""

    def __cinit__(self, widths, acts, int loss):
        cdef Py_ssize_t L = len(widths) - 1, l, pos = 0
        w = np.ascontiguousarray(widths, dtype=np.intc)
        a = np.ascontiguousarray(acts, dtype=np.intc)
        w_off = np.zeros(L, dtype=np.intp)
        b_off = np.zeros(L, dtype=np.intp)
        for l in range(L):
            w_off[l] = pos
            pos += w[l] * w[l + 1]
            b_off[l] = pos
            pos += w[l + 1]
        self._keep = (w, a, w_off, b_off)
        self.spec.n_layers = <int>L
        self.spec.widths = <int *>cnp.PyArray_DATA(w)
        self.spec.acts = <int *>cnp.PyArray_DATA(a)
        self.spec.w_off = <Py_ssize_t *>cnp.PyArray_DATA(w_off)
        self.spec.b_off = <Py_ssize_t *>cnp.PyArray_DATA(b_off)
        self.spec.loss = loss
        self.spec.n_params = pos
        self.spec.max_width = int(w[1:].max())
        self.spec.act_size = int(w[1:].sum())

    @property
    def n_params(self):
        return self.spec.n_params

    def scratch_doubles(self, Py_ssize_t n):
        """Doubles of scratch a Workspace needs for a batch of n samples."""
        return n * (2 * self.spec.act_size + 2 * self.spec.max_width)


cdef class Workspace:
    """Scratch buffers for one thread; see Plan.scratch_doubles for their size."""

    def __cinit__(self, Plan plan):
        self.plan = plan
        self.capacity = 0
        self.buf = NULL
        cdef Py_ssize_t L = plan.spec.n_layers
        self.Z = <double **>PyMem_Malloc(L * sizeof(double *))
        self.A = <double **>PyMem_Malloc(L * sizeof(double *))
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
        cdef Py_ssize_t size = self.plan.scratch_doubles(n), l, pos = 0
        cdef double *buf = <double *>PyMem_Malloc(size * sizeof(double))
        if buf == NULL:
            raise MemoryError(f"cannot allocate {size * 8} bytes of scratch for {n} samples")
        PyMem_Free(self.buf)
        self.buf = buf
        self.capacity = n
        for l in range(s.n_layers):
            self.Z[l] = buf + pos
            pos += n * s.widths[l + 1]
            self.A[l] = buf + pos
            pos += n * s.widths[l + 1]
        self.d0 = buf + pos
        self.d1 = buf + pos + n * s.max_width
        return 0


# ---- layer primitives (row-major; BLAS sees the transposes as column-major) ----

cdef inline void affine(const double *A, const double *W, const double *b, double *Z,
                        Py_ssize_t n, int k, int m) noexcept nogil:
    """Z (n x m) = A (n x k) @ W (k x m) + b."""
    cdef Py_ssize_t i, p, j
    cdef double a
    cdef double one = 1.0
    cdef int nn = <int>n
    for i in range(n):
        memcpy(Z + i * m, b, m * sizeof(double))
    if n * k * m >= GEMM_MIN_WORK:
        dgemm(b"N", b"N", &m, &nn, &k, &one, <double *>W, &m, <double *>A, &k, &one, Z, &m)
        return
    for i in range(n):
        for p in range(k):
            a = A[i * k + p]
            for j in range(m):
                Z[i * m + j] += a * W[p * m + j]


cdef inline void weight_grad(const double *A, const double *dZ, double *dW, double *db,
                             Py_ssize_t n, int k, int m) noexcept nogil:
    """dW (k x m) = A^T dZ, db (m) = column sums of dZ."""
    cdef Py_ssize_t i, p, j
    cdef double a
    cdef double one = 1.0, zero = 0.0
    cdef int nn = <int>n
    memset(db, 0, m * sizeof(double))
    for i in range(n):
        for j in range(m):
            db[j] += dZ[i * m + j]
    if n * k * m >= GEMM_MIN_WORK:
        dgemm(b"N", b"T", &m, &k, &nn, &one, <double *>dZ, &m, <double *>A, &k, &zero, dW, &m)
        return
    memset(dW, 0, k * m * sizeof(double))
    for i in range(n):
        for p in range(k):
            a = A[i * k + p]
            for j in range(m):
                dW[p * m + j] += a * dZ[i * m + j]


cdef inline void input_grad(const double *dZ, const double *W, double *dA,
                            Py_ssize_t n, int k, int m) noexcept nogil:
    """dA (n x k) = dZ (n x m) @ W^T."""
    cdef Py_ssize_t i, p, j
    cdef double acc
    cdef double one = 1.0, zero = 0.0
    cdef int nn = <int>n
    if n * k * m >= GEMM_MIN_WORK:
        dgemm(b"T", b"N", &k, &nn, &m, &one, <double *>W, &m, <double *>dZ, &m, &zero, dA, &k)
        return
    for i in range(n):
        for p in range(k):
            acc = 0.0
            for j in range(m):
                acc += dZ[i * m + j] * W[p * m + j]
            dA[i * k + p] = acc


# ---- whole-network passes ----

cdef void forward(const MLPSpec *s, const double *params, const double *X, Py_ssize_t n,
                  double **Z, double **A) noexcept nogil:
    cdef int l, k, m
    cdef Py_ssize_t i
    cdef const double *inp = X
    for l in range(s.n_layers):
        k = s.widths[l]
        m = s.widths[l + 1]
        affine(inp, params + s.w_off[l], params + s.b_off[l], Z[l], n, k, m)
        for i in range(n):
            tg_act_row(s.acts[l], Z[l] + i * m, A[l] + i * m, m)
        inp = A[l]


cdef double cost(const MLPSpec *s, const double *Y, Py_ssize_t n, double **Z,
                 double **A) noexcept nogil:
    cdef int L = s.n_layers, m = s.widths[L]
    cdef Py_ssize_t i
    cdef double total = 0.0
    for i in range(n):
        total += tg_loss_row(s.loss, Z[L - 1] + i * m, A[L - 1] + i * m, Y + i * m, m)
    return total / n


cdef double backward(const MLPSpec *s, const double *params, const double *X,
                     const double *Y, Py_ssize_t n, double **Z, double **A,
                     double *d0, double *d1, double *grad) noexcept nogil:
    """Forward, then reverse-mode accumulation; returns the cost, fills grad."""
    cdef int L = s.n_layers, l, k, m = s.widths[L], act
    cdef Py_ssize_t i, j
    cdef double *dZ = d0
    cdef double *tmp
    forward(s, params, X, n, Z, A)
    for i in range(n):
        tg_loss_grad_row(s.loss, s.acts[L - 1], Z[L - 1] + i * m, A[L - 1] + i * m,
                         Y + i * m, m, 1.0 / n, dZ + i * m)
    for l in range(L - 1, -1, -1):
        k = s.widths[l]
        m = s.widths[l + 1]
        weight_grad(X if l == 0 else A[l - 1], dZ, grad + s.w_off[l], grad + s.b_off[l],
                    n, k, m)
        if l == 0:
            break
        input_grad(dZ, params + s.w_off[l], d1, n, k, m)
        act = s.acts[l - 1]
        for j in range(n * k):
            d1[j] *= tg_act_grad(act, Z[l - 1][j], A[l - 1][j])
        tmp = dZ
        dZ = d1
        d1 = tmp
    return cost(s, Y, n, Z, A)


# ---- Python entry points ----

cdef const double *data_of(cnp.ndarray arr, Py_ssize_t rows, Py_ssize_t cols,
                           str name) except NULL:
    """Pointer to a C-contiguous float64 array of exactly (rows, cols) [or (rows*cols,)]."""
    if (cnp.PyArray_TYPE(arr) != cnp.NPY_DOUBLE or not cnp.PyArray_IS_C_CONTIGUOUS(arr)
            or cnp.PyArray_SIZE(arr) != rows * cols):
        raise ValueError(f"{name}: expected a C-contiguous float64 array of {rows}x{cols}")
    return <const double *>cnp.PyArray_DATA(arr)


def value_and_grad(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X,
                   cnp.ndarray Y, cnp.ndarray grad):
    """Cost and its gradient (written into grad) for a checked batch X, Y."""
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t n = cnp.PyArray_DIM(X, 0)
    cdef const double *p = data_of(params, 1, s.n_params, "params")
    cdef const double *x = data_of(X, n, s.widths[0], "X")
    cdef const double *y = data_of(Y, n, s.widths[s.n_layers], "Y")
    cdef double *g = <double *>data_of(grad, 1, s.n_params, "grad")
    cdef double c
    if ws.plan is not plan or n < 1:
        raise ValueError("workspace/plan mismatch or empty batch")
    ws.reserve(n)
    with nogil:
        c = backward(s, p, x, y, n, ws.Z, ws.A, ws.d0, ws.d1, g)
    return c


def loss(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X, cnp.ndarray Y):
    """Cost of a checked batch X, Y."""
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t n = cnp.PyArray_DIM(X, 0)
    cdef const double *p = data_of(params, 1, s.n_params, "params")
    cdef const double *x = data_of(X, n, s.widths[0], "X")
    cdef const double *y = data_of(Y, n, s.widths[s.n_layers], "Y")
    cdef double c
    if ws.plan is not plan or n < 1:
        raise ValueError("workspace/plan mismatch or empty batch")
    ws.reserve(n)
    with nogil:
        forward(s, p, x, n, ws.Z, ws.A)
        c = cost(s, y, n, ws.Z, ws.A)
    return c


def predict(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X, cnp.ndarray out):
    """Network output for a checked batch X, written into out (n x n_out)."""
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t n = cnp.PyArray_DIM(X, 0)
    cdef int m = s.widths[s.n_layers]
    cdef const double *p = data_of(params, 1, s.n_params, "params")
    cdef const double *x = data_of(X, n, s.widths[0], "X")
    cdef double *o = <double *>data_of(out, n, m, "out")
    if ws.plan is not plan or n < 1:
        raise ValueError("workspace/plan mismatch or empty batch")
    ws.reserve(n)
    with nogil:
        forward(s, p, x, n, ws.Z, ws.A)
        memcpy(o, ws.A[s.n_layers - 1], n * m * sizeof(double))
    return out


def check_data(obj, str name, Py_ssize_t width):
    """Return obj as a C-contiguous, finite float64 array of shape (n >= 1, width).

    The fast path (already such an array) costs a pass over the data in C; anything else
    goes through numpy's conversion. Raises TypeError/ValueError naming the argument.
    """
    cdef cnp.ndarray arr
    if (type(obj) is np.ndarray and cnp.PyArray_TYPE(<cnp.ndarray>obj) == cnp.NPY_DOUBLE
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>obj)):
        arr = <cnp.ndarray>obj
    else:
        arr = _convert(obj, name)
    if cnp.PyArray_NDIM(arr) != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, {width}), "
                         f"got shape {np.shape(arr)}")
    if cnp.PyArray_DIM(arr, 0) < 1:
        raise ValueError(f"{name}: expected at least one sample, got shape {np.shape(arr)}")
    if cnp.PyArray_DIM(arr, 1) != width:
        raise ValueError(f"{name}: expected {width} columns, got shape {np.shape(arr)}")
    cdef const double *d = <const double *>cnp.PyArray_DATA(arr)
    cdef Py_ssize_t i, size = cnp.PyArray_SIZE(arr)
    cdef bint finite = True
    with nogil:
        for i in range(size):
            if not isfinite(d[i]):
                finite = False
                break
    if not finite:
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


def as_array(obj, str name):
    """obj as an ndarray (not yet converted), with a clear error for ragged input."""
    if isinstance(obj, np.ndarray):
        return obj
    try:
        return np.asarray(obj)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name}: cannot be read as a rectangular array ({exc})") from None


def _convert(obj, str name):
    arr = as_array(obj, name)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)
