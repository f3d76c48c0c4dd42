"""``js.Response``, ``js.Headers``, ``js.Request``, ``js.URL`` and ``js.fetch``.

They build the `workers` package's HTTP objects, so a ``js.Response.new(...)`` returned from a
fetch handler is served as in production. Responses from ``js.fetch`` (and ``js.Response``)
parse JSON into JsProxy objects, as a JS ``await response.json()`` does.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from wf.runtime.pyodide._values import UNDEFINED, JsObject, _Constructor, from_json, to_python
from wf.runtime.pyodide.ffi import JsException, JsMap, JsProxy
from wf.runtime.workers import Headers as _Headers
from wf.runtime.workers import Request as _Request
from wf.runtime.workers import Response as _Response
from wf.runtime.workers import fetch as _fetch

from ._json import JSON


def _init(init: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A JS init dictionary: a JsProxy object, a Python mapping, or Pyodide's trailing kwargs.

    Pyodide passes keyword arguments as one more, last, JS argument: after an explicit init
    that is an extra argument JS ignores, so it is ignored here too.
    """
    if init is None:
        return dict(kwargs)
    if isinstance(init, JsProxy) and isinstance(init._js, JsObject):
        return {k: to_python(v) for k, v in init._js.items()}
    if isinstance(init, Mapping):
        return dict(init)
    raise JsException("TypeError", f"expected an init object, got {type(init).__name__}")


def _headers(init: Any) -> _Headers:
    if isinstance(init, JsMap):
        return _Headers(init.items())
    if isinstance(init, JsProxy) and isinstance(init._js, JsObject):
        return _Headers({k: str(to_python(v)) for k, v in init._js.items()})
    return _Headers(init)


class JsResponse(_Response):
    """A Response as JS sees it: camelCase names, and ``json()`` that answers JsProxies."""

    @property
    def constructor(self) -> _Constructor:
        return _Constructor("Response")

    @property
    def bodyUsed(self) -> bool:
        return self.body_used

    @property
    def statusText(self) -> str:
        return self.status_text

    async def _parse_json(self, **kwargs: Any) -> Any:
        try:
            return to_python(from_json(json.loads(await self.text())))
        except ValueError as err:
            raise JsException("SyntaxError", f"Unexpected token in JSON: {err}") from None


def _body_init(body: Any) -> tuple[bytes | None, str | None]:
    """A JS ``BodyInit``: JS body values as such, any other value as the string JS makes of it.

    Pyodide passes bytes, dicts and other Python objects to JS as PyProxies, which are none
    of the body types: JS turns them into text (``String(pyproxy)`` is Python's ``str()``).
    """
    from wf.runtime.js._streams import JS_HOST_VALUES
    from wf.runtime.workers._http import js_body
    from wf.runtime.workers._rpc import BindingWrapper

    if body is None or body is UNDEFINED:
        return None, None
    if isinstance(body, (str, _URLSearchParams, *JS_HOST_VALUES)):
        return js_body(body)
    if isinstance(body, bool):
        return ("true" if body else "false").encode(), "text/plain;charset=UTF-8"
    if isinstance(body, int | float):
        return JSON.stringify(body).encode(), "text/plain;charset=UTF-8"
    if isinstance(body, JsProxy):
        return repr(body).encode(), "text/plain;charset=UTF-8"
    # UNCONFIRMED on production: derived from Pyodide's conversion rules and the Fetch spec.
    shown = "a wrapped JS object" if isinstance(body, BindingWrapper) else type(body).__name__
    warnings.warn(
        f"js.Response.new(body): {shown} reaches JavaScript as a Python proxy, which is no "
        "body type, so the body is its str() text; pass str, or to_js(bytes) for binary data, "
        "or use workers.Response",
        RuntimeWarning,
        stacklevel=3,
    )
    return str(body).encode(), "text/plain;charset=UTF-8"


def _js_response(response: _Response) -> JsResponse:
    result = JsResponse._from_network(
        response._body,
        response.status,
        response.status_text,
        response.headers,
        response.url,
        response.redirected,
    )
    assert isinstance(result, JsResponse)
    return result


class _ResponseClass:
    """``js.Response``."""

    @staticmethod
    def new(body: Any = None, init: Any = None, **kwargs: Any) -> JsResponse:
        options = _init(init, kwargs)
        headers = _headers(options.get("headers"))
        data, content_type = _body_init(body)
        if content_type is not None and "content-type" not in headers:
            headers.set("content-type", content_type)
        response = _Response(
            None if data is None else data,
            status=options.get("status"),
            status_text=options.get("statusText", ""),
            headers=headers,
        )
        return _js_response(response)

    @staticmethod
    def json(data: Any, init: Any = None, **kwargs: Any) -> JsResponse:
        options = _init(init, kwargs)
        headers = _headers(options.get("headers"))
        if "content-type" not in headers:
            headers.set("content-type", "application/json")
        options["headers"] = headers
        return _ResponseClass.new(JSON.stringify(data), options)

    @staticmethod
    def redirect(url: str, status: int = 302) -> JsResponse:
        return _js_response(_Response.redirect(url, status))


class _HeadersClass:
    """``js.Headers``."""

    @staticmethod
    def new(init: Any = None) -> _Headers:
        return _headers(init)


class _RequestClass:
    """``js.Request``."""

    @staticmethod
    def new(input: Any, init: Any = None, **kwargs: Any) -> _Request:
        options = _init(init, kwargs)
        headers = options.get("headers")
        return _Request(
            input,
            method=options.get("method"),
            headers=None if headers is None else _headers(headers),
            body=options.get("body"),
        )


async def fetch(resource: Any, init: Any = None, **kwargs: Any) -> JsResponse:
    """``await js.fetch(url, init)``: a real outgoing request, as from workers.fetch."""
    options = _init(init, kwargs)
    if "headers" in options:
        options["headers"] = _headers(options["headers"])
    return _js_response(await _fetch(resource, **options))


class _URLSearchParams:
    """``URLSearchParams``: ordered query parameters."""

    def __init__(self, init: Any = "", owner: _URL | None = None) -> None:
        if isinstance(init, str):
            self._pairs = parse_qsl(init.removeprefix("?"), keep_blank_values=True)
        elif isinstance(init, Mapping):
            self._pairs = [(str(k), str(v)) for k, v in init.items()]
        else:
            self._pairs = [(str(k), str(v)) for k, v in init]
        self._owner = owner

    @property
    def constructor(self) -> _Constructor:
        return _Constructor("URLSearchParams")

    def _changed(self) -> None:
        if self._owner is not None:
            self._owner._set_query(self.toString())

    def get(self, name: str) -> str | None:
        return next((v for k, v in self._pairs if k == name), None)

    def getAll(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self._pairs)

    def set(self, name: str, value: Any) -> None:
        rest = [(k, v) for k, v in self._pairs if k != name]
        first = next((i for i, (k, _) in enumerate(self._pairs) if k == name), len(rest))
        rest.insert(first, (name, str(value)))
        self._pairs = rest
        self._changed()

    def append(self, name: str, value: Any) -> None:
        self._pairs.append((name, str(value)))
        self._changed()

    def delete(self, name: str) -> None:
        self._pairs = [(k, v) for k, v in self._pairs if k != name]
        self._changed()

    def toString(self) -> str:
        return urlencode(self._pairs)

    def __iter__(self) -> Any:
        return iter(list(self._pairs))

    def __repr__(self) -> str:
        return self.toString()


class _URL:
    """A parsed absolute URL with the WHATWG URL's property names."""

    def __init__(self, url: str, base: str | None = None) -> None:
        target = urljoin(str(base), str(url)) if base is not None else str(url)
        parts = urlsplit(target)
        if not parts.scheme or (parts.scheme in ("http", "https") and not parts.netloc):
            raise JsException("TypeError", "Invalid URL string.")
        path = parts.path or ("/" if parts.scheme in ("http", "https") else "")
        self._parts = parts._replace(scheme=parts.scheme.lower(), path=path)
        self._params = _URLSearchParams(self._parts.query, self)

    def _set_query(self, query: str) -> None:
        self._parts = self._parts._replace(query=query)

    def __repr__(self) -> str:
        return self.href

    def toString(self) -> str:
        return self.href

    def toJSON(self) -> str:
        return self.href

    @property
    def href(self) -> str:
        return urlunsplit(self._parts)

    @property
    def protocol(self) -> str:
        return self._parts.scheme + ":"

    @property
    def host(self) -> str:
        return (self._parts.netloc.rpartition("@")[2]).lower()

    @property
    def hostname(self) -> str:
        return self._parts.hostname or ""

    @property
    def port(self) -> str:
        port = self._parts.port
        default = {"http": 80, "https": 443}.get(self._parts.scheme)
        return "" if port is None or port == default else str(port)

    @property
    def origin(self) -> str:
        return f"{self.protocol}//{self.host}"

    @property
    def pathname(self) -> str:
        return self._parts.path

    @property
    def search(self) -> str:
        return "?" + self._parts.query if self._parts.query else ""

    @property
    def hash(self) -> str:
        return "#" + self._parts.fragment if self._parts.fragment else ""

    @property
    def searchParams(self) -> _URLSearchParams:
        return self._params

    @property
    def username(self) -> str:
        return self._parts.username or ""

    @property
    def password(self) -> str:
        return self._parts.password or ""


class _URLClass:
    """``js.URL``."""

    @staticmethod
    def new(url: str, base: str | None = None) -> _URL:
        return _URL(url, base)

    @staticmethod
    def canParse(url: str, base: str | None = None) -> bool:
        try:
            _URL(url, base)
        except JsException:
            return False
        return True


class _URLSearchParamsClass:
    """``js.URLSearchParams``."""

    @staticmethod
    def new(init: Any = "") -> _URLSearchParams:
        return _URLSearchParams(init)


Response = _ResponseClass()
Headers = _HeadersClass()
Request = _RequestClass()
URL = _URLClass()
URLSearchParams = _URLSearchParamsClass()
