"""Shared test helpers: the activation/loss pairs and targets each loss accepts, and the
engines as tests that predict their results pass them."""


from tensorgen.engines import ENGINES
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


def seeded(name):
    """The engine called `name`, as a test that predicts its result passes it: a
    stochastic engine as a new object seeded 0 (its first estimate's directions are
    known: ``expected``), any other by name."""
    cls = ENGINES[name]
    return cls(seed=0) if cls.stochastic else name


def expected(engine, grad):
    """What `engine` (as ``seeded`` gives it) returns on its first call when the gradient
    is `grad`: grad itself, or a stochastic engine's estimate from the directions v_k of
    its first call, (1/K) sum_k (grad . v_k) v_k."""
    if isinstance(engine, str):
        return grad
    V = engine.draw(grad.size, call=0)
    return (V @ grad) @ V / len(V)
