"""The package's layout as tests (CONTRIBUTING.md): imports only run down the layers, no module-level
import cycle, no private name imported from another module, every module small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lththeory"

#: a component may import components of a lower layer and its own modules, nothing above
LAYERS = {
    "_validate": 0,
    "_arrays": 0,
    "_io": 0,
    "_search": 0,
    "proofcheck": 0,
    "registry": 1,
    "masks": 1,
    "network": 1,
    "stats": 2,
    "densities": 3,
    "plotting": 3,
    "weak": 4,
    "subset_sum": 4,
    "lower_bound": 5,
    "strong": 5,
    "conv": 5,
    "export": 6,
    "training": 7,
    "experiments": 8,
    "sweep": 9,
}
MAX_LINES = 520


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, list[str], bool]]:
    """(imported module, imported names, at module level) for every lththeory import."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] == "lththeory":
                out.append((mod, [a.name for a in node.names], id(node) in top))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "lththeory":
                    out.append((a.name, [], id(node) in top))
    return out


def _component(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


MODULES = _modules()


def test_every_component_has_a_layer():
    comps = {_component(m) for m in MODULES} - {""}
    assert comps <= set(LAYERS), sorted(comps - set(LAYERS))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_run_down_the_layers(name):
    here = _component(name)
    for mod, _names, _top in _imports(name, MODULES[name]):
        there = _component(mod)
        if here == "" or there == "" or there == here:
            continue
        assert LAYERS[there] < LAYERS[here], (
            f"{name} imports {mod}: layer {there} is not below {here}"
        )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(name):
    for mod, names, _top in _imports(name, MODULES[name]):
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"{name} imports private {private} from {mod}"


def test_no_module_level_import_cycle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for mod, names, top in _imports(name, path):
            if not top:
                continue
            # "from pkg import sub" names a submodule when pkg.sub is a module
            targets = [f"{mod}.{n}" for n in names if f"{mod}.{n}" in MODULES] or [mod]
            graph[name].update(t for t in targets if t in MODULES and t != name)
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n) :] + [n] if n in stack else [m, n]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_are_small(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines (split it by job)"
