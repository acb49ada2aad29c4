"""A tenant's event log whose truth is a subject of a JetStream stream.

The stream `BF_LOG` (R3: Raft inside NATS, three copies) holds every tenant's
log on the subject `bf.log.<tenant>`; one message is one group commit (the
events of every request of the group), so a group is all or nothing. The
node's `log.db` is a cache of that subject: an append goes to JetStream first
and is written to the cache (and acknowledged) only once JetStream acked it;
opening a tenant pulls what the cache lacks.

Fencing: each append carries `Nats-Expected-Last-Subject-Sequence`, the stream
sequence of the last message this node knows on the tenant's subject. If any
other node appended since, JetStream refuses (err 10071) and this log turns
stale: it appends nothing more, and the tenant must be reopened (and caught up)
before it serves again. So a node that lost the tenant can never append, even
when it has not noticed yet. An append whose fate is unknown (JetStream did not
answer in time) turns the log stale too: only the cluster's log can say.

The cache's own file is not fsynced per commit (JetStream holds the truth); it
records the stream sequence it has reached in `bf_stream`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator, Callable

from nats.js import api
from nats.js.errors import APIError, NotFoundError

from domain.contracts.cluster_pb2 import ClusterLogEvent, ClusterLogGroup
from workbench.cluster.link import (LEADER_ATTEMPT_SECONDS, LOG_STREAM, PROBE_SECONDS, ClusterUnavailable, NatsLink,
                                   Unavailable, direct_batch, retried)
from workbench.core.observer import observer
from workbench.service.event_log import EventLog, EventLogClosed, LoggedEvent

if TYPE_CHECKING:
    from workbench.tenancy.sealing import Sealer

STREAM = LOG_STREAM
SUBJECT_PREFIX = "bf.log."
WRONG_LAST_SEQUENCE = 10071
PULL_BATCH = 500  # messages written to the cache in one commit while pulling
READ_BATCH = 200  # messages asked for in one direct get

_STREAM_TABLE = """
CREATE TABLE IF NOT EXISTS bf_stream (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
INSERT OR IGNORE INTO bf_stream(id, seq) VALUES (1, 0);
"""


class LogFenced(Unavailable):
    """This node's view of the tenant's log is stale: it may not append."""


class CopyClosed(EventLogClosed, Unavailable):
    """This node closed its copy of the tenant (it moved, or the lease was lost): try again,
    the caller will be sent to the owner."""

    def __init__(self, message: str):
        Unavailable.__init__(self, message)


class BehindSnapshot(RuntimeError):
    """The cluster's log no longer holds the groups this copy lacks: a snapshot replaced them."""


class CacheAhead(RuntimeError):
    """The local cache knows messages the cluster's log does not (the cluster lost its data)."""


def subject_of(tenant: str) -> str:
    return SUBJECT_PREFIX + tenant


def ensure_stream(link: NatsLink, replicas: int) -> None:
    """Make the stream unless it exists (asking its leader first: creating needs the meta leader,
    which may be in an election while a node restarts)."""
    try:
        link.call(link.js.stream_info(STREAM), timeout=PROBE_SECONDS + 1)
        return
    except NotFoundError:
        pass
    except ClusterUnavailable:
        return  # it exists (the first node made it); its leader is being elected
    config = api.StreamConfig(name=STREAM, subjects=[SUBJECT_PREFIX + ">"], num_replicas=replicas,
                              storage=api.StorageType.FILE, allow_direct=True)
    try:
        link.call(link.js.add_stream(config))
    except APIError as error:
        if "already in use" not in str(error):
            raise


async def read_groups(link: NatsLink, tenant: str, after_seq: int, last_seq: int) -> AsyncIterator[tuple[int, ClusterLogGroup]]:
    """The tenant's groups after stream sequence `after_seq` up to `last_seq`, with their sequences.

    Batched direct gets (`DIRECT.GET` with `next_by_subj` and `batch`, any replica answers):
    no consumer is made, so the warm copies' frequent small reads cost JetStream's meta
    leader nothing."""
    seq = after_seq
    while seq < last_seq:
        batch = await retried(lambda: _direct_batch(link, subject_of(tenant), seq + 1, READ_BATCH))
        if not batch:
            raise ClusterUnavailable(f"tenant {tenant!r}: the log ended at stream sequence {seq}, before {last_seq}")
        for message_seq, data in batch:
            if message_seq > last_seq:
                return
            seq = message_seq
            yield seq, ClusterLogGroup.FromString(data)


async def _direct_batch(link: NatsLink, subject: str, start: int, count: int) -> list[tuple[int, bytes]]:
    """Up to `count` messages of `subject` from stream sequence `start` on: (sequence, data) pairs."""
    found = await direct_batch(link, STREAM, {"seq": start, "next_by_subj": subject, "batch": count})
    return [(int(headers["Nats-Sequence"]), data) for headers, data in found]


async def last_seq_of(link: NatsLink, tenant: str, leader: bool = False) -> int:
    """The stream sequence of the tenant's last group (0: none yet). A direct get may be answered by a
    replica a little behind; `leader`: asked of the stream's leader, so every acknowledged group counts."""
    try:
        return (await link.quick.get_msg(STREAM, subject=subject_of(tenant), direct=not leader)).seq
    except NotFoundError:
        return 0


def decode_group(data: bytes) -> list[LoggedEvent]:
    group = ClusterLogGroup.FromString(data)
    return [LoggedEvent(e.position, e.version, e.type, e.data, e.recorded) for e in group.events]


class ReplicatedLog(EventLog):
    def __init__(self, path: Path | str, link: NatsLink, tenant: str, writer: str,
                 term: Callable[[], int] = lambda: 0, sealer: "Sealer | None" = None):
        """`term()` is the revision of the lease this node holds on the tenant; it raises when the lease is not valid.
        `sealer`: the tenant's (encryption at rest, cluster_keys.py): events are sealed in the cache and on
        JetStream."""
        super().__init__(path, sealer)
        self._db.execute("PRAGMA synchronous=NORMAL")  # a cache: the cluster's log is the durable copy
        self._db.executescript(_STREAM_TABLE)
        self._seq = self._db.execute("SELECT seq FROM bf_stream").fetchone()[0]
        self._link, self.tenant, self.subject, self.writer, self._term = link, tenant, subject_of(tenant), writer, term
        self.stale = False
        self._acked_seq = 0

    @property
    def stream_seq(self) -> int:
        """The stream sequence of the last message of the tenant this cache holds."""
        return self._seq

    def _require_open(self) -> None:
        if self._closed:
            raise CopyClosed(f"tenant {self.tenant!r} was closed on this node (it moved, or its lease ran out)")

    def _before_store(self, appended: list[list[LoggedEvent]]) -> None:
        if self.stale:
            raise LogFenced(f"tenant {self.tenant!r}: this node's copy of the log is stale; it must catch up first")
        group = ClusterLogGroup(writer=self.writer, term=self._term(),
                                events=self.to_wire([e for logged in appended for e in logged]))
        # The message id makes the append safe to send again when its answer was lost: JetStream answers a
        # repeat of a stored message with that message's sequence (its duplicate window) before it checks
        # the expected sequence, and refuses a repeat still in flight (err 10164: stale, never doubled).
        headers = {api.Header.EXPECTED_LAST_SUBJECT_SEQUENCE: str(self._seq), api.Header.MSG_ID: uuid.uuid4().hex}
        payload = group.SerializeToString()
        started = time.perf_counter()
        try:
            ack = self._link.retrying(lambda: self._link.quick.publish(self.subject, payload, headers=headers))
        except APIError as error:
            self.stale = True
            fenced = error.err_code == WRONG_LAST_SEQUENCE
            observer().cluster_appended(self.tenant, time.perf_counter() - started, "fenced" if fenced else "failed")
            if fenced:
                raise LogFenced(f"tenant {self.tenant!r}: another node appended to its log: this node may not") from None
            raise ClusterUnavailable(f"JetStream refused the append: {error}") from None
        except BaseException:
            self.stale = True  # appended or not, only the cluster's log can tell now
            observer().cluster_appended(self.tenant, time.perf_counter() - started, "failed")
            raise
        observer().cluster_appended(self.tenant, time.perf_counter() - started, "ok")
        self._acked_seq = ack.seq

    def _store_more(self, db: sqlite3.Connection, appended: list[list[LoggedEvent]]) -> None:
        db.execute("UPDATE bf_stream SET seq = ?", (self._acked_seq,))
        self._seq = self._acked_seq

    def pull(self, leader: bool = True) -> int:
        """Copy into the cache what the cluster's log has beyond it; returns how many events.
        `leader`: up to the last group the stream's leader acknowledged (what an owner must serve);
        else up to what any replica knows, which may lag a little (enough for a warm copy)."""
        with self._lock:
            self._require_open()
            last = self._link.retrying(lambda: last_seq_of(self._link, self.tenant, leader), attempt=LEADER_ATTEMPT_SECONDS)
            if last < self._seq and not leader:
                return 0  # the replica that answered is behind this copy
            if last < self._seq:
                raise CacheAhead(f"tenant {self.tenant!r}: the local log is at stream sequence {self._seq},"
                                 f" the cluster's at {last}")
            if last == self._seq:
                self.stale = False
                return 0
            pulled = self._link.call(self._pull_to(last), timeout=None)
            self.stale = False
            return pulled

    async def _pull_to(self, last: int) -> int:
        pulled = 0
        batch: list[list[LoggedEvent]] = []
        async for seq, group in read_groups(self._link, self.tenant, self._seq, last):
            events = self.from_wire(group.events)
            self._check_continues(batch, events)
            batch.append(events)
            if len(batch) >= PULL_BATCH or seq >= last:
                self._acked_seq = seq
                await asyncio.to_thread(self._store, batch)
                pulled += sum(len(events) for events in batch)
                batch = []
        return pulled

    def load_snapshot(self, snapshot: ClusterLogGroup) -> None:
        """Start an empty copy from a snapshot (snapshots.py): its events, and the stream sequence it stands for."""
        with self._lock:
            if self._last_position:
                raise CacheAhead(f"tenant {self.tenant!r}: a snapshot only starts an empty copy")
            self._acked_seq = snapshot.through_seq
            self._store([self.from_wire(snapshot.events)])

    def to_wire(self, events: list[LoggedEvent]) -> list[ClusterLogEvent]:
        """Events as JetStream and the object store keep them: their data sealed when the tenant is encrypted."""
        seal = self._sealer.seal if self._sealer else lambda position, data, type_name: data
        return [ClusterLogEvent(position=e.position, version=e.version, type=e.type,
                                data=seal(e.position, e.data, e.type), recorded=e.recorded) for e in events]

    def from_wire(self, events) -> list[LoggedEvent]:
        unseal = self._sealer.open if self._sealer else lambda position, data, type_name: data
        return [LoggedEvent(e.position, e.version, e.type, unseal(e.position, e.data, e.type), e.recorded)
                for e in events]

    def _check_continues(self, batch: list[list[LoggedEvent]], events: list[LoggedEvent]) -> None:
        before = batch[-1][-1].position if batch else self._last_position
        if events and events[0].position > before + 1:
            raise BehindSnapshot(f"tenant {self.tenant!r}: the log goes on at position {events[0].position},"
                                 f" this copy ends at {before}")
        if events and events[0].position != before + 1:
            raise CacheAhead(f"tenant {self.tenant!r}: the cluster's log jumps from position {before}"
                             f" to {events[0].position}")
