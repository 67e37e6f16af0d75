"""The layer rule, read from the source: no upward import, no import cycle, no delivery-phase module names.

Layers, bottom up: kexie ← orgs ← members ← approvals ← bench. A module imports only from its own layer or
below; a lower layer that must start work above sends a signal that the higher app listens to. Imports are
read with `ast`, including those inside functions, so a deferred import does not hide a dependency.
"""

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"kexie": 0, "orgs": 1, "members": 2, "approvals": 3, "bench": 4}
# Module and package names that say when something was delivered instead of what it holds.
PHASE_NAME = re.compile(r"^(lifecycle|phase\d*|v\d+|new|old|legacy|tmp|temp)(_|$)", re.IGNORECASE)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    files = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Migrations name other apps only through dependency strings.
            files[_module_name(path, root)] = path
    return files


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def imports_in(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Project modules that `module` imports anywhere in its body (top level, functions, type checks)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            # `from pkg import name` imports the submodule pkg.name when there is one, else pkg itself.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            # `import a.b.c` and `from a.b.c import d` depend on the deepest project module they name.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(root: Path = ROOT, packages: Iterable[str] = tuple(LAYERS)) -> dict[str, set[str]]:
    files = _source_files(root, packages)
    known = set(files)
    return {
        module: imports_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", known)
        for module, path in files.items()
    }


def upward_imports(graph: Mapping[str, set[str]], layers: Mapping[str, int] = LAYERS) -> list[tuple[str, str]]:
    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if layers[target.split(".")[0]] > layers[source.split(".")[0]]
    )


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative depth-first search: the module graph is deep enough to make recursion fragile.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = lowlink[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph.get(node, ()):
                        components.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(components)


def phase_named(modules: Iterable[str]) -> list[str]:
    return sorted(m for m in modules if any(PHASE_NAME.match(part) for part in m.split(".")))


def _test_modules(root: Path = ROOT) -> list[str]:
    return [_module_name(p, root) for p in (root / "tests").rglob("*.py")]


# --- the rules, applied to the project ---------------------------------------------------------------------


def test_no_module_imports_from_a_higher_layer():
    """kexie ← orgs ← members ← approvals ← bench: an upward import couples a lower layer to a higher one."""
    upward = upward_imports(import_graph())
    assert not upward, "upward imports (module -> imported module):\n" + "\n".join(f"{a} -> {b}" for a, b in upward)


def test_no_import_cycles_between_modules():
    """Any two modules, across or inside apps, never depend on each other (directly or through others)."""
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_is_named_after_a_delivery_phase():
    """Modules say what they hold (members/services/fees.py), never when it was built (lifecycle_services.py)."""
    graph = import_graph()
    named = phase_named(list(graph) + _test_modules())
    assert not named, f"phase-named modules: {named}"


# --- the checks themselves can fail ------------------------------------------------------------------------


def test_the_checks_report_an_upward_import_a_cycle_and_a_phase_name(tmp_path):
    """A synthetic project with one upward import, one two-module cycle and one phase-named module."""
    files = {
        "kexie/__init__.py": "",
        "kexie/errors.py": "",
        "orgs/__init__.py": "",
        # A deferred (function-level) upward import is still an upward import.
        "orgs/services.py": "def f():\n    from members.models import Person\n",
        "members/__init__.py": "",
        "members/models.py": "from kexie import errors\n",
        "members/fees.py": "from . import units\n",
        "members/units.py": "from members.fees import charge\n",
        "members/lifecycle_views.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")

    graph = import_graph(tmp_path, ("kexie", "orgs", "members"))

    assert graph["members.models"] == {"kexie.errors"}
    assert upward_imports(graph) == [("orgs.services", "members.models")]
    assert import_cycles(graph) == [["members.fees", "members.units"]]
    assert phase_named(graph) == ["members.lifecycle_views"]


def test_a_longer_cycle_and_a_clean_graph():
    """Three modules in a ring form one component; a chain without a back edge forms none."""
    ring = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert import_cycles(ring) == [["a.x", "a.y", "a.z"]]
    assert import_cycles({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": set()}) == []
    assert upward_imports({"orgs.a": {"kexie.b"}, "approvals.c": {"members.d"}}) == []
