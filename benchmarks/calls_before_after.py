"""Small and mid-size calls of whichever TensorGen is on the path, for comparing two trees.

XOR's value_and_grad and predict, 64-128-128-10 x 256's (sigmoid everywhere, mse) and a
100,000-epoch compiled XOR fit; best of repeated timings, printed as one JSON line. Run it
against each tree in turn, alternating, pinned to one core with one BLAS thread:

    for i in 1 2 3; do for tree in /path/before /path/after; do
        OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONPATH=$tree taskset -c 1 \\
            python benchmarks/calls_before_after.py
    done; done

It uses only the API both rounds have.
"""

import json
import timeit

import numpy as np

import tensorgen as tg


def best(call, number, repeat):
    """Seconds per call: the best of ``repeat`` timings of ``number`` calls."""
    call()
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number


def main():
    X, Y = tg.datasets.xor()
    xor = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    rng = np.random.default_rng(0)
    mlp = tg.Network([64, 128, 128, 10], activation="sigmoid", output_activation="sigmoid",
                     loss="mse", seed=0)
    Xm, Ym = rng.normal(size=(256, 64)), np.eye(10)[rng.integers(0, 10, 256)]

    def fit():
        net = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
        net.fit(X, Y, optimizer="sgd", lr=1.0, epochs=100_000)

    print(json.dumps({
        "xor value_and_grad us": 1e6 * best(lambda: xor.value_and_grad(X, Y), 2000, 15),
        "xor predict us": 1e6 * best(lambda: xor.predict(X), 2000, 15),
        "mlp value_and_grad us": 1e6 * best(lambda: mlp.value_and_grad(Xm, Ym), 20, 15),
        "mlp predict us": 1e6 * best(lambda: mlp.predict(Xm), 50, 15),
        "xor fit 100k epochs ms": 1e3 * best(fit, 1, 7),
    }))


if __name__ == "__main__":
    main()
