"""`wf types`: write (or `--check`) the typed stub of the project's env, as `wrangler types`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from wf.cli.errors import CliError

_HINT = """\
Type checkers read the `workers` stubs wf ships from {stubs}
  mypy:    MYPYPATH="$(wf types --stubs-path)" mypy .
  pyright: wf types --stubs typings   (a copy in ./typings, pyright's default stubPath;
           for mypy then: mypy_path = "typings")
Annotate the entrypoint: `env: "Env"`, with `if TYPE_CHECKING: from {module} import Env`."""


@click.command("types")
@click.argument(
    "project",
    required=False,
    default=".",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Path to wrangler.jsonc|json|toml (default: the one in PROJECT).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the stub (default: worker_env.pyi beside the main module).",
)
@click.option("--env", "-e", "env", metavar="NAME", help="Type env.NAME of the config.")
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 when the file is missing or stale."
)
@click.option(
    "--stubs",
    "stubs_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also copy the workers and js stubs into DIR (e.g. typings).",
)
@click.option(
    "--strict-vars/--no-strict-vars",
    default=True,
    help="Type vars with their literal values (default), or only as str, int, bool.",
)
@click.option("--stubs-path", is_flag=True, help="Print the folder of wf's stubs and exit.")
def types_command(
    project: Path,
    config_path: Path | None,
    output: Path | None,
    env: str | None,
    check: bool,
    stubs_dir: Path | None,
    strict_vars: bool,
    stubs_path: bool,
) -> None:
    """Write a typed stub of the project's `env` (bindings, vars, secrets) for mypy/pyright."""
    from wf import typegen
    from wf.config import ConfigError, load_config

    if stubs_path:
        click.echo(str(typegen.STUBS_DIR))
        return
    try:
        config = load_config(config_path if config_path is not None else project, env)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    command = " ".join(
        [
            "wf types",
            *([f"--env {env}"] if env else []),
            *([] if strict_vars else ["--no-strict-vars"]),
        ]
    )
    secrets = typegen.secret_names(config)
    target = output if output is not None else typegen.default_output(config)
    wanted = {target: typegen.render_env(config, secrets, command=command, strict_vars=strict_vars)}
    if stubs_dir is not None:
        for relative, text in typegen.stub_files():
            wanted[stubs_dir / relative] = text

    if check:
        stale = [path for path, text in wanted.items() if _read(path) != text]
        if stale:
            names = ", ".join(_shown(path) for path in stale)
            again = "wf types" + "".join(
                f" {a}"
                for a in _rerun_args(project, config_path, output, env, stubs_dir, strict_vars)
            )
            raise CliError(f"{names}: out of date (or missing): run `{again}`")
        click.echo(f"{_shown(target)} is up to date.")
        return

    for path, text in wanted.items():
        if _read(path) == text:
            continue  # an unchanged file keeps its mtime: watchers and builds stay quiet
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{_shown(path)}: cannot write: {exc.strerror}") from None
    members = typegen.env_members(config, secrets, strict_vars=strict_vars)
    click.echo(f"Wrote {_shown(target)}: Env with {len(members)} name(s).")
    if stubs_dir is not None:
        click.echo(f"Copied the workers and js stubs into {_shown(stubs_dir)}.")
    click.echo(_HINT.format(stubs=typegen.STUBS_DIR, module=target.stem))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _shown(path: Path) -> str:
    """The path relative to the working directory when below it."""
    try:
        return os.path.relpath(path) if path.is_absolute() and _below_cwd(path) else str(path)
    except ValueError:
        return str(path)


def _below_cwd(path: Path) -> bool:
    return path.resolve().is_relative_to(Path.cwd().resolve())


def _rerun_args(
    project: Path,
    config: Path | None,
    output: Path | None,
    env: str | None,
    stubs: Path | None,
    strict: bool,
) -> list[str]:
    args = [] if project == Path(".") else [str(project)]
    if config is not None:
        args += ["-c", str(config)]
    if output is not None:
        args += ["-o", str(output)]
    if env:
        args += ["--env", env]
    if stubs is not None:
        args += ["--stubs", str(stubs)]
    if not strict:
        args.append("--no-strict-vars")
    return args
