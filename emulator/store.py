"""SQLite persistence: the schema, its migrations and every SQL statement the emulator runs.

One file per project (or ``:memory:``). Writes go into an open transaction that the engine
commits at the points where durability matters (before a step's code runs, at the end of an
event-loop tick), so the state changes of many instances share one commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.vocabulary import InstanceStatus, StepKind, StepState

SCHEMA_VERSION = 3
_ENCODER = json.JSONEncoder(separators=(",", ":"))
# The statuses an instance never leaves, as an SQL list.
_FINAL_SQL = ", ".join(
    f"'{s}'" for s in (InstanceStatus.COMPLETE, InstanceStatus.ERRORED, InstanceStatus.TERMINATED)
)

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE instances (
        workflow  TEXT NOT NULL,
        id        TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        status    TEXT NOT NULL,
        params    TEXT NOT NULL,
        trigger   TEXT NOT NULL,
        version   TEXT NOT NULL,
        created   REAL NOT NULL,
        started   REAL,
        ended     REAL,
        modified  REAL NOT NULL,
        output    TEXT,
        error     TEXT,
        wake_at   REAL,
        paused_at REAL,
        warnings  TEXT,
        PRIMARY KEY (workflow, id)
    ) WITHOUT ROWID;
    CREATE INDEX instances_by_seq ON instances (workflow, seq);
    CREATE INDEX instances_by_status ON instances (status);
    CREATE TABLE steps (
        workflow TEXT NOT NULL,
        instance TEXT NOT NULL,
        kind     TEXT NOT NULL,
        name     TEXT NOT NULL,
        count    INTEGER NOT NULL,
        pos      INTEGER NOT NULL,
        state    TEXT NOT NULL,
        started  REAL NOT NULL,
        ended    REAL,
        due      REAL,
        output   TEXT,
        error    TEXT,
        config   TEXT,
        attempts TEXT,
        PRIMARY KEY (workflow, instance, kind, name, count)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow  TEXT NOT NULL,
        instance  TEXT NOT NULL,
        type      TEXT NOT NULL,
        payload   TEXT NOT NULL,
        timestamp REAL NOT NULL
    );
    CREATE INDEX events_by_instance ON events (workflow, instance, type, seq);
    """,
    # event.schedule of instances started by a cron schedule: {"cron", "scheduledTime"}
    2: "ALTER TABLE instances ADD COLUMN schedule TEXT;",
    # create(retention=...) of the instance, and when a finished instance is to be removed
    3: """
    ALTER TABLE instances ADD COLUMN retention TEXT;
    ALTER TABLE instances ADD COLUMN expires REAL;
    CREATE INDEX instances_by_expiry ON instances (expires) WHERE expires IS NOT NULL;
    """,
}


@dataclass
class InstanceRow:
    """One workflow instance as stored."""

    workflow: str
    id: str
    seq: int
    status: InstanceStatus
    params: str
    trigger: str
    version: str
    created: float
    started: float | None = None
    ended: float | None = None
    modified: float = 0.0
    output: str | None = None
    error: str | None = None
    wake_at: float | None = None
    paused_at: float | None = None
    warnings: str | None = None
    schedule: str | None = None
    retention: str | None = None  # {"success", "error"} in ms, from create(retention=...)


@dataclass
class StepRow:
    """One step (``do``, ``sleep`` or ``waitForEvent``) of an instance's history."""

    workflow: str
    instance: str
    kind: StepKind
    name: str
    count: int
    pos: int
    state: StepState
    started: float
    ended: float | None = None
    due: float | None = None
    output: str | None = None
    error: str | None = None
    config: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int]:
        """The cache key: kind, name and occurrence count in one pass of ``run()``."""
        return (self.kind, self.name, self.count)


@dataclass
class EventRow:
    """A buffered event not yet consumed by a ``wait_for_event``."""

    seq: int
    type: str
    payload: str
    timestamp: float


_INSTANCE_COLUMNS = (
    "workflow, id, seq, status, params, trigger, version, created, started, ended, modified, "
    "output, error, wake_at, paused_at, warnings, schedule, retention"
)
_STEP_COLUMNS = (
    "workflow, instance, kind, name, count, pos, state, started, ended, due, output, error, "
    "config, attempts"
)


_SAVE_SET = (
    "status = ?, started = ?, ended = ?, modified = ?, output = ?, error = ?, wake_at = ?, "
    "paused_at = ?, warnings = ?, version = ? WHERE workflow = ? AND id = ?"
)
_SAVE_INSTANCE = f"UPDATE instances SET {_SAVE_SET}"
_SAVE_FINISHED = f"UPDATE instances SET expires = ?, {_SAVE_SET}"


class Store:
    """The emulator's state in one SQLite database."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=OFF")
        self._in_tx = False
        # Transactions are numbered: whoever wrote in transaction n knows its writes are on disk
        # once ``committed >= n``, without waiting for a wake-up from the commit.
        self.transactions = 0
        self.committed = 0
        self._closed = False
        self._migrate()

    # -- transactions -------------------------------------------------------------------------

    def _write(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True
            self.transactions += 1
        return self._db.execute(sql, tuple(args))

    @property
    def dirty(self) -> bool:
        """True while writes wait for a commit."""
        return self._in_tx

    def commit(self) -> None:
        """Make every write so far durable."""
        if self._in_tx:
            self._db.execute("COMMIT")
            self._in_tx = False
            self.committed = self.transactions

    def close(self) -> None:
        """Commit and close the database (closing twice is harmless)."""
        if self._closed:
            return
        self.commit()
        self._db.close()
        self._closed = True

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: state was written by a newer wf (schema {version}, "
                f"this wf knows {SCHEMA_VERSION})"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            script = _MIGRATIONS[target]
            if target == 1:
                script = script.replace("CREATE TABLE meta", "CREATE TABLE IF NOT EXISTS meta")
            # The schema change and its version number commit together, or not at all.
            self._db.executescript(
                f"BEGIN;{script}\nINSERT OR REPLACE INTO meta (key, value) "
                f"VALUES ('schema_version', '{target}');COMMIT;"
            )

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- instances ----------------------------------------------------------------------------

    def next_seq(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM instances").fetchone()
        return int(row[0]) + 1

    def insert_instance(self, row: InstanceRow) -> None:
        self._write(
            f"INSERT INTO instances ({_INSTANCE_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _instance_values(row),
        )

    def save_instance(self, row: InstanceRow, *, expires: float | None = None) -> None:
        """Write the row's state; ``expires`` (a finished row's removal time) in the same UPDATE."""
        self._write(
            _SAVE_INSTANCE if expires is None else _SAVE_FINISHED,
            (
                expires,
                row.status,
                row.started,
                row.ended,
                row.modified,
                row.output,
                row.error,
                row.wake_at,
                row.paused_at,
                row.warnings,
                row.version,
                row.workflow,
                row.id,
            )[expires is None :],
        )

    def get_instance(self, workflow: str, instance_id: str) -> InstanceRow | None:
        row = self._db.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE workflow = ? AND id = ?",
            (workflow, instance_id),
        ).fetchone()
        return None if row is None else _instance_from_db(row)

    def existing_ids(self, workflow: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self._db.execute(
                    f"SELECT id FROM instances WHERE workflow = ? AND id IN ({marks})",
                    (workflow, *chunk),
                )
            )
        return found

    def list_instances(
        self,
        workflow: str,
        *,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[InstanceRow]:
        where, args = "workflow = ?", [workflow]
        if status is not None:
            where += " AND status = ?"
            args.append(status)
        order = "DESC" if newest_first else "ASC"
        rows = self._db.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE {where} "
            f"ORDER BY seq {order} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [_instance_from_db(r) for r in rows]

    def count_instances(self, workflow: str, status: str | None = None) -> int:
        if status is None:
            row = self._db.execute(
                "SELECT COUNT(*) FROM instances WHERE workflow = ?", (workflow,)
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM instances WHERE workflow = ? AND status = ?",
                (workflow, status),
            ).fetchone()
        return int(row[0])

    def status_counts(self, workflow: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT status, COUNT(*) FROM instances WHERE workflow = ? GROUP BY status",
            (workflow,),
        )
        return {InstanceStatus(status): int(n) for status, n in rows}

    def search_instances(
        self,
        *,
        workflows: Iterable[str],
        id_contains: str = "",
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[InstanceRow], int]:
        """Instances of any of ``workflows``, newest first, with the total that matched.

        ``id_contains`` matches part of the id (ASCII case ignored); ``since`` and
        ``until`` bound the creation time (epoch ms, inclusive).
        """
        names = list(workflows)
        if not names:
            return [], 0
        where = [f"workflow IN ({', '.join('?' * len(names))})"]
        args: list[Any] = list(names)
        if id_contains:
            escaped = id_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("id LIKE ? ESCAPE '\\'")
            args.append(f"%{escaped}%")
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if since is not None:
            where.append("created >= ?")
            args.append(since)
        if until is not None:
            where.append("created <= ?")
            args.append(until)
        clause = " AND ".join(where)
        total = self._db.execute(f"SELECT COUNT(*) FROM instances WHERE {clause}", args)
        rows = self._db.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE {clause} "
            "ORDER BY created DESC, seq DESC LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        found = [InstanceRow(*r) for r in rows]
        return found, int(total.fetchone()[0])

    def expiring_instances(self, limit: int) -> list[tuple[str, str, float]]:
        """The finished instances next to be removed by retention: (workflow, id, when)."""
        rows = self._db.execute(
            "SELECT workflow, id, expires FROM instances WHERE expires IS NOT NULL "
            "ORDER BY expires LIMIT ?",
            (limit,),
        )
        return [(str(w), str(i), float(e)) for w, i, e in rows]

    def unfinished_instances(self) -> Iterator[InstanceRow]:
        rows = self._db.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances "
            f"WHERE status NOT IN ({_FINAL_SQL}) ORDER BY seq"
        ).fetchall()
        return (_instance_from_db(r) for r in rows)

    def latest_instance(self, workflow: str) -> InstanceRow | None:
        rows = self.list_instances(workflow, limit=1)
        return rows[0] if rows else None

    def set_expiry(self, workflow: str, instance_id: str, expires: float | None) -> None:
        self._write(
            "UPDATE instances SET expires = ? WHERE workflow = ? AND id = ?",
            (expires, workflow, instance_id),
        )

    def next_expiry(self) -> float | None:
        """The earliest time a finished instance is due to be removed."""
        row = self._db.execute(
            "SELECT MIN(expires) FROM instances WHERE expires IS NOT NULL "
            f"AND status IN ({_FINAL_SQL})"
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def expired_instances(self, now: float) -> list[tuple[str, str]]:
        """Finished instances whose retention has run out by ``now``."""
        rows = self._db.execute(
            "SELECT workflow, id FROM instances WHERE expires IS NOT NULL AND expires <= ? "
            f"AND status IN ({_FINAL_SQL}) ORDER BY expires",
            (now,),
        )
        return [(str(w), str(i)) for w, i in rows]

    def delete_instance(self, workflow: str, instance_id: str) -> None:
        self._write("DELETE FROM instances WHERE workflow = ? AND id = ?", (workflow, instance_id))
        self.delete_steps(workflow, instance_id)
        self.delete_events(workflow, instance_id)

    # -- steps --------------------------------------------------------------------------------

    def load_steps(self, workflow: str, instance_id: str) -> list[StepRow]:
        rows = self._db.execute(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE workflow = ? AND instance = ? ORDER BY pos",
            (workflow, instance_id),
        )
        return [_step_from_db(r) for r in rows]

    def save_step(self, step: StepRow) -> None:
        self._write(
            f"INSERT OR REPLACE INTO steps ({_STEP_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                step.workflow,
                step.instance,
                step.kind,
                step.name,
                step.count,
                step.pos,
                step.state,
                step.started,
                step.ended,
                step.due,
                step.output,
                step.error,
                step.config,
                _ENCODER.encode(step.attempts) if step.attempts else None,
            ),
        )

    def delete_steps(self, workflow: str, instance_id: str, from_pos: int = 0) -> None:
        self._write(
            "DELETE FROM steps WHERE workflow = ? AND instance = ? AND pos >= ?",
            (workflow, instance_id, from_pos),
        )

    def shift_step_dues(self, workflow: str, instance_id: str, delta: float) -> None:
        self._write(
            "UPDATE steps SET due = due + ? WHERE workflow = ? AND instance = ? "
            f"AND due IS NOT NULL AND state NOT IN ('{StepState.COMPLETE}', '{StepState.ERRORED}')",
            (delta, workflow, instance_id),
        )

    # -- events -------------------------------------------------------------------------------

    def add_event(
        self, workflow: str, instance_id: str, type_: str, payload: str, timestamp: float
    ) -> None:
        self._write(
            "INSERT INTO events (workflow, instance, type, payload, timestamp) "
            "VALUES (?, ?, ?, ?, ?)",
            (workflow, instance_id, type_, payload, timestamp),
        )

    def take_event(self, workflow: str, instance_id: str, type_: str) -> EventRow | None:
        """Remove and return the oldest buffered event of a type (FIFO)."""
        row = self._db.execute(
            "SELECT seq, type, payload, timestamp FROM events "
            "WHERE workflow = ? AND instance = ? AND type = ? ORDER BY seq LIMIT 1",
            (workflow, instance_id, type_),
        ).fetchone()
        if row is None:
            return None
        self._write("DELETE FROM events WHERE seq = ?", (row[0],))
        return EventRow(*row)

    def pending_events(self, workflow: str, instance_id: str) -> list[EventRow]:
        rows = self._db.execute(
            "SELECT seq, type, payload, timestamp FROM events "
            "WHERE workflow = ? AND instance = ? ORDER BY seq",
            (workflow, instance_id),
        )
        return [EventRow(*r) for r in rows]

    def waiting_with_events(self) -> list[tuple[str, str]]:
        """Waiting instances with a buffered event of the type their ``wait_for_event`` wants."""
        rows = self._db.execute(
            "SELECT DISTINCT s.workflow, s.instance FROM steps s "
            "JOIN instances i ON i.workflow = s.workflow AND i.id = s.instance "
            "JOIN events e ON e.workflow = s.workflow AND e.instance = s.instance "
            "AND e.type = json_extract(s.config, '$.type') "
            f"WHERE i.status = '{InstanceStatus.WAITING}' AND s.kind = '{StepKind.WAIT_FOR_EVENT}' "
            f"AND s.state = '{StepState.WAITING}'"
        )
        return [(str(w), str(i)) for w, i in rows]

    def delete_events(self, workflow: str, instance_id: str) -> None:
        self._write(
            "DELETE FROM events WHERE workflow = ? AND instance = ?", (workflow, instance_id)
        )

    # -- time ---------------------------------------------------------------------------------

    def latest_time(self) -> float | None:
        """The latest virtual time written anywhere (an instance change, a step, an event)."""
        row = self._db.execute(
            "SELECT MAX(t) FROM ("
            "SELECT MAX(modified) AS t FROM instances UNION ALL "
            "SELECT MAX(COALESCE(ended, started)) FROM instances UNION ALL "
            "SELECT MAX(started) FROM steps UNION ALL "
            f"SELECT MAX(ended) FROM steps WHERE kind != '{StepKind.SLEEP}' UNION ALL "
            "SELECT MAX(timestamp) FROM events)"
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    # -- size accounting (benchmarks, tests) ----------------------------------------------------

    def instance_bytes(self, workflow: str, instance_id: str) -> int:
        """Bytes of row data kept for one instance (its row, steps and buffered events)."""
        total = 0
        for table, column in (("instances", "id"), ("steps", "instance"), ("events", "instance")):
            row = self._db.execute(
                f"SELECT SUM(LENGTH(CAST(quote({_all_columns(table)}) AS BLOB))) "
                f"FROM {table} WHERE workflow = ? AND {column} = ?",
                (workflow, instance_id),
            ).fetchone()
            total += int(row[0] or 0)
        return total


def _all_columns(table: str) -> str:
    columns = {
        "instances": _INSTANCE_COLUMNS,
        "steps": _STEP_COLUMNS,
        "events": "seq, workflow, instance, type, payload, timestamp",
    }[table]
    return ") || quote(".join(c.strip() for c in columns.split(","))


def _instance_values(row: InstanceRow) -> tuple[Any, ...]:
    return (
        row.workflow,
        row.id,
        row.seq,
        row.status,
        row.params,
        row.trigger,
        row.version,
        row.created,
        row.started,
        row.ended,
        row.modified,
        row.output,
        row.error,
        row.wake_at,
        row.paused_at,
        row.warnings,
        row.schedule,
        row.retention,
    )


def _instance_from_db(row: tuple[Any, ...]) -> InstanceRow:
    instance = InstanceRow(*row)
    instance.status = InstanceStatus(instance.status)
    return instance


def _step_from_db(row: tuple[Any, ...]) -> StepRow:
    *head, attempts = row
    step = StepRow(*head)
    step.kind = StepKind(step.kind)
    step.state = StepState(step.state)
    step.attempts = json.loads(attempts) if attempts else []
    return step
