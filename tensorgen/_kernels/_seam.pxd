# The seam between gradient engines and the compiled training loop (_train.Loop): an
# engine that can run compiled hands the loop a GradientKernel, whose C function the loop
# calls once per mini-batch with the GIL released.

# cost of the batch X (n x n_inputs), Y (n x n_outputs) at params; writes d cost/d params
# into grad (n_params). Pointers to the kernel's dtype; state is the kernel's own.
ctypedef double (*gradient_fn)(void *state, const void *params, const void *X,
                               const void *Y, Py_ssize_t n, void *grad) noexcept nogil


cdef class GradientKernel:
    cdef gradient_fn fn
    cdef void *state
    cdef readonly Py_ssize_t n_params, n_inputs, n_outputs
    cdef readonly object dtype       # numpy dtype of params, X, Y and grad
    # make room for batches of up to n samples (called with the GIL, before fn)
    cdef int reserve(self, Py_ssize_t n) except -1
