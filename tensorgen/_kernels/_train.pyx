# cython: language_level=3
# Design:
#   Loop       the compiled training loop: epochs of (optionally shuffled) mini-batches,
#              each step a nogil call of an engine's GradientKernel (_seam.pxd; the reverse
#              engine's is _mlp.ReverseKernel) followed by an opt_step() from _optim
#              (inlined), without returning to Python per step. It runs for any engine that
#              declares a compiled form (Engine.fit_kernel) and any optimizer that does
#              (Optimizer.compiled_spec), knowing neither. The epochs are written once over
#              the fused type `real`: the kernel's dtype (float64 or float32) is the type
#              of the parameters, the data, the gradient and the optimizer's state. Two parameter buffers are swapped after every step, so when a step
#              produces NaN/inf the previous (finite) parameters are still whole; they end
#              up in the network's buffer in every case, including an interrupt.
#              The optimizer's settings, state arrays and step count are read again by
#              configure(), which fit calls before every run(), so that what a callback
#              changes between epochs (a learning-rate schedule) takes effect.
#              Python regains control only at a coarse interval: every WORK_QUANTUM
#              multiply-adds the loop takes the GIL to let signals (Ctrl-C) through and to
#              read the clock; run() returns after its time budget so the caller can show
#              progress, run callbacks and test stop conditions.
#              Sharded (a data-parallel fit, tensorgen._mpi): the sample order runs over the
#              rows of every rank, this process holds rows [first, first + X rows) of it; each
#              step computes the gradient of its own share of the global batch, weighted by
#              that share, and calls `exchange` with the GIL (an in-place Allreduce of the
#              gradient, the cost share and two flags: past the time budget, interrupted),
#              so every rank takes the same step and stops at the same step.
#   shuffle    the Fisher-Yates shuffle of the sample order (splitmix64 generator), the
#              same routine for this loop and the Python loop, so both draw the same
#              mini-batches from the same seed.
from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport INFINITY, isfinite
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcpy

cimport numpy as cnp
import time

import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._codes cimport TG_OPT_ADAM, TG_OPT_SGD
from tensorgen._kernels._mlp cimport real
from tensorgen._kernels._optim cimport OptSpec, opt_step
from tensorgen._kernels._seam cimport GradientKernel, gradient_fn

cnp.import_array()

# Work (multiply-adds, roughly) between two looks at signals and the clock: ~1 ms.
cdef enum:
    WORK_QUANTUM = 1 << 21
    STEP_OVERHEAD = 256

# Why run() returned.
cpdef enum Status:
    RUNNING = 0     # max_epochs or the time budget reached
    TOL = 1         # cost below tol
    NONFINITE = 2   # NaN/inf cost, gradient or parameters: the step was not taken

cdef object _clock = time.perf_counter


# ---- the shared sample shuffle ----

cdef inline uint64_t splitmix64(uint64_t *state) noexcept nogil:
    state[0] += <uint64_t>0x9E3779B97F4A7C15
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef void shuffle_order(Py_ssize_t *order, Py_ssize_t n, uint64_t *state) noexcept nogil:
    """Fisher-Yates; j = floor(u32 * (i + 1) / 2^32), so n must be below 2^32."""
    cdef Py_ssize_t i, j, tmp
    for i in range(n - 1, 0, -1):
        j = <Py_ssize_t>(((splitmix64(state) >> 32) * <uint64_t>(i + 1)) >> 32)
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


def shuffle(Py_ssize_t[::1] order, uint64_t state):  # order: IN/OUT
    """Shuffle ``order`` in place; return the generator's next state."""
    shuffle_order(&order[0], order.shape[0], &state)
    return state


# ---- the loop ----

cdef inline bint all_finite(const real *x, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if not isfinite(x[i]):
            return False
    return True


cdef inline void gather(const char *src, const Py_ssize_t *rows, Py_ssize_t n_rows,
                        Py_ssize_t row_bytes, char *dst) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n_rows):
        memcpy(dst + i * row_bytes, src + rows[i] * row_bytes, row_bytes)


cdef class Loop:
    """State of one compiled fit: data, batch order, optimizer state and counters.

    The arrays are checked by the caller (tensorgen.training), and kept referenced here
    so they outlive every run(); their pointers come from _arrays.data_of, of the kernel's
    dtype. ``params`` is the network's own buffer. ``kernel`` is the engine's
    GradientKernel, owned by this loop (its scratch is reserved here).
    """

    cdef GradientKernel kernel
    cdef OptSpec opt
    cdef object _keep
    cdef object _state  # the optimizer's m and v, referenced while their pointers are used
    cdef bint is_double
    cdef Py_ssize_t itemsize
    cdef void *params
    cdef void *spare
    cdef void *grad
    cdef void *m
    cdef void *v
    cdef const char *X
    cdef const char *Y
    cdef char *Xb
    cdef char *Yb
    cdef Py_ssize_t *order
    cdef Py_ssize_t n, batch_size
    cdef bint shuffle
    cdef Py_ssize_t first, n_mine  # this process's rows of the order (all, unsharded)
    cdef object exchange           # None, or the sharded fit's per-step collective
    cdef object shared             # what exchange receives: grad, cost share, two flags
    cdef public uint64_t rng
    cdef public int64_t t
    cdef readonly Py_ssize_t steps
    cdef readonly Py_ssize_t epochs_run  # epochs completed by the last run()
    cdef readonly int status

    def __cinit__(self, GradientKernel kernel, params, X, Y, Py_ssize_t batch_size,
                  bint shuffle, uint64_t rng, tuple opt, m, v, int64_t t, shard=None):
        # shard: None, or (rows of all ranks, this process's first row, exchange)
        cdef Py_ssize_t n, n_mine, first = 0, P = kernel.n_params
        dtype = kernel.dtype
        cdef int typenum = dtype.num
        if typenum not in (cnp.NPY_DOUBLE, cnp.NPY_FLOAT):
            raise ValueError(f"kernel: a float64 or float32 kernel expected, got {dtype}")
        if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
            raise ValueError("X: expected a 2-D array")
        n = n_mine = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
        self.exchange = None
        if shard is not None:
            n, first, self.exchange = shard
            if not (0 <= first and first + n_mine <= n and callable(self.exchange)):
                raise ValueError(f"shard: rows {first} to {first + n_mine} of {n} and an "
                                 "exchange callable expected")
        if n < 1 or not 1 <= batch_size <= n:
            raise ValueError(f"batch_size: expected 1 to {n} samples, got {batch_size}")
        self.params = data_of(params, P, typenum, "params", True)
        self.X = <const char *>data_of(X, n_mine * kernel.n_inputs, typenum, "X", False)
        self.Y = <const char *>data_of(Y, n_mine * kernel.n_outputs, typenum, "Y", False)
        spare = np.empty(P, dtype)
        grad = np.empty(P + (3 if self.exchange is not None else 0), dtype)
        self.shared = grad
        Xb = np.empty((batch_size, kernel.n_inputs), dtype)
        Yb = np.empty((batch_size, kernel.n_outputs), dtype)
        order = np.arange(n, dtype=np.intp)
        self._keep = (params, X, Y, spare, grad, Xb, Yb, order)
        self.kernel = kernel
        self.is_double = typenum == cnp.NPY_DOUBLE
        self.itemsize = dtype.itemsize
        self.configure(opt, m, v, t)
        self.spare = cnp.PyArray_DATA(spare)
        self.grad = cnp.PyArray_DATA(grad)
        self.Xb = <char *>cnp.PyArray_DATA(Xb)
        self.Yb = <char *>cnp.PyArray_DATA(Yb)
        self.order = <Py_ssize_t *>cnp.PyArray_DATA(order)
        self.n, self.batch_size, self.shuffle = n, batch_size, shuffle
        self.first, self.n_mine = first, n_mine
        self.rng, self.steps, self.status, self.epochs_run = rng, 0, RUNNING, 0
        kernel.reserve(batch_size)

    def configure(self, tuple opt, m, v, int64_t t):
        """The optimizer: its kernel settings (Optimizer.compiled_spec's tuple), its state
        m, v (IN/OUT, of the kernel's dtype) and the steps it has taken (t)."""
        cdef Py_ssize_t P = self.kernel.n_params
        cdef int typenum = self.kernel.dtype.num
        if opt[0] not in (TG_OPT_SGD, TG_OPT_ADAM):
            raise ValueError(f"opt: unknown optimizer kind {opt[0]}")
        if t < 0:
            raise ValueError(f"t: expected a step count >= 0, got {t}")
        self.m = data_of(m, P, typenum, "m", True)
        self.v = data_of(v, P, typenum, "v", True)
        self._state = (m, v)
        (self.opt.kind, self.opt.lr, self.opt.momentum, self.opt.nesterov, self.opt.beta1,
         self.opt.beta2, self.opt.eps, self.opt.weight_decay, self.opt.eps_hat) = opt
        self.t = t

    def run(self, costs, Py_ssize_t max_epochs, double tol, double budget):
        """Run up to max_epochs epochs (fewer after ``budget`` seconds or a stop).

        costs: OUT, float64, the cost of each epoch run. tol: stop once an epoch's cost is
        below (full batch: checked before the update, which is then skipped). Returns the
        number of epochs run; ``status`` says why it returned. Ctrl-C raises
        KeyboardInterrupt between two steps; the parameters are then those of the last
        completed step.
        """
        if not (cnp.PyArray_Check(costs) and cnp.PyArray_NDIM(<cnp.ndarray>costs) == 1):
            raise ValueError("costs: expected a 1-D array")
        cdef Py_ssize_t size = cnp.PyArray_SIZE(<cnp.ndarray>costs)
        cdef double *out = <double *>data_of(costs, size, cnp.NPY_DOUBLE, "costs", True)
        if size < max_epochs:
            raise ValueError("costs: shorter than max_epochs")
        if not tol > -INFINITY:
            tol = -INFINITY
        self.status = RUNNING
        cdef double deadline = _clock() + budget
        if self.is_double:
            return run_epochs(self, out, max_epochs, tol, deadline, <double>0)
        return run_epochs(self, out, max_epochs, tol, deadline, <float>0)


cdef Py_ssize_t run_epochs(Loop self, double *costs, Py_ssize_t max_epochs, double tol,
                           double deadline, real dummy) except -1:
    """Loop.run's epochs in the kernel's type."""
    cdef GradientKernel kernel = self.kernel
    cdef gradient_fn gradient = kernel.fn
    cdef void *state = kernel.state
    cdef Py_ssize_t P = kernel.n_params, n = self.n, bs = self.batch_size
    cdef Py_ssize_t row_x = kernel.n_inputs * self.itemsize
    cdef Py_ssize_t row_y = kernel.n_outputs * self.itemsize
    cdef Py_ssize_t n_batches = (n + bs - 1) // bs, e = 0, b, start, nb
    cdef Py_ssize_t step_work = bs * P * 3 + STEP_OVERHEAD, work = 0
    cdef bint full = n_batches == 1, stop = False, late = False
    cdef real *params = <real *>self.params
    cdef real *spare = <real *>self.spare
    cdef real *grad = <real *>self.grad
    cdef real *pc = params
    cdef const void *xb
    cdef const void *yb
    cdef double c = 0.0, total
    # A non-finite gradient makes the new parameters non-finite, which opt_step reports;
    # it is checked before the step only to keep a stateful optimizer's state finite.
    cdef bint stateless = self.opt.kind == TG_OPT_SGD and self.opt.momentum == 0.0
    cdef bint sharded = self.exchange is not None
    try:
        with nogil:
            while e < max_epochs and not stop:
                if self.shuffle and not full:
                    shuffle_order(self.order, n, &self.rng)
                total = 0.0
                for b in range(n_batches):
                    start = b * bs
                    nb = min(bs, n - start)
                    if sharded:
                        c = shared_gradient(self, pc, start, nb, full, deadline, grad, &late)
                    elif full or not self.shuffle:
                        xb, yb = self.X + start * row_x, self.Y + start * row_y
                    else:
                        gather(self.X, self.order + start, nb, row_x, self.Xb)
                        gather(self.Y, self.order + start, nb, row_y, self.Yb)
                        xb, yb = self.Xb, self.Yb
                    if not sharded:
                        c = gradient(state, pc, xb, yb, nb, grad)
                    if not (isfinite(c) and (stateless or all_finite(grad, P))):
                        self.status, stop = NONFINITE, True
                        break
                    if full and c < tol:
                        self.status, stop = TOL, True
                        break
                    self.t += 1
                    if not opt_step(&self.opt, P, pc, spare if pc == params else params, grad,
                                    <real *>self.m, <real *>self.v, self.t):
                        self.t -= 1
                        self.status, stop = NONFINITE, True
                        break
                    pc = spare if pc == params else params
                    self.steps += 1
                    total += c if full else c * nb
                    work += step_work
                    if work >= WORK_QUANTUM and not sharded:  # (sharded: every step)
                        work = 0
                        with gil:
                            PyErr_CheckSignals()
                            late = _clock() > deadline
                if self.status == NONFINITE:
                    break
                costs[e] = c if full else total / n
                e += 1
                if not full and costs[e - 1] < tol:
                    self.status, stop = TOL, True
                stop = stop or late
    finally:
        self.epochs_run = e
        if pc != params:
            memcpy(params, pc, P * sizeof(real))
    return e


cdef double shared_gradient(Loop self, const real *params, Py_ssize_t start, Py_ssize_t nb,
                            bint full, double deadline, real *grad, bint *late) except? -1.0 nogil:
    """A sharded step's gradient: this process's rows of the global batch (positions start
    to start + nb of the order), weighted by their share of it, summed over the ranks by
    the exchange. On return grad holds the batch's mean gradient, late whether any rank
    is past its time budget; the result is the batch's cost. Ctrl-C on any rank raises
    KeyboardInterrupt on every rank, before the step."""
    cdef Py_ssize_t P = self.kernel.n_params, lo = self.first, hi = self.first + self.n_mine
    cdef Py_ssize_t row_x = self.kernel.n_inputs * self.itemsize
    cdef Py_ssize_t row_y = self.kernel.n_outputs * self.itemsize
    cdef Py_ssize_t i, k = 0, a, row
    cdef const char *xb = self.Xb
    cdef const char *yb = self.Yb
    cdef double c = 0.0
    cdef real share
    if full or not self.shuffle:  # the global rows [start, start + nb): a run of ours
        a = max(start, lo)
        k = max(min(start + nb, hi) - a, 0)
        xb, yb = self.X + (a - lo) * row_x, self.Y + (a - lo) * row_y
    else:
        for i in range(start, start + nb):
            row = self.order[i]
            if lo <= row < hi:
                memcpy(self.Xb + k * row_x, self.X + (row - lo) * row_x, row_x)
                memcpy(self.Yb + k * row_y, self.Y + (row - lo) * row_y, row_y)
                k += 1
    if k:
        c = self.kernel.fn(self.kernel.state, params, xb, yb, k, grad) * k / nb
        share = <real>k / <real>nb
        for i in range(P):
            grad[i] *= share
    else:
        if self.kernel.skip != NULL:  # keeps a random stream in step with the other ranks
            self.kernel.skip(self.kernel.state)
        for i in range(P):
            grad[i] = 0
    grad[P] = <real>c
    with gil:
        grad[P + 2] = 0
        try:
            PyErr_CheckSignals()
        except KeyboardInterrupt:
            grad[P + 2] = 1
        grad[P + 1] = 1 if _clock() > deadline else 0
        self.exchange(self.shared)
        if grad[P + 2] != 0:
            raise KeyboardInterrupt
    late[0] = grad[P + 1] != 0
    return grad[P]
