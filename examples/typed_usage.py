"""Every public name of tensorgen, used with its types: ``mypy --strict`` checks this file
(tests/test_typing.py) and Python runs it.

    python examples/typed_usage.py

Each public name of ``tensorgen`` (``__all__``), of ``tensorgen.engines``,
``tensorgen.optimizers``, ``tensorgen.datasets`` and ``tensorgen.metrics`` appears below,
and every public attribute and method of their classes is read or called through a
variable annotated with its class, its result annotated too, so that mypy checks each
type. tests/test_typing.py fails when one is missing. ``checked_not_run`` holds what would
be slow to run here (the study, the symbolic engine's compiler, scikit-learn's data).
"""

import io
import os
import tempfile
from typing import Any

import numpy as np
from numpy.typing import NDArray

import tensorgen as tg
from tensorgen.engines import (
    ENGINES,
    Autograd,
    Engine,
    Finite,
    Reverse,
    Symbolic,
    SymbolicReport,
    engine_for,
    get_engine,
)
from tensorgen.engines.base import FloatArray
from tensorgen.optimizers import OPTIMIZERS, SGD, Adam, Optimizer, get_optimizer


class Scaled(Engine):
    """A user-defined engine: the reverse gradient, to show the Engine interface's types."""

    name = "scaled"

    def value_and_grad(
        self, architecture: tg.Architecture, params: FloatArray, X: FloatArray, Y: FloatArray
    ) -> tuple[float, FloatArray]:
        return Reverse().value_and_grad(architecture, params, X, Y)


def networks() -> tuple[tg.Network, str]:
    """Network, Architecture and Block."""
    X, Y = tg.datasets.xor()
    net: tg.Network = tg.Network([2, 2, 1], activation="sigmoid", output_activation="sigmoid",
                                 loss="mse", init="uniform", seed=0, dtype="float64")
    n: int = net.n_params
    net.params = np.linspace(-1.0, 1.0, n)
    params: FloatArray = net.params
    ws: tuple[FloatArray, ...] = net.ws
    bs: tuple[FloatArray, ...] = net.bs
    layers: tuple[int, ...] = net.layers
    names = (net.activation, net.output_activation, net.loss_name, net.init)
    seed: int | None = net.seed
    dtype: np.dtype[Any] = net.dtype
    net.metadata["note"] = "typed"
    net.check_params()
    out: FloatArray = net.predict(X)
    cost: float = net.loss(X, Y)
    cost, grad = net.value_and_grad(X, Y, engine="reverse")
    table: str = net.format_results(X, Y)
    printed: str = net.format_params(threshold=1000, edgeitems=3)
    copy: tg.Network = net.copy()
    single: tg.Network = net.astype("float32")
    tg.set_num_threads(1)
    threads: int | None = tg.get_num_threads()
    assert threads == 1
    tg.set_num_threads(None)
    assert single.predict(X).dtype == np.float32
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "xor.npz")
        copy.save(path, metadata={"task": "xor"})
        loaded: tg.Network = tg.Network.load(path, max_bytes=1 << 20)
    meta: dict[str, Any] = loaded.metadata

    arch: tg.Architecture = net.architecture
    same: tg.Architecture = tg.Architecture.from_options(
        [2, 2, 1], activation="sigmoid", output_activation="sigmoid", loss="mse")
    again: tg.Architecture = tg.Architecture.from_dict(arch.to_dict())
    assert arch == same == again
    widths: tuple[int, ...] = arch.layers
    acts: tuple[str, ...] = arch.activations
    loss: str = arch.loss
    arch_dtype: str = arch.dtype
    counts: tuple[int, int, int, int] = (arch.n_params, arch.n_layers, arch.n_inputs,
                                         arch.n_outputs)
    hidden: str | None = arch.hidden_activation
    output: str = arch.output_activation
    numpy_dtype: np.dtype[Any] = arch.numpy_dtype
    w0: slice = arch.weight_slice(0)
    b0: slice = arch.bias_slice(0)
    shape: tuple[int, int] = arch.weight_shape(0)
    views: tuple[tuple[NDArray[Any], ...], tuple[NDArray[Any], ...]] = arch.unpack(params)
    inputs: NDArray[Any] = arch.check_inputs(X)
    batch: tuple[NDArray[Any], NDArray[Any]] = arch.check_batch(X, Y)
    label: str = arch.label()
    blocks: tuple[tg.Block, ...] = arch.blocks
    block: tg.Block = blocks[0]
    where: tuple[str, int, str, int, int, tuple[int, ...]] = (
        block.name, block.layer, block.kind, block.start, block.stop, block.shape)
    span: tuple[slice, int] = (block.slice, block.size)
    print(f"{net!r}: {n} parameters ({len(ws)} + {len(bs)} views, {layers}, {names}, "
          f"seed {seed}, {dtype}), outputs {out.ravel()}, cost {cost:.6f}, |grad| "
          f"{np.linalg.norm(grad):.6f}; saved and loaded with {meta}")
    print(f"{label}: {widths} {acts} {loss} {arch_dtype} {counts} {hidden}/{output} "
          f"{numpy_dtype}, W0 {w0} b0 {b0} {shape}, {len(views[0])} weight views, "
          f"{inputs.shape} {batch[1].shape}, first block {where} {span}")
    return net, table + printed


def engines(net: tg.Network) -> None:
    """tensorgen.engines: the registry, each engine, and the Engine interface."""
    X, Y = tg.datasets.xor()
    arch: tg.Architecture = net.architecture
    names: list[str] = sorted(ENGINES)
    engine: Engine = get_engine("reverse")
    checked: Engine = engine_for(Finite(), arch)
    kernel = engine.fit_kernel(arch)
    scratch: int | None = engine.scratch_bytes(arch, 4)
    declared: tuple[str, bool, tuple[str, ...], bool] = (
        engine.name, engine.exact, engine.dtypes, engine.supports(arch))
    cost, grad = engine.value_and_grad(arch, net.params, X, Y)
    _, grad_scaled = net.value_and_grad(X, Y, engine=Scaled())
    assert np.array_equal(grad, grad_scaled)
    oracle_cost, oracle_grad = Autograd().value_and_grad(arch, net.params, X, Y)

    finite: Finite = Finite(eps=None, step="relative", method="central", n_threads=1,
                            sweep="cached")
    options: tuple[str, str, str, float | None, int | None] = (
        finite.method, finite.step, finite.sweep, finite.eps, finite.n_threads)
    finite_cost, finite_grad = net.value_and_grad(X, Y, engine=checked)

    symbolic: Symbolic = Symbolic(cse=True, max_work=10_000, cache_dir=None, compiler=None)
    settings: tuple[bool, float, object, object] = (
        symbolic.cse, symbolic.max_work, symbolic.cache_dir, symbolic.compiler)
    print(f"engines {names}: {declared}, kernel {type(kernel).__name__}, scratch "
          f"{scratch} bytes; cost {cost:.6f} (oracle {oracle_cost:.6f}, finite "
          f"{finite_cost:.6f}), |grad| {np.linalg.norm(grad):.6f} (oracle "
          f"{np.linalg.norm(oracle_grad):.6f}, finite {np.linalg.norm(finite_grad):.6f}); "
          f"finite {options}, symbolic {settings}")


def training(net: tg.Network) -> tg.History:
    """fit, History, gradcheck and the optimizers."""
    X, Y = tg.datasets.truth_table("and")

    def stop_early(model: tg.Network, so_far: tg.History) -> bool:
        return so_far.epochs >= 150

    history: tg.History = net.fit(
        X, Y, engine="reverse", optimizer="sgd", lr=1.0, epochs=200, batch_size=None,
        shuffle=True, seed=0, tol=1e-9, validation_data=(X, Y), patience=None,
        min_delta=0.0, callbacks=[stop_early], progress=False)
    cost: NDArray[np.float64] = history.cost
    val: tuple[list[float], list[float], str | None] = (history.val_cost,
                                                        history.val_metric, history.metric)
    how: tuple[int, str, int, float] = (history.epochs, history.stop_reason, history.steps,
                                        history.wall_time)

    report: tg.GradcheckReport = tg.gradcheck(net, X, Y, engine="reverse")
    errors: tuple[str, float, float, float] = (report.engine, report.cost_error,
                                               report.max_abs_error, report.max_rel_error)
    rows: tuple[tuple[str, int, float, float], ...] = report.rows

    sgd: SGD = SGD(lr=0.5, momentum=0.9, nesterov=True, weight_decay=0.0)
    sgd.nesterov = False
    momentum: float = sgd.momentum
    adam: Adam = Adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    moments: tuple[float, float, float] = (adam.beta1, adam.beta2, adam.eps)
    optimizer: Optimizer = get_optimizer("adam", lr=0.01)
    kinds: list[str] = sorted(OPTIMIZERS)
    params = net.params.copy()
    _, grad = net.value_and_grad(X, Y)
    finite_step: bool = optimizer.step(params, grad)
    m: tg.optimizers.FloatArray
    v: tg.optimizers.FloatArray
    m, v = optimizer.state(net.n_params, net.params.dtype)
    spec: tg.optimizers.CompiledSpec | None = optimizer.compiled_spec()
    hyper: dict[str, Any] = optimizer.get_params()
    state: tuple[str, float, float, int, int, int] = (
        optimizer.name, optimizer.lr, optimizer.weight_decay, optimizer.t, optimizer.m.size,
        optimizer.v.size)
    optimizer.reset(net.n_params)
    grad_in: tg.optimizers.FloatArray = grad
    again: tg.History = net.copy().fit(X, Y, optimizer=sgd, epochs=5)
    print(f"fit: {len(cost)} costs, {val[2]} {len(val[0])}, {how}; gradcheck {errors}, "
          f"{len(rows)} rows; momentum {momentum}, Adam {moments}, {kinds}, step finite "
          f"{finite_step}, state {m.shape} {v.shape}, spec {spec}, {hyper}, {state}, "
          f"grad {grad_in.shape}, then {again.epochs} epochs of {sgd!r}")
    return history


def data() -> None:
    """tensorgen.datasets and tensorgen.metrics."""
    gates: list[str] = sorted(tg.datasets.TRUTH_TABLES)
    X, Y = tg.datasets.xor()
    tasks: tuple[str, ...] = tg.datasets.TASKS
    most: int = tg.datasets.MAX_GUESSED_CLASSES
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "gates.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("a,b,gate\n0,0,low\n0,1,high\n1,0,high\n1,1,low\n")
        table: tg.datasets.Table = tg.datasets.read_csv(path, delimiter=",", header=True)
        loaded: tg.datasets.Dataset = tg.datasets.load_csv(path, target="gate", delimiter=",",
                                                           task="classification")
    where: tuple[str, tuple[str, ...], list[list[str]], list[int], bool] = (
        table.path, table.columns, table.rows, table.lines, table.header)
    position: int = table.index("gate")
    cells: list[str] = table.column("gate")
    numbers: NDArray[np.float64] = table.numeric(["a", "b"])
    task, why = tg.datasets.guess_task(cells)
    labels, classes = table.classes("gate")
    dataset: tg.datasets.Dataset = table.dataset("gate", task)
    features: NDArray[np.float64] = dataset.X
    targets: NDArray[Any] | None = dataset.y
    columns: tuple[tuple[str, ...], tuple[str, ...] | None] = (dataset.feature_names,
                                                               dataset.target_names)
    X_train, X_test, y_train, y_test = tg.datasets.train_test_split(
        np.tile(X, (3, 1)), np.tile(Y[:, 0], 3), test_size=0.25, stratify=None, seed=0)
    scaler: tg.datasets.StandardScaler = tg.datasets.StandardScaler()
    fitted: tg.datasets.StandardScaler = scaler.fit(X_train)
    scaled: NDArray[np.float64] = fitted.transform(X_test)
    stored: tg.datasets.StandardScaler = tg.datasets.StandardScaler(scaler.mean_,
                                                                    scaler.scale_)
    both: NDArray[np.float64] = stored.fit_transform(X_train)
    right: float = tg.metrics.accuracy(labels, np.eye(2)[labels])
    also: float = tg.datasets.accuracy(Y, Y)
    gate: tuple[NDArray[np.float64], NDArray[np.float64]] = tg.datasets.truth_table("nand")
    print(f"data: {gates} {tasks} {most}; {where[1]} at {position}, {numbers.shape}, {task} "
          f"({why}), {classes}, {features.shape} {None if targets is None else targets.shape} "
          f"{columns}, {loaded.target_names}; split {X_train.shape} {y_test.shape}, scaled "
          f"{scaled.shape} {both.shape}; accuracy {right} {also}, nand {gate[1].ravel()}")


def checked_not_run() -> None:
    """Checked by mypy, not run by ``main``: the study, the symbolic engine's C compiler,
    scikit-learn's bundled data sets."""
    net = tg.Network([2, 2, 1], seed=0)
    symbolic: Symbolic = Symbolic()
    predicted: tuple[int, float] = symbolic.estimate(net.architecture)
    report: SymbolicReport = symbolic.report(net.architecture)
    made: tuple[str, bool, int, float, float, float, bool, str, int] = (
        report.architecture, report.cse, report.n_ops, report.derive_seconds,
        report.generate_seconds, report.compile_seconds, report.from_cache, report.backend,
        report.library_bytes)
    results = tg.compare(quick=True, budget=0.1, cache_dir=None, progress=False)
    sets: list[tg.datasets.Dataset] = [tg.datasets.load_digits(), tg.datasets.load_iris(),
                                       tg.datasets.load_breast_cancer()]
    print(predicted, made, sorted(results.tables), [d.X.shape for d in sets])


def main() -> None:
    version: str = tg.__version__
    net, table = networks()
    engines(net)
    history = training(net)
    data()
    config = io.StringIO()
    tg.show_config(file=config)
    print(f"tensorgen {version}: XOR before training:\n{table}\nAND after {history.epochs} "
          f"epochs ({history.stop_reason})")
    print(config.getvalue(), end="")


if __name__ == "__main__":
    main()
