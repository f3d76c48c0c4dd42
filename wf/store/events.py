"""The store's SQL on buffered events: added, taken in order, listed, dropped."""

from __future__ import annotations

from wf.store.database import Database
from wf.store.rows import EventRow
from wf.vocabulary import InstanceStatus, StepKind, StepState


class EventQueries(Database):
    """The store's SQL on buffered events: added, taken in order, listed, dropped."""

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
