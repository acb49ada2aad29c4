"""bf.TenancyService: compaction and live migration, served by every node."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import grpc

from domain.contracts.tenancy_pb2 import (
    AbandonReq, AbandonResp, AdoptProgressReq, AdoptProgressResp, AdoptReq, AdoptResp, CompactReq, CompactResp,
    HandoverReq, HandoverResp, MigrateReq, MigrateResp,
)
from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.core.observer import observer
from workbench.service.rpc import ServiceError, add_service, unary
from workbench.service.tenants import BadTenantName, UnknownTenant, check_tenant_name
from workbench.tenancy.adoption import Adoption, AdoptionRefused
from workbench.tenancy.compactor import CompactionError, compact_tenant
from workbench.tenancy.migration import migrate_tenant
from workbench.tenancy.handover import ARRIVING, read_handover
from workbench.tenancy.moved import moved_to
from workbench.tenancy.pool import TenantPool
from workbench.tenancy.resolution import Resolver

SERVICE = "bf.TenancyService"


class TenancyService:
    def __init__(self, domain: Domain, pool: TenantPool, credentials: grpc.ChannelCredentials | None = None):
        self.domain = domain
        self.pool = pool
        self.credentials = credentials  # to dial other nodes over TLS (they trust the same CA)
        self._address = ""
        self._adoptions: dict[str, Adoption] = {}
        self._lock = threading.Lock()
        self.resolver = Resolver(pool, credentials)

    @property
    def address(self) -> str:
        """This node's address, for targets to follow it and check its seals."""
        return self._address

    @address.setter
    def address(self, address: str) -> None:
        """Set once the server listens: then the handovers a killed run of this node left sealed are
        settled (a target checks the seal with this node, so it must answer by then)."""
        first = not self._address
        self._address = address
        if first:
            self.resolver.settle_all_later()

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, SERVICE, {
            "Compact": unary(f"{SERVICE}.Compact", self.compact, CompactReq),
            "Migrate": unary(f"{SERVICE}.Migrate", self.migrate, MigrateReq),
            "Adopt": unary(f"{SERVICE}.Adopt", self.adopt, AdoptReq),
            "AdoptProgress": unary(f"{SERVICE}.AdoptProgress", self.adopt_progress, AdoptProgressReq),
            "Abandon": unary(f"{SERVICE}.Abandon", self.abandon, AbandonReq),
            "Handover": unary(f"{SERVICE}.Handover", self.handover, HandoverReq),
        })
        return SERVICE

    def compact(self, request: CompactReq, context) -> CompactResp:
        tenant, release = self._hold(request.tenant)
        try:
            with _reported("compact", request.tenant) as figures:
                done = compact_tenant(tenant, self.domain)
                figures.update(events_before=done.events_before, events_after=done.events_after,
                               pause_seconds=done.pause_seconds)
        except CompactionError as error:
            raise ServiceError(Code.INTERNAL, str(error)) from None
        finally:
            release()
        return CompactResp(events_before=done.events_before, events_after=done.events_after,
                           bytes_before=done.bytes_before, bytes_after=done.bytes_after, fingerprint=done.fingerprint,
                           pause_seconds=done.pause_seconds, archive=str(done.archive or ""))

    def migrate(self, request: MigrateReq, context) -> MigrateResp:
        self._hold(request.tenant)[1]()
        if not request.to:
            raise ServiceError(Code.INVALID_ARGUMENT, "'to' (the target node's address) is empty")
        with _reported("migrate", request.tenant) as figures:
            done = migrate_tenant(self.pool, request.tenant, self.address, request.to, credentials=self.credentials,
                                  resolver=self.resolver)
            figures.update(events=done.events, pause_seconds=done.pause_seconds)
        return MigrateResp(events=done.events, caught_up_live=done.caught_up_live,
                           pause_seconds=done.pause_seconds, total_seconds=done.total_seconds)

    def adopt(self, request: AdoptReq, context) -> AdoptResp:
        self._check_name(request.tenant)
        if not request.attempt or request.epoch < 1:
            raise ServiceError(Code.INVALID_ARGUMENT, "Adopt needs the move's epoch and attempt (is the source node older?)")
        with self._lock:
            earlier = self._adoptions.pop(request.tenant, None)
            if earlier is not None:
                earlier.stop()  # a retry: the copy starts again
            try:
                self._adoptions[request.tenant] = Adoption.begin(self.pool, request.tenant, request.source, request.epoch,
                                                                 request.attempt, self.credentials)
            except AdoptionRefused as error:
                raise ServiceError(Code.ALREADY_EXISTS, str(error)) from None
        return AdoptResp()

    def adoptions(self) -> dict[str, Adoption]:
        """The tenants being copied here, for the metrics of their progress."""
        with self._lock:
            return dict(self._adoptions)

    def adopt_progress(self, request: AdoptProgressReq, context) -> AdoptProgressResp:
        record = read_handover(self.pool.folder / request.tenant) if self._known(request.tenant) else None
        if request.finish and record is not None and record.went_live(request.epoch, request.attempt):
            return AdoptProgressResp(position=record.position, finished=True)
        adoption = self._adoption(request.tenant)
        if request.attempt and request.attempt != adoption.record.attempt:  # a late call of an earlier attempt
            raise ServiceError(Code.NOT_FOUND, f"no adoption of tenant {request.tenant!r} for attempt {request.attempt}"
                                               f" on this node (it copies attempt {adoption.record.attempt})")
        timeout = max(0.0, min(request.timeout_seconds, 30.0))
        if request.finish:
            adoption.finish(request.position, timeout)
        elif adoption.wait_for(request.position, timeout):
            adoption.apply()
        return AdoptProgressResp(position=adoption.position, finished=adoption.finished, error=adoption.error)

    def abandon(self, request: AbandonReq, context) -> AbandonResp:
        record = read_handover(self.pool.folder / request.tenant) if self._known(request.tenant) else None
        if record is None:
            return AbandonResp(live=False)  # nothing of it here
        if record.went_live(request.epoch, request.attempt):
            return AbandonResp(live=True)
        if record.state != ARRIVING or record.attempt != request.attempt:
            return AbandonResp(live=False)  # not this attempt's copy: left alone
        if not self._adoption(request.tenant).abandon():
            return AbandonResp(live=True)
        with self._lock:
            self._adoptions.pop(request.tenant, None)
        return AbandonResp(live=False)

    def handover(self, request: HandoverReq, context) -> HandoverResp:
        if not self._known(request.tenant):
            raise ServiceError(Code.NOT_FOUND, f"no tenant {request.tenant!r} on this node")
        folder = self.pool.folder / request.tenant
        record = read_handover(folder)
        moved = moved_to(folder) is not None
        if record is None:
            return HandoverResp(moved=moved)
        return HandoverResp(state=record.state, epoch=record.epoch, attempt=record.attempt, peer=record.peer,
                            position=record.position, moved=moved)

    def _adoption(self, name: str) -> Adoption:
        """The adoption of `name` running here, or the copy an earlier run of this node left, taken up."""
        with self._lock:
            adoption = self._adoptions.get(name)
            if adoption is None:
                record = read_handover(self.pool.folder / name)
                if record is None or record.state != ARRIVING:
                    raise ServiceError(Code.NOT_FOUND, f"no adoption of tenant {name!r} on this node")
                adoption = self._adoptions[name] = Adoption(self.pool, name, record, self.credentials, follow=False)
            return adoption

    def _known(self, name: str) -> bool:
        self._check_name(name)
        return (self.pool.folder / name).is_dir()

    def _hold(self, name: str):
        self._check_name(name)
        try:
            return self.pool.hold(name)
        except UnknownTenant as error:
            raise ServiceError(Code.NOT_FOUND, str(error)) from None

    @staticmethod
    def _check_name(name: str) -> None:
        try:
            check_tenant_name(name)
        except BadTenantName as error:
            raise ServiceError(Code.INVALID_ARGUMENT, str(error)) from None


@contextmanager
def _reported(operation: str, tenant: str):
    """Tell the observer that `operation` ran on `tenant`, how long it took, and
    the figures the block put in the dict it gets (none when it failed)."""
    started, figures = time.perf_counter(), {}
    try:
        yield figures
    except BaseException:
        figures = {"failed": 1}
        raise
    finally:
        observer().maintenance(operation, tenant, time.perf_counter() - started, figures)
