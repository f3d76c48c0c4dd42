"""Shell completion: `wf completion bash|zsh|fish`, and workflow names and instance ids
completed from the running `wf dev`.

Completion runs `wf` itself (click's ``_WF_COMPLETE`` protocol); the dynamic values come from
the server named by ``--port``/``--host`` on the line being completed, else ``WF_PORT``/
``WF_HOST``, within a short timeout, and a server that does not answer completes nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import click
from click.shell_completion import CompletionItem

from wf.cli.client import EXPLORER, Client

SHELLS = ("bash", "zsh", "fish")
TIMEOUT_S = 0.5


def _server(ctx: click.Context) -> str:
    host = ctx.params.get("host") or os.environ.get("WF_HOST") or "127.0.0.1"
    port = ctx.params.get("port") or os.environ.get("WF_PORT") or 8787
    return Client(str(host), int(port)).base_url


def _get(ctx: click.Context, path: str) -> list[Any]:
    import urllib.request  # only while completing: other commands never pay for it

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(_server(ctx) + EXPLORER + path, timeout=TIMEOUT_S) as response:
            payload = json.loads(response.read())
    except (OSError, ValueError):
        return []  # no server, or not ours: nothing to offer
    result = payload.get("result") if isinstance(payload, dict) else None
    return result if isinstance(result, list) else []


def workflow_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The workflows of the running project whose name starts with what was typed."""
    names = [str(w.get("name", "")) for w in _get(ctx, "/workflows") if isinstance(w, dict)]
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def instance_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Instance ids of the workflow named earlier on the line, newest first, and ``latest``."""
    workflow = ctx.params.get("name") or ctx.params.get("workflow")
    if not workflow:
        return []
    found = _get(ctx, f"/workflows/{quote(str(workflow), safe='')}/instances?per_page=100")
    ids = ["latest", *(str(i.get("id", "")) for i in found if isinstance(i, dict))]
    return [
        CompletionItem(value, help=_status(found, value))
        for value in ids
        if value.startswith(incomplete)
    ]


def _status(found: list[Any], instance_id: str) -> str | None:
    for item in found:
        if isinstance(item, dict) and item.get("id") == instance_id:
            return str(item.get("status") or "") or None
    return None


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(wf completion bash)"            (in ~/.bashrc)
    zsh:   eval "$(wf completion zsh)"             (in ~/.zshrc)
    fish:  wf completion fish > ~/.config/fish/completions/wf.fish
    """
    from click.shell_completion import get_completion_class

    from wf.cli.main import main

    kind = get_completion_class(shell)
    assert kind is not None  # click ships all three
    click.echo(kind(main, {}, "wf", "_WF_COMPLETE").source())
