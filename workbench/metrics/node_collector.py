"""What the metrics read from the node at each scrape rather than count:
open tenants, evictions, Follow streams, migrations arriving here."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from workbench.metrics.families import PREFIX


class NodeCollector:
    def __init__(self, tenants, event_stream=None, tenancy=None):
        """`tenants`: the node's Tenants (or TenantPool); `event_stream`: its EventStream;
        `tenancy`: its TenancyService (for adoptions), when it has one."""
        self.tenants = tenants
        self.event_stream = event_stream
        self.tenancy = tenancy

    def describe(self):
        return []  # the families depend on what the node has; nothing to check ahead

    def collect(self):
        tenants = self.tenants
        yield _gauge("tenants_open", "Tenants open now (their state and log files in use).", tenants.open_count())
        if hasattr(tenants, "closed_idle"):
            yield _gauge("tenants_max_open", "The bound on open tenants (0: none).", tenants.max_open or 0)
            yield _counter("tenant_evictions", "Idle tenants closed to stay under the bound.", tenants.closed_idle)
            yield _counter("tenant_opens", "Tenants opened (first use, or reopened after an eviction).", tenants.opened)
        if self.event_stream is not None:
            yield _gauge("follow_streams", "Follow streams open now.", self.event_stream.open_count())
            yield _gauge("follow_streams_max", "The most Follow streams this node serves at once.",
                         self.event_stream.max_followers)
        if self.tenancy is not None:
            adoptions = self.tenancy.adoptions()
            running = {name: a for name, a in adoptions.items() if not a.finished}
            yield _gauge("migrations_arriving", "Tenants being copied to this node now.", len(running))
            position = GaugeMetricFamily(f"{PREFIX}_migration_arriving_position",
                                         "The source's log position copied so far, per tenant arriving.",
                                         labels=["tenant"])
            for name, adoption in sorted(running.items()):
                position.add_metric([name], adoption.position)
            yield position


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", documentation, value=value)
