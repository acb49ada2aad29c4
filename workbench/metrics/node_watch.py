"""Everything `bf serve` reports about itself, wired from its options:
the request watch (an interceptor), the process's observer, the operator's
log and, with `--metrics ADDR`, the Prometheus families served over HTTP."""

from __future__ import annotations

import argparse

from workbench.core.observer import Observer, fanout, install
from workbench.metrics.exporter import BadMetricsAddress, MetricsHttp, parse_address
from workbench.metrics.cluster_families import ClusterMetrics
from workbench.metrics.families import ServiceMetrics
from workbench.metrics.node_collector import NodeCollector
from workbench.metrics.oplog import FORMATS, LogObserver, RejectionSummary, configure, event, slow_request
from workbench.metrics.request_counts import DEFAULT_TOP, OTHER, RequestCounts
from workbench.metrics.request_watch import RequestWatch
from workbench.service.tenants import BadTenantName, check_tenant_name

DEFAULT_SLOW_MS = 500.0
# A caller refused these learns nothing, and must not earn a tenant label either.
_REFUSED_CALLER = {"UNAUTHENTICATED", "PERMISSION_DENIED"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics", metavar="ADDR", type=_metrics_address,
                        help="serve Prometheus metrics at http://ADDR/metrics (HOST:PORT, :PORT or PORT; 0: a free port)")
    parser.add_argument("--metrics-tenants", type=int, default=DEFAULT_TOP, metavar="N",
                        help=f"tenants named in the metrics' labels, the busiest first; the rest are \"other\""
                             f" (default {DEFAULT_TOP})")
    parser.add_argument("--log-format", choices=FORMATS, default="text",
                        help="the operator's log on stderr: text, or one JSON object a line (default text)")
    parser.add_argument("--slow-ms", type=float, default=DEFAULT_SLOW_MS, metavar="MS",
                        help=f"log every call that takes longer than MS milliseconds (default {DEFAULT_SLOW_MS:g})")


def _metrics_address(text: str) -> str:
    try:
        parse_address(text)
    except BadMetricsAddress as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


class NodeWatch:
    def __init__(self, metrics_listen: str | None = None, top_tenants: int = DEFAULT_TOP,
                 log_format: str = "text", slow_ms: float = DEFAULT_SLOW_MS, cluster: bool = False):
        """`cluster`: the node serves a cluster (its families are added)."""
        configure(log_format)
        self.metrics_listen = metrics_listen
        self.metrics = ServiceMetrics(top_tenants) if metrics_listen else None
        self.cluster = ClusterMetrics(self.metrics.registry) if self.metrics and cluster else None
        self.counts = self.metrics.counts if self.metrics else RequestCounts(top_tenants)
        self.slow_seconds = slow_ms / 1000
        self.interceptor = RequestWatch(self._call_done, self._stream_done, self._stream_opened)
        self.rejections = RejectionSummary(self.counts.by_code)
        self.http: MetricsHttp | None = None
        # Installed before any tenant opens, so the first openings are counted too.
        install(fanout(*(o for o in (self.metrics, self.cluster, LogObserver(), _BulkCalls(self)) if o is not None)))

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> "NodeWatch":
        return cls(args.metrics, args.metrics_tenants, args.log_format, args.slow_ms, bool(getattr(args, "cluster", None)))

    def start(self, server, tenancy=None) -> None:
        """Watch a started server: its tenants, streams and migrations; serve the metrics.
        Raises BadMetricsAddress when the metrics cannot listen."""
        if self.metrics is not None:
            self.metrics.register(NodeCollector(server.tenants, server.event_stream, tenancy))
            if self.cluster is not None:
                self.cluster.read_from(server.tenants)
            self.http = MetricsHttp(self.metrics.registry, self.metrics_listen)
        self.rejections.start()
        event("started", address=server.address, tenants=len(server.tenants.names()),
              metrics=self.http.url if self.http else "off")

    def close(self) -> None:
        self.rejections.stop()
        if self.http is not None:
            self.http.close()
        install(None)
        event("stopped")

    def _call_done(self, method: str, tenant: str, code: str, seconds: float) -> None:
        tenant = labelled_tenant(tenant, code)
        if self.metrics is not None:
            self.metrics.call_done(method, tenant, code, seconds)
        else:
            self.counts.add(method, tenant, code, seconds)
        if seconds > self.slow_seconds:
            slow_request(method, tenant, code, seconds)

    def _stream_done(self, method: str, tenant: str, code: str, seconds: float, received: int, sent: int) -> None:
        tenant = labelled_tenant(tenant, code)
        if self.metrics is not None:
            self.metrics.stream_done(method, tenant, code, seconds, received, sent)
        else:
            self.counts.add(method, tenant, code, 0.0)

    def _stream_opened(self, method: str, change: int) -> None:
        if self.metrics is not None:
            self.metrics.stream_opened(method, change)


class _BulkCalls(Observer):
    """Each call inside a bulk stream, counted as if it had come alone."""

    def __init__(self, watch: NodeWatch):
        self._watch = watch

    def call_answered(self, method: str, tenant: str, code: str, seconds: float) -> None:
        self._watch._call_done(method, tenant, code, seconds)


def labelled_tenant(tenant: str, code: str) -> str:
    """The tenant a call is counted (and logged) under: the caller's claim (`x-tenant`, or a bulk call's
    tenant) only when it is a tenant name and the caller was allowed to make it, else "other". A client
    must not be able to take the bounded tenant labels with names it made up or may not use, nor put
    megabytes or newlines into the labels and the operator's log."""
    if code in _REFUSED_CALLER:
        return OTHER
    try:
        check_tenant_name(tenant if isinstance(tenant, str) else "")
    except BadTenantName:
        return OTHER
    return tenant
