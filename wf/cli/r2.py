"""`wf r2 ...`: the project's local R2 data, as `wrangler r2 ... --local` reaches it.

The commands open the bucket's files directly (with or without `wf dev` running: the index is
SQLite in WAL mode, so both may write), so they need no server. ``BUCKET`` is the bucket name of
the config (as wrangler takes it) or its binding. New objects are stamped with the project's
virtual time, read from the clock `wf dev` persisted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from wf.cli.errors import CliError
from wf.cli.local import LocalProject, project_options
from wf.cli.output import Output

_HTTP_OPTIONS = {
    "content_type": "--content-type",
    "content_disposition": "--content-disposition",
    "content_encoding": "--content-encoding",
    "content_language": "--content-language",
    "cache_control": "--cache-control",
}


@click.group("r2")
def r2() -> None:
    """Read and write the project's local R2 data."""


@r2.group("object")
def object_group() -> None:
    """Put, get, list and delete objects of a local R2 bucket."""


def _split(path: str) -> tuple[str, str]:
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise CliError(f"expected BUCKET/KEY, got {path!r}")
    return bucket, key


@contextmanager
def _open(bucket: str, params: dict[str, Any]) -> Iterator[Any]:
    """The admin handle of ``bucket`` (name or binding), closed afterwards."""
    from wf.platform.r2 import BucketAdmin, BucketStore, JsException, bucket_dir

    project = LocalProject.from_params(params)
    config = project.config
    chosen = None
    for candidate in config.r2_buckets:
        names = (candidate.bucket_name, candidate.preview_bucket_name, candidate.binding)
        if bucket in names:
            chosen = candidate
            break
    if chosen is None:
        have = ", ".join(b.bucket_name or b.binding for b in config.r2_buckets) or "none"
        raise CliError(f"no R2 bucket {bucket!r} in the config (buckets: {have})")
    now = project.now()
    store = BucketStore(bucket_dir(project.root, chosen.local_id))
    try:
        yield BucketAdmin(store, lambda: now)
    except JsException as exc:
        raise CliError(exc.message) from None
    finally:
        store.close()


@object_group.command("put")
@click.argument("path", metavar="BUCKET/KEY")
@click.option("--file", "-f", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pipe", "-p", is_flag=True, help="Read the object from stdin.")
@click.option("--content-type", "-ct", help="Content-Type of the object.")
@click.option("--content-disposition", "-cd")
@click.option("--content-encoding", "-ce")
@click.option("--content-language", "-cl")
@click.option("--cache-control", "-cc")
@project_options
def put(path: str, file: Path | None, pipe: bool, **params: Any) -> None:
    """Store an object from --file F or stdin (--pipe)."""
    bucket, key = _split(path)
    if (file is None) == (not pipe):
        raise CliError("pass exactly one of --file F or --pipe")
    data = file.read_bytes() if file is not None else sys.stdin.buffer.read()
    http = {name: params.pop(name) for name in _HTTP_OPTIONS}
    with _open(bucket, params) as admin:
        admin.put(key, data, **{k: v for k, v in http.items() if v is not None})
    click.echo(f"Upload complete: {bucket}/{key} ({len(data)} bytes)", err=True)


@object_group.command("get")
@click.argument("path", metavar="BUCKET/KEY")
@click.option("--file", "-f", "file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pipe", "-p", is_flag=True, help="Write the object to stdout.")
@project_options
def get(path: str, file: Path | None, pipe: bool, **params: Any) -> None:
    """Fetch an object into --file F, to stdout (--pipe), or into ./KEY's last part."""
    bucket, key = _split(path)
    with _open(bucket, params) as admin:
        data = admin.get(key)
    if data is None:
        raise CliError(f"object {bucket}/{key} not found")
    if pipe:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = file if file is not None else Path(key.rsplit("/", 1)[-1])
    target.write_bytes(data)
    click.echo(f"Download complete: {bucket}/{key} -> {target}", err=True)


@object_group.command("delete")
@click.argument("path", metavar="BUCKET/KEY")
@project_options
def delete(path: str, **params: Any) -> None:
    """Delete an object (deleting an absent one is fine, as in R2)."""
    bucket, key = _split(path)
    with _open(bucket, params) as admin:
        admin.delete(key)
    click.echo(f"Delete complete: {bucket}/{key}", err=True)


@object_group.command("list")
@click.argument("bucket")
@click.option("--prefix", default="", help="Only keys starting with PREFIX.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@project_options
def list_objects(bucket: str, prefix: str, as_json: bool, **params: Any) -> None:
    """List a bucket's objects (key, size, etag, uploaded)."""
    with _open(bucket, params) as admin:
        objects = admin.list(prefix)
    out = Output(as_json)
    out.result(objects)
    rows = [
        {
            "key": o["key"],
            "size": str(o["size"]),
            "etag": o["etag"],
            "uploaded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(o["uploaded"] / 1000)),
        }
        for o in objects
    ]
    if rows:
        out.table(rows)
    else:
        out.line(f"no objects in {bucket}" + (f" under {prefix!r}" if prefix else ""))
