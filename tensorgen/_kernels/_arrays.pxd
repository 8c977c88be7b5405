# The one gate between Python arrays and C pointers (see _arrays.pyx): every kernel takes
# its pointers from data_of, which checks exactly what the C code is about to assume.
cimport numpy as cnp


cdef void *data_of(object arr, Py_ssize_t size, int typenum, str name,
                   bint writable) except NULL
