"""SQLite persistence: the schema, its migrations and every SQL statement the emulator runs.

One file per project (or ``:memory:``); the store returns decoded rows. By concept:
``schema`` (tables, migrations), ``rows`` (the row types), ``database`` (connection,
transactions, meta), ``instances``, ``pages``, ``steps``, ``events`` (their SQL).
"""

from __future__ import annotations

from wf.store.events import EventQueries
from wf.store.instances import InstanceQueries
from wf.store.pages import PageQueries
from wf.store.rows import EventRow, ExpiredRow, InstanceRow, StepRow
from wf.store.schema import SCHEMA_VERSION
from wf.store.steps import StepQueries

__all__ = ["SCHEMA_VERSION", "EventRow", "ExpiredRow", "InstanceRow", "StepRow", "Store"]


class Store(InstanceQueries, PageQueries, StepQueries, EventQueries):
    """The emulator's state in one SQLite database."""
