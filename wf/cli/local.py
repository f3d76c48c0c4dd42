"""What the data commands (`wf d1|kv|r2`) share: the project flags wrangler takes, the project
they name, and its virtual now. They open the files directly, with or without `wf dev` running."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from wf.cli.errors import CliError

if TYPE_CHECKING:
    from wf.config import Config
    from wf.server.dev import DevOptions

F = TypeVar("F", bound=Callable[..., Any])


def project_options(fn: F) -> F:
    """--cwd, --config/-c, --env/-e, --persist-to, --local (and a refused --remote)."""
    for option in reversed(
        [
            click.option(
                "--cwd",
                "directory",
                type=click.Path(exists=True, file_okay=False, path_type=Path),
                default=".",
                help="The project folder (default: here).",
            ),
            click.option(
                "--config",
                "-c",
                "config",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Path to wrangler.jsonc|json|toml (default: the one in the project).",
            ),
            click.option("--env", "-e", "env", metavar="NAME", help="Use env.NAME of the config."),
            click.option(
                "--persist-to",
                type=click.Path(file_okay=False, path_type=Path),
                help="The folder `wf dev --persist-to` uses (default: PROJECT/.wrangler/state).",
            ),
            click.option(
                "--local", is_flag=True, help="Accepted for wrangler parity: always local."
            ),
            click.option("--remote", is_flag=True, hidden=True),
        ]
    ):
        fn = option(fn)
    return fn


@dataclass(frozen=True)
class LocalProject:
    """The project a data command names, with its config loaded."""

    options: DevOptions
    config: Config

    @classmethod
    def load(
        cls,
        directory: Path,
        config: Path | None,
        env: str | None,
        persist_to: Path | None,
        remote: bool = False,
    ) -> LocalProject:
        from wf.server.dev import DevOptions, StartupError, load_dev_config

        if remote:
            raise CliError("wf works on local data only: drop --remote")
        options = DevOptions(directory=directory, config=config, env=env, persist_to=persist_to)
        try:
            return cls(options, load_dev_config(options))
        except StartupError as exc:
            raise CliError(str(exc)) from None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> LocalProject:
        """From a command's keyword arguments, taking the project flags out of them."""
        params.pop("local")
        return cls.load(
            params.pop("directory"),
            params.pop("config"),
            params.pop("env"),
            params.pop("persist_to"),
            params.pop("remote"),
        )

    @property
    def root(self) -> Path:
        """Where the binding data lives (as `wf dev` and `wrangler dev` keep it)."""
        from wf.server.dev import bindings_root

        return bindings_root(self.options, self.config)

    def now(self) -> float:
        """The project's virtual now in epoch ms, from the clock `wf dev` saved (else the wall)."""
        from wf.server.dev import state_path

        return virtual_now(state_path(self.options, self.config))


def virtual_now(state: Path) -> float:
    """Virtual now in epoch ms from the clock saved in ``state`` (else the wall clock)."""
    wall = time.time() * 1000.0
    if not state.exists():
        return wall
    from wf.engine import saved_clock
    from wf.store import Store

    store = Store(state)
    try:
        saved = saved_clock(store)
    finally:
        store.close()
    if not saved or "now" not in saved:
        return wall
    now = float(saved["now"])
    if saved.get("mode") == "manual":
        return now
    rate = float(saved.get("scale", 1.0)) if saved.get("mode") == "scale" else 1.0
    return max(now, now + (wall - float(saved.get("wall", now))) * rate)
