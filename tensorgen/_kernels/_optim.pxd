# The optimizer step over a flat parameter buffer, shared by the Python-facing step in
# _optim.pyx and the compiled training loop in _train.pyx; inline, so each has its own copy.
# The kinds are csrc/tg_codes.h's tg_optimizer (TG_OPT_SGD: plain SGD, or SGD with
# (Nesterov) momentum when momentum > 0; TG_OPT_ADAM).
from libc.math cimport isfinite, pow, sqrt, sqrtf
from libc.stdint cimport int64_t

from tensorgen._kernels._codes cimport TG_OPT_ADAM, TG_OPT_SGD
from tensorgen._kernels._mlp cimport real


cdef struct OptSpec:
    int kind
    double lr
    double momentum
    bint nesterov
    double beta1
    double beta2
    double eps
    double weight_decay  # L2: weight_decay * p is added to the gradient
    bint eps_hat         # Adam: eps added to sqrt(v) before the bias correction


cdef inline real root(real x) noexcept nogil:
    if real is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline bint opt_step(const OptSpec *o, Py_ssize_t n, const real *p, real *p_out,
                          const real *g, real *m, real *v, int64_t t) noexcept nogil:
    """One update in the parameters' type (float or double): p_out from p and g, the
    state m, v updated in place; whether every new parameter is finite."""
    cdef Py_ssize_t i
    cdef real gi, new, step
    cdef bint finite = True
    cdef real mu = <real>o.momentum, wd = <real>o.weight_decay, lr = <real>o.lr
    cdef real b1 = <real>o.beta1, b2 = <real>o.beta2, eps = <real>o.eps, c1, c2
    if o.kind == TG_OPT_ADAM and o.eps_hat:
        # Kingma & Ba's efficient form (their Section 2, TensorFlow's and scikit-learn's):
        # the corrections folded into the step size, eps ("epsilon hat") added to sqrt(v)
        step = <real>(o.lr * sqrt(1.0 - pow(o.beta2, <double>t))
                      / (1.0 - pow(o.beta1, <double>t)))
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            new = p[i] - step * m[i] / (root(v[i]) + eps)
            finite &= isfinite(new)
            p_out[i] = new
    elif o.kind == TG_OPT_ADAM:
        # bias corrections of step t (t counts from 1)
        c1 = <real>(1.0 - pow(o.beta1, <double>t))
        c2 = <real>(1.0 - pow(o.beta2, <double>t))
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            new = p[i] - lr * (m[i] / c1) / (root(v[i] / c2) + eps)
            finite &= isfinite(new)
            p_out[i] = new
    elif mu != 0:
        for i in range(n):
            gi = g[i] + wd * p[i]
            m[i] = mu * m[i] + gi
            step = gi + mu * m[i] if o.nesterov else m[i]
            new = p[i] - lr * step
            finite &= isfinite(new)
            p_out[i] = new
    elif wd != 0:
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
