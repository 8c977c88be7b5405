# cython: language_level=3
# Design:
#   The enums of csrc/tg_codes.h (declared cpdef in _codes.pxd) as Python IntEnums, and its
#   constants, so that Python takes every code and constant from the C definition.

#: Slope of leaky_relu below zero (TG_LEAKY_SLOPE).
LEAKY_SLOPE = TG_LEAKY_SLOPE

# How a C name becomes a Python one: the prefix goes, the rest is lower case
# (TG_LEAKY_RELU: "leaky_relu", TG_OPT_ADAM: "adam").
_PREFIXES = {tg_activation: "TG_", tg_loss: "TG_", tg_optimizer: "TG_OPT_"}


def names(codes):
    """{Python name: code} of one of this module's enums."""
    prefix = _PREFIXES[codes]
    return {member.name[len(prefix):].lower(): int(member) for member in codes}
