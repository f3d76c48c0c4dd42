"""The store's schema: its tables, as a numbered list of migrations."""

from __future__ import annotations

from wf.vocabulary import InstanceStatus

SCHEMA_VERSION = 3
# The statuses an instance never leaves, as an SQL list.
_FINAL_SQL = ", ".join(
    f"'{s}'" for s in (InstanceStatus.COMPLETE, InstanceStatus.ERRORED, InstanceStatus.TERMINATED)
)

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE instances (
        workflow  TEXT NOT NULL,
        id        TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        status    TEXT NOT NULL,
        params    TEXT NOT NULL,
        trigger   TEXT NOT NULL,
        version   TEXT NOT NULL,
        created   REAL NOT NULL,
        started   REAL,
        ended     REAL,
        modified  REAL NOT NULL,
        output    TEXT,
        error     TEXT,
        wake_at   REAL,
        paused_at REAL,
        warnings  TEXT,
        PRIMARY KEY (workflow, id)
    ) WITHOUT ROWID;
    CREATE INDEX instances_by_seq ON instances (workflow, seq);
    CREATE INDEX instances_by_status ON instances (status);
    CREATE TABLE steps (
        workflow TEXT NOT NULL,
        instance TEXT NOT NULL,
        kind     TEXT NOT NULL,
        name     TEXT NOT NULL,
        count    INTEGER NOT NULL,
        pos      INTEGER NOT NULL,
        state    TEXT NOT NULL,
        started  REAL NOT NULL,
        ended    REAL,
        due      REAL,
        output   TEXT,
        error    TEXT,
        config   TEXT,
        attempts TEXT,
        PRIMARY KEY (workflow, instance, kind, name, count)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow  TEXT NOT NULL,
        instance  TEXT NOT NULL,
        type      TEXT NOT NULL,
        payload   TEXT NOT NULL,
        timestamp REAL NOT NULL
    );
    CREATE INDEX events_by_instance ON events (workflow, instance, type, seq);
    """,
    # event.schedule of instances started by a cron schedule: {"cron", "scheduledTime"}
    2: "ALTER TABLE instances ADD COLUMN schedule TEXT;",
    # create(retention=...) of the instance, and when a finished instance is to be removed
    3: """
    ALTER TABLE instances ADD COLUMN retention TEXT;
    ALTER TABLE instances ADD COLUMN expires REAL;
    CREATE INDEX instances_by_expiry ON instances (expires) WHERE expires IS NOT NULL;
    """,
}
