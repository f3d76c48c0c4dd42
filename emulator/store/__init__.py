"""SQLite persistence: the schema, its migrations and every SQL statement the emulator runs.

One file per project (or ``:memory:``); the store returns decoded rows. By concept:
``schema`` (tables, migrations), ``rows`` (the row types), ``database`` (connection,
transactions, meta), ``instances``, ``pages``, ``steps``, ``events`` (their SQL).
"""

from __future__ import annotations

from emulator.store.events import EventQueries
from emulator.store.instances import InstanceQueries
from emulator.store.pages import PageQueries
from emulator.store.rows import EventRow, InstanceRow, StepRow
from emulator.store.schema import SCHEMA_VERSION
from emulator.store.steps import StepQueries

__all__ = ["SCHEMA_VERSION", "EventRow", "InstanceRow", "StepRow", "Store"]


class Store(InstanceQueries, PageQueries, StepQueries, EventQueries):
    """The emulator's state in one SQLite database."""
