"""What user code finds on ``env``: Workflow bindings, instance handles and ``vars``.

Every call that changes state returns only once the change is committed: user code that
goes on to answer a request or start a side effect can rely on it surviving a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wf.binding_calls import as_js_error, no_arguments, options_argument
from wf.engine import MAX_BATCH
from wf.errors import WorkflowError
from wf.runtime.workers import JsDict

if TYPE_CHECKING:
    from wf.config import Config
    from wf.engine import Engine


def _options(options: Mapping[str, Any] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Python keyword arguments become one options object, as Pyodide passes them to JS."""
    merged = dict(options or {})
    merged.update(kwargs)
    return merged


class WorkflowInstance:
    """A handle on one instance, as ``create()`` and ``get()`` return it."""

    def __init__(self, engine: Engine, workflow: str, instance_id: str) -> None:
        self._engine = engine
        self._workflow = workflow
        self.id = instance_id

    def __repr__(self) -> str:
        return f"<WorkflowInstance {self._workflow}/{self.id}>"

    async def status(self, *args: Any, **kwargs: Any) -> JsDict:
        """``{"status", "output", "error"}``."""
        no_arguments("status", args, kwargs)
        return JsDict(self._engine.status(self._workflow, self.id))

    async def pause(self, *args: Any, **kwargs: Any) -> None:
        no_arguments("pause", args, kwargs)
        await self._engine.pause(self._workflow, self.id)
        await self._engine.durable()

    async def resume(self, *args: Any, **kwargs: Any) -> None:
        no_arguments("resume", args, kwargs)
        await self._engine.resume(self._workflow, self.id)
        await self._engine.durable()

    async def terminate(self, *args: Any, **kwargs: Any) -> None:
        """Stop the instance; ``rollback`` is read as production reads it (Python steps
        register no rollback handlers, so it changes nothing)."""
        options_argument("terminate", args, kwargs, reads=("rollback",))
        try:
            await self._engine.terminate(self._workflow, self.id)
        except WorkflowError as exc:
            if "(instance.cannot_terminate)" in exc.message:
                raise as_js_error(exc) from None
            raise
        await self._engine.durable()

    async def restart(self, *args: Any, **kwargs: Any) -> None:
        """Run again from scratch, or from a step: ``restart({"from": {"name": ..., "count": 1}})``.

        ``from`` is a Python keyword, so the step goes in a dict; ``restart(from_=...)`` reaches
        production as the key ``from_``, which it does not read: it restarts from scratch.
        """
        options = options_argument("restart", args, kwargs, reads=("from",))
        await self._engine.restart(self._workflow, self.id, options.get("from"))
        await self._engine.durable()

    async def send_event(self, *args: Any, **kwargs: Any) -> None:
        """``send_event(type=..., payload=...)``, or the same keys in one dict."""
        options = options_argument("send_event", args, kwargs, reads=("type", "payload"))
        if options.get("type") is None:
            # sendEvent({type, payload}) destructures its one argument: no type is undefined.
            raise WorkflowError(
                "(workflow.invalid_event_type) send_event() got no event type: it takes one "
                'object, send_event(type=..., payload=...) or send_event({"type": ..., '
                '"payload": ...})'
            )
        self._engine.send_event(self._workflow, self.id, options["type"], options.get("payload"))
        await self._engine.durable()

    sendEvent = send_event

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        no_arguments("delete", args, kwargs)
        await self._engine.delete(self._workflow, self.id)
        await self._engine.durable()


# WorkflowInstanceCreateOptions (workers-types): what production's create() reads.
_CREATE_OPTIONS = ("id", "params", "retention", "locationHint")


class Workflow:
    """A Workflow binding (``env.MY_WORKFLOW``)."""

    def __init__(self, engine: Engine, workflow: str) -> None:
        self._engine = engine
        self.name = workflow

    def __repr__(self) -> str:
        return f"<Workflow {self.name}>"

    async def create(self, *args: Any, **kwargs: Any) -> WorkflowInstance:
        """Queue a new instance: ``create(id=..., params=...)`` or ``create({...})``.

        Production's ``create`` reads one options object: a dict plus keywords reach it as two
        objects and the keywords are ignored there, and here (with a warning).
        """
        options = options_argument("create", args, kwargs, reads=_CREATE_OPTIONS)
        row = self._engine.create(self.name, options, trigger="binding")
        await self._engine.durable()
        return WorkflowInstance(self._engine, self.name, row.id)

    async def create_batch(self, batch: Any = None, **kwargs: Any) -> list[WorkflowInstance]:
        """Queue up to 100 instances; ids already in use are skipped and not returned."""
        if not isinstance(batch, list) or kwargs:
            # workers-py's create_batch iterates what JS createBatch returns: the object form's
            # {created, errors} is not iterable, so the instances exist and the call then fails.
            await self.createBatch(batch, **kwargs)
            raise TypeError(
                "'pyodide.ffi.JsProxy' object is not iterable: create_batch() takes a list; "
                "for the {count}/{instances} form call createBatch(), which returns "
                "{created, errors} (the instances were created)"
            )
        rows = self._engine.create_batch(self.name, list(batch), trigger="binding")
        await self._engine.durable()
        return [WorkflowInstance(self._engine, self.name, row.id) for row in rows]

    async def createBatch(  # the JS name, reached through the SDK's pass-through
        self, batch: Any = None, **kwargs: Any
    ) -> list[WorkflowInstance] | JsDict:
        """The JS method itself: a list gives a list; ``{count}``/``{instances}`` an object.

        The object form returns ``{"created": [...], "errors": [{index, id, code, message}]}``
        (changelog 2026-10-08), reached from Python through the SDK's pass-through, since
        workers-py's ``create_batch`` only iterates an array.
        """
        if isinstance(batch, list) and not kwargs:
            return await self.create_batch(batch)
        rows, errors = self._engine.create_batch_report(
            self.name, _options(batch, kwargs), trigger="binding"
        )
        await self._engine.durable()
        created = [WorkflowInstance(self._engine, self.name, row.id) for row in rows]
        return JsDict({"created": created, "errors": [JsDict(e) for e in errors]})

    async def deleteBatch(  # the JS name: workers-py has no snake_case wrapper for it
        self, ids: Any = None, **kwargs: Any
    ) -> JsDict:
        """Delete 1 to 100 instances: ``{"deleted": [{"id"}], "errors": [{id, code, message}]}``.

        A repeated id is deleted once and reported at each of its positions; an unknown id is
        error 10400 ``workflows.api.error.instance.not_found`` (workers-sdk
        ``workflows-shared/src/binding.ts``).
        """
        if ids is None and "instances" in kwargs:
            ids = kwargs.pop("instances")
        if isinstance(ids, Mapping) and not kwargs:
            ids = ids.get("instances")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise TypeError("deleteBatch() takes a list of instance ids")
        if not 1 <= len(ids) <= MAX_BATCH:
            raise WorkflowError(f"deleteBatch() takes 1 to {MAX_BATCH} instance ids")
        outcome: dict[str, JsDict] = {}
        for instance_id in dict.fromkeys(ids):
            try:
                await self._engine.delete(self.name, instance_id)
                outcome[instance_id] = JsDict({"id": instance_id})
            except WorkflowError as exc:
                missing = exc.kind == "not_found"
                outcome[instance_id] = JsDict(
                    {
                        "id": instance_id,
                        "code": 10400 if missing else 10001,
                        "message": "workflows.api.error.instance.not_found"
                        if missing
                        else "workflows.api.error.internal_server",
                    }
                )
        await self._engine.durable()
        deleted = [JsDict(outcome[i]) for i in ids if "code" not in outcome[i]]
        errors = [JsDict(outcome[i]) for i in ids if "code" in outcome[i]]
        return JsDict({"deleted": deleted, "errors": errors})

    async def get(self, instance_id: str) -> WorkflowInstance:
        """A handle on an existing instance; an unknown id is an error."""
        try:
            self._engine.get(self.name, instance_id)
        except WorkflowError as exc:
            if exc.kind == "not_found":
                raise WorkflowError("instance.not_found", "not_found") from None
            raise
        return WorkflowInstance(self._engine, self.name, instance_id)


class Env:
    """``self.env``: workflow bindings, the platform's bindings (D1, KV, R2...) and ``vars``.

    Shaped like production's env (workers-py's ``_EnvWrapper`` over the JS env): names are
    attributes only, so ``env["NAME"]``, ``"NAME" in env`` and iteration raise TypeError as
    there; ``getattr(env, name)`` and ``hasattr`` work. A var reaches code as the JS runtime
    hands it over: strings as str, numbers as int (safe integers) or float, booleans as bool,
    and JSON objects and arrays as JsProxy objects (attribute access, ``.to_py()``).
    """

    def __init__(
        self,
        engine: Engine,
        platform: Mapping[str, Any] | None = None,
        *,
        config: Config | None = None,
    ) -> None:
        # Another Worker of the session has its own config (vars, bindings) on the same engine.
        config = config if config is not None else engine.config
        values: dict[str, Any] = {name: _var(value) for name, value in config.vars.items()}
        values.update(platform or {})  # D1, KV, R2...: the config rejects clashing names
        for workflow in config.workflows:
            if workflow.binding:  # a Workflow declared only in `exports` has no binding
                values[workflow.binding] = Workflow(engine, workflow.name)
        object.__setattr__(self, "_values", values)
        # js.Date.now() reads the running emulator's virtual clock through the env
        object.__setattr__(self, "_clock", engine.clock)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"env has no binding or var {name!r} (have: {', '.join(sorted(self._values))})"
            ) from None

    def __dir__(self) -> list[str]:
        return sorted(self._values)

    def __repr__(self) -> str:
        return f"<env: {', '.join(sorted(self._values))}>"


# Production's env is workers-py's _EnvWrapper: Python's own errors then read alike
# ("'_EnvWrapper' object is not subscriptable").
Env.__name__ = "_EnvWrapper"


def _var(value: Any) -> Any:
    """A config var as the JS runtime hands it to Python (a `json` binding for non-strings)."""
    from wf.runtime.pyodide._values import as_jsproxy

    return as_jsproxy(value)
