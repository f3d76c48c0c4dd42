"""The arguments of R2 calls, checked and converted as workerd does before calling R2.

Python code passes options as keyword arguments with JS names (``onlyIf=``, ``httpMetadata=``)
or as one dict; Pyodide sends either as the JS options object, where unknown names are ignored.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wf.runtime.js._coerce import js_string as js_string
from wf.runtime.js._streams import JsBuffer, ReadableStream
from wf.runtime.workers import Headers
from wf.runtime.workers._rpc import unwrap

from ._errors import JsException, not_of_type, range_error, type_error
from ._jsvalues import to_ms

HASH_NAMES = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
HASH_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}
HTTP_FIELDS = (
    "contentType",
    "contentLanguage",
    "contentDisposition",
    "contentEncoding",
    "cacheControl",
)
_HTTP_HEADERS = (
    "content-type",
    "content-language",
    "content-disposition",
    "content-encoding",
    "cache-control",
)
_HEX = re.compile(r"^[0-9a-fA-F]*$")


def options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The JS options argument: the first extra positional, else the keyword arguments."""
    if args:
        return args[0]
    return kwargs or None


def body_bytes(method: str, value: Any, index: int = 2, owner: str = "R2Bucket") -> bytes:
    """The bytes of a put/uploadPart value (str, bytes, memoryview, a body stream, or None)."""
    if isinstance(value, bytearray | tuple):  # the SDK refuses these before calling JS
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    value = unwrap(value)  # the SDK sends a wrapped body stream as the stream itself
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    if isinstance(value, bytes):
        return value
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, ReadableStream):
        return value.take()
    if isinstance(value, JsBuffer):
        return value.to_bytes()
    raise not_of_type(
        method, index, "ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob", owner
    )


def is_struct(value: Any) -> bool:
    return isinstance(value, Mapping) and not isinstance(value, Headers)


# -- conditionals (onlyIf)

Etag = tuple[str, str]  # ("strong" | "weak" | "wildcard", value)


@dataclass
class Conditional:
    etag_matches: list[Etag] | None = None
    etag_does_not_match: list[Etag] | None = None
    uploaded_before: int | None = None
    uploaded_after: int | None = None
    seconds_granularity: bool = False

    def holds(self, etag: str | None, uploaded: int | None) -> bool:
        """Whether an object with ``etag``/``uploaded`` (None: absent) passes, as R2 decides."""
        if etag is None or uploaded is None:
            return self.etag_matches is None and self.uploaded_after is None

        def cut(ms: int) -> int:
            return ms // 1000 * 1000 if self.seconds_granularity else ms

        if_match = self.etag_matches is None or _includes(self.etag_matches, etag, weak=False)
        if_none_match = self.etag_does_not_match is None or not _includes(
            self.etag_does_not_match, etag, weak=True
        )
        modified = cut(uploaded)
        since = (
            self.uploaded_after is None
            or cut(self.uploaded_after) < modified
            or (self.etag_does_not_match is not None and if_none_match)
        )
        unmodified = (
            self.uploaded_before is None
            or modified < cut(self.uploaded_before)
            or (self.etag_matches is not None and if_match)
        )
        return if_match and if_none_match and since and unmodified


def _includes(conditions: list[Etag], etag: str, *, weak: bool) -> bool:
    for kind, value in conditions:
        if kind == "wildcard":
            return True
        if value == etag and (kind == "strong" or weak):
            return True
    return False


def conditional(method: str, value: Any, index: int) -> Conditional | None:
    """``onlyIf``: an R2Conditional dict, or Headers (If-Match, If-None-Match...)."""
    if value is None:
        return None
    if isinstance(value, Headers):
        return _conditional_from_headers(value)
    if not is_struct(value):
        raise not_of_type(method, index, "R2Conditional or Headers")
    cond = Conditional(seconds_granularity=bool(value.get("secondsGranularity", False)))
    for name in ("etagMatches", "etagDoesNotMatch"):
        etag = value.get(name)
        if etag is None:
            continue
        if not isinstance(etag, str):
            raise not_of_type(method, index, "R2Conditional or Headers")
        if etag.startswith('"') and etag.endswith('"'):
            raise type_error(f"Conditional ETag should not be wrapped in quotes ({etag}).")
        parsed: list[Etag] = [("wildcard", "")] if etag == "*" else [("strong", etag)]
        if name == "etagMatches":
            cond.etag_matches = parsed
        else:
            cond.etag_does_not_match = parsed
    for name in ("uploadedBefore", "uploadedAfter"):
        when = value.get(name)
        if when is None:
            continue
        if not isinstance(when, datetime.datetime):
            raise not_of_type(method, index, "R2Conditional or Headers")
        if name == "uploadedBefore":
            cond.uploaded_before = to_ms(when)
        else:
            cond.uploaded_after = to_ms(when)
    return cond


def _conditional_from_headers(headers: Headers) -> Conditional:
    cond = Conditional(seconds_granularity=True)  # HTTP dates have whole seconds
    if (match := headers.get("if-match")) is not None:
        cond.etag_matches = parse_etag_header(match)
    if (none_match := headers.get("if-none-match")) is not None:
        cond.etag_does_not_match = parse_etag_header(none_match)
    if (since := headers.get("if-modified-since")) is not None:
        cond.uploaded_after = _http_date(since)
    if (unmodified := headers.get("if-unmodified-since")) is not None:
        cond.uploaded_before = _http_date(unmodified)
    return cond


def _http_date(text: str) -> int:
    try:
        return to_ms(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError):
        raise range_error("Invalid time value") from None


def parse_etag_header(header: str) -> list[Etag]:
    """An If-Match / If-None-Match list: ``"a", W/"b"`` or ``*``, with workerd's errors."""
    found: list[Etag] = []
    rest = header
    need_comma = False
    while True:
        positions = {c: rest.find(c) for c in '*"W,'}
        pos = {c: (p if p >= 0 else len(rest) + 1) for c, p in positions.items()}
        if positions['"'] < 0 and positions["*"] < 0:
            return found
        if pos[","] < min(pos["*"], pos['"'], pos["W"]):
            rest, need_comma = rest[pos[","] + 1 :], False
            continue
        if need_comma:
            first = min(pos["*"], pos['"'], pos["W"])
            if first == pos["*"]:
                why = "Encountered a wildcard character '*' instead."
            elif first == pos['"']:
                why = (
                    "Encountered a double quote character '\"' instead. This would otherwise "
                    "indicate the start of a new strong etag."
                )
            else:
                why = (
                    "Encountered a weak quotation character 'W' instead. This would otherwise "
                    "indicate the start of a new weak etag."
                )
            raise JsException("Error", f"Comma was expected to separate etags. {why}")
        if pos["*"] < pos['"']:
            return [("wildcard", "")]
        start = pos['"'] + 1
        end = rest.find('"', start)
        if end < 0:
            raise JsException("Error", "Unclosed double quote for Etag")
        value = rest[start:end]
        if pos["W"] < pos['"']:
            w = pos["W"]
            if not (len(rest) > w + 2 and rest[w + 1] == "/" and w + 2 == pos['"']):
                raise JsException(
                    "Error", "Weak etags must start with W/ and their value must be quoted"
                )
            found.append(("weak", value))
        else:
            found.append(("strong", value))
        rest, need_comma = rest[end + 1 :], True


# -- ranges


@dataclass
class RangeRequest:
    offset: int | None = None
    length: int | None = None
    suffix: int | None = None
    header: str | None = None


def range_request(value: Any) -> RangeRequest | None:
    """``range``: ``{offset, length}``, ``{suffix}``, or Headers with a Range header."""
    if value is None:
        return None
    if isinstance(value, Headers):
        header = value.get("range")
        return None if header is None else RangeRequest(header=header)
    if not is_struct(value):
        raise not_of_type("get", 2, "R2Range or Headers")
    request = RangeRequest()
    offset, length, suffix = value.get("offset"), value.get("length"), value.get("suffix")
    if offset is not None:
        number = _number(offset)
        if number < 0:
            raise _bad_number(
                "Invalid range", "Starting offset", number, "greater than or equal to 0."
            )
        if not float(number).is_integer():
            raise _bad_number(
                "Invalid range", "Starting offset", number, "an integer, not floating point."
            )
        request.offset = int(number)
    if length is not None:
        number = _number(length)
        if number < 0:
            raise _bad_number("Invalid range", "Length", number, "greater than or equal to 0.")
        if not float(number).is_integer():
            raise _bad_number("Invalid range", "Length", number, "an integer, not floating point.")
        request.length = int(number)
    if suffix is not None:
        if offset is not None:
            raise type_error("Suffix is incompatible with offset.")
        if length is not None:
            raise type_error("Suffix is incompatible with length.")
        number = _number(suffix)
        if number < 0:
            raise _bad_number("Invalid suffix", "Suffix", number, "greater than or equal to 0.")
        if not float(number).is_integer():
            raise _bad_number("Invalid range", "Suffix", number, "an integer, not floating point.")
        request.suffix = int(number)
    return request


def _bad_number(intro: str, what: str, number: float, rule: str) -> Exception:
    return range_error(f"{intro}. {what} ({_fmt(number)}) must be {rule}")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise not_of_type("get", 2, "R2Range or Headers")
    return value


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def resolve_range(request: RangeRequest | None, size: int) -> tuple[int, int] | bool | None:
    """(offset, length) to read; None: the whole object; False: not satisfiable."""
    if request is None:
        return None
    if request.header is not None:
        return _header_range(request.header, size)
    offset, length = request.offset, request.length
    if request.suffix is not None:
        if request.suffix <= 0:
            return False
        suffix = min(request.suffix, size)
        offset, length = size - suffix, suffix
    offset = 0 if offset is None else offset
    length = size - offset if length is None else length
    if offset > size or length <= 0:
        return False
    return offset, min(length, size - offset)


_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def _header_range(header: str, size: int) -> tuple[int, int] | None:
    # One satisfiable range is honoured; several, or an invalid header, mean the whole object.
    match = _RANGE.match(header)
    if match is None or (not match[1] and not match[2]):
        return None
    if not match[1]:
        suffix = min(int(match[2]), size)
        return (size - suffix, suffix) if suffix > 0 else None
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if start > end or start >= size:
        return None
    return start, end - start + 1


# -- metadata and checksums


def http_metadata(method: str, value: Any, index: int) -> dict[str, Any]:
    """``httpMetadata``: an R2HTTPMetadata dict or Headers, as stored (cacheExpiry in ms)."""
    if value is None:
        return {}
    result: dict[str, Any] = {}
    if isinstance(value, Headers):
        for name, header in zip(HTTP_FIELDS, _HTTP_HEADERS, strict=True):
            if (found := value.get(header)) is not None:
                result[name] = found
        if (expires := value.get("expires")) is not None:
            result["cacheExpiry"] = _http_date(expires)
        return result
    if not is_struct(value):
        raise not_of_type(method, index, "R2HTTPMetadata or Headers")
    for name in HTTP_FIELDS:
        if value.get(name) is not None:
            result[name] = js_string(value[name])
    expiry = value.get("cacheExpiry")
    if expiry is not None:
        if not isinstance(expiry, datetime.datetime):
            raise not_of_type(method, index, "R2HTTPMetadata or Headers")
        result["cacheExpiry"] = to_ms(expiry)
    return result


def custom_metadata(method: str, value: Any, index: int) -> dict[str, str]:
    if value is None:
        return {}
    if not is_struct(value):
        raise not_of_type(method, index, "R2PutOptions")
    return {js_string(k): js_string(v) for k, v in value.items()}


@dataclass
class Expected:
    """The checksum a put must match (at most one algorithm)."""

    algorithm: str | None = None
    digest: bytes = field(default=b"")


def expected_checksum(options: Mapping[str, Any]) -> Expected:
    expected = Expected()
    for name, label in HASH_NAMES.items():
        value = options.get(name)
        if value is None:
            continue
        if expected.algorithm is not None:
            raise type_error("You cannot specify multiple hashing algorithms.")
        size = HASH_SIZES[name]
        if isinstance(value, str):
            if len(value) != size * 2:
                raise type_error(f"{label} is {size * 2} hex characters, not {len(value)}")
            if not _HEX.match(value):
                raise type_error(f"Provided {label} wasn't a valid hex string")
            digest = bytes.fromhex(value)
        elif isinstance(value, bytes | memoryview):
            digest = bytes(value)
            if len(digest) != size:
                raise type_error(f"{label} is {size} bytes, not {len(digest)}")
        else:
            raise not_of_type("put", 3, "R2PutOptions")
        expected = Expected(name, digest)
    return expected
