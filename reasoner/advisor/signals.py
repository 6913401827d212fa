"""A cohort run stopped by SIGTERM or SIGINT: the signal raised as an exception, the process ended at once.

While :func:`stop_on_signals` is active, either signal raises :class:`Interrupted` in the
main thread instead of killing the process, so a batch can end its worker processes and
flush whole lines of output first; :func:`exit_at_once` then ends the process with the
exit code a shell reports for the signal (143 for SIGTERM, 130 for SIGINT).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived during a run: raised in the main thread to stop it cleanly."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.name = signal.Signals(signal_number).name
        self.exit_code = 128 + signal_number
        """As a shell reports a process ended by the signal: 143 for SIGTERM, 130 for SIGINT."""


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT raise :class:`Interrupted` instead of killing
    the process outright, so the run can end its workers and flush whole lines first."""

    def interrupt(signal_number: int, _frame: Any) -> None:
        raise Interrupted(signal_number)

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def exit_at_once(code: int) -> NoReturn:
    """End an interrupted run now, once its output is flushed and its workers are reaped.

    A normal exit would join the process pool's manager thread at interpreter shutdown,
    which on a loaded machine was seen to wait minutes on the queues of the workers just
    terminated; nothing is left to clean up, so the process ends without that wait.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
