"""``python -m tests.mutation [--full]``: the mutation check of docs/safety.md."""

from __future__ import annotations

import sys

from tests.mutation.mutants import run

if __name__ == "__main__":
    results = run("full" if "--full" in sys.argv[1:] else "default")
    sys.exit(0)
