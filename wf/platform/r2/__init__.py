"""R2 buckets (``r2_buckets[]``): the ``env`` binding, the seeding handle, and their storage.

The binding follows workerd's R2 API as the Python SDK exposes it (JS method names, options as
keyword arguments with JS names, results converted by ``python_from_rpc``). Data lives in a
wf-owned layout under the persist folder, ``<root>/v3/r2/wf-<bucket>/`` (a SQLite index and one
file per body; not shared with ``wrangler dev``), or in memory when the platform has no root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._admin import BucketAdmin
from ._bucket import R2Bucket, R2MultipartUpload
from ._errors import JsException
from ._objects import ListedObject, R2Checksums, R2Object, R2ObjectBody
from ._store import BucketStore, bucket_dir

if TYPE_CHECKING:
    from wf.config import Config, R2Config
    from wf.platform import Platform

__all__ = [
    "BucketAdmin",
    "BucketStore",
    "JsException",
    "ListedObject",
    "R2Bucket",
    "R2Checksums",
    "R2MultipartUpload",
    "R2Object",
    "R2ObjectBody",
    "admin",
    "bindings",
    "bucket_dir",
    "open_store",
]


def open_store(platform: Platform, bucket: R2Config) -> BucketStore:
    """The one store of ``bucket`` on this platform (kept across reloads)."""

    def make() -> BucketStore:
        root = platform.root
        return BucketStore(None if root is None else bucket_dir(root, bucket.local_id))

    store: BucketStore = platform.resource("r2", bucket.local_id, make)
    return store


def bindings(platform: Platform, config: Config) -> dict[str, Any]:
    """``env`` entries for every R2 binding of the config."""
    return {
        bucket.binding: R2Bucket(open_store(platform, bucket), platform.clock, bucket.local_id)
        for bucket in config.r2_buckets
    }


def admin(platform: Platform, binding: str) -> BucketAdmin:
    """The seeding and inspection handle of one R2 binding."""
    assert platform.config is not None
    for bucket in platform.config.r2_buckets:
        if bucket.binding == binding:
            return BucketAdmin(open_store(platform, bucket), platform.clock.now)
    have = ", ".join(b.binding for b in platform.config.r2_buckets) or "none"
    raise KeyError(f"no R2 binding {binding!r} (have: {have})")
