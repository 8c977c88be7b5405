# The codes of csrc/tg_codes.h, declared here once for every kernel (cimport) and `cpdef`,
# so that Python sees them as IntEnums of this module (tensorgen/functions.py reads them).
cdef extern from "tg_codes.h" nogil:
    cpdef enum tg_activation:
        TG_IDENTITY
        TG_SIGMOID
        TG_TANH
        TG_RELU
        TG_LEAKY_RELU
        TG_SOFTMAX
    cpdef enum tg_loss:
        TG_MSE
        TG_BCE
        TG_CROSS_ENTROPY
    cpdef enum tg_optimizer:
        TG_OPT_SGD
        TG_OPT_ADAM
    double TG_LEAKY_SLOPE
