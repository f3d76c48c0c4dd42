"""Cron expressions of ``workflows[].schedules``: parsing and the next firing time (UTC).

Five fields (minute hour day-of-month month day-of-week), each ``*``, a number, a range
``a-b``, a step ``*/n`` or ``a-b/n``, or a comma list of those; months and weekdays also by
name (``JAN``, ``MON``). Day-of-month and day-of-week combine as in Vixie cron: when both
are restricted, a day matching either fires. Weekdays run 0-6 from Sunday (7 is Sunday too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: i + 1 for i, name in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {name: i for i, name in enumerate(_DAYS)}),
)


class CronError(ValueError):
    """A cron expression that does not parse; the message names the field."""


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    def matches(self, moment: datetime) -> bool:
        """Whether the expression fires at this minute."""
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.month in self.months
            and self._day_matches(moment)
        )

    def next_after(self, epoch_ms: float) -> float:
        """The first firing strictly after ``epoch_ms``, in epoch milliseconds."""
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).replace(second=0, microsecond=0)
        moment += timedelta(minutes=1)
        # Step by days while the day cannot match, then by minutes: at most ~4 years of days.
        for _ in range(366 * 4 * 24 * 60):
            if moment.month not in self.months or not self._day_matches(moment):
                moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if moment.hour not in self.hours:
                moment = (moment + timedelta(hours=1)).replace(minute=0)
                continue
            if moment.minute in self.minutes:
                return moment.timestamp() * 1000
            moment += timedelta(minutes=1)
        raise CronError(f"cron {self.expression!r} never fires")

    def _day_matches(self, moment: datetime) -> bool:
        day = moment.day in self.days
        weekday = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day and weekday
        return day or weekday


def parse_cron(expression: str) -> Cron:
    """Parse a five-field cron expression; CronError names the field that is wrong."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(
            f"cron {expression!r}: expected 5 fields (minute hour day month weekday), "
            f"got {len(parts)}"
        )
    sets = [
        _parse_field(part, name, low, high, names, expression)
        for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True)
    ]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(
        expression=expression,
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        any_day=parts[2] in ("*", "?"),
        any_weekday=parts[4] in ("*", "?"),
    )


def _parse_field(
    text: str, name: str, low: int, high: int, names: dict[str, int], expression: str
) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        spec, _, step_text = item.partition("/")
        step = _number(step_text, name, names, expression) if step_text else 1
        if step < 1:
            raise CronError(f"cron {expression!r}: {name}: step must be at least 1")
        if spec in ("*", "?"):
            start, end = low, high
        elif "-" in spec:
            first, _, last = spec.partition("-")
            start = _number(first, name, names, expression)
            end = _number(last, name, names, expression)
        else:
            start = _number(spec, name, names, expression)
            end = high if step_text else start
        if not low <= start <= high or not low <= end <= high or start > end:
            raise CronError(f"cron {expression!r}: {name}: {item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, name: str, names: dict[str, int], expression: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise CronError(f"cron {expression!r}: {name}: {text!r} is not a number")
    return int(text)
