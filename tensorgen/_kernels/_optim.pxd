# The optimizer step over a flat parameter buffer, shared by the Python-facing step in
# _optim.pyx and the compiled training loop in _train.pyx.

cdef enum:
    OPT_SGD = 0         # plain SGD, or SGD with (Nesterov) momentum when momentum > 0
    OPT_ADAM = 1


cdef struct OptSpec:
    int kind
    double lr
    double momentum
    bint nesterov
    double beta1
    double beta2
    double eps
    double weight_decay  # L2: weight_decay * p is added to the gradient


cdef bint opt_step(const OptSpec *o, Py_ssize_t n, const double *p, double *p_out,
                   const double *g, double *m, double *v, long t) noexcept nogil
