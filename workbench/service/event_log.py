"""One tenant's event log: append-only, durable, the source of truth.

The log is a SQLite file of its own (`log.db` in the tenant's folder), in WAL
mode with `synchronous=FULL`: `append` returns only after the commit is
fsynced, so an acknowledged request survives `kill -9` and power loss.

Each event has
  position  its place in this tenant's log: 1, 2, 3, ... (never reused)
  version   the tenant's version after the request that produced it: one
            request's events share a version, and versions count 1, 2, 3, ...
            over the requests that produced events
  type      the event's full protobuf name (`protos.ProductAdded`)
  data      the serialized event, as bytes (the log never decodes them)
  recorded  when it was appended (unix seconds)

The API is small on purpose (others build compaction, encryption, migration
and replay on it): `append`, `append_requests`, `read`, `wait_beyond`, `last_position`,
`version`, `close`. Everything is thread-safe.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from workbench.tenancy.sealing import Sealer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  version  INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  data     BLOB    NOT NULL,
  recorded REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_version ON events(version);
"""

READ_PAGE = 1000


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    version: int
    type: str
    data: bytes
    recorded: float


class EventLogClosed(RuntimeError):
    pass


class EventLog:
    def __init__(self, path: Path | str, sealer: "Sealer | None" = None):
        self.path = Path(path)
        # Encryption at rest (workbench/tenancy/sealing.py): each event's data is
        # sealed with its position and type; None stores the data as given.
        self._sealer = sealer
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # fsync every commit: durable before we acknowledge
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._closed = False
        self._last_position, self._version = self._db.execute(
            "SELECT coalesce(max(position), 0), coalesce(max(version), 0) FROM events").fetchone()
        # AUTOINCREMENT remembers positions of events that were removed (by compaction):
        # they are never handed out again.
        seq = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        self._last_position = max(self._last_position, seq[0] if seq else 0)

    @property
    def last_position(self) -> int:
        return self._last_position

    @property
    def version(self) -> int:
        return self._version

    def append(self, events: list[tuple[str, bytes]]) -> list[LoggedEvent]:
        """Append one request's events, as (type, data) pairs, under the next version.

        Returns once they are on disk. Raises (and appends nothing) on failure.
        """
        return self.append_requests([events])[0]

    def append_requests(self, requests: list[list[tuple[str, bytes]]]) -> list[list[LoggedEvent]]:
        """Append several requests' events in one commit (one fsync), each request
        under its own next version; a request with no events gets none. All or nothing."""
        if not any(requests):
            return [[] for _ in requests]
        with self._lock:
            self._require_open()
            appended = self._number(requests, time.time())
            self._before_store(appended)
            self._store(appended)
            return appended

    def _number(self, requests: list[list[tuple[str, bytes]]], now: float) -> list[list[LoggedEvent]]:
        """The requests' events at the next positions, each request under its own next version."""
        version, position = self._version, self._last_position
        appended = []
        for events in requests:
            if events:
                version += 1
            logged = []
            for type_name, data in events:
                position += 1
                logged.append(LoggedEvent(position, version, type_name, data, now))
            appended.append(logged)
        return appended

    def _before_store(self, appended: list[list[LoggedEvent]]) -> None:
        """A hook for a log replicated elsewhere first (workbench/cluster/replicated_log.py):
        raising here appends nothing."""

    def _store(self, appended: list[list[LoggedEvent]]) -> None:
        """Write numbered events in one commit (with the lock held) and wake the followers. All or nothing."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for logged in appended:
                for event in logged:
                    stored = self._sealer.seal(event.position, event.data, event.type) if self._sealer else event.data
                    db.execute("INSERT INTO events(position, version, type, data, recorded) VALUES (?, ?, ?, ?, ?)",
                               (event.position, event.version, event.type, stored, event.recorded))
            self._store_more(db, appended)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        last = [event for logged in appended for event in logged][-1]
        self._version, self._last_position = last.version, last.position
        self._appended.notify_all()

    def _store_more(self, db: sqlite3.Connection, appended: list[list[LoggedEvent]]) -> None:
        """A hook: more to write in the same commit as the events."""

    def read(self, after: int = 0, limit: int = READ_PAGE) -> list[LoggedEvent]:
        """Up to `limit` events whose position is greater than `after`, in order."""
        with self._lock:
            self._require_open()
            rows = self._db.execute(
                "SELECT position, version, type, data, recorded FROM events WHERE position > ? ORDER BY position LIMIT ?",
                (after, limit)).fetchall()
        if self._sealer:
            return [LoggedEvent(p, v, t, self._sealer.open(p, d, t), r) for p, v, t, d, r in rows]
        return [LoggedEvent(p, v, t, bytes(d), r) for p, v, t, d, r in rows]

    def wait_beyond(self, position: int, timeout: float | None = None,
                    give_up: Callable[[], bool] | None = None) -> bool:
        """Block until the log holds an event after `position`, the log closes,
        `wake()` is called, or `timeout` passes. True when there is such an event.

        `give_up` is checked under the same lock `wake()` takes: whoever makes it
        true and then calls `wake()` cannot miss a waiter about to wait."""
        with self._lock:
            if self._last_position <= position and not self._closed and not (give_up and give_up()):
                self._appended.wait(timeout)
            return self._last_position > position

    def wake(self) -> None:
        """Release every `wait_beyond` (a follower whose client went away re-checks)."""
        with self._lock:
            self._appended.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._appended.notify_all()
            self._db.close()

    def _require_open(self) -> None:
        if self._closed:
            raise EventLogClosed(f"the event log {self.path} is closed")
