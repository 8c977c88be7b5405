# cython: language_level=3
# Design:
#   Plan       the architecture as C arrays (widths, activations, parameter offsets), built
#              once per Network and shared read-only by every thread.
#   Workspace  per-thread scratch (Z and A per layer, two backprop blocks), grown when a
#              larger batch arrives and otherwise reused, so a call allocates nothing.
#   forward / backward / cost
#              nogil C over a whole batch. A layer is a GEMM (SciPy's cython_blas) when it is
#              large enough to pay for the call, a plain loop otherwise, and a fixed-width
#              kernel of csrc/tg_narrow.h when it is also narrow (at most TG_NARROW inputs
#              and outputs): the loop's sums in the loop's order, bit for bit, unrolled; a
#              narrow output layer also gives the loss gradient and the cost in that pass;
#              a network of two narrow layers runs its whole backward pass as one fused
#              kernel (narrow2_for), bit for bit the layered pass (backward_layers).
#              Activations and losses come from csrc/tg_math.h, the definitions every
#              engine shares.
#              backward's forward pass keeps each hidden layer's dA/dZ in place of Z
#              (computed with A: the sigmoid's exp is shared), so backprop recomputes none;
#              a narrow output layer with an elementwise loss shares it the same way.
#   value_and_grad / predict / check_data
#              the Python-visible entry points; they check what they are handed (types,
#              shapes, finiteness) with the GIL held and only then release it.
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.limits cimport INT_MAX
from libc.math cimport isfinite
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dgemm

cimport numpy as cnp
import os

import numpy as np

cnp.import_array()

cdef extern from "tg_narrow.h" nogil:
    int TG_NARROW
    ctypedef void (*tg_narrow_forward_fn)(const double *inp, const double *W, const double *b,
                                          double *Z, double *A, Py_ssize_t n, int act,
                                          int hidden)
    ctypedef void (*tg_narrow_backward_fn)(const double *inp, const double *dZ,
                                           const double *W, const double *dAdZ, double *gW,
                                           double *gb, double *dA, Py_ssize_t n)
    ctypedef double (*tg_narrow_output_fn)(const double *inp, const double *W,
                                           const double *b, double *Z, double *A,
                                           const double *Y, double *dZ, Py_ssize_t n,
                                           int act, int loss, int flat, double scale)
    # indexed [k - 1][m - 1], k and m at most TG_NARROW (4)
    tg_narrow_forward_fn tg_narrow_forward[4][4]
    tg_narrow_output_fn tg_narrow_output[4][4]
    tg_narrow_backward_fn tg_narrow_backward[4][4]
    # indexed [k - 1][h - 1][m - 1] (narrow2_fn: _mlp.pxd)
    narrow2_fn tg_narrow2_backward[4][4][4]


def physical_memory():
    """Bytes of physical memory, or None where the platform does not say.

    Requests larger than this are refused before anything is allocated: under Linux's
    overcommit a huge malloc can succeed and the process is killed later, on first touch.
    """
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


_MEMORY = physical_memory()

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

    def scratch_doubles(self, n):
        """Doubles of scratch a Workspace needs for a batch of n samples (a Python int,
        so that it cannot overflow)."""
        return int(n) * (2 * self.spec.act_size + 2 * int(self.spec.max_width))


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
        cdef Py_ssize_t l, pos = 0
        nbytes = 8 * self.plan.scratch_doubles(n)
        if nbytes > (_MEMORY or PY_SSIZE_T_MAX):
            raise MemoryError(f"X: {n} samples need {nbytes} bytes of scratch for this "
                              f"network, more than the machine's {_MEMORY} bytes of memory")
        cdef double *buf = <double *>PyMem_Malloc(<size_t>nbytes)
        if buf == NULL:
            raise MemoryError(f"X: cannot allocate {nbytes} bytes of scratch for {n} samples")
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

cdef inline void small_product(const double *L, Py_ssize_t l_row, Py_ssize_t l_in,
                               const double *R, Py_ssize_t r_in, Py_ssize_t r_col,
                               const double *init, double *out, Py_ssize_t rows,
                               Py_ssize_t cols, Py_ssize_t inner) noexcept nogil:
    """out (rows x cols) = L @ R (+ init per column), L and R given by strides.

    For layers too small for BLAS: one register accumulator per output, summed in order
    of the inner index, so the result matches a plain row-by-row loop bit for bit.
    """
    cdef Py_ssize_t r, c, t
    cdef double acc
    for r in range(rows):
        for c in range(cols):
            acc = 0.0 if init == NULL else init[c]
            for t in range(inner):
                acc += L[r * l_row + t * l_in] * R[t * r_in + c * r_col]
            out[r * cols + c] = acc


cdef inline void affine(const double *A, const double *W, const double *b, double *Z,
                        Py_ssize_t n, int k, int m) noexcept nogil:
    """Z (n x m) = A (n x k) @ W (k x m) + b."""
    cdef Py_ssize_t i
    cdef double one = 1.0
    cdef int nn = <int>n
    if n * k * m < GEMM_MIN_WORK:
        small_product(A, k, 1, W, m, 1, b, Z, n, m, k)
        return
    for i in range(n):
        memcpy(Z + i * m, b, m * sizeof(double))
    dgemm(b"N", b"N", &m, &nn, &k, &one, <double *>W, &m, <double *>A, &k, &one, Z, &m)


cdef inline void weight_grad(const double *A, const double *dZ, double *dW, double *db,
                             Py_ssize_t n, int k, int m) noexcept nogil:
    """dW (k x m) = A^T dZ, db (m) = column sums of dZ."""
    cdef Py_ssize_t i, j
    cdef double one = 1.0, zero = 0.0
    cdef int nn = <int>n
    memset(db, 0, m * sizeof(double))
    for i in range(n):
        for j in range(m):
            db[j] += dZ[i * m + j]
    if n * k * m < GEMM_MIN_WORK:
        small_product(A, 1, k, dZ, m, 1, NULL, dW, k, m, n)
        return
    dgemm(b"N", b"T", &m, &k, &nn, &one, <double *>dZ, &m, <double *>A, &k, &zero, dW, &m)


cdef inline void input_grad(const double *dZ, const double *W, double *dA,
                            Py_ssize_t n, int k, int m) noexcept nogil:
    """dA (n x k) = dZ (n x m) @ W^T."""
    cdef double one = 1.0, zero = 0.0
    cdef int nn = <int>n
    if n * k * m < GEMM_MIN_WORK:
        small_product(dZ, m, 1, W, 1, m, NULL, dA, n, k, m)
        return
    dgemm(b"T", b"N", &k, &nn, &m, &one, <double *>W, &m, <double *>dZ, &m, &zero, dA, &k)


cdef inline bint narrow(Py_ssize_t n, int k, int m) noexcept nogil:
    """Whether a layer (n samples, k inputs, m outputs) goes to the fixed-width kernels of
    tg_narrow.h: narrow, and small enough that the loops above would compute it anyway."""
    return k <= TG_NARROW and m <= TG_NARROW and n * k * m < GEMM_MIN_WORK


# ---- whole-network passes ----

cdef inline void forward_pass(const MLPSpec *s, const double *params, const double *X,
                              Py_ssize_t n, double **Z, double **A, bint keep_grad,
                              int n_layers) noexcept nogil:
    """Z, A of the first n_layers layers; with keep_grad, each hidden layer's Z is replaced
    by dA/dZ (what backprop needs of it), computed together with A."""
    cdef int l, k, m, act
    cdef Py_ssize_t i
    cdef const double *inp = X
    for l in range(n_layers):
        k = s.widths[l]
        m = s.widths[l + 1]
        act = s.acts[l]
        if narrow(n, k, m):
            tg_narrow_forward[k - 1][m - 1](inp, params + s.w_off[l], params + s.b_off[l],
                                            Z[l], A[l], n, act,
                                            keep_grad and l < s.n_layers - 1)
            inp = A[l]
            continue
        affine(inp, params + s.w_off[l], params + s.b_off[l], Z[l], n, k, m)
        if keep_grad and l < s.n_layers - 1:  # hidden: elementwise, never softmax
            for i in range(n * m):
                A[l][i] = tg_act_and_grad(act, Z[l][i], &Z[l][i])
        elif act != TG_SOFTMAX:  # elementwise: the whole block in one call
            tg_act_row(act, Z[l], A[l], <int>(n * m))
        else:
            for i in range(n):
                tg_act_row(act, Z[l] + i * m, A[l] + i * m, m)
        inp = A[l]


cdef void forward(const MLPSpec *s, const double *params, const double *X, Py_ssize_t n,
                  double **Z, double **A) noexcept nogil:
    forward_pass(s, params, X, n, Z, A, False, s.n_layers)


cdef double cost(const MLPSpec *s, const double *Y, Py_ssize_t n, double **Z,
                 double **A) noexcept nogil:
    cdef int L = s.n_layers
    cdef Py_ssize_t i, rows = n, width = s.widths[L]
    cdef double total = 0.0
    if elementwise_loss(s):
        rows, width = 1, n * width
    for i in range(rows):
        total += tg_loss_row(s.loss, Z[L - 1] + i * width, A[L - 1] + i * width,
                             Y + i * width, <int>width)
    return total / n


cdef narrow2_fn narrow2_for(const MLPSpec *s, Py_ssize_t n) noexcept nogil:
    cdef const int *w = s.widths
    if s.n_layers == 2 and narrow(n, w[0], w[1]) and narrow(n, w[1], w[2]):
        return tg_narrow2_backward[w[0] - 1][w[1] - 1][w[2] - 1]
    return NULL


cdef double backward(const MLPSpec *s, const double *params, const double *X,
                     const double *Y, Py_ssize_t n, double **Z, double **A,
                     double *d0, double *d1, double *grad) noexcept nogil:
    """Forward, then reverse-mode accumulation; returns the cost, fills grad."""
    return backward_with(narrow2_for(s, n), s, params, X, Y, n, Z, A, d0, d1, grad)


cdef double backward_layers(const MLPSpec *s, const double *params, const double *X,
                            const double *Y, Py_ssize_t n, double **Z, double **A,
                            double *d0, double *d1, double *grad) noexcept nogil:
    """backward() layer by layer."""
    cdef int L = s.n_layers, l, k = s.widths[L - 1], m = s.widths[L]
    cdef Py_ssize_t i, j
    cdef double *dZ = d0
    cdef double *tmp
    cdef const double *inp
    cdef Py_ssize_t rows = n, width = m
    cdef double c
    if narrow(n, k, m):  # the output layer, the loss gradient and the cost in one pass
        forward_pass(s, params, X, n, Z, A, True, L - 1)  # hidden Z[l] now hold dA/dZ
        c = tg_narrow_output[k - 1][m - 1](
            X if L == 1 else A[L - 2], params + s.w_off[L - 1], params + s.b_off[L - 1],
            Z[L - 1], A[L - 1], Y, dZ, n, s.acts[L - 1], s.loss, elementwise_loss(s),
            1.0 / n) / n
    else:
        forward_pass(s, params, X, n, Z, A, True, L)
        if elementwise_loss(s):  # one call over the whole block
            rows, width = 1, n * m
        for i in range(rows):
            tg_loss_grad_row(s.loss, s.acts[L - 1], Z[L - 1] + i * width,
                             A[L - 1] + i * width, Y + i * width, <int>width, 1.0 / n,
                             dZ + i * width)
        c = cost(s, Y, n, Z, A)
    for l in range(L - 1, -1, -1):
        k = s.widths[l]
        m = s.widths[l + 1]
        inp = X if l == 0 else A[l - 1]
        if narrow(n, k, m):  # weight_grad and input_grad (times dA/dZ) in one pass
            tg_narrow_backward[k - 1][m - 1](inp, dZ, params + s.w_off[l],
                                             NULL if l == 0 else Z[l - 1], grad + s.w_off[l],
                                             grad + s.b_off[l], NULL if l == 0 else d1, n)
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


# ---- Python entry points ----

cdef const double *data_of(cnp.ndarray arr, Py_ssize_t rows, Py_ssize_t cols,
                           str name) except NULL:
    """Pointer to a C-contiguous float64 array of exactly (rows, cols) [or (rows*cols,)]."""
    if not is_c_double(arr) or cnp.PyArray_SIZE(arr) != rows * cols:
        raise ValueError(f"{name}: expected a C-contiguous, aligned, native float64 array "
                         f"of {rows}x{cols}")
    return <const double *>cnp.PyArray_DATA(arr)


cdef inline bint is_c_double(cnp.ndarray arr) noexcept:
    """Whether the kernels may read arr as a plain C double*: float64 in native byte order,
    C-contiguous and aligned (a byte-swapped or misaligned buffer would be misread)."""
    return cnp.PyArray_TYPE(arr) == cnp.NPY_DOUBLE and cnp.PyArray_ISCARRAY_RO(arr)


cdef inline Py_ssize_t batch_rows(cnp.ndarray X) except -1:
    """Rows of X, checked to be a batch the BLAS calls (C int dimensions) can take."""
    if cnp.PyArray_NDIM(X) != 2:
        raise ValueError(f"X: expected a 2-D array, got {cnp.PyArray_NDIM(X)} dimensions")
    cdef Py_ssize_t n = cnp.PyArray_DIM(X, 0)
    if n < 1 or n > INT_MAX:
        raise ValueError(f"X: expected 1 to {INT_MAX} samples, got {n}")
    return n


cdef Py_ssize_t begin(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X,
                      const double **p, const double **x) except -1:
    """What every entry point checks first: params and the batch X against the plan, the
    workspace's plan; reserves scratch for the batch and returns its row count."""
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t n = batch_rows(X)
    p[0] = data_of(params, 1, s.n_params, "params")
    x[0] = data_of(X, n, s.widths[0], "X")
    if ws.plan is not plan:
        raise ValueError("ws: workspace of another plan")
    ws.reserve(n)
    return n


def value_and_grad(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X,
                   cnp.ndarray Y, bint layered=False):
    """(cost, gradient) for a checked batch X, Y; the gradient is a new (n_params,) array.
    layered: always the layer-by-layer pass, which the fused two-layer kernel of
    tg_narrow.h must equal bit for bit (for tests)."""
    cdef const MLPSpec *s = &plan.spec
    cdef const double *p
    cdef const double *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef const double *y = data_of(Y, n, s.widths[s.n_layers], "Y")
    cdef cnp.npy_intp size = s.n_params
    cdef cnp.ndarray grad = cnp.PyArray_EMPTY(1, &size, cnp.NPY_DOUBLE, 0)
    cdef double *g = <double *>cnp.PyArray_DATA(grad)
    cdef double c
    with nogil:
        if layered:
            c = backward_layers(s, p, x, y, n, ws.Z, ws.A, ws.d0, ws.d1, g)
        else:
            c = backward(s, p, x, y, n, ws.Z, ws.A, ws.d0, ws.d1, g)
    return c, grad


def uses_blas(Plan plan, Py_ssize_t n):
    """Whether a pass over a batch of n samples calls BLAS (a layer as large as a GEMM)."""
    cdef const MLPSpec *s = &plan.spec
    cdef int l
    for l in range(s.n_layers):
        if n * s.widths[l] * s.widths[l + 1] >= GEMM_MIN_WORK:
            return True
    return False


def loss(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X, cnp.ndarray Y):
    """Cost of a checked batch X, Y."""
    cdef const MLPSpec *s = &plan.spec
    cdef const double *p
    cdef const double *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef const double *y = data_of(Y, n, s.widths[s.n_layers], "Y")
    cdef double c
    with nogil:
        forward(s, p, x, n, ws.Z, ws.A)
        c = cost(s, y, n, ws.Z, ws.A)
    return c


def predict(Plan plan, Workspace ws, cnp.ndarray params, cnp.ndarray X, cnp.ndarray out):
    """Network output for a checked batch X, written into out (n x n_out)."""
    cdef const MLPSpec *s = &plan.spec
    cdef int m = s.widths[s.n_layers]
    cdef const double *p
    cdef const double *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef double *o = <double *>data_of(out, n, m, "out")
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
    if type(obj) is np.ndarray and is_c_double(<cnp.ndarray>obj):
        arr = <cnp.ndarray>obj
    else:
        arr = _convert(obj, name)
    if cnp.PyArray_NDIM(arr) != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, {width}), "
                         f"got shape {np.shape(arr)}")
    if cnp.PyArray_DIM(arr, 0) < 1:
        raise ValueError(f"{name}: expected at least one sample, got shape {np.shape(arr)}")
    if cnp.PyArray_DIM(arr, 0) > INT_MAX:
        raise ValueError(f"{name}: expected at most {INT_MAX} samples per call (the BLAS "
                         f"calls take C int sizes), got shape {np.shape(arr)}")
    if cnp.PyArray_DIM(arr, 1) != width:
        raise ValueError(f"{name}: expected {width} columns, got shape {np.shape(arr)}")
    if not all_finite(arr):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


def all_finite(values):
    """Whether every value is finite; a float64 C array is scanned in C, without the
    temporary boolean array of np.isfinite (this runs on every gradient returned)."""
    if type(values) is not np.ndarray or not is_c_double(<cnp.ndarray>values):
        return bool(np.all(np.isfinite(values)))
    cdef const double *d = <const double *>cnp.PyArray_DATA(<cnp.ndarray>values)
    cdef Py_ssize_t i, size = cnp.PyArray_SIZE(<cnp.ndarray>values)
    cdef bint finite = True
    with nogil:
        for i in range(size):
            if not isfinite(d[i]):
                finite = False
                break
    return finite


def check_pair(X, Y, Py_ssize_t n_in, Py_ssize_t n_out):
    """check_data on X and Y, and that they have the same number of rows."""
    X = check_data(X, "X", n_in)
    Y = check_data(Y, "Y", n_out)
    if cnp.PyArray_DIM(<cnp.ndarray>Y, 0) != cnp.PyArray_DIM(<cnp.ndarray>X, 0):
        raise ValueError(f"Y: expected {np.shape(X)[0]} rows to match X, got {np.shape(Y)[0]}")
    return X, Y


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
    # C order, aligned, native float64: strided, Fortran, byte-swapped or misaligned
    # inputs are copied; conforming ones (e.g. a read-only memmap) are used as they are.
    return np.require(arr, np.float64, ("C", "A"))
