"""A batch's progress: no bar off a terminal, messages still on standard error; the bar's total."""

from __future__ import annotations

from pathlib import Path

import pytest

from backspasm.reasoner.render.progress import CohortProgress, count_records


def test_off_a_terminal_there_is_no_bar_and_messages_go_to_standard_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text('{"id": "a"}\n')
    progress = CohortProgress.for_cohort(cohort, answers_to_file=True)
    assert not progress.shown
    progress.say("Error: cohort.jsonl:1: age: missing")
    progress.advance()
    progress.stop()
    assert capsys.readouterr() == ("", "Error: cohort.jsonl:1: age: missing\n")


def test_the_total_counts_non_blank_lines_and_is_unknown_for_standard_input_or_a_folder(tmp_path: Path) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text('{"id": "a"}\n\n  \n{"id": "b"}\n{"id": "c"}')
    assert count_records(cohort) == 3
    assert count_records(Path("-")) is None
    assert count_records(tmp_path) is None
