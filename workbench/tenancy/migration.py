"""The source side of a live migration (`bf migrate TENANT --to ADDR`).

1. Ask the target to adopt the tenant (a new attempt of the next epoch,
   handover.py): it copies this node's event stream; a retry starts it again.
2. Wait while it copies, the tenant serving all along.
3. Hold the tenant's writes (its lock), note the last position P, and wait for
   the target to reach it: at most `max_pause` seconds, else the migration is
   called off (the target drops its copy) and the tenant stays here.
4. Seal the tenant at P, durably: from here on this node refuses it.
5. Ask the target to go live at exactly P (resolution.py): then the move is
   recorded and calls here are refused naming the new node; if the target
   cannot, it drops its copy and the tenant is unsealed; if it does not
   answer, the tenant stays sealed and the answer is sought in the background.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import grpc

from domain.contracts.tenancy_pb2 import AbandonReq, AdoptProgressReq, AdoptReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from workbench.core.codes import Code
from workbench.core.crash_points import crash_point
from workbench.service.rpc import ServiceError
from workbench.tenancy.certificates import dial
from workbench.tenancy.compactor import logged_events
from workbench.tenancy.handover import SEALED, Handover, epoch_of, write_handover
from workbench.tenancy.moved import MovedState, TenantMoved, TenantSealed
from workbench.tenancy.pool import TenantPool
from workbench.tenancy.resolution import MOVED, PENDING, UNSEALED, Resolver, settle

MAX_PAUSE_SECONDS = 1.0
CATCH_UP_ROUND_SECONDS = 5.0
CLOSE_ENOUGH = 200  # events behind: close enough to hold writes for the rest
CATCH_UP_LIMIT_SECONDS = 600.0


@dataclass
class Migrated:
    events: int  # copied
    caught_up_live: int  # positions logged while the copy ran
    pause_seconds: float
    total_seconds: float


def migrate_tenant(pool: TenantPool, name: str, here: str, target: str, max_pause: float = MAX_PAUSE_SECONDS,
                   credentials: grpc.ChannelCredentials | None = None, resolver: Resolver | None = None) -> Migrated:
    started = time.perf_counter()
    tenant, release = pool.hold(name)
    outcome = ""  # once sealed: how the handover settled
    try:
        epoch = epoch_of(tenant.folder) + 1
        attempt = f"{epoch}.{secrets.token_hex(8)}"
        with dial(target, credentials) as channel:
            stub = TenancyServiceStub(channel)
            try:
                stub.Adopt(AdoptReq(tenant=name, source=here, epoch=epoch, attempt=attempt))
            except grpc.RpcError as error:
                raise ServiceError(Code.FAILED_PRECONDITION, f"{target} cannot adopt {name!r}: {error.details()}") from None
            crash_point("migration.adopt-asked")
            first_end = tenant.log.last_position
            try:
                _catch_up(stub, tenant, name, target, attempt)
                crash_point("migration.caught-up")
                with tenant.paused():  # writes wait here until the switch
                    held = time.perf_counter()
                    end = tenant.log.last_position
                    progress = _progress(stub, name, target, end, max_pause, attempt)
                    if progress.position < end:
                        raise ServiceError(Code.ABORTED, f"{target} did not catch up within {max_pause} s"
                                           f" ({progress.position} of {end}); {name!r} stays here")
                    copied = logged_events(tenant.log.path, end)
                    seal = Handover(SEALED, epoch, attempt, target, end)
                    outcome = PENDING  # from the seal on (even one that fails midway) it never serves from memory
                    try:
                        write_handover(tenant.folder, seal)  # from here on, this node never accepts a write for it
                        crash_point("migration.sealed")
                        outcome = settle(stub, tenant.folder, name, seal)
                    finally:
                        if outcome != UNSEALED:
                            _let_go(pool, tenant, name, target, TenantMoved if outcome == MOVED else TenantSealed)
                    if outcome == UNSEALED:
                        raise ServiceError(Code.ABORTED, f"{target} could not take {name!r} over; it stays here")
                    pause = time.perf_counter() - held
            except ServiceError as error:
                if error.code == Code.ABORTED:
                    _call_off(stub, name, epoch, attempt)
                raise
    except BaseException:
        if outcome == PENDING:
            (resolver or Resolver(pool, credentials)).settle_later(name)
        raise
    finally:
        release()
    if outcome == PENDING:
        (resolver or Resolver(pool, credentials)).settle_later(name)
        raise ServiceError(Code.UNAVAILABLE, f"{name!r} is sealed here at position {end} but {target} did not confirm"
                                             " taking it over: this node asks it again until it answers")
    return Migrated(copied, end - first_end, pause, time.perf_counter() - started)


def _let_go(pool: TenantPool, tenant, name: str, target: str, refusal) -> None:
    """Calls still holding the tenant meet `refusal`; opening it again finds the handover recorded."""
    tenant.log.close()
    tenant.db.close()
    tenant.db = MovedState(name, target, refusal)
    pool.forget(name)


def _call_off(stub: TenancyServiceStub, name: str, epoch: int, attempt: str) -> None:
    """The target drops its copy (best effort: a retry starts a new copy anyway)."""
    try:
        stub.Abandon(AbandonReq(tenant=name, attempt=attempt, epoch=epoch), timeout=5)
    except grpc.RpcError:
        pass


def _catch_up(stub: TenancyServiceStub, tenant, name: str, target: str, attempt: str) -> None:
    """Until the target is within CLOSE_ENOUGH events of the log's end, which moves on meanwhile."""
    deadline = time.monotonic() + CATCH_UP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        end = tenant.log.last_position
        progress = _progress(stub, name, target, max(0, end - CLOSE_ENOUGH), CATCH_UP_ROUND_SECONDS, attempt)
        if tenant.log.last_position - progress.position <= CLOSE_ENOUGH:
            return
    raise ServiceError(Code.ABORTED, f"{target} could not keep up with {name!r} in {CATCH_UP_LIMIT_SECONDS} s; it stays here")


def _progress(stub, name: str, target: str, position: int, timeout: float, attempt: str):
    try:
        progress = stub.AdoptProgress(AdoptProgressReq(tenant=name, position=position, timeout_seconds=timeout,
                                                       attempt=attempt), timeout=timeout + 5)
    except grpc.RpcError as error:
        raise ServiceError(Code.ABORTED, f"{target} lost track of {name!r}: {error.details()}") from None
    if progress.error:
        raise ServiceError(Code.ABORTED, f"{target} failed adopting {name!r}: {progress.error}")
    return progress
