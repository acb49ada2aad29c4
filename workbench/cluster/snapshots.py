"""Compaction in a cluster: the shortest events that rebuild a tenant's state become
a snapshot in the JetStream object store, and the log's older groups are purged.

On the owner, with the tenant held still (its writes wait): the domain's
compaction rules (`<domain>.compaction`) give the events from the state; they
are replayed into an empty state whose fingerprint must equal the live one, or
nothing changes. The snapshot is one `ClusterLogGroup` at the positions
P-N+1..P (P: the tenant's position, N events) with `through_seq` = the stream
sequence of the tenant's last group, stored under the tenant's name in the
bucket `bf_snapshots` (R3); then the subject is purged below that sequence (the
last group stays, so the log's head is still known). A copy that finds the log
jumping past its end (`BehindSnapshot`) is rebuilt from the snapshot and the
groups after it; warm copies already past the snapshot just go on.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from nats.js.errors import NotFoundError, ObjectNotFoundError

from domain.contracts.cluster_pb2 import ClusterLogGroup
from domain.contracts.tenancy_pb2 import CompactResp
from workbench.cluster.link import NatsLink
from workbench.cluster.replicated_log import STREAM, BehindSnapshot, CacheAhead, ReplicatedLog, subject_of
from workbench.core.codes import Code
from workbench.core.domain import Domain
from workbench.service.event_log import LoggedEvent
from workbench.service.rpc import ServiceError
from workbench.service.tenant import LOG_FILE, Tenant
from workbench.tenancy.compactor import replay
from workbench.tenancy.fingerprint import state_fingerprint

if TYPE_CHECKING:
    from workbench.tenancy.sealing import Sealer

BUCKET = "bf_snapshots"
_LOG = logging.getLogger("bf.cluster")


def snapshot_store(link: NatsLink, replicas: int = 3):
    try:
        return link.call(link.js.object_store(BUCKET))
    except (NotFoundError, ObjectNotFoundError):
        return link.call(link.js.create_object_store(bucket=BUCKET, replicas=replicas))


def read_snapshot(link: NatsLink, tenant: str) -> ClusterLogGroup | None:
    try:
        found = link.call(snapshot_store(link).get(tenant))
    except (NotFoundError, ObjectNotFoundError):
        return None
    return ClusterLogGroup.FromString(found.data)


def pulled_log(folder: Path, link: NatsLink, tenant: str, writer: str, term: Callable[[], int],
               sealer: "Sealer | None" = None) -> ReplicatedLog:
    """The tenant's copy in `folder` caught up with the cluster's log: pulled, or rebuilt
    from the snapshot and what follows it when the log has moved past it (or it knows
    more than the cluster)."""
    log = ReplicatedLog(folder / LOG_FILE, link, tenant, writer, term, sealer)
    try:
        log.pull()
        return log
    except (BehindSnapshot, CacheAhead) as error:
        log.close()
        _LOG.warning("%s; rebuilding this node's copy of %r from the cluster", error, tenant)
    except BaseException:
        log.close()
        raise
    shutil.rmtree(folder)
    folder.mkdir(mode=0o700)
    log = ReplicatedLog(folder / LOG_FILE, link, tenant, writer, term, sealer)
    try:
        snapshot = read_snapshot(link, tenant)
        if snapshot is not None:
            log.load_snapshot(snapshot)
        log.pull()
        return log
    except BaseException:
        log.close()
        raise


def compact(link: NatsLink, domain: Domain, tenant: Tenant, writer: str, term: int) -> CompactResp:
    """Snapshot `tenant` (open and owned here) and purge its older groups."""
    rules = importlib.import_module(f"{domain.project.domain}.compaction")
    with tenant.paused():
        held = time.monotonic()
        position, version, seq = tenant.position, tenant.version, tenant.log.stream_seq
        events = rules.compacted_events(tenant.db)
        fingerprint = state_fingerprint(tenant.db, rules.CANON)
        if state_fingerprint(replay(domain, events), rules.CANON) != fingerprint:
            raise ServiceError(Code.INTERNAL, f"tenant {tenant.name!r}: the compacted events do not rebuild its"
                                              f" state; nothing changed")
        if len(events) >= position:
            return CompactResp(events_before=position, events_after=position, fingerprint=fingerprint)
        first = position - len(events) + 1
        now = time.time()
        snapshot = ClusterLogGroup(writer=writer, term=term, through_seq=seq, events=tenant.log.to_wire([
            LoggedEvent(first + i, version, type_name, data, now)
            for i, (type_name, data) in enumerate(tenant.codec.encode(event) for event in events)]))
        data = snapshot.SerializeToString()
        link.call(snapshot_store(link).put(tenant.name, data))
        link.call(link.js.purge_stream(STREAM, subject=subject_of(tenant.name), seq=seq))
        pause = time.monotonic() - held
    return CompactResp(events_before=position, events_after=len(events), bytes_after=len(data),
                       fingerprint=fingerprint, pause_seconds=pause, archive=f"object store {BUCKET}/{tenant.name}")
