"""Output that cannot be written is one line naming what failed; a closed standard output says so."""

from __future__ import annotations

import errno

import pytest

from backspasm.reasoner.render.streams import ClosedStream, output_error_text


def test_an_output_error_names_the_file_or_says_the_output_could_not_be_written() -> None:
    assert output_error_text(OSError(errno.ENOSPC, "No space left on device")) == (
        "cannot write the output: No space left on device"
    )
    refused = OSError(errno.EACCES, "Permission denied", "answers.jsonl")
    assert output_error_text(refused) == "answers.jsonl: Permission denied"


def test_writing_to_a_closed_standard_output_raises() -> None:
    with pytest.raises(OSError, match="standard output is closed"):
        ClosedStream().write("answer")
