"""``env.BUCKET``: the R2 binding, with the JS method names and options of production."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wf.runtime.workers import JsDict

from . import _options as opts
from ._errors import bad_digest, not_of_type, r2_error, range_error, type_error
from ._objects import HASHES, ListedObject, R2Object, R2ObjectBody
from ._store import BucketStore, ObjectRow, PartRow, new_id

if TYPE_CHECKING:
    from wf.clock import Clock

MAX_KEY_BYTES = 1024
MAX_OBJECT_SIZE = 5 * 1024**3 - 5 * 1024**2  # 5 GiB - 5 MiB for a single put or part
MAX_CUSTOM_METADATA = 2048
MAX_LIST = 1000
LIST_WITH_METADATA = 100  # R2 may return fewer with metadata: never more than this locally
MIN_PART_SIZE = 5 * 1024**2
MAX_PART_NUMBER = 10_000
_INCLUDES = ("httpMetadata", "customMetadata")


def check_key(method: str, key: str) -> None:
    if not key or len(key.encode("utf-8", errors="surrogatepass")) > MAX_KEY_BYTES:
        raise r2_error(method, "InvalidObjectName")


def check_custom_size(method: str, custom: Mapping[str, str]) -> None:
    # R2 counts 2 bytes per character when any character is above U+00FF
    def length(text: str) -> int:
        return len(text) * 2 if any(ord(c) >= 256 for c in text) else len(text)

    if sum(length(k) + length(v) for k, v in custom.items()) > MAX_CUSTOM_METADATA:
        raise r2_error(method, "MetadataTooLarge")


class R2Bucket:
    """An R2 bucket: ``head``, ``get``, ``put``, ``delete``, ``list``, multipart uploads."""

    def __init__(self, store: BucketStore, clock: Clock, name: str) -> None:
        self._store = store
        self._clock = clock
        self._name = name

    def __repr__(self) -> str:
        return f"<R2Bucket {self._name}>"

    def _now(self) -> int:
        return int(self._clock.now())

    async def head(self, key: Any) -> R2Object | None:
        """The object's metadata, or None."""
        name = opts.js_string(key)
        check_key("head", name)
        row = self._store.get(name)
        return None if row is None else R2Object(row, range_=(0, row.size))

    async def get(self, key: Any, *args: Any, **kwargs: Any) -> R2ObjectBody | R2Object | None:
        """The object with its body; without body if ``onlyIf`` fails; None if absent."""
        name = opts.js_string(key)
        options = opts.options(args, kwargs) or {}
        if not opts.is_struct(options):
            raise not_of_type("get", 2, "R2GetOptions")
        condition = opts.conditional("get", options.get("onlyIf"), 2)
        wanted = opts.range_request(options.get("range"))
        check_key("get", name)
        row = self._store.get(name)
        if row is None:
            return None
        if condition is not None and not condition.holds(row.etag, row.uploaded):
            return R2Object(row, range_=(0, row.size))
        span = opts.resolve_range(wanted, row.size)
        if span is False:
            raise r2_error("get", "InvalidRange")
        offset, length = span if isinstance(span, tuple) else (0, row.size)
        return R2ObjectBody(row, self._store.read(row, offset, length), (offset, length))

    async def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> R2Object | None:
        """Store ``value``; None (nothing written) when ``onlyIf`` fails."""
        name = opts.js_string(key)
        options = opts.options(args, kwargs) or {}
        if not opts.is_struct(options):
            raise not_of_type("put", 3, "R2PutOptions")
        data = opts.body_bytes("put", value)
        condition = opts.conditional("put", options.get("onlyIf"), 3)
        http = opts.http_metadata("put", options.get("httpMetadata"), 3)
        custom = opts.custom_metadata("put", options.get("customMetadata"), 3)
        expected = opts.expected_checksum(options)
        check_key("put", name)
        if len(data) > MAX_OBJECT_SIZE:
            raise r2_error("put", "EntityTooLarge")
        check_custom_size("put", custom)
        md5 = hashlib.md5(data).digest()
        checksums = {"md5": md5.hex()}
        if expected.algorithm is not None:
            actual = hashlib.new(expected.algorithm, data).digest()
            if actual != expected.digest:
                label = opts.HASH_NAMES[expected.algorithm]
                raise bad_digest("put", label, expected.digest, actual)
            checksums[expected.algorithm] = actual.hex()
        row = ObjectRow(
            key=name,
            blob=self._store.write_blob(data),
            version=new_id(),
            size=len(data),
            etag=md5.hex(),
            uploaded=self._now(),
            checksums=checksums,
            http_metadata=http,
            custom_metadata=custom,
        )
        check = None
        if condition is not None:
            check = lambda previous: condition.holds(  # noqa: E731
                None if previous is None else previous.etag,
                None if previous is None else previous.uploaded,
            )
        if not self._store.put(row, check):
            return None
        return R2Object(row)

    async def delete(self, keys: Any) -> None:
        """Delete one key or a list of keys (absent keys are fine)."""
        names = [opts.js_string(k) for k in (keys if isinstance(keys, list) else [keys])]
        for name in names:
            check_key("delete", name)
        self._store.delete(names)

    async def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """``{objects, truncated, cursor?, delimitedPrefixes}`` in key order."""
        options = opts.options(args, kwargs) or {}
        if not opts.is_struct(options):
            raise not_of_type("list", 1, "R2ListOptions")
        strings: dict[str, str | None] = {}
        for field in ("prefix", "cursor", "delimiter", "startAfter"):
            value = options.get(field)
            if value is not None and not isinstance(value, str):
                raise not_of_type("list", 1, "R2ListOptions")
            strings[field] = value
        include = options.get("include") or []
        if not isinstance(include, list) or not all(isinstance(i, str) for i in include):
            raise not_of_type("list", 1, "R2ListOptions")
        for item in include:
            if item not in _INCLUDES:
                raise range_error(f"Unsupported include value {item}")
        limit = options.get("limit")
        if limit is None:
            limit = MAX_LIST
        elif isinstance(limit, bool) or not isinstance(limit, int | float):
            raise not_of_type("list", 1, "R2ListOptions")
        limit = int(limit)
        if not 1 <= limit <= MAX_LIST:
            raise r2_error("list", "InvalidMaxKeys")
        if include:
            limit = min(limit, LIST_WITH_METADATA)
        start_after = strings["startAfter"]
        if strings["cursor"]:
            after = _decode_cursor(strings["cursor"])
            if start_after is None or after > start_after:
                start_after = after
        rows, prefixes, last = self._store.list_page(
            strings["prefix"] or "", start_after, limit, strings["delimiter"] or None
        )
        http, custom = "httpMetadata" in include, "customMetadata" in include
        result: dict[str, Any] = {
            "objects": [ListedObject(row, http=http, custom=custom) for row in rows],
            "truncated": last is not None,
            "delimitedPrefixes": prefixes,
        }
        if last is not None:
            encoded = last.encode("utf-8", "surrogatepass")
            result["cursor"] = base64.urlsafe_b64encode(encoded).decode()
        return JsDict(result)

    async def createMultipartUpload(self, key: Any, *args: Any, **kwargs: Any) -> R2MultipartUpload:
        """Start a multipart upload: parts of at least 5 MiB (but the last), up to 10,000."""
        name = opts.js_string(key)
        options = opts.options(args, kwargs) or {}
        if not opts.is_struct(options):
            raise not_of_type("createMultipartUpload", 2, "R2MultipartOptions")
        http = opts.http_metadata("createMultipartUpload", options.get("httpMetadata"), 2)
        custom = opts.custom_metadata("createMultipartUpload", options.get("customMetadata"), 2)
        check_key("createMultipartUpload", name)
        check_custom_size("createMultipartUpload", custom)
        upload_id = self._store.create_upload(name, http, custom)
        return R2MultipartUpload(self, name, upload_id)

    def resumeMultipartUpload(self, key: Any, upload_id: Any) -> R2MultipartUpload:
        """A handle on an upload begun earlier (not checked until used, as in production)."""
        return R2MultipartUpload(self, opts.js_string(key), opts.js_string(upload_id))


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8", "surrogatepass")
    except (binascii.Error, UnicodeError, ValueError):
        raise r2_error("list", "InvalidArgument") from None


class R2MultipartUpload:
    """``key``, ``uploadId``, ``uploadPart(n, value)``, ``complete(parts)``, ``abort()``."""

    def __init__(self, bucket: R2Bucket, key: str, upload_id: str) -> None:
        self._bucket = bucket
        self._store = bucket._store
        self.key = key
        self.uploadId = upload_id

    def __repr__(self) -> str:
        return f"<R2MultipartUpload {self.key!r} {self.uploadId[:12]}...>"

    async def uploadPart(self, part_number: Any, value: Any) -> JsDict:
        """Upload one part; returns ``{partNumber, etag}`` for ``complete``."""
        number = _part_number(part_number)
        data = opts.body_bytes("uploadPart", value, 2, "R2MultipartUpload")
        check_key("uploadPart", self.key)
        if len(data) > MAX_OBJECT_SIZE:
            raise r2_error("uploadPart", "EntityTooLarge")
        etag = new_id(16)
        part = PartRow(
            number, self._store.write_blob(data), len(data), etag, hashlib.md5(data).hexdigest()
        )
        self._store.put_part(self.key, self.uploadId, part)
        return JsDict({"partNumber": number, "etag": etag})

    async def abort(self) -> None:
        """Drop the upload's parts; aborting twice, or after completing, does nothing."""
        check_key("abortMultipartUpload", self.key)
        if self._store.upload_state(self.key, self.uploadId) is None:
            raise r2_error("abortMultipartUpload", "InternalError")
        self._store.abort_upload(self.uploadId)

    async def complete(self, parts: Any) -> R2Object:
        """Assemble ``parts`` (``[{partNumber, etag}]``) into the object."""
        method = "completeMultipartUpload"
        if not isinstance(parts, list):
            raise not_of_type("complete", 1, "Array", "R2MultipartUpload")
        selected: list[tuple[int, str]] = []
        for part in parts:
            if not opts.is_struct(part) or "partNumber" not in part or "etag" not in part:
                raise not_of_type("complete", 1, "Array", "R2MultipartUpload")
            selected.append((_part_number(part["partNumber"]), opts.js_string(part["etag"])))
        check_key(method, self.key)
        state = self._store.upload_state(self.key, self.uploadId)
        if state is None:
            raise r2_error(method, "InternalError")
        if state[0] != 0:
            raise r2_error(method, "NoSuchUpload")
        if len({n for n, _ in selected}) != len(selected):
            raise r2_error(method, "InternalError")
        uploaded = self._store.parts(self.uploadId)
        chosen: list[PartRow] = []
        for number, etag in selected:
            found = uploaded.get(number)
            if found is None or found.etag != etag:
                raise r2_error(method, "InvalidPart")
            chosen.append(found)
        for part in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise r2_error(method, "EntityTooSmall")
        chosen.sort(key=lambda p: p.part_number)
        if len(chosen) > 1:
            # all parts but the last the same size, the last no larger (R2's rule)
            size = chosen[0].size
            if any(p.size != size for p in chosen[:-1]) or chosen[-1].size > size:
                raise r2_error(method, "BadUpload")
        digest = hashlib.md5(b"".join(bytes.fromhex(p.md5) for p in chosen)).hexdigest()
        row = ObjectRow(
            key=self.key,
            blob=None,
            version=new_id(),
            size=sum(p.size for p in chosen),
            etag=f"{digest}-{len(chosen)}",
            uploaded=self._bucket._now(),
            checksums={},
            http_metadata=state[1],
            custom_metadata=state[2],
        )
        self._store.complete_upload(self.uploadId, row, [p.part_number for p in chosen])
        return R2Object(row)


def _part_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_part(opts.js_string(value))
    number = int(value)
    if not 1 <= number <= MAX_PART_NUMBER:
        raise _bad_part(str(number))
    return number


def _bad_part(shown: str) -> Exception:
    return type_error(
        f"Part number must be between 1 and 10000 (inclusive). Actual value was: {shown}"
    )


__all__ = ["HASHES", "R2Bucket", "R2MultipartUpload"]
