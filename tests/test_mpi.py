"""MPI: the data-parallel fit and the sharded finite-difference sweep under ``mpiexec -n 2``
and ``-n 3`` (uneven and empty shares).

Each test launches ``mpiexec -n K python tests/mpi_cases.py CASE`` (MPI jobs cannot run
inside pytest's process) with a timeout, so a hang fails instead of blocking, and checks
the case's ``RESULT`` line. Skipped, with the reason, without mpi4py or ``mpiexec``
(``pip install "tensorgen[mpi]"`` installs both).
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tensorgen

CASES = Path(__file__).with_name("mpi_cases.py")


def find_mpiexec():
    """The mpiexec beside this Python (the mpich wheel's, in a virtual environment that
    is not activated), else the first on PATH."""
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                       reason="mpi4py is not installed (pip install 'tensorgen[mpi]')"),
    pytest.mark.skipif(MPIEXEC is None,
                       reason="no mpiexec found (pip install 'tensorgen[mpi]' brings one)"),
]
RANKS = [pytest.param(2, id="2-ranks"), pytest.param(3, id="3-ranks")]


def mpiexec(ranks, *command, timeout=300, cwd=None):
    """``command`` (a Python script and its arguments) run by mpiexec on ``ranks`` ranks
    (ranks 1: plain Python); fails on a timeout."""
    env = dict(os.environ)
    # the ranks import the tensorgen this test imported (source tree or installed)
    where = str(Path(tensorgen.__file__).parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [where, env.get("PYTHONPATH")]))
    launch = [MPIEXEC, "-n", str(ranks)] if ranks > 1 else []
    try:
        return subprocess.run([*launch, sys.executable, *command], capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"mpiexec -n {ranks} {command}: nothing within {timeout} s (a hang?)\n"
                    f"{exc.stdout}\n{exc.stderr}")


def run_case(case, ranks):
    """The RESULT of ``case`` on ``ranks`` ranks; fails on a non-zero exit or a timeout."""
    run = mpiexec(ranks, str(CASES), case)
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, run.stdout + run.stderr
    return json.loads(lines[0][len("RESULT "):])


@pytest.mark.parametrize("ranks", RANKS)
def test_data_parallel_fit_matches_one_process(ranks):
    """10 epochs of digits with Adam, batch 32, uneven shares: parameters bitwise equal on
    every rank after every epoch, within 1e-9 of the one-process run."""
    out = run_case("fit_digits", ranks)
    assert len(set(out["rows"])) == ranks  # the shares are uneven
    assert out["same_every_epoch"] == [True] * 10 and out["same_at_end"]
    assert out["rel_diff"] <= 1e-9
    assert out["cost_diff"] <= 1e-9
    assert out["steps"][0] == out["steps"][1] == 10 * -(-1797 // 32)
    assert out["stop"] == ["epochs", "epochs"]


@pytest.mark.parametrize("ranks", RANKS)
def test_a_rank_without_rows(ranks):
    """Rank 1 holds none of the data: full batch, in-order and shuffled mini-batches, a
    run long enough to return to Python on the time budget many times, a stop on tol, and
    float32 (whose sums round at float32's precision)."""
    out = run_case("empty_share", ranks)
    assert out["rows"][1] == 0
    for name, run in out["runs"].items():
        assert run["same"], name
        assert run["epochs"] == run["epochs_alone"], name
        assert run["stop"] == run["stop_alone"], name
        assert run["rel_diff"] <= (1e-5 if name == "float32" else 1e-9), name
    assert out["runs"]["tol"]["stop"] == "tol"
    assert 0 < out["runs"]["tol"]["epochs"] < 3000


@pytest.mark.parametrize("ranks", RANKS)
def test_validation_patience_and_callbacks_decide_alike(ranks):
    """Sharded validation data give the one-process validation cost; patience stops every
    rank at the same epoch; a callback stopping on the last rank stops them all."""
    out = run_case("decisions", ranks)
    callback, patience = ({tuple(e[:2]) for e in out["every"]},
                          {tuple(e[2:]) for e in out["every"]})
    assert callback == {("callback", 4)}
    assert patience == {tuple(out["alone"])} and out["alone"][0] == "patience"
    assert out["val_same"]
    assert out["val_diff"] <= 1e-9 and out["metric_diff"] == 0.0


@pytest.mark.parametrize("ranks", RANKS)
def test_one_ranks_fault_is_raised_on_every_rank(ranks):
    """Bad data, a raising callback, divergence on one rank; options that differ; an
    engine without a compiled loop: the same error on every rank, and no hang."""
    out = run_case("errors", ranks)
    expected = {"bad_data": "ValueError", "callback_raises": "RuntimeError",
                "diverges": "FloatingPointError", "options_differ": "ValueError",
                "no_compiled_loop": "ValueError", "unseeded_forward_gradient": "ValueError",
                "forward_gradient_streams_differ": "ValueError"}
    for name, kind in expected.items():
        errors = out[name]
        assert len(errors) == ranks and None not in errors, (name, errors)
        assert {e[0] for e in errors} == {kind}, (name, errors)
        assert len({e[1] for e in errors}) == 1, (name, errors)
    assert "rank must pass the same value" in out["options_differ"][0][1]


@pytest.mark.parametrize("ranks", RANKS)
def test_forward_gradient_trains_data_parallel_like_one_process(ranks):
    """The same seeded directions on every rank: the summed estimate is the global one."""
    out = run_case("forward_gradient", ranks)
    assert out["same"] and out["rel_diff"] <= 1e-9


def test_ctrl_c_on_one_rank_interrupts_every_rank():
    """SIGINT on rank 1 during the compiled loop: KeyboardInterrupt on every rank after
    the same step, the parameters still equal."""
    out = run_case("interrupt", 3)
    assert out["same"]
    assert len({tuple(e) for e in out["every"]}) == 1
    assert out["every"][0][:2] == ["KeyboardInterrupt", "interrupted"]


@pytest.mark.parametrize("ranks", RANKS)
def test_sharded_sweep_is_bitwise_the_single_sweep(ranks):
    out = run_case("finite", ranks)
    assert out and all(v == [True, True, True] for v in out.values()), out


def test_cli_train_splits_the_rows_among_ranks(tmp_path):
    """``mpiexec -n 2 tensorgen train``: rank 0 alone prints and saves, and what it
    prints is what one process prints (same epochs, same test figures to 6 digits)."""
    command = ["-m", "tensorgen", "train", "--dataset", "digits", "--epochs", "3",
               "--no-progress"]
    alone = mpiexec(1, *command, cwd=tmp_path)
    both = mpiexec(2, *command, "--save", str(tmp_path / "model.npz"), cwd=tmp_path)
    assert alone.returncode == 0 and both.returncode == 0, both.stderr

    def figures(out):
        return [line for line in out.splitlines() if not line.startswith(("stopped", "saved"))]

    assert figures(both.stdout) == figures(alone.stdout)
    assert both.stdout.count("test accuracy") == 1 and both.stdout.count("saved:") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no stray temporary file


def test_cli_error_on_every_rank_said_once(tmp_path):
    run = mpiexec(2, "-m", "tensorgen", "train", "--csv", str(tmp_path / "missing.csv"),
                  "--target", "y")
    assert run.returncode != 0
    assert run.stderr.count("tensorgen: error:") == 1 and "missing.csv" in run.stderr
