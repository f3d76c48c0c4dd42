"""The responses ``env.AI.run`` answers with, and the record of every call.

No model runs offline, so every answer is registered by the user: in the test ``Emulator``
(``emu.mock_ai``), over HTTP (``POST /cdn-cgi/wf/ai/mocks``) or in the project's
``.wf/ai.json``. A mock names a model and, optionally, ``match``: input keys whose values
must be equal (a subset of the inputs), so one model can answer different prompts.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AI_FILE = Path(".wf") / "ai.json"
MAX_CALLS = 1000  # the call log keeps the latest ones


class AIMockError(ValueError):
    """A mock that cannot be registered (or a bad ``.wf/ai.json``): the message says why."""


@dataclass
class AIMock:
    """One registered answer for a model."""

    model: str
    response: Any = None
    match: dict[str, Any] | None = None
    error: dict[str, str] | None = None  # {"name", "message"}: run() raises it
    times: int | None = None  # None: every call
    source: str = "test"  # test, http or file
    used: int = 0

    def matches(self, model: str, inputs: Any) -> bool:
        if self.model != model or (self.times is not None and self.used >= self.times):
            return False
        if self.match is None:
            return True
        return isinstance(inputs, Mapping) and all(
            k in inputs and inputs[k] == v for k, v in self.match.items()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "match": self.match,
            "response": self.response,
            "error": self.error,
            "times": self.times,
            "used": self.used,
            "source": self.source,
        }


@dataclass
class AICall:
    """One ``env.AI.run`` call: what was asked and what it got."""

    model: str
    inputs: Any
    options: Any
    at: float  # virtual epoch ms
    response: Any = None
    error: str | None = None
    mocked_by: str | None = None  # the mock's source, None when no mock answered

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "inputs": self.inputs,
            "options": self.options,
            "at": self.at,
            "response": self.response,
            "error": self.error,
            "mocked_by": self.mocked_by,
        }


def make_mock(spec: Mapping[str, Any], source: str) -> AIMock:
    """A mock from its JSON form ``{model, response?, match?, error?, times?}``."""
    if not isinstance(spec, Mapping):
        raise AIMockError(f"a mock is an object with a model and a response, got {spec!r}")
    unknown = sorted(set(spec) - {"model", "response", "match", "error", "times"})
    if unknown:
        raise AIMockError(
            f"unknown key {unknown[0]!r} in an AI mock (allowed: model, response, match, "
            "error, times)"
        )
    return new_mock(
        spec.get("model"),
        spec.get("response"),
        match=spec.get("match"),
        error=spec.get("error"),
        times=spec.get("times"),
        source=source,
        has_response="response" in spec,
    )


def new_mock(
    model: Any,
    response: Any = None,
    *,
    match: Any = None,
    error: Any = None,
    times: Any = None,
    source: str = "test",
    has_response: bool = True,
) -> AIMock:
    """Validate one mock's parts; AIMockError names the bad one."""
    if not isinstance(model, str) or not model:
        raise AIMockError(
            f'an AI mock needs "model", a model name such as "@cf/...", got {model!r}'
        )
    if match is not None and not isinstance(match, Mapping):
        raise AIMockError(f'"match" must be an object of input keys and values, got {match!r}')
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise AIMockError(f'"times" must be an integer >= 1 (or null: every call), got {times!r}')
    failure: dict[str, str] | None = None
    if error is not None:
        if isinstance(error, str):
            failure = {"name": "Error", "message": error}
        elif isinstance(error, Mapping) and isinstance(error.get("message"), str):
            failure = {"name": str(error.get("name") or "Error"), "message": error["message"]}
        else:
            raise AIMockError(f'"error" must be a message or {{"name", "message"}}, got {error!r}')
    elif not has_response:
        raise AIMockError(f'the AI mock of {model} needs "response" (or "error")')
    if not isinstance(response, bytes):
        try:
            json.dumps(response)
        except (TypeError, ValueError) as exc:
            raise AIMockError(
                f"the response of {model} must be JSON data or bytes: {exc}"
            ) from None
    return AIMock(
        model, response, dict(match) if match is not None else None, failure, times, source
    )


@dataclass
class AIMocks:
    """The mocks of one project, the ones from ``.wf/ai.json``, and the calls made."""

    project_root: Path | None = None
    mocks: list[AIMock] = field(default_factory=list)
    calls: deque[AICall] = field(default_factory=lambda: deque(maxlen=MAX_CALLS))
    _file_mocks: list[AIMock] = field(default_factory=list)
    _file_stamp: tuple[int, int] | None = None

    @property
    def file(self) -> Path | None:
        return None if self.project_root is None else self.project_root / AI_FILE

    def add(self, mock: AIMock) -> AIMock:
        self.mocks.append(mock)
        return mock

    def clear(self) -> None:
        """Forget the registered mocks and the call log (``.wf/ai.json`` stays)."""
        self.mocks.clear()
        self.calls.clear()

    def find(self, model: str, inputs: Any) -> AIMock | None:
        """The answer for a call: registered mocks first (newest first, input matches before
        catch-alls), then the file's, in its order."""
        for group in (self.mocks[::-1], self.file_mocks()):
            for specific in (True, False):
                for mock in group:
                    if (mock.match is not None) == specific and mock.matches(model, inputs):
                        return mock
        return None

    def file_mocks(self) -> list[AIMock]:
        """The mocks of ``.wf/ai.json``, read again whenever the file changes."""
        path = self.file
        if path is None:
            return []
        try:
            stat = path.stat()
        except OSError:
            self._file_mocks, self._file_stamp = [], None
            return []
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._file_stamp:
            self._file_mocks = load_file(path)
            self._file_stamp = stamp
        return self._file_mocks

    def all_json(self) -> list[dict[str, Any]]:
        return [m.to_json() for m in [*self.mocks, *self.file_mocks()]]


def load_file(path: Path) -> list[AIMock]:
    """``{"mocks": [{model, response, match?}, ...]}`` (or the bare list)."""
    where = f"{AI_FILE.as_posix()}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AIMockError(f"{where}: not valid JSON: {exc}") from None
    entries = data.get("mocks") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise AIMockError(f'{where}: expected {{"mocks": [...]}} or a list of mocks')
    mocks = []
    for i, entry in enumerate(entries):
        try:
            mocks.append(make_mock(entry, "file"))
        except AIMockError as exc:
            raise AIMockError(f"{where}: mocks[{i}]: {exc}") from None
    return mocks
