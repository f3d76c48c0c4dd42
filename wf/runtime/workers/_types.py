"""The type names workers-py exports for annotations (FetchKwargs, Body, Context...)."""

from __future__ import annotations

from collections.abc import Awaitable
from http import HTTPMethod
from typing import Any, Protocol, TypeAlias, TypedDict


class Context(Protocol):
    """The execution context (``self.ctx``)."""

    def waitUntil(self, other: Awaitable[Any]) -> None: ...


class RequestInitCfProperties(TypedDict, total=False):
    """``cf`` options of an outgoing request (edge-only: wf ignores them)."""

    apps: bool | None
    cacheEverything: bool | None
    cacheKey: str | None
    cacheTags: list[str] | None
    cacheTtl: int
    cacheTtlByStatus: dict[str, int]
    image: Any | None
    mirage: bool | None
    polish: str | None
    resolveOverride: str | None
    scrapeShield: bool | None
    webp: bool | None


class FetchKwargs(TypedDict, total=False):
    """Keyword arguments of `fetch`."""

    headers: Any
    body: Any
    method: HTTPMethod | str | None
    redirect: str | None
    cf: RequestInitCfProperties | None


JSBody: TypeAlias = Any  # JS body types (Blob, ReadableStream...): none is emulated
Body: TypeAlias = "str | bytes | None"
