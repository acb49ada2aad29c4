"""Who serves which tenant: leases in a JetStream KV bucket (R3) with a TTL.

The key is the tenant, the value the owner's node id and gRPC address. Taking
a free lease is a `create` (refused while the key lives); the owner renews it
with revision-checked `update`s well within the TTL; a key not renewed for TTL
seconds expires (the bucket's max age), and then any node may take it. The
revision at which a node took the lease is its *term*: every group it appends
carries it, so a tenant's log shows its owners one after another.

A node trusts its own lease only until `taken + TTL - margin` on its own
monotonic clock (taken = just before it asked): JetStream expires the key no
earlier than TTL after it stored it, so the old owner stops before a new one
can start. The log's fencing (replicated_log.py) covers the rest.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from workbench.cluster.serve_options import DEFAULT_LEASE_SECONDS
from workbench.cluster.link import (ClusterUnavailable, NatsLink, NothingListened, Unavailable, bucket, create_key,
                                   live_keys)
from workbench.core.observer import observer

BUCKET = "bf_leases"
SAFETY_SHARE = 0.75  # trust a lease for this share of its TTL after asking for it


class LeaseLost(Unavailable):
    """This node no longer (surely) holds the tenant's lease."""


@dataclass(frozen=True)
class Owner:
    node: str
    address: str
    revision: int


@dataclass
class Lease:
    tenant: str
    term: int  # the revision at which it was taken
    revision: int  # the latest (renewed) revision
    valid_until: float  # on this node's monotonic clock

    def valid(self) -> bool:
        return time.monotonic() < self.valid_until

    def check(self) -> int:
        """The lease's term, or LeaseLost when it may have expired."""
        if not self.valid():
            raise LeaseLost(f"tenant {self.tenant!r}: this node's lease ran out before it was renewed")
        return self.term


class Leases:
    def __init__(self, link: NatsLink, node: str, address: str, ttl: float = DEFAULT_LEASE_SECONDS, replicas: int = 3):
        self.link, self.node, self.address, self.ttl = link, node, address, ttl
        self.kv = self._bucket(replicas)
        self._held: dict[str, Lease] = {}
        self._lock = threading.Lock()
        # One revision-checked write at a time per held lease: a renewal racing a handover would make
        # the one that reads the older revision fail although nothing else touched the lease.
        self._writing: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)

    def _bucket(self, replicas: int):
        """The bucket, made by the first node; its TTL rules (a node started with another one follows it)."""
        kv, self.ttl = bucket(self.link, BUCKET, replicas, self.ttl)
        return kv

    def _value(self, term: int) -> bytes:
        return json.dumps({"node": self.node, "address": self.address, "term": term}).encode()

    def _write(self, make):
        """A revision-checked write, sent again for up to a second while no server takes it (the bucket's
        leader moving to the log's, leaders.py): it was not applied, so repeating it is safe."""
        return self.link.retrying(make, seconds=1.0, only=NothingListened)

    def held(self, tenant: str) -> Lease | None:
        return self._held.get(tenant)

    def take(self, tenant: str) -> Lease | Owner:
        """The lease on `tenant` (taken now if free), or who owns it."""
        asked, change = time.monotonic(), "taken"
        try:
            revision = self._write(lambda: create_key(self.kv, tenant, self._value(0)))
        except KeyWrongLastSequenceError:
            owner = self.owner(tenant)
            if owner is None:  # expired between the two calls
                return self.take(tenant)
            if owner.node != self.node:
                return owner
            revision, change = self._reclaim(tenant, owner.revision), "reclaimed"  # the term starts anew
            if revision is None:
                return self.owner(tenant) or Owner("?", "", 0)
        observer().ownership_changed(tenant, change)
        lease = Lease(tenant, revision, revision, asked + self.ttl * SAFETY_SHARE)
        with self._lock:
            self._held[tenant] = lease
        return lease

    def take_from(self, tenant: str, owner: Owner) -> Lease | Owner:
        """Take the lease from `owner`, known to be down (nothing listens at its address), without
        waiting for it to expire: one update checked against the revision `owner` was read at.
        Safe even if it was wrong: the log's fencing refuses the old owner's next append."""
        asked = time.monotonic()
        try:
            revision = self._write(lambda: self.kv.update(tenant, self._value(0), last=owner.revision))
        except KeyWrongLastSequenceError:  # it renewed, or another node took it first
            return self.owner(tenant) or self.take(tenant)
        observer().ownership_changed(tenant, "taken_over")
        lease = Lease(tenant, revision, revision, asked + self.ttl * SAFETY_SHARE)
        with self._lock:
            self._held[tenant] = lease
        return lease

    def _reclaim(self, tenant: str, revision: int) -> int | None:
        try:
            return self._write(lambda: self.kv.update(tenant, self._value(0), last=revision))
        except KeyWrongLastSequenceError:
            return None

    def owner(self, tenant: str) -> Owner | None:
        try:
            entry = self.link.retrying(lambda: self.kv.get(tenant))
        except KeyNotFoundError:
            return None
        value = json.loads(entry.value)
        return Owner(value["node"], value["address"], entry.revision)

    def renew(self, tenant: str) -> None:
        """Renew a held lease; LeaseLost when another node took it (ClusterUnavailable: try again soon)."""
        with self._writing[tenant]:
            lease = self._held.get(tenant)
            if lease is None:
                raise LeaseLost(f"tenant {tenant!r}: no lease held")
            asked = time.monotonic()
            try:
                revision = self._write(lambda: self.kv.update(tenant, self._value(lease.term), last=lease.revision))
            except KeyWrongLastSequenceError:
                self.forget(tenant)
                observer().ownership_changed(tenant, "lost")
                raise LeaseLost(f"tenant {tenant!r}: another node took the lease") from None
            lease.revision, lease.valid_until = revision, asked + self.ttl * SAFETY_SHARE

    def hand_over(self, tenant: str, lease: Lease, node: str, address: str) -> None:
        """Rewrite the lease to name `node` (in one revision-checked update) and forget it here;
        that node takes it anew at its next call (KeyWrongLastSequenceError: it changed meanwhile)."""
        value = json.dumps({"node": node, "address": address, "term": 0}).encode()
        with self._writing[tenant]:
            self._write(lambda: self.kv.update(tenant, value, last=lease.revision))
            self.forget(tenant)
        observer().ownership_changed(tenant, "handed_over")

    def release(self, tenant: str) -> None:
        """Give the lease up now (a clean stop or a handover): the next node need not wait for the TTL."""
        lease = self.forget(tenant)
        if lease is None:
            return
        try:
            self._write(lambda: self.kv.delete(tenant, last=lease.revision))
        except (KeyWrongLastSequenceError, ClusterUnavailable):
            return  # taken already, or it expires by itself
        observer().ownership_changed(tenant, "released")

    def forget(self, tenant: str) -> Lease | None:
        with self._lock:
            return self._held.pop(tenant, None)

    def tenants(self) -> list[str]:
        with self._lock:
            return list(self._held)

    def all_owners(self) -> dict[str, Owner]:
        """Every live lease (for `bf cluster status`)."""
        owners = {}
        for tenant, (value, revision) in live_keys(self.link, BUCKET).items():
            held = json.loads(value)
            owners[tenant] = Owner(held["node"], held["address"], revision)
        return owners
