"""``Engine``: the facade over instances that the bindings, the server and the harness call.

It starts and stops the engine, creates instances, and reads them; the verbs on one instance
are ``lifecycle``'s, the passes of ``run()`` ``passes``'s, and the state they share ``base``'s.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wf import realtime, serialization, usertime
from wf.clock import valid_snapshot
from wf.durations import to_iso
from wf.engine.base import EngineEvent, WorkflowHome
from wf.engine.creation import batch_entries, creation_retention, prepare
from wf.engine.lifecycle import Lifecycle
from wf.engine.limits import MAX_BATCH
from wf.errors import WorkflowError
from wf.retention import Retention
from wf.store import InstanceRow, StepRow, Store
from wf.vocabulary import EventKind, InstanceStatus

if TYPE_CHECKING:
    from wf.config import Config

__all__ = ["Engine", "EngineEvent", "WorkflowHome", "saved_clock"]


class Engine(Lifecycle):
    """Runs every instance of a project's workflows against one store and one clock."""

    # -- lifecycle of the engine ----------------------------------------------------------------

    async def start(self) -> None:
        """Resume every unfinished instance from the store."""
        if not self._time_installed:  # user code sees this clock, in UTC, while we run
            usertime.install()
            self._time_installed = True
        # The position in time continues, never earlier than any time already stored; mode
        # and scale are the caller's choice.
        self.clock.restore(
            saved_clock(self.store),
            mode=self.clock.mode,
            scale=self.clock.scale,
            at_least=self.store.latest_time(),
        )
        self._save_clock()
        now = self.clock.now()
        for row in self.store.unfinished_instances():
            key = (row.workflow, row.id)
            if row.status in (InstanceStatus.QUEUED, InstanceStatus.RUNNING):
                self._wake(key)
            elif row.status == InstanceStatus.WAITING_FOR_PAUSE:
                row.status, row.paused_at = InstanceStatus.PAUSED, now
                self._save(row)
            elif row.status == InstanceStatus.WAITING:
                self._schedule(key, row.wake_at if row.wake_at is not None else now)
        # An event stored before a crash but not yet taken: its waiter takes it now, not at
        # its timeout.
        for key in self.store.waiting_with_events():
            self._wake(key)
        self._arm_schedules()
        self._arm_expiry()
        self.commit()
        if not self._live:
            self.clock.notify_idle()

    async def close(self) -> None:
        """Stop executing (instances stay where they are) and commit."""
        if self._closed:
            return
        self._closed = True
        if self._time_installed:
            usertime.uninstall()
        self._timers.cancel_all()
        for live in list(self._live.values()):
            if live.task is not None:
                live.task.cancel()
        tasks = [live.task for live in self._live.values() if live.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._save_clock()
        self.commit()

    def reload(self, classes: Mapping[str, type], config: Config | None = None) -> None:
        """Use new code: live instances are cancelled where they are and replayed with it."""
        self._classes = dict(classes)
        if config is not None:
            self.config = config
            self._workflows = self._workflow_map()
            self.env = self._make_env()
            self._arm_schedules()
        self.version = str(uuid.uuid4())
        for key, live in list(self._live.items()):
            if live.task is not None:
                live.task.cancel()
                live.task.add_done_callback(functools.partial(self._rewake_after_reload, key))

    def set_homes(self, homes: Mapping[str, WorkflowHome]) -> None:
        """The workflows of the session's other Workers and the code they run now.

        Live instances of a workflow whose class changed are cancelled where they are and
        replayed with the new code, as ``reload`` does for this Worker's own.
        """
        changed = {
            name
            for name in set(homes) | set(self._homes)
            if (homes.get(name) and homes[name].cls)
            is not (self._homes.get(name) and self._homes[name].cls)
        }
        self._homes = dict(homes)
        self._workflows = self._workflow_map()
        if self._time_installed:
            # Only once started: reading the clock before start() restores it would save
            # (lease) an unrestored time over the stored one; start() arms schedules itself.
            self._arm_schedules()
        for key, live in list(self._live.items()):
            if key[0] in changed and live.task is not None:
                live.task.cancel()
                live.task.add_done_callback(functools.partial(self._rewake_after_reload, key))

    def _rewake_after_reload(self, key: tuple[str, str], _task: asyncio.Task[None]) -> None:
        self._wake(key)

    # -- creating -------------------------------------------------------------------------------

    def _insert(
        self,
        workflow: str,
        instance_id: str,
        params: str,
        trigger: str,
        schedule: str | None = None,
        *,
        retention: Retention | None = None,
    ) -> InstanceRow:
        now = self.clock.now()
        row = InstanceRow(
            workflow=workflow,
            id=instance_id,
            seq=self._seq,
            status=InstanceStatus.QUEUED,
            params=params,
            trigger=trigger,
            version=self.version,
            created=now,
            modified=now,
            schedule=schedule,
            retention=retention.to_json() if retention is not None else None,
        )
        self._seq += 1
        self.store.insert_instance(row)
        for event_type, payload in self.hooks.instance_created(workflow, instance_id):
            self.store.add_event(
                workflow, instance_id, event_type, serialization.dumps(payload), now
            )
        self.request_commit()
        self.emit(EventKind.QUEUED, row, trigger=trigger)
        self._wake((workflow, instance_id), row, fresh=True)
        return row

    def create(
        self, workflow: str, options: Mapping[str, Any] | None = None, *, trigger: str = "api"
    ) -> InstanceRow:
        """Queue a new instance; an id already in use is an error, as in production."""
        self.workflow(workflow)
        instance_id, params = prepare(options)
        retention = creation_retention(options)
        if self.store.get_instance(workflow, instance_id) is not None:
            raise WorkflowError(
                f"(instance.already_exists) Workflow instance '{instance_id}' already exists; "
                "ids are unique per workflow (use restart to run it again)",
                "conflict",
            )
        return self._insert(workflow, instance_id, params, trigger, retention=retention)

    def create_batch(
        self, workflow: str, batch: list[Mapping[str, Any]], *, trigger: str = "api"
    ) -> list[InstanceRow]:
        """Queue many instances; ids already in use are skipped and left out of the result."""
        self.workflow(workflow)
        if not isinstance(batch, list) or not batch:
            raise WorkflowError("batchCreate should have at least 1 instance")
        if len(batch) > MAX_BATCH:
            raise WorkflowError(f"batchCreate takes at most {MAX_BATCH} instances")
        prepared = [(*prepare(o), creation_retention(o)) for o in batch]
        taken = self.store.existing_ids(workflow, [i for i, _, _ in prepared])
        created = []
        for instance_id, params, retention in prepared:
            if instance_id in taken:
                continue
            taken.add(instance_id)
            created.append(
                self._insert(workflow, instance_id, params, trigger, retention=retention)
            )
        return created

    def create_batch_report(
        self, workflow: str, options: Mapping[str, Any], *, trigger: str = "api"
    ) -> tuple[list[InstanceRow], list[dict[str, Any]]]:
        """The object form ``{count, params?, retention?}`` or ``{instances: [...]}``.

        Returns the created rows and one error ``{index, id, code, message}`` per entry not
        created: an id already in use, or repeated within the batch, is an error here rather
        than silently skipped (as the changelog of 2026-10-08 says).
        """
        self.workflow(workflow)
        entries = batch_entries(options)
        prepared = []
        for index, entry in enumerate(entries):
            try:
                instance_id, params = prepare(entry)
            except WorkflowError as exc:
                raise WorkflowError(f"instances[{index}]: {exc.message}", exc.kind) from None
            prepared.append((index, instance_id, params, creation_retention(entry)))
        taken = self.store.existing_ids(workflow, [p[1] for p in prepared])
        seen: set[str] = set()
        created: list[InstanceRow] = []
        errors: list[dict[str, Any]] = []
        for index, instance_id, params, retention in prepared:
            if instance_id in seen or instance_id in taken:
                why = "is repeated in the batch" if instance_id in seen else "already exists"
                errors.append(
                    {
                        "index": index,
                        "id": instance_id,
                        "code": "instance.already_exists",
                        "message": f"Workflow instance '{instance_id}' {why}",
                    }
                )
                continue
            seen.add(instance_id)
            created.append(
                self._insert(workflow, instance_id, params, trigger, retention=retention)
            )
        return created, errors

    # -- reading --------------------------------------------------------------------------------

    def status(self, workflow: str, instance_id: str) -> dict[str, Any]:
        """``{"status", "output", "error"}`` as the binding's ``status()`` returns it."""
        row = self._row(workflow, instance_id)
        return {
            "status": str(row.status),  # user code sees a plain str, as from JS
            "output": serialization.to_plain(row.output) if row.status == "complete" else None,
            "error": json.loads(row.error) if row.error else None,
        }

    def find(self, workflow: str, instance_id: str) -> InstanceRow | None:
        """The stored instance row, or None (no error, no lookup of the workflow)."""
        return self.store.get_instance(workflow, instance_id)

    def history(self, workflow: str, instance_id: str) -> list[StepRow]:
        """The instance's stored step history, in order (decoded rows)."""
        return self.store.load_steps(workflow, instance_id)

    def list_instances(
        self, workflow: str, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[InstanceRow]:
        """A page of a workflow's instances, newest first."""
        return self.store.list_instances(workflow, status=status, limit=limit, offset=offset)

    def count_instances(self, workflow: str, status: str | None = None) -> int:
        """How many instances a workflow has (of one status)."""
        return self.store.count_instances(workflow, status)

    def status_counts(self, workflow: str) -> dict[str, int]:
        """How many instances a workflow has per status."""
        return self.store.status_counts(workflow)

    def pending_events(self, workflow: str, instance_id: str) -> list[dict[str, Any]]:
        """The events buffered for an instance and not taken yet, oldest first."""
        return [
            {
                "type": e.type,
                "payload": serialization.to_plain(e.payload),
                "timestamp": to_iso(e.timestamp),
            }
            for e in self.store.pending_events(workflow, instance_id)
        ]

    # -- settling -------------------------------------------------------------------------------

    def idle(self) -> bool:
        return not self._live

    async def settle(self) -> None:
        """Wait until every live instance has blocked again or finished.

        An instance stuck inside a step's own code (awaiting something that never comes)
        counts as settled after ``settle_quiet`` seconds without progress, so that advancing
        the clock can still fire its timeout.
        """
        quiet_since = realtime.real_monotonic()
        last = -1
        while True:
            await realtime.next_round()
            tasks = [live.task for live in self._live.values() if live.task is not None]
            if not tasks:
                await realtime.next_round()
                if not self._live:
                    return
                continue
            await asyncio.wait(tasks, timeout=0.02)
            if self._commit.progress != last:
                last, quiet_since = self._commit.progress, realtime.real_monotonic()
                continue
            stuck = all(live.executing > 0 for live in self._live.values())
            if stuck and realtime.real_monotonic() - quiet_since >= self.settle_quiet:
                return
            if usertime.only_clock_waits(self.clock):  # user code in asyncio.sleep: blocked
                return


def saved_clock(store: Store) -> dict[str, Any] | None:
    """The clock snapshot kept in the store, or None (unreadable counts as none)."""
    text = store.get_meta("clock")
    try:
        state = json.loads(text) if text else None
    except ValueError:
        return None
    return valid_snapshot(state) if isinstance(state, dict) else None
