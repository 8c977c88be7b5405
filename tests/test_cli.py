"""The command line: the XOR paper block, train/predict round trip, help, clean errors."""

import contextlib
import csv
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import tensorgen as tg
from tensorgen.cli import main

NUM = r"-?\d+\.\d{6}"
NO_SKLEARN = "--dataset needs scikit-learn (pip install 'tensorgen[datasets]'), not installed"
NO_MATPLOTLIB = "--plot needs matplotlib (pip install 'tensorgen[plot]'), not installed"


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def reference_xor_block(epochs, tol):
    """The core's algorithm written out: full-batch gradient descent until cost < tol."""
    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    for _ in range(epochs):
        cost, grad = net.value_and_grad(X, Y)
        if cost < tol:
            break
        net.params -= 1.0 * grad
    return f"{net}\n{net.format_results(X, Y)}\n"


def test_xor_prints_the_paper_block_line_by_line(capsys):
    code, out, err = run(capsys, "xor", "--no-progress")
    assert code == 0 and err == ""
    lines = out.splitlines()
    expected = [r"nn = \[", r"  ws0 = \[", rf"    {NUM} {NUM}", rf"    {NUM} {NUM}", r"  \]",
                r"  bs0 = \[", rf"    {NUM} {NUM}", r"  \]", r"  ws1 = \[", rf"    {NUM}",
                rf"    {NUM}", r"  \]", r"  bs1 = \[", rf"    {NUM}", r"  \]", r"\]",
                r"cost: 0\.\d{6}", r"-----", rf"0 0 : {NUM}", rf"0 1 : {NUM}",
                rf"1 0 : {NUM}", rf"1 1 : {NUM}"]
    assert len(lines) == len(expected)
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert [round(float(line.split(" : ")[1])) for line in lines[18:]] == [0, 1, 1, 0]


@pytest.mark.parametrize("epochs, tol", [(3000, None), (20_000, 1e-2)], ids=["epochs", "tol"])
def test_xor_numbers_are_the_core_loops(capsys, epochs, tol):
    argv = ["xor", "--epochs", str(epochs), "--no-progress"] + (
        [] if tol is None else ["--tol", str(tol)])
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert out == reference_xor_block(epochs, -np.inf if tol is None else tol)


@pytest.mark.parametrize("engine", ["reverse", "finite"])
def test_xor_shows_progress_on_stderr(capsys, engine):
    code, out, err = run(capsys, "xor", "--engine", engine, "--epochs", "300")
    assert code == 0
    assert re.search(r"300/300 \[.*epoch", err), err  # tqdm's bar, on stderr only
    assert out.startswith("nn = [") and "epoch" not in out


def test_xor_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib", reason=NO_MATPLOTLIB)
    png = tmp_path / "xor.png"
    code, out, _ = run(capsys, "xor", "--epochs", "200", "--plot", str(png), "--no-progress")
    assert code == 0 and out.endswith(f"plot: {png}\n")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def write_iris_csv(path):
    data = tg.datasets.load_iris()
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*data.feature_names, "species"])
        for x, label in zip(data.X, data.y):
            writer.writerow([*x, data.target_names[label]])


def test_train_save_plot_and_predict_round_trip(capsys, tmp_path):
    pytest.importorskip("sklearn", reason=NO_SKLEARN)
    pytest.importorskip("matplotlib", reason=NO_MATPLOTLIB)
    table, model, png = tmp_path / "iris.csv", tmp_path / "m.npz", tmp_path / "c.png"
    write_iris_csv(table)
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "species",
                         "--hidden", "16", "--epochs", "60", "--lr", "0.01", "--batch-size",
                         "16", "--save", str(model), "--plot", str(png))
    assert code == 0, err
    accuracy = float(re.search(r"test accuracy: (\d\.\d+)", out).group(1))
    assert accuracy >= 0.8
    assert "stopped: ran all 60 epochs; wall time: " in out and png.exists()
    assert "epoch" in err  # the tqdm bar
    code, out, err = run(capsys, "predict", str(model), "--csv", str(table),
                         "--target", "species")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "prediction" and len(lines) == 151
    assert set(lines[1:]) <= {"setosa", "versicolor", "virginica"}
    assert float(re.search(r"accuracy: (\d\.\d+)", err).group(1)) >= 0.8
    net = tg.Network.load(model)
    assert net.metadata["classes"] == ["setosa", "versicolor", "virginica"]


def test_train_on_a_bundled_dataset(capsys):
    pytest.importorskip("sklearn", reason=NO_SKLEARN)
    code, out, _ = run(capsys, "train", "--dataset", "iris", "--hidden", "8", "--epochs", "3",
                       "--no-progress", "--optimizer", "momentum", "--lr", "0.05")
    assert code == 0 and "test accuracy:" in out and "stopped: ran all 3 epochs" in out


def test_regression_csv_train_and_predict(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ [1.0, -2.0, 0.5]
    table, model = tmp_path / "reg.csv", tmp_path / "reg.npz"
    table.write_text("a,b,c,t\n" + "".join(f"{r[0]},{r[1]},{r[2]},{v}\n" for r, v in zip(X, y)))
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "t", "--hidden", "8",
                         "--epochs", "150", "--lr", "0.01", "--no-progress", "--save",
                         str(model))
    assert code == 0, err
    assert "test cost:" in out and "accuracy" not in out
    code, out, err = run(capsys, "predict", str(model), "--csv", str(table), "--target", "t")
    assert code == 0, err
    predictions = np.array(out.splitlines()[1:], dtype=float)
    assert np.mean((predictions - y) ** 2) < 0.1 * np.var(y)
    reported = float(re.search(r"mean squared error: (\S+)", err).group(1))
    assert reported == pytest.approx(np.mean((predictions - y) ** 2), rel=1e-3)


@pytest.mark.parametrize("command", ["xor", "train", "predict", "compare"])
def test_help_shows_each_default_once_and_the_choices(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "(default: None)" not in out and "(default: False)" not in out
    options = re.split(r"\n  (?=-)", " ".join(out.split("\n\n", 2)[2:]))
    assert all(option.count("(default") <= 1 for option in options), out
    if command == "train":
        assert "--batch-size BATCH_SIZE samples per update (default: 32)" in text
        assert "--lr LR learning rate (default: 0.1 for sgd, 0.001 for adam) --epochs" in text
        assert "--seed SEED seed of init, split and batches (default: 0)" in text
        assert "--optimizer {sgd,momentum,nesterov,adam}" in out
        assert "--activation {identity,sigmoid,tanh,relu,leaky_relu}" in out
    if command in ("xor", "train"):
        assert "--engine {reverse,autograd,finite,symbolic}" in out
        took = re.search(r"took (reverse .*?) on a shared 2-core AMD EPYC \(default: reverse\)",
                         text)
        assert took and all(engine in took.group(1) for engine in tg.engines.ENGINES), text
    if command == "xor":
        assert "--init {auto,glorot,he,uniform}" in out


def test_train_says_what_stopped_it(capsys, tmp_path):
    table = small_regression_csv(tmp_path / "t.csv")
    # steps of 1e-300 leave the parameters as they are: the validation cost never improves
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "y", "--epochs",
                         "50", "--optimizer", "sgd", "--lr", "1e-300", "--patience", "2",
                         "--no-progress")
    assert code == 0, err
    assert re.search(r"^stopped: validation cost did not improve for 2 epochs \(--patience 2\), "
                     r"after 3 of 50 epochs; wall time: \d+\.\d\d s$", out, flags=re.M), out


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "2"], "give either --dataset or --csv"),
    (["train", "--csv", "x.csv"], "--csv needs --target"),
    (["train", "--dataset", "iris", "--optimizer", "rmsprop"],
     "argument --optimizer: invalid choice: 'rmsprop'"),
    (["train", "--dataset", "iris", "--engine", "magic"], "argument --engine: invalid choice"),
    (["train", "--dataset", "iris", "--epochs", "0"], "epochs"),
    (["train", "--dataset", "iris", "--activation", "swish"], "argument --activation: invalid"),
    (["train", "--csv", "missing.csv", "--target", "y"], "No such file"),
    (["predict", "notamodel.npz", "--csv", "x.csv"], "not a TensorGen model file"),
    (["xor", "--lr", "-1"], "argument --lr: expected a positive number, got '-1'"),
    (["xor", "--engine", "nope"], "engine"),
    (["train", "--batch-size", "many"], "argument --batch-size: expected an integer >= 1, "
                                        "got 'many' (see tensorgen train --help)"),
    (["train", "--dataset", "iris", "--hidden", "8", "0"],
     "argument --hidden: expected an integer >= 1, got '0'"),
    (["xor", "--seed", "-1"], "argument --seed: expected an integer >= 0, got '-1'"),
    (["predict"], "the following arguments are required: model, --csv"),
], ids=["no-data", "no-target", "optimizer", "engine", "epochs", "activation", "no-file",
        "not-model", "xor-lr", "xor-engine", "argparse", "hidden-zero", "seed", "required"])
def test_errors_are_one_clean_line_with_exit_code_2(capsys, tmp_path, monkeypatch, argv,
                                                    message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notamodel.npz").write_text("hello")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("tensorgen: error: ") and err.count("\n") == 1
    assert message in err


def test_console_entry_point_exit_code(tmp_path):
    # run outside the source tree, so the installed package is what runs
    proc = subprocess.run([sys.executable, "-m", "tensorgen", "xor", "--tol", "0"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("tensorgen: error: argument --tol: expected a positive "
                                  "number, got '0'")


@pytest.mark.parametrize("text, message", [
    ("a,a,b,y\n1,2,3,0\n4,5,6,1\n", r"bad\.csv: duplicate column names \['a'\]"),
    ("a,y\n1,0\n" + "2" * 140_000 + ",1\n", r"bad\.csv: line 3: field larger than"),
    ("a,b,y\n1,2,0\n3,,1\n", r"bad\.csv: line 3, column 'b': empty cell, expected a number"),
    ("a,b,y\n1,2,0\n3,4 kg,1\n", r"bad\.csv: line 3, column 'b': '4 kg' is not a number"),
    ("y\n1\n2\n", r"--csv: \S+bad\.csv has no feature column besides the target 'y'"),
], ids=["duplicate-names", "field-over-csv-limit", "empty-cell", "text-cell", "no-features"])
def test_bad_csv_files_are_one_line_errors(capsys, tmp_path, text, message):
    table = tmp_path / "bad.csv"
    table.write_text(text)
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "y",
                         "--no-progress")
    assert code == 2 and out == ""
    assert re.fullmatch(rf"tensorgen: error: \S*{message}.*\n", err), err


def write_integer_regression_csv(path):
    """y = 10 a + 5 b rounded: an integer target with many distinct values."""
    X = np.random.default_rng(0).normal(size=(80, 2))
    y = np.round(10 * X[:, 0] + 5 * X[:, 1]).astype(int)
    path.write_text("a,b,y\n" + "".join(f"{a},{b},{v}\n" for (a, b), v in zip(X, y)))
    return len(set(y))


def test_train_guesses_the_task_and_says_why(capsys, tmp_path):
    table = tmp_path / "reg.csv"
    k = write_integer_regression_csv(table)
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "y", "--epochs",
                         "2", "--no-progress")
    assert code == 0, err
    assert out.splitlines()[0] == (f"task: regression (target 'y' has {k} distinct integer "
                                   "values (more than 20); --task overrides)")
    assert "test cost:" in out and "accuracy" not in out
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "y", "--epochs",
                         "2", "--no-progress", "--task", "classification")
    assert code == 0, err
    assert "task:" not in out and "test accuracy:" in out


def test_train_task_errors(capsys, tmp_path):
    table = tmp_path / "labels.csv"
    table.write_text("a,y\n1,cat\n2,dog\n3,cat\n4,dog\n")
    code, _, err = run(capsys, "train", "--csv", str(table), "--target", "y",
                       "--task", "regression", "--no-progress")
    assert code == 2
    assert err == (f"tensorgen: error: {table}: line 2, column 'y': 'cat' is not a number "
                   "(a regression target must be numeric)\n")
    table.write_text("a,y\n1,cat\n2,cat\n3,cat\n")
    code, _, err = run(capsys, "train", "--csv", str(table), "--target", "y", "--no-progress")
    assert code == 2
    assert err == ("tensorgen: error: --target: every sample has the class 'cat'; nothing "
                   "to classify\n")
    code, _, err = run(capsys, "train", "--csv", str(table), "--target", "z", "--no-progress")
    assert code == 2 and err.startswith("tensorgen: error: --target: no column 'z' in")


def blobs(n=90, seed=0):
    """Three separable clusters in 2-D with text labels."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])[y] + rng.normal(scale=0.5, size=(n, 2))
    return X, np.array(["red", "green", "blue"])[y]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """A model trained by `tensorgen train` on blobs.csv (columns x1, x2, colour)."""
    folder = tmp_path_factory.mktemp("classifier")
    X, labels = blobs()
    table, model = folder / "blobs.csv", folder / "blobs.npz"
    with open(table, "w", newline="") as f:
        csv.writer(f).writerows([["x1", "x2", "colour"]]
                                + [[*x, c] for x, c in zip(X, labels)])
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", "--csv", str(table), "--target", "colour", "--hidden", "8",
                     "--epochs", "40", "--lr", "0.05", "--no-progress", "--save",
                     str(model)]) == 0
    return model, X, labels


def predictions(capsys, *argv):
    code, out, err = run(capsys, "predict", *argv)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "prediction"
    return lines[1:], err


def test_predict_finds_the_feature_columns_by_name(capsys, tmp_path, classifier):
    model, X, labels = classifier
    # other order, an extra text column, the target present but not asked for
    table = tmp_path / "new.csv"
    table.write_text("colour,note,x2,x1\n" + "".join(
        f"{c},hello,{x2},{x1}\n" for (x1, x2), c in zip(X, labels)))
    predicted, err = predictions(capsys, str(model), "--csv", str(table))
    assert err == "" and np.mean(np.array(predicted) == labels) >= 0.9
    # the same rows as a headerless matrix in the model's order
    matrix = tmp_path / "matrix.csv"
    matrix.write_text("".join(f"{x1},{x2}\n" for x1, x2 in X))
    assert predictions(capsys, str(model), "--csv", str(matrix), "--no-header")[0] == predicted


@pytest.mark.parametrize("text, argv, message", [
    ("a,b\n1,2\n", [], r"--csv: \S+new\.csv lacks 2 of the model's 2 feature columns \(x1, x2\);"
                       r" .* --no-header\n"),
    ("1,2,3\n", ["--no-header"], r"--csv: \S+new\.csv has 3 feature columns, the model takes 2\n"),
    ("x1,x2\n1,2\n", ["--no-header"], r"\S+new\.csv: line 1, column 1: 'x1' is not a number "
                                      r"\(is this line a header\?\)\n"),
    ("1,2\n", ["--no-header", "--target", "c"], r"--target: a file read with --no-header .*"),
    ("x1,x2,colour\n1,2,3\n", ["--target", "colour"],
     r"--target: no value of column 'colour' is one of the model's classes "
     r"\(blue, green, red\); it has e.g. '3'\n"),
], ids=["missing-columns", "wrong-width", "header-with-no-header", "target-no-header",
        "numeric-target-for-classifier"])
def test_predict_errors_say_what_the_model_needs(capsys, tmp_path, classifier, text, argv,
                                                 message):
    table = tmp_path / "new.csv"
    table.write_text(text)
    code, out, err = run(capsys, "predict", str(classifier[0]), "--csv", str(table), *argv)
    assert code == 2 and out == ""
    assert re.fullmatch(rf"tensorgen: error: {message}", err, flags=re.S), err


def test_predict_scores_what_it_can_and_counts_unknown_classes(capsys, tmp_path, classifier):
    model, X, labels = classifier
    labels = labels.astype("<U6")
    labels[:6] = ["purple", "7", "purple", "purple", "7", "7"]
    table = tmp_path / "new.csv"
    table.write_text("x1,x2,colour\n" + "".join(
        f"{x1},{x2},{c}\n" for (x1, x2), c in zip(X, labels)))
    predicted, err = predictions(capsys, str(model), "--csv", str(table), "--target", "colour")
    hits = np.mean(np.array(predicted) == labels)
    assert err == (f"accuracy: {hits:.4f} ({len(X)} samples); 6 of them have a class the model "
                   "does not know ('7', 'purple'), counted as wrong\n")


def test_predict_regression_model_with_text_target(capsys, tmp_path):
    table, model = tmp_path / "reg.csv", tmp_path / "reg.npz"
    write_integer_regression_csv(table)
    code, _, err = run(capsys, "train", "--csv", str(table), "--target", "y", "--epochs", "2",
                       "--no-progress", "--save", str(model))
    assert code == 0, err
    table.write_text("a,b,y\n1,2,3\n1,2,big\n")
    code, out, err = run(capsys, "predict", str(model), "--csv", str(table), "--target", "y")
    assert code == 2 and out == ""
    assert err == (f"tensorgen: error: --target: {table}: line 3, column 'y': 'big' is not a "
                   "number (the model predicts numbers)\n")


def test_huge_hidden_layer_is_a_one_line_error_naming_hidden(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n1,1,0\n2,2,1\n3,3,0\n4,4,1\n")
    proc = subprocess.run([sys.executable, "-m", "tensorgen", "train", "--csv", str(table),
                           "--target", "y", "--hidden", "100000000000", "--no-progress"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("tensorgen: error: --hidden 100000000000: layers: ")


def small_regression_csv(path, n=40):
    X = np.random.default_rng(1).normal(size=(n, 2))
    path.write_text("a,b,y\n" + "".join(f"{a},{b},{a - b + 0.5}\n" for a, b in X))
    return path


@pytest.mark.parametrize("argv, lines", [
    (["--val-size", "0"], ["test cost: "]),
    (["--test-size", "0", "--val-size", "0"], ["training cost: ", "(no test part: --test-size 0)"]),
    (["--test-size", "0.5", "--val-size", "0.5"], ["test cost: "]),
], ids=["no-validation", "no-test", "halves"])
def test_validation_and_test_parts_can_be_turned_off(capsys, tmp_path, argv, lines):
    table = small_regression_csv(tmp_path / "t.csv")
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "y", "--epochs", "3",
                         "--hidden", "4", "--no-progress", *argv)
    assert code == 0, err
    assert all(line in out for line in lines)


@pytest.mark.parametrize("argv, message", [
    (["--val-size", "1.5"], "argument --val-size: expected a fraction in [0, 1), got '1.5'"),
    (["--val-size", "1"], "argument --val-size: expected a fraction in [0, 1), got '1'"),
    (["--test-size", "-0.1"], "argument --test-size: expected a fraction in [0, 1), got '-0.1'"),
    (["--test-size", "nan"], "argument --test-size: expected a fraction in [0, 1), got 'nan'"),
    (["--val-size", "0", "--patience", "3"], "--patience: early stopping watches the "
                                             "validation cost, which --val-size 0 turns off"),
    (["--test-size", "0.5"], "--val-size 0.1: cannot split 1 samples into two non-empty"),
], ids=["val-above-1", "val-1", "test-negative", "test-nan", "patience-without-validation",
        "too-few-samples"])
def test_split_sizes_are_checked_naming_the_option(capsys, tmp_path, argv, message):
    table = small_regression_csv(tmp_path / "t.csv", n=40 if "0.5" not in argv else 2)
    code, out, err = run(capsys, "train", "--csv", str(table), "--target", "y",
                         "--no-progress", *argv)
    assert code == 2 and "test_size" not in err
    assert err.startswith(f"tensorgen: error: {message}") and err.count("\n") == 1


@pytest.fixture
def no_training(monkeypatch):
    """Network.fit and tg.compare fail the test: the command must stop before the work."""
    def work(*args, **kwargs):
        raise AssertionError("the work started")

    monkeypatch.setattr(tg.Network, "fit", work)
    monkeypatch.setattr(tg, "compare", work)


@pytest.mark.parametrize("argv, message", [
    (["xor", "--plot", "nofolder/xor.png"], "--plot: the folder nofolder does not exist"),
    (["xor", "--plot", "xor.gif"], "--plot: 'xor.gif' has the suffix '.gif'; expected one of "
                                   ".png, .jpg, .jpeg, .pdf, .svg"),
    (["xor", "--plot", "xor"], "--plot: 'xor' has no suffix"),
    (["xor", "--plot", "."], "--plot: . is a folder; expected a file name"),
    (["train", "--csv", "t.csv", "--target", "y", "--save", "nofolder/m.npz"],
     "--save: the folder nofolder does not exist"),
    (["train", "--csv", "t.csv", "--target", "y", "--save", "."], "--save: . is a folder"),
    (["train", "--csv", "t.csv", "--target", "y", "--plot", "nofolder/c.svg"],
     "--plot: the folder nofolder does not exist"),
], ids=["xor-plot-folder", "xor-plot-suffix", "xor-plot-no-suffix", "xor-plot-dot",
        "train-save-folder", "train-save-is-folder", "train-plot-folder"])
def test_output_paths_are_checked_before_the_work(capsys, tmp_path, monkeypatch, no_training,
                                                  argv, message):
    monkeypatch.chdir(tmp_path)
    small_regression_csv(tmp_path / "t.csv")
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"tensorgen: error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["xor", "--plot", "xor.png"], "--plot: plots need matplotlib: pip install 'tensorgen[plot]'"),
    (["compare", "--quick", "--out", "out"],
     "compare draws its plots with matplotlib: pip install 'tensorgen[plot]'"),
], ids=["xor", "compare"])
def test_missing_matplotlib_is_reported_before_the_work(capsys, tmp_path, monkeypatch,
                                                        no_training, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err == f"tensorgen: error: {message}\n"


@pytest.mark.parametrize("suffix, magic", [(".jpg", b"\xff\xd8\xff"), (".pdf", b"%PDF"),
                                           (".svg", b"<?xml"), (".PNG", b"\x89PNG")])
def test_plot_suffix_sets_the_image_type(capsys, tmp_path, suffix, magic):
    pytest.importorskip("matplotlib", reason=NO_MATPLOTLIB)
    image = tmp_path / f"xor{suffix}"
    code, out, err = run(capsys, "xor", "--epochs", "20", "--no-progress", "--plot", str(image))
    assert code == 0, err
    assert image.read_bytes().startswith(magic)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write into a read-only folder")
def test_read_only_output_folder_is_refused(capsys, tmp_path, no_training):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    code, _, err = run(capsys, "xor", "--plot", str(folder / "xor.png"))
    assert code == 2 and err == f"tensorgen: error: --plot: {folder} is not writable\n"
