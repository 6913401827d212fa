"""Golden files: expected output kept beside the tests that read them.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest`` and review the diff;
never edit a golden file by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(relative: str, actual: str) -> None:
    path = GOLDEN / relative
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{relative} differs from its golden file (UPDATE_GOLDEN=1)"
