# Types of the compiled module _codes.pyx: the enums of csrc/tg_codes.h.
from enum import IntEnum

class tg_activation(IntEnum):
    TG_IDENTITY = 0
    TG_SIGMOID = 1
    TG_TANH = 2
    TG_RELU = 3
    TG_LEAKY_RELU = 4
    TG_SOFTMAX = 5

class tg_loss(IntEnum):
    TG_MSE = 0
    TG_BCE = 1
    TG_CROSS_ENTROPY = 2

class tg_optimizer(IntEnum):
    TG_OPT_SGD = 0
    TG_OPT_ADAM = 1

LEAKY_SLOPE: float

def names(codes: type[IntEnum]) -> dict[str, int]: ...
