"""The store's SQL on steps: an instance's history, written and rewritten."""

from __future__ import annotations

import json

from wf.store.database import Database
from wf.store.rows import _STEP_COLUMNS, StepRow, _step_from_db
from wf.vocabulary import StepState

_ENCODER = json.JSONEncoder(separators=(",", ":"))


class StepQueries(Database):
    """The store's SQL on steps: an instance's history, written and rewritten."""

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
