"""What `bf top` shows of a node, from two scrapes of its metrics a moment apart:
rates over the interval, latency quantiles from the histograms' bucket
deltas (as Prometheus's histogram_quantile does), and a row per tenant."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the command line reads SORTS from here without loading the parser)
    from workbench.metrics.scrape import Scrape

SORTS = ("load", "requests", "errors", "tenant")  # what the tenant table can be sorted by


@dataclass
class TenantRow:
    tenant: str
    requests_per_second: float
    errors_per_second: float
    load: float  # server seconds spent on its calls per second: 1.0 = one call in progress all the time
    mean_ms: float


@dataclass
class NodeFigures:
    seconds: float  # between the two scrapes
    requests_per_second: float
    errors_per_second: dict[str, float]  # by status code, refusals included
    p50_ms: float
    p99_ms: float
    group_size: float  # mean requests per logged group
    fsync_ms: float  # mean log append (fsync) time
    queue_wait_ms: float  # mean wait in a tenant's queue
    cpu_percent: float
    open_tenants: int
    streams: int
    uptime_seconds: float
    tenants: list[TenantRow] = field(default_factory=list)

    def sorted_tenants(self, by: str = "load") -> list[TenantRow]:
        if by == "tenant":
            return sorted(self.tenants, key=lambda row: row.tenant)
        key = {"load": lambda r: r.load, "requests": lambda r: r.requests_per_second,
               "errors": lambda r: r.errors_per_second}[by]
        return sorted(self.tenants, key=lambda row: (-key(row), row.tenant))


def quantile(share: float, before: list[tuple[float, float]], after: list[tuple[float, float]]) -> float:
    """The `share` quantile of what a histogram's cumulative buckets gained, linearly
    interpolated within the bucket it falls in (0 when nothing was observed)."""
    was = dict(before)
    gained = [(bound, count - was.get(bound, 0.0)) for bound, count in after]
    if not gained or gained[-1][1] <= 0:
        return 0.0
    rank = share * gained[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in gained:
        if count >= rank:
            if bound == float("inf"):
                return lower_bound  # beyond the last finite bucket: say its bound, as Prometheus does
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def _mean_gain(name: str, before: Scrape, after: Scrape) -> float:
    count = after.value(f"{name}_count") - before.value(f"{name}_count")
    return (after.value(f"{name}_sum") - before.value(f"{name}_sum")) / count if count > 0 else 0.0


def _gain_by(name: str, label: str, before: Scrape, after: Scrape, **labels: str) -> dict[str, float]:
    was = before.by(name, label, **labels)
    return {key: value - was.get(key, 0.0) for key, value in after.by(name, label, **labels).items()}


def figures(before: Scrape, after: Scrape) -> NodeFigures:
    seconds = max(after.at - before.at, 1e-9)
    requests = after.value("bf_requests_total") - before.value("bf_requests_total")
    errors = {code: gain / seconds for code, gain in _gain_by("bf_requests_total", "code", before, after).items()
              if code != "OK" and gain > 0}
    latency_before, latency_after = before.buckets("bf_request_seconds"), after.buckets("bf_request_seconds")
    cpu = after.value("process_cpu_seconds_total") - before.value("process_cpu_seconds_total")
    start = after.value("bf_start_time_seconds")
    return NodeFigures(
        seconds=seconds,
        requests_per_second=requests / seconds,
        errors_per_second=dict(sorted(errors.items())),
        p50_ms=quantile(0.50, latency_before, latency_after) * 1000,
        p99_ms=quantile(0.99, latency_before, latency_after) * 1000,
        group_size=_mean_gain("bf_group_size", before, after),
        fsync_ms=_mean_gain("bf_log_append_seconds", before, after) * 1000,
        queue_wait_ms=_mean_gain("bf_queue_wait_seconds", before, after) * 1000,
        cpu_percent=100 * cpu / seconds,
        open_tenants=int(after.value("bf_tenants_open")),
        streams=int(after.value("bf_streams_open")),
        uptime_seconds=max(0.0, time.time() - start) if start else 0.0,
        tenants=_tenant_rows(before, after, seconds),
    )


def _tenant_rows(before: Scrape, after: Scrape, seconds: float) -> list[TenantRow]:
    calls = _gain_by("bf_requests_total", "tenant", before, after)
    spent = _gain_by("bf_tenant_request_seconds_total", "tenant", before, after)
    answered = _gain_by("bf_requests_total", "tenant", before, after, code="OK")
    rows = []
    for tenant in sorted(calls):
        made = calls[tenant]
        ok = answered.get(tenant, 0.0)
        rows.append(TenantRow(tenant, made / seconds, (made - ok) / seconds, spent.get(tenant, 0.0) / seconds,
                              1000 * spent.get(tenant, 0.0) / made if made else 0.0))
    return rows
