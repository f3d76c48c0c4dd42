"""The platform a Worker's code talks to besides Workflows: D1, KV, R2, Queues, Durable Objects,
Workers AI, static assets.

One module per binding type, each with ``bindings(platform, config) -> {name: object}`` (what
user code finds on ``env``) and ``admin(platform, binding) -> object`` (the handle tests and the
CLI use to seed and inspect). Binding data lives where ``wrangler dev`` keeps it, under
``<project>/.wrangler/state`` (or ``--persist-to DIR``), so the real ``wrangler ... --local``
shares it; in tests it lives in memory or a temporary folder.

Bindings are objects with the current runtime SDK's behaviour (JS method names, results through
``python_from_rpc``); on an older compatibility date they are handed over as raw JsProxy
objects instead (``wf.runtime.pyodide._host``).

A binding wf does not provide yet is still put on ``env``, as an object whose every use says
what it is and that it is not emulated, so nothing is silently dropped.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.config import Config, NotEmulated
    from wf.project import LoadedCode

KINDS = ("d1", "kv", "r2", "ai", "assets", "queues", "durable_objects")


class _Module(Protocol):
    def bindings(self, platform: Platform, config: Config) -> dict[str, Any]: ...

    def admin(self, platform: Platform, binding: str) -> Any: ...


class Platform:
    """Every non-Workflow binding of a project, over one folder (None: in memory)."""

    def __init__(self, root: Path | None, clock: Clock) -> None:
        self.root = root
        self.clock = clock
        self.config: Config | None = None
        # Objects that hold data or connections, kept across reloads: (kind, local id) -> obj.
        self.resources: dict[tuple[str, str], Any] = {}
        self._closers: list[Any] = []

    def bindings(self, config: Config, *, primary: bool = True) -> dict[str, Any]:
        """What ``env`` carries besides workflows and vars, for this config.

        ``primary=False``: for another Worker of the session, which shares the data (by
        binding id, as wrangler's multi-Worker dev does) but not ``config`` (admin handles
        and queue consumers stay the first Worker's; its Durable Objects get its own code
        through ``use_worker_code``).
        """
        if primary:
            self.config = config
        values: dict[str, Any] = {}
        for kind in KINDS:
            if not primary and kind == "queues":
                from wf.platform import queues

                values.update(queues.producers(self, config))
                continue

            values.update(_module(kind).bindings(self, config))
        if not config.runtime_sdk:
            # Before the runtime SDK's date, code gets the raw JS binding (a JsProxy).
            from wf.platform.durable_objects import DurableObjectNamespace
            from wf.runtime.pyodide._host import JsHostObject, raw_binding

            # A binding the SDK never wraps (Workers AI) is raw already; Durable Object
            # namespaces keep the SDK's shape on every date (see README).
            values = {
                name: value
                if isinstance(value, JsHostObject | DurableObjectNamespace)
                else raw_binding(value, name)
                for name, value in values.items()
            }
        for missing in config.not_emulated:
            values.setdefault(missing.binding, Unavailable(missing))
        return values

    def use_code(self, code: LoadedCode, env: Any) -> None:
        """The code and env of the last successful load: Durable Objects are made of them."""
        from wf.platform import durable_objects

        if self.config is not None and self.config.durable_objects:
            durable_objects.code_changed(self, dict(code.durable_object_classes), env)

    def use_worker_code(self, config: Config, code: LoadedCode, env: Any) -> None:
        """Another Worker of the session loaded: its Durable Objects are made of its code."""
        from wf.platform import durable_objects

        if config.durable_objects:
            durable_objects.worker_code_changed(
                self, config.name, dict(code.durable_object_classes), env
            )

    def admin(self, kind: str, binding: str) -> Any:
        """The seeding and inspection handle of one binding (``emu.d1("DB")``...)."""
        if self.config is None:
            raise RuntimeError("the platform has no config yet: call bindings(config) first")
        return _module(kind).admin(self, binding)

    def resource(self, kind: str, local_id: str, make: Any) -> Any:
        """The one object for a database, namespace or bucket, made on first use."""
        key = (kind, local_id)
        found = self.resources.get(key)
        if found is None:
            found = self.resources[key] = make()
            if hasattr(found, "close"):
                self._closers.append(found)
        return found

    def close(self) -> None:
        """Close every database and file the bindings opened."""
        for item in reversed(self._closers):
            item.close()
        self._closers.clear()
        self.resources.clear()


class Unavailable:
    """``env.X`` for a binding wf does not provide yet: every use names it."""

    def __init__(self, missing: NotEmulated) -> None:
        object.__setattr__(self, "_missing", missing)

    def __getattr__(self, name: str) -> Any:
        missing: NotEmulated = object.__getattribute__(self, "_missing")
        raise NotImplementedError(
            f"env.{missing.binding} is a {missing.kind} ({missing.field}): not emulated by wf "
            "yet, so it cannot be used locally"
        )

    def __repr__(self) -> str:
        missing: NotEmulated = object.__getattribute__(self, "_missing")
        return f"<{missing.kind} {missing.binding}: not emulated>"


def _module(kind: str) -> _Module:
    module: Any = importlib.import_module(f"wf.platform.{kind}")
    return module  # type: ignore[no-any-return]
