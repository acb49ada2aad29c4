"""The target side of a live migration: copy a tenant's log from its source
node, follow it live, and start serving it when the source has sealed it
(the target checks the seal in the source's own record before going live).

The copy keeps every position, version and time of the source's log, sealed
under this node's key for the tenant. Its folder holds an `arriving` record
(handover.py) from before the first file of the copy until it goes live, so a
node killed midway never serves half a tenant: after a restart the tenant is
still arriving, until the source retries (the copy starts again), finishes the
handover, or calls it off (`abandon`).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import grpc

from domain.contracts.service_pb2 import FollowReq
from domain.contracts.service_pb2_grpc import EventStreamServiceStub
from domain.contracts.tenancy_pb2 import HandoverReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from workbench.core.crash_points import crash_point
from workbench.service.event_log import EventLog
from workbench.service.rpc import TENANT_METADATA
from workbench.tenancy.certificates import dial
from workbench.tenancy.durable import sync_folder
from workbench.tenancy.handover import ARRIVING, HANDOVER_FILE, LIVE, SEALED, Handover, read_handover, write_handover
from workbench.tenancy.moved import moved_to
from workbench.tenancy.pool import TenantPool

APPLY_EVERY = 500  # events: keep the state close behind, so the final catch-up is short


class AdoptionRefused(Exception):
    pass


class Adoption:
    def __init__(self, pool: TenantPool, name: str, record: Handover,
                 credentials: grpc.ChannelCredentials | None = None, follow: bool = True):
        """Copy `name` from `record.peer` for the attempt `record` names (follow=False:
        take up a copy an earlier run of this node left, to finish or abandon it)."""
        self.pool, self.name, self.record, self.credentials = pool, name, record, credentials
        self.source = record.peer
        self.folder = pool.folder / name
        self.error = ""
        self.finished = False
        self._changed = threading.Condition()
        self._decide = threading.Lock()  # finish and abandon, one at a time
        self._call = self._thread = None
        pool.arriving[name] = self.source
        self.tenant = pool.create_arriving(name)
        self.position = _last_copied(self.tenant.log.path)  # the source's last position copied here
        if follow:
            crash_point("adoption.log-created")
            self._channel = dial(self.source, credentials)
            self._call = EventStreamServiceStub(self._channel).Follow(
                FollowReq(after=0), metadata=[(TENANT_METADATA, name)])
            self._thread = threading.Thread(target=self._follow, name=f"adopt-{name}", daemon=True)
            self._thread.start()

    @classmethod
    def begin(cls, pool: TenantPool, name: str, source: str, epoch: int, attempt: str,
              credentials: grpc.ChannelCredentials | None = None) -> "Adoption":
        """A new copy of `name` from `source`: over nothing, a copy an earlier attempt
        left (it starts again), or what is left of the tenant after it moved away from here."""
        folder = pool.folder / name
        record = read_handover(folder)
        if pool.owns(name):
            raise AdoptionRefused(f"tenant {name!r} already exists on this node")
        if record is not None and record.state == SEALED and moved_to(folder) is None:
            raise AdoptionRefused(f"tenant {name!r} is being handed over from this node to {record.peer}")
        if record is not None and record.state != ARRIVING and epoch <= record.epoch:
            raise AdoptionRefused(f"tenant {name!r} was at epoch {record.epoch} here already: a move to epoch {epoch}"
                                  " comes from a node that no longer owns it")
        arriving = Handover(ARRIVING, epoch, attempt, source)
        write_handover(folder, arriving)  # before any file of the copy: never served until it is whole
        crash_point("adoption.marked-arriving")
        pool.drop(name)
        _remove_all_but_the_record(folder)
        return cls(pool, name, arriving, credentials)

    def wait_for(self, position: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.position >= position or self.error, timeout) and not self.error

    def apply(self) -> None:
        """Bring the state up to what is copied (between rounds, so the final catch-up has little left)."""
        self.tenant.catch_up()

    def finish(self, position: int, timeout: float) -> None:
        """The source sealed the tenant at `position` for this attempt: once the copy
        ends exactly there, on disk, and the source's record shows the seal, serve
        the tenant here. Else `error` says why not."""
        with self._decide:
            if self.finished:
                return
            if self._thread is not None:  # a copy taken up after a restart has nothing coming
                self.wait_for(position, timeout)
            self.stop()
            _sync_to_disk(self.tenant.log.path)
            crash_point("adoption.synced")
            copied = _last_copied(self.tenant.log.path)
            if copied != position:
                self._fail(f"the copy ends at position {copied}, the source sealed the tenant at {position}")
                return
            if why_not := self._unsealed_at_source(position):
                self._fail(why_not)
                return
            crash_point("adoption.seal-confirmed")
            tenant = self.tenant
            with tenant.paused():
                sealer = tenant.cipher.sealer if tenant.cipher else None
                tenant.log.close()
                tenant.log = EventLog(tenant.log.path, sealer)  # learns the copied positions and versions
                tenant.catch_up()
                write_handover(self.folder, self.record.becomes(LIVE, position=position))
                crash_point("adoption.live")
            self.finished = True
            self.error = ""
            self.pool.arriving.pop(self.name, None)
            self.pool.release_arriving(self.name)

    def abandon(self) -> bool:
        """Drop the copy (its record last, so a crash midway leaves it arriving); False when it went live already."""
        with self._decide:
            if self.finished:
                return False
            self.stop()
            self.pool.drop(self.name)
            _remove_all_but_the_record(self.folder)
            (self.folder / HANDOVER_FILE).unlink(missing_ok=True)
            sync_folder(self.folder)
            crash_point("adoption.abandoned")
            self.pool.arriving.pop(self.name, None)
            self._fail("abandoned")
            return True

    def _unsealed_at_source(self, position: int) -> str:
        """Why the source's own record does not show the tenant sealed for this attempt at `position` ("": it does)."""
        try:
            with dial(self.source, self.credentials) as channel:
                seal = TenancyServiceStub(channel).Handover(HandoverReq(tenant=self.name), timeout=10)
        except grpc.RpcError as error:
            return f"cannot ask {self.source} for its seal: {error.code().name}: {error.details()}"
        if seal.state != SEALED or seal.attempt != self.record.attempt or seal.position != position:
            return f"{self.source} has not sealed the tenant for attempt {self.record.attempt} at position {position}"
        return ""

    def stop(self) -> None:
        """End the follow (the copy keeps what it has)."""
        if self._call is not None:
            self._call.cancel()
            self._thread.join(30)

    def _follow(self) -> None:
        tenant = self.tenant
        sealer = tenant.cipher.sealer if tenant.cipher else None
        db = sqlite3.connect(str(tenant.log.path), isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous=NORMAL")  # no fsync per copied event: one at the finish
        copied = 0
        try:
            for logged in self._call:
                type_name = logged.event.type_url.rpartition("/")[2]
                data = logged.event.value
                stored = sealer.seal(logged.position, data, type_name) if sealer else data
                db.execute("INSERT INTO events(position, version, type, data, recorded) VALUES (?, ?, ?, ?, ?)",
                           (logged.position, logged.version, type_name, stored, logged.recorded))
                crash_point("adoption.copied")
                copied += 1
                if copied % APPLY_EVERY == 0:
                    tenant.catch_up()
                with self._changed:
                    self.position = logged.position
                    self._changed.notify_all()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:  # CANCELLED: finish ended the follow
                self._fail(f"following {self.source}: {error.code().name}: {error.details()}")
        except Exception as error:  # noqa: BLE001 - the reason goes back to the source node
            self._fail(f"{type(error).__name__}: {error}")
        finally:
            db.close()
            self._channel.close()

    def _fail(self, why: str) -> None:
        with self._changed:
            self.error = why
            self._changed.notify_all()


def _remove_all_but_the_record(folder: Path) -> None:
    for path in folder.iterdir():
        if path.name == HANDOVER_FILE:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    sync_folder(folder)


def _last_copied(log_path: Path) -> int:
    db = sqlite3.connect(str(log_path))
    try:
        return db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]
    finally:
        db.close()


def _sync_to_disk(log_path) -> None:
    """Everything copied is on disk before the source lets go of the tenant."""
    db = sqlite3.connect(str(log_path), isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA wal_checkpoint(FULL)")
    finally:
        db.close()
