"""Every public name of tensorgen, used with its types: ``mypy --strict`` checks this file
(tests/test_typing.py) and Python runs it.

    python examples/typed_usage.py
"""

import io

import numpy as np

import tensorgen as tg
from tensorgen.engines import ENGINES, Autograd, Engine, Reverse, get_engine
from tensorgen.engines.base import FloatArray


class Scaled(Engine):
    """A user-defined engine: the reverse gradient, to show the Engine interface's types."""

    name = "scaled"

    def value_and_grad(
        self, architecture: tg.Architecture, params: FloatArray, X: FloatArray, Y: FloatArray
    ) -> tuple[float, FloatArray]:
        return Reverse().value_and_grad(architecture, params, X, Y)


def main() -> None:
    version: str = tg.__version__
    X, Y = tg.datasets.xor()
    X_and, Y_and = tg.datasets.truth_table("and")
    net = tg.Network([2, 2, 1], activation="sigmoid", output_activation="sigmoid",
                     loss="mse", init="uniform", seed=0)
    n: int = net.n_params
    net.params = np.linspace(-1.0, 1.0, n)
    params: FloatArray = net.params
    out: FloatArray = net.predict(X)
    cost: float = net.loss(X, Y)

    names: list[str] = sorted(ENGINES)
    engine: Engine = get_engine("reverse")
    cost, grad = net.value_and_grad(X, Y, engine=engine)
    _, grad_scaled = net.value_and_grad(X, Y, engine=Scaled())
    assert np.array_equal(grad, grad_scaled)
    oracle_cost, oracle_grad = Autograd().value_and_grad(net.architecture, net.params, X, Y)

    report: tg.GradcheckReport = tg.gradcheck(net, X, Y, engine="reverse")
    history: tg.History = net.fit(X_and, Y_and, engine="reverse", lr=1.0, epochs=200)
    epochs: int = history.epochs
    copy: tg.Network = net.copy()
    table: str = copy.format_results(X_and, Y_and)

    config = io.StringIO()
    tg.show_config(file=config)
    print(f"tensorgen {version}: engines {names}, {n} parameters, outputs {out.ravel()}")
    print(f"cost {cost:.6f} (oracle {oracle_cost:.6f}), |grad| {np.linalg.norm(grad):.6f}, "
          f"|oracle grad| {np.linalg.norm(oracle_grad):.6f}, params {params.shape}")
    print(report)
    print(f"AND after {epochs} epochs ({history.stop_reason}):\n{table}")
    print(config.getvalue(), end="")


if __name__ == "__main__":
    main()
