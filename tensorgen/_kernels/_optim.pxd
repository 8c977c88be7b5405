# The optimizer step over a flat parameter buffer, shared by the Python-facing step in
# _optim.pyx and the compiled training loop in _train.pyx; inline, so each has its own copy.
# The kinds are csrc/tg_codes.h's tg_optimizer (TG_OPT_SGD: plain SGD, or SGD with
# (Nesterov) momentum when momentum > 0; TG_OPT_ADAM).
from libc.math cimport isfinite, pow, sqrt
from libc.stdint cimport int64_t

from tensorgen._kernels._codes cimport TG_OPT_ADAM, TG_OPT_SGD


cdef struct OptSpec:
    int kind
    double lr
    double momentum
    bint nesterov
    double beta1
    double beta2
    double eps
    double weight_decay  # L2: weight_decay * p is added to the gradient


cdef inline bint opt_step(const OptSpec *o, Py_ssize_t n, const double *p, double *p_out,
                          const double *g, double *m, double *v, int64_t t) noexcept nogil:
    cdef Py_ssize_t i
    cdef double gi, new, step
    cdef bint finite = True
    cdef double mu = o.momentum, wd = o.weight_decay, lr = o.lr
    cdef double b1 = o.beta1, b2 = o.beta2, c1, c2
    if o.kind == TG_OPT_ADAM:
        # bias corrections of step t (t counts from 1)
        c1 = 1.0 - pow(b1, <double>t)
        c2 = 1.0 - pow(b2, <double>t)
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = b1 * m[i] + (1.0 - b1) * gi
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi
            new = p[i] - lr * (m[i] / c1) / (sqrt(v[i] / c2) + o.eps)
            finite &= isfinite(new)
            p_out[i] = new
    elif mu != 0.0:
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = mu * m[i] + gi
            step = gi + mu * m[i] if o.nesterov else m[i]
            new = p[i] - lr * step
            finite &= isfinite(new)
            p_out[i] = new
    elif wd != 0.0:
        for i in range(n):
            new = p[i] - lr * (g[i] + wd * p[i])
            finite &= isfinite(new)
            p_out[i] = new
    else:  # the same numbers as above for finite p: g + 0 * p == g
        for i in range(n):
            new = p[i] - lr * g[i]
            finite &= isfinite(new)
            p_out[i] = new
    return finite
