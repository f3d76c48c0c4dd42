# Type stubs of the `workers` package Python Workers import, as the runtime SDK
# (workers-runtime-sdk) ships it in production. Shipped by wf so mypy and pyright check code
# that runs on wf and on Cloudflare alike: see `wf types` and the README's "Typed env".
import builtins
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from http import HTTPMethod, HTTPStatus
from typing import Any, Protocol, TypeAlias, TypedDict, TypeVar, Unpack

from . import workflows as workflows
from ._bindings import (
    DurableObjectState,
    ExecutionContext,
    JsDict,
    JsProxy,
    ReadableStream,
)

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = [
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "Headers",
    "JSBody",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "patch_env",
    "python_from_rpc",
    "python_to_rpc",
]

class Context(Protocol):
    def waitUntil(self, other: Awaitable[Any]) -> None: ...

# JS body values (ReadableStream, ArrayBuffer, URLSearchParams, a js.Response...)
JSBody: TypeAlias = ReadableStream | memoryview | JsProxy
Body: TypeAlias = str | bytes | ReadableStream | None
# In production `Headers` is this alias, not a class: pass a dict, pairs or a js.Headers.
Headers: TypeAlias = dict[str, str] | list[tuple[str, str]] | Mapping[str, str]

class RequestInitCfProperties(TypedDict, total=False):
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
    headers: Headers | None
    body: Body | None
    method: HTTPMethod | str | None
    redirect: str | None
    cf: RequestInitCfProperties | None

class _ResponseHeaders(Protocol):
    def __getitem__(self, name: str) -> str | None: ...
    def __contains__(self, name: object) -> bool: ...
    def __iter__(self) -> Iterator[str]: ...
    def get(self, name: str, default: str | None = None) -> str | None: ...
    def items(self) -> list[tuple[str, str]]: ...
    def keys(self) -> Any: ...

class FetchResponse:
    @property
    def status(self) -> int: ...
    @property
    def status_text(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def url(self) -> str: ...
    @property
    def redirected(self) -> bool: ...
    @property
    def type(self) -> str: ...
    @property
    def headers(self) -> _ResponseHeaders: ...
    @property
    def body(self) -> ReadableStream | None: ...
    @property
    def body_used(self) -> bool: ...
    @property
    def js_object(self) -> Any: ...
    async def text(self) -> str: ...
    async def bytes(self) -> bytes: ...
    async def buffer(self) -> builtins.bytes: ...
    async def json(self, **kwargs: Any) -> Any: ...
    def clone(self) -> Response: ...
    def replace_body(self, body: Body) -> Response: ...
    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = ...) -> Response: ...
    @staticmethod
    def from_json(
        data: str | dict[str, Any] | list[Any] | Any,
        status: HTTPStatus | int = ...,
        status_text: str = "",
        headers: Headers | None = None,
    ) -> Response: ...

class Response(FetchResponse):
    def __init__(
        self,
        body: Body | JSBody = None,
        status: HTTPStatus | int | None = None,
        status_text: str = "",
        headers: Headers | None = None,
        web_socket: Any | None = None,
    ) -> None: ...

class Request:
    def __init__(
        self,
        input: Request | str,
        *,
        method: HTTPMethod | str | None = None,
        headers: Headers | None = None,
        body: Body | None = None,
        redirect: str | None = None,
    ) -> None: ...
    @property
    def method(self) -> HTTPMethod | str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> _ResponseHeaders: ...
    @property
    def cf(self) -> JsDict: ...
    @property
    def redirect(self) -> str: ...
    @property
    def body(self) -> ReadableStream | None: ...
    @property
    def body_used(self) -> bool: ...
    @property
    def js_object(self) -> Any: ...
    async def text(self) -> str: ...
    async def bytes(self) -> bytes: ...
    async def buffer(self) -> builtins.bytes: ...
    async def json(self, **kwargs: Any) -> Any: ...
    def clone(self) -> Request: ...

async def fetch(resource: str | Request, **other_options: Unpack[FetchKwargs]) -> Response: ...
def handler(func: _F) -> _F: ...
def import_from_javascript(module_name: str) -> Any: ...
def patch_env(
    d: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None, **kwds: Any
) -> AbstractContextManager[None]: ...
def python_from_rpc(obj: Any) -> Any: ...
def python_to_rpc(obj: Any) -> Any: ...

# `from workers import env`: the Worker's env (annotate it with your generated Env).
env: Any

class WorkerEntrypoint:
    """Subclass it: `async def fetch(self, request)`, `scheduled`, `queue`, RPC methods."""

    ctx: ExecutionContext
    env: Any
    def __init__(self, ctx: ExecutionContext, env: Any) -> None: ...

class WorkflowEntrypoint:
    """Subclass it and define `async def run(self, event, step)`."""

    ctx: ExecutionContext
    env: Any
    def __init__(self, ctx: ExecutionContext, env: Any) -> None: ...
    # Any: the step's type follows the compatibility date (worker_env.WorkflowStep)
    async def run(self, event: Any, step: Any, /) -> Any: ...

class DurableObject:
    """Subclass it: public methods are RPC methods of its stubs; `fetch`, `alarm`."""

    ctx: DurableObjectState
    env: Any
    def __init__(self, ctx: DurableObjectState, env: Any) -> None: ...
