"""Compacting a live tenant's log: the old log archived, a short final switch.

1. Pin a snapshot of the state (a read transaction on its own connection,
   taken under the tenant's lock: microseconds) at log position P.
2. Beside the running tenant, ask the domain (`<domain>.compaction`) for the
   shortest events that rebuild that state, replay them into a fresh state and
   compare fingerprints; any difference stops here and keeps the old log.
3. Write them to a new log file at positions P-N+1 .. P, so the state's
   position and every later position mean the same as before; seal them under
   the next log generation (a record from the archive cannot be passed off as
   a live one).
4. Copy the events appended since P, checkpoint the old log; then the
   switch, under the tenant's lock: copy the few appended meanwhile, archive the old log (`archive/log-<generation>.db`), put the new one in place.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.core.crash_points import crash_point
from workbench.core.domain import Domain
from workbench.core.state_db import open_state
from workbench.core.transaction import apply_event
from workbench.service.codec import EventCodec
from workbench.service.event_log import EventLog
from workbench.service.tenant import LOG_FILE, Tenant
from workbench.tenancy.durable import sync_folder
from workbench.tenancy.fingerprint import state_fingerprint
from workbench.tenancy.sealing import Sealer
from workbench.tenancy.tenant_cipher import log_generation, set_log_generation

NEW_LOG = "log.compacting.db"
ARCHIVE = "archive"
COPY_PAGE = 5000


class CompactionError(Exception):
    pass


@dataclass
class Compacted:
    tenant: str
    events_before: int
    events_after: int
    bytes_before: int
    bytes_after: int
    fingerprint: str
    pause_seconds: float
    archive: Path | None  # None: the log was already as short as it gets


def compact_tenant(tenant: Tenant, domain: Domain) -> Compacted:
    rules = importlib.import_module(f"{domain.project.domain}.compaction")
    position, version, events, fingerprint = _snapshot(tenant, domain, rules)
    rebuilt = replay(domain, events)
    if state_fingerprint(rebuilt, rules.CANON) != fingerprint:
        raise CompactionError(f"tenant {tenant.name!r}: the compacted events do not rebuild the same state; the log is kept")
    before = logged_events(tenant.log.path, position)
    bytes_before = _size(tenant.log.path)
    if len(events) >= before:
        return Compacted(tenant.name, before, before, bytes_before, bytes_before, fingerprint, 0.0, None)
    folder = tenant.folder
    generation = log_generation(tenant.log.path) + 1
    sealer = Sealer(tenant.cipher.keys, generation) if tenant.cipher else None
    new_log = folder / NEW_LOG
    _write_compacted(new_log, events, position - len(events) + 1, version, sealer, generation)
    crash_point("compaction.new-log-written")
    copied_to = _copy_tail(tenant.log, new_log, position, sealer)  # most of what came meanwhile, unlocked
    crash_point("compaction.tail-copied")
    _checkpoint(tenant.log.path)  # so that closing it under the lock has little left to write
    with tenant.paused():
        started = time.perf_counter()  # from here on the tenant's requests wait
        _copy_tail(tenant.log, new_log, copied_to, sealer)
        crash_point("compaction.last-tail-copied")
        tenant.log.close()
        # From the archiving rename until the next one the folder has no log.db:
        # `recover_switch` (run before a tenant opens) finishes the switch.
        archive = _archive(tenant.log.path, folder / ARCHIVE, generation - 1)
        crash_point("compaction.archived-log")
        _put_in_place(new_log, folder / LOG_FILE)
        crash_point("compaction.new-log-in-place")
        if tenant.cipher:
            tenant.cipher.sealer = sealer
        tenant.log = EventLog(folder / LOG_FILE, sealer)
    pause = time.perf_counter() - started
    return Compacted(tenant.name, before, len(events), bytes_before, _size(folder / LOG_FILE), fingerprint, pause, archive)


def _snapshot(tenant: Tenant, domain: Domain, rules) -> tuple[int, int, list, str]:
    opener = tenant.cipher.open_state if tenant.cipher else open_state
    reader = opener(domain.schema_sql, tenant.state_path)
    try:
        with tenant.paused():  # a read transaction pins the state as it is now, at a known position
            reader.execute("BEGIN")
            position, version = reader.execute("SELECT position, version FROM bf_projection").fetchone()
        events = rules.compacted_events(reader)
        fingerprint = state_fingerprint(reader, rules.CANON)
        reader.execute("ROLLBACK")
    finally:
        reader.close()
    return position, version, events, fingerprint


def replay(domain: Domain, events: list) -> sqlite3.Connection:
    """A fresh state with `events` applied."""
    db = open_state(domain.schema_sql)  # in memory: plaintext never reaches the disk
    db.execute("BEGIN")
    for event in events:
        apply_event(domain.registry.appliers, db, event)
    db.execute("COMMIT")
    return db


def _write_compacted(path: Path, events: list, first: int, version: int, sealer: Sealer | None, generation: int) -> None:
    for leftover in _sqlite_files(path):
        leftover.unlink(missing_ok=True)
    EventLog(path).close()  # the log's own schema
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN")
        now = time.time()
        for position, event in enumerate(events, first):
            type_name, data = EventCodec.encode(event)
            _insert(db, position, version, type_name, data, now, sealer)
        set_log_generation(db, generation)
        db.execute("COMMIT")
    finally:
        db.close()


def _copy_tail(log: EventLog, new_log: Path, after: int, sealer: Sealer | None) -> int:
    """Copy the events after `after`; returns the last position copied."""
    db = sqlite3.connect(str(new_log), isolation_level=None)
    try:
        db.execute("BEGIN")
        while batch := log.read(after, COPY_PAGE):
            for logged in batch:
                _insert(db, logged.position, logged.version, logged.type, logged.data, logged.recorded, sealer)
            after = batch[-1].position
        db.execute("COMMIT")
    finally:
        db.close()
    return after


def _checkpoint(log_path: Path) -> None:
    db = sqlite3.connect(str(log_path), isolation_level=None)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _insert(db, position: int, version: int, type_name: str, data: bytes, recorded: float, sealer: Sealer | None) -> None:
    stored = sealer.seal(position, data, type_name) if sealer else data
    db.execute("INSERT INTO events(position, version, type, data, recorded) VALUES (?, ?, ?, ?, ?)",
               (position, version, type_name, stored, recorded))


def recover_switch(folder: Path) -> None:
    """Finish or undo a compaction cut off by a crash (run before the tenant opens).

    log.db present: the switch had not begun, so a compacted log beside it is
    dropped (a retry writes it again). log.db missing with the compacted log
    present: the old log was archived after the last events were copied into
    the new one, which is complete: put it in place.
    """
    new_log = folder / NEW_LOG
    if not new_log.exists():
        return
    if (folder / LOG_FILE).exists():
        for leftover in _sqlite_files(new_log):
            leftover.unlink(missing_ok=True)
        return
    stale_wal = folder / (LOG_FILE + "-wal")  # the archived log's, if a reader kept it open: not the new log's
    if stale_wal.exists():
        os.replace(stale_wal, folder / ARCHIVE / f"log-{log_generation(new_log) - 1}.db-wal")
    _put_in_place(new_log, folder / LOG_FILE)


def _put_in_place(new_log: Path, log_path: Path) -> None:
    if new_log.with_name(new_log.name + "-wal").exists():
        _checkpoint(new_log)  # a WAL is bound to its file's name: fold it in before the rename (closing removes it)
    os.replace(new_log, log_path)
    sync_folder(log_path.parent)


def _archive(log_path: Path, archive_folder: Path, generation: int) -> Path:
    archive_folder.mkdir(exist_ok=True)
    target = archive_folder / f"log-{generation}.db"
    os.replace(log_path, target)
    for suffix in ("-wal", "-shm"):  # left only when a reader still had the old log open
        if (stale := log_path.with_name(log_path.name + suffix)).exists():
            os.replace(stale, target.with_name(target.name + suffix))
    sync_folder(archive_folder)
    sync_folder(log_path.parent)
    return target


def logged_events(log_path: Path, up_to: int) -> int:
    """How many events the log holds at positions up to `up_to`."""
    db = sqlite3.connect(str(log_path))
    try:
        return db.execute("SELECT count(*) FROM events WHERE position <= ?", (up_to,)).fetchone()[0]
    finally:
        db.close()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
