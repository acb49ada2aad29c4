"""Checks on a cluster after the fact, from its log on JetStream: who wrote,
what is in it, and whether every node's copy of a tenant equals a replay.

    writers_overlap   a term (lease) with two writers, or terms going back: two nodes wrote at once
    missing           ids an acknowledged answer gave that no logged event holds: a lost write
    fingerprints      the state replayed from the log, and each node's copy caught up from it
"""

from __future__ import annotations

import asyncio
import importlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from domain.contracts.cluster_pb2 import ClusterLogGroup
from workbench.cluster.link import ClusterUnavailable, NatsLink
from workbench.cluster.replicated_log import last_seq_of, read_groups
from workbench.cluster.snapshots import pulled_log
from workbench.core.domain import Domain
from workbench.service.tenant import Tenant
from workbench.tenancy.keyring import Keyring
from workbench.tenancy.tenant_cipher import TenantCipher
from workbench.tenancy.fingerprint import state_fingerprint

READ_ATTEMPTS = 50


@dataclass(frozen=True)
class Group:
    writer: str
    term: int
    positions: tuple[int, ...]
    data: bytes  # every event's bytes, joined


def log_groups(link: NatsLink, tenant: str) -> list[Group]:
    """Every group of the tenant's log up to the last one the stream's leader acknowledged."""
    last = link.retrying(lambda: last_seq_of(link, tenant, leader=True), seconds=30)

    async def read() -> list[Group]:
        for attempt in range(READ_ATTEMPTS):  # the replica answering the reads may still lag behind `last`
            try:
                return [_group(group) async for _, group in read_groups(link, tenant, 0, last)]
            except ClusterUnavailable:
                if attempt == READ_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.1)
    return link.call(read(), timeout=None)


def _group(group: ClusterLogGroup) -> Group:
    return Group(group.writer, group.term, tuple(e.position for e in group.events),
                 b"".join(e.data for e in group.events))


def writers_overlap(groups: list[Group]) -> bool:
    """True when the log shows two writers at once: a term with two writers, or a term after a later one."""
    writers: dict[int, str] = {}
    highest = 0
    for group in groups:
        if writers.setdefault(group.term, group.writer) != group.writer or group.term < highest:
            return True
        highest = group.term
    return False


def positions_continue(groups: list[Group]) -> bool:
    positions = [p for group in groups for p in group.positions]
    return positions == list(range(1, len(positions) + 1))


def missing(groups: list[Group], ids: set[str]) -> set[str]:
    """The ids no logged event's bytes contain."""
    logged = b"\0".join(group.data for group in groups)
    return {uid for uid in ids if uid.encode() not in logged}


def tenant_fingerprint(link: NatsLink, domain: Domain, tenant: str, folder: Path, writer: str = "audit",
                       keyring: Keyring | None = None) -> str:
    """The state fingerprint of the tenant kept in `folder` (its log cache and state there,
    made if absent), once caught up with the cluster's log (`keyring`: an encrypted cluster's)."""
    canon = importlib.import_module(f"{domain.project.domain}.compaction").CANON
    cipher = TenantCipher(keyring.keys(tenant)) if keyring is not None else None
    log = pulled_log(folder, link, tenant, writer, lambda: 0, cipher and cipher.sealer)
    opened = Tenant(tenant, domain, folder, log=log, cipher=cipher)
    try:
        with opened.paused():
            return state_fingerprint(opened.db, canon)
    finally:
        opened.close()


def replayed_fingerprint(link: NatsLink, domain: Domain, tenant: str, keyring: Keyring | None = None) -> str:
    """The fingerprint of a state built from nothing but the cluster's log."""
    with tempfile.TemporaryDirectory(prefix="bf-replay-") as folder:
        return tenant_fingerprint(link, domain, tenant, Path(folder), keyring=keyring)
