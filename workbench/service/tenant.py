"""One tenant: its event log (the truth) and its SQLite state (a projection of the log).

A tenant lives in a folder of its own:
  log.db     the event log (see event_log.py): every accepted request's events
  state.db   the state tables of the domain's schema, plus `bf_projection`,
             one row saying up to which log position the state has applied

A write runs the feature handler in a state transaction, appends the events to
the log (fsynced), then commits the state with the new position. A crash
between the two commits leaves the state behind the log, never ahead: opening
the tenant applies what the state lacks. A state file that is missing, or ahead
of its log, is rebuilt from the log. So state and log never disagree after
`kill -9`, and deleting `state.db` only costs a replay.

Requests of one tenant run one at a time (a lock); different tenants are
independent. Requests that queue behind a busy tenant are committed as a group
(one fsync). A request that produces no events (a read, or a rejection) never
touches the log.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from workbench.core.domain import Domain
from workbench.core.execute import Outcome, execute
from workbench.core.ids import random_id
from workbench.core.state_db import bulk_writes, open_state
from workbench.core.transaction import apply_event
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLog, LoggedEvent

if TYPE_CHECKING:
    from workbench.tenancy.tenant_cipher import TenantCipher

LOG_FILE = "log.db"
STATE_FILE = "state.db"
REPLAY_BATCH = 20_000  # events applied in one transaction while catching up

_PROJECTION = """
CREATE TABLE IF NOT EXISTS bf_projection (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  position INTEGER NOT NULL,
  version  INTEGER NOT NULL
);
INSERT OR IGNORE INTO bf_projection(id, position, version) VALUES (1, 0, 0);
"""

Progress = Callable[[int, int], None]  # (events applied so far, events to apply)


class Tenant:
    def __init__(self, name: str, domain: Domain, folder: Path, progress: Progress | None = None,
                 cipher: "TenantCipher | None" = None):
        self.name = name
        # Encryption at rest (workbench/tenancy/tenant_cipher.py): seals the log's
        # events and opens the state with SQLCipher; None keeps both in the clear.
        self.cipher = cipher
        self._open_db = cipher.open_state if cipher else open_state
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.registry = domain.registry
        self._schema_sql = domain.schema_sql
        self.codec = EventCodec(domain.registry)
        self.lock = threading.RLock()  # held while requests run and commit: holding it pauses the tenant
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []  # requests waiting for the lock
        self.log = EventLog(self.folder / LOG_FILE, cipher.sealer if cipher else None)
        self.db = self._open_state()
        self.position, self.version = self.db.execute("SELECT position, version FROM bf_projection").fetchone()
        if self.position > self.log.last_position:
            # The log is the truth: a state that knows events the log does not is not a projection of it.
            self.db.close()
            self._remove_state()
            self.db = self._open_state()
            self.position = self.version = 0
        self.catch_up(progress)

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def execute(self, request: Any, new_id: Callable[[], str] = random_id) -> Outcome:
        """Handle `request`; when it produced events they are on disk before this returns.

        A rejection is an Outcome; a broken handler raises, leaving nothing behind.
        Requests that arrive while another is being committed wait for the lock and
        are then run and committed together, one after another in arrival order,
        with one fsync for the group (group commit).
        """
        ticket = _Ticket(request, new_id)
        with self._queue_lock:
            self._queue.append(ticket)
        with self.lock:
            if not ticket.done:
                self._run_group()
        if ticket.error is not None:
            raise ticket.error
        return ticket.outcome

    def _run_group(self) -> None:
        """Run every queued request in one state transaction, log their events in
        one commit, then commit the state. Called with the lock held."""
        with self._queue_lock:
            group, self._queue = self._queue, []
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            for ticket in group:
                self._run_one(db, ticket)
            accepted = [t for t in group if t.outcome is not None and t.outcome.events]
            logged = self.log.append_requests(
                [[self.codec.encode(event) for event in t.outcome.events] for t in accepted]) if accepted else []
        except BaseException as error:  # nothing was logged: nothing happened
            if db.in_transaction:
                db.execute("ROLLBACK")
            for ticket in group:
                ticket.fail(error)
            return
        try:
            if not accepted:
                db.execute("ROLLBACK")
                return
            try:
                self._record(db, logged[-1][-1])
                db.execute("COMMIT")
            except BaseException:
                # The events are durable, so the requests happened: bring the state up from the log.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                self.catch_up()
        finally:
            for ticket in group:
                ticket.done = True

    def _run_one(self, db: sqlite3.Connection, ticket: "_Ticket") -> None:
        db.execute("SAVEPOINT ticket")
        try:
            ticket.outcome = execute(self.registry, db, ticket.request, ticket.new_id)
        except Exception as error:  # a broken handler: undo it alone, the rest of the group goes on
            db.execute("ROLLBACK TO ticket")
            ticket.error = error
        db.execute("RELEASE ticket")

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply the logged events the state lacks; returns how many."""
        with self.lock:
            total = self.log.last_position - self.position
            if total == 0:
                return 0
            if self.position == 0 and self.cipher is None:
                return self._rebuild_in_memory(total, progress)
            with bulk_writes(self.db):
                return self._apply_log(total, progress)

    def _rebuild_in_memory(self, total: int, progress: Progress | None) -> int:
        """Apply the whole log to a state in memory, then copy it into the state
        file at once: inserting at random places of big indexes costs half as
        much in memory as in a file. (An encrypted state is rebuilt in its file.)"""
        on_disk, self.db = self.db, open_state(self._schema_sql)
        try:
            self.db.executescript(_PROJECTION)
            applied = self._apply_log(total, progress)
            self.db.backup(on_disk)
        except BaseException:
            self.position = self.version = 0  # the file still holds the empty state
            raise
        finally:
            self.db.close()
            self.db = on_disk
        return applied

    def _apply_log(self, total: int, progress: Progress | None) -> int:
        applied = 0
        while batch := self.log.read(after=self.position, limit=REPLAY_BATCH):
            self._apply_batch(batch)
            applied += len(batch)
            if progress:
                progress(applied, total)
        return applied

    def events(self, after: int = 0) -> list[Any]:
        """Every logged event after `after`, decoded (for tests and tools; streams page with `log.read`)."""
        found = []
        while batch := self.log.read(after=after):
            found += [self.codec.decode(logged, f"tenant {self.name}: ") for logged in batch]
            after = batch[-1].position
        return found

    def close(self) -> None:
        with self.lock:
            self.log.close()
            self.db.close()

    def _apply_batch(self, batch: list[LoggedEvent]) -> None:
        db = self.db
        appliers = self.registry.appliers
        db.execute("BEGIN IMMEDIATE")
        try:
            for logged in batch:
                apply_event(appliers, db, self.codec.decode(logged, f"tenant {self.name}: "))
            self._record(db, batch[-1])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _record(self, db: sqlite3.Connection, last: LoggedEvent) -> None:
        db.execute("UPDATE bf_projection SET position = ?, version = ?", (last.position, last.version))
        self.position, self.version = last.position, last.version

    def _open_state(self) -> sqlite3.Connection:
        """Open state.db; a new one is built aside and renamed into place, so a
        crash never leaves a half-made schema behind."""
        if not self.state_path.exists():
            fresh = self.folder / (STATE_FILE + ".new")
            for leftover in _sqlite_files(fresh):
                leftover.unlink(missing_ok=True)
            db = self._open_db(self._schema_sql, fresh)
            db.executescript(_PROJECTION)
            db.close()  # checkpoints and removes its WAL
            os.replace(fresh, self.state_path)
        db = self._open_db(self._schema_sql, self.state_path)
        db.executescript(_PROJECTION)
        return db

    def _remove_state(self) -> None:
        remove_state(self.folder)


def remove_state(folder: Path) -> None:
    """Delete a closed tenant's state files, not its log: opening it again rebuilds the state from the log."""
    for path in _sqlite_files(Path(folder) / STATE_FILE):
        path.unlink(missing_ok=True)


class _Ticket:
    """One request waiting in a tenant's queue, and what became of it."""

    __slots__ = ("request", "new_id", "outcome", "error", "done")

    def __init__(self, request: Any, new_id: Callable[[], str]):
        self.request = request
        self.new_id = new_id
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self.done = False

    def fail(self, error: BaseException) -> None:
        self.outcome, self.error, self.done = None, error, True


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
