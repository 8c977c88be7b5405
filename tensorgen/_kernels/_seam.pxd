# The seam between gradient engines and the compiled training loop (_train.Loop): an
# engine that can run compiled hands the loop a GradientKernel, whose C function the loop
# calls once per mini-batch with the GIL released.

# cost of the batch X (n x n_inputs), Y (n x n_outputs) at params; writes d cost/d params
# into grad (n_params). Pointers to the kernel's dtype; state is the kernel's own.
ctypedef double (*gradient_fn)(void *state, const void *params, const void *X,
                               const void *Y, Py_ssize_t n, void *grad) noexcept nogil

# a batch with no rows for this process (a data-parallel step whose rows all sit on other
# ranks): fn is not called; a kernel with a random stream advances it here, as fn would,
# so that every rank draws the same numbers at the next step. NULL: nothing to do.
ctypedef void (*skip_fn)(void *state) noexcept nogil


cdef class GradientKernel:
    cdef gradient_fn fn
    cdef skip_fn skip
    cdef void *state
    cdef readonly Py_ssize_t n_params, n_inputs, n_outputs
    cdef readonly object dtype       # numpy dtype of params, X, Y and grad
    # make room for batches of up to n samples (called with the GIL, before fn)
    cdef int reserve(self, Py_ssize_t n) except -1
