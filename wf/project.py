"""Loading the user's Python modules, and reloading them after an edit (hot reload).

A load imports the main module named by the config (plus whatever it imports) from fresh
source, checks the Workflow classes the config names, and returns an immutable LoadedCode.
A failed load leaves the previous modules and LoadedCode in place, so the server keeps
serving the old code while the error is shown.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import linecache
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wf.config import Config

__all__ = [
    "RUNTIME_PATH",
    "LoadError",
    "LoadedCode",
    "Project",
    "WorkerError",
    "call_fetch",
    "call_queue",
    "call_scheduled",
    "ensure_workers_package",
]

RUNTIME_PATH: Path = Path(__file__).resolve().parent / "runtime"
_PACKAGE_DIR = Path(__file__).resolve().parent  # the emulator itself is never user code
_WORKERS = "workers"
# Directories inside a project that hold third-party or tool files, not the user's modules.
_FOREIGN_DIRS = frozenset(
    {"site-packages", "dist-packages", "node_modules", "python_modules", "venv", "__pycache__"}
)

# One load at a time, process-wide: loads edit the shared sys.modules and sys.path.
_LOAD_LOCK = threading.RLock()
_ROOTS: set[str] = set()  # resolved roots of every project loaded in this process
_ADDED_PATHS: dict[str, list[str]] = {}  # root -> sys.path entries its loads added


@dataclass(frozen=True, eq=False)  # identity: each load is its own generation
class LoadedCode:
    """The result of one successful load of the user's code."""

    generation: int
    modules: Mapping[str, ModuleType]
    workflow_classes: Mapping[str, type]
    worker: type | None
    on_fetch: Callable[..., Any] | None
    files: tuple[Path, ...]
    # Module-level handlers of the older style: on_queue(batch, env), on_scheduled(event, env)
    on_queue: Callable[..., Any] | None = None
    on_scheduled: Callable[..., Any] | None = None
    # durable_objects.bindings[].class_name -> the DurableObject subclass in the main module
    durable_object_classes: Mapping[str, type] = field(default_factory=lambda: MappingProxyType({}))


class LoadError(Exception):
    """User code that cannot be loaded: `str(err)` is `FILE:LINE: Type: message`.

    FILE is relative to the project root; `traceback_text` holds the formatted traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        traceback_text: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.traceback_text = traceback_text or message + "\n"


def ensure_workers_package() -> ModuleType:
    """Make `import workers` (and `wf.runtime.workers`) resolve to our runtime package."""
    runtime = str(RUNTIME_PATH)
    if runtime not in sys.path:
        sys.path.insert(0, runtime)
    current = sys.modules.get(_WORKERS)
    if current is None or not _is_runtime_module(current):
        # A different `workers` (say a workers-py stub in the venv) must not shadow ours.
        for name in [n for n in list(sys.modules) if n == _WORKERS or n.startswith("workers.")]:
            del sys.modules[name]
        current = importlib.import_module(_WORKERS)
    importlib.import_module("wf.runtime.workers")  # aliases the emulator-side name
    # Our `pyodide` stand-in, never an installed pyodide-py, is what `pyodide.ffi` finds.
    importlib.import_module("wf.runtime.pyodide")
    return current


def _is_runtime_module(module: ModuleType) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().parent == RUNTIME_PATH / _WORKERS


class _FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles user source on every import, never through a .pyc.

    A .pyc is validated by whole-second mtime and size, so an edit saved within the same
    second that keeps the size would reload stale code.
    """

    def path_stats(self, path: str) -> Mapping[str, Any]:
        raise OSError("wf compiles user modules from source")  # get_code then skips caching


_FILE_FINDER_HOOK = importlib.machinery.FileFinder.path_hook(
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (_FreshSourceLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def _user_path_hook(entry: str) -> Any:
    """sys.path_hooks entry: our FileFinder for user directories, ImportError for the rest."""
    path = os.path.realpath(entry or os.getcwd())
    if not any(_is_user_path(path, root) for root in _ROOTS):
        raise ImportError("not a wf user directory")
    return _FILE_FINDER_HOOK(entry)


def _install_path_hook() -> None:
    if _user_path_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _user_path_hook)


def _is_user_path(path: str, root: str) -> bool:
    """Whether a resolved path lies in the project `root`, outside venvs and the emulator."""
    if path != root and not path.startswith(root + os.sep):
        return False
    if path == str(_PACKAGE_DIR) or path.startswith(str(_PACKAGE_DIR) + os.sep):
        return False
    relative = Path(path[len(root) :].lstrip(os.sep)).parts
    return not any(part.startswith(".") or part in _FOREIGN_DIRS for part in relative)


def _module_paths(module: ModuleType) -> list[str]:
    file = getattr(module, "__file__", None)
    if file:
        return [file]
    return [str(p) for p in getattr(module, "__path__", None) or []]  # namespace packages


class Project:
    """The user's code for one config: loads it, and reloads it on demand."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = Path(config.root).resolve()
        # An assets-only project has no module: its loads are empty, and messages name the config.
        self.assets_only = config.main is None
        self.main = Path(config.main or config.path).resolve()
        self.main_name = self.main.stem
        self._root_key = str(self.root)
        self._code: LoadedCode | None = None
        self._generation = 0

    @property
    def code(self) -> LoadedCode:
        """The last successful load; RuntimeError before the first one."""
        if self._code is None:
            raise RuntimeError("the project's code has not been loaded yet")
        return self._code

    def load(self) -> LoadedCode:
        """Import the user's code afresh; on LoadError the previous code stays current."""
        if self.assets_only:
            self._generation += 1
            self._code = _no_code(self._generation)
            return self._code
        with _LOAD_LOCK:
            ensure_workers_package()
            _ROOTS.add(self._root_key)
            _install_path_hook()
            self._set_sys_path()
            previous = self._purge()
            importlib.invalidate_caches()
            linecache.checkcache()  # tracebacks must show the edited source
            try:
                main = self._import_main()
                code = self._collect(main)
            except LoadError:
                self._restore(previous)
                raise
            except (Exception, SystemExit) as exc:  # user code must not take the server down
                self._restore(previous)
                raise self._error_from(exc) from None
            self._code = code
            return code

    # sys.path and sys.modules bookkeeping

    def _set_sys_path(self) -> None:
        """Runtime first, then the main module's directory, then the project root."""
        for root, added in _ADDED_PATHS.items():
            if root != self._root_key:  # another project's siblings must not shadow ours
                for entry in added:
                    if entry in sys.path:
                        sys.path.remove(entry)
        wanted = list(dict.fromkeys([str(self.main.parent), self._root_key]))
        for entry in wanted:
            if entry in sys.path:
                sys.path.remove(entry)
        position = sys.path.index(str(RUNTIME_PATH)) + 1
        sys.path[position:position] = wanted
        _ADDED_PATHS[self._root_key] = wanted
        for key in list(sys.path_importer_cache):
            # Finders cached before our hook was installed would use .pyc files.
            if any(_is_user_path(os.path.realpath(key or "."), root) for root in _ROOTS):
                del sys.path_importer_cache[key]

    def _is_user_module(self, module: ModuleType, roots: Iterable[str]) -> bool:
        # No realpath here: it costs syscalls per module, and user modules come from the
        # resolved directories _set_sys_path puts on sys.path, so their paths are resolved.
        return any(
            _is_user_path(os.path.normpath(path), root)
            for path in _module_paths(module)
            for root in roots
        )

    def _purge(self) -> dict[str, ModuleType]:
        """Drop every user module (of any project) from sys.modules; return them."""
        removed: dict[str, ModuleType] = {}
        for name, module in list(sys.modules.items()):
            if name == "__main__" or module is None:
                continue
            if name == self.main_name or self._is_user_module(module, _ROOTS):
                removed[name] = sys.modules.pop(name)
        return removed

    def _restore(self, previous: dict[str, ModuleType]) -> None:
        for name, module in list(sys.modules.items()):
            if name == self.main_name or (
                module is not None and self._is_user_module(module, [self._root_key])
            ):
                del sys.modules[name]
        sys.modules.update(previous)

    # importing and checking

    def _import_main(self) -> ModuleType:
        if not self.main.is_file():
            raise LoadError(f"{self._display(self.main)}: main module not found", path=self.main)
        loader = _FreshSourceLoader(self.main_name, str(self.main))
        spec = importlib.util.spec_from_file_location(self.main_name, self.main, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.main_name] = module
        loader.exec_module(module)
        return module

    def _collect(self, main: ModuleType) -> LoadedCode:
        workers = sys.modules[_WORKERS]
        base_workflow: type = workers.WorkflowEntrypoint
        base_worker: type = workers.WorkerEntrypoint
        main_display = self._display(self.main)

        classes: dict[str, type] = {}
        for index, workflow in enumerate(self.config.workflows):
            class_name = workflow.class_name
            if not class_name:
                continue  # a binding to a Workflow of another Worker (script_name)
            # With script_name naming another Worker the class lives there, not here.
            external = bool(workflow.script_name) and workflow.script_name != getattr(
                self.config, "name", None
            )
            where = f"workflows[{index}].class_name"
            found = getattr(main, class_name, None)
            if found is None:
                if external:
                    continue
                defined = sorted(
                    name
                    for name, value in vars(main).items()
                    if isinstance(value, type)
                    and issubclass(value, base_workflow)
                    and value is not base_workflow
                )
                hint = (
                    f" (WorkflowEntrypoint classes there: {', '.join(defined)})" if defined else ""
                )
                raise LoadError(
                    f'{self._config_display()}: class "{class_name}" ({where}) '
                    f"not found in {main_display}{hint}",
                    path=self._config_path(),
                )
            if not (isinstance(found, type) and issubclass(found, base_workflow)):
                line = _definition_line(found)
                raise LoadError(
                    f'{main_display}{f":{line}" if line else ""}: "{class_name}" ({where}) '
                    "must be a class that subclasses workers.WorkflowEntrypoint",
                    path=self.main,
                    line=line,
                )
            classes[class_name] = found

        worker = getattr(main, "Default", None)
        if worker is not None and not (
            isinstance(worker, type) and issubclass(worker, base_worker)
        ):
            line = _definition_line(worker)
            raise LoadError(
                f'{main_display}{f":{line}" if line else ""}: "Default" must be a class that '
                "subclasses workers.WorkerEntrypoint",
                path=self.main,
                line=line,
            )
        on_fetch = getattr(main, "on_fetch", None)
        on_queue = getattr(main, "on_queue", None)
        on_scheduled = getattr(main, "on_scheduled", None)
        durable_objects = self._durable_objects(main, workers.DurableObject)

        modules = {
            name: module
            # a copy: another thread may be importing while we look
            for name, module in list(sys.modules.items())
            if module is not None and self._is_user_module(module, [self._root_key])
        }
        modules[self.main_name] = main
        files = sorted(
            {Path(module.__file__).resolve() for module in modules.values() if module.__file__}
        )
        self._generation += 1
        return LoadedCode(
            generation=self._generation,
            modules=MappingProxyType(modules),
            workflow_classes=MappingProxyType(classes),
            worker=worker,
            on_fetch=on_fetch if callable(on_fetch) else None,
            files=tuple(files),
            on_queue=on_queue if callable(on_queue) else None,
            on_scheduled=on_scheduled if callable(on_scheduled) else None,
            durable_object_classes=MappingProxyType(durable_objects),
        )

    def _durable_objects(self, main: ModuleType, base: type) -> dict[str, type]:
        """The classes ``durable_objects.bindings[]`` name, found in the main module as
        production finds them (a deploy fails when one is missing)."""
        classes: dict[str, type] = {}
        for entry in getattr(self.config, "durable_objects", ()):
            if entry.script_name is not None:
                continue  # a class of another Worker
            found = getattr(main, entry.class_name, None)
            where = f"{entry.field}.class_name"
            if found is None:
                defined = sorted(
                    name
                    for name, value in vars(main).items()
                    if isinstance(value, type) and issubclass(value, base) and value is not base
                )
                hint = f" (DurableObject classes there: {', '.join(defined)})" if defined else ""
                raise LoadError(
                    f'{self._config_display()}: class "{entry.class_name}" ({where}) '
                    f"not found in {self._display(self.main)}{hint}",
                    path=self._config_path(),
                )
            if not (isinstance(found, type) and issubclass(found, base)):
                line = _definition_line(found)
                raise LoadError(
                    f"{self._display(self.main)}{f':{line}' if line else ''}: "
                    f'"{entry.class_name}" ({where}) must be a class that subclasses '
                    "workers.DurableObject",
                    path=self.main,
                    line=line,
                )
            classes[entry.class_name] = found
        return classes

    # error reporting

    def _error_from(self, exc: BaseException) -> LoadError:
        """A LoadError pointing at the user's line, with the traceback from user code down."""
        path: Path | None = None
        line: int | None = None
        if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
            path, line = Path(exc.filename), exc.lineno
            message = exc.msg
        else:
            for frame in traceback.extract_tb(exc.__traceback__):
                if self._in_project(frame.filename):
                    path, line = Path(frame.filename), frame.lineno
            message = str(exc)
        where = f"{self._display(path)}:{line}" if path and line else self._display(self.main)
        kind = type(exc).__name__
        text = f"{where}: {kind}: {message}" if message else f"{where}: {kind}"
        tb: TracebackType | None = exc.__traceback__
        while tb is not None and not self._in_project(tb.tb_frame.f_code.co_filename):
            tb = tb.tb_next  # hide the loader's own frames
        details = "".join(traceback.format_exception(type(exc), exc, tb))
        return LoadError(text, path=path or self.main, line=line, traceback_text=details)

    def _in_project(self, filename: str) -> bool:
        return _is_user_path(os.path.realpath(filename), self._root_key)

    def _display(self, path: Path | None) -> str:
        if path is None:
            return "?"
        resolved = path.resolve()
        if resolved.is_relative_to(self.root):
            return resolved.relative_to(self.root).as_posix()
        return str(path)

    def _config_path(self) -> Path | None:
        path = getattr(self.config, "path", None)
        return Path(path) if path else None

    def _config_display(self) -> str:
        path = self._config_path()
        return self._display(path) if path else self._display(self.main)


def _no_code(generation: int) -> LoadedCode:
    """The load of an assets-only project: no modules, no handlers."""
    empty: Mapping[str, Any] = MappingProxyType({})
    return LoadedCode(generation, empty, empty, None, None, ())


def _definition_line(value: Any) -> int | None:
    """Line where a class or function is defined, when Python can tell."""
    try:
        return inspect.getsourcelines(value)[1]
    except (OSError, TypeError):
        return None


class WorkerError(TypeError):
    """The Worker has no fetch handler, or its handler returned something not a Response."""


async def call_fetch(code: LoadedCode, request: Any, env: Any, ctx: Any) -> Any:
    """Run the Worker's fetch handler: ``Default(WorkerEntrypoint).fetch`` or ``on_fetch``.

    Returns the handler's ``workers.Response``; its exceptions propagate to the caller.
    """
    from wf.runtime.workers import Response

    if code.worker is not None:
        handler = getattr(code.worker(ctx, env), "fetch", None)
        if handler is None:
            raise WorkerError(
                "the Worker's Default class has no fetch method: "
                "define async def fetch(self, request)"
            )
        result = handler(request)
    elif code.on_fetch is not None:
        result = code.on_fetch(*_on_fetch_args(code.on_fetch, request, env, ctx))
    else:
        raise WorkerError(
            "the project has no Worker: define class Default(WorkerEntrypoint) with "
            "async def fetch(self, request), or async def on_fetch(request, env)"
        )
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, Response):
        raise WorkerError(
            f"the fetch handler must return a workers.Response, got {type(result).__name__}"
        )
    return result


def _on_fetch_args(handler: Any, request: Any, env: Any, ctx: Any) -> tuple[Any, ...]:
    """``on_fetch(request)``, ``on_fetch(request, env)`` or ``on_fetch(request, env, ctx)``."""
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return (request, env)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return (request, env, ctx)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (request, env, ctx)[: max(1, min(3, len(positional)))]


async def call_queue(code: LoadedCode, batch: Any, env: Any, ctx: Any) -> None:
    """Run the Worker's queue handler: ``Default.queue(self, batch)`` or ``on_queue``."""
    await _call_event(code, "queue", code.on_queue, batch, env, ctx, "batch")


async def call_scheduled(code: LoadedCode, controller: Any, env: Any, ctx: Any) -> None:
    """Run the Worker's cron handler: ``Default.scheduled(self, controller)`` or
    ``on_scheduled``."""
    await _call_event(code, "scheduled", code.on_scheduled, controller, env, ctx, "controller")


async def _call_event(
    code: LoadedCode,
    name: str,
    module_handler: Callable[..., Any] | None,
    argument: Any,
    env: Any,
    ctx: Any,
    parameter: str,
) -> None:
    # A class entrypoint's handler gets only the event (env and ctx are on self), as workerd
    # calls a WorkerEntrypoint's methods; a module-level one gets (event, env, ctx).
    if code.worker is not None:
        handler = getattr(code.worker(ctx, env), name, None)
        if handler is None:
            raise WorkerError(
                f"the Worker's Default class has no {name} method: "
                f"define async def {name}(self, {parameter})"
            )
        result = handler(argument)
    elif module_handler is not None:
        result = module_handler(*_on_fetch_args(module_handler, argument, env, ctx))
    else:
        raise WorkerError(
            f"the project has no {name} handler: define class Default(WorkerEntrypoint) with "
            f"async def {name}(self, {parameter})"
        )
    if inspect.isawaitable(result):
        await result
