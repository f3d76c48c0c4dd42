"""Namespaces, stubs and the objects behind them: one instance per id, kept in memory.

What user code touches has production's shape: ``env.NS`` is the SDK's
``_DurableObjectNamespaceWrapper`` (``idFromName``, ``newUniqueId``, ``idFromString``, ``get``,
``getByName``), a stub is its ``_FetcherWrapper`` (RPC methods with arguments through
``python_to_rpc`` and results through ``python_from_rpc``; ``fetch`` through ``workers.fetch``),
and ``self.ctx`` is ``DurableObjectContext`` (workers-py ``_workers.py``, ``entrypoints.py``).
The object runs its method with arguments through ``python_from_rpc`` and its result through
``python_to_rpc`` (workerd ``src/pyodide/internal/introspection.py``, ``wrapper_func``).

Scheduling follows production's input gate: events reach an object in arrival order, and none
is delivered while a storage call is in progress (every storage call here completes without
yielding) or while ``blockConcurrencyWhile`` runs; a method that awaits anything else
(``asyncio.sleep``, ``fetch``, another object) lets the next event in, as production does.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import traceback
import types
import warnings
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wf.platform.durable_objects._api import Storage, roundtrip
from wf.platform.durable_objects._ids import (
    DurableObjectId,
    id_from_name,
    id_from_string,
    new_unique_id,
)
from wf.platform.durable_objects._schedule import AlarmTimers
from wf.platform.durable_objects._storage import ObjectFile
from wf.runtime.pyodide.ffi import JsException
from wf.runtime.workers._rpc import check_rpc, python_from_rpc, python_to_rpc
from wf.scope import user_code
from wf.usertime import current_clock, user_time

if TYPE_CHECKING:
    from wf.clock import Clock
    from wf.config import DurableObjectConfig

# An object with no event for this long (virtual ms) is evicted: its in-memory state is gone
# and the next event constructs it again. Production hibernates an idle, hibernatable object
# after 10 s and evicts the others after 70-140 s (cloudflare-docs, Lifecycle of a Durable
# Object): wf takes the earliest, so code relying on in-memory state fails here first.
IDLE_EVICT_MS = 10_000.0
# alarm(): retried with exponential backoff from 2 s, at most 6 retries (cloudflare-docs,
# durable-objects/api/alarms).
ALARM_RETRIES = 6
ALARM_FIRST_BACKOFF_MS = 2_000.0
DELETE_ALL_ALARM_DATE = "2026-02-24"
# Handler names the runtime calls with only the arguments the method accepts (relaxed_call).
_HANDLERS = frozenset({"fetch", "alarm"})
_NOT_EMULATED_CTX = {
    "acceptWebSocket": "WebSockets are not emulated by wf",
    "getWebSockets": "WebSockets are not emulated by wf",
    "setWebSocketAutoResponse": "WebSockets are not emulated by wf",
    "getHibernatableWebSocketEventTimeout": "WebSockets are not emulated by wf",
    "getTags": "WebSockets are not emulated by wf",
    "container": "containers are not emulated by wf",
    "wait_until": "a Durable Object's ctx has waitUntil (the JS name)",
}


class DurableObjectAbort(BaseException):
    """``ctx.abort()``: stops the running code; the object is reset."""


class DurableObjectState:
    """``self.ctx`` of a Durable Object: ``id``, ``storage``, ``blockConcurrencyWhile``,
    ``waitUntil``, ``abort``."""

    def __init__(self, host: ObjectHost) -> None:
        self._host = host
        self.id = host.id
        self.storage = Storage(host)

    def __repr__(self) -> str:
        return "<DurableObjectState>"

    def __getattr__(self, name: str) -> Any:
        hint = _NOT_EMULATED_CTX.get(name)
        if hint is not None:
            raise AttributeError(f"ctx.{name}: {hint}")
        raise AttributeError(f"'DurableObjectState' object has no attribute {name!r}")

    def blockConcurrencyWhile(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``callback()`` (awaited if it is async) with no other event delivered meanwhile.

        Its work starts now, as the JS call starts it, so a constructor may call it without
        awaiting; if it raises, the object is reset.
        """
        host = self._host
        host.block()

        async def run() -> Any:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    result = await result
                return roundtrip(result)
            except BaseException:
                host.reset()
                raise
            finally:
                host.unblock()

        return asyncio.ensure_future(run())

    def waitUntil(self, awaitable: Any) -> None:
        """Keep background work alive (a Durable Object lives on anyway)."""
        task = asyncio.ensure_future(awaitable)
        self._host.background.add(task)
        task.add_done_callback(self._host.background.discard)

    def abort(self, reason: str | None = None) -> None:
        """Reset the object and stop the code that called this."""
        self._host.reset()
        raise DurableObjectAbort(reason or "Durable Object abort requested")


class ObjectHost:
    """One object (one id): its storage, its instance while in memory, its gate and alarm."""

    def __init__(self, namespace: NamespaceState, object_id: DurableObjectId) -> None:
        self.namespace = namespace
        self.id = object_id
        self.key = object_id.toString()
        self.file = ObjectFile(namespace.file_path(self.key))
        self.file.remember_name(object_id.name)
        if object_id.name is None:
            self.id = DurableObjectId(self.key, self.file.name())
        self.instance: Any = None
        self.constructions = 0
        self.in_flight = 0
        self.last_event = namespace.clock.now()
        self.background: set[asyncio.Future[Any]] = set()
        self._blocked = 0
        self._open = asyncio.Event()
        self._open.set()

    @property
    def sqlite(self) -> bool:
        return self.namespace.config.sqlite

    def require_sqlite(self, what: str) -> None:
        if not self.sqlite:
            raise JsException(
                "Error",
                f"storage.{what} needs a SQLite-backed Durable Object class: declare "
                f"{self.namespace.config.class_name} in migrations[].new_sqlite_classes, "
                "not new_classes",
            )

    # -- the gate ---------------------------------------------------------------------------

    def block(self) -> None:
        self._blocked += 1
        self._open.clear()

    def unblock(self) -> None:
        self._blocked -= 1
        if self._blocked <= 0:
            self._blocked = 0
            self._open.set()

    async def _admitted(self) -> None:
        while not self._open.is_set():
            await self._open.wait()

    # -- lifecycle --------------------------------------------------------------------------

    def reset(self) -> None:
        """Drop the instance: in-memory state is lost, storage stays."""
        self.instance = None

    def idle_too_long(self, now: float) -> bool:
        return (
            self.instance is not None
            and self.in_flight == 0
            and self._open.is_set()
            and now - self.last_event >= IDLE_EVICT_MS
        )

    def _instance(self) -> Any:
        now = self.namespace.clock.now()
        if self.idle_too_long(now):
            self.reset()
            self.namespace.warn_eviction(self.key)
        if self.instance is None:
            cls = self.namespace.user_class()
            ctx = DurableObjectState(self)
            with user_code(f"Durable Object {cls.__name__} constructor"):
                self.instance = cls(ctx, self.namespace.env())
            self.constructions += 1
        return self.instance

    def _constructed(self) -> Any:
        """The instance; a constructor that raises reaches the caller as an RPC error does."""
        try:
            return self._instance()
        except JsException:
            raise
        except (Exception, DurableObjectAbort) as exc:
            raise _python_error(exc) from None

    async def deliver(self, label: str, run: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run one event (an RPC call, a fetch, an alarm) on the instance, through the gate."""
        clock = self.namespace.clock
        with user_time(None if current_clock() is not None else clock):
            await self._admitted()
            instance = self._constructed()
            await self._admitted()  # a constructor may have called blockConcurrencyWhile
            if self.instance is None:
                instance = self._constructed()
            self.in_flight += 1
            try:
                with user_code(f"Durable Object {type(instance).__name__}.{label}"):
                    return await run(instance)
            finally:
                self.in_flight -= 1
                self.last_event = clock.now()

    # -- alarms -----------------------------------------------------------------------------

    def set_alarm(self, due: float) -> None:
        self.file.set_alarm(due)
        self.namespace.timers.arm(self.key, due, self.run_alarm)

    def delete_alarm(self) -> None:
        self.file.set_alarm(None)
        self.cancel_alarm_timer()

    def cancel_alarm_timer(self) -> None:
        self.namespace.timers.cancel(self.key)

    def rearm(self) -> None:
        """After a restart: the stored alarm is armed again (one interrupted mid-run at once)."""
        due, _, running = self.file.alarm()
        if due is not None:
            now = self.namespace.clock.now()
            self.namespace.timers.arm(self.key, now if running else due, self.run_alarm)

    async def run_alarm(self) -> None:
        due, retries, _ = self.file.alarm()
        if due is None:
            return
        self.file.set_alarm(due, retries=retries, running=True)
        info = python_from_rpc(python_to_rpc({"retryCount": retries, "isRetry": retries > 0}))
        try:
            await self.deliver("alarm", lambda obj: _call_handler(obj, "alarm", [info]))
        except (Exception, DurableObjectAbort) as exc:
            _, _, still_running = self.file.alarm()
            if not still_running:
                return  # the handler set or deleted the alarm itself: that one stands
            self.namespace.alarm_failures.append((self.key, retries, _describe(exc)))
            if retries < ALARM_RETRIES:
                delay = ALARM_FIRST_BACKOFF_MS * 2**retries
                when = self.namespace.clock.now() + delay
                self.file.set_alarm(when, retries=retries + 1)
                self.namespace.timers.arm(self.key, when, self.run_alarm)
                what = f"retrying in {delay / 1000:g} s (retry {retries + 1} of {ALARM_RETRIES})"
            else:
                self.file.set_alarm(None)
                what = f"giving up after {ALARM_RETRIES} retries"
            print(
                f"Durable Object {self.namespace.config.class_name} {self.key}: alarm() failed: "
                f"{_describe(exc)}; {what}",
                file=sys.stderr,
            )
            return
        _, _, still_running = self.file.alarm()
        if still_running:
            self.file.set_alarm(None)

    def close(self) -> None:
        self.file.close()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _call_handler(instance: Any, name: str, args: list[Any]) -> Any:
    """A handler the runtime calls with as many arguments as it takes (``relaxed_call``)."""
    method = getattr(instance, name, None)
    if not callable(method):
        raise JsException(
            "TypeError", f"Durable Object class {type(instance).__name__} has no {name}() handler"
        )
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    if not any(p.kind is p.VAR_POSITIONAL for p in parameters):
        positional = [
            p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        args = args[: len(positional)]
    result = method(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


_METHODS: weakref.WeakKeyDictionary[type, frozenset[str]] = weakref.WeakKeyDictionary()


def rpc_methods(cls: type) -> frozenset[str]:
    """Public functions of the class, as workerd's introspection collects them."""
    found = _METHODS.get(cls)
    if found is None:
        found = _METHODS[cls] = _collect_methods(cls)
    return found


def _collect_methods(cls: type) -> frozenset[str]:
    names = set()
    for name in dir(cls):
        if name.startswith("_"):
            continue
        for base in cls.__mro__:
            if name in base.__dict__:
                if isinstance(base.__dict__[name], types.FunctionType):
                    names.add(name)
                break
    return frozenset(names)


def _python_error(exc: BaseException) -> JsException:
    """A Python exception as the caller of an RPC method sees it: a JS Error whose message is
    Pyodide's PythonError text (the traceback)."""
    if isinstance(exc, JsException):
        return JsException(exc.name, exc.message)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return JsException("Error", f"PythonError: {text}")


class NamespaceState:
    """Every object of one class: made on first use, kept across reloads of the code."""

    def __init__(
        self,
        key: str,
        folder: Path | None,
        clock: Clock,
        timers: AlarmTimers,
        registry: Any,
    ) -> None:
        self.key = key
        self.folder = folder
        self.clock = clock
        self.timers = timers
        self.registry = registry
        self.config: DurableObjectConfig = None  # type: ignore[assignment]  # set by configure
        self.delete_all_deletes_alarm = True
        self.hosts: dict[str, ObjectHost] = {}
        self.alarm_failures: list[tuple[str, int, str]] = []
        self._warned_eviction = False
        # The Worker whose class this is, when it is not the session's first (wf dev -c -c).
        self.script: str | None = None

    def configure(self, config: DurableObjectConfig, delete_all_deletes_alarm: bool) -> None:
        self.config = config
        self.delete_all_deletes_alarm = delete_all_deletes_alarm

    def warn_eviction(self, key: str) -> None:
        """Say once per class that wf's idle eviction delay is its own choice."""
        if self._warned_eviction:
            return
        self._warned_eviction = True
        warnings.warn(
            f"Durable Object {self.config.class_name} {key} was evicted after "
            f"{IDLE_EVICT_MS / 1000:g} s without events, so its in-memory state is gone: "
            "production hibernates idle objects after 10 s and evicts busy-looking ones "
            "after 70-140 s; keep state in ctx.storage",
            RuntimeWarning,
            stacklevel=2,
        )

    def file_path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / f"wf-{key}.sqlite"

    def stored_ids(self) -> list[str]:
        """Ids of every object that has a file (or, in memory, that was used)."""
        found = set(self.hosts)
        if self.folder is not None and self.folder.is_dir():
            found.update(p.stem[3:] for p in self.folder.glob("wf-*.sqlite"))
        return sorted(found)

    def rearm_alarms(self) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for key in self.stored_ids():
            self.host(DurableObjectId(key, None)).rearm()

    def host(self, object_id: DurableObjectId) -> ObjectHost:
        key = object_id.toString()
        found = self.hosts.get(key)
        if found is None:
            found = self.hosts[key] = ObjectHost(self, object_id)
        return found

    def user_class(self) -> type:
        cls = self.registry.user_class(self.config.class_name, self.script)
        if cls is None:
            raise JsException(
                "Error",
                f"Durable Object class {self.config.class_name} is not loaded: the Worker's "
                "code failed to load",
            )
        return cls  # type: ignore[no-any-return]

    def env(self) -> Any:
        return self.registry.env_for(self.script)

    def evict(self) -> int:
        """Drop every instance (their in-memory state); returns how many were in memory."""
        count = 0
        for host in self.hosts.values():
            if host.instance is not None:
                host.reset()
                count += 1
        return count

    def close(self) -> None:
        for host in self.hosts.values():
            host.close()
        self.hosts.clear()


class DurableObjectNamespace:
    """``env.NS``: ids and stubs of one Durable Object class."""

    def __init__(self, state: NamespaceState) -> None:
        self._state = state

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self._state.config.binding}>"

    def _check_local(self) -> None:
        config = self._state.config
        if config.script_name is not None:  # no Worker of the session defines the class
            raise NotImplementedError(
                f"env.{config.binding} is class {config.class_name} of Worker "
                f"{config.script_name!r} ({config.field}.script_name), which is not part of "
                "this session: run both Workers in one wf dev (-c ... -c ...)"
            )

    def idFromName(self, name: Any) -> DurableObjectId:
        """The id of the object named ``name`` (the same name, the same object)."""
        if not isinstance(name, str):
            from wf.runtime.js._coerce import js_string

            name = js_string(name)
        return id_from_name(self._state.key, name)

    def newUniqueId(self, *args: Any, **options: Any) -> DurableObjectId:
        """A new random id (``jurisdiction=`` is accepted and means nothing locally)."""
        return new_unique_id(self._state.key)

    def idFromString(self, text: Any) -> DurableObjectId:
        """An id from its 64 hex digits; TypeError if malformed or of another namespace."""
        return id_from_string(self._state.key, text)

    def get(self, object_id: Any, *args: Any, **options: Any) -> DurableObjectStub:
        """The stub of an object: nothing runs until a method is called."""
        self._check_local()
        if not isinstance(object_id, DurableObjectId):
            raise JsException(
                "TypeError",
                "Failed to execute 'get' on 'DurableObjectNamespace': parameter 1 is not of "
                "type 'DurableObjectId'.",
            )
        id_from_string(self._state.key, object_id.toString())  # another namespace's id fails
        return DurableObjectStub(self._state, object_id)

    def getByName(self, name: Any, *args: Any, **options: Any) -> DurableObjectStub:
        """``get(idFromName(name))``."""
        return self.get(self.idFromName(name))

    def jurisdiction(self, name: Any) -> DurableObjectNamespace:
        """A jurisdiction-restricted namespace: the same objects locally."""
        return self


class DurableObjectStub:
    """A stub: every public method of the class is an awaited RPC call; ``fetch`` an HTTP one."""

    def __init__(self, state: NamespaceState, object_id: DurableObjectId) -> None:
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "id", object_id)
        object.__setattr__(self, "name", object_id.name)

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._state.config.class_name} {self.id.toString()}>"

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # the SDK caches attributes on its wrapper

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        state: NamespaceState = self._state
        object_id: DurableObjectId = self.id

        def method(*args: Any, **kwargs: Any) -> Awaitable[Any]:
            # The SDK converts each argument now (a tuple fails here); keyword arguments
            # become one trailing JS object, as Pyodide passes them to a JS function.
            js_args = [python_to_rpc(a) for a in args]
            if kwargs:
                warnings.warn(
                    f"stub.{name}({', '.join(f'{k}=' for k in kwargs)}): keyword arguments "
                    "reach the Durable Object as one trailing dict argument (Pyodide passes "
                    "them to the JS call as an object); pass them positionally",
                    RuntimeWarning,
                    stacklevel=2,
                )
                js_args.append(python_to_rpc(kwargs))
            # The call is under way before it is awaited, as the JS call is.
            call = asyncio.ensure_future(_rpc(state, object_id, name, js_args))

            async def result() -> Any:
                return await call

            return result()

        object.__setattr__(self, name, method)
        return method

    async def fetch(self, resource: Any, **options: Any) -> Any:
        """``stub.fetch(url_or_request, method=, headers=, body=)``: the object's ``fetch``."""
        from wf.runtime.workers import Request, Response

        if isinstance(resource, Request) and not options:
            request = resource
        else:
            request = Request(resource, **options)
        state: NamespaceState = self._state
        host = state.host(self.id)

        async def run(instance: Any) -> Any:
            try:
                response = await _call_handler(instance, "fetch", [request])
            except (Exception, DurableObjectAbort) as exc:
                raise _python_error(exc) from None
            if not isinstance(response, Response):
                raise JsException(
                    "TypeError",
                    f"{type(instance).__name__}.fetch() must return a workers.Response, "
                    f"got {type(response).__name__}",
                )
            return response

        return await host.deliver("fetch", run)


async def _rpc(
    state: NamespaceState, object_id: DurableObjectId, name: str, js_args: list[Any]
) -> Any:
    host = state.host(object_id)

    async def run(instance: Any) -> Any:
        if name in _HANDLERS or name not in rpc_methods(type(instance)):
            raise JsException(
                "TypeError", f'The RPC receiver does not implement the method "{name}".'
            )
        try:
            result = getattr(instance, name)(*[python_from_rpc(a) for a in js_args])
            if inspect.isawaitable(result):
                result = await result
            check_rpc(result)
            return python_to_rpc(result)
        except (Exception, DurableObjectAbort) as exc:
            raise _python_error(exc) from None

    return python_from_rpc(await host.deliver(name, run))


def delete_all_deletes_alarm(date: str | None, flags: tuple[str, ...]) -> bool:
    """``deleteAll()`` removes the alarm from 2026-02-24 or with ``delete_all_deletes_alarm``
    (``delete_all_preserves_alarm`` keeps it)."""
    if "delete_all_deletes_alarm" in flags:
        return True
    if "delete_all_preserves_alarm" in flags:
        return False
    return date is None or date >= DELETE_ALL_ALARM_DATE
