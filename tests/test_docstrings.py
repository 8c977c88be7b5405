"""Every public definition of tensorgen has a numpydoc docstring with the sections its
signature calls for: Parameters for its parameters, Returns when it returns a value,
Raises when it raises an exception itself. Checked with numpydoc's own validation.

Public: the modules whose dotted name has no part starting with ``_`` (so not
``tensorgen._kernels``, ``_codegen`` nor ``_checks``), and in each, the classes and
functions defined there whose name does not start with ``_``, with their public methods
and properties. A method that overrides a documented one of a base class (an engine's
``value_and_grad``, say) inherits its docstring, as Sphinx shows it.
"""

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import textwrap

import pytest

import tensorgen

numpydoc_validate = pytest.importorskip(
    "numpydoc.validate", reason="numpydoc is not installed (pip install '.[test]')")
from numpydoc.docscrape import NumpyDocString  # noqa: E402

# numpydoc's checks of what a docstring holds (the house style of summaries, e.g. noun
# phrases and two-line summaries, is not checked):
CHECKS = {
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "GL08",  # no docstring
    "SS01",  # no summary
    "PR01",  # parameters not documented
    "PR02",  # unknown parameters documented
    "PR04",  # a parameter without a type
    "PR07",  # a parameter without a description
    "RT01",  # no Returns section although the function returns a value
    "RT03",  # a return value without a description
    "YD01",  # no Yields section for a generator
}
# Not public: the entry point run by ``python -m tensorgen``.
SKIP_MODULES = {"tensorgen.__main__"}
# Public modules that need an optional package: checked where it is installed.
if importlib.util.find_spec("sklearn") is None:
    SKIP_MODULES.add("tensorgen.sklearn")


def public_modules():
    names = ["tensorgen"]
    for info in pkgutil.walk_packages(tensorgen.__path__, "tensorgen."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return sorted(set(names) - SKIP_MODULES)


def inherits_doc(cls, name):
    """Whether ``cls.name`` has no docstring of its own but overrides a documented one."""
    own = cls.__dict__[name]
    own = own.fget if isinstance(own, property) else own
    if getattr(own, "__doc__", None):
        return False
    return any(getattr(base.__dict__.get(name), "__doc__", None) for base in cls.__mro__[1:])


def public_definitions():
    """Dotted names of every public module, class, function, method and property."""
    found = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        found.append(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isfunction(obj):
                found.append(f"{module_name}.{name}")
            elif inspect.isclass(obj):
                found.append(f"{module_name}.{name}")
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or inherits_doc(obj, attr):
                        continue
                    if inspect.isfunction(member) or isinstance(
                            member, (property, classmethod, staticmethod)):
                        found.append(f"{module_name}.{name}.{attr}")
    return found


def raised_here(obj):
    """Exception names a function raises in its own body (``raise X(...)``/``raise X``;
    not bare re-raises nor those of nested functions)."""
    try:
        source = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return set()
    tree = ast.parse(source).body[0]
    names = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                  ast.Lambda)):
                continue
            if isinstance(child, ast.Raise) and child.exc is not None:
                exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(exc, ast.Name):
                    names.add(exc.id)
            visit(child)

    visit(tree)
    return names - {"NotImplementedError"}


def documented_fields(obj):
    """Names documented in a class's Attributes section (a dataclass's fields are its
    constructor's parameters)."""
    doc = NumpyDocString(inspect.getdoc(obj) or "")
    return {n.strip() for p in doc["Attributes"] for n in p.name.split(",")}


DEFINITIONS = public_definitions()


def test_the_walk_finds_the_api():
    for name in ("tensorgen.Network", "tensorgen.network.Network.value_and_grad",
                 "tensorgen.network.Network.params", "tensorgen.engines.base.Engine",
                 "tensorgen.datasets.load_csv", "tensorgen.training.fit",
                 "tensorgen.study.compare", "tensorgen.architecture.Architecture.unpack"):
        obj_name = name.replace("tensorgen.Network", "tensorgen.network.Network")
        assert obj_name in DEFINITIONS, name
    assert not [n for n in DEFINITIONS if "._" in n]


@pytest.mark.parametrize("name", DEFINITIONS)
def test_public_definition_has_a_numpydoc_docstring(name):
    obj = numpydoc_validate.Validator._load_obj(name)
    if inspect.ismodule(obj):
        # (numpydoc's validate fails on a module without a def, e.g. tensorgen.functions;
        # a module's docstring has no sections to check anyway)
        assert (obj.__doc__ or "").strip(), "GL08: The object does not have a docstring"
        return
    result = numpydoc_validate.validate(name)
    errors = [(code, msg) for code, msg in result["errors"] if code in CHECKS]
    if inspect.isclass(obj):
        # dataclass fields may be documented as Attributes; a Protocol has no constructor
        fields = documented_fields(obj)
        protocol = getattr(obj, "_is_protocol", False)
        errors = [(code, msg) for code, msg in errors if not (code == "PR01" and (
            protocol or all(p in fields for p in _missing(msg))))]
    function = obj.fget if isinstance(obj, property) else obj
    if inspect.isfunction(function) or inspect.ismethod(function):
        raised = raised_here(function)
        documented = NumpyDocString(inspect.getdoc(function) or "")["Raises"]
        if raised and not documented:
            errors.append(("RAISES", f"raises {sorted(raised)} but has no Raises section"))
    assert not errors, "\n".join(f"{code}: {msg}" for code, msg in errors)


def _missing(message):
    """The parameter names of a PR01 message: Parameters {'a', 'b'} not documented."""
    inside = message[message.index("{") + 1:message.rindex("}")]
    return [p.strip().strip("'\"*") for p in inside.split(",")]
