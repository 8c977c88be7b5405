"""Shared test helpers: the activation/loss pairs and targets each loss accepts, the
engines as tests that predict their results pass them, and a gradient in extended
precision to measure engines (and the oracle) against."""


import numpy as np

from tensorgen.engines import ENGINES
from tensorgen.functions import HIDDEN_ACTIVATIONS, LEAKY_SLOPE

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


# ---- the gradient in extended precision ----

LONG = np.longdouble
EXTENDED = np.finfo(LONG).eps < 1e-18  # x87 80-bit; on some platforms long double is double


def _activation(name, Z):
    """act(Z) and its derivative, in the precision of Z (softmax: no derivative)."""
    if name == "sigmoid":
        A = 1 / (1 + np.exp(-Z))
        return A, A * (1 - A)
    if name == "tanh":
        A = np.tanh(Z)
        return A, 1 - A * A
    if name == "relu":
        return np.where(Z > 0, Z, 0), (Z > 0).astype(Z.dtype)
    if name == "leaky_relu":
        slope = LONG(LEAKY_SLOPE)
        return np.where(Z > 0, Z, slope * Z), np.where(Z > 0, LONG(1), slope)
    if name == "softmax":
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True), None
    return Z, np.ones_like(Z)


def long_double_gradient(net, X, Y):
    """d cost / d params of the network's function of its float64 parameters and data,
    computed by backprop in long double: a reference some 3 digits closer to the exact
    gradient than any float64 engine (the oracle included), where long double is the
    80-bit x87 type (EXTENDED)."""
    arch = net.architecture
    ws, bs = arch.unpack(net.params.astype(LONG))
    X, Y, n = np.asarray(X, LONG), np.asarray(Y, LONG), len(X)
    inputs, slopes = [X], []
    for W, b, name in zip(ws, bs, arch.activations):
        A, slope = _activation(name, inputs[-1] @ W + b)
        inputs.append(A)
        slopes.append(slope)
    A, out = inputs.pop(), arch.activations[-1]
    if arch.loss == "bce":
        delta = (A - Y) / n
    elif arch.loss == "cross_entropy":
        delta = (A * Y.sum(axis=1, keepdims=True) - Y) / n
    elif out == "softmax":
        g = 2 * (A - Y)
        delta = A * (g - (A * g).sum(axis=1, keepdims=True)) / n
    else:
        delta = 2 * (A - Y) * slopes[-1] / n
    parts = []
    for l in range(len(ws) - 1, -1, -1):
        parts[:0] = [(inputs[l].T @ delta).ravel(), delta.sum(axis=0)]
        if l:
            delta = (delta @ ws[l].T) * slopes[l - 1]
    return np.concatenate(parts)
