"""A cohort run's progress on standard error: a bar on a terminal, else nothing but the messages.

The bar shows only when standard error is a terminal and it would not mix with the
answers (they go to a file, or standard output is not the same terminal). rich is
imported only then. Messages about bad records go above the bar, or plainly to
standard error when there is none.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .terminal import on_terminal


class CohortProgress:
    """``advance()`` after each record, ``say(message)`` for a line on standard error, ``stop()`` at the end."""

    def __init__(self, total: int | None, shown: bool) -> None:
        self._bar: Any = None
        if shown:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("patients", total=total)

    @classmethod
    def for_cohort(cls, cohort: Path, answers_to_file: bool) -> CohortProgress:
        """A bar over the cohort's records when standard error is a terminal the answers do not go to."""
        shown = on_terminal(sys.stderr) and (answers_to_file or not on_terminal())
        return cls(count_records(cohort) if shown else None, shown)

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def say(self, message: str) -> None:
        """One line on standard error, above the bar if there is one."""
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False, soft_wrap=True)
        else:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()

    def advance(self, records: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, records)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def count_records(path: Path) -> int | None:
    """The non-blank lines of a cohort file (the bar's total); None for standard input or a directory."""
    if str(path) == "-" or path.is_dir():
        return None
    with path.open("rb") as file:
        return sum(1 for line in file if line.strip())
