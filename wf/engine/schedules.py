"""Cron ``schedules``: one timer per entry, each firing creating an instance."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from wf.cron import Cron, parse_cron
from wf.timers import TimerKind
from wf.vocabulary import Trigger

if TYPE_CHECKING:
    pass
from wf.engine.expiry import Expiry


class Schedules(Expiry):
    """Arms and fires the cron triggers of the config's workflows."""

    def _arm_schedules(self) -> None:
        """One timer per ``schedules`` entry, at its next firing after the last one."""
        self._timers.cancel_kind(TimerKind.CRON)
        now = self.clock.now()
        for workflow in self._workflows.values():
            for index, expression in enumerate(workflow.schedules):
                cron = parse_cron(expression)
                last = self.store.get_meta(f"cron:{workflow.name}:{expression}")
                # Firings missed while wf was not running are skipped, not replayed in a burst.
                due = cron.next_after(max(float(last) if last else now, now))
                self._arm_cron(workflow.name, index, cron, due)

    def _arm_cron(self, workflow: str, index: int, cron: Cron, due: float) -> None:
        self._timers.set(
            TimerKind.CRON,
            (workflow, index, cron.expression),
            due,
            lambda: self._fire_cron(workflow, index, cron, due),
            f"cron {cron.expression}",
        )

    def _fire_cron(self, workflow: str, index: int, cron: Cron, due: float) -> None:
        if workflow not in self._workflows:
            return
        self.store.set_meta(f"cron:{workflow}:{cron.expression}", repr(due))
        schedule = {"cron": cron.expression, "scheduledTime": due}
        instance_id = str(uuid.uuid4())
        self._insert(workflow, instance_id, "{}", Trigger.CRON, schedule=json.dumps(schedule))
        self._arm_cron(workflow, index, cron, cron.next_after(due))
