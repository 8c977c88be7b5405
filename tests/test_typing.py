"""The types: the package passes ``mypy --strict``, the stubs of its compiled modules match
what they define (stubtest), and examples/typed_usage.py, which uses every public name,
passes ``mypy --strict`` as a user's code would, while mypy does catch a misuse of the
same API. Everything is checked where Python imports tensorgen from (the installed
package in CI, with its .pyi stubs and py.typed).

Every mypy run here is hermetic, so that it answers the same on a busy machine as on an
idle one: a fresh, empty cache that is neither read nor kept (``--no-incremental``), an
explicit configuration (mypy otherwise reads the first mypy.ini, .mypy.ini,
pyproject.toml or setup.cfg with a mypy section in the working folder or any folder
above it, or the user's own), this interpreter's packages (``--python-executable``), no
MYPY* variables. Its exit status and stderr are checked before its output is read: a
mypy that crashed, was killed or timed out fails with that said, and one that ran but saw
no tensorgen types (every name Any) fails too, because the misuse must produce its errors
and the reveal_type notes must show tensorgen's real types.
"""

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import tensorgen as tg
from tensorgen._kernels import _buildinfo
from tensorgen.training import FitOptions, fit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "typed_usage.py"
CONFIG = ROOT / "pyproject.toml"
ALLOWLIST = Path(__file__).with_name("stubtest-allowlist.txt")
# A cold mypy run takes ~10 s on an idle 2-core machine and was measured at ~100 s under
# a load average of 15; the timeout leaves room beyond that.
TIMEOUT = 900

needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (pip install '.[test]')")

MISUSE = '''\
import tensorgen as tg

X, Y = tg.datasets.xor()
net = tg.Network([2, 2, 1], seed=0)
cost: str = net.loss(X, Y)
report = tg.gradcheck(net, X, Y, engine=3)
on: str = tg.engines.get_engine("reverse").value_and_grad(net.architecture, net.params, X, Y)[1]
history = net.fit(X, Y, epoch=10)
tg.Netwrok([2, 1])
reveal_type(net.loss(X, Y))
reveal_type(history.stop_reason)
reveal_type(report.max_rel_error)
reveal_type(tg.compare(quick=True))
'''
# line -> error code mypy must report there, and nothing else
MISUSE_ERRORS = {5: "assignment", 6: "arg-type", 7: "assignment", 8: "call-arg",
                 9: "attr-defined"}
# line -> the revealed type (tensorgen's own, not Any; "builtins." left out, as mypy 2
# prints them)
MISUSE_REVEALS = {10: "float", 11: "str", 12: "float", 13: "tensorgen.study.StudyResults"}


def run_checked(command, cwd, expected_codes):
    """Run a type checker hermetically; fail, saying why, unless it exited with one of
    ``expected_codes`` and wrote nothing to stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPY")}
    try:
        run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{command[2]} did not finish in {TIMEOUT} s (a very busy machine?); "
                    f"output so far:\n{exc.stdout or ''}{exc.stderr or ''}")
    how = f"exit status {run.returncode}"
    if run.returncode < 0:
        how = f"killed by {signal.Signals(-run.returncode).name}"
    assert run.returncode in expected_codes and not run.stderr, (
        f"{' '.join(map(str, command))}\n{how} (expected {sorted(expected_codes)})\n"
        f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}")
    return run.stdout


def mypy_command(tmp_path, *args):
    return [sys.executable, "-m", "mypy", "--python-executable", sys.executable,
            "--no-incremental", "--cache-dir", str(tmp_path / "mypy-cache"), *args]


@needs_mypy
def test_package_passes_mypy_strict(tmp_path):
    # -p tensorgen from tmp_path: the package Python imports, not the source tree (in CI
    # they differ), with the project's settings (the untyped dependencies are Any).
    out = run_checked(mypy_command(tmp_path, "--strict", "--config-file", str(CONFIG),
                                   "-p", "tensorgen"), tmp_path, {0})
    assert out.startswith("Success: no issues found"), out


@needs_mypy
def test_stubs_match_the_compiled_modules(tmp_path):
    kernels = Path(tg.__file__).parent / "_kernels"
    modules = sorted({p.name.split(".")[0] for p in kernels.iterdir()
                      if p.suffix in (".so", ".pyd")})
    if not _buildinfo.cpu_avx2_fma():  # importing them could raise SIGILL here
        modules = [m for m in modules if not m.endswith("_avx2")]
    assert {"_mlp", "_finite", "_train", "_seam", "_arrays"} <= set(modules), modules
    out = run_checked([sys.executable, "-m", "mypy.stubtest", "--mypy-config-file",
                       str(CONFIG), "--allowlist", str(ALLOWLIST),
                       *(f"tensorgen._kernels.{m}" for m in modules)], tmp_path, {0})
    assert "Success: no issues found" in out, out


@needs_mypy
def test_public_api_passes_mypy_strict_and_catches_a_misuse(tmp_path):
    misuse = tmp_path / "misuse.py"
    misuse.write_text(MISUSE)
    # A user's configuration: strict, nothing else (an explicit, empty one, so that no
    # file found above tmp_path or in the user's home takes part).
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    out = run_checked(mypy_command(tmp_path, "--strict", "--follow-imports=silent",
                                   "--config-file", str(config), "--no-error-summary",
                                   str(EXAMPLE), str(misuse)), tmp_path, {1})
    errors, reveals = {}, {}
    for line in out.splitlines():
        path, _, rest = line.partition(":")
        number, _, message = rest.partition(": ")
        if Path(path).name == EXAMPLE.name:
            pytest.fail(f"{EXAMPLE.name} does not pass mypy --strict:\n{out}")
        if message.startswith("error:"):
            errors[int(number)] = message.rsplit("[", 1)[-1].rstrip("]")
        elif message.startswith('note: Revealed type is "'):
            revealed = message.split('"', 1)[1].rsplit('"', 1)[0]
            reveals[int(number)] = revealed.replace("builtins.", "")
    assert errors == MISUSE_ERRORS, out
    assert reveals == MISUSE_REVEALS, out


def test_typed_usage_runs():
    run = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                         timeout=300, cwd=EXAMPLE.parent.parent, check=False)
    assert run.returncode == 0, run.stderr
    assert f"tensorgen {tg.__version__}: XOR before training" in run.stdout


def test_package_ships_type_information():
    root = Path(tg.__file__).parent
    assert (root / "py.typed").is_file()
    for module in (root / "_kernels").glob("*.pyx"):
        assert module.with_suffix(".pyi").is_file(), f"no stub for {module.name}"


def test_network_fit_options_are_fit_options():
    """Network.fit types its options as FitOptions: the same names as fit's keywords."""
    keywords = list(inspect.signature(fit).parameters)[3:]
    assert list(FitOptions.__annotations__) == keywords


# ---- examples/typed_usage.py uses every public name ----

CHECKED_MODULES = ("tensorgen", "tensorgen.engines", "tensorgen.optimizers",
                   "tensorgen.datasets", "tensorgen.metrics")
# tensorgen.sklearn needs scikit-learn (an extra): checked where it is installed
if importlib.util.find_spec("sklearn") is not None:
    CHECKED_MODULES += ("tensorgen.sklearn",)


def public_names(module):
    """The public names a module defines (or re-exports as ``import x as x``): its
    ``__all__`` where it has one, else what its source binds at top level."""
    if hasattr(module, "__all__"):
        return set(module.__all__)
    names = set()
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.name for a in node.names if a.asname == a.name)
    return {n for n in names if not n.startswith("_")}


def own_members(cls):
    """Public attributes and methods a tensorgen class adds (not those it overrides):
    what its body defines, its (dataclass or named tuple) fields, and the attributes its
    methods assign to ``self``."""
    # (what another library adds to a subclass, as scikit-learn's set_*_request methods,
    # is that library's API, not tensorgen's)
    names = {n for n, v in vars(cls).items() if not n.startswith("_")
             and getattr(v, "__module__", "tensorgen").startswith("tensorgen")}
    if dataclasses.is_dataclass(cls):
        names |= {f.name for f in dataclasses.fields(cls)}
    names |= set(getattr(cls, "_fields", ()))
    for node in ast.walk(ast.parse(inspect.getsource(cls).lstrip())):
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            names.add(node.attr)
    inherited = {n for base in cls.__mro__[1:] if base.__module__.startswith("tensorgen")
                 for n in vars(base)}
    return {n for n in names - inherited if not n.startswith("_")}


def public_classes():
    found = {}
    for name in CHECKED_MODULES:
        module = importlib.import_module(name)
        for attr in public_names(module):
            obj = getattr(module, attr)
            if inspect.isclass(obj) and obj.__module__.startswith("tensorgen"):
                found[obj] = f"{obj.__module__}.{obj.__qualname__}"
    return found


class Uses(ast.NodeVisitor):
    """What a file uses: ``module.name`` / ``from module import name`` for tensorgen's
    modules, and ``variable.member`` for variables annotated with a tensorgen class (or
    ``Class.member``), resolved through the file's imports."""

    def __init__(self):
        self.aliases = {}   # local name -> dotted tensorgen path
        self.typed = {}     # variable -> class
        self.names = set()  # (module, name)
        self.members = set()  # (class, member)

    def resolve(self, node):
        if isinstance(node, ast.Name):
            path = self.aliases.get(node.id)
        elif isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            path = None if base is None else f"{base}.{node.attr}"
        else:
            return None
        return path

    def obj(self, path):
        parts = path.split(".")
        obj = importlib.import_module(parts[0])
        for i, part in enumerate(parts[1:], 1):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                obj = importlib.import_module(".".join(parts[:i + 1]))
        return obj

    def annotate(self, target, annotation):
        path = self.resolve(annotation) if annotation is not None else None
        if path and isinstance(target, ast.Name):
            cls = self.obj(path)
            if inspect.isclass(cls):
                self.typed[target.id] = cls

    def visit_Import(self, node):
        for a in node.names:
            if a.name.startswith("tensorgen"):
                self.aliases[a.asname or a.name] = a.name

    def visit_ImportFrom(self, node):
        if node.module and node.module.startswith("tensorgen"):
            parent, _, child = node.module.rpartition(".")
            if parent:  # from tensorgen.engines import ... uses tensorgen.engines
                self.names.add((parent, child))
            for a in node.names:
                self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                self.names.add((node.module, a.name))

    def visit_AnnAssign(self, node):
        self.annotate(node.target, node.annotation)
        self.generic_visit(node)

    def visit_arg(self, node):
        self.annotate(ast.Name(node.arg), node.annotation)

    def visit_Attribute(self, node):
        path = self.resolve(node.value)
        if path is not None:
            owner = self.obj(path)
            if inspect.ismodule(owner):
                self.names.add((owner.__name__, node.attr))
            elif inspect.isclass(owner):
                self.members.add((owner, node.attr))
        elif isinstance(node.value, ast.Name) and node.value.id in self.typed:
            self.members.add((self.typed[node.value.id], node.attr))
        self.generic_visit(node)


def uses_of(path):
    uses = Uses()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # imports and annotations first: they may come later
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            uses.visit(node)
    uses.visit(tree)
    return uses


def defining_class(cls, member):
    return next((c for c in cls.__mro__ if member in own_members(c)), cls)


def test_typed_usage_uses_every_public_name():
    uses = uses_of(EXAMPLE)
    missing = []
    for name in CHECKED_MODULES:
        module = importlib.import_module(name)
        missing += [f"{name}.{n}" for n in sorted(public_names(module))
                    if (name, n) not in uses.names]
    used = {(defining_class(cls, m), m) for cls, m in uses.members}
    for cls, qualname in public_classes().items():
        missing += [f"{qualname}.{m}" for m in sorted(own_members(cls))
                    if (cls, m) not in used]
    assert not missing, (f"{EXAMPLE.name} does not use (through a variable annotated with "
                         f"its class, for members): {', '.join(missing)}")


def test_the_usage_check_can_fail(tmp_path):
    partial = tmp_path / "partial.py"
    partial.write_text("import tensorgen as tg\n\nnet: tg.Network = tg.Network([2, 1])\n"
                       "n: int = net.n_params\n")
    uses = uses_of(partial)
    assert ("tensorgen", "Network") in uses.names
    assert (tg.Network, "n_params") in uses.members
    assert (tg.Network, "params") not in uses.members
    assert "params" in own_members(tg.Network) and "metadata" in own_members(tg.Network)
    assert "lr" in own_members(tg.optimizers.Optimizer)
    assert "lr" not in own_members(tg.optimizers.SGD)  # inherited: checked on Optimizer
