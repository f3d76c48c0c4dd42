"""URL patterns of ``_headers`` and ``_redirects``: splats, placeholders, absolute URLs.

As the asset-worker's rules engine matches them: one ``*`` (the ``:splat``) matches any
characters; ``:name`` matches one path segment (a host label in the host of an absolute
rule); a rule starting ``https://`` is tested against ``https://{host}{path}`` whatever the
request's scheme and port, any other against the path alone. A pattern that cannot compile
(two splats, a placeholder named twice) never matches, as production skips it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

PLACEHOLDER = re.compile(r":([A-Za-z]\w*)")
_ABSOLUTE = re.compile(r"^https://+(?P<host>[^/]+)/?(?P<path>.*)", re.DOTALL)
_PORT = re.compile(r".*:\d+$")
# What the WHATWG URL parser leaves unencoded in a path (the rest it percent-encodes).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True)
class Pattern:
    """A compiled rule source: a regex over the path, or over ``https://host/path``."""

    source: str
    regex: re.Pattern[str]
    cross_host: bool

    def match(self, host: str, path: str) -> dict[str, str] | None:
        """The placeholders (and ``splat``) a request matches with, or None."""
        found = self.regex.match(f"https://{host}{path}" if self.cross_host else path)
        if found is None:
            return None
        return {k: v for k, v in found.groupdict().items() if v is not None}  # "" replaces too


def compile_pattern(source: str) -> Pattern | None:
    """The pattern of a rule source (None: it cannot compile, so it never matches)."""
    cross_host = source.startswith("https://")
    if cross_host:
        rest = source[len("https://") :]
        cut = rest.find("/")
        host, path = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
        regex = re.escape("https://") + _pattern(host, "[^/.]+") + _pattern(path, "[^/]+")
    else:
        regex = _pattern(source, "[^/]+")
    try:
        return Pattern(source, re.compile(f"^{regex}$", re.DOTALL), cross_host)
    except re.error:  # a second splat or a repeated placeholder name
        return None


def _pattern(text: str, segment: str) -> str:
    parts = text.split("*")
    out = []
    for part in parts:
        pieces = []
        last = 0
        for found in PLACEHOLDER.finditer(part):
            pieces.append(re.escape(part[last : found.start()]))
            pieces.append(f"(?P<{found.group(1)}>{segment})")
            last = found.end()
        pieces.append(re.escape(part[last:]))
        out.append("".join(pieces))
    return "(?P<splat>.*)".join(out)


def substitute(text: str, values: dict[str, str]) -> str:
    """``:name`` replaced by its matched value (a name that did not match stays as written)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def is_dynamic(source: str) -> bool:
    """Whether a source has a splat or a placeholder (else it is a static rule)."""
    return "*" in source or PLACEHOLDER.search(source) is not None


def has_host(token: str) -> bool:
    """Whether a token is an absolute ``https://`` URL."""
    found = _ABSOLUTE.match(token)
    return found is not None and bool(found.group("host"))


def validate_url(
    token: str, *, only_relative: bool, no_ports: bool, search: bool = False, hash_: bool = False
) -> tuple[str | None, str]:
    """A rule's URL token normalised as production does (a path, or ``https://host/path``),
    or None and why it is refused."""
    absolute = _ABSOLUTE.match(token)
    if absolute is not None and absolute.group("host"):
        if only_relative:
            return None, f"Only relative URLs are allowed. Skipping absolute URL {token}."
        host = absolute.group("host")
        if no_ports and _PORT.match(host):
            return None, f"Specifying ports is not supported. Skipping absolute URL {token}."
        return f"https://{host}{_pathname(absolute.group('path'), search, hash_)}", ""
    if only_relative and not token.startswith("/"):
        token = "/" + token
    if token.startswith("/"):
        return _pathname(token, search, hash_), ""
    if only_relative:
        return None, "URLs should begin with a forward-slash."
    return None, (
        "URLs should either be relative (e.g. begin with a forward-slash), "
        'or use HTTPS (e.g. begin with "https://").'
    )


def _pathname(path: str, search: bool, hash_: bool) -> str:
    """The path part of a URL token, with dot segments resolved and unsafe bytes encoded."""
    if not path.startswith("/"):
        path = "/" + path
    parts = urlsplit("relative://host" + path)
    pathname = quote(_resolve_dots(parts.path or "/"), safe=_PATH_SAFE)
    query = f"?{parts.query}" if search and parts.query else ""
    fragment = f"#{parts.fragment}" if hash_ and parts.fragment else ""
    return pathname + query + fragment


def _resolve_dots(path: str) -> str:
    if "/." not in path:
        return path
    resolved = posixpath.normpath(path)
    # normpath drops a trailing slash and collapses "//": keep what URL parsing keeps
    if path.endswith(("/", "/.", "/..")) and resolved != "/":
        resolved += "/"
    return resolved


T = TypeVar("T")
_CACHE: dict[tuple[Path, str], tuple[tuple[int, int], object]] = {}


def parsed(path: Path, key: str, parse: Callable[[str], T]) -> T | None:
    """``parse`` of a file's text, read again only when the file changes (None: no file).

    ``key`` names what the parse depends on besides the text (say the html_handling).
    """
    try:
        stat = path.stat()
    except OSError:
        _CACHE.pop((path, key), None)
        return None
    if not path.is_file():
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get((path, key))
    if cached is not None and cached[0] == stamp:
        return cached[1]  # type: ignore[return-value]
    value = parse(path.read_text(encoding="utf-8", errors="replace"))
    _CACHE[(path, key)] = (stamp, value)
    return value
