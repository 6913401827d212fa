"""The terminal sessions in README.md and docs/ are real: each ``$ backspasm ...`` line of a
```console block, run now, prints exactly what the block shows after it.

``UPDATE_GOLDEN=1`` rewrites the blocks with what the commands print now (then read the diff).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from backspasm import cli
from tests.conftest import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def sessions(document: Path) -> list[tuple[str, str]]:
    """(command, shown output) of every ``$ backspasm`` line in the document's console blocks."""
    found = []
    for block in BLOCK.findall(document.read_text(encoding="utf-8")):
        parts = re.split(r"^\$ (backspasm [^\n]*)\n", block, flags=re.MULTILINE)
        found += list(zip(parts[1::2], parts[2::2], strict=True))
    return found


def run(command: str) -> str:
    arguments = shlex.split(command)[1:]
    result = CliRunner().invoke(cli.main, arguments, catch_exceptions=False, env={"COLUMNS": "200"})
    return result.output


CASES = [(document, command, shown) for document in DOCUMENTS for command, shown in sessions(document)]


@pytest.mark.parametrize(("document", "command", "shown"), CASES, ids=[f"{d.name}: {c}" for d, c, _ in CASES])
def test_a_documented_session_prints_what_the_document_shows(
    document: Path, command: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    actual = run(command)
    if os.environ.get("UPDATE_GOLDEN") == "1" and actual != shown:
        text = document.read_text(encoding="utf-8")
        document.write_text(text.replace(f"$ {command}\n{shown}", f"$ {command}\n{actual}", 1), encoding="utf-8")
        return
    assert actual == shown, f"{document.name}: `{command}` prints something else now; UPDATE_GOLDEN=1 rewrites it"


def test_the_readme_shows_a_real_session_of_the_main_command() -> None:
    assert any(command.startswith("backspasm recommend ") for command, _ in sessions(ROOT / "README.md"))


def test_the_pages_show_explanations_on_the_command_line() -> None:
    for page in ("cli.md", "explanations.md"):
        commands = [command.split()[1] for command, _ in sessions(ROOT / "docs" / page)]
        assert "why" in commands, page
