"""The package's structure, checked from its source: imports flow one way (no cycle, also
none hidden in a function or a TYPE_CHECKING block), no engine imports another, and no C
or Cython declaration holds an element count in an ``int`` or ``long`` (above 2**31
elements such a count wraps, and ``long`` is 32 bits on Windows)."""

import ast
import re
from pathlib import Path

import pytest

import tensorgen

PACKAGE = Path(tensorgen.__file__).parent
CSRC = PACKAGE.parent / "csrc"
if not CSRC.is_dir():  # the installed package carries its headers as tensorgen/_csrc
    CSRC = PACKAGE / "_csrc"


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """name -> path of every Python and Cython module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.pyx")):
        found[module_name(path)] = path
    return found


def resolve(name, level, current, is_package):
    if not level:
        return name
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(name, path, known):
    """tensorgen modules that a module imports anywhere in its text (functions and
    TYPE_CHECKING blocks included)."""
    is_package = path.name == "__init__.py"
    targets = set()
    if path.suffix == ".py":
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = resolve(node.module, node.level, name, is_package)
                subs = {f"{base}.{alias.name}" for alias in node.names}
                targets.update(subs)
                if node.module or not subs <= set(known):  # names from the module itself
                    targets.add(base)
    else:  # Cython: import and cimport statements, absolute in this package
        for match in re.finditer(r"^\s*(?:from\s+([\w.]+)\s+c?import\s+\(?([\w\s,]+)\)?"
                                 r"|c?import\s+([\w.]+))", path.read_text(), re.M):
            base = match.group(1) or match.group(3)
            targets.add(base)
            if match.group(2):
                targets.update(f"{base}.{n.strip()}" for n in match.group(2).split(","))
    return {t for t in targets if t in known and t != name}


def graph():
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_the_import_graph_is_acyclic():
    edges = graph()
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_the_check_sees_imports_inside_functions(tmp_path):
    # (the check can fail: a function-level import is an edge like any other)
    path = tmp_path / "tensorgen" / "mod.py"
    path.parent.mkdir()
    path.write_text("def f():\n    from .network import Network\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "tensorgen"
    try:
        assert imports_of("tensorgen.mod", path, {"tensorgen.network"}) == {"tensorgen.network"}
    finally:
        PACKAGE = saved


def test_engines_do_not_import_each_other():
    edges = graph()
    engines = {n for n in edges if n.startswith("tensorgen.engines.")}
    for name in engines:
        others = {e for e in edges[name] & engines if e != "tensorgen.engines.base"}
        assert not others, f"{name} imports {others}"


def test_kernels_import_nothing_above_them():
    for name, targets in graph().items():
        if name.startswith("tensorgen._kernels"):
            above = {t for t in targets if not t.startswith("tensorgen._kernels")}
            assert not above, f"{name} imports {above}"


# ---- the C boundary ----

# A count parameter or variable: a name like these, declared int or long (not n_threads,
# a thread count OpenMP takes as int, bounded by MAX_THREADS; nor BLAS's int * dimension
# arguments, its ABI, which receive blas_int's checked values).
COUNT = r"(?:n|k|m|h|size|count|width|rows|cols|n_(?!threads)\w+|\w*_size)"


def c_sources():
    files = sorted(CSRC.glob("*.h")) + sorted(CSRC.glob("*.c"))
    files += sorted(PACKAGE.glob("_kernels/*.pyx")) + sorted(PACKAGE.glob("_kernels/*.pxd"))
    return files


@pytest.mark.parametrize("path", c_sources(), ids=lambda p: p.name)
def test_no_count_is_an_int_or_a_long(path):
    text = path.read_text()
    bad = re.findall(rf"\b(?:unsigned\s+)?(?:int|long)\s+({COUNT})\b(?!\s*\()", text)
    assert not bad, f"{path.name}: counts declared int/long: {sorted(set(bad))}"
    assert not re.findall(r"\blong\b", re.sub(r"long double|long long", "", text)), \
        f"{path.name}: 'long' holds a size somewhere"
    # a cast to int of a size: only blas_int (BLAS takes C int dimensions) may do that
    casts = re.findall(r"<int>\s*\(?(\w+)", text)
    assert set(casts) <= {"size"} and (not casts or "blas_int" in text), \
        f"{path.name}: casts to int: {casts}"


def test_the_count_check_can_fail():
    sample = "void tg_act_row(int act, const double *z, double *a, int k);"
    assert re.findall(rf"\b(?:unsigned\s+)?(?:int|long)\s+({COUNT})\b(?!\s*\()", sample) \
        == ["k"]


def test_every_extra_a_message_names_exists():
    """Messages that say `pip install 'tensorgen[x]'` name an extra pyproject.toml defines."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11+")
    pyproject = Path(__file__).parent.parent / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip(f"no pyproject.toml beside the tests ({pyproject})")
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    named = {(path.name, extra) for path in modules().values()
             for extra in re.findall(r"tensorgen\[(\w+)\]", path.read_text())}
    readme = pyproject.with_name("README.md").read_text()
    named |= {("README.md", extra) for extra in re.findall(r"tensorgen\[(\w+)\]", readme)}
    assert {"autograd", "plot", "datasets", "study", "all"} <= set(extras)
    assert named, "no install hint found: the pattern is wrong"
    assert [(where, extra) for where, extra in sorted(named) if extra not in extras] == []
