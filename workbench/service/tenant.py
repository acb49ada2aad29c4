"""One tenant: its event log (the truth) and its SQLite state (a projection of the log).

A tenant lives in a folder of its own:
  log.db     the event log (see event_log.py): every accepted request's events
  state.db   the state tables of the domain's schema, plus `bf_projection`,
             one row saying up to which log position the state has applied

A write runs the feature handler in the state's transaction, appends the
events to the log (fsynced) and only then answers. The state commits later:
at most STATE_COMMIT_SECONDS after the log, or at once when someone pauses the
tenant (`paused()`) or closes it. (Committing the state after every write cost
as much as the write itself; the log alone makes a write durable.) A crash
leaves the state behind the log, never ahead: opening the tenant applies what
the state lacks. A state file that is missing, or ahead of its log, is rebuilt
from the log. So state and log never disagree after `kill -9`, and deleting
`state.db` only costs a replay.

Requests of one tenant run one at a time; different tenants are independent.
Requests that queue behind a busy tenant run and are logged as a group (one
fsync): the first caller to find the tenant idle leads, running every queued
request; the others sleep until their request is done, or until the leader
hands them the next group. (Had they all waited on one lock, the callers whose
requests were already done would file through it one by one, and the groups
would stay small.) A caller is a thread (`execute`) or a coroutine (`run`,
which waits on its event loop while a thread of the loop's executor leads). A
request that produces no events (a read, or a rejection) never touches the log.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from workbench.core.domain import Domain
from workbench.core.execute import Outcome, execute
from workbench.core.ids import new_id
from workbench.core.observer import observer
from workbench.core.state_db import bulk_writes, open_state
from workbench.core.transaction import apply_event
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLog, LoggedEvent
from workbench.service.ticket import LoopTicket, ThreadTicket, Ticket, finish

if TYPE_CHECKING:
    from workbench.tenancy.tenant_cipher import TenantCipher

LOG_FILE = "log.db"
STATE_FILE = "state.db"
REPLAY_BATCH = 20_000  # events applied in one transaction while catching up
STATE_COMMIT_SECONDS = 0.2  # the longest the state stays uncommitted behind the log
STATE_CACHE_KIB = 64 * 1024  # a ceiling on the state's page cache (pages are cached as they are touched)

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
                 cipher: "TenantCipher | None" = None, log: EventLog | None = None):
        self.name = name
        # Encryption at rest (workbench/tenancy/tenant_cipher.py): seals the log's
        # events and opens the state with SQLCipher; None keeps both in the clear.
        self.cipher = cipher
        self._open_db = cipher.open_state if cipher else open_state
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.registry = domain.registry
        self._schema_sql = domain.schema_sql
        self.codec = EventCodec(domain.registry)
        self.lock = threading.RLock()  # held while a group runs; pause the tenant with `paused()`
        self._queue_lock = threading.Lock()
        self._queue: list[Ticket] = []  # requests waiting for the next group
        self._leading = False  # a caller is running groups (guarded by _queue_lock)
        self._state_since: float | None = None  # when the state's open transaction began
        self._state_timer: threading.Timer | None = None  # commits an idle tenant's state
        self._closed = False
        # `log`: another backend of the same interface (a replicated log, workbench/cluster/).
        self.log = log if log is not None else EventLog(self.folder / LOG_FILE, cipher.sealer if cipher else None)
        self.db = self._open_state()
        self.position, self.version = self.db.execute("SELECT position, version FROM bf_projection").fetchone()
        if self.position > self.log.last_position:
            # The log is the truth: a state that knows events the log does not is not a projection of it.
            self.db.close()
            self._remove_state()
            self.db = self._open_state()
            self.position = self.version = 0
        opening = time.perf_counter()
        caught_up = self.catch_up(progress)
        observer().tenant_opened(name, time.perf_counter() - opening, caught_up)

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def execute(self, request: Any, new_id: Callable[[], str] = new_id) -> Outcome:
        """Handle `request`; when it produced events they are on disk before this returns.

        A rejection is an Outcome; a broken handler raises, leaving nothing behind.
        Requests that arrive while a group runs wait, then run as the next group,
        one after another in arrival order, with one fsync for the group.
        """
        ticket = ThreadTicket(request, new_id)
        if self._join_queue(ticket):
            ticket.sleep()  # until a leader ran it, or handed this caller the next group
        if not ticket.done:
            self._lead()
        return ticket.result()

    async def run(self, request: Any, new_id: Callable[[], str] = new_id) -> Outcome:
        """`execute` for a coroutine: it waits on its loop, never blocking it, while
        a thread of the loop's executor leads (a coroutine never leads, so a call
        cancelled midway cannot leave a group half done or the queue without a leader)."""
        (ticket,) = self.submit([request], asyncio.get_running_loop(), new_id)
        await ticket.sleep()
        return ticket.result()

    def submit(self, requests: list[Any], loop: asyncio.AbstractEventLoop,
               new_id: Callable[[], str] = new_id) -> list[LoopTicket]:
        """Queue `requests`, in this order, for coroutines of `loop` (a bulk stream);
        each ticket's future settles once its group is on disk. Queued together,
        they run in one group unless a group is running already."""
        tickets = [LoopTicket(request, new_id, loop) for request in requests]
        if not self._join_queue(*tickets):
            loop.run_in_executor(None, self._lead)
        return tickets

    @contextmanager
    def paused(self) -> Iterator["Tenant"]:
        """Hold the tenant still, with its state committed (to read state.db from
        another connection, copy its files, or change its keys)."""
        with self.lock:
            self._commit_state()
            yield self

    def _join_queue(self, *tickets: Ticket) -> bool:
        """Queue `tickets`; True when a leader is at work (wait), False when the caller leads."""
        with self._queue_lock:
            self._queue.extend(tickets)
            busy, self._leading = self._leading, True
        return busy

    def _lead(self) -> None:
        """Run the queued requests as one group, then hand the next group to its
        first caller: a thread is woken to lead it; a coroutine's group this thread runs too."""
        while True:
            with self.lock:
                begun, append_seconds = time.perf_counter(), None
                group = self._take_queue()
                if (to_log := self._run_group(group)) is not None:
                    appending = time.perf_counter()
                    try:
                        logged = self.log.append_requests(to_log)
                    except BaseException as error:
                        self._drop_group(group, error)
                    else:
                        append_seconds = time.perf_counter() - appending
                        self._keep_group(group, logged)
            observer().group_ran(self.name, [begun - ticket.queued for ticket in group], append_seconds)
            first = self._next_leader()
            if first is None:
                return
            if isinstance(first, ThreadTicket):
                first.wake()
                return

    def _take_queue(self) -> list[Ticket]:
        with self._queue_lock:
            group, self._queue = self._queue, []
        return group

    def _next_leader(self) -> Ticket | None:
        """The first ticket of the next group, or None (and nobody leads) when none waits."""
        with self._queue_lock:
            if not self._queue:
                self._leading = False
                return None
            return self._queue[0]

    def _run_group(self, group: list[Ticket]) -> list[list[tuple[str, bytes]]] | None:
        """Run the group's requests in the state; returns their events to log, or
        None when there is nothing to log (the group is then finished)."""
        db = self.db
        try:
            if not db.in_transaction:
                db.execute("BEGIN IMMEDIATE")
                self._state_since = time.monotonic()
            db.execute("SAVEPOINT grp")
            for ticket in group:
                self._run_one(db, ticket)
            to_log = [[self.codec.encode(event) for event in t.outcome.events] for t in group
                      if t.outcome is not None and t.outcome.events]
        except BaseException as error:
            self._undo_group(db)
            for ticket in group:
                ticket.fail(error)
            finish(group)
            return None
        if not to_log:
            self._undo_group(db)
            finish(group)
            return None
        return to_log

    def _drop_group(self, group: list[Ticket], error: BaseException) -> None:
        """Logging failed, so nothing happened: undo the group's changes and fail its requests."""
        self._undo_group(self.db)
        for ticket in group:
            ticket.fail(error)
        finish(group)

    def _keep_group(self, group: list[Ticket], logged: list[list[LoggedEvent]]) -> None:
        """The group's events are durable: keep its changes, committing the state when due."""
        try:
            self._record(self.db, logged[-1][-1])
            self.db.execute("RELEASE grp")
            if time.monotonic() - self._state_since >= STATE_COMMIT_SECONDS:
                self._commit_state()
            else:
                self._commit_state_later()
        except BaseException:
            self._rebuild_from_log()
        finally:
            finish(group)

    def _undo_group(self, db: sqlite3.Connection) -> None:
        if db.in_transaction:
            db.execute("ROLLBACK TO grp")
            db.execute("RELEASE grp")

    def _run_one(self, db: sqlite3.Connection, ticket: Ticket) -> None:
        db.execute("SAVEPOINT ticket")
        try:
            ticket.outcome = execute(self.registry, db, ticket.request, ticket.new_id)
        except Exception as error:  # a broken handler: undo it alone, the rest of the group goes on
            db.execute("ROLLBACK TO ticket")
            ticket.error = error
        db.execute("RELEASE ticket")

    def _commit_state(self) -> None:
        """Commit what the state applied so far (with the lock held)."""
        if self._state_timer is not None:
            self._state_timer.cancel()
            self._state_timer = None
        if not self.db.in_transaction:
            return
        committing = time.perf_counter()
        try:
            self.db.execute("COMMIT")
        except BaseException:
            self._rebuild_from_log()
        self._state_since = None
        observer().state_committed(self.name, time.perf_counter() - committing)

    def _commit_state_later(self) -> None:
        if self._state_timer is None:
            self._state_timer = threading.Timer(STATE_COMMIT_SECONDS, self._commit_idle_state)
            self._state_timer.daemon = True
            self._state_timer.start()

    def _commit_idle_state(self) -> None:
        with self.lock:
            self._state_timer = None
            if not self._closed:
                self._commit_state()

    def _rebuild_from_log(self) -> None:
        """The state could not keep what it applied; the events are durable, so the
        requests happened: drop the uncommitted changes and apply the log again."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self._state_since = None
        self.position, self.version = self.db.execute("SELECT position, version FROM bf_projection").fetchone()
        self.catch_up()

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply the logged events the state lacks; returns how many."""
        with self.paused():
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
        with self.paused():
            self._closed = True
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
        if self.cipher is None:  # an encrypted state's cache is the pool's to bound
            db.execute(f"PRAGMA cache_size = -{STATE_CACHE_KIB}")
        return db

    def _remove_state(self) -> None:
        remove_state(self.folder)


def remove_state(folder: Path) -> None:
    """Delete a closed tenant's state files, not its log: opening it again rebuilds the state from the log."""
    for path in _sqlite_files(Path(folder) / STATE_FILE):
        path.unlink(missing_ok=True)


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
