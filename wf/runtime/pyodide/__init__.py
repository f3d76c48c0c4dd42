"""The `pyodide` package user code imports (`from pyodide.ffi import to_js, JsProxy`).

Python Workers run on Pyodide; wf runs on CPython, and this package stands in for the parts
of Pyodide's Python API that Workers code uses: `pyodide.ffi` and `pyodide.http.pyfetch`.
"""

# ruff: noqa: E402  (the alias block must run before the package imports)
from __future__ import annotations

import importlib as _importlib
import sys as _sys
from pathlib import Path as _Path

_CANONICAL = "pyodide"
__version__ = "0.28.2"  # the Pyodide line of Cloudflare's current Python Workers runtime

if __name__ != _CANONICAL:
    # Imported by the emulator as `wf.runtime.pyodide`: alias the canonical modules, so
    # the emulator and user code share one JsProxy class (see workers/__init__.py).
    _here = _Path(__file__).resolve().parent
    if str(_here.parent) not in _sys.path:
        _sys.path.insert(0, str(_here.parent))
    _other = _sys.modules.get(_CANONICAL)
    _other_file = getattr(_other, "__file__", None)
    if _other is not None and (not _other_file or _Path(_other_file).resolve().parent != _here):
        # The real pyodide-py (installed for type hints, say) must not shadow ours.
        for _name in [n for n in _sys.modules if n == _CANONICAL or n.startswith("pyodide.")]:
            del _sys.modules[_name]
    _importlib.import_module(_CANONICAL)
    for _name, _module in list(_sys.modules.items()):
        if _name == _CANONICAL or _name.startswith(_CANONICAL + "."):
            _sys.modules[__name__ + _name[len(_CANONICAL) :]] = _module

from . import ffi

__all__ = ["__version__", "ffi"]
