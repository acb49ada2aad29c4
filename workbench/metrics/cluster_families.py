"""The families a cluster node adds (`bf serve --cluster ... --metrics ADDR`): ownership
changes, the latency of appends to the log on JetStream, the warm copies' lag.

Counted through the observer hooks the cluster calls (workbench/core/observer.py);
what is read rather than counted (tenants owned, warm copies, the largest lag) is
read at scrape time from the node's tenants. No tenant label: a cluster of
thousands of tenants keeps a handful of series. docs/metrics.md lists them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from workbench.core.observer import Observer
from workbench.metrics.families import LATENCY_BUCKETS, PREFIX
from workbench.metrics.node_collector import _gauge

LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class ClusterMetrics(Observer):
    def __init__(self, registry: CollectorRegistry):
        self.ownership = Counter(f"{PREFIX}_cluster_ownership_changes", "Changes of this node's hold on tenants'"
                                 " leases: taken, reclaimed, taken_over (from an owner down), lost, handed_over,"
                                 " released.", ["change"], registry=registry)
        self.append = Histogram(f"{PREFIX}_cluster_append_seconds", "Appending a group to the tenant's log on"
                                " JetStream, until acknowledged, by outcome (ok, fenced, failed).", ["outcome"],
                                buckets=LATENCY_BUCKETS, registry=registry)
        self.replica_lag = Histogram(f"{PREFIX}_cluster_replica_lag_seconds", "How old the newest event a warm copy"
                                     " pulled was when it arrived here.", buckets=LAG_BUCKETS, registry=registry)
        self.replica_events = Counter(f"{PREFIX}_cluster_replica_events", "Events warm copies pulled from the log.",
                                      registry=registry)
        self._registry = registry

    def read_from(self, tenants) -> None:
        """Read the node's ClusterTenants at each scrape (once it serves)."""
        self._registry.register(_ClusterReadings(tenants))

    def ownership_changed(self, tenant: str, change: str) -> None:
        self.ownership.labels(change).inc()

    def cluster_appended(self, tenant: str, seconds: float, outcome: str) -> None:
        self.append.labels(outcome).observe(seconds)

    def replica_pulled(self, tenant: str, events: int, lag_seconds: float) -> None:
        self.replica_events.inc(events)
        self.replica_lag.observe(lag_seconds)


class _ClusterReadings:
    def __init__(self, tenants):
        self.tenants = tenants

    def describe(self):
        return []

    def collect(self):
        lags = list(self.tenants.replicas.lag_seconds.values())
        yield _gauge("cluster_tenants_owned", "Tenants whose lease this node holds.",
                     len(self.tenants.leases.tenants()))
        yield _gauge("cluster_warm_copies", "Tenants this node keeps caught up without owning them.",
                     len(self.tenants.replicas.positions()))
        yield _gauge("cluster_replica_lag_max_seconds", "The largest lag of this node's warm copies at their last"
                     " pull (0: none).", max(lags, default=0.0))
