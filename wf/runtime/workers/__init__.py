"""The `workers` package user code imports, as on Cloudflare's Python Workers.

The emulator puts the directory holding this package on sys.path, so user code writes
`from workers import WorkflowEntrypoint, Response` exactly as in production.
"""

# ruff: noqa: E402  (the alias block must run before the package imports)
from __future__ import annotations

import importlib as _importlib
import sys as _sys
from pathlib import Path as _Path
from typing import Any as _Any

_CANONICAL = "workers"

if __name__ != _CANONICAL:
    # Imported by the emulator as `wf.runtime.workers`: make that name an alias of the
    # canonical `workers` modules, so the engine and user code share one set of classes
    # (an `issubclass(UserWorkflow, WorkflowEntrypoint)` check must see the same class).
    _here = _Path(__file__).resolve().parent
    if str(_here.parent) not in _sys.path:
        _sys.path.insert(0, str(_here.parent))
    _other = _sys.modules.get(_CANONICAL)
    _other_file = getattr(_other, "__file__", None)
    if _other is not None and (not _other_file or _Path(_other_file).resolve().parent != _here):
        # Some other `workers` (e.g. an installed workers-py stub) was imported: replace it.
        for _name in [n for n in _sys.modules if n == _CANONICAL or n.startswith("workers.")]:
            del _sys.modules[_name]
    _importlib.import_module(_CANONICAL)
    for _name, _module in list(_sys.modules.items()):
        if _name == _CANONICAL or _name.startswith(_CANONICAL + "."):
            _sys.modules[__name__ + _name[len(_CANONICAL) :]] = _module
    # The relative imports below now resolve to the canonical submodules (aliased above),
    # and the import system hands importers sys.modules[__name__], i.e. the canonical package.

from . import workflows
from ._entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from ._env import _get_current_env
from ._http import Headers, Request, Response, fetch
from ._jsdict import JsDict, to_js_dict
from ._rpc import python_from_rpc, python_to_rpc
from ._sdk import import_from_javascript, patch_env
from ._types import Body, Context, FetchKwargs, JSBody, RequestInitCfProperties
from .workflows import NonRetryableError

FetchResponse = Response  # workers-py's fetch() result type; here one class serves both

__all__ = [
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "Headers",
    "JSBody",
    "JsDict",
    "NonRetryableError",
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
    "to_js_dict",
    "workflows",
]

# workers-py exports these too; wf does not provide them yet.
_NOT_EMULATED = {
    "Blob": "use bytes",
    "BlobEnding": "use bytes",
    "BlobValue": "use bytes",
    "File": "use bytes",
    "FormData": "parse the body yourself (urllib.parse.parse_qs for urlencoded forms)",
    "FormDataValue": "use str or bytes",
    "wait_until": "use self.ctx.wait_until(...)",
    "waitUntil": "use self.ctx.wait_until(...)",
}


def __getattr__(name: str) -> _Any:
    """Module attributes computed on access: `env` is whatever the emulator set last."""
    if name == "env":
        return _get_current_env()
    if name in _NOT_EMULATED:
        from wf.runtime.pyodide._not_emulated import not_emulated

        raise not_emulated(__name__, name, _NOT_EMULATED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
