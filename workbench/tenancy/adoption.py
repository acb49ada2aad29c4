"""The target side of a live migration: copy a tenant's log from its source
node, follow it live, and start serving it when told the source has stopped.

The copy keeps every position, version and time of the source's log, sealed
under this node's key for the tenant. Until `finish`, clients asking this
node for the tenant are told it is still arriving.
"""

from __future__ import annotations

import sqlite3
import threading

import grpc

from domain.contracts.service_pb2 import FollowReq
from domain.contracts.service_pb2_grpc import EventStreamServiceStub
from workbench.service.event_log import EventLog
from workbench.service.rpc import TENANT_METADATA
from workbench.tenancy.certificates import dial
from workbench.tenancy.pool import TenantPool

APPLY_EVERY = 500  # events: keep the state close behind, so the final catch-up is short


class Adoption:
    def __init__(self, pool: TenantPool, name: str, source: str, credentials: grpc.ChannelCredentials | None = None):
        self.pool, self.name, self.source = pool, name, source
        self.position = 0  # the source's last position copied here
        self.error = ""
        self.finished = False
        self._changed = threading.Condition()
        self._channel = dial(source, credentials)
        self._call = EventStreamServiceStub(self._channel).Follow(FollowReq(after=0), metadata=[(TENANT_METADATA, name)])
        pool.arriving[name] = source
        pool.create(name)
        self.tenant = pool.adopted(name)
        self._thread = threading.Thread(target=self._follow, name=f"adopt-{name}", daemon=True)
        self._thread.start()

    def wait_for(self, position: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.position >= position or self.error, timeout) and not self.error

    def apply(self) -> None:
        """Bring the state up to what is copied (between rounds, so the final catch-up has little left)."""
        self.tenant.catch_up()

    def finish(self, position: int, timeout: float) -> bool:
        """Once the copy reaches `position` (where the source stopped), serve the tenant here."""
        if not self.wait_for(position, timeout):
            return False
        self._call.cancel()  # ends the follow
        self._thread.join(timeout)
        _sync_to_disk(self.tenant.log.path)
        tenant = self.tenant
        with tenant.paused():
            sealer = tenant.cipher.sealer if tenant.cipher else None
            tenant.log.close()
            tenant.log = EventLog(tenant.log.path, sealer)  # learns the copied positions and versions
            tenant.catch_up()
        self.finished = True
        del self.pool.arriving[self.name]
        return True

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


def _sync_to_disk(log_path) -> None:
    """Everything copied is on disk before the source lets go of the tenant."""
    db = sqlite3.connect(str(log_path), isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA wal_checkpoint(FULL)")
    finally:
        db.close()
