"""Settling a sealed handover on the source node: the target goes live, or the move is called off.

The source sealed the tenant at position P for one attempt (handover.py); it
asks the target to go live for exactly that. Live: the move is recorded done
(`moved-to`). The target cannot (its copy is short, or of another attempt, or
gone): the target drops its copy and confirms, then the source unseals and
serves the tenant again. No answer: the tenant stays sealed, refused here, and
`Resolver` asks again in the background (and on every start of the node)
until the target answers. Both outcomes are decided by the target under one
lock, so the source never unseals a tenant the target serves.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path

import grpc

from domain.contracts.tenancy_pb2 import AbandonReq, AdoptProgressReq
from domain.contracts.tenancy_pb2_grpc import TenancyServiceStub
from workbench.core.crash_points import crash_point
from workbench.tenancy.certificates import dial
from workbench.tenancy.handover import LIVE, SEALED, Handover, read_handover, write_handover
from workbench.tenancy.moved import moved_to, record_move
from workbench.tenancy.pool import TenantPool

MOVED, UNSEALED, PENDING = "moved", "unsealed", "pending"
FINISH_SECONDS = 10.0
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # between asks while the target does not answer (the last repeats)
_LOG = logging.getLogger("bf.serve")


def settle(stub: TenancyServiceStub, folder: Path, name: str, seal: Handover) -> str:
    """MOVED, UNSEALED or PENDING (no answer from the target: still sealed)."""
    if moved_to(folder) is not None:
        return MOVED
    try:
        progress = stub.AdoptProgress(AdoptProgressReq(tenant=name, position=seal.position, finish=True,
                                                       attempt=seal.attempt, epoch=seal.epoch,
                                                       timeout_seconds=FINISH_SECONDS),
                                      timeout=FINISH_SECONDS + 5)
        if progress.finished:
            return _moved(folder, seal)
        crash_point("migration.finish-refused")
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:  # NOT_FOUND: the target has no copy of this attempt
            return PENDING
    try:
        if stub.Abandon(AbandonReq(tenant=name, attempt=seal.attempt, epoch=seal.epoch), timeout=FINISH_SECONDS).live:
            return _moved(folder, seal)
    except grpc.RpcError:
        return PENDING
    crash_point("migration.target-abandoned")
    write_handover(folder, Handover(LIVE, seal.epoch - 1, "", ""))  # owned here again, at the epoch before
    crash_point("migration.unsealed")
    return UNSEALED


def _moved(folder: Path, seal: Handover) -> str:
    crash_point("migration.target-live")
    record_move(folder, seal.peer)
    crash_point("migration.moved")
    return MOVED


class Resolver:
    """Settles, in the background, the handovers left sealed on this node."""

    def __init__(self, pool: TenantPool, credentials: grpc.ChannelCredentials | None = None):
        self.pool, self.credentials = pool, credentials
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def settle_all_later(self) -> None:
        for name in self.pool.handovers(SEALED):
            self.settle_later(name)

    def settle_later(self, name: str) -> None:
        with self._lock:
            if name in self._busy:
                return
            self._busy.add(name)
        threading.Thread(target=self._settle, args=(name,), name=f"settle-{name}", daemon=True).start()

    def _settle(self, name: str) -> None:
        folder = self.pool.folder / name
        try:
            for asked in itertools.count():
                seal = read_handover(folder)
                if seal is None or seal.state != SEALED or self.pool.closed:
                    return
                try:
                    with dial(seal.peer, self.credentials) as channel:
                        outcome = settle(TenancyServiceStub(channel), folder, name, seal)
                except OSError as error:  # recording the outcome failed (a full disk): ask again later
                    _LOG.warning("tenant %r: settling the handover to %s: %s", name, seal.peer, error)
                    outcome = PENDING
                if outcome != PENDING:
                    _LOG.info("tenant %r: the handover to %s settled: %s", name, seal.peer, outcome)
                    return
                time.sleep(RETRY_SECONDS[min(asked, len(RETRY_SECONDS) - 1)])
        finally:
            with self._lock:
                self._busy.discard(name)
