"""The store's SQL on instances: insert, save, read, list, search, expire, delete."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from wf.store.events import EventQueries
from wf.store.rows import (
    _INSTANCE_COLUMNS,
    _SAVE_FINISHED,
    _SAVE_INSTANCE,
    ExpiredRow,
    InstanceRow,
    _instance_from_db,
    _instance_values,
    status_and_time_filters,
)
from wf.store.schema import _FINAL_SQL
from wf.store.steps import StepQueries
from wf.vocabulary import InstanceStatus

# Removal-time queries read the partial index on ``expires``: left to itself, SQLite's planner
# picks the status index and walks every finished instance (and sorts them) at each purge.
_BY_EXPIRY = "INDEXED BY instances_by_expiry"


class InstanceQueries(StepQueries, EventQueries):
    """The store's SQL on instances: insert, save, read, list, search, expire, delete.

    An instance owns its steps and events: deleting it deletes them (``StepQueries``,
    ``EventQueries``)."""

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
        status_and_time_filters(where, args, status, since, until)
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
            f"SELECT expires FROM instances {_BY_EXPIRY} WHERE expires IS NOT NULL "
            f"AND status IN ({_FINAL_SQL}) ORDER BY expires LIMIT 1"
        ).fetchone()
        return None if row is None else float(row[0])

    def expired_instances(self, now: float) -> tuple[list[ExpiredRow], float | None]:
        """Finished instances whose retention has run out by ``now``, earliest first, and when
        the next removal after them is due (None: no other finished instance).

        One walk of the expiry index answers both, stopping at the first row not yet due."""
        expired: list[ExpiredRow] = []
        for row in self._db.execute(
            f"SELECT workflow, id, status, retention, expires FROM instances {_BY_EXPIRY} "
            f"WHERE expires IS NOT NULL AND status IN ({_FINAL_SQL}) ORDER BY expires"
        ):
            if row[4] > now:
                return expired, float(row[4])
            expired.append(ExpiredRow(*row))
        return expired, None

    def delete_instance(self, workflow: str, instance_id: str) -> None:
        self._write("DELETE FROM instances WHERE workflow = ? AND id = ?", (workflow, instance_id))
        self.delete_steps(workflow, instance_id)
        self.delete_events(workflow, instance_id)
