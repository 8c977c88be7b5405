"""`tensorgen xor`: the paper's case study, end to end from a separate process."""

import re
import subprocess
import sys

import pytest

FLOAT = r"-?\d+\.\d{6}"
F = object()  # stands for one 6-decimal number
PAPER_BLOCK = [
    ["nn = ["], ["  ws0 = ["], ["    ", F, " ", F], ["    ", F, " ", F], ["  ]"],
    ["  bs0 = ["], ["    ", F, " ", F], ["  ]"], ["  ws1 = ["], ["    ", F], ["    ", F],
    ["  ]"], ["  bs1 = ["], ["    ", F], ["  ]"], ["]"], ["cost: ", F], ["-----"],
    ["0 0 : ", F], ["0 1 : ", F], ["1 0 : ", F], ["1 1 : ", F],
]
PATTERNS = ["".join(FLOAT if part is F else re.escape(part) for part in line)
            for line in PAPER_BLOCK]


def run_xor(tmp_path, *args):
    # run outside the source tree, so the installed package is what runs
    return subprocess.run([sys.executable, "-m", "tensorgen", "xor", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_xor_demo_converges_in_paper_format(tmp_path):
    result = run_xor(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(PATTERNS), result.stdout
    for line, pattern in zip(lines, PATTERNS):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert float(lines[16].split()[1]) < 1e-3
    outputs = [float(line.split(" : ")[1]) for line in lines[18:]]
    assert [round(v) for v in outputs] == [0, 1, 1, 0]


@pytest.mark.parametrize(("args", "message"), [
    (["--lr", "-1"], "lr"),
    (["--epochs", "0"], "epochs"),
    (["--engine", "magic"], "engine"),
])
def test_xor_demo_bad_options(tmp_path, args, message):
    result = run_xor(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
