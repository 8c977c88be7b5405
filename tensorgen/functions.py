"""Names of the activations and losses, and which pairs make sense.

The maths itself has one definition, the inline C in ``csrc/tg_math.h``; the codes below are
its enum values. The autograd oracle re-implements the same formulas independently, on
purpose, to check them.
"""

ACTIVATIONS = {
    "identity": 0,
    "sigmoid": 1,
    "tanh": 2,
    "relu": 3,
    "leaky_relu": 4,
    "softmax": 5,
}
HIDDEN_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu")
LOSSES = {"mse": 0, "bce": 1, "cross_entropy": 2}
# Output activation a loss requires (None: any), and the default where none is given.
LOSS_OUTPUT = {"mse": None, "bce": "sigmoid", "cross_entropy": "softmax"}
LEAKY_SLOPE = 0.01


def check_choice(value, name, choices):
    """Return value if it is one of choices, else raise naming the argument."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {sorted(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")
    return value


def resolve(activation, output_activation, loss):
    """Check the names; return (hidden, output activation, loss)."""
    check_choice(activation, "activation", HIDDEN_ACTIVATIONS)
    check_choice(loss, "loss", LOSSES)
    required = LOSS_OUTPUT[loss]
    if output_activation is None:
        output_activation = required or activation
    check_choice(output_activation, "output_activation", ACTIVATIONS)
    if required and output_activation != required:
        raise ValueError(
            f"output_activation: loss {loss!r} needs {required!r} outputs, "
            f"got {output_activation!r}"
        )
    return activation, output_activation, loss
