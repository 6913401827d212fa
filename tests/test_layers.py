"""The package's layers import one way only, top to bottom (docs/architecture.md).

A module may import its own sub-package and any layer below it, never one above: the
Datalog language knows no knowledge base, the tracer no answer, the advisor no renderer,
and nothing but the command line knows the command line: the click commands of
``reasoner/commands/`` form the top layer, and ``cli.py`` above it names them. Read from each module's
``import`` statements, lazy ones inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REASONER = ROOT / "reasoner"

# Lowest first. Modules at the top of reasoner/ belong to the layer named here.
LAYERS = [
    {"errors"},
    {"datafile", "datamodel"},
    {"language"},
    {"knowledge"},
    {"explain"},
    {"advisor"},
    {"render"},
    {"kbtools", "fhir"},
    {"cds"},
    {"api", "__init__"},
    {"commands"},
]


def layer_of(part: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if part in names)


def unit_of(module: Path) -> str:
    """The sub-package (or top-level module) of reasoner/ a file belongs to."""
    relative = module.relative_to(REASONER)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_units(module: Path) -> set[str]:
    """The reasoner units a module imports, resolving relative imports against its location."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    package = list(module.relative_to(ROOT).parent.parts)  # ["reasoner", "advisor"]
    units = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            if target[:1] != ["reasoner"]:
                continue
            if len(target) == 1:  # from .. import answer
                units.update(alias.name for alias in node.names)
            else:
                units.add(target[1])
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert not any(name.split(".")[0] in ("reasoner", "cli") for name in names), (
                f"{module}: absolute import of the package; use a relative import"
            )
    return units


MODULES = sorted(REASONER.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_module_imports_only_its_own_layer_and_those_below(module: Path) -> None:
    own = unit_of(module)
    for unit in imported_units(module) - {own}:
        assert layer_of(unit) < layer_of(own), (
            f"{module.relative_to(ROOT)} ({own}) imports {unit}, which is not below it"
        )


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(module) for module in MODULES}
    assert all(any(unit in names for names in LAYERS) for unit in units), units


def test_the_command_line_is_imported_by_nothing_in_the_library() -> None:
    for module in MODULES:
        depth = len(module.relative_to(ROOT).parts)  # the level of a relative import of the top package
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == depth:
                names = [node.module] if node.module else [alias.name for alias in node.names]
                assert "cli" not in [name.split(".")[0] for name in names], module
