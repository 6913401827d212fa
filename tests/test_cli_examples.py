"""Every ``Example:`` of every command's ``--help`` works as written, outside the checkout.

Each command's example lines run in order, in bash, in an empty temporary directory with
the installed ``backspasm`` first on the PATH: a line may only use files an earlier line
wrote (``backspasm example acute > acute.json``) or the shipped data. The CDS service's
example starts a server and is exercised by tests/test_cli_fhir.py instead; checking the
invariants over the whole boundary cohort (``kb verify`` without ``--no-generated``) runs
in the slow profile.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backspasm.cli import main
from backspasm.reasoner.commands.reference import all_commands, help_text


def example_lines(path: list[str]) -> list[str]:
    lines = help_text(main, path).splitlines()
    start = next((index for index, line in enumerate(lines) if line.strip() == "Example:"), None)
    if start is None:
        return []
    block = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if block:
                break
            continue
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


COMMANDS = [path for path, _command in all_commands(main)]


def test_every_command_has_examples() -> None:
    assert all(example_lines(path) for path in COMMANDS), [path for path in COMMANDS if not example_lines(path)]


@pytest.mark.parametrize("path", [path for path in COMMANDS if path[-1] != "serve"], ids=" ".join)
def test_the_examples_run_as_written(path: list[str], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    environment = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "NO_COLOR": "1",
    }
    for line in example_lines(path):
        if "kb verify" in line and "--no-generated" not in line and not request.config.slow_profile:  # type: ignore[attr-defined]
            continue
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", line],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, line
