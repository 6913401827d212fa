"""backspasm: a clinical guideline advisor for severe back spasms.

The distribution installs this one import package. It holds the generic Datalog
reasoner (:mod:`backspasm.reasoner`, whose facade is the public API), the bundled
guideline knowledge base (``kb/``), example patients (``examples/``) and the command
line (:mod:`backspasm.cli`). This module imports nothing heavy, so that
``backspasm --version`` and ``import backspasm`` stay instant; the API lives in
:mod:`backspasm.reasoner`.

>>> from backspasm.reasoner import load_advisor
>>> advisor = load_advisor(bundled_kb())
>>> advisor.recommend(example_patient("acute")).codes()["muscle_relaxant_short_course"]
'consider'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__version__ = "0.2.0"
__all__ = ["__version__", "bundled_kb", "example_names", "example_patient", "example_path"]

_PACKAGE = Path(__file__).resolve().parent


def bundled_kb() -> Path:
    """The directory of the bundled guideline knowledge base (``manifest.yaml`` and its rules)."""
    return _PACKAGE / "kb"


def _example_folders() -> dict[str, Path]:
    return {"patient": _PACKAGE / "examples" / "patients", "fhir": _PACKAGE / "examples" / "fhir"}


def example_names(kind: str = "patient") -> list[str]:
    """Names of the shipped examples of a kind (``patient`` records or ``fhir`` Bundles), sorted."""
    return sorted(path.stem for path in _example_folders()[kind].glob("*.json"))


def example_path(name: str, kind: str = "patient") -> Path:
    """The file of a shipped example; ``KeyError`` names the examples there are."""
    path = _example_folders()[kind] / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no {kind} example {name!r}; there are: {', '.join(example_names(kind))}")
    return path


def example_patient(name: str) -> dict[str, Any]:
    """A shipped example patient record, parsed."""
    value: dict[str, Any] = json.loads(example_path(name).read_text(encoding="utf-8"))
    return value
