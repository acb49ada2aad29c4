"""Migration in a cluster is a lease handover, not a copy: `bf migrate` works unchanged
(and `bf compact` makes a snapshot: snapshots.py).

A cluster node serves `bf.TenancyService` with this instead of the single
node's copy protocol. `Migrate(tenant, to)` on the owner: the tenant is held
still (its writes wait), the lease is rewritten in one revision-checked update
to name the target node, then the tenant is closed here. The target takes its
own lease at its next call for the tenant (a new term) and serves it from its
warm copy after pulling the tail of the log; the calls that waited here are
refused UNAVAILABLE and their clients retry (this node now forwards to the
target). Nothing is copied: the log is on JetStream already.
"""

from __future__ import annotations

import time

import grpc
from nats.js.errors import KeyWrongLastSequenceError

from domain.contracts.tenancy_pb2 import CompactReq, CompactResp, MigrateReq, MigrateResp
from workbench.cluster.cluster_tenants import ClusterTenants
from workbench.cluster.heartbeats import read_nodes
from workbench.cluster.snapshots import compact
from workbench.core.codes import Code
from workbench.service.rpc import ServiceError, add_service, unary
from workbench.service.tenants import check_tenant_name

SERVICE = "bf.TenancyService"


class ClusterTenancyService:
    def __init__(self, tenants: ClusterTenants):
        self.tenants = tenants
        self.address = ""  # set once the server listens (as for the single node's service)

    def add_to(self, server: grpc.Server) -> str:
        add_service(server, SERVICE, {
            "Migrate": unary(f"{SERVICE}.Migrate", self.migrate, MigrateReq),
            "Compact": unary(f"{SERVICE}.Compact", self.compact, CompactReq),
        })
        return SERVICE

    def adoptions(self) -> dict:
        """None (for the metrics): a cluster node copies no tenant in, a tenant moves by its lease."""
        return {}

    def compact(self, request: CompactReq, context) -> CompactResp:
        """A snapshot in the object store, the log's older groups purged (snapshots.py)."""
        name = _tenant(request.tenant)
        tenant, release = self.tenants.hold(name)
        try:
            return compact(self.tenants.link, self.tenants.domain, tenant, self.tenants.node, self.tenants.term(name))
        finally:
            release()

    def migrate(self, request: MigrateReq, context) -> MigrateResp:
        started = time.monotonic()
        name = _tenant(request.tenant)
        tenants, leases = self.tenants, self.tenants.leases
        # Held first: a node that does not own the tenant names its owner, where `bf migrate` asks again.
        tenant, release = tenants.hold(name)  # taking the lease here if it was free
        try:
            target = self._node_at(request.to)
            lease = leases.held(name)
            with tenant.paused():
                held = time.monotonic()
                try:
                    leases.hand_over(name, lease, target, request.to)
                except KeyWrongLastSequenceError:
                    raise ServiceError(Code.ABORTED, f"tenant {name!r} changed owner meanwhile: nothing moved") from None
                tenants.drop(name)
                pause = time.monotonic() - held
        finally:
            release()
        return MigrateResp(events=0, caught_up_live=0, pause_seconds=pause, total_seconds=time.monotonic() - started)

    def _node_at(self, address: str) -> str:
        nodes = read_nodes(self.tenants.link)
        for node, beat in nodes.items():
            if beat.get("address") == address:
                if node == self.tenants.node:
                    raise ServiceError(Code.INVALID_ARGUMENT, f"{address} is this node: nothing to move")
                return node
        raise ServiceError(Code.FAILED_PRECONDITION,
                           f"no live node of this cluster serves at {address} (bf cluster status lists them)")


def _tenant(name: str) -> str:
    try:
        return check_tenant_name(name)
    except ValueError as error:
        raise ServiceError(Code.INVALID_ARGUMENT, str(error)) from None
