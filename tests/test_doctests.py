"""Docstring examples are tests: every module whose docstrings hold ``>>>`` examples runs them.

The package is imported by its installed name (``backspasm``), as an embedding program
would, so the examples show the import lines a user writes.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules_with_examples() -> list[str]:
    names = []
    for path in sorted([ROOT / "__init__.py", ROOT / "cli.py", *(ROOT / "reasoner").rglob("*.py")]):
        if ">>> " not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(["backspasm", *(part for part in parts if part != "__init__")]))
    return names


def test_the_examples_are_found() -> None:
    assert "backspasm.reasoner.api" in modules_with_examples()


@pytest.mark.parametrize("module_name", modules_with_examples())
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
