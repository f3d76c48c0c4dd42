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
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from wf.user_imports import (
    RUNTIME_PATH,
    WORKERS,
    FreshSourceLoader,
    ensure_workers_package,
    install_path_hook,
    is_user_path,
    module_paths,
)
from wf.user_imports import (
    USER_ROOTS as _ROOTS,  # the name tests and older callers read
)
from wf.worker_code import LoadedCode, WorkerError, call_fetch, call_queue, call_scheduled

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

# One load at a time, process-wide: loads edit the shared sys.modules and sys.path.
_LOAD_LOCK = threading.RLock()
_ADDED_PATHS: dict[str, list[str]] = {}  # root -> sys.path entries its loads added


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
            install_path_hook()
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
            if any(is_user_path(os.path.realpath(key or "."), root) for root in _ROOTS):
                del sys.path_importer_cache[key]

    def _is_user_module(self, module: ModuleType, roots: Iterable[str]) -> bool:
        # No realpath here: it costs syscalls per module, and user modules come from the
        # resolved directories _set_sys_path puts on sys.path, so their paths are resolved.
        return any(
            is_user_path(os.path.normpath(path), root)
            for path in module_paths(module)
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
        loader = FreshSourceLoader(self.main_name, str(self.main))
        spec = importlib.util.spec_from_file_location(self.main_name, self.main, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.main_name] = module
        loader.exec_module(module)
        return module

    def _collect(self, main: ModuleType) -> LoadedCode:
        workers = sys.modules[WORKERS]
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
        return is_user_path(os.path.realpath(filename), self._root_key)

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
