"""``env.DB`` as a Python Worker sees it: workers-py's wrapper over workerd's D1 binding.

Methods keep their JavaScript names (``withSession``, ``getBookmark``); keyword arguments
become one options object, as Pyodide passes them (``raw(columnNames=True)``); results are
``JsDict``s and lists, as ``python_from_rpc`` makes them. As in production the query runs when
the method is called and the method returns a coroutine for its result: an un-awaited
``run()`` still writes, and ``asyncio.create_task(stmt.run())`` works.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from wf.platform.d1._errors import D1Error, SqlFailure
from wf.platform.d1._sql import Database, Outcome
from wf.platform.d1._values import from_sqlite, js_string, to_sqlite
from wf.runtime.workers import JsDict
from wf.runtime.workers._rpc import check_rpc

T = TypeVar("T")
FIRST_UNCONSTRAINED = "first-unconstrained"
FIRST_PRIMARY = "first-primary"
_UNSET: Any = object()


async def _resolved(value: T) -> T:
    return value


async def _rejected(error: BaseException) -> Any:
    raise error


def _settle(call: Callable[..., T], *args: Any) -> Coroutine[Any, Any, T]:
    # Run now, hand back a coroutine: what workers-py returns for a JavaScript promise.
    try:
        value = call(*args)
    except D1Error as exc:
        return _rejected(exc)
    return _resolved(value)


def _d1_error(failure: SqlFailure) -> D1Error:
    return D1Error(f"D1_ERROR: {failure.text}")


def _row(columns: list[str], row: tuple[Any, ...]) -> JsDict:
    # Cells hold no dicts, so fill the JsDict directly instead of converting every value.
    converted = JsDict()
    dict.update(converted, zip(columns, map(from_sqlite, row), strict=True))
    return converted


def _result(outcome: Outcome) -> JsDict:
    meta = JsDict()
    dict.update(meta, outcome.meta)
    dict.__setitem__(meta, "timings", JsDict(outcome.meta["timings"]))
    result = JsDict()
    rows = [_row(outcome.columns, row) for row in outcome.rows]
    dict.update(result, success=True, meta=meta, results=rows)
    return result


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    # Pyodide passes keyword arguments to a JavaScript function as one trailing object.
    return (*args, dict(kwargs)) if kwargs else args


class D1DatabaseSession:
    """``env.DB.withSession(...)``: queries in sequence, with a bookmark of what they saw."""

    def __init__(self, database: Database, constraint_or_bookmark: str) -> None:
        self._database = database
        self._bookmark = constraint_or_bookmark

    def prepare(self, query: str) -> D1PreparedStatement:
        """A statement of this session."""
        return D1PreparedStatement(self, query, [])

    def batch(self, statements: list[D1PreparedStatement]) -> Coroutine[Any, Any, list[JsDict]]:
        """Run the statements in one transaction; one result per statement."""
        check_rpc(statements)
        if not isinstance(statements, list) or not all(
            isinstance(s, D1PreparedStatement) for s in statements
        ):
            raise TypeError("batch() takes a list of prepared statements (db.prepare(...))")
        return _settle(self._batch, statements)

    def getBookmark(self) -> str | None:
        """The latest bookmark this session saw (None before its first query)."""
        if self._bookmark in (FIRST_PRIMARY, FIRST_UNCONSTRAINED):
            return None
        return self._bookmark

    def _batch(self, statements: list[D1PreparedStatement]) -> list[JsDict]:
        try:
            outcomes = self._database.transaction([(s.statement, s.params) for s in statements])
        except SqlFailure as failure:
            raise _d1_error(failure) from None
        self._saw()
        return [_result(outcome) for outcome in outcomes]

    def _query(self, sql: str, params: list[Any]) -> Outcome:
        try:
            outcome = self._database.query(sql, params)
        except SqlFailure as failure:
            raise _d1_error(failure) from None
        self._saw()
        return outcome

    def _saw(self) -> None:
        # Bookmarks only move forward: a session never goes back to an older one.
        latest = self._database.bookmark()
        if self.getBookmark() is None or str(self.getBookmark()) < latest:
            self._bookmark = latest

    def __repr__(self) -> str:
        return f"<D1DatabaseSession {self._database.local_id}>"


class _PrimarySession(D1DatabaseSession):
    """The session behind ``env.DB`` itself: always the primary, never a bookmark."""

    def __init__(self, database: Database) -> None:
        super().__init__(database, FIRST_PRIMARY)

    def _saw(self) -> None:
        pass


class D1Database:
    """``env.DB``: a D1 database binding."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._primary = _PrimarySession(database)

    def prepare(self, query: str) -> D1PreparedStatement:
        """A statement to bind and run: ``env.DB.prepare("SELECT ...").bind(1).first()``."""
        return self._primary.prepare(query)

    def batch(self, statements: list[D1PreparedStatement]) -> Coroutine[Any, Any, list[JsDict]]:
        """Run the statements in one transaction (all or nothing); one result each."""
        return self._primary.batch(statements)

    def exec(self, query: str) -> Coroutine[Any, Any, JsDict]:
        """Run SQL without bindings, one query per line; ``{count, duration}``."""
        if not isinstance(query, str):
            raise TypeError("exec() takes the SQL as a string")
        return _settle(self._exec, query)

    def withSession(
        self,
        constraintOrBookmark: str | None = None,
    ) -> D1DatabaseSession:
        """A session from ``"first-primary"``, ``"first-unconstrained"`` or a bookmark."""
        value = constraintOrBookmark
        if value is not None and not isinstance(value, str):
            raise D1Error("constraintOrBookmark?.trim is not a function", name="TypeError")
        value = (value or "").strip() or FIRST_UNCONSTRAINED
        return D1DatabaseSession(self._database, value)

    def _exec(self, query: str) -> JsDict:
        lines = query.strip().split("\n")
        queries = [(number, line) for number, line in enumerate(lines, 1) if line.strip()]
        try:
            outcomes = self._database.transaction([(line, ()) for _, line in queries])
        except SqlFailure as failure:
            number, line = queries[failure.index] if queries else (1, "")
            raise D1Error(
                f"D1_EXEC_ERROR: Error in line {number}: {line}: {failure.text}"
            ) from None
        return JsDict(count=len(outcomes), duration=sum(o.meta["duration"] for o in outcomes))

    def __repr__(self) -> str:
        return f"<D1Database {self._database.local_id}>"


class D1PreparedStatement:
    """A statement with its bound values; ``bind`` makes a new one."""

    def __init__(self, session: D1DatabaseSession, statement: str, params: list[Any]) -> None:
        if not isinstance(statement, str):
            raise TypeError("prepare() takes the SQL as a string")
        self._session = session
        self.statement = statement
        self.params = params

    def bind(self, *values: Any, **options: Any) -> D1PreparedStatement:
        """A copy of this statement with ``values`` bound to its ``?`` / ``?NNN`` slots."""
        args = _options(values, options)
        check_rpc(list(args))
        return D1PreparedStatement(self._session, self.statement, [to_sqlite(v) for v in args])

    def first(self, *args: Any, **options: Any) -> Coroutine[Any, Any, Any]:
        """The first row as a JsDict (None if none); with a column name, that cell."""
        return _settle(self._first, _options(args, options))

    def all(self) -> Coroutine[Any, Any, JsDict]:
        """``{success, meta, results}`` with every row."""
        return _settle(self._all)

    def run(self) -> Coroutine[Any, Any, JsDict]:
        """As ``all()``: D1 returns the rows of a run too."""
        return _settle(self._all)

    def raw(self, *args: Any, **options: Any) -> Coroutine[Any, Any, list[list[Any]]]:
        """The rows as lists; ``raw(columnNames=True)`` puts the column names first."""
        return _settle(self._raw, _options(args, options))

    def _all(self) -> JsDict:
        return _result(self._session._query(self.statement, self.params))

    def _first(self, args: tuple[Any, ...]) -> Any:
        outcome = self._session._query(self.statement, self.params)
        if not outcome.rows:
            return None
        row = _row(outcome.columns, outcome.rows[0])
        if not args:
            return row
        column = js_string(args[0])
        if column not in row:
            raise D1Error(f"D1_COLUMN_NOTFOUND: Column not found ({column})")
        return row[column]

    def _raw(self, args: tuple[Any, ...]) -> list[list[Any]]:
        outcome = self._session._query(self.statement, self.params)
        options = args[0] if args else None
        names = isinstance(options, dict) and bool(options.get("columnNames"))
        rows = [[from_sqlite(cell) for cell in row] for row in outcome.rows]
        return [list(outcome.columns), *rows] if names else rows

    def __repr__(self) -> str:
        return f"<D1PreparedStatement {self.statement!r}>"
