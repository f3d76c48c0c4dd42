"""`wf kv ...`: the project's local KV data, as `wrangler kv ... --local` reaches it.

The commands open the namespace's file directly (with or without `wf dev` running: SQLite in
WAL lets both write), so they need no server. Expiry compares against the project's virtual
time, read from the clock `wf dev` persisted in its state file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from wf.cli.errors import CliError
from wf.cli.local import LocalProject, project_options
from wf.cli.options import parse_json_option


@click.group("kv")
def kv() -> None:
    """Read and write the project's local KV data."""


@kv.group("key")
def key_group() -> None:
    """Put, get, list and delete keys of a local KV namespace."""


def _namespace_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--binding/--namespace-id, then the project flags wrangler takes (--cwd, -c, -e...)."""
    options = [
        click.option("--binding", metavar="NAME", help="The KV binding in the config."),
        click.option("--namespace-id", metavar="ID", help="The namespace id in the config."),
        click.option("--preview", is_flag=True, hidden=True),
    ]
    for option in reversed(options):
        fn = option(fn)
    return project_options(fn)


@contextmanager
def _open(params: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The KV admin handle of the chosen namespace and its id; closed afterwards."""
    from wf.platform import kv as kv_binding

    params.pop("preview")
    project = LocalProject.from_params(params)
    config = project.config
    chosen = _choose(config.kv_namespaces, params.pop("binding"), params.pop("namespace_id"))
    now = project.now()
    path = kv_binding.namespace_path(project.root, chosen.local_id)
    namespace = kv_binding.Namespace(path)
    try:
        yield kv_binding.KVAdmin(namespace, lambda: now), chosen.local_id
    except kv_binding.JsException as exc:
        raise CliError(exc.message) from None
    finally:
        namespace.close()


def _choose(namespaces: Any, binding: str | None, namespace_id: str | None) -> Any:
    if binding is not None and namespace_id is not None:
        raise CliError("pass either --binding or --namespace-id, not both")
    for kv_config in namespaces:
        if binding is not None and kv_config.binding == binding:
            return kv_config
        if namespace_id is not None and namespace_id in (kv_config.id, kv_config.preview_id):
            return kv_config
    names = ", ".join(n.binding for n in namespaces) or "none"
    if binding is None and namespace_id is None:
        if len(namespaces) == 1:
            return namespaces[0]
        raise CliError(f"pass --binding NAME or --namespace-id ID (KV bindings: {names})")
    wanted = f"binding {binding!r}" if binding is not None else f"namespace id {namespace_id!r}"
    raise CliError(f"no KV namespace with {wanted} in the config (KV bindings: {names})")


@key_group.command("put")
@click.argument("key")
@click.argument("value", required=False)
@click.option(
    "--path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the value from this file.",
)
@click.option("--ttl", type=int, help="Seconds until the key expires (at least 60).")
@click.option("--expiration", type=int, help="Epoch seconds at which the key expires.")
@click.option("--metadata", help="JSON metadata for the key (at most 1024 bytes).")
@_namespace_options
def put(
    key: str,
    value: str | None,
    path: Path | None,
    ttl: int | None,
    expiration: int | None,
    metadata: str | None,
    **params: Any,
) -> None:
    """Write VALUE (or the file at --path) to KEY."""
    if (value is None) == (path is None):
        raise CliError("pass exactly one of VALUE or --path")
    data: str | bytes = path.read_bytes() if path is not None else value  # type: ignore[assignment]
    meta = None if metadata is None else parse_json_option(metadata, "metadata")
    with _open(params) as (handle, namespace_id):
        handle.put(key, data, expiration=expiration, expiration_ttl=ttl, metadata=meta)
        shown = f"the contents of {path}" if path is not None else f'the value "{value}"'
        click.echo(f'Writing {shown} to key "{key}" on namespace {namespace_id}.')


@key_group.command("get")
@click.argument("key")
@click.option("--text", is_flag=True, help="Decode the value as UTF-8 text.")
@_namespace_options
def get(key: str, text: bool, **params: Any) -> None:
    """Print the value of KEY ("Value not found" when there is none)."""
    with _open(params) as (handle, _):
        entry = handle.entry(key)
    if entry is None:
        click.echo("Value not found")
        return
    if text:
        click.echo(entry.value.decode("utf-8", "replace"))
    else:
        sys.stdout.buffer.write(entry.value)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()


@key_group.command("list")
@click.option("--prefix", default="", help="Only keys starting with this prefix.")
@_namespace_options
def list_command(prefix: str, **params: Any) -> None:
    """Print the namespace's live keys as JSON: name, expiration, metadata."""
    from wf.platform.kv import parse_json

    with _open(params) as (handle, _):
        keys = []
        for entry in handle.entries(prefix):
            item: dict[str, Any] = {"name": entry.key}
            if entry.expiration is not None:
                item["expiration"] = entry.expiration
            if entry.metadata is not None:
                item["metadata"] = parse_json(entry.metadata)
            keys.append(item)
    click.echo(json.dumps(keys, indent=2, ensure_ascii=False))


@key_group.command("delete")
@click.argument("key")
@_namespace_options
def delete(key: str, **params: Any) -> None:
    """Remove KEY."""
    with _open(params) as (handle, namespace_id):
        handle.delete(key)
        click.echo(f'Deleting the key "{key}" on namespace {namespace_id}.')
