"""The `wf` group: every command under its name, each module imported only when needed."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from wf.cli.main import COMMANDS, main


def test_every_command_is_found_under_its_name() -> None:
    context = click.Context(main)
    assert main.list_commands(context) == sorted(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(context, name)
        assert command is not None and command.name == name


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:")[1].split()
    assert set(COMMANDS) <= set(listed)


def test_dev_imports_no_client_command() -> None:
    code = (
        "import sys\nfrom wf.cli.main import main\n"
        "try:\n    main(['dev', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('wf.cli.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "['wf.cli.dev', 'wf.cli.main']"
