"""The Prometheus families of one `bf serve` node, in a registry of its own.

`ServiceMetrics` is both the observer the tenants and scripts call
(workbench/core/observer.py) and the sink of the request watch
(request_watch.py). What is read rather than counted (open tenants, evictions,
Follow streams, adoptions in progress) a collector reads at scrape time from
the node itself (node_collector.py). docs/metrics.md lists every family.

A cluster mode adds its own families with `metrics.register(collector)`.
"""

from __future__ import annotations

import time
from functools import partial

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily
from prometheus_client.process_collector import ProcessCollector

from workbench.core.observer import Observer
from workbench.metrics.request_counts import DEFAULT_TOP, RequestCounts

PREFIX = "bf"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FSYNC_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
LONG_BUCKETS = (0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

disable_created_metrics()  # the `_created` series double the output and no dashboard of ours reads them


class ServiceMetrics(Observer):
    def __init__(self, top_tenants: int = DEFAULT_TOP):
        self.registry = CollectorRegistry(auto_describe=True)
        self.counts = RequestCounts(top_tenants)
        r = self.registry
        ProcessCollector(registry=r)  # process_cpu_seconds_total, memory, open fds
        Gauge(f"{PREFIX}_start_time_seconds", "When this node started (unix seconds).", registry=r).set(time.time())
        histogram, counter, gauge = (partial(_family, kind, r) for kind in (Histogram, Counter, Gauge))
        self.request_seconds = histogram("request_seconds", "Server time of a unary call, from its arrival to its answer.",
                                         ["method"], buckets=LATENCY_BUCKETS)
        self.stream_seconds = histogram("stream_seconds", "How long a streaming call lasted.", ["method"],
                                        buckets=LONG_BUCKETS)
        self.stream_messages = counter("stream_messages", "Messages of streaming calls, by direction (received, sent).",
                                       ["method", "direction"])
        self.streams_open = gauge("streams_open", "Streaming calls open now.", ["method"])
        self.queue_wait = histogram("queue_wait_seconds", "How long a request waited in its tenant's queue for its"
                                    " group to start.", buckets=LATENCY_BUCKETS)
        self.group_size = histogram("group_size", "Requests run together as one group (one log append, one fsync).",
                                    buckets=GROUP_BUCKETS)
        self.log_append = histogram("log_append_seconds", "Appending a group's events to the log, fsync included.",
                                    buckets=FSYNC_BUCKETS)
        self.state_commit = histogram("state_commit_seconds", "Committing a tenant's state (at most every 0.2 s, after"
                                      " the log).", buckets=FSYNC_BUCKETS)
        self.tenant_open = histogram("tenant_open_seconds", "Opening a tenant, catching its state up with its log.",
                                     buckets=LONG_BUCKETS)
        self.caught_up = counter("tenant_caught_up_events", "Events applied while opening tenants.")
        self.script_runs = counter("script_runs", "Lua script runs by hook and outcome (ok, failed, bound: hit a limit).",
                                   ["hook", "outcome"])
        self.script_seconds = histogram("script_seconds", "Time of a Lua script run.", ["hook"], buckets=LATENCY_BUCKETS)
        self.maintenance_runs = counter("maintenance", "Maintenance operations (compact, migrate) by outcome.",
                                        ["operation", "outcome"])
        self.maintenance_seconds = histogram("maintenance_seconds", "Time of a maintenance operation.", ["operation"],
                                             buckets=LONG_BUCKETS)
        self.maintenance_pause = histogram("maintenance_pause_seconds", "How long a maintenance operation held the"
                                           " tenant's writes.", ["operation"], buckets=LATENCY_BUCKETS)
        self.compacted_away = counter("compaction_removed_events", "Events compaction removed from logs.")
        self.migrated_events = counter("migration_copied_events", "Events copied to other nodes by migrations.")
        r.register(_RequestFamilies(self.counts))
        self._latency_of: dict[str, object] = {}  # method -> its histogram child: `labels()` costs as much as `observe()`

    def register(self, collector) -> None:
        """Add a collector (a node's readings, a cluster mode's families)."""
        self.registry.register(collector)

    # -- the request watch's sink -----------------------------------------------------

    def call_done(self, method: str, tenant: str, code: str, seconds: float) -> None:
        self.counts.add(method, tenant, code, seconds)
        latency = self._latency_of.get(method)
        if latency is None:
            latency = self._latency_of[method] = self.request_seconds.labels(method)
        latency.observe(seconds)

    def stream_done(self, method: str, tenant: str, code: str, seconds: float, received: int, sent: int) -> None:
        self.counts.add(method, tenant, code, 0.0)  # a stream's time is not its tenant's load: a Follow waits for hours
        self.stream_seconds.labels(method).observe(seconds)
        self.stream_messages.labels(method, "received").inc(received)
        self.stream_messages.labels(method, "sent").inc(sent)

    def stream_opened(self, method: str, change: int) -> None:
        self.streams_open.labels(method).inc(change)

    # -- the observer -------------------------------------------------------------------

    def group_ran(self, tenant: str, queue_waits: list[float], append_seconds: float | None) -> None:
        observe = self.queue_wait.observe
        for wait in queue_waits:
            observe(wait)
        if append_seconds is not None:
            self.group_size.observe(len(queue_waits))
            self.log_append.observe(append_seconds)

    def state_committed(self, tenant: str, seconds: float) -> None:
        self.state_commit.observe(seconds)

    def tenant_opened(self, tenant: str, seconds: float, caught_up: int) -> None:
        self.tenant_open.observe(seconds)
        self.caught_up.inc(caught_up)

    def script_ran(self, hook: str, seconds: float, outcome: str) -> None:
        self.script_runs.labels(hook, outcome).inc()
        self.script_seconds.labels(hook).observe(seconds)

    def maintenance(self, operation: str, tenant: str, seconds: float, figures: dict[str, float]) -> None:
        failed = "failed" in figures
        self.maintenance_runs.labels(operation, "failed" if failed else "ok").inc()
        if failed:
            return
        self.maintenance_seconds.labels(operation).observe(seconds)
        self.maintenance_pause.labels(operation).observe(figures.get("pause_seconds", 0.0))
        if operation == "compact":
            self.compacted_away.inc(max(0, figures.get("events_before", 0) - figures.get("events_after", 0)))
        elif operation == "migrate":
            self.migrated_events.inc(figures.get("events", 0))


def _family(kind, registry: CollectorRegistry, name: str, documentation: str, labels=(), **options):
    return kind(f"{PREFIX}_{name}", documentation, labels, registry=registry, **options)


class _RequestFamilies:
    """bf_requests_total{method,tenant,code} and bf_tenant_request_seconds_total{tenant},
    tenants bounded (request_counts.py)."""

    def __init__(self, counts: RequestCounts):
        self.counts = counts

    def describe(self):
        return [CounterMetricFamily(f"{PREFIX}_requests", "", labels=["method", "tenant", "code"]),
                CounterMetricFamily(f"{PREFIX}_tenant_request_seconds", "", labels=["tenant"])]

    def collect(self):
        snapshot = self.counts.snapshot()
        requests = CounterMetricFamily(
            f"{PREFIX}_requests", "Calls by method, tenant (the busiest named, the rest \"other\") and status code.",
            labels=["method", "tenant", "code"])
        for (method, tenant, code), count in sorted(snapshot.requests.items()):
            requests.add_metric([method, tenant, code], count)
        seconds = CounterMetricFamily(
            f"{PREFIX}_tenant_request_seconds", "Server seconds spent on each tenant's calls (its load).",
            labels=["tenant"])
        for tenant, spent in sorted(snapshot.seconds.items()):
            seconds.add_metric([tenant], spent)
        return [requests, seconds]
