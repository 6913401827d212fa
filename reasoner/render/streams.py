"""Standard output and error made safe to write: a closed output says so, and an output error is one line.

The command line calls :func:`guard_standard_streams` before it runs a command and
:func:`report_output_error` when writing failed, so a full disk, a closed standard
output or a path that cannot be opened ends in a message on standard error, never a
traceback or a silent loss of answers.
"""

from __future__ import annotations

import errno
import os
import sys


class ClosedStream:
    """Standard output when the process was started with it closed (``>&-``).

    Python then sets ``sys.stdout`` to None and click would drop every answer in silence;
    writing here raises instead, so the command says that it could not write.
    """

    def write(self, _text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def guard_standard_streams() -> None:
    """Make output failures visible and text that cannot be encoded printable.

    A closed standard output becomes a :class:`ClosedStream`; standard error writes any
    character it cannot encode as an escape, so an error message quoting the bad text can
    always be printed.
    """
    if sys.stdout is None:
        sys.stdout = ClosedStream()  # type: ignore[assignment,unused-ignore]
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


def output_error_text(error: OSError) -> str:
    """What went wrong writing: the file the system refused and why, or that the output could not be written."""
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else f"cannot write the output: {reason}"


def report_output_error(error: OSError) -> None:
    """One line on standard error for output that could not be written (or any other file the
    system refused, named by the error); the rest of the output is discarded so that Python's
    own flush at exit does not fail again with a traceback."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(f"Error: {output_error_text(error)}\n")
            sys.stderr.flush()
    except OSError:
        pass
    stdout = sys.stdout
    try:
        descriptor = stdout.fileno() if stdout is not None and not isinstance(stdout, ClosedStream) else None
    except (OSError, ValueError, AttributeError):
        descriptor = None
    if descriptor is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, descriptor)
        os.close(devnull)
