"""The ``tensorgen`` command line: the paper's XOR demo, training on a data set or a CSV
file, prediction with a saved model, and the engine comparison study. Every error is one
line and exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np
from numpy.typing import NDArray

from ._version import __version__
from .datasets import MAX_GUESSED_CLASSES, TASKS, Dataset, Table
from .engines import ENGINES
from .functions import DTYPES, HIDDEN_ACTIVATIONS
from .network import INITS, Network
from .optimizers import OPTIMIZERS
from .training import History

T = TypeVar("T")

DATASETS = ("digits", "iris", "breast_cancer")
# How long each command's default run took, whole command, per engine: `tensorgen xor
# --engine E` and `tensorgen train --dataset digits --engine E`, measured on a 2-core AMD
# EPYC shared with other jobs (load average 2 to 6), Python 3.11.7. Ranges span 2 to 4 runs;
# symbolic includes compiling the network's gradient once (then cached).
XOR_TIMES = "reverse 0.5-1.2 s, finite 1.7-4.5 s, symbolic 2.8-5.3 s, autograd 46-89 s"
TRAIN_TIMES = ("reverse 2.4-5.2 s, autograd 4.9-11 s, finite 5.3 min, symbolic 3.5 min (12 s "
               "once its compiled gradient is cached)")


def cmd_xor(args: argparse.Namespace) -> int:
    """``tensorgen xor``: train the paper's 2-2-1 sigmoid network on XOR and print it.

    Parameters
    ----------
    args : argparse.Namespace
        The command's parsed options (``build_parser``).

    Returns
    -------
    int
        The exit code, 0.
    """
    import tensorgen as tg

    _check_output(args.plot, "--plot", image=True)
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], activation="sigmoid", output_activation="sigmoid",
                     loss="mse", init=args.init, seed=args.seed, dtype=args.dtype)
    history = net.fit(X, Y, engine=args.engine, lr=args.lr, epochs=args.epochs, tol=args.tol,
                      progress=not args.no_progress)
    print(net)
    print(net.format_results(X, Y))
    if args.plot:
        _plot(history, args.plot, "XOR 2-2-1")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """``tensorgen train``: train a classifier or regressor on a data set or CSV file.

    Parameters
    ----------
    args : argparse.Namespace
        The command's parsed options (``build_parser``).

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    ValueError
        Naming the option, for options that do not fit together or data that cannot be
        used (also every error of the data's reading and of training).
    """
    import tensorgen as tg
    from tensorgen.datasets import StandardScaler

    _check_output(args.save, "--save")
    _check_output(args.plot, "--plot", image=True)
    if args.patience is not None and args.val_size == 0:
        raise ValueError("--patience: early stopping watches the validation cost, which "
                         "--val-size 0 turns off")
    data = _load(args)
    assert data.y is not None, "_load always reads a target"
    target_names = data.target_names
    classify = target_names is not None
    if target_names is not None and len(target_names) < 2:
        raise ValueError(f"--target: every sample has the class {target_names[0]!r}; "
                         "nothing to classify")
    X_train, X_test, y_train, y_test = _split(data.X, data.y, args.test_size, "--test-size",
                                              classify, args.seed)
    X_train, X_val, y_train, y_val = _split(X_train, y_train, args.val_size, "--val-size",
                                            classify, args.seed)
    scaler = StandardScaler().fit(X_train)
    n_out = 1 if target_names is None else len(target_names)
    try:
        net = tg.Network([data.X.shape[1], *args.hidden, n_out], activation=args.activation,
                         loss="cross_entropy" if classify else "mse",
                         output_activation=None if classify else "identity", seed=args.seed,
                         dtype=args.dtype)
    except (MemoryError, OverflowError, ValueError) as exc:  # the options are checked: layers
        raise ValueError(f"--hidden {' '.join(map(str, args.hidden))}: {exc}") from None
    validation = None if X_val is None or y_val is None else (scaler.transform(X_val), y_val)
    history = net.fit(scaler.transform(X_train), y_train, engine=args.engine,
                      optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                      batch_size=args.batch_size, seed=args.seed, patience=args.patience,
                      validation_data=validation, progress=not args.no_progress)
    print(f"stopped: {_stopped(history, args)}; wall time: {history.wall_time:.2f} s")
    if X_test is None or y_test is None:
        print(f"training cost: {net.loss(scaler.transform(X_train), y_train):.6f} "
              "(no test part: --test-size 0)")
    else:
        X_test = scaler.transform(X_test)
        print(f"test cost: {net.loss(X_test, y_test):.6f}")
        if classify:
            print(f"test accuracy: {tg.datasets.accuracy(y_test, net.predict(X_test)):.4f} "
                  f"({len(y_test)} samples)")
    if args.save:
        assert scaler.mean_ is not None and scaler.scale_ is not None, "fitted above"
        net.save(args.save, metadata={
            "features": list(data.feature_names), "classes": _names(data.target_names),
            "task": "classification" if classify else "regression",
            "target": args.target, "scaler_mean": scaler.mean_.tolist(),
            "scaler_scale": scaler.scale_.tolist()})
        print(f"saved: {args.save}")
    if args.plot:
        _plot(history, args.plot, args.dataset or args.csv)
    return 0


def _stopped(history: History, args: argparse.Namespace) -> str:
    """What ended training, in words."""
    n = history.epochs
    if history.stop_reason == "epochs":
        return f"ran all {n} epochs"
    if history.stop_reason == "patience":
        return (f"validation cost did not improve for {args.patience} epochs "
                f"(--patience {args.patience}), after {n} of {args.epochs} epochs")
    return f"{history.stop_reason} after {n} of {args.epochs} epochs"


def _split(
    X: NDArray[Any], y: NDArray[Any], size: float, option: str, classify: bool, seed: int,
) -> tuple[NDArray[Any], NDArray[Any] | None, NDArray[Any], NDArray[Any] | None]:
    """(X_keep, X_held, y_keep, y_held): a stratified split for classes; size 0 holds out
    nothing (X_held and y_held None)."""
    from tensorgen.datasets import train_test_split

    if size == 0:
        return X, None, y, None
    try:
        return train_test_split(X, y, size, y if classify else None, seed=seed)
    except ValueError:
        raise ValueError(f"{option} {size:g}: cannot split {len(y)} samples into two "
                         "non-empty parts") from None


def cmd_predict(args: argparse.Namespace) -> int:
    """``tensorgen predict``: print a saved model's predictions for a CSV file.

    Parameters
    ----------
    args : argparse.Namespace
        The command's parsed options (``build_parser``).

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    ValueError
        Naming the option, for a file that does not fit the model or a target column
        that cannot score it.
    """
    import tensorgen as tg
    from tensorgen.datasets import StandardScaler

    if args.no_header and args.target is not None:
        raise ValueError("--target: a file read with --no-header has no column names; "
                         "leave the target column out of it")
    net = tg.Network.load(args.model)
    meta = _metadata(net, args.model)
    table = tg.datasets.read_csv(args.csv, header=not args.no_header)
    X = _model_features(table, net.layers[0], meta.get("features"), args)
    if "scaler_mean" in meta:
        X = StandardScaler(meta["scaler_mean"], meta["scaler_scale"]).transform(X)
    out = net.predict(X)
    classes = meta.get("classes")
    labels = None if classes is None else [classes[k] for k in np.argmax(out, axis=1)]
    # score before printing anything: a bad --target is an error, not a half-printed run
    score = None if args.target is None else _score(table, args.target, out, labels, classes)
    print("prediction")
    if labels is not None:
        print("\n".join(labels))
    else:
        print("\n".join(" ".join(f"{v:.6g}" for v in row) for row in out))
    if score:
        print(score, file=sys.stderr)
    return 0


def _metadata(net: Network, path: str) -> dict[str, Any]:
    """What ``train --save`` stored with the model, checked against the network."""
    meta = net.metadata if isinstance(net.metadata, dict) else {}
    n_in, n_out = net.layers[0], net.layers[-1]
    for key, size, kind in (("features", n_in, str), ("classes", n_out, str),
                            ("scaler_mean", n_in, (int, float)),
                            ("scaler_scale", n_in, (int, float))):
        value = meta.get(key)
        if value is not None and not (isinstance(value, list) and len(value) == size
                                      and all(isinstance(v, kind) for v in value)):
            raise ValueError(f"{path}: metadata {key!r} does not fit the network "
                             f"(expected a list of {size} {'names' if kind is str else 'numbers'})")
    if ("scaler_mean" in meta) != ("scaler_scale" in meta):
        raise ValueError(f"{path}: metadata has only one of 'scaler_mean', 'scaler_scale'")
    return meta


def _model_features(table: Table, n_in: int, names: list[str] | None,
                    args: argparse.Namespace) -> NDArray[np.float64]:
    """The model's input columns of the table as numbers, in the model's order: by name
    when the model stores its feature names (other columns are left out), else every
    column but the target."""
    if names is None or args.no_header:
        columns = [c for c in table.columns if c != args.target]
        if len(columns) != n_in:
            raise ValueError(f"--csv: {args.csv} has {len(columns)} feature columns, the "
                             f"model takes {n_in}")
        return table.numeric(columns)
    present = set(table.columns)
    missing = [f for f in names if f not in present]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise ValueError(
            f"--csv: {args.csv} lacks {len(missing)} of the model's {n_in} feature columns "
            f"({shown}); name the columns so in the header, or give a file of {n_in} numeric "
            "columns in the model's order without a header and --no-header")
    return table.numeric(names)


def _score(table: Table, target: str, out: NDArray[Any], labels: list[str] | None,
           classes: list[str] | None) -> str:
    """The line that scores the predictions against the column ``target``."""
    if classes is None:
        if out.shape[1] != 1:
            raise ValueError(f"--target: the model has {out.shape[1]} outputs, one column "
                             "cannot score them")
        try:
            y = table.numeric([target])[:, 0]
        except ValueError as exc:
            raise ValueError(f"--target: {exc} (the model predicts numbers)") from None
        return f"mean squared error: {np.mean((out[:, 0] - y) ** 2):.6g} ({len(y)} samples)"
    codes, names = table.classes(target)
    truth = np.array(names, dtype=object)[codes]
    unknown = sorted(set(names) - set(classes))
    if len(unknown) == len(names):
        raise ValueError(f"--target: no value of column {target!r} is one of the model's "
                         f"classes ({', '.join(classes)}); it has e.g. {truth[0]!r}")
    line = f"accuracy: {np.mean(truth == np.array(labels)):.4f} ({len(truth)} samples)"
    if unknown:
        count = int(np.isin(truth, unknown).sum())
        shown = ", ".join(map(repr, unknown[:3])) + (", ..." if len(unknown) > 3 else "")
        line += (f"; {count} of them have a class the model does not know ({shown}), "
                 "counted as wrong")
    return line


def cmd_compare(args: argparse.Namespace) -> int:
    """``tensorgen compare``: run the study and write its report and plots.

    Parameters
    ----------
    args : argparse.Namespace
        The command's parsed options (``build_parser``).

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    ValueError
        For a budget that is not positive or an output folder that is not writable.
    ImportError
        When matplotlib or autograd is missing (before the study runs).
    """
    import tensorgen as tg
    from tensorgen.study import plots, report

    if args.budget is not None and not args.budget > 0:  # also refuses nan
        raise ValueError(f"--budget: expected a positive number of seconds, got {args.budget}")
    # fail before the study, not after it
    _needs("matplotlib", "compare draws its plots with matplotlib: pip install "
           "'tensorgen[study]'")
    _needs("autograd", "compare measures every engine against the autograd package: pip "
           "install 'tensorgen[study]'")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    _check_writable(Path(args.out), "--out")
    results = tg.compare(quick=args.quick, budget=args.budget, cache_dir=args.cache_dir,
                         progress=not args.no_progress)
    command = "tensorgen compare" + (" --quick" if args.quick else "") + (
        f" --budget {args.budget:g}" if args.budget is not None else "")
    paths = report.write(results, args.out, command) + plots.write(results, args.out)
    print("\n".join(f"wrote: {p}" for p in paths))
    return 0


def _load(args: argparse.Namespace) -> Dataset:
    import tensorgen as tg

    if (args.dataset is None) == (args.csv is None):
        raise ValueError("give either --dataset or --csv")
    if args.csv is not None:
        if args.target is None:
            raise ValueError("--csv needs --target COLUMN")
        table = tg.datasets.read_csv(args.csv)
        table.index(args.target, "--target")
        if len(table.columns) < 2:
            raise ValueError(f"--csv: {args.csv} has no feature column besides the target "
                             f"{args.target!r}")
        if args.task is not None:
            return table.dataset(args.target, args.task)
        task, why = tg.datasets.guess_task(table.column(args.target))
        data = table.dataset(args.target, task)
        print(f"task: {task} (target {args.target!r} has {why}; --task overrides)")
        return data
    if args.task == "regression":
        raise ValueError(f"--task: --dataset {args.dataset} is a classification problem")
    bundled: Dataset = getattr(tg.datasets, f"load_{args.dataset}")()
    return bundled


def _check_output(path: str | None, option: str, image: bool = False) -> None:
    """Refuse, before any work, an output file that could not be written: a missing or
    read-only folder; for an image, an unknown suffix or no matplotlib."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{option}: {path} is a folder; expected a file name")
    if not target.parent.is_dir():
        raise ValueError(f"{option}: the folder {target.parent} does not exist")
    _check_writable(target.parent, option)
    if target.exists():
        _check_writable(target, option)
    if image:
        from tensorgen.plotting import image_format

        image_format(path, option)
        _needs("matplotlib", f"{option}: plots need matplotlib: pip install 'tensorgen[plot]'")


def _check_writable(path: str | os.PathLike[str], option: str) -> None:
    if not os.access(path, os.W_OK):
        raise ValueError(f"{option}: {path} is not writable")


def _needs(module: str, message: str) -> None:
    """ImportError with ``message`` unless ``module`` can be imported."""
    try:
        __import__(module)
    except ImportError:
        raise ImportError(message) from None


def _names(target_names: Sequence[str] | None) -> list[str] | None:
    return None if target_names is None else list(target_names)


def _plot(history: History, path: str, title: str) -> None:
    from tensorgen.plotting import plot_history

    plot_history(history, path, title)
    print(f"plot: {path}")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default once: not for flags and options without one, nor where
    the help text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # (called only for actions with a help text)
        if action.default is None or action.default is False or "(default" in (action.help
                                                                                or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, like the commands' own."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"tensorgen: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _option_value(text, int, lambda v: v >= 1, "an integer >= 1")


def _natural_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _option_value(text, int, lambda v: v >= 0, "an integer >= 0")


def _positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return _option_value(text, float, lambda v: 0 < v < float("inf"), "a positive number")


def _fraction(text: str) -> float:
    """argparse type: a number in [0, 1)."""
    return _option_value(text, float, lambda v: 0 <= v < 1, "a fraction in [0, 1)")


def _option_value(text: str, kind: Callable[[str], T], accept: Callable[[T], bool],
                  expected: str) -> T:
    """``kind(text)`` when it converts and ``accept`` holds for it (never for nan), else
    argparse's error saying what was ``expected``."""
    value: T | None
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``tensorgen`` command line: its commands, options and their checks.

    Returns
    -------
    argparse.ArgumentParser
        Each command sets ``run`` to the function that runs it.
    """
    fmt = _HelpFormatter
    parser = _Parser(prog="tensorgen", description=__doc__, formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"tensorgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    xor = sub.add_parser("xor", help="train the paper's 2-2-1 sigmoid network on XOR",
                         formatter_class=fmt)
    xor.add_argument("--seed", type=_natural_int, default=0, help="initialisation seed")
    xor.add_argument("--epochs", type=_positive_int, default=100_000, help="maximum epochs")
    xor.add_argument("--lr", type=_positive_float, default=1.0, help="learning rate")
    xor.add_argument("--tol", type=_positive_float, default=None,
                     help="stop early once the cost is below this")
    xor.add_argument("--engine", choices=ENGINES, default="reverse",
                     help=f"gradient engine; the default run took {XOR_TIMES} on a shared "
                     "2-core AMD EPYC")
    xor.add_argument("--init", choices=INITS, default="uniform",
                     help="initialisation; uniform is the paper's")
    xor.add_argument("--dtype", choices=DTYPES, default="float64",
                     help="floating-point type of the network (float32: reverse engine only)")
    xor.add_argument("--plot", metavar="IMAGE", default=None,
                     help="save the cost curve here (.png, .jpg, .pdf or .svg)")
    xor.add_argument("--no-progress", action="store_true",
                     help="hide the progress bar (on stderr)")
    xor.set_defaults(run=cmd_xor)

    train = sub.add_parser("train", help="train a classifier (or regressor) on a data set",
                           formatter_class=fmt)
    source = train.add_argument_group("data")
    source.add_argument("--dataset", choices=DATASETS, default=None,
                        help="a data set bundled with scikit-learn")
    source.add_argument("--csv", metavar="FILE", default=None, help="a CSV file with a header")
    source.add_argument("--target", metavar="COL", default=None, help="the CSV target column")
    source.add_argument("--task", choices=TASKS, default=None,
                        help="what the target is; default: guessed and printed (text labels "
                        f"or at most {MAX_GUESSED_CLASSES} distinct integers: classification, "
                        "other numbers: regression)")
    source.add_argument("--test-size", type=_fraction, default=0.25, metavar="FRACTION",
                        help="fraction held out for the test, in [0, 1); 0: no test")
    source.add_argument("--val-size", type=_fraction, default=0.1, metavar="FRACTION",
                        help="fraction of the rest held out for validation (the validation "
                        "cost, --patience), in [0, 1); 0: no validation")
    model = train.add_argument_group("model and training")
    model.add_argument("--hidden", type=_positive_int, nargs="+", default=[128], metavar="WIDTH",
                       help="hidden layer widths")
    model.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default="relu",
                       help="hidden activation")
    model.add_argument("--engine", choices=ENGINES, default="reverse",
                       help="gradient engine; --dataset digits with the other defaults took "
                       f"{TRAIN_TIMES} on a shared 2-core AMD EPYC")
    model.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer")
    model.add_argument("--dtype", choices=DTYPES, default="float64",
                       help="floating-point type of the network (float32: reverse engine only)")
    model.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default: 0.1 for sgd, 0.001 for adam)")
    model.add_argument("--epochs", type=_positive_int, default=50, help="maximum epochs")
    model.add_argument("--batch-size", type=_positive_int, default=32,
                       help="samples per update")
    model.add_argument("--patience", type=_positive_int, default=None,
                       help="stop after this many epochs without validation improvement")
    model.add_argument("--seed", type=_natural_int, default=0,
                       help="seed of init, split and batches")
    output = train.add_argument_group("output")
    output.add_argument("--save", metavar="NPZ", default=None, help="save the model here")
    output.add_argument("--plot", metavar="IMAGE", default=None,
                        help="save the curves here (.png, .jpg, .pdf or .svg)")
    output.add_argument("--no-progress", action="store_true",
                        help="hide the progress bar (on stderr)")
    train.set_defaults(run=cmd_train)

    predict = sub.add_parser("predict", help="predict with a saved model",
                             formatter_class=fmt)
    predict.add_argument("model", help="a model saved by 'tensorgen train --save'")
    predict.add_argument("--csv", metavar="FILE", required=True,
                         help="samples to predict: the model's feature columns, found by "
                         "name (other columns are left out)")
    predict.add_argument("--target", metavar="COL", default=None,
                         help="a target column to score the predictions against")
    predict.add_argument("--no-header", action="store_true",
                         help="the file has no header: its columns are the model's features, "
                         "in the model's order")
    predict.set_defaults(run=cmd_predict)

    compare = sub.add_parser("compare", help="measure every engine: accuracy, time, memory, "
                             "scaling, XOR, lines of code", formatter_class=fmt)
    compare.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    compare.add_argument("--out", metavar="DIR", default="compare-results",
                         help="folder for report.md, results.json/csv and the PNG plots")
    compare.add_argument("--budget", metavar="SECONDS", type=float, default=None,
                         help="seconds per engine and sweep point (default 0.2 quick, 5 full)")
    compare.add_argument("--cache-dir", metavar="DIR", default=None,
                         help="symbolic engine cache (default: a temporary one)")
    compare.add_argument("--no-progress", action="store_true",
                         help="hide the progress bar (on stderr)")
    compare.set_defaults(run=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tensorgen`` command line; every error is one line and exit code 2.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code (argparse's errors and the commands' exit through SystemExit).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        parser.exit(130, "tensorgen: interrupted\n")
    except (ValueError, TypeError, FloatingPointError, ImportError, OSError) as exc:
        parser.exit(2, f"tensorgen: error: {exc}\n")
    except MemoryError as exc:
        parser.exit(2, f"tensorgen: error: out of memory: {exc}\n")
