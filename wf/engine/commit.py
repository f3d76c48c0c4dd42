"""Group commit: the state changes of many instances share one SQLite commit.

The rule the verbs keep: nothing is acknowledged before it is durable. ``record`` writes a
row into the open transaction (durable at the next commit, at the latest at the end of this
event-loop tick); ``record_at_tick_end`` writes it only if it is still wanted when the tick
ends; ``durable`` returns once everything written so far is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wf.realtime import next_round
from wf.store import InstanceRow, StepRow, Store

__all__ = ["GroupCommit"]

# Writes nobody waits for (a retention purge) commit with the next commit, or this many real
# seconds later at the latest.
LATER_S = 0.05


class GroupCommit:
    """Commits the store's open transaction on behalf of every instance of one engine."""

    def __init__(self, store: Store, running: Callable[[], int]) -> None:
        self.store = store
        self._running = running  # how many instances execute now (nobody to share with: 1)
        self._scheduled = False
        self._later: asyncio.TimerHandle | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._unsaved: dict[tuple[Any, ...], StepRow] = {}
        self._unsaved_instances: dict[tuple[str, str], InstanceRow] = {}
        self._inline = 0
        self._answers = 0  # answers (HTTP) waiting in answer_durable now
        # Counts writes and ended steps: ``Engine.settle`` waits until it stops moving.
        self.progress = 0

    def unsaved_steps(self, workflow: str, instance_id: str) -> list[StepRow]:
        """Steps of an instance written at the end of this tick (their code still runs)."""
        return [
            r
            for r in self._unsaved.values()
            if r.workflow == workflow and r.instance == instance_id
        ]

    @property
    def pending(self) -> bool:
        """True while some write waits for a commit."""
        return self.store.dirty or bool(self._unsaved) or bool(self._unsaved_instances)

    def commit(self) -> None:
        """Commit every pending write now."""
        self._commit()

    def soon(self, *, progress: bool = True) -> None:
        """Commit at the end of this event-loop tick, together with other instances' writes."""
        if progress:
            self.progress += 1
        if self._scheduled:
            return
        self._scheduled = True
        try:
            asyncio.get_running_loop().call_soon(self._commit)
        except RuntimeError:
            self._commit()

    def later(self) -> None:
        """Commit with the next commit, or ``LATER_S`` from now at the latest.

        For writes nobody waits on, whose loss in a crash is redone at the next start (a
        retention purge): they share the commit of the work that comes next (the instance
        woken at the same virtual time) instead of paying for one of their own.
        """
        if self._later is not None or self._scheduled:
            return
        try:
            self._later = asyncio.get_running_loop().call_later(LATER_S, self._commit)
        except RuntimeError:
            self._commit()

    def _commit(self) -> None:
        self._scheduled = False
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._unsaved_instances:  # passes still under way: they are running
            for instance in self._unsaved_instances.values():
                self.store.save_instance(instance)
            self._unsaved_instances.clear()
        for row in self._unsaved.values():  # steps whose code is still running
            self.store.save_step(row)
        self._unsaved.clear()
        waiters, self._waiters = self._waiters, []
        try:
            self.store.commit()
        except Exception as exc:
            # Whoever waits to acknowledge a write hears that it failed, rather than hanging.
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            raise
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def record_at_tick_end(self, row: StepRow) -> None:
        """Write a step at the end of this tick, unless ``record`` comes first.

        A step attempt's start only needs writing if its code is still running when the tick
        ends; a step that finishes within the tick writes just its result.
        """
        self._unsaved[(row.workflow, row.instance, *row.key)] = row
        self.soon()

    def instance_at_tick_end(self, row: InstanceRow) -> None:
        """Write an instance's row at the end of this tick, unless ``instance_written`` says
        it was written by then.

        A pass that starts marks its instance running; most passes also end (hibernate or
        finish, which write the row) within that tick, and the first write is not needed.
        """
        self._unsaved_instances[(row.workflow, row.id)] = row
        self.soon()

    def instance_written(self, workflow: str, instance_id: str) -> None:
        """The instance's row was written into the open transaction: nothing left to write."""
        if self._unsaved_instances:
            self._unsaved_instances.pop((workflow, instance_id), None)

    def record(self, row: StepRow) -> None:
        """Write a step into the open transaction now (superseding ``record_at_tick_end``).

        Durable at the next commit: at the latest at the end of this tick.
        """
        self._unsaved.pop((row.workflow, row.instance, *row.key), None)
        self.store.save_step(row)
        self.soon()

    async def answer_durable(self) -> None:
        """Return once every write so far is committed, for an answer about to go out.

        The same group commit as ``durable``, one loop round sooner: the end-of-tick commit is
        already queued when the answer yields, so it runs before the answer resumes, and the
        answer sees its transaction committed without a waiter's wake-up (a round more). A
        write made after that commit (by others in that round) is not the answer's to wait for.
        """
        if not self.pending:
            return
        # Unsaved rows are written at the next commit: in this transaction, or the next one.
        mine = self.store.transactions if self.store.dirty else self.store.transactions + 1
        self.soon(progress=False)
        self._answers += 1
        try:
            await next_round()
            if self.store.committed < mine:
                await self.durable()
        finally:
            self._answers -= 1

    async def behind_answers(self) -> None:
        """Let the HTTP answers waiting for a commit go out first (a new pass calls this).

        A create or an event wakes its instance's pass in the loop round whose answers then
        wait for the commit, and the pass's task is queued before them: every answer also
        waited for the passes its round woke (with 50 requests in flight, up to 50 of them).
        One round's delay puts the pass behind those answers. Calls from user code (the
        Workflow binding) wait with ``durable``, not as answers: nothing changes for them.
        """
        if self._answers:
            await next_round()

    async def durable(self) -> None:
        """Return once every write so far is committed.

        Instances that reach this point in the same tick share one commit (group commit):
        that is how many instances' steps get past SQLite's commit rate. With one instance
        running there is nobody to share with, so it commits at once.
        """
        if not self.pending:
            return
        if self._running() <= 1:
            self._commit()
            self._inline += 1
            if self._inline % 16 == 0:
                await next_round()  # let the server and other tasks run now and then
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self.soon()
        await waiter
