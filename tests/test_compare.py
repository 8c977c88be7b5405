"""The comparison study: `tensorgen compare --quick` end to end (every table, JSON, CSV and
plot, the JSON consistent with report.md), the slope fit, the line counter, the skipping of
over-budget points and clean errors for bad options."""

import csv
import importlib.util
import json
import math
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import tensorgen as tg
from tensorgen.cli import main
from tensorgen.study import Settings, runs
from tensorgen.study.loc import IMPLEMENTATION, count_code_lines
from tensorgen.study.measure import loglog_slope
from tensorgen.study.report import SECTIONS

TABLES = [name for name, _, _ in SECTIONS]
PLOTS = ("scaling.png", "error_vs_eps.png", "xor_cost.png")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One `tensorgen compare --quick` run, outside the source tree (the installed package
    runs; PYTHONPATH passes through only when the environment already sets it)."""
    cwd = tmp_path_factory.mktemp("compare")
    proc = subprocess.run([sys.executable, "-m", "tensorgen", "compare", "--quick", "--out",
                           "out"], capture_output=True, text=True, cwd=cwd, check=False)
    assert proc.returncode == 0, proc.stderr
    out = cwd / "out"
    return proc, out, json.loads((out / "results.json").read_text())


def markdown_tables(text):
    """{table name: list of row dicts} parsed from report.md's marked tables."""
    tables = {}
    for match in re.finditer(r"<!-- table: (\w+) -->\n.*?\n\n((?:\|.*\|\n)+)", text):
        header, _, *lines = match.group(2).strip().splitlines()
        columns = [c.strip() for c in header.strip("|").split(" | ")]
        tables[match.group(1)] = [
            dict(zip(columns, (c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|")))))
            for line in lines]
    return tables


def same(cell, value):
    """A markdown cell shows the JSON value (floats to their printed digits)."""
    if value is None:
        return cell == "-"
    if isinstance(value, bool):
        return cell == ("yes" if value else "no")
    if isinstance(value, (int, float)):
        shown = float(cell)
        return math.isclose(shown, value, rel_tol=5e-3, abs_tol=0.0) or shown == value
    return cell.replace("\\|", "|") == str(value)


def test_quick_run_writes_every_output(quick_run):
    proc, out, data = quick_run
    for name in ("report.md", "results.json", "results.csv", *PLOTS):
        assert (out / name).stat().st_size > 0, name
        assert f"wrote: {out.name}/{name}" in proc.stdout.replace("\\", "/")
    for name in PLOTS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(data["tables"]) == set(TABLES)
    assert all(data["tables"][name] for name in TABLES)
    assert "tensorgen compare" in proc.stderr  # the progress bar
    assert set(data["curves"]) == {row["engine"] for row in data["tables"]["xor"]}


def test_json_matches_report_tables(quick_run):
    _, out, data = quick_run
    shown = markdown_tables((out / "report.md").read_text())
    assert set(shown) == set(TABLES)
    for name in TABLES:
        rows = data["tables"][name]
        assert len(shown[name]) == len(rows), name
        for cells, row in zip(shown[name], rows):
            for column, cell in cells.items():
                assert same(cell, row[column]), (name, column, cell, row[column])


def test_csv_holds_every_measurement(quick_run):
    _, out, data = quick_run
    with open(out / "results.csv", newline="") as f:
        records = list(csv.DictReader(f))
    expected = [(t, str(i), c, "" if v is None else str(v))
                for t, rows in data["tables"].items() for i, row in enumerate(rows)
                for c, v in row.items()]
    assert [(r["table"], r["row"], r["column"], r["value"]) for r in records] == expected


def test_quick_run_measures_what_the_issue_asks(quick_run):
    _, _, data = quick_run
    tables = data["tables"]
    exact = [r for r in tables["accuracy"] if r["engine"] in ("reverse", "symbolic", "forward")]
    assert len(exact) == 6 and all(r["max_rel_error"] < 1e-10 for r in exact)
    # one draw of the forward gradient is far from the gradient (sqrt((P + 1) / K) |g|)
    estimates = [r for r in tables["accuracy"] if r["engine"].startswith("forward gradient")]
    assert len(estimates) == 4 and all(r["max_rel_error"] > 1e-3 for r in estimates)
    eps = {r["eps"] for r in tables["accuracy"] if r["eps"] is not None}
    assert eps == {10.0 ** -k for k in range(1, 9)}
    engines = {r["engine"] for r in tables["efficiency"]}
    assert {"reverse", "finite cached", "finite naive", "symbolic", "autograd", "forward",
            "forward gradient"} <= engines
    assert all(r["seconds"] > 0 and r["extra_bytes"] > 0 for r in tables["efficiency"])
    # the temporary cache: every symbolic build was compiled in this run
    assert tables["symbolic_setup"]
    assert not any(r["from_cache"] for r in tables["symbolic_setup"])
    assert min(r["n_params"] for r in tables["scaling"]) == 9
    for r in tables["scaling"]:
        assert (r["seconds"] is None) == (r["status"] != "ok")
    slopes = {(r["sweep"], r["engine"]): r["slope"] for r in tables["slopes"]}
    for engine in ("reverse", "forward", "forward gradient"):
        assert slopes[("width", engine)] is not None and slopes[("depth", engine)] is not None
    forward = [r for r in tables["scaling"] if r["engine"] == "forward" and r["status"] == "ok"]
    assert forward and all(r["max_rel_error"] < 1e-10 for r in forward)
    reverse = next(r for r in tables["xor"] if r["engine"] == "reverse")
    assert reverse["reached"] and reverse["final_cost"] < 1e-3
    assert reverse["block"].startswith("nn = [") and "cost: " in reverse["block"]
    xor = {r["engine"]: r for r in tables["xor"]}
    assert xor["forward"]["epochs"] == reverse["epochs"]  # the same gradient, the same run
    assert xor["forward_gradient"]["stochastic"] and not reverse["stochastic"]
    assert {r["engine"] for r in tables["loc"]} == set(IMPLEMENTATION)
    assert all(r["lines"] > 0 for r in tables["loc"])
    assert tables["peers"][0]["peer"] == "autograd"
    assert {r["peer"] for r in tables["peers"]} >= {"autograd", "torch", "jax"}


def test_quick_run_trains_by_forward_passes(quick_run):
    _, _, data = quick_run
    settings, rows = data["settings"], data["tables"]["training"]
    expected = [(problem, engine, k) for problem in ("xor 2-2-1", "digits 64-32-10")
                for engine, k in [("reverse", None)]
                + [("forward gradient", k) for k in settings["directions"]]]
    assert [(r["problem"], r["engine"], r["directions"]) for r in rows] == expected
    assert settings["directions"] == [1, 4, 16]
    for r in rows:
        xor = r["problem"].startswith("xor")
        if r["stop"].startswith("skipped"):
            assert not xor and importlib.util.find_spec("sklearn") is None
            continue
        assert r["steps"] > 0 and r["epochs"] > 0 and r["wall_seconds"] > 0
        if r["reached"]:
            assert r["stop"] == "reached"
            assert r["final"] < 1e-3 if xor else r["final"] >= settings["digits_target"]
        else:
            assert r["stop"].startswith("not reached in")
            limit = settings["xor_epochs"] if xor else settings["digits_epochs"]
            assert (r["epochs"] == limit if r["stop"].endswith(" epochs")
                    else r["wall_seconds"] >= 0.9 * settings["training_budget"])
    reverse = [r for r in rows if r["engine"] == "reverse" and r["steps"] is not None]
    assert all(r["reached"] for r in reverse)
    xor_reverse = next(r for r in data["tables"]["xor"] if r["engine"] == "reverse")
    assert reverse[0]["epochs"] == xor_reverse["epochs"]  # the same network and rule


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.0])
def test_loglog_slope_recovers_the_exponent(k):
    rng = np.random.default_rng(1)
    sizes = np.geomspace(9, 1e5, 12)
    seconds = 3e-7 * sizes**k * np.exp(rng.normal(scale=0.05, size=sizes.size))
    assert loglog_slope(sizes, seconds) == pytest.approx(k, abs=0.03)
    assert loglog_slope([10, 100], [1e-3 * 10**k, 1e-3 * 100**k]) == pytest.approx(k)


def test_loglog_slope_bad_input():
    assert loglog_slope([10, 10], [1.0, 2.0]) is None
    with pytest.raises(ValueError, match="positive"):
        loglog_slope([10, 100], [1.0, 0.0])
    with pytest.raises(ValueError, match="length"):
        loglog_slope([10, 100, 1000], [1.0, 2.0])


def test_count_code_lines_skips_blanks_comments_and_docstrings():
    python = '"""Module\ndocstring."""\n\n# comment\nx = 1  # trailing\ndef f():\n' \
             '    """One line."""\n    return x\n'
    assert count_code_lines(python, ".py") == 3
    c = "/* block\n   comment */\n// line\n#include <x.h>\n\nint f(void) { return 1; }\n"
    assert count_code_lines(c, ".c") == 2


def test_scaling_skips_points_over_budget_and_says_so():
    settings = replace(Settings.preset(quick=True), widths=(2, 4, 8), depths=(),
                       budget=1e-9)
    rows, _ = runs.scaling(settings, None, [], lambda: None)
    reverse = [r for r in rows if r["engine"] == "reverse"]
    assert reverse[0]["status"] == "ok" and reverse[0]["seconds"] > 0
    assert reverse[1]["status"].startswith("skipped: predicted")
    assert reverse[2]["status"] == "skipped: a smaller point was skipped"
    assert all(r["seconds"] is None for r in reverse[1:])


@pytest.mark.parametrize("argv, message", [
    (["--budget", "-1"], "--budget: expected a positive number"),
    (["--budget", "nan"], "--budget: expected a positive number"),
    (["--budget", "abc"], "--budget: invalid float value"),
    (["--bogus"], "unrecognized arguments"),
], ids=["negative-budget", "nan-budget", "text-budget", "unknown-option"])
def test_cli_bad_options(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--quick", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_out_is_a_file(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--quick", "--out", str(target)])
    assert exc.value.code == 2
    assert "tensorgen: error:" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, error", [
    ({"quick": "yes"}, TypeError), ({"budget": 0}, ValueError), ({"budget": "1"}, TypeError),
    ({"budget": float("inf")}, ValueError), ({"progress": 1}, TypeError),
    ({"cache_dir": 3}, TypeError),
], ids=["quick-str", "budget-zero", "budget-str", "budget-inf", "progress-int", "cache-int"])
def test_compare_bad_arguments(kwargs, error):
    with pytest.raises(error):
        tg.compare(**kwargs)


def test_symbolic_skips_follow_the_engines_own_prediction_not_a_warm_up():
    """Quick mode skipped 4-4-1 on 8.3 s extrapolated from a 2-2-1 build that was mostly
    SymPy's warm-up; the prediction is now Symbolic.estimate's, made per architecture."""
    _skip_reason = runs._skip_reason
    settings = Settings.preset(quick=True)
    engine = tg.engines.Symbolic()
    warm_up = (9, 1e-5)  # a 2-2-1 point; its build took seconds of warm-up, not counted
    seconds = engine.estimate(tg.Network([4, 4, 1]).architecture)[1]
    assert seconds < settings.setup_budget
    assert _skip_reason(warm_up, 25, settings, seconds) == "ok"
    big = engine.estimate(tg.Network([64, 64, 1]).architecture)[1]
    assert big > settings.setup_budget
    assert _skip_reason(warm_up, 4225, settings, big).startswith(
        f"skipped: predicted build {big:.3g} s > setup budget")
    assert _skip_reason(warm_up, 25, settings, None) == "ok"  # other engines
