"""The tenants as one node of a cluster sees them: every tenant is known to
every node, and a node serves the ones it holds the lease of.

`get(name)` returns the open tenant while this node's lease on it is valid and
its log not stale; otherwise it takes the lease (free, or expired after its
owner died), pulls what its cached log lacks from JetStream, opens the tenant
(whose state catches up from the cache) and serves it; when another node holds
the lease it raises `TenantElsewhere` with that node's address (the service
forwards the call there). A thread renews the leases this node holds; a lease
lost closes the tenant here. Which tenants exist is a KV bucket too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from pathlib import Path

import grpc
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from workbench.cluster.cluster_keys import ClusterKeyring
from workbench.cluster.heartbeats import beat, nodes_bucket
from workbench.cluster.leaders import LeadersTogether
from workbench.cluster.leases import Lease, LeaseLost, Leases, Owner
from workbench.cluster.link import (CALL_SECONDS, PROBE_SECONDS, ClusterUnavailable, NatsLink, bucket,
                                   create_key, live_keys)
from workbench.cluster.serve_options import DEFAULT_LEASE_SECONDS
from workbench.cluster.replicas import Replicas
from workbench.cluster.replicated_log import ensure_stream
from workbench.cluster.snapshots import pulled_log
from workbench.core.domain import Domain
from workbench.service.forwarding import Forwarder, TenantElsewhere
from workbench.service.tenant import Tenant
from workbench.service.tenants import DEFAULT_TENANT, Tenants, UnknownTenant, check_tenant_name
from workbench.tenancy.tenant_cipher import TenantCipher

TENANTS_BUCKET = "bf_tenants"
OWNER_MEMORY_SECONDS = 0.25
REFUSED_MEMORY_SECONDS = 1.0  # an owner that refused a connection this recently is taken to be down
_LOG = logging.getLogger("bf.cluster")


class ClusterTenants(Tenants):
    def __init__(self, domain: Domain, data_dir: Path | str, link: NatsLink, node: str,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, replicas: int = 3, warm_copies: bool = True,
                 forward_credentials: grpc.ChannelCredentials | None = None, keyring: ClusterKeyring | None = None):
        """`forward_credentials`: how to dial the owners (TLS with the cluster's CA), None for plain gRPC;
        `keyring`: the tenants' keys when they are encrypted at rest (cluster_keys.py)."""
        self.link, self.node, self.keyring = link, node, keyring
        ensure_stream(link, replicas)
        self.known = bucket(link, TENANTS_BUCKET, replicas)[0]
        self.leases = Leases(link, node, "", lease_seconds, replicas)
        self._refused: dict[str, float] = {}  # owners' addresses that refused a connection, and when
        self.forwarder = Forwarder(forward_credentials,
                                   on_refused=lambda address: self._refused.__setitem__(address, time.monotonic()))
        self._nodes = nodes_bucket(link, replicas)
        self._names: set[str] = set()
        self._owners: dict[str, tuple[Owner, float]] = {}  # tenant -> its owner elsewhere, and until when to trust that
        self._name_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew_leases, name="bf-leases", daemon=True)
        self._started = False
        super().__init__(domain, data_dir)
        self._started = True
        self.replicas = Replicas(self.names, lambda name: name in self._open, self._name_locks.__getitem__,
                                 self._open_copy)
        self._renewer.start()
        self._leaders = LeadersTogether(link)
        self._leaders.start()
        if warm_copies:
            self.replicas.start()

    def serve_at(self, address: str) -> None:
        """Name this node's gRPC address in the leases it takes (known once the server listens)."""
        self.leases.address = address

    def ready(self, name: str) -> bool:
        tenant = self._open.get(name)
        return tenant is not None and self._serving(name, tenant)

    def get(self, name: str = DEFAULT_TENANT) -> Tenant:
        tenant = self._open.get(name)
        if tenant is not None and self._serving(name, tenant):
            return tenant
        check_tenant_name(name)
        with self._name_locks[name]:
            tenant = self._open.get(name)
            if tenant is not None and self._serving(name, tenant):
                return tenant
            if tenant is not None:
                self.drop(name)
            if not self._exists(name):
                raise UnknownTenant(f"unknown tenant {name!r}: create it first (TenantService.CreateTenant)")
            lease = self.leases.held(name)
            if lease is None or not lease.valid():  # ours may have run out: take it anew, or learn whose it is
                lease = self._take(name)
            if isinstance(lease, Owner):
                raise TenantElsewhere(name, lease.address, self.forwarder)
            try:
                return self._open_tenant(name)
            except BaseException:
                self.leases.release(name)
                raise

    def _take(self, name: str) -> Lease | Owner:
        """The lease, or its owner. An owner learnt is trusted for OWNER_MEMORY_SECONDS, so that
        callers retrying while it is dead do not ask JetStream again and again; an owner whose
        address refused a connection is down, and its lease is taken without waiting for the TTL."""
        now = time.monotonic()
        known = self._owners.get(name)
        owner = known[0] if known is not None and now < known[1] else None
        if owner is None:
            lease = self.leases.take(name)
            if not isinstance(lease, Owner):
                self._owners.pop(name, None)
                return lease
            owner = lease
            self._owners[name] = (owner, now + OWNER_MEMORY_SECONDS)
        if now - self._refused.get(owner.address, -1e9) < REFUSED_MEMORY_SECONDS:
            self._owners.pop(name, None)
            return self.leases.take_from(name, owner)
        return owner

    def _serving(self, name: str, tenant: Tenant) -> bool:
        lease = self.leases.held(name)
        return lease is not None and lease.valid() and not tenant.log.stale and not tenant.log.closed

    def create(self, name: str) -> bool:
        check_tenant_name(name)
        try:
            self.link.call(create_key(self.known, name, b""), timeout=CALL_SECONDS + 1 if self._started else PROBE_SECONDS + 1)
        except KeyWrongLastSequenceError:
            return False
        except ClusterUnavailable:
            if name == DEFAULT_TENANT and not self._started:
                return False  # a node starting while JetStream elects: the cluster's first node made it
            raise
        self._names.add(name)
        return True

    def names(self) -> list[str]:
        """Every tenant of the cluster (those this node has seen when JetStream does not answer within a second)."""
        try:
            self._names.update(live_keys(self.link, TENANTS_BUCKET))
        except ClusterUnavailable as error:
            _LOG.warning("listing the tenants from this node's memory: %s", error.message)
        return sorted(self._names)

    def _exists(self, name: str) -> bool:
        if name not in self._names:
            try:
                self.link.retrying(lambda: self.known.get(name))
            except KeyNotFoundError:
                return False
            self._names.add(name)
        return True

    def _open_tenant(self, name: str) -> Tenant:
        """Serve `name` here (the lease is ours): the warm copy caught up, else a copy opened now."""
        if self._closed:
            raise ClusterUnavailable("the node is stopping")
        tenant = self.replicas.take(name)
        if tenant is not None:
            try:
                tenant.log.pull()
                tenant.catch_up()
            except BaseException:
                tenant.close()
                raise
        else:
            tenant = self._open_copy(name)
        with self._lock:
            self._open[name] = tenant
        return tenant

    def _open_copy(self, name: str) -> Tenant:
        """The tenant from this node's cached log and state, caught up with the cluster's log."""
        folder = self.folder / name
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        cipher = TenantCipher(self.keyring.keys(name)) if self.keyring is not None else None
        log = pulled_log(folder, self.link, name, self.node, lambda: self.term(name), cipher and cipher.sealer)
        try:
            return Tenant(name, self.domain, folder, log=log, cipher=cipher)
        except BaseException:
            log.close()
            raise

    def term(self, name: str) -> int:
        lease: Lease | None = self.leases.held(name)
        if lease is None:
            raise LeaseLost(f"tenant {name!r}: this node does not hold its lease")
        return lease.check()

    def drop(self, name: str) -> None:
        """Stop serving `name` here (lease lost or log stale): close it on a thread of its own,
        since a group may still be running (it will fail to append)."""
        with self._lock:
            tenant = self._open.pop(name, None)
        if tenant is not None:
            threading.Thread(target=tenant.close, name=f"bf-drop-{name}", daemon=True).start()

    def _renew_leases(self) -> None:
        beats = 0
        while not self._stop.wait(self.leases.ttl / 6):
            beats += 1
            if beats % 2 == 0:
                self._beat()
            for name in self.leases.tenants():
                try:
                    self.leases.renew(name)
                except LeaseLost:
                    _LOG.warning("lost the lease on %r: no longer serving it here", name)
                    self.drop(name)
                except Exception as error:  # the cluster is unreachable for now: the next round tries again
                    _LOG.warning("could not renew the lease on %r: %s", name, error)

    def _beat(self) -> None:
        lags = self.replicas.lag_seconds
        tenants = {name: {"role": "replica", "position": position, "lag_s": lags.get(name, 0.0)}
                   for name, position in self.replicas.positions().items()}
        tenants.update({name: {"role": "owner", "position": tenant.position}
                        for name, tenant in list(self._open.items())})
        try:
            beat(self.link, self._nodes, self.node, self.leases.address, tenants)
        except Exception:
            pass  # the next beat may get through

    def close(self) -> None:
        self._stop.set()
        if self._renewer.is_alive():
            self._renewer.join()
        self._leaders.close()
        self.replicas.close()
        names = list(self._open)
        super().close()
        for name in names:  # closed first: nothing appends after its lease is given up
            self.leases.release(name)
