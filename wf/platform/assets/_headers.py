"""``_headers`` in the assets folder: a URL pattern, then indented ``Name: value`` lines.

Parsed as wrangler parses it (``parseHeaders``) and applied as the asset-worker applies it to
every response it gives (assets, redirects, 404s, 304s; never the Worker's): every matching
rule in file order; a rule's header replaces the default one, a later rule's same header is
added (``, ``-joined); ``! Name`` removes a header; ``:splat`` and ``:name`` in values take the
matched text. Limits: 100 rules, 2,000 characters a line. Skipped lines are in ``invalid``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wf.platform.assets._redirects import Problem
from wf.platform.assets._rules import Pattern, compile_pattern, substitute, validate_url

if TYPE_CHECKING:
    from wf.runtime.workers import Headers

MAX_RULES = 100
MAX_LINE = 2000
UNSET = "! "
_PATH_LINE = re.compile(r"^([^\s]+://|/)")


@dataclass
class HeaderRule:
    """The headers one URL pattern sets and removes."""

    source: str
    set: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)


@dataclass
class HeaderRules:
    """The valid rules of one ``_headers`` file, and the lines it skipped."""

    rules: dict[str, HeaderRule] = field(default_factory=dict)  # keyed by source, file order
    invalid: list[Problem] = field(default_factory=list)
    _compiled: list[tuple[Pattern, HeaderRule]] | None = None

    def __len__(self) -> int:
        return len(self.rules)

    def apply(self, headers: Headers, host: str, path: str) -> None:
        """Set and remove the matching rules' headers on a response's headers."""
        if self._compiled is None:
            compiled = ((compile_pattern(s), r) for s, r in self.rules.items())
            self._compiled = [(p, r) for p, r in compiled if p is not None]
        added: set[str] = set()
        for pattern, rule in self._compiled:
            values = pattern.match(host, path)
            if values is None:
                continue
            for name in rule.unset:
                del headers[name]
            for name, value in rule.set.items():
                value = substitute(value, values)
                if name in added:
                    headers.append(name, value)
                else:
                    headers.set(name, value)
                    added.add(name)


def parse_headers(text: str) -> HeaderRules:
    """The rules of a ``_headers`` file."""
    result = HeaderRules()
    lines = text.split("\n")
    rule: HeaderRule | None = None
    rule_at = (0, "")  # the pending rule's line number and text

    def close() -> None:
        if rule is None:
            return
        if rule.set or rule.unset:
            result.rules[rule.source] = rule
        else:
            result.invalid.append(Problem(*rule_at, "No headers specified"))

    for index, raw in enumerate(lines):
        number = index + 1
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE:
            message = (
                f"Ignoring line {number} as it exceeds the maximum allowed length of {MAX_LINE}."
            )
            result.invalid.append(Problem(number, "", message))
            continue
        if _PATH_LINE.match(line):
            if len(result.rules) >= MAX_RULES:
                message = (
                    f"Maximum number of rules supported is {MAX_RULES}. Skipping remaining "
                    f"{len(lines) - index} lines of file."
                )
                result.invalid.append(Problem(None, "", message))
                break  # the pending rule is still kept, as production keeps it
            close()
            source, why = validate_url(line, only_relative=False, no_ports=True)
            if source is None:
                result.invalid.append(Problem(number, line, why))
                rule = None
                continue
            rule, rule_at = HeaderRule(source), (number, line)
            continue
        if ":" not in line:
            if rule is None:
                message = "Expected a path beginning with at least one forward-slash"
                result.invalid.append(Problem(number, line, message))
            elif line.startswith(UNSET):
                rule.unset.append(line[len(UNSET) :].strip().lower())
            else:
                message = "Expected a colon-separated header pair (e.g. name: value)"
                result.invalid.append(Problem(number, line, message))
            continue
        raw_name, _, raw_value = line.partition(":")
        name, value = raw_name.strip().lower(), raw_value.strip()
        problem = (
            "Header name cannot include spaces"
            if " " in name
            else "No header name specified"
            if not name
            else "No header value specified"
            if not value
            else f"Path should come before header ({name}: {value})"
            if rule is None
            else None
        )
        if problem is not None or rule is None:
            result.invalid.append(Problem(number, line, problem or ""))
            continue
        existing = rule.set.get(name)
        rule.set[name] = f"{existing}, {value}" if existing else value
    close()
    return result
