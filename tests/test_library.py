"""The library's house rules, read from its source: the map, __all__, docstrings, imports.

The top level of ``p2plib`` holds what the course builds; tools and experiments live in
sub-packages that may import the top level, never the other way round. Every module lists
its public names in ``__all__``; every public name of a top-level module says which notebook
introduces it (or that it is a tool); no name is re-exported; no import cycle; function-local
imports only for optional heavy packages; no private Keras or TensorFlow name on the taught
path (the top level).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import p2plib

PACKAGE = Path(p2plib.__file__).parent
SUB_PACKAGES = sorted(path.name for path in PACKAGE.iterdir()
                      if (path / "__init__.py").is_file())
MODULES = sorted(PACKAGE.rglob("*.py"))
TOP_LEVEL = sorted(path for path in PACKAGE.glob("*.py") if path.name != "__main__.py")
OPTIONAL_PACKAGES = {"gradio", "gradio_client", "onnx", "tf2onnx", "onnxruntime", "playwright",
                     "ai_edge_litert"}  # gradio_client comes with gradio
INTRODUCED = re.compile(r"notebooks? \d\d|\btool\b")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_p2plib_modules(path: Path, function_level: bool | None = None):
    """``(module, line, names)`` of each import of a p2plib module in ``path``."""
    tree = tree_of(path)
    inside = {id(node) for function in ast.walk(tree)
              if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(function)}
    for node in ast.walk(tree):
        if function_level is not None and (id(node) in inside) != function_level:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "p2plib":
                for alias in node.names:
                    yield f"p2plib.{alias.name}", node.lineno, [alias.name]
            elif node.module.startswith("p2plib."):
                yield node.module, node.lineno, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("p2plib."):
                    yield alias.name, node.lineno, []


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, not a package
        return False


def public_names(path: Path) -> list[str]:
    module = importlib.import_module(module_name(path))
    return list(module.__all__)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_every_module_lists_its_public_names(path):
    if path.name == "__main__.py":
        return
    module = importlib.import_module(module_name(path))
    assert hasattr(module, "__all__"), f"{module_name(path)} has no __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{module_name(path)}.__all__ names what it lacks: {missing}"


def attribute_docstrings(tree: ast.Module) -> dict[str, str]:
    """The string that follows each module-level assignment (a constant's docstring)."""
    found = {}
    body = tree.body
    for node, following in zip(body, body[1:], strict=False):
        if (isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = following.value.value
    return found


@pytest.mark.parametrize("path", TOP_LEVEL, ids=lambda path: module_name(path))
def test_every_public_name_of_the_top_level_says_where_it_is_introduced(path):
    module = importlib.import_module(module_name(path))
    constants = attribute_docstrings(tree_of(path))
    without = []
    for name in module.__all__:
        value = getattr(module, name)
        text = constants.get(name) if name in constants or not callable(value) \
            else value.__doc__
        if not text or not INTRODUCED.search(text):
            without.append(name)
    assert not without, (f"{module_name(path)}: say in the docstring which notebook "
                         f"introduces these (or 'tool'): {without}")


def test_the_package_docstring_maps_every_module():
    listed = p2plib.__doc__
    names = [path.stem for path in TOP_LEVEL if path.stem != "__init__"] + SUB_PACKAGES
    missing = [name for name in names if not re.search(rf"``{name}``|\b{name}/", listed)]
    assert not missing, f"the map in p2plib/__init__.py does not name {missing}"


def test_the_top_level_never_imports_a_sub_package():
    offences = [f"{path.name}:{line} imports {module}"
                for path in TOP_LEVEL
                for module, line, _ in imported_p2plib_modules(path)
                if module.split(".")[1] in SUB_PACKAGES]
    assert not offences, offences


def test_function_local_imports_only_for_optional_heavy_packages():
    offences = []
    for path in MODULES:
        tree = tree_of(path)
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if path.name == "__init__.py" and path.parent == PACKAGE \
                    and function.name == "quiet_tensorflow":
                continue  # it must set the log level before TensorFlow loads
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    roots = [alias.name.split(".")[0] for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    roots = [(node.module or "").split(".")[0]]
                else:
                    continue
                if any(root not in OPTIONAL_PACKAGES for root in roots):
                    offences.append(f"{module_name(path)}:{node.lineno}")
    assert not offences, f"import at the top of the module instead: {offences}"


def test_no_name_is_re_exported():
    offences = []
    for path in MODULES:
        if path.name == "__main__.py":
            continue
        exported = set(public_names(path))
        for _, line, names in imported_p2plib_modules(path, function_level=False):
            leaked = exported & set(names)
            if leaked:
                offences.append(f"{module_name(path)}:{line} re-exports {sorted(leaked)}")
    assert not offences, offences


def test_no_import_cycle():
    graph = {}
    for path in MODULES:
        name = module_name(path)
        targets = set()
        for module, _, names in imported_p2plib_modules(path):
            found = [f"{module}.{n}" for n in names if is_module(f"{module}.{n}")]
            targets.update(found or [module])
        graph[name] = targets - {name}

    def package_of(module: str) -> str:
        return module.rsplit(".", 1)[0] if module.count(".") > 1 else module

    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for target in graph.get(node, ()):
            if target != package_of(node):  # a module importing its own package is fine
                visit(target)
        stack.pop()

    for node in graph:
        visit(node)
    assert not cycles, f"import cycles: {cycles[:3]}"


PRIVATE_ACCESS = re.compile(r"\b(keras\.src|tensorflow\.python|tf\.__internal__)\b")


@pytest.mark.parametrize("path", TOP_LEVEL, ids=lambda path: module_name(path))
def test_the_taught_path_uses_no_private_keras_or_tensorflow_name(path):
    source = path.read_text(encoding="utf-8")
    assert not PRIVATE_ACCESS.search(source), f"{path.name} reaches into private modules"
    offences = []
    for node in ast.walk(tree_of(path)):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            offences.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not offences, f"private attributes of other objects: {offences}"
