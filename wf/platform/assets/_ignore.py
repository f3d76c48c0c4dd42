""".assetsignore at the top of the assets folder: files wrangler leaves out of the upload.

The patterns are .gitignore's (wrangler reads them with a gitignore matcher): ``#`` comments,
``!`` re-includes, a trailing ``/`` names folders, a pattern with a ``/`` elsewhere is anchored
at the folder's top and one without matches at any depth, ``*`` and ``?`` stay within a path
segment and ``**`` crosses segments; the last matching pattern decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IGNORE_FILE = ".assetsignore"


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    negated: bool
    folders_only: bool


def parse_ignore(text: str) -> list[Rule]:
    """The rules of a ``.assetsignore`` file, in order."""
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        folders_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _translate(line.lstrip("/"))
        regex = f"^{body}$" if anchored else f"^(?:.*/)?{body}$"
        rules.append(Rule(re.compile(regex), negated, folders_only))
    return rules


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def is_ignored(relative: str, rules: list[Rule]) -> bool:
    """Whether a file (a path relative to the folder, ``a/b.txt``) is left out."""
    parts = relative.split("/")
    # a folder left out takes its files along, as gitignore does
    for depth in range(1, len(parts)):
        if _decide("/".join(parts[:depth]), rules, folder=True):
            return True
    return _decide(relative, rules, folder=False)


def _decide(path: str, rules: list[Rule], *, folder: bool) -> bool:
    ignored = False
    for rule in rules:
        if rule.folders_only and not folder:
            continue
        if rule.regex.match(path):
            ignored = not rule.negated
    return ignored
