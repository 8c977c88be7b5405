"""Ease of implementation: lines of code of each engine's own implementation, counted from
the installed package (importlib.resources), not typed in."""

from __future__ import annotations

from importlib import resources

from .settings import Row

#: Each engine's own files (wrapper, kernel, code generator, C driver), relative to the
#: installed ``tensorgen`` package. ``shared`` is the C every engine computes with (one
#: definition per activation and loss) and the forward pass the others reuse.
IMPLEMENTATION = {
    "reverse": ("engines/reverse.py", "_kernels/_mlp.pyx", "_kernels/_mlp.pxd",
                "_csrc/tg_narrow.h"),
    "finite": ("engines/finite.py", "_kernels/_finite.pyx", "_kernels/_finite_avx2.pyx",
               "_csrc/tg_cpu.h"),
    "symbolic": ("engines/symbolic.py", "_kernels/_symbolic.pyx", "_codegen/expressions.py",
                 "_codegen/emit.py", "_codegen/build.py", "_codegen/_supervise.py",
                 "_codegen/tgmath.py", "_csrc/tg_driver.c", "_csrc/tg_driver.h"),
    "autograd": ("engines/oracle.py",),
    "shared": ("_csrc/tg_math.h", "_csrc/tg_math_scalar.h", "engines/base.py"),
}


def count_code_lines(text: str, suffix: str) -> int:
    """Non-blank lines that are not comments or docstrings.

    Parameters
    ----------
    text : str
        Source text.
    suffix : str
        ``.py``, ``.pyx`` or ``.pxd`` (``#`` comments, triple-quoted blocks opening a line
        are docstrings) or ``.c``/``.h`` (``//`` lines and ``/* */`` blocks).

    Returns
    -------
    int
        The lines of code.
    """
    python = suffix in (".py", ".pyx", ".pxd")
    opener: str | None = None  # the delimiter of the comment or docstring block we are inside
    count = 0
    for raw in text.splitlines():
        line = raw.strip()
        if opener is not None:
            if opener in line:
                opener = None
            continue
        if not line or line.startswith("#" if python else "//"):
            continue
        if python and line[:3] in ('"""', "'''"):
            quote = line[:3]
            if line.count(quote) == 1:
                opener = quote
            continue
        if not python and line.startswith("/*"):
            if "*/" not in line:
                opener = "*/"
            continue
        count += 1
    return count


def lines_of_code() -> list[Row]:
    """Rows (engine, files, lines) for every engine in ``IMPLEMENTATION``.

    Returns
    -------
    list of dict
        ``engine``, ``files`` (space-separated) and ``lines`` per engine.
    """
    root = resources.files("tensorgen")
    rows = []
    for engine, files in IMPLEMENTATION.items():
        total = 0
        for name in files:
            text = root.joinpath(name).read_text(encoding="utf-8")
            total += count_code_lines(text, "." + name.rsplit(".", 1)[-1])
        rows.append({"engine": engine, "files": " ".join(files), "lines": total})
    return rows
