"""Fuzzing the public API: each group of hypothesis cases runs in a child process
(tests/fuzz_cases.py), so that a segfault or abort fails its test instead of killing pytest.

The children start together (the machine's cores run them in parallel) and each test waits
for its own. Set TG_FUZZ_SEED to replay a run; TG_FUZZ_EXAMPLES to change the number of
hypothesis examples per target.
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tensorgen as tg
from tensorgen._kernels import _arrays
from tensorgen.engines import ENGINES

CHILD = Path(__file__).with_name("fuzz_cases.py")
GROUPS = ["api", *ENGINES]
# Examples per target: api has 2 targets, each engine 3 (value_and_grad, fit, gradcheck);
# with the two engines of the core that is 2*500 + 2*3*170 = 2020 cases, more with more.
EXAMPLES = {"api": 500}
ENGINE_EXAMPLES = 170
# A fresh seed each local run explores new cases; CI runs are reproducible.
SEED = int(os.environ.get("TG_FUZZ_SEED", 0 if os.environ.get("CI") else random.randrange(2**32)))
TIMEOUT = 300


def _examples(group):
    default = EXAMPLES.get(group, ENGINE_EXAMPLES)
    return int(os.environ.get("TG_FUZZ_EXAMPLES", default))


@pytest.fixture(scope="module")
def children():
    """All fuzz children, started at once: group -> Popen."""
    procs = {
        group: subprocess.Popen(
            [sys.executable, str(CHILD), group, str(_examples(group)), str(SEED)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for group in GROUPS
    }
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("group", GROUPS)
def test_fuzz_never_crashes_and_errors_name_the_argument(group, children, report_line,
                                                         record_property):
    proc = children[group]
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"fuzz group {group!r} hung for {TIMEOUT} s (seed {SEED})\n{err[-3000:]}")
    replay = f"(replay: TG_FUZZ_SEED={SEED} python {CHILD.name} {group} {_examples(group)} ...)"
    assert proc.returncode == 0, (
        f"fuzz child for {group!r} died with return code {proc.returncode} {replay}\n"
        f"stderr:\n{err[-5000:]}\nstdout:\n{out[-2000:]}")
    report = json.loads(out.strip().splitlines()[-1])
    assert "failure" not in report, f"{replay}\n{report['failure']}"
    counts = report["counts"]
    targets = {key.split(":")[0] for key in counts}
    per_target = {t: sum(v for k, v in counts.items()
                         if k.startswith(t + ":") and "matches" not in k) for t in targets}
    assert per_target and min(per_target.values()) >= _examples(group), per_target
    # Both outcomes must occur: valid calls that succeed and invalid ones that are refused.
    for t in targets:
        assert counts.get(f"{t}: ok", 0) > 0, f"{t}: no valid case succeeded: {counts}"
        assert any(k.startswith(f"{t}: rejected") for k in counts), counts
    total = sum(per_target.values())
    record_property("fuzz_cases", total)
    report_line(f"fuzz {group}: {total} cases, 0 crashes, seed {SEED}: "
                + ", ".join(f"{k} {v}" for k, v in counts.items()))


# ---- sizes the generated cases cannot reach: refused before anything is allocated ----

def test_more_rows_than_a_c_int_are_refused(tmp_path):
    """2**31 rows would be truncated in the int dimensions of dgemm. A sparse memmap of
    16 GiB costs no memory; the refusal must come before its data is read."""
    path = tmp_path / "rows.dat"
    with open(path, "wb") as f:
        f.truncate(8 * 2**31)
    X = np.memmap(path, dtype=np.float64, mode="r", shape=(2**31, 1))
    net = tg.Network([1, 1])
    for call in (lambda: net.predict(X), lambda: net.value_and_grad(X, X)):
        with pytest.raises(ValueError, match=r"^X: .*2147483647 samples"):
            call()


def test_layers_larger_than_memory_are_refused_before_allocating(monkeypatch):
    monkeypatch.setattr(_arrays, "_MEMORY", 2**20)
    with pytest.raises(MemoryError, match="^layers: "):
        tg.Network([100, 10_000])


def test_scratch_larger_than_memory_is_refused_before_allocating(monkeypatch):
    net = tg.Network([1, 1000, 1])
    monkeypatch.setattr(_arrays, "_MEMORY", 2**20)
    with pytest.raises(MemoryError, match="^X: scratch for 1000 samples"):
        net.predict(np.zeros((1000, 1)))
    np.testing.assert_array_equal(net.predict(np.zeros((2, 1))).shape, (2, 1))
