"""Golden files: expected output (answers, explanations, CLI sessions) kept beside the tests that read it.

Regenerate after an intended change of output with

    UPDATE_GOLDEN=1 python -m pytest -q tests/render/test_render.py tests/knowledge/test_knowledge_base.py

then review the diff (``git diff tests/golden``) before committing. Never edit a
golden file by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; create it with UPDATE_GOLDEN=1 (see tests/golden.py)"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; if intended, regenerate (see tests/golden.py)"


def assert_golden_json(name: str, actual: Any) -> None:
    assert_golden(name, json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
