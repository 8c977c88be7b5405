# cython: language_level=3
# Design:
#   Test hooks of the compiled code, for tests and benchmarks, kept out of the production
#   modules: each gives a test a path the public API takes only implicitly, so that it can
#   be compared with the path it must equal. setup.py also builds this module with the
#   AVX2 flags (_testing_avx2), like the finite sweep whose row function it reaches.
#   vmath  each row function of csrc/tg_vmath.h over a 1-D float32 or float64 array, in a
#          named build: "portable", "avx2", "avx512", "auto" (the one tg_vmath_init chose
#          at import: the widest the CPU runs and the environment allows) or "libm" (a plain
#          loop over the C library's exp, log1p and tanh in today's formulas, the baseline
#          to compare with). Arguments are checked here; the loops run without the GIL.
#   value_and_grad_layered  the reverse pass layer by layer, never the fused two-layer
#                           kernel, which must equal it bit for bit
#   sigmoid_moved           the cached finite sweep's sigmoid of moved pre-activations,
#                           which must match tg_sigmoid to within a few ulp
from libc.math cimport exp, expf, fabs, fabsf, log1p, log1pf, tanh, tanhf
from libc.stddef cimport ptrdiff_t

cimport numpy as cnp
import numpy as np

from tensorgen._kernels._arrays cimport data_of
from tensorgen._kernels._mlp cimport (
    MLPSpec, Plan, Workspace, backward_layers, begin, gemms_only, need_blas,
)

cnp.import_array()

cdef extern from "tg_vmath.h" nogil:
    ctypedef struct tg_vmath_rows:
        const char *name
        void (*exp_d)(const double *x, double *y, ptrdiff_t n) noexcept nogil
        void (*exp_f)(const float *x, float *y, ptrdiff_t n) noexcept nogil
        void (*log1p_d)(const double *x, double *y, ptrdiff_t n) noexcept nogil
        void (*log1p_f)(const float *x, float *y, ptrdiff_t n) noexcept nogil
        void (*softplus_d)(const double *z, double *y, ptrdiff_t n) noexcept nogil
        void (*softplus_f)(const float *z, float *y, ptrdiff_t n) noexcept nogil
        void (*sigmoid_d)(const double *z, double *a, double *d, ptrdiff_t n) noexcept nogil
        void (*sigmoid_f)(const float *z, float *a, float *d, ptrdiff_t n) noexcept nogil
        void (*tanh_d)(const double *z, double *a, double *d, ptrdiff_t n) noexcept nogil
        void (*tanh_f)(const float *z, float *a, float *d, ptrdiff_t n) noexcept nogil
    int TG_VMATH_PORTABLE
    int TG_VMATH_AVX2
    int TG_VMATH_AVX512
    const tg_vmath_rows *tg_vmath_rows_of(int build)
    const tg_vmath_rows *tg_vmath_active
    void tg_vmath_init()

tg_vmath_init()

ctypedef fused real:
    float
    double

cdef enum Fn:
    EXP, LOG1P, SOFTPLUS, SIGMOID, TANH

BUILDS = ("auto", "portable", "avx2", "avx512", "libm")


# ---- the baseline: today's formulas over the C library's functions ----

cdef inline real libm_exp(real x) noexcept nogil:
    return expf(x) if real is float else exp(x)


cdef inline real libm_log1p(real x) noexcept nogil:
    return log1pf(x) if real is float else log1p(x)


cdef inline real libm_fabs(real x) noexcept nogil:
    return fabsf(x) if real is float else fabs(x)


cdef void libm_row(Fn fn, const real *x, real *y, real *d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real e
    for i in range(n):
        if fn == EXP:
            y[i] = libm_exp(x[i])
        elif fn == LOG1P:
            y[i] = libm_log1p(x[i])
        elif fn == SOFTPLUS:
            y[i] = (x[i] if x[i] > 0 else 0) + libm_log1p(libm_exp(-libm_fabs(x[i])))
        elif fn == SIGMOID:
            e = libm_exp(-libm_fabs(x[i]))
            y[i] = (1 if x[i] >= 0 else e) / (1 + e)
            if d != NULL:
                d[i] = e / ((1 + e) * (1 + e))
        else:
            y[i] = tanhf(x[i]) if real is float else tanh(x[i])
            if d != NULL:
                e = libm_exp(-2 * libm_fabs(x[i]))
                d[i] = 4 * e / ((1 + e) * (1 + e))


# ---- the row functions of tg_vmath.h ----

cdef void vmath_row(const tg_vmath_rows *rows, Fn fn, const real *x, real *y, real *d,
                    Py_ssize_t n) noexcept nogil:
    if real is float:
        if fn == EXP:
            rows.exp_f(x, y, n)
        elif fn == LOG1P:
            rows.log1p_f(x, y, n)
        elif fn == SOFTPLUS:
            rows.softplus_f(x, y, n)
        elif fn == SIGMOID:
            rows.sigmoid_f(x, y, d, n)
        else:
            rows.tanh_f(x, y, d, n)
    else:
        if fn == EXP:
            rows.exp_d(x, y, n)
        elif fn == LOG1P:
            rows.log1p_d(x, y, n)
        elif fn == SOFTPLUS:
            rows.softplus_d(x, y, n)
        elif fn == SIGMOID:
            rows.sigmoid_d(x, y, d, n)
        else:
            rows.tanh_d(x, y, d, n)


cdef const tg_vmath_rows *rows_of(str build) except NULL:
    """The table that a build name (not "libm") stands for."""
    cdef const tg_vmath_rows *rows
    if build == "auto":
        return tg_vmath_active
    if build == "portable":
        return tg_vmath_rows_of(TG_VMATH_PORTABLE)
    if build == "avx2":
        rows = tg_vmath_rows_of(TG_VMATH_AVX2)
        needs = "AVX2 or FMA"
    else:
        rows = tg_vmath_rows_of(TG_VMATH_AVX512)
        needs = "AVX-512 (F, DQ, VL), AVX2 or FMA"
    if rows == NULL:
        raise ValueError(f"build {build!r} is not available here: not compiled in (needs GCC "
                         f"or Clang on x86), or this CPU lacks {needs}")
    return rows


def build_name(build="auto"):
    """The build that `build` runs: "portable", "avx2" or "avx512" ("auto": the one chosen at
    import), or "libm"."""
    if build not in BUILDS:
        raise ValueError(f"build must be one of {', '.join(BUILDS)}, not {build!r}")
    return "libm" if build == "libm" else rows_of(build).name.decode()


cdef cnp.ndarray checked(object x, str name):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, not {type(x).__name__}")
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise TypeError(f"{name} must have dtype float32 or float64 (native byte order), "
                        f"not {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, not {x.ndim}-D")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return x


cdef cnp.ndarray output(cnp.ndarray x, object out, str name):
    """out checked to take f(x), or a new array for it."""
    if out is None:
        return np.empty_like(x)
    checked(out, name)
    if out.dtype != x.dtype or out.shape[0] != x.shape[0]:
        raise ValueError(f"{name} must have the dtype and length of the input "
                         f"({x.dtype}, {x.shape[0]}), not ({out.dtype}, {out.shape[0]})")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return out


cdef object run(Fn fn, object x, str name, str build, bint grad, object out, object d_out):
    cdef cnp.ndarray xa = checked(x, name)
    if build not in BUILDS:
        raise ValueError(f"build must be one of {', '.join(BUILDS)}, not {build!r}")
    cdef const tg_vmath_rows *rows = NULL
    if build != "libm":
        rows = rows_of(build)
    cdef cnp.ndarray y = output(xa, out, "out")
    cdef cnp.ndarray d = output(xa, d_out, "d_out") if grad else None
    cdef Py_ssize_t n = xa.shape[0]
    cdef void *xp = cnp.PyArray_DATA(xa)
    cdef void *yp = cnp.PyArray_DATA(y)
    cdef void *dp = cnp.PyArray_DATA(d) if grad else NULL
    cdef bint single = xa.dtype == np.float32
    with nogil:
        if single:
            if rows == NULL:
                libm_row(fn, <const float *>xp, <float *>yp, <float *>dp, n)
            else:
                vmath_row(rows, fn, <const float *>xp, <float *>yp, <float *>dp, n)
        else:
            if rows == NULL:
                libm_row(fn, <const double *>xp, <double *>yp, <double *>dp, n)
            else:
                vmath_row(rows, fn, <const double *>xp, <double *>yp, <double *>dp, n)
    return (y, d) if grad else y


def vexp(x, build="auto", out=None):
    """exp(x) of a 1-D float32 or float64 array x, in the named build (see build_name);
    written to out (same dtype and length) if given. Returns the result."""
    return run(EXP, x, "x", build, False, out, None)


def vlog1p(x, build="auto", out=None):
    """log(1 + x), as vexp."""
    return run(LOG1P, x, "x", build, False, out, None)


def vsoftplus(z, build="auto", out=None):
    """log(1 + exp(z)), as vexp."""
    return run(SOFTPLUS, z, "z", build, False, out, None)


def vsigmoid(z, build="auto", out=None):
    """1 / (1 + exp(-z)), as vexp."""
    return run(SIGMOID, z, "z", build, False, out, None)


def vsigmoid_and_grad(z, build="auto", out=None, d_out=None):
    """(sigmoid(z), its derivative), from one exp per element; as vexp."""
    return run(SIGMOID, z, "z", build, True, out, d_out)


def vtanh(z, build="auto", out=None):
    """tanh(z), as vexp."""
    return run(TANH, z, "z", build, False, out, None)


def vtanh_and_grad(z, build="auto", out=None, d_out=None):
    """(tanh(z), its derivative 1 - tanh(z)^2), from one exp per element; as vexp."""
    return run(TANH, z, "z", build, True, out, d_out)


# ---- hooks into the reverse and finite-difference kernels ----

cdef extern from "tg_math.h" nogil:
    void tg_sigmoid_shifted_row(const double *z0, const double *e0, const double *z,
                                double *a, Py_ssize_t k)


def value_and_grad_layered(Plan plan, params, X, Y):
    """(cost, gradient) of a checked batch by backward_layers (_mlp.pyx)."""
    cdef const MLPSpec *s = &plan.spec
    if not (cnp.PyArray_Check(X) and cnp.PyArray_NDIM(<cnp.ndarray>X) == 2):
        raise ValueError("X: expected a 2-D array")
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if n < 1:
        raise ValueError("X: expected at least one sample")
    cdef const double *p = <const double *>data_of(params, s.n_params, cnp.NPY_DOUBLE,
                                                   "params", False)
    cdef const double *x = <const double *>data_of(X, n * s.widths[0], cnp.NPY_DOUBLE, "X",
                                                   False)
    cdef const double *y = <const double *>data_of(Y, n * s.widths[s.n_layers],
                                                   cnp.NPY_DOUBLE, "Y", False)
    cdef Workspace ws = Workspace(plan)
    ws.reserve(n)
    need_blas(plan, n)
    grad = np.empty(s.n_params)
    cdef double *g = <double *>data_of(grad, s.n_params, cnp.NPY_DOUBLE, "grad", True)
    cdef double c
    with nogil:
        c = backward_layers(s, p, x, y, n, <double **>ws.Z, <double **>ws.A, <double *>ws.d0,
                            <double *>ws.d1, g)
    return c, grad


def gemms_only_call(Plan plan, params, X, grad):
    """backward_layers' BLAS calls alone (_mlp.gemms_only) on a checked batch X, with the
    plan's dtype; grad (n_params) is written (with meaningless values). The GEMMs' time
    is what a gradient costs at least: the benchmarks compare the gradient with it."""
    cdef const MLPSpec *s = &plan.spec
    cdef int typenum = plan.dtype.num
    cdef Workspace ws = _gemm_workspaces.get(plan)
    if ws is None:
        ws = _gemm_workspaces[plan] = Workspace(plan)
    cdef const void *p
    cdef const void *x
    cdef Py_ssize_t n = begin(plan, ws, params, X, &p, &x)
    cdef void *g = data_of(grad, s.n_params, typenum, "grad", True)
    with nogil:
        if typenum == cnp.NPY_DOUBLE:
            gemms_only(s, <const double *>p, <const double *>x, n, <double **>ws.Z,
                       <double **>ws.A, <double *>ws.d0, <double *>ws.d1, <double *>g)
        else:
            gemms_only(s, <const float *>p, <const float *>x, n, <float **>ws.Z,
                       <float **>ws.A, <float *>ws.d0, <float *>ws.d1, <float *>g)


_gemm_workspaces = {}


def sigmoid_moved(z0, z):
    """sigmoid(z) as the cached sweep computes it for pre-activations z moved from z0
    (from exp(-|z0|)); z0, z: float64 arrays of one length."""
    if np.shape(z0) != np.shape(z) or np.ndim(z) != 1:
        raise ValueError("z0, z: expected 1-D arrays of one length")
    cdef Py_ssize_t k = np.size(z)
    z0 = np.ascontiguousarray(z0, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    e0 = np.exp(-np.abs(z0))
    out = np.empty(k)
    cdef const double *pz0 = <const double *>data_of(z0, k, cnp.NPY_DOUBLE, "z0", False)
    cdef const double *pz = <const double *>data_of(z, k, cnp.NPY_DOUBLE, "z", False)
    cdef const double *pe0 = <const double *>data_of(e0, k, cnp.NPY_DOUBLE, "e0", False)
    cdef double *a = <double *>data_of(out, k, cnp.NPY_DOUBLE, "out", True)
    if k:
        tg_sigmoid_shifted_row(pz0, pe0, pz, a, k)
    return out
