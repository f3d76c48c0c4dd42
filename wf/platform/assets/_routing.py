"""Which file answers a path: Cloudflare's asset-worker rules, over a folder.

The decision table is workers-sdk's ``packages/workers-shared/asset-worker/src/handler.ts``
(``getIntent`` per ``html_handling``, ``notFound``, ``safeRedirect``): an intent is a file to
serve (with status 200, or 404 for a ``404.html``) or a path to redirect to (307).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    """Serve ``file`` with ``status``, or redirect to ``redirect``."""

    file: str | None = None
    status: int = 200
    redirect: str | None = None


Exists = Callable[[str], str | None]  # a path -> its ETag, or None


def intent_for(
    path: str, html: str, not_found: str, exists: Exists, skip: bool = False
) -> Intent | None:
    """The intent for a decoded ``path``, or None (no asset: the Worker's turn, or a 404)."""
    rules = {
        "auto-trailing-slash": _auto,
        "force-trailing-slash": _force,
        "drop-trailing-slash": _drop,
    }
    rule = rules.get(html)
    found = rule(path, html, exists, skip) if rule else _serve(path, exists)
    return found or _not_found(path, not_found, exists)


def _serve(file: str, exists: Exists, status: int = 200) -> Intent | None:
    return Intent(file, status) if exists(file) else None


def _redirect(file: str, to: str, html: str, exists: Exists, skip: bool) -> Intent | None:
    """Redirect to ``to`` when ``file`` exists and ``to`` would serve that same file."""
    if skip or exists(to):
        return None
    target = intent_for(to, html, "none", exists, skip=True)
    if target is not None and target.file is not None and exists(target.file) == exists(file):
        return Intent(redirect=to)
    return None


def _first(*options: Callable[[], Intent | None]) -> Intent | None:
    for option in options:
        found = option()
        if found is not None:
            return found
    return None


def _auto(p: str, html: str, exists: Exists, skip: bool) -> Intent | None:
    def r(file: str, to: str) -> Callable[[], Intent | None]:
        return lambda: _redirect(file, to, html, exists, skip)

    def s(file: str) -> Callable[[], Intent | None]:
        return lambda: _serve(file, exists)

    if p.endswith("/index"):
        found = _first(
            s(p),
            r(p + ".html", p[: -len("index")]),
            r(p[: -len("/index")] + ".html", p[: -len("/index")]),
        )
        if found or exists(p):
            return found
    elif p.endswith("/index.html"):
        found = _first(
            r(p, p[: -len("index.html")]),
            r(p[: -len("/index.html")] + ".html", p[: -len("/index.html")]),
        )
        if found:
            return found
    elif p.endswith("/"):
        found = _first(s(p + "index.html"), r(p[:-1] + ".html", p[:-1]))
        if found:
            return found
    elif p.endswith(".html"):
        found = _first(
            r(p, p[: -len(".html")]),
            r(p[: -len(".html")] + "/index.html", p[: -len(".html")] + "/"),
        )
        if found:
            return found
    return _first(s(p), s(p + ".html"), r(p + "/index.html", p + "/"))


def _force(p: str, html: str, exists: Exists, skip: bool) -> Intent | None:
    def r(file: str, to: str) -> Callable[[], Intent | None]:
        return lambda: _redirect(file, to, html, exists, skip)

    def s(file: str) -> Callable[[], Intent | None]:
        return lambda: _serve(file, exists)

    found: Intent | None = None
    if p.endswith("/index"):
        found = _first(
            s(p),
            r(p + ".html", p[: -len("index")]),
            r(p[: -len("/index")] + ".html", p[: -len("index")]),
        )
    elif p.endswith("/index.html"):
        found = _first(
            r(p, p[: -len("index.html")]),
            r(p[: -len("/index.html")] + ".html", p[: -len("index.html")]),
        )
    elif p.endswith("/"):
        found = _first(s(p + "index.html"), s(p[:-1] + ".html"))
    elif p.endswith(".html"):
        found = _first(
            r(p, p[: -len(".html")] + "/"),
            s(p),
            r(p[: -len(".html")] + "/index.html", p[: -len(".html")] + "/"),
        )
    return found or _first(s(p), r(p + ".html", p + "/"), r(p + "/index.html", p + "/"))


def _drop(p: str, html: str, exists: Exists, skip: bool) -> Intent | None:
    def r(file: str, to: str) -> Callable[[], Intent | None]:
        return lambda: _redirect(file, to, html, exists, skip)

    def s(file: str) -> Callable[[], Intent | None]:
        return lambda: _serve(file, exists)

    found: Intent | None = None
    if p.endswith("/index"):
        if p == "/index":
            found = _first(s(p), r("/index.html", "/"))
        else:
            base = p[: -len("/index")]
            found = _first(s(p), r(base + ".html", base), r(p + ".html", base))
    elif p.endswith("/index.html"):
        if p == "/index.html":
            found = r("/index.html", "/")()
        else:
            base = p[: -len("/index.html")]
            found = _first(r(p, base), s(p), r(base + ".html", base))
    elif p.endswith("/"):
        if p == "/":
            found = s("/index.html")()
        else:
            found = _first(r(p[:-1] + ".html", p[:-1]), r(p[:-1] + "/index.html", p[:-1]))
    elif p.endswith(".html"):
        base = p[: -len(".html")]
        found = _first(r(p, base), r(base + "/index.html", base))
    return found or _first(s(p), s(p + ".html"), s(p + "/index.html"))


def _not_found(path: str, handling: str, exists: Exists) -> Intent | None:
    if handling == "single-page-application":
        return _serve("/index.html", exists)
    if handling == "404-page":
        folder = path
        while folder:
            folder = folder[: folder.rfind("/")]
            found = _serve(f"{folder}/404.html", exists, 404)
            if found:
                return found
    return None


def worker_first(path: str, rules: bool | tuple[str, ...]) -> bool:
    """``run_worker_first``: True/False, or patterns (``*`` any characters; ``!`` excludes,
    and an exclusion wins)."""
    if isinstance(rules, bool):
        return rules
    include = [r for r in rules if not r.startswith("!")]
    exclude = [r[1:] for r in rules if r.startswith("!")]
    if any(_glob(rule, path) for rule in exclude):
        return False
    return any(_glob(rule, path) for rule in include)


def _glob(pattern: str, path: str) -> bool:
    import re

    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, path) is not None
