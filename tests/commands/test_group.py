"""The command group: a command's module is imported when that command runs, and the library's
errors become messages and exit codes whichever module holds the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from backspasm import cli
from backspasm.reasoner.commands.group import Commands
from tests.conftest import ROOT

COMMAND_MODULES = {f"backspasm.reasoner.commands.{target.split(':')[0]}" for target in cli.COMMANDS.values()}


def command_modules_after(arguments: list[str], tmp_path: Path) -> list[str]:
    """The modules of reasoner/commands/ a fresh process has imported once it has run ``arguments``."""
    script = (
        "import sys, json\n"
        "from backspasm.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(name for name in sys.modules if name.startswith('backspasm.reasoner.commands.'))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        env={"BACKSPASM_CACHE_DIR": str(tmp_path), "PATH": ""},
        check=True,
        cwd=ROOT,
    )
    return list(json.loads(run.stdout.splitlines()[-1]))


def test_answering_one_patient_imports_its_own_command_module_only(tmp_path: Path) -> None:
    imported = command_modules_after(["recommend", "examples/patients/acute.json", "--format", "json"], tmp_path)
    assert set(imported) & COMMAND_MODULES == {"backspasm.reasoner.commands.answer"}


def test_help_lists_every_command_in_the_order_cli_names_them(runner: CliRunner) -> None:
    result = runner.invoke(cli.main, ["--help"], catch_exceptions=False)
    listed = [line.split()[0] for line in result.output.split("Commands:\n")[1].splitlines() if line.strip()]
    assert listed == list(cli.COMMANDS)


def test_an_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli.main, ["recomend", "x.json"])
    assert result.exit_code == 2
    assert "No such command 'recomend'" in result.output


def test_every_named_command_resolves_to_a_click_command() -> None:
    group = cli.main
    assert isinstance(group, Commands)
    context = group.make_context("backspasm", [], resilient_parsing=True)
    for name in cli.COMMANDS:
        command = group.get_command(context, name)
        assert command is not None and command.name == name, name


def test_a_process_that_ran_commands_leaves_its_heap_to_the_exit_once(tmp_path: Path) -> None:
    """The heap is frozen when the process ends, not while commands run: the last collections skip it."""
    script = (
        "import atexit, gc, sys\n"
        "calls = []\n"
        "freeze = gc.freeze\n"
        "gc.freeze = lambda: calls.append(gc.get_count()) or freeze()\n"
        "atexit.register(lambda: print('at exit', len(calls), gc.get_freeze_count() > 0))  # runs last\n"
        "from backspasm.cli import main\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        main(['recommend', 'examples/patients/acute.json', '--format', 'json'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('after the commands', len(calls), gc.get_freeze_count() > 0)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"BACKSPASM_CACHE_DIR": str(tmp_path), "PATH": ""},
        check=True,
        cwd=ROOT,
    )
    assert run.stdout.splitlines()[-2:] == ["after the commands 0 False", "at exit 1 True"]
