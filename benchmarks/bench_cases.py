"""Networks and data shared by the benchmarks, and the optional PyTorch peer."""

import numpy as np
import pytest

import tensorgen as tg


def xor_case():
    X, Y = tg.datasets.xor()
    return tg.Network([2, 2, 1], output_activation="sigmoid", seed=0), X, Y


def mlp_case():
    """64-128-128-10 sigmoid/MSE, 256 samples."""
    rng = np.random.default_rng(0)
    net = tg.Network([64, 128, 128, 10], activation="sigmoid", output_activation="sigmoid",
                     loss="mse", seed=0)
    X = rng.normal(size=(256, 64))
    Y = np.eye(10)[rng.integers(0, 10, 256)]
    return net, X, Y


CASES = {"xor": xor_case, "mlp": mlp_case}



def torch_value_and_grad(net, X, Y):
    """A PyTorch float64 closure computing the same cost and its gradient."""
    torch = pytest.importorskip("torch", reason="PyTorch not installed (optional peer)")
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    params = [torch.tensor(a.copy(), requires_grad=True) for wb in zip(net.ws, net.bs)
              for a in wb]
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}

    def run():
        for p in params:
            p.grad = None
        a = Xt
        for i in range(0, len(params), 2):
            a = act[net.activation](a @ params[i] + params[i + 1])
        cost = ((a - Yt) ** 2).sum() / Xt.shape[0]
        cost.backward()
        return cost

    return run
