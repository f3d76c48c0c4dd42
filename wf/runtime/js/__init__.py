"""The `js` module user code imports: the JS globals Python Workers code reaches.

In production `js` is the Worker's JS global scope. wf provides the names Cloudflare's Python
examples use (`Object`, `JSON`, `console`, `Date`, `crypto`, `Response`, `Headers`, `Request`,
`URL`, `fetch`...); any other name raises an error that says it is not emulated and what to
use instead. ``Date.now()`` follows the emulator's virtual clock.
"""

from __future__ import annotations

from typing import Any

from wf.runtime.pyodide._not_emulated import not_emulated

from ._globals import (
    Date,
    Error,
    Math,
    RangeError,
    atob,
    btoa,
    console,
    crypto,
    decodeURIComponent,
    encodeURIComponent,
)
from ._globals import SyntaxError_ as SyntaxError
from ._globals import TypeError_ as TypeError
from ._json import JSON, Array, Map, Object
from ._web import URL, Headers, Request, Response, URLSearchParams, fetch

__all__ = [
    "JSON",
    "URL",
    "Array",
    "Date",
    "Error",
    "Headers",
    "Map",
    "Math",
    "Object",
    "RangeError",
    "Request",
    "Response",
    "SyntaxError",
    "TypeError",
    "URLSearchParams",
    "atob",
    "btoa",
    "console",
    "crypto",
    "decodeURIComponent",
    "encodeURIComponent",
    "fetch",
]

_HINTS = {
    "setTimeout": "use asyncio.sleep (it follows the virtual clock)",
    "setInterval": "use an asyncio task with asyncio.sleep",
    "clearTimeout": "cancel the asyncio task instead",
    "Promise": "use Python coroutines and asyncio",
    "TextEncoder": 'use str.encode("utf-8")',
    "TextDecoder": 'use bytes.decode("utf-8")',
    "Uint8Array": "use bytes",
    "ArrayBuffer": "use bytes",
    "Blob": "use bytes",
    "FormData": "use workers.FormData when wf provides it, or parse the body yourself",
    "ReadableStream": "streams come from bodies (obj.body, response.body); build a body from bytes",
    "WebSocket": "WebSockets are not emulated yet",
    "WebSocketPair": "WebSockets are not emulated yet",
    "HTMLRewriter": "HTMLRewriter is not emulated yet",
    "caches": "the Cache API is not emulated yet",
    "structuredClone": "use copy.deepcopy",
    "Set": "use a Python set",
    "Number": "use int() or float()",
    "String": "use str()",
    "Symbol": "there is no Python equivalent",
    "globalThis": "import the names you need from js",
    "self": "import the names you need from js",
    "queueMicrotask": "use asyncio.get_running_loop().call_soon",
    "performance": "use time.perf_counter for durations",
    "navigator": "there is no navigator in wf",
    "AbortController": "use asyncio timeouts (asyncio.timeout)",
}


def __getattr__(name: str) -> Any:
    raise not_emulated(__name__, name, _HINTS.get(name, "use the Python standard library"))
