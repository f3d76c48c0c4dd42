"""`wf dev`: serve the Worker and its Workflows locally, durable and hot-reloading."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("dev")
@click.argument(
    "directory",
    required=False,
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Path to wrangler.jsonc|json|toml (default: the one in DIRECTORY). Repeat it to run "
    "several Workers: the first serves HTTP, the others are reached through its bindings.",
)
@click.option("--env", "-e", "env", metavar="NAME", help="Use the config's env.NAME section.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--ip", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--persist-to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for state.sqlite3 (default: DIRECTORY/.wf).",
)
@click.option(
    "--time",
    "time_mode",
    type=click.Choice(["real", "manual", "auto"]),
    help="Virtual time mode (default: the persisted one, else real).",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    metavar="N",
    help="N virtual seconds per real second (implies scale mode).",
)
@click.option("--no-reload", is_flag=True, help="Do not reload on file changes.")
@click.option(
    "--debug",
    is_flag=True,
    help="For a debugger: user code may hold the event loop past limits.cpu_ms.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "log", "info", "warn", "error", "none"]),
    default="log",
    show_default=True,
    help="Least severe console line shown (as wrangler: log is print(), info is events).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors (--log-level warn).")
@click.option(
    "--log-workflow",
    "log_workflows",
    multiple=True,
    metavar="NAME",
    help="Only the lines of workflow NAME's instances (repeatable).",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let pages at ORIGIN (e.g. http://localhost:3000) call /cdn-cgi/; repeatable.",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Start from empty state: delete every instance and reset virtual time (asks first).",
)
@click.option("--yes", "-y", is_flag=True, help="With --fresh: do not ask for confirmation.")
# Listener limits: rarely worth changing, so out of --help.
@click.option("--backlog", type=click.IntRange(1), default=2048, hidden=True)
@click.option(
    "--headers-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, hidden=True
)
@click.option(
    "--body-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, hidden=True
)
def dev(
    directory: Path,
    config: tuple[Path, ...],
    env: str | None,
    port: int,
    ip: str,
    persist_to: Path | None,
    time_mode: str | None,
    time_scale: float | None,
    no_reload: bool,
    debug: bool,
    log_level: str,
    quiet: bool,
    log_workflows: tuple[str, ...],
    allow_origins: tuple[str, ...],
    fresh: bool,
    yes: bool,
    backlog: int,
    headers_timeout: float,
    body_timeout: float,
) -> None:
    """Serve the Worker in DIRECTORY (default: here) with its Workflows.

    Prints "Ready on http://IP:PORT" once it answers, and runs until Ctrl-C.
    """
    from wf.server.preload import import_server

    import_server()
    import wf.testing.http  # noqa: F401  (registers the harness's routes with the server)
    from wf.server.dev import DevOptions, run
    from wf.server.listener import ListenerOptions

    first = config[0] if config else None
    if fresh and not yes:
        _confirm_fresh(directory, first, env, persist_to)

    options = DevOptions(
        directory=directory,
        config=first,
        others=config[1:],
        env=env,
        port=port,
        ip=ip,
        persist_to=persist_to,
        time=time_mode,
        time_scale=time_scale,
        reload=not no_reload,
        debug=debug,
        log_level="warn" if quiet else log_level,
        log_workflows=log_workflows,
        allow_origins=allow_origins,
        fresh=fresh,
        listener=ListenerOptions(
            backlog=backlog, headers_timeout=headers_timeout, body_timeout=body_timeout
        ),
    )
    sys.exit(run(options))


def _confirm_fresh(
    directory: Path, config: Path | None, env: str | None, persist_to: Path | None
) -> None:
    """Ask before --fresh deletes the state; without a terminal, ask for --yes instead."""
    from wf.server.dev import DevOptions, StartupError, load_dev_config, state_path

    options = DevOptions(directory=directory, config=config, env=env, persist_to=persist_to)
    try:
        path = state_path(options, load_dev_config(options))
    except StartupError as exc:
        raise click.ClickException(str(exc)) from None
    if not path.exists():
        return
    question = (
        f"Delete the state in {path} (every instance with its steps and events, and virtual "
        "time)? D1, KV and R2 data are kept."
    )
    if not sys.stdin.isatty():
        raise click.ClickException(f"{question} Give --yes to confirm (stdin is not a terminal)")
    if not click.confirm(question, default=False):
        raise click.ClickException("Nothing deleted: wf dev did not start")
