"""The source side of a live migration (`bf migrate TENANT --to ADDR`).

1. Ask the target to adopt the tenant: it follows this node's event stream.
2. Wait while it copies, the tenant serving all along.
3. Hold the tenant's writes (its lock), note the last position, and wait for
   the target to reach it and take over: at most `max_pause` seconds, else the
   migration is called off and the tenant stays here.
4. Mark the tenant moved: calls here are refused, naming the new node.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc

from domain.contracts.tenancy_pb2 import AdoptProgressReq, AdoptReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from workbench.core.codes import Code
from workbench.service.rpc import ServiceError
from workbench.tenancy.certificates import dial
from workbench.tenancy.compactor import logged_events
from workbench.tenancy.moved import MovedState, record_move
from workbench.tenancy.pool import TenantPool

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
                   credentials: grpc.ChannelCredentials | None = None) -> Migrated:
    started = time.perf_counter()
    tenant, release = pool.hold(name)
    try:
        with dial(target, credentials) as channel:
            stub = TenancyServiceStub(channel)
            try:
                stub.Adopt(AdoptReq(tenant=name, source=here))
            except grpc.RpcError as error:
                raise ServiceError(Code.FAILED_PRECONDITION, f"{target} cannot adopt {name!r}: {error.details()}") from None
            first_end = tenant.log.last_position
            _catch_up(stub, tenant, name, target)
            with tenant.paused():  # writes wait here until the switch
                held = time.perf_counter()
                end = tenant.log.last_position
                progress = _progress(stub, name, target, end, max_pause, finish=True)
                if not progress.finished:
                    raise ServiceError(Code.ABORTED, f"{target} did not catch up within {max_pause} s"
                                       f" ({progress.position} of {end}); {name!r} stays here")
                copied = logged_events(tenant.log.path, end)
                record_move(tenant.folder, target)
                tenant.log.close()
                tenant.db.close()
                tenant.db = MovedState(name, target)
                pool.forget(name)  # from now on, opening it finds the move recorded
                pause = time.perf_counter() - held
    finally:
        release()
    return Migrated(copied, end - first_end, pause, time.perf_counter() - started)


def _catch_up(stub: TenancyServiceStub, tenant, name: str, target: str) -> None:
    """Until the target is within CLOSE_ENOUGH events of the log's end, which moves on meanwhile."""
    deadline = time.monotonic() + CATCH_UP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        end = tenant.log.last_position
        progress = _progress(stub, name, target, max(0, end - CLOSE_ENOUGH), CATCH_UP_ROUND_SECONDS, finish=False)
        if tenant.log.last_position - progress.position <= CLOSE_ENOUGH:
            return
    raise ServiceError(Code.ABORTED, f"{target} could not keep up with {name!r} in {CATCH_UP_LIMIT_SECONDS} s; it stays here")


def _progress(stub, name: str, target: str, position: int, timeout: float, finish: bool):
    try:
        progress = stub.AdoptProgress(AdoptProgressReq(tenant=name, position=position, timeout_seconds=timeout,
                                                       finish=finish), timeout=timeout + 5)
    except grpc.RpcError as error:
        raise ServiceError(Code.ABORTED, f"{target} lost track of {name!r}: {error.details()}") from None
    if progress.error:
        raise ServiceError(Code.ABORTED, f"{target} failed adopting {name!r}: {progress.error}")
    return progress
