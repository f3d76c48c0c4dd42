"""Cron schedules: parsing, next firing times, and instances started on virtual time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import START, describe
from wf.cron import CronError, parse_cron

HOUR = 3_600_000


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 * * * *", "2026-01-01T00:00", "2026-01-01T01:00"),
        ("*/15 * * * *", "2026-01-01T00:07", "2026-01-01T00:15"),
        ("30 9 * * MON-FRI", "2026-01-02T10:00", "2026-01-05T09:30"),  # Fri -> Mon
        ("0 0 1 JAN *", "2026-03-01T00:00", "2027-01-01T00:00"),
        ("0 12 13 * 5", "2026-01-01T00:00", "2026-01-02T12:00"),  # day 13 or any Friday
        ("0 0 29 2 *", "2026-01-01T00:00", "2028-02-29T00:00"),
        ("5,10 1-2 * * 7", "2026-01-04T01:06", "2026-01-04T01:10"),  # 7 is Sunday
    ],
)
def test_next_firing(expression, after, expected):
    assert parse_cron(expression).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute"),
        ("* * * FOO *", "month"),
        ("*/0 * * * *", "step"),
    ],
)
def test_bad_expressions_name_the_field(expression, problem):
    with pytest.raises(CronError, match=problem):
        parse_cron(expression)


SCHEDULED = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def tick():
            return event["schedule"]
        return await tick()
"""


async def test_schedules_start_instances_as_time_passes(make_engine):
    engine = await make_engine(SCHEDULED, schedules=["0 * * * *"])
    await engine.clock.advance("3 hours")
    rows = engine.store.list_instances("wf", newest_first=False)
    assert [row.trigger for row in rows] == ["cron"] * 3
    outputs = [engine.status("wf", row.id)["output"] for row in rows]
    assert outputs == [{"cron": "0 * * * *", "scheduledTime": START + n * HOUR} for n in (1, 2, 3)]
    assert describe(engine, "wf", rows[0].id)["trigger"] == {"source": "cron"}


async def test_a_bad_schedule_is_a_config_error(tmp_path):
    from tests.conftest import write_project
    from wf.config import ConfigError, load_config

    write_project(tmp_path, SCHEDULED, {"wf": "MyWorkflow"}, schedules=["0 25 * * *"])
    with pytest.raises(ConfigError, match=r"workflows\[0\]\.schedules\[0\].*hour"):
        load_config(tmp_path)
