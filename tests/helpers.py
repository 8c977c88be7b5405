"""Shared test helpers: the activation/loss pairs and targets each loss accepts."""


from tensorgen.functions import HIDDEN_ACTIVATIONS

# (loss, output activation) pairs the library accepts
LOSS_OUTPUTS = [("mse", act) for act in (*HIDDEN_ACTIVATIONS, "softmax")] + [
    ("bce", "sigmoid"),
    ("cross_entropy", "softmax"),
]
LOSS_OUTPUT_IDS = [f"{loss}-{act}" for loss, act in LOSS_OUTPUTS]


def n_outputs(output, n_out):
    """n_out, or 2 where a softmax output needs at least two (a 1-unit softmax is refused)."""
    return max(n_out, 2) if output == "softmax" else n_out


def make_targets(rng, loss, n, n_out):
    """Targets a loss accepts: reals for mse, [0, 1] for bce, distributions for CE."""
    if loss == "mse":
        return rng.normal(size=(n, n_out))
    if loss == "bce":
        return rng.random((n, n_out))
    Y = rng.random((n, n_out))
    return Y / Y.sum(axis=1, keepdims=True)
