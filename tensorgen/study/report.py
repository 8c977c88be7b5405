"""Writing a StudyResults: report.md (tables), results.json and results.csv."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from . import StudyResults
from .settings import Row

#: Report sections: (table, heading, what it shows).
SECTIONS = (
    ("accuracy", "Accuracy", "Max absolute and relative gradient error against the autograd "
     "oracle (relative error as `tg.gradcheck` defines it)."),
    ("efficiency", "Efficiency", "Median seconds per gradient over `repeats` calls; peak extra "
     "memory of one call = Python/numpy allocations (tracemalloc peak) + the engine's own C "
     "scratch (`scratch_bytes`, blank where the engine cannot say)."),
    ("symbolic_setup", "Symbolic setup", "The symbolic engine's one-off derive, generate and "
     "compile time per architecture, apart from its per-call time."),
    ("scaling", "Scalability", "Seconds per gradient over the width sweep ([w, w, 1]) and the "
     "depth sweep; skipped points say why."),
    ("slopes", "Fitted slopes", "Least-squares slope of log(seconds) against log(parameters): "
     "1 means time grows linearly with the parameter count."),
    ("xor", "XOR case study", "2-2-1 sigmoid network, `init=\"uniform\"`, seed 0, full-batch "
     "gradient descent with lr 1.0 until the cost is below 1e-3 (the forward gradient: one "
     "random direction per step, stream seed 0)."),
    ("training", "Training by forward passes", "Reverse mode and the forward gradient (K "
     "random directions per step, stream seed 0) from the same network and batches: XOR as "
     "above, digits with Adam (lr 1e-3) on mini-batches of 32 of three quarters of the data, "
     "the accuracy measured on the other quarter after every epoch. `steps` and "
     "`wall_seconds` are those to the target when it was reached, else those spent."),
    ("loc", "Ease of implementation", "Non-blank lines that are neither comments nor "
     "docstrings, counted in the installed package."),
    ("peers", "Peers", "Libraries timed on the same networks."),
)
#: Columns kept out of the markdown tables (printed apart, or only in the JSON/CSV).
LONG_COLUMNS = ("block",)
#: Significant digits of float cells: 3, more where the digits matter (a cost just below tol).
DIGITS: dict[str | None, int] = {"final_cost": 6, "final": 6}


def fmt(value: object, column: str | None = None) -> str:
    """A table cell: 3 significant digits for floats, '-' for a missing value.

    Parameters
    ----------
    value : object
        The cell's value.
    column : str, optional
        Its column (some have more digits, see ``DIGITS``).

    Returns
    -------
    str
        The cell's markdown text (``|`` escaped; booleans as yes/no).
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{DIGITS.get(column, 3)}g}"
    return str(value).replace("|", "\\|")


def markdown_table(rows: Sequence[Row]) -> str:
    """A markdown table of dict rows (columns of the first row).

    Parameters
    ----------
    rows : sequence of dict
        The table's rows.

    Returns
    -------
    str
        The table, or ``(no rows)``.
    """
    if not rows:
        return "(no rows)\n"
    columns = [c for c in rows[0] if c not in LONG_COLUMNS]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(row[c], c) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def markdown(results: StudyResults, command: str | None = None) -> str:
    """The report: machine, notes, one section per table, the XOR blocks and the plots.

    Parameters
    ----------
    results : StudyResults
        What the study measured.
    command : str, optional
        The command that ran it, quoted in the report.

    Returns
    -------
    str
        Markdown text.
    """
    m = results.machine
    out = ["# TensorGen comparison study", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']} ({m['platform']}), "
           f"load average {m['load_average_at_start']} when the run started.",
           ""]
    if command:
        out += [f"Command: `{command}`", ""]
    s = results.settings
    out += [f"Per-point budget {s['budget']:g} s, symbolic setup budget "
            f"{s['setup_budget']:g} s, XOR budget {s['xor_budget']:g} s, training budget "
            f"{s['training_budget']:g} s per run, {s['n_samples']} samples per gradient in "
            "the sweeps.", ""]
    out += [f"- {note}" for note in results.notes] + [""]
    for name, heading, what in SECTIONS:
        out += [f"## {heading}", "", f"<!-- table: {name} -->", what, "",
                markdown_table(results.tables[name])]
        if name == "xor":
            for row in results.tables["xor"]:
                out += [f"Printed block, {row['engine']}:", "", "```", row["block"], "```", ""]
    out += ["## Plots", "", "![time per gradient](scaling.png)", "",
            "![error against eps](error_vs_eps.png)", "", "![XOR cost](xor_cost.png)", ""]
    return "\n".join(out)


def write(results: StudyResults, out_dir: str | os.PathLike[str],
          command: str | None = None) -> list[Path]:
    """Write report.md, results.json and results.csv into ``out_dir`` (created).

    Parameters
    ----------
    results : StudyResults
        What the study measured.
    out_dir : str or path-like
        The folder.
    command : str, optional
        The command that ran the study, quoted in the report.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.md", out / "results.json", out / "results.csv"]
    paths[0].write_text(markdown(results, command), encoding="utf-8")
    paths[1].write_text(json.dumps(asdict(results), indent=1) + "\n", encoding="utf-8")
    with open(paths[2], "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["table", "row", "column", "value"])
        for table, rows in results.tables.items():
            for i, row in enumerate(rows):
                writer.writerows([table, i, column, value] for column, value in row.items())
    return paths
