"""``ctx.storage`` as a Python Durable Object sees it: workerd's ``DurableObjectStorage`` behind
the SDK's ``_BindingWrapper`` (workers-py ``entrypoints.py``, ``DurableObjectContext``).

JS method names; keyword arguments are the JS options object; values go through
``python_to_rpc`` on the way in and ``python_from_rpc`` on the way out (a dict comes back a
``JsDict``, bytes a ``memoryview``, a datetime a JS ``Date``). A call starts its work at once,
as the JS call does, and hands back an awaitable: a ``put`` not awaited still happens.
Limits and words are from cloudflare-docs (durable-objects/api/sqlite-storage-api,
platform/limits).
"""

from __future__ import annotations

import asyncio
import builtins
import datetime
import inspect
import math
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from wf.platform.durable_objects._storage import _MISSING, ObjectFile, encode
from wf.runtime.pyodide.ffi import JsException
from wf.runtime.workers._jsdict import JsDict
from wf.runtime.workers._rpc import check_rpc, python_from_rpc, python_to_rpc

if TYPE_CHECKING:
    from wf.platform.durable_objects._objects import ObjectHost

MAX_KEYS = 128  # keys per get/put/delete call
KV_KEY_MAX = 2048  # KV-backed classes: 2 KiB keys
KV_VALUE_MAX = 128 * 1024 + 32  # 128 KiB values (V8's tagging adds up to 32 bytes)
SQLITE_PAIR_MAX = 2 * 1024 * 1024  # SQLite-backed classes: key and value together 2 MB
SQL_STATEMENT_MAX = 100_000  # bytes
SQL_PARAMS_MAX = 100


def roundtrip(value: Any) -> Any:
    """A value after crossing to JS and back, as the SDK converts it."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value  # the same on both sides: skip the conversions
    if kind is int and -(2**53) <= value <= 2**53:
        return value
    return python_from_rpc(python_to_rpc(value))


def settled(work: Callable[[], Any]) -> Awaitable[Any]:
    """Run ``work`` now; an awaitable of its result (or error) that never yields to the loop,
    so no other request of the object can run in between (the input gate)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        result = work()
    except Exception as exc:
        if loop is None:
            raise
        failed: asyncio.Future[Any] = loop.create_future()
        failed.set_exception(exc)
        return failed
    if loop is None:

        async def value() -> Any:
            return result

        return value()
    done: asyncio.Future[Any] = loop.create_future()
    done.set_result(result)
    return done


def _options(args: tuple[Any, ...], index: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JS options object: a dict at ``index`` and/or the keyword arguments."""
    found = args[index] if len(args) > index else None
    options = dict(found) if isinstance(found, dict) else {}
    options.update(kwargs)
    return options


def _key(value: Any, method: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise JsException(
            "TypeError",
            f"Failed to execute '{method}' on 'DurableObjectStorage': parameter 1 is not of "
            "type 'string'.",
        )
    return roundtrip_string(value)


def roundtrip_string(value: Any) -> str:
    """JS ``String(value)`` for the scalars a key may be given as."""
    from wf.runtime.js._coerce import js_string

    return js_string(value)


class Storage:
    """``ctx.storage``: the asynchronous KV API, alarms, transactions, ``sql`` and ``kv``."""

    def __init__(self, host: ObjectHost) -> None:
        self._host = host
        self._file: ObjectFile = host.file

    def __repr__(self) -> str:
        return "<DurableObjectStorage>"

    # -- checks ---------------------------------------------------------------------------------

    def _check_pair(self, key: str, encoded: str) -> None:
        key_size = len(key.encode("utf-8", "surrogatepass"))
        value_size = len(encoded.encode("utf-8", "surrogatepass"))
        if self._host.sqlite:
            if key_size + value_size > SQLITE_PAIR_MAX:
                raise JsException(
                    "RangeError",
                    f"Key and value combined cannot exceed {SQLITE_PAIR_MAX} bytes.",
                )
            return
        if key_size > KV_KEY_MAX:
            raise JsException("RangeError", f"Keys cannot be larger than {KV_KEY_MAX} bytes.")
        if value_size > KV_VALUE_MAX:
            raise JsException(
                "RangeError", f"Values cannot be larger than {KV_VALUE_MAX - 32} bytes."
            )

    def _check_count(self, keys: list[Any]) -> None:
        if len(keys) > MAX_KEYS:
            raise JsException("RangeError", f"Maximum number of keys is {MAX_KEYS}.")

    def _encoded(self, value: Any) -> str:
        check_rpc(value)
        return encode(value)

    # -- the asynchronous KV API ----------------------------------------------------------------

    def get(self, keys: Any, *args: Any, **options: Any) -> Awaitable[Any]:
        """``get(key)``: the value or None; ``get([keys])``: a dict of the keys found."""

        def work() -> Any:
            if isinstance(keys, list):
                self._check_count(keys)
                names = sorted(
                    {_key(k, "get") for k in keys},
                    key=lambda k: k.encode("utf-8", "surrogatepass"),
                )
                found = {k: self._file.get(k) for k in names}
                return {k: roundtrip(v) for k, v in found.items() if v is not _MISSING}
            value = self._file.get(_key(keys, "get"))
            return None if value is _MISSING else roundtrip(value)

        check_rpc(keys)
        return settled(work)

    def put(self, key: Any, *args: Any, **options: Any) -> Awaitable[None]:
        """``put(key, value)`` or ``put({key: value, ...})``: committed before it returns."""
        if isinstance(key, dict):
            entries = list(key.items())
        else:
            if not args:
                raise TypeError("put() needs a value: put(key, value) or put({key: value})")
            entries = [(key, args[0])]

        def work() -> None:
            self._check_count(entries)
            items = []
            for name, value in entries:
                text = _key(name, "put")
                encoded = self._encoded(value)
                self._check_pair(text, encoded)
                items.append((text, encoded))
            self._file.put(items)

        return settled(work)

    def delete(self, keys: Any, *args: Any, **options: Any) -> Awaitable[Any]:
        """``delete(key)``: whether it existed; ``delete([keys])``: how many existed."""

        def work() -> Any:
            if isinstance(keys, list):
                self._check_count(keys)
                return self._file.delete([_key(k, "delete") for k in keys])
            return self._file.delete([_key(keys, "delete")]) == 1

        check_rpc(keys)
        return settled(work)

    def list(self, *args: Any, **kwargs: Any) -> Awaitable[dict[str, Any]]:
        """``list(start=, startAfter=, end=, prefix=, reverse=, limit=)``: a dict in key order."""
        options = _options(args, 0, kwargs)
        return settled(lambda: {k: roundtrip(v) for k, v in self._list_rows(options)})

    def _list_rows(self, options: dict[str, Any]) -> builtins.list[tuple[str, Any]]:
        for name in options:
            if name in _SNAKE_LIST_OPTIONS:
                warnings.warn(
                    f"storage.list(): {name}= is not a list option and production ignores it; "
                    f"use {_SNAKE_LIST_OPTIONS[name]}=",
                    RuntimeWarning,
                    stacklevel=4,
                )
        start, after = options.get("start"), options.get("startAfter")
        if start is not None and after is not None:
            raise JsException(
                "TypeError", "list() cannot be called with both start and startAfter values."
            )
        limit = options.get("limit")
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
                raise JsException("RangeError", "List limit must be positive.")
            limit = math.floor(limit)
        return self._file.list(
            start=None if start is None else _key(start, "list"),
            start_after=None if after is None else _key(after, "list"),
            end=None if options.get("end") is None else _key(options["end"], "list"),
            prefix=None if options.get("prefix") is None else _key(options["prefix"], "list"),
            reverse=bool(options.get("reverse")),
            limit=limit,
        )

    def deleteAll(self, *args: Any, **options: Any) -> Awaitable[None]:
        """Every key and SQL table; the alarm too from compatibility date 2026-02-24."""

        def work() -> None:
            with_alarm = self._host.namespace.delete_all_deletes_alarm
            self._file.delete_all(alarm=with_alarm)
            if with_alarm:
                self._host.cancel_alarm_timer()

        return settled(work)

    def sync(self) -> Awaitable[None]:
        """Every write is already on disk when its call returns."""
        return settled(lambda: None)

    # -- alarms ---------------------------------------------------------------------------------

    def getAlarm(self, *args: Any, **options: Any) -> Awaitable[int | float | None]:
        """The alarm's time in epoch ms, or None (also while its handler runs)."""

        def work() -> int | float | None:
            due, _, running = self._file.alarm()
            if due is None or running:
                return None
            return int(due) if float(due).is_integer() else due

        return settled(work)

    def setAlarm(self, scheduled: Any, *args: Any, **options: Any) -> Awaitable[None]:
        """``setAlarm(datetime or epoch ms)``: one alarm per object; a past time fires at once."""

        def work() -> None:
            self._host.set_alarm(_alarm_time(scheduled))

        return settled(work)

    def deleteAlarm(self, *args: Any, **options: Any) -> Awaitable[None]:
        """Remove the alarm; a handler already running is not cancelled."""
        return settled(self._host.delete_alarm)

    # -- transactions ---------------------------------------------------------------------------

    def transactionSync(self, callback: Callable[[], Any]) -> Any:
        """``callback()`` in a transaction: rolled back if it raises (SQLite-backed classes)."""
        self._host.require_sqlite("transactionSync")
        with self._file.atomic():
            result = callback()
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise JsException("Error", "transactionSync() callback must not return a Promise.")
        return roundtrip(result)

    async def transaction(self, callback: Callable[[Any], Any]) -> Any:
        """``await transaction(async def fn(txn))``: committed when ``fn`` returns."""
        txn = Transaction(self)
        result: Any = None
        # No other event of the object runs inside the transaction: its writes would join it.
        self._host.block()
        try:
            with self._file.atomic():
                result = callback(txn)
                if inspect.isawaitable(result):
                    result = await result
                if txn.rolled_back:
                    raise _Rollback  # undoes the writes; the callback's result still returns
        except _Rollback:
            pass
        finally:
            self._host.unblock()
        return roundtrip(result)

    # -- SQL and the synchronous KV API (SQLite-backed classes) --------------------------------

    @property
    def sql(self) -> SqlStorage:
        self._host.require_sqlite("sql")
        return SqlStorage(self)

    @property
    def kv(self) -> SyncKV:
        self._host.require_sqlite("kv")
        return SyncKV(self)


_SNAKE_LIST_OPTIONS = {"start_after": "startAfter"}


class _Rollback(Exception):
    """Raised out of ``atomic()`` to undo a transaction whose ``rollback()`` was called."""


def _alarm_time(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return stamp.timestamp() * 1000
    if hasattr(value, "getTime") and callable(value.getTime):
        return float(value.getTime())
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise JsException(
        "TypeError",
        "Failed to execute 'setAlarm' on 'DurableObjectStorage': parameter 1 is not of type "
        "'number or Date'.",
    )


class Transaction:
    """The ``txn`` of ``storage.transaction``: get/put/delete/list and ``rollback()``."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.rolled_back = False

    def _live(self) -> Storage:
        if self.rolled_back:
            raise JsException("Error", "Cannot perform operations on a rolled back transaction.")
        return self._storage

    def get(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return self._live().get(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> Awaitable[None]:
        return self._live().put(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return self._live().delete(*args, **kwargs)

    def list(self, *args: Any, **kwargs: Any) -> Awaitable[dict[str, Any]]:
        return self._live().list(*args, **kwargs)

    def rollback(self) -> None:
        self._live()
        self.rolled_back = True


class SyncKV:
    """``ctx.storage.kv``: the synchronous KV API of SQLite-backed classes."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def get(self, key: Any) -> Any:
        value = self._storage._file.get(_key(key, "get"))
        return None if value is _MISSING else roundtrip(value)

    def put(self, key: Any, value: Any) -> None:
        text = _key(key, "put")
        encoded = self._storage._encoded(value)
        self._storage._check_pair(text, encoded)
        self._storage._file.put([(text, encoded)])

    def delete(self, key: Any) -> bool:
        return self._storage._file.delete([_key(key, "delete")]) == 1

    def list(self, *args: Any, **kwargs: Any) -> Iterator[list[Any]]:
        """``[key, value]`` pairs in key order, as the JS iterator yields them."""
        rows = self._storage._list_rows(_options(args, 0, kwargs))
        return iter([[k, roundtrip(v)] for k, v in rows])


class SqlStorage:
    """``ctx.storage.sql``: ``exec(query, *bindings)`` and ``databaseSize``."""

    def __init__(self, storage: Storage) -> None:
        self._file = storage._file

    def __repr__(self) -> str:
        return "<SqlStorage>"

    @property
    def databaseSize(self) -> int:
        return self._file.size()

    def exec(self, query: Any, *bindings: Any) -> Cursor:
        """Run ``query`` now; several statements run in turn, the last one's rows come back."""
        if not isinstance(query, str):
            raise JsException(
                "TypeError",
                "Failed to execute 'exec' on 'SqlStorage': parameter 1 is not of type 'string'.",
            )
        if len(query.encode("utf-8", "surrogatepass")) > SQL_STATEMENT_MAX:
            raise JsException(
                "Error", f"SQL statement too long: the limit is {SQL_STATEMENT_MAX} bytes"
            )
        if len(bindings) > SQL_PARAMS_MAX:
            raise JsException("Error", f"too many SQL variables: the limit is {SQL_PARAMS_MAX}")
        values = [_sql_value(b) for b in bindings]
        statements = _split(query)
        if len(statements) > 1 and values:
            warnings.warn(
                "sql.exec(): bindings with several statements: wf binds them to the last "
                "statement (production's rule is not documented)",
                RuntimeWarning,
                stacklevel=2,
            )
        db = self._file.db
        before = db.total_changes
        rows: list[tuple[Any, ...]] = []
        columns: list[str] = []
        with self._file.user_sql():
            try:
                with self._file.atomic():
                    for index, statement in enumerate(statements):
                        last = index == len(statements) - 1
                        cursor = db.execute(statement, values if last else [])
                        if last:
                            columns = [d[0] for d in cursor.description or ()]
                            rows = cursor.fetchall()
            except sqlite3_errors() as exc:
                raise _sql_error(exc) from None
        return Cursor(columns, rows, db.total_changes - before)


def sqlite3_errors() -> tuple[type[Exception], ...]:
    import sqlite3

    return (sqlite3.Error,)


def _sql_error(exc: Exception) -> JsException:
    import sqlite3

    message = str(exc)
    code = getattr(exc, "sqlite_errorname", None)
    if isinstance(exc, sqlite3.DatabaseError) and code:
        return JsException("Error", f"{message}: {code}")
    return JsException("Error", message)


def _split(query: str) -> list[str]:
    """The statements of a query (a trailing ``;`` or comment adds none)."""
    import sqlite3

    statements: list[str] = []
    current = ""
    for piece in query.split(";"):
        current += piece
        if sqlite3.complete_statement(current + ";"):
            if current.strip() and not _only_comments(current):
                statements.append(current)
            current = ""
        else:
            current += ";"
    if current.strip() and not _only_comments(current):
        statements.append(current)
    return statements or [query]


def _only_comments(text: str) -> bool:
    lines = [line.strip() for line in text.strip().splitlines()]
    return all(not line or line.startswith("--") for line in lines)


def _sql_value(value: Any) -> Any:
    """A binding as workerd takes it: string, number, null or ArrayBuffer."""
    from wf.runtime.js._streams import JsBuffer

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)  # a JS boolean binds as a number
    if isinstance(value, int | float):
        return value
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, JsBuffer):
        return bytes(value.to_py())
    check_rpc(value)
    raise JsException(
        "TypeError",
        f"Failed to execute 'exec' on 'SqlStorage': a binding of type {type(value).__name__} "
        "is not a string, number, null or ArrayBuffer.",
    )


_warned_rows_read = False


class Cursor:
    """``SqlStorageCursor``: iterate rows (JsDicts), ``toArray()``, ``one()``, ``raw()``,
    ``next()``, ``columnNames``, ``rowsRead``, ``rowsWritten``."""

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]], written: int) -> None:
        self._columns = columns
        self._rows = rows
        self._position = 0
        self.rowsWritten = written

    def __repr__(self) -> str:
        return "<SqlStorageCursor>"

    @property
    def columnNames(self) -> list[str]:
        return list(self._columns)

    @property
    def rowsRead(self) -> int:
        """Rows the cursor has returned so far (production counts the rows SQLite read)."""
        global _warned_rows_read
        if not _warned_rows_read:
            _warned_rows_read = True
            warnings.warn(
                "cursor.rowsRead in wf counts the rows the cursor returned; production counts "
                "the rows SQLite read to produce them, which is more for scans and joins",
                RuntimeWarning,
                stacklevel=2,
            )
        return self._position

    def _take(self) -> tuple[Any, ...] | None:
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return row

    def _object(self, row: tuple[Any, ...]) -> JsDict:
        return JsDict(zip(self._columns, (_sql_result(v) for v in row), strict=True))

    def __iter__(self) -> Iterator[JsDict]:
        while (row := self._take()) is not None:
            yield self._object(row)

    def next(self) -> JsDict:
        """``{done, value}`` as the JS iterator's ``next()``."""
        row = self._take()
        if row is None:
            return JsDict(done=True, value=None)
        return JsDict(done=False, value=self._object(row))

    def toArray(self) -> list[JsDict]:
        return list(self)

    def one(self) -> JsDict:
        rest = self._rows[self._position :]
        self._position = len(self._rows)
        if not rest:
            raise JsException(
                "Error", "Expected exactly one result from SQL query, but got no results."
            )
        if len(rest) > 1:
            raise JsException(
                "Error", "Expected exactly one result from SQL query, but got multiple results."
            )
        return self._object(rest[0])

    def raw(self) -> RawCursor:
        return RawCursor(self)


class RawCursor:
    """``cursor.raw()``: the same rows as lists of values."""

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor

    def __iter__(self) -> Iterator[list[Any]]:
        while (row := self._cursor._take()) is not None:
            yield [_sql_result(v) for v in row]

    def next(self) -> JsDict:
        row = self._cursor._take()
        if row is None:
            return JsDict(done=True, value=None)
        return JsDict(done=False, value=[_sql_result(v) for v in row])

    def toArray(self) -> list[list[Any]]:
        return list(self)


def _sql_result(value: Any) -> Any:
    """A column value as a JS number/string/null/ArrayBuffer reaches Python."""
    if isinstance(value, bytes):
        return memoryview(value)
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)  # Pyodide hands integral JS numbers over as int
    return value
