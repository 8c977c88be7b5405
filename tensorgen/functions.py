"""Names of the activations, losses and optimizer kernels, and which pairs make sense.

The codes are defined once, in ``csrc/tg_codes.h``, and reach Python through Cython
(``tensorgen._kernels._codes``); the names here are read off those enums, never typed
again. The maths itself has one definition, the inline C in ``csrc/tg_math.h``. The
autograd oracle re-implements the same formulas independently, on purpose, to check them.
"""

from ._kernels import _codes

#: Activation codes by name (``softmax`` is for the output layer only).
ACTIVATIONS = _codes.names(_codes.tg_activation)
#: Activations a hidden layer may have.
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")
#: Loss codes by name.
LOSSES = _codes.names(_codes.tg_loss)
#: Codes of the optimizer kernel's update rules by name.
OPTIMIZER_KINDS = _codes.names(_codes.tg_optimizer)
#: Slope of leaky_relu below zero.
LEAKY_SLOPE: float = _codes.LEAKY_SLOPE
#: Output activation a loss requires (None: any).
LOSS_OUTPUT = {"mse": None, "bce": "sigmoid", "cross_entropy": "softmax"}
#: Output activation of each loss when none is given: as scikit-learn's MLPs, identity for
#: mse (a regression output that can take any value), the required one for the others.
DEFAULT_OUTPUT = {"mse": "identity", "bce": "sigmoid", "cross_entropy": "softmax"}
#: Floating-point types a network may compute in.
DTYPES = ("float64", "float32")
