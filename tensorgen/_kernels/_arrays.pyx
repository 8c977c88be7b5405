# cython: language_level=3
# Design:
#   The one module that turns user arrays into what the kernels read, and the one gate
#   from arrays to C pointers.
#   data_of    (cdef, _arrays.pxd) the pointer gate every kernel uses: an ndarray (not a
#              masked array) of exactly the element type, native byte order, C-contiguous,
#              aligned, of the expected size, writable where the kernel writes. Anything
#              else is a ValueError naming the argument, never a misread buffer.
#   matrix, targets, vector
#              Python-visible conversion and validation of data, targets and parameter-
#              sized vectors: dtypes of real numbers only, masked arrays only without
#              masked entries, shapes, row limits, finiteness (scanned in C), and the
#              losses' target ranges. An array that already conforms is used as it is (no
#              copy); anything else is converted once, here.
#   check_memory
#              the check every allocation whose size the caller controls makes first.
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.limits cimport INT_MAX

cimport numpy as cnp
import os

import numpy as np

from tensorgen._kernels._codes cimport TG_BCE, TG_CROSS_ENTROPY

cnp.import_array()

_MASKED = np.ma.MaskedArray
# The dtypes the kernels compute in, by name (np.dtype("float64") costs 0.26 us, a fifth
# of a small network's whole gradient call; every data check asks for one).
_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}
# Scans shorter than this run with the GIL held (releasing it costs more than they do).
cdef enum:
    SMALL_SCAN = 4096


cdef void *data_of(object arr, Py_ssize_t size, int typenum, str name,
                   bint writable) except NULL:
    """Pointer to the elements of arr, checked to be what C may read as a plain array."""
    if type(arr) is not np.ndarray and (not isinstance(arr, np.ndarray)
                                        or isinstance(arr, _MASKED)):
        raise TypeError(f"{name}: expected a numpy array, got {type(arr).__name__}")
    cdef cnp.ndarray a = <cnp.ndarray>arr
    if (cnp.PyArray_TYPE(a) != typenum or not cnp.PyArray_ISNOTSWAPPED(a)
            or not cnp.PyArray_ISCARRAY_RO(a) or cnp.PyArray_SIZE(a) != size
            or (writable and not cnp.PyArray_ISWRITEABLE(a))):
        what = "writable, " if writable else ""
        raise ValueError(f"{name}: expected a {what}C-contiguous, aligned, native "
                         f"{np.dtype(cnp.PyArray_TypeObjectFromType(typenum)).name} array of "
                         f"{size} elements, got {a.dtype.str} of shape {np.shape(a)}")
    return cnp.PyArray_DATA(a)


cdef inline bint conforms(object obj, cnp.dtype dtype) noexcept:
    """Whether obj can be read in place: a plain ndarray of dtype (native order),
    C-contiguous and aligned."""
    if type(obj) is not np.ndarray:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>obj
    return (cnp.PyArray_TYPE(a) == dtype.type_num and cnp.PyArray_ISNOTSWAPPED(a)
            and cnp.PyArray_ISCARRAY_RO(a))


def as_array(obj, str name):
    """obj as an ndarray, not yet converted: a masked array without masked entries gives
    its data; masked entries, ragged nested lists and non-real dtypes are refused."""
    if isinstance(obj, _MASKED):
        if np.ma.getmaskarray(obj).any():
            raise ValueError(f"{name}: a masked array with masked entries; fill them "
                             f"({name}.filled(value)) or drop those rows first")
        obj = np.ma.getdata(obj)
    if isinstance(obj, np.ndarray):
        arr = obj
    else:
        try:
            arr = np.asarray(obj)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"{name}: cannot be read as a rectangular array ({exc})") from None
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    return arr


def convert(obj, str name, dtype):
    """obj as a C-contiguous, aligned, native array of dtype (a copy only when needed)."""
    cdef cnp.dtype dt = _DTYPES.get(dtype) if type(dtype) is str else None
    if dt is None:
        dt = np.dtype(dtype)
    if conforms(obj, dt):
        return obj
    arr = as_array(obj, name)
    with np.errstate(over="ignore"):  # values float32 cannot hold become inf: refused after
        return np.require(arr, dt, ("C", "A"))


def matrix(obj, str name, Py_ssize_t width, dtype=np.float64):
    """obj as a finite (n, width) array of dtype that the kernels can read, 1 <= n <= 2**31-1.

    Raises TypeError (not real numbers, masked entries aside) or ValueError (shape, rows,
    masked entries, NaN or infinity), naming the argument.
    """
    cdef cnp.ndarray arr = convert(obj, name, dtype)
    if cnp.PyArray_NDIM(arr) != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, {width}), got shape "
                         f"{np.shape(arr)}")
    cdef Py_ssize_t rows = cnp.PyArray_DIM(arr, 0), columns = cnp.PyArray_DIM(arr, 1)
    if rows < 1:
        raise ValueError(f"{name}: expected at least one sample, got shape {np.shape(arr)}")
    if rows > INT_MAX:
        raise ValueError(f"{name}: expected at most {INT_MAX} samples per call (the BLAS "
                         f"calls take C int sizes), got shape {np.shape(arr)}")
    if columns != width:
        raise ValueError(f"{name}: expected {width} columns, got shape {np.shape(arr)}")
    if not all_finite(arr):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


def targets(obj, Py_ssize_t n_out, int loss, dtype=np.float64):
    """Targets Y as a finite (n, n_out) array of dtype.

    A 1-D Y is a column when there is one output, else integer class labels in
    [0, n_out), one-hot encoded. ``loss`` (a tg_loss code) adds its range: bce targets in
    [0, 1], cross_entropy targets >= 0.
    """
    if not (type(obj) is np.ndarray and (<cnp.ndarray>obj).ndim == 2):
        obj = as_array(obj, "Y")
        if obj.ndim == 1:
            obj = obj.reshape(-1, 1) if n_out == 1 else one_hot(obj, n_out, dtype)
    Y = matrix(obj, "Y", n_out, dtype)
    if loss == TG_BCE and not ((Y >= 0).all() and (Y <= 1).all()):
        raise ValueError("Y: loss 'bce' needs targets in [0, 1]")
    if loss == TG_CROSS_ENTROPY and not (Y >= 0).all():
        raise ValueError("Y: loss 'cross_entropy' needs non-negative targets")
    return Y


def one_hot(labels, Py_ssize_t n_out, dtype=np.float64):
    """Integer class labels (n,) in [0, n_out) as one-hot rows (n, n_out)."""
    if labels.dtype.kind not in "iu" and not (
            labels.dtype.kind == "f" and np.isfinite(labels).all()
            and (labels == np.round(labels)).all()):
        raise ValueError(f"Y: 1-D targets for {n_out} outputs must be integer class labels, "
                         f"got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_out):
        raise ValueError(f"Y: class labels must lie in [0, {n_out}), got "
                         f"[{labels.min()}, {labels.max()}]")
    onehot = np.zeros((labels.size, n_out), dtype=dtype)
    onehot[np.arange(labels.size), labels.astype(np.intp)] = 1
    return onehot


def vector(obj, str name, Py_ssize_t size, dtype=np.float64):
    """obj as a finite 1-D array of size elements of dtype (a copy only when needed)."""
    arr = convert(obj, name, dtype)
    if arr.shape != (size,):
        raise ValueError(f"{name}: expected shape ({size},), got {np.shape(arr)}")
    if not all_finite(arr):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


cdef extern from "tg_allfinite.h" nogil:
    int tg_all_finite_d(const double *x, Py_ssize_t n)
    int tg_all_finite_f(const float *x, Py_ssize_t n)


def all_finite(values):
    """Whether every value is finite: a float32/float64 array that conforms is scanned in
    C without a temporary (csrc/tg_allfinite.h: this runs on every call's inputs,
    parameters and gradient), anything else by numpy."""
    cdef cnp.ndarray a
    cdef Py_ssize_t size
    cdef bint finite
    if type(values) is np.ndarray and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>values) and \
            cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>values):
        a = <cnp.ndarray>values
        size = cnp.PyArray_SIZE(a)
        if cnp.PyArray_TYPE(a) == cnp.NPY_DOUBLE:
            if size < SMALL_SCAN:
                return tg_all_finite_d(<const double *>cnp.PyArray_DATA(a), size) != 0
            with nogil:
                finite = tg_all_finite_d(<const double *>cnp.PyArray_DATA(a), size)
            return finite
        if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT:
            if size < SMALL_SCAN:
                return tg_all_finite_f(<const float *>cnp.PyArray_DATA(a), size) != 0
            with nogil:
                finite = tg_all_finite_f(<const float *>cnp.PyArray_DATA(a), size)
            return finite
    return bool(np.all(np.isfinite(values)))


# ---- memory ----

def physical_memory():
    """Bytes of physical memory, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


_MEMORY = physical_memory()


def check_memory(nbytes, str name, str what):
    """Raise MemoryError naming ``name`` when ``nbytes`` (a Python int: no overflow)
    exceed physical memory. Every allocation whose size a caller controls asks first:
    under Linux's overcommit a huge malloc can succeed and the process be killed later,
    on first touch."""
    if nbytes > (_MEMORY if _MEMORY is not None else PY_SSIZE_T_MAX):
        raise MemoryError(f"{name}: {what} needs {nbytes} bytes, more than the machine's "
                          f"{_MEMORY} bytes of memory")
