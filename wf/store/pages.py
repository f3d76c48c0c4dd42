"""Keyset pages of instances and the code versions they ran (Cloudflare's REST API reads them)."""

from __future__ import annotations

from typing import Any

from wf.store.database import Database
from wf.store.rows import (
    _INSTANCE_COLUMNS,
    InstanceRow,
    _instance_from_db,
    status_and_time_filters,
)


class PageQueries(Database):
    """Reads that page by position instead of offset, and group instances by version."""

    def instances_after(
        self,
        workflow: str,
        *,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        after: tuple[float, int] | None = None,
        ascending: bool = False,
        limit: int = 25,
        offset: int = 0,
    ) -> list[InstanceRow]:
        """A keyset page of a workflow's instances, ordered by (created, seq).

        ``after`` is the (created, seq) of the last row of the previous page: rows created
        since do not shift the pages, as offsets would. ``since``/``until`` bound the creation
        time (epoch ms, inclusive).
        """
        where: list[str] = ["workflow = ?"]
        args: list[Any] = [workflow]
        status_and_time_filters(where, args, status, since, until)
        if after is not None:
            where.append("(created, seq) > (?, ?)" if ascending else "(created, seq) < (?, ?)")
            args.extend(after)
        order = "ASC" if ascending else "DESC"
        rows = self._db.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE {' AND '.join(where)} "
            f"ORDER BY created {order}, seq {order} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [_instance_from_db(r) for r in rows]

    def version_spans(self, workflow: str) -> list[tuple[str, float, float]]:
        """Each code version the workflow's instances ran: (version, first, last creation)."""
        rows = self._db.execute(
            "SELECT version, MIN(created), MAX(created) FROM instances WHERE workflow = ? "
            "GROUP BY version ORDER BY MIN(created), MIN(seq)",
            (workflow,),
        )
        return [(str(v), float(first), float(last)) for v, first, last in rows]
