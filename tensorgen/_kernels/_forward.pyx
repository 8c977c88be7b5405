# cython: language_level=3
# Design:
#   Forward-mode differentiation of the cost: tangents (derivatives along a direction of
#   the parameters) pushed through the network beside one forward pass, written once over
#   the fused type `real` (float or double).
#   Primal      the forward pass the tangents follow, computed once per call by
#               _mlp.forward_to_delta and then only read, by every thread: each layer's A,
#               each hidden layer's dA/dZ (D), and the output layer's G = d cost / d Z,
#               the loss's derivative, which turns an output tangent into the cost's
#               directional derivative <G, dZ>.
#   push        K tangents of one layer's pre-activations, a K x n x width block, to the
#               output: through an activation dA = D * dZ, through a layer dZ' = dA W as
#               one product for the K blocks stacked, plus A dW_k + db_k where the
#               directions move that layer's parameters (param_tangents).
#   value_and_grad
#               the Forward engine's gradient, one direction per parameter, swept in
#               blocks of parameters of one layer. A parameter of layer l leaves every
#               layer before it untouched (a zero tangent, not computed), moves column j of
#               Z_l, and so gives layer l + 1 a rank-one tangent u W_{l+1}[j, :] with
#               u = D_l[:, j] * (input column i, or ones); only the layers after that are
#               pushed densely. Blocks run in parallel (prange, dynamic schedule, the first
#               layers' blocks, the costliest, first) with per-thread scratch. A block's
#               make-up depends on the block size only, and each derivative comes from one
#               block, so the result is bitwise the same for any thread count.
#   jvp         one directional derivative along a direction of every parameter: the
#               primal pass and one tangent (param_tangents at every layer).
#   Scratch     the primal lives in the calling thread's _mlp.Workspace; tangent blocks in
#               this thread's Scratch (jvp, the forward gradient) or in a per-call malloc
#               (the parallel sweep). Sizes are Python ints, checked against physical
#               memory before anything is allocated.
cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdlib cimport free, malloc
from cython.parallel cimport prange, threadid

cimport numpy as cnp
import threading

import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._mlp cimport (
    MLPSpec, Plan, Workspace, forward_to_delta, matmul, need_blas, real,
)

from tensorgen._kernels._arrays import check_memory

cnp.import_array()

cdef extern from "tg_omp.h" nogil:
    int tg_omp_enabled()
    int tg_omp_max_threads()

#: Most threads a sweep may be asked for (Forward checks n_threads against it).
MAX_THREADS = 256
#: Largest block of parameters pushed together.
MAX_BLOCK = 4096
cdef enum:
    # bytes of a cache line: per-thread scratch is padded to whole lines
    LINE = 64
    # (parameter, sample) pairs below which one more thread is not worth waking
    MIN_WORK_PER_THREAD = 4096


# ---- scratch ----

@cython.auto_pickle(False)  # raw memory: nothing to pickle
cdef class Scratch:
    """Tangent scratch of one thread: grown when a call needs more, otherwise reused."""

    def __dealloc__(self):
        PyMem_Free(self.buf)

    cdef void *reserve(self, object nbytes, str what) except NULL:
        """At least nbytes (a Python int: no overflow), checked against physical memory
        before they are allocated; what names the need in the MemoryError (naming X)."""
        if nbytes <= self.capacity:
            return self.buf
        check_memory(nbytes, "X", what)
        cdef char *buf = <char *>PyMem_Malloc(<size_t>nbytes)
        if buf == NULL:
            raise MemoryError(f"X: cannot allocate {nbytes} bytes for {what}")
        PyMem_Free(self.buf)
        self.buf = buf
        self.capacity = nbytes
        return buf


_local = threading.local()


cdef Scratch thread_scratch():
    """This thread's Scratch (created on its first call)."""
    try:
        return _local.scratch
    except AttributeError:
        scratch = _local.scratch = Scratch()
        return scratch


def tangent_bytes(Plan plan, Py_ssize_t n, Py_ssize_t k):
    """Bytes of two blocks of k tangents (T and U) for batches of n samples."""
    return 2 * int(k) * int(n) * plan.spec.max_width * plan.dtype.itemsize


# ---- the primal pass ----

cdef Py_ssize_t rows_of(object X) except -1:
    """Rows of the batch X: a 2-D array of at least one sample."""
    if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
        raise ValueError("X: expected a 2-D array (n_samples, n_inputs)")
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if n < 1:
        raise ValueError(f"X: expected at least one sample, got {n}")
    return n


cdef const void *begin_primal(Primal *p, Plan plan, Workspace ws, object params, object X,
                              object Y, object extra_bytes) except NULL:
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t n = rows_of(X)
    p.s = s
    p.params = data_of(params, s.n_params, plan.typenum, "params", False)
    p.X = data_of(X, n * s.widths[0], plan.typenum, "X", False)
    cdef const void *y = data_of(Y, n * s.widths[s.n_layers], plan.typenum, "Y", False)
    grow = plan.scratch_bytes(n) if n > ws.capacity else 0
    check_memory(grow + extra_bytes, "X", f"forward mode's scratch for {n} samples")
    ws.reserve(n)
    p.n = n
    p.A = ws.A
    p.D = ws.Z
    p.G = ws.d0
    return y


cdef double primal_pass(const Primal *p, const real *Y) noexcept nogil:
    """The forward pass of p's batch (see Primal); returns the cost."""
    return forward_to_delta(p.s, <const real *>p.params, <const real *>p.X, Y, p.n,
                            <real **>p.D, <real **>p.A, <real *>p.G)


# ---- tangents ----

cdef inline void through_activation(const real *D, real *T, Py_ssize_t K,
                                    Py_ssize_t size) noexcept nogil:
    """dA = D * dZ for each of K tangent blocks of size elements (in place)."""
    cdef Py_ssize_t k, e
    cdef real *block
    for k in range(K):
        block = T + k * size
        for e in range(size):
            block[e] = block[e] * D[e]


cdef double paired(const real *G, const real *T, Py_ssize_t size) noexcept nogil:
    """<G, T> over size elements in double, summed pairwise (halves, down to runs of 32
    in four accumulators): the terms are every sample's and output's and may cancel to
    far less than their magnitudes, and a pairwise sum's rounding grows with log(size)
    where a running sum's grows with size (it halved the worst error against the oracle
    on 64-32-32-10 with 256 samples), at the speed of a plain loop."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t e = 0, half
    if size > 32:
        half = size // 2
        return paired(G, T, half) + paired(G + half, T + half, size - half)
    while e + 4 <= size:
        a0 += <double>G[e] * <double>T[e]
        a1 += <double>G[e + 1] * <double>T[e + 1]
        a2 += <double>G[e + 2] * <double>T[e + 2]
        a3 += <double>G[e + 3] * <double>T[e + 3]
        e += 4
    while e < size:
        a0 += <double>G[e] * <double>T[e]
        e += 1
    return (a0 + a1) + (a2 + a3)


cdef void param_tangents(const Primal *p, Py_ssize_t l, real *T, Py_ssize_t K,
                         const real *V, Py_ssize_t stride, bint accumulate) noexcept nogil:
    """T[k] (n x widths[l+1]) (+)= A_{l-1} dW_l + db_l, dW_l and db_l the layer's part of
    direction k (at V + k * stride); A_{-1} is X."""
    cdef const MLPSpec *s = p.s
    cdef Py_ssize_t n = p.n, k_in = s.widths[l], m = s.widths[l + 1], k, i, c
    cdef const real *inp = <const real *>p.X if l == 0 else <const real *>p.A[l - 1]
    cdef const real *db
    cdef real *Tk
    for k in range(K):
        Tk = T + k * n * m
        matmul(inp, V + k * stride + s.w_off[l], Tk, n, k_in, m, accumulate)
        db = V + k * stride + s.b_off[l]
        for i in range(n):
            for c in range(m):
                Tk[i * m + c] += db[c]


cdef void push(const Primal *p, Py_ssize_t l, real *T, real *U, Py_ssize_t K, const real *V,
               Py_ssize_t stride, double *out) noexcept nogil:
    """T: K tangents of Z_l (K x n x widths[l + 1]), pushed to the output layer; with
    directions V (not NULL) each later layer adds its parameters' part. out[k] = the
    cost's derivative along tangent k. T and U are overwritten."""
    cdef const MLPSpec *s = p.s
    cdef Py_ssize_t L = s.n_layers, n = p.n, l2, k, k_in, m
    cdef real *cur = T
    cdef real *nxt = U
    cdef real *tmp
    for l2 in range(l + 1, L):
        k_in = s.widths[l2]
        m = s.widths[l2 + 1]
        through_activation(<const real *>p.D[l2 - 1], cur, K, n * k_in)
        matmul(cur, <const real *>p.params + s.w_off[l2], nxt, K * n, k_in, m, False)
        if V != NULL:
            param_tangents(p, l2, nxt, K, V, stride, True)
        tmp = cur
        cur = nxt
        nxt = tmp
    m = s.widths[L]
    for k in range(K):
        out[k] = paired(<const real *>p.G, cur + k * n * m, n * m)


cdef void directional(const Primal *p, real *T, real *U, Py_ssize_t K, const real *V,
                      Py_ssize_t stride, double *out) noexcept nogil:
    param_tangents(p, 0, T, K, V, stride, False)
    push(p, 0, T, U, K, V, stride, out)


# ---- the full gradient: one direction per parameter ----

cdef void sweep_block(const Primal *p, Py_ssize_t l, Py_ssize_t q0, Py_ssize_t count,
                      real *T, real *U, double *out, real *grad) noexcept nogil:
    """grad[q0 : q0 + count], parameters of layer l, by forward mode."""
    cdef const MLPSpec *s = p.s
    cdef Py_ssize_t n = p.n, k_in = s.widths[l], m = s.widths[l + 1], b, q, i, j, r, c
    cdef Py_ssize_t m2
    cdef const real *inp = <const real *>p.X if l == 0 else <const real *>p.A[l - 1]
    cdef const real *G = <const real *>p.G
    cdef const real *D
    cdef const real *w
    cdef real *row
    cdef real u
    cdef double total
    for b in range(count):
        q = q0 + b
        if q >= s.b_off[l]:  # bias j: its tangent of Z_l is ones in column j
            i, j = -1, q - s.b_off[l]
        else:  # weight (i, j): input column i in column j
            i, j = (q - s.w_off[l]) // m, (q - s.w_off[l]) % m
        if l == s.n_layers - 1:  # the output layer: paired with G at once
            total = 0.0
            for r in range(n):
                total += <double>G[r * m + j] * (1.0 if i < 0 else <double>inp[r * k_in + i])
            out[b] = total
            continue
        # layer l + 1's pre-activations move by u_r W_{l+1}[j, :]
        D = <const real *>p.D[l]
        m2 = s.widths[l + 2]
        w = <const real *>p.params + s.w_off[l + 1] + j * m2
        for r in range(n):
            u = D[r * m + j] if i < 0 else D[r * m + j] * inp[r * k_in + i]
            row = T + (b * n + r) * m2
            for c in range(m2):
                row[c] = u * w[c]
    if l < s.n_layers - 1:
        push(p, l + 1, T, U, count, <const real *>NULL, 0, out)
    for b in range(count):
        grad[q0 + b] = <real>out[b]


cdef void sweep(const Primal *p, const real *Y, const Py_ssize_t *blocks,
                Py_ssize_t n_blocks, Py_ssize_t block, char *work, Py_ssize_t per_thread,
                double *outs, int n_threads, real *grad, double *cost) noexcept nogil:
    """The cost and every derivative; blocks: (layer, first, stop) triples."""
    cdef Py_ssize_t t, tangents = block * p.n * p.s.max_width
    cdef const Py_ssize_t *b
    cdef int me
    cdef real *T
    cost[0] = primal_pass(p, Y)
    for t in prange(n_blocks, num_threads=n_threads, schedule="dynamic", chunksize=1):
        me = threadid()
        T = <real *>(work + me * per_thread)
        b = blocks + 3 * t
        sweep_block(p, b[0], b[1], b[2] - b[1], T, T + tangents, outs + me * block, grad)


def blocks(Plan plan, Py_ssize_t block):
    """(layer, first, stop) of every block: at most `block` consecutive parameters of one
    layer, the first layer's (the costliest to push) first; an (n_blocks, 3) array."""
    cdef const MLPSpec *s = &plan.spec
    rows = []
    for l in range(s.n_layers):
        first, stop = s.w_off[l], s.b_off[l] + s.widths[l + 1]
        rows += [(l, q, min(q + block, stop)) for q in range(first, stop, block)]
    return np.array(rows, dtype=np.intp)


def sweep_threads(Plan plan, Py_ssize_t n, Py_ssize_t block, int n_threads):
    """Threads a sweep of n samples uses: n_threads (0: all OpenMP threads), but one
    without OpenMP, and no more than there are blocks or work for (the result does not
    depend on the count)."""
    if not tg_omp_enabled():
        return 1
    if n_threads == 0:
        n_threads = min(tg_omp_max_threads(), MAX_THREADS)
    cdef const MLPSpec *s = &plan.spec
    cdef Py_ssize_t l, n_blocks = 0
    for l in range(s.n_layers):
        n_blocks += (s.b_off[l] + s.widths[l + 1] - s.w_off[l] + block - 1) // block
    return max(1, min(n_threads, n_blocks, s.n_params * n // MIN_WORK_PER_THREAD))


def per_thread_bytes(Plan plan, Py_ssize_t n, Py_ssize_t block):
    """Bytes of one thread's scratch in a sweep: two tangent blocks, padded to whole
    cache lines plus a spare one, so that threads never write to the same line."""
    size = tangent_bytes(plan, n, block)
    return (size + LINE - 1) // LINE * LINE + LINE


def sweep_scratch_bytes(Plan plan, Py_ssize_t n, Py_ssize_t block, int n_threads):
    """Bytes a sweep of n samples allocates: the primal pass (the workspace's), and per
    thread two tangent blocks and block doubles of derivatives."""
    threads = sweep_threads(plan, n, block, n_threads)
    return plan.scratch_bytes(n) + threads * (per_thread_bytes(plan, n, block) + 8 * block)


def value_and_grad(Plan plan, params, X, Y, grad, Py_ssize_t block, int n_threads):
    """Cost of a checked batch X, Y, and its gradient by forward mode written into grad
    (the plan's dtype); block: parameters per tangent block, n_threads 0 for all."""
    if not 1 <= block <= MAX_BLOCK:
        raise ValueError(f"block: expected 1 to {MAX_BLOCK}, got {block}")
    if not 0 <= n_threads <= MAX_THREADS:
        raise ValueError(f"n_threads: expected 0 (all) to {MAX_THREADS}, got {n_threads}")
    cdef Primal p
    cdef Workspace ws = plan.workspace()
    cdef void *g = data_of(grad, plan.spec.n_params, plan.typenum, "grad", True)
    n = rows_of(X)
    threads = sweep_threads(plan, n, block, n_threads)
    per_thread = per_thread_bytes(plan, n, block)
    cdef const void *y = begin_primal(&p, plan, ws, params, X, Y,
                                      threads * (per_thread + 8 * block))
    cdef cnp.ndarray table = blocks(plan, block)
    need_blas(plan, block * p.n)
    # malloc, not numpy or PyMem: this is the scratch scratch_bytes reports, which the
    # study adds to tracemalloc's peak (tracemalloc sees numpy's and PyMem's allocations)
    cdef char *w = <char *>malloc(<size_t>(threads * per_thread))
    cdef double *o = <double *>malloc(<size_t>(threads * block) * sizeof(double))
    cdef const Py_ssize_t *b = <const Py_ssize_t *>cnp.PyArray_DATA(table)
    cdef Py_ssize_t n_blocks = len(table), per = per_thread
    cdef int t = threads
    cdef double cost
    try:
        if w == NULL or o == NULL:
            raise MemoryError(f"the forward-mode sweep's scratch for {n} samples")
        with nogil:
            if plan.typenum == cnp.NPY_DOUBLE:
                sweep(&p, <const double *>y, b, n_blocks, block, w, per, o, t,
                      <double *>g, &cost)
            else:
                sweep(&p, <const float *>y, b, n_blocks, block, w, per, o, t, <float *>g,
                      &cost)
    finally:
        free(w)
        free(o)
    return cost


# ---- one directional derivative ----

cdef double run_jvp(const Primal *p, const real *Y, const real *v, real *T,
                    double *out) noexcept nogil:
    cdef double c = primal_pass(p, Y)
    directional(p, T, T + p.n * p.s.max_width, 1, v, 0, out)
    return c


def jvp(Plan plan, params, X, Y, v):
    """(cost, d cost . v) of a checked batch X, Y along v, a direction of every parameter
    (all of the plan's dtype)."""
    cdef Primal p
    cdef Workspace ws = plan.workspace()
    cdef const void *d = data_of(v, plan.spec.n_params, plan.typenum, "v", False)
    cdef Scratch scratch = thread_scratch()
    need = tangent_bytes(plan, rows_of(X), 1)
    cdef const void *y = begin_primal(&p, plan, ws, params, X, Y,
                                      need if need > scratch.capacity else 0)
    cdef void *T = scratch.reserve(need, "the tangent blocks")
    need_blas(plan, p.n)
    cdef double c, out
    with nogil:
        if plan.typenum == cnp.NPY_DOUBLE:
            c = run_jvp(&p, <const double *>y, <const double *>d, <double *>T, &out)
        else:
            c = run_jvp(&p, <const float *>y, <const float *>d, <float *>T, &out)
    return c, out
