"""Where user modules come from: our `workers` runtime package first on the path, and user
directories imported from fresh source (never a stale .pyc), apart from venvs and wf itself."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

RUNTIME_PATH: Path = Path(__file__).resolve().parent / "runtime"
PACKAGE_DIR = Path(__file__).resolve().parent  # the emulator itself is never user code
WORKERS = "workers"
# Directories inside a project that hold third-party or tool files, not the user's modules.
FOREIGN_DIRS = frozenset(
    {"site-packages", "dist-packages", "node_modules", "python_modules", "venv", "__pycache__"}
)
USER_ROOTS: set[str] = set()  # resolved roots of every project loaded in this process


def ensure_workers_package() -> ModuleType:
    """Make `import workers` (and `wf.runtime.workers`) resolve to our runtime package."""
    runtime = str(RUNTIME_PATH)
    if runtime not in sys.path:
        sys.path.insert(0, runtime)
    current = sys.modules.get(WORKERS)
    if current is None or not _is_runtime_module(current):
        # A different `workers` (say a workers-py stub in the venv) must not shadow ours.
        for name in [n for n in list(sys.modules) if n == WORKERS or n.startswith("workers.")]:
            del sys.modules[name]
        current = importlib.import_module(WORKERS)
    importlib.import_module("wf.runtime.workers")  # aliases the emulator-side name
    # Our `pyodide` stand-in, never an installed pyodide-py, is what `pyodide.ffi` finds.
    importlib.import_module("wf.runtime.pyodide")
    return current


def _is_runtime_module(module: ModuleType) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().parent == RUNTIME_PATH / WORKERS


class FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles user source on every import, never through a .pyc.

    A .pyc is validated by whole-second mtime and size, so an edit saved within the same
    second that keeps the size would reload stale code.
    """

    def path_stats(self, path: str) -> Mapping[str, Any]:
        raise OSError("wf compiles user modules from source")  # get_code then skips caching


_FILE_FINDER_HOOK = importlib.machinery.FileFinder.path_hook(
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (FreshSourceLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def _user_path_hook(entry: str) -> Any:
    """sys.path_hooks entry: our FileFinder for user directories, ImportError for the rest."""
    path = os.path.realpath(entry or os.getcwd())
    if not any(is_user_path(path, root) for root in USER_ROOTS):
        raise ImportError("not a wf user directory")
    return _FILE_FINDER_HOOK(entry)


def install_path_hook() -> None:
    if _user_path_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _user_path_hook)


def is_user_path(path: str, root: str) -> bool:
    """Whether a resolved path lies in the project `root`, outside venvs and the emulator."""
    if path != root and not path.startswith(root + os.sep):
        return False
    if path == str(PACKAGE_DIR) or path.startswith(str(PACKAGE_DIR) + os.sep):
        return False
    relative = Path(path[len(root) :].lstrip(os.sep)).parts
    return not any(part.startswith(".") or part in FOREIGN_DIRS for part in relative)


def module_paths(module: ModuleType) -> list[str]:
    file = getattr(module, "__file__", None)
    if file:
        return [file]
    return [str(p) for p in getattr(module, "__path__", None) or []]  # namespace packages
