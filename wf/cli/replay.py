"""`wf replay HISTORY.json...`: would these instances survive a deploy of the current code?

Loads the project's code (no server, no state, no timers) and replays each history with
``wf.replaycheck``; exits 1 when any history diverges, raises or cannot be read, so it
can gate a deploy in CI.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wf.cli.errors import CliError

if TYPE_CHECKING:
    from wf.config import Config
    from wf.replaycheck import ReplayReport

_MARKS = {"clean": "✅", "diverged": "❌", "raised": "💥", "error": "⚠️"}


@click.command(short_help="Replay recorded instance histories against the current code.")
@click.argument(
    "histories",
    metavar="HISTORY.json...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--cwd",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    help="The project folder (default: here).",
)
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Path to wrangler.jsonc|json|toml (default: the one in the project).",
)
@click.option("--env", "-e", "env", metavar="NAME", help="Use env.NAME of the config.")
@click.option(
    "--workflow", "-w", metavar="NAME", help="The workflow of histories that do not name one."
)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def replay(
    histories: tuple[Path, ...],
    directory: Path,
    config: Path | None,
    env: str | None,
    workflow: str | None,
    as_json: bool,
) -> None:
    """Replay each instance history in HISTORY.json... against the project's current code.

    A history is what Cloudflare's API, `wrangler workflows instances describe` or
    `wf instances describe --json` / `wf instances export` print. Cached steps return their
    recorded output, the first step that is not cached stops the replay, and nothing outside
    the history is touched. Exit status 1 when any history diverges or raises.
    """
    # What the user's code prints goes to stderr: stdout holds the reports (one JSON document
    # with --json).
    with contextlib.redirect_stdout(sys.stderr):
        project_config, classes = _load_project(directory, config, env)
        reports = [
            report
            for path in histories
            for report in _replay_file(path, project_config, classes, workflow)
        ]
    failed = [r for r in reports if not r.ok]
    if as_json:
        body = {"ok": not failed, "reports": [r.to_json() for r in reports]}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False, default=str))
    else:
        for report in reports:
            click.echo(f"{_MARKS.get(report.outcome, '?')} {report.message}")
        clean = len(reports) - len(failed)
        total = len(reports)
        click.echo(
            f"{total} histor{'y' if total == 1 else 'ies'}: {clean} clean, {len(failed)} not clean"
        )
    if failed:
        raise SystemExit(1)


def _replay_file(
    path: Path, config: Config, classes: dict[str, type], workflow: str | None
) -> list[ReplayReport]:
    from wf.history import HistoryError, load_histories
    from wf.replaycheck import ERROR, ReplayReport, replay_history

    try:
        found = load_histories(path.read_text(encoding="utf-8"), path.name)
    except (HistoryError, OSError, UnicodeDecodeError) as exc:
        message = str(exc) if isinstance(exc, HistoryError) else f"{path.name}: {exc}"
        return [
            ReplayReport(
                source=path.name,
                workflow=workflow,
                instance=None,
                outcome=ERROR,
                replayed=0,
                message=message,
            )
        ]
    return [replay_history(history, config, classes, workflow=workflow) for history in found]


def _load_project(
    directory: Path, config: Path | None, env: str | None
) -> tuple[Config, dict[str, type]]:
    from wf.project import LoadError, Project
    from wf.server.dev import DevOptions, StartupError, load_dev_config

    try:
        project_config = load_dev_config(DevOptions(directory=directory, config=config, env=env))
    except StartupError as exc:
        raise CliError(str(exc)) from None
    try:
        code = Project(project_config).load()
    except LoadError as exc:
        raise CliError(f"the project's code does not load: {exc}") from None
    return project_config, dict(code.workflow_classes)
