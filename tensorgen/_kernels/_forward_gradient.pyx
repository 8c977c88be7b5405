# cython: language_level=3
# Design:
#   The forward gradient: an unbiased estimate of the cost's gradient from forward passes
#   alone, (1/K) sum_k (g . v_k) v_k over K standard Gaussian directions v_k of every
#   parameter, written once over the fused type `real`.
#   directions  drawn in C from the counter-based stream of csrc/tg_random.h: direction k
#               of estimate number c of an engine with key s is a pure function of
#               (s, c, k); the engine's counter (one uint64 it shares with its kernels)
#               gives each estimate its c, advanced atomically by one per estimate.
#   estimate    one primal pass (_forward.primal_pass), then the K directional
#               derivatives g . v_k by _forward.directional, the directions stacked in
#               chunks (a chunk's tangent blocks hold at most CHUNK_ELEMENTS values, or
#               one direction's, so memory stays bounded for large batches; the chunk
#               depends on the batch size only), and the sum over k in order.
#   value_and_grad / ForwardGradientKernel
#               the engine's Python entry point (scratch per thread, reused), and its
#               GradientKernel for the compiled fit loop (scratch of its own), which draws
#               from the same counter: an estimate is the same whichever of the two
#               computes it.
#   draw        the directions of one estimate, for tests and users who check the stream.
from libc.stdint cimport uint64_t
from libc.string cimport memset

cimport numpy as cnp
import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._forward cimport (
    Primal, Scratch, begin_primal, directional, primal_pass, rows_of, thread_scratch,
)
from tensorgen._kernels._mlp cimport MLPSpec, Plan, Workspace, need_blas, real
from tensorgen._kernels._seam cimport GradientKernel

from tensorgen._kernels._arrays import check_memory

cnp.import_array()

cdef extern from "tg_random.h" nogil:
    uint64_t tg_stream_base(uint64_t key, uint64_t call, uint64_t direction)
    void tg_gauss_fill(uint64_t base, double *out, Py_ssize_t size)
    void tg_gauss_fill_f(uint64_t base, float *out, Py_ssize_t size)
    uint64_t tg_counter_take(uint64_t *counter)

#: Most directions one estimate may average.
MAX_DIRECTIONS = 1 << 20
cdef enum:
    # values one chunk's tangent block may hold (8 MiB of doubles)
    CHUNK_ELEMENTS = 1 << 20


cdef struct Estimate:
    Primal p
    Py_ssize_t directions   # K
    uint64_t key
    uint64_t *counter       # IN/OUT the engine's estimate counter
    void *T                 # two tangent blocks (capacities: scratch_sizes)
    void *U
    void *V                 # a chunk of directions, chunk x n_params
    double *out             # their directional derivatives (chunk)


cdef inline Py_ssize_t chunk_for(Py_ssize_t n, Py_ssize_t width,
                                 Py_ssize_t directions) noexcept nogil:
    """Directions stacked at once for a batch of n samples: as many as fit
    CHUNK_ELEMENTS values per tangent block, at least one."""
    return max(1, min(directions, CHUNK_ELEMENTS // (n * width)))


def capacities(Plan plan, Py_ssize_t n, Py_ssize_t directions):
    """(tangent block, chunk) capacities for batches of up to n samples: the largest
    chunk * n' * max_width and chunk over n' <= n."""
    width = plan.spec.max_width
    return (min(directions * n * width, max(CHUNK_ELEMENTS, n * width)),
            min(directions, max(1, CHUNK_ELEMENTS // width)))


def scratch_sizes(Plan plan, Py_ssize_t n, Py_ssize_t directions):
    """(workspace bytes, estimate bytes) of estimates over batches of up to n samples: the
    primal pass, and two tangent blocks, a chunk of directions and its derivatives."""
    tangents, chunk = capacities(plan, n, directions)
    values = (2 * tangents + chunk * plan.spec.n_params) * plan.dtype.itemsize
    return plan.scratch_bytes(n), (values + 7) // 8 * 8 + 8 * chunk


cdef int carve(Estimate *e, Plan plan, char *buf, Py_ssize_t n) except -1:
    """Point e's blocks into buf (scratch_sizes' estimate bytes for batches of up to n)."""
    tangents, chunk = capacities(plan, n, e.directions)
    cdef Py_ssize_t size = plan.dtype.itemsize, t = tangents, c = chunk
    e.T = buf
    e.U = buf + t * size
    e.V = buf + 2 * t * size
    e.out = <double *>(buf + ((2 * t + c * plan.spec.n_params) * size + 7) // 8 * 8)
    return 0


cdef double estimate(Estimate *e, const real *Y, real *grad) noexcept nogil:
    """The cost of e's batch and the forward-gradient estimate (into grad)."""
    cdef const MLPSpec *s = e.p.s
    cdef Py_ssize_t P = s.n_params, K = e.directions, k, c, q
    cdef Py_ssize_t chunk = chunk_for(e.p.n, s.max_width, K)
    cdef uint64_t call = tg_counter_take(e.counter)
    cdef real *V = <real *>e.V
    cdef real *vk
    cdef real d
    cdef double cost = primal_pass(&e.p, Y)
    memset(grad, 0, P * sizeof(real))
    cdef Py_ssize_t k0 = 0
    while k0 < K:
        c = min(chunk, K - k0)
        for k in range(c):
            if real is double:
                tg_gauss_fill(tg_stream_base(e.key, call, k0 + k), V + k * P, P)
            else:
                tg_gauss_fill_f(tg_stream_base(e.key, call, k0 + k), V + k * P, P)
        directional(&e.p, <real *>e.T, <real *>e.U, c, V, P, e.out)
        for k in range(c):
            d = <real>e.out[k]
            vk = V + k * P
            for q in range(P):
                grad[q] += d * vk[q]
        k0 += c
    d = <real>(1.0 / K)
    for q in range(P):
        grad[q] *= d
    return cost


cdef int setup(Estimate *e, Plan plan, Py_ssize_t directions, uint64_t key,
               object counter) except -1:
    if not 1 <= directions <= MAX_DIRECTIONS:
        raise ValueError(f"directions: expected 1 to {MAX_DIRECTIONS}, got {directions}")
    e.directions = directions
    e.key = key
    e.counter = <uint64_t *>data_of(counter, 1, cnp.NPY_UINT64, "counter", True)
    return 0


def value_and_grad(Plan plan, params, X, Y, grad, Py_ssize_t directions, uint64_t key,
                   counter):
    """Cost of a checked batch X, Y, and the forward-gradient estimate over `directions`
    directions of the stream `key`, written into grad (the plan's dtype); counter: the
    engine's one-element uint64 array, advanced by one."""
    cdef Estimate e
    setup(&e, plan, directions, key, counter)
    cdef Workspace ws = plan.workspace()
    cdef void *g = data_of(grad, plan.spec.n_params, plan.typenum, "grad", True)
    cdef Py_ssize_t n = rows_of(X)
    _, need = scratch_sizes(plan, n, directions)
    cdef Scratch scratch = thread_scratch()
    cdef const void *y = begin_primal(&e.p, plan, ws, params, X, Y,
                                      need if need > scratch.capacity else 0)
    carve(&e, plan, <char *>scratch.reserve(need, "the forward gradient's tangents"), n)
    need_blas(plan, chunk_for(n, plan.spec.max_width, directions) * n)
    cdef double c
    with nogil:
        if plan.typenum == cnp.NPY_DOUBLE:
            c = estimate(&e, <const double *>y, <double *>g)
        else:
            c = estimate(&e, <const float *>y, <float *>g)
    return c


def draw(Py_ssize_t n_params, Py_ssize_t directions, uint64_t key, uint64_t call):
    """The directions of estimate number `call` of the stream `key`: a new
    (directions, n_params) float64 array (float32 networks use them rounded)."""
    if n_params < 1 or not 1 <= directions <= MAX_DIRECTIONS:
        raise ValueError(f"n_params, directions: expected >= 1 and 1 to {MAX_DIRECTIONS}, "
                         f"got {n_params}, {directions}")
    cdef cnp.ndarray out = np.empty((directions, n_params))
    cdef double *o = <double *>cnp.PyArray_DATA(out)
    cdef Py_ssize_t k
    with nogil:
        for k in range(directions):
            tg_gauss_fill(tg_stream_base(key, call, k), o + k * n_params, n_params)
    return out


# ---- the compiled loop's gradient ----

cdef double estimate_d(void *state, const void *params, const void *X, const void *Y,
                       Py_ssize_t n, void *grad) noexcept nogil:
    cdef Estimate *e = <Estimate *>state
    e.p.params, e.p.X, e.p.n = params, X, n
    return estimate(e, <const double *>Y, <double *>grad)


cdef double estimate_f(void *state, const void *params, const void *X, const void *Y,
                       Py_ssize_t n, void *grad) noexcept nogil:
    cdef Estimate *e = <Estimate *>state
    e.p.params, e.p.X, e.p.n = params, X, n
    return estimate(e, <const float *>Y, <float *>grad)


cdef void skip_estimate(void *state) noexcept nogil:
    """An estimate's number taken without computing it (a batch with no rows here)."""
    tg_counter_take((<Estimate *>state).counter)


cdef class ForwardGradientKernel(GradientKernel):
    """The forward gradient for the compiled training loop (Engine.fit_kernel); it draws
    from the engine's counter, so the loop's estimates continue the engine's stream."""

    cdef Plan plan
    cdef Workspace ws
    cdef Scratch scratch
    cdef object counter
    cdef Estimate e

    def __cinit__(self, Plan plan, Py_ssize_t directions, uint64_t key, counter):
        setup(&self.e, plan, directions, key, counter)
        self.plan = plan
        self.counter = counter
        self.ws = Workspace(plan)
        self.scratch = Scratch()
        self.fn = estimate_d if plan.typenum == cnp.NPY_DOUBLE else estimate_f
        self.skip = skip_estimate
        self.state = &self.e
        self.e.p.s = &plan.spec
        self.n_params = plan.spec.n_params
        self.n_inputs = plan.spec.widths[0]
        self.n_outputs = plan.spec.widths[plan.spec.n_layers]
        self.dtype = plan.dtype

    cdef int reserve(self, Py_ssize_t n) except -1:
        """Room for batches of up to n samples (each batch stacks the directions its own
        size allows, as value_and_grad does)."""
        _, need = scratch_sizes(self.plan, n, self.e.directions)
        first = need if need > self.scratch.capacity else 0
        if n > self.ws.capacity:
            first += self.plan.scratch_bytes(n)
        check_memory(first, "X", f"the forward gradient's scratch for {n} samples")
        self.ws.reserve(n)
        carve(&self.e, self.plan, <char *>self.scratch.reserve(
            need, "the forward gradient's tangents"), n)
        self.e.p.A, self.e.p.D, self.e.p.G = self.ws.A, self.ws.Z, self.ws.d0
        need_blas(self.plan, chunk_for(n, self.plan.spec.max_width, self.e.directions) * n)
        return 0
