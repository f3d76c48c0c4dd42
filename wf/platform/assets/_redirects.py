"""``_redirects`` in the assets folder: ``SOURCE DESTINATION [STATUS]`` per line.

Parsed as wrangler parses it (``parseRedirects``) and matched as the asset-worker matches it:
301, 302 (the default), 303, 307, 308 redirect, 200 serves the destination's asset at the
source URL (relative destinations only). Static rules (no splat, no placeholder) are looked up
exactly, then dynamic rules in file order; the first match wins. Limits: 2,000 static and 100
dynamic rules, 1,000 characters a rule (comments excluded). A line that breaks a rule is
skipped with a message naming it (``invalid``), as wrangler warns and carries on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wf.platform.assets._rules import (
    Pattern,
    compile_pattern,
    has_host,
    is_dynamic,
    substitute,
    validate_url,
)

STATUSES = frozenset({200, 301, 302, 303, 307, 308})
MAX_STATIC = 2000
MAX_DYNAMIC = 100
MAX_LINE = 1000
_COMMENT = re.compile(r"(^|\s+)#.*$")


@dataclass(frozen=True)
class Redirect:
    """One rule: where it sends a request, with which status, from which line."""

    source: str
    to: str
    status: int
    line: int


@dataclass(frozen=True)
class Problem:
    """A skipped line: its number (None for a file-wide limit), its text and why."""

    line: int | None
    text: str
    message: str


@dataclass
class Redirects:
    """The valid rules of one ``_redirects`` file, and the lines it skipped."""

    static: dict[str, Redirect] = field(default_factory=dict)
    dynamic: list[tuple[Pattern, Redirect]] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.static) + len(self.dynamic)

    def match(self, host: str, path: str, hostname: str | None = None) -> tuple[int, str] | None:
        """(status, destination) for a request's host (with its port, as static rules are
        looked up), hostname (without, as patterns match) and raw path, or None."""
        with_host = self.static.get(f"https://{host}{path}")
        without = self.static.get(path)
        if with_host and without:
            found: Redirect | None = with_host if with_host.line < without.line else without
        else:
            found = with_host or without
        if found is not None:
            return found.status, found.to
        for pattern, rule in self.dynamic:
            values = pattern.match(host if hostname is None else hostname, path)
            if values is not None:
                target = substitute(rule.to, values).strip()
                if not re.match(r"^\w+://", target):
                    target = re.sub(r"/+", "/", target)  # a relative one loses doubled slashes
                return rule.status, target
        return None


def parse_redirects(text: str, html_handling: str = "auto-trailing-slash") -> Redirects:
    """The rules of a ``_redirects`` file."""
    result = Redirects()
    lines = text.split("\n")
    seen: set[str] = set()
    static = dynamic = 0
    static_allowed = True
    dynamic_built = False  # after the first dynamic rule a static one is matched in order
    for index, raw in enumerate(lines):
        number = index + 1
        line = _COMMENT.sub("", raw.strip())
        if not line:
            continue
        if len(line) > MAX_LINE:
            result.invalid.append(
                Problem(
                    number,
                    "",
                    f"Ignoring line {number} as the redirect directive exceeds the maximum "
                    f"allowed length of {MAX_LINE}.",
                )
            )
            continue
        tokens = line.split()
        if not 2 <= len(tokens) <= 3:
            message = f"Expected exactly 2 or 3 whitespace-separated tokens. Got {len(tokens)}."
            result.invalid.append(Problem(number, line, message))
            continue
        source_token, to_token = tokens[0], tokens[1]
        status_token = tokens[2] if len(tokens) == 3 else "302"
        source, why = validate_url(source_token, only_relative=True, no_ports=True)
        if source is None:
            result.invalid.append(Problem(number, line, why))
            continue
        if static_allowed and not is_dynamic(source):
            static += 1
            if static > MAX_STATIC:
                message = (
                    f"Maximum number of static rules supported is {MAX_STATIC}. Skipping line."
                )
                result.invalid.append(Problem(None, "", message))
                continue
        else:
            dynamic += 1
            static_allowed = False
            if dynamic > MAX_DYNAMIC:
                result.invalid.append(
                    Problem(
                        None,
                        "",
                        f"Maximum number of dynamic rules supported is {MAX_DYNAMIC}. "
                        f"Skipping remaining {len(lines) - index} lines of file.",
                    )
                )
                break
        to, why = validate_url(
            to_token, only_relative=False, no_ports=False, search=True, hash_=True
        )
        if to is None:
            result.invalid.append(Problem(number, line, why))
            continue
        status = int(status_token) if status_token.isdigit() else None
        if status not in STATUSES:
            message = (
                "Valid status codes are 200, 301, 302 (default), 303, 307, or 308. "
                f"Got {status_token}."
            )
            result.invalid.append(Problem(number, line, message))
            continue
        assert status is not None
        if not has_host(to) and (
            (source.endswith("/*") and re.search(r"/index(\.html)?$", to))
            or (
                source.endswith("/")
                and re.search(r"/index(\.html)?$", to)
                and html_handling != "none"
            )
        ):
            result.invalid.append(
                Problem(
                    number,
                    line,
                    "Infinite loop detected in this rule and has been ignored. This will cause "
                    "a redirect to strip `.html` or `/index` and end up triggering this rule "
                    "again. Please fix or remove this rule to silence this warning.",
                )
            )
            continue
        if source in seen:
            message = f"Ignoring duplicate rule for path {source}."
            result.invalid.append(Problem(number, line, message))
            continue
        seen.add(source)
        if status == 200 and has_host(to):
            message = f"Proxy (200) redirects can only point to relative paths. Got {to}"
            result.invalid.append(Problem(number, line, message))
            continue
        rule = Redirect(source, to, status, number)
        if not is_dynamic(source) and not dynamic_built:
            result.static[source] = rule
            continue
        dynamic_built = True
        pattern = compile_pattern(source)
        if pattern is not None:
            result.dynamic.append((pattern, rule))
    return result
