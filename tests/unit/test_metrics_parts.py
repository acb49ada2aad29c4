"""The parts of the metrics and the operator's log, without a server: bounded
tenant labels (against an exact oracle), the observer's hooks, log lines."""

from __future__ import annotations

import io
import json
import math
import logging
import random
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st
from prometheus_client import generate_latest

from domain.scripting.runtime import ScriptFailure, ScriptRuntime
from workbench.core.observer import Observer, fanout, install
from workbench.metrics.families import ServiceMetrics
from workbench.metrics.node_collector import NodeCollector
from workbench.metrics.oplog import LogObserver, RejectionSummary, configure, event
from workbench.metrics.request_counts import OTHER, RequestCounts
from workbench.metrics.scrape import parse
from workbench.tenancy.pool import TenantPool

calls = st.lists(st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 30), st.sampled_from(["OK", "NOT_FOUND"]),
                           st.booleans()), max_size=300)


@settings(max_examples=60, deadline=None)
@given(calls, st.integers(1, 6))
def test_tenant_labels_stay_bounded_and_every_series_only_grows(sequence, top):
    counts = RequestCounts(top)
    oracle: Counter = Counter()
    previous: dict = {}
    for method, tenant_number, code, scrape_now in sequence:
        counts.add(method, f"t{tenant_number}", code, 0.001)
        oracle[code] += 1
        if scrape_now:
            snapshot = counts.snapshot()
            tenants = {tenant for _, tenant, _ in snapshot.requests} - {OTHER}
            assert len(tenants) <= top
            assert sum(snapshot.requests.values()) == sum(oracle.values())  # nothing lost, nothing twice
            assert all(snapshot.requests[key] >= value for key, value in previous.items())  # counters never go back
            assert sum(snapshot.seconds.values()) == pytest.approx(sum(oracle.values()) * 0.001)
            previous = snapshot.requests
    assert counts.by_code() == oracle


def test_the_busiest_tenants_get_the_labels():
    counts = RequestCounts(top=2)
    rng = random.Random(4)
    load = {"big": 50, "mid": 20, "small": 3, "tiny": 1}
    calls_made = [tenant for tenant, n in load.items() for _ in range(n)]
    rng.shuffle(calls_made)
    for tenant in calls_made:
        counts.add("M", tenant, "OK", 0.0)
    snapshot = counts.snapshot()
    assert snapshot.requests == {("M", "big", "OK"): 0, ("M", "mid", "OK"): 0, ("M", OTHER, "OK"): 74}
    counts.add("M", "big", "OK", 0.0)
    counts.add("M", "tiny", "OK", 0.0)
    assert counts.snapshot().requests == {("M", "big", "OK"): 1, ("M", "mid", "OK"): 0, ("M", OTHER, "OK"): 75}


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = configure("json", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)
    install(None)


def test_a_bounded_pool_reports_opens_and_evictions(domain, tmp_path, log_lines):
    metrics = ServiceMetrics()
    install(fanout(metrics, LogObserver()))
    pool = TenantPool(domain, tmp_path, max_open=1)
    metrics.register(NodeCollector(pool))
    try:
        for name in ("a", "b", "c"):
            pool.create(name)
        scraped = parse(generate_latest(metrics.registry).decode())
    finally:
        pool.close()
    assert scraped.value("bf_tenant_evictions_total") == 3  # default, a, b: one open at a time
    assert scraped.value("bf_tenants_open") == 1 and scraped.value("bf_tenants_max_open") == 1
    assert scraped.value("bf_tenant_open_seconds_count") == 4
    lines = log_lines()
    assert [line["tenant"] for line in lines if line["event"] == "tenant_evicted"] == ["default", "a", "b"]
    assert all(line["level"] == "info" and line["time"].endswith("Z") for line in lines)


def test_script_runs_count_their_outcome_and_bound_hits(log_lines):
    metrics = ServiceMetrics()
    install(metrics)
    runtime = ScriptRuntime()
    assert runtime.run("reserve", "return nil", {}, None) is None
    with pytest.raises(ScriptFailure):
        runtime.run("reserve", "while true do end", {}, None)
    with pytest.raises(ScriptFailure):
        runtime.run("reserve", "error('no')", {}, None)
    scraped = parse(generate_latest(metrics.registry).decode())
    assert scraped.by("bf_script_runs_total", "outcome", hook="reserve") == {"ok": 1, "bound": 1, "failed": 1}
    assert scraped.value("bf_script_seconds_count", hook="reserve") == 3


def test_rejections_are_one_line_per_period_by_code(log_lines):
    counts = RequestCounts()
    summary = RejectionSummary(counts.by_code)
    for code in ("OK", "OK", "NOT_FOUND", "FAILED_PRECONDITION", "NOT_FOUND"):
        counts.add("M", "t", code, 0.0)
    summary.report()
    summary.report()  # nothing new: no line
    counts.add("M", "t", "INTERNAL", 0.0)
    summary.report()
    lines = [line for line in log_lines() if line["event"] == "rejections"]
    assert [line["by_code"] for line in lines] == [{"FAILED_PRECONDITION": 1, "NOT_FOUND": 2}, {"INTERNAL": 1}]
    assert lines[0]["level"] == "warning" and lines[0]["total"] == 3


def test_json_lines_name_every_event_and_keep_other_records_as_messages(log_lines):
    event("stopped")
    logging.getLogger("grpc").error("a library's own words")
    stopped, other = log_lines()
    assert stopped["event"] == "stopped" and set(stopped) == {"time", "level", "event"}
    assert other == {**other, "event": "message", "level": "error", "message": "a library's own words", "logger": "grpc"}


def test_text_lines_are_one_line_each_with_fields():
    stream = io.StringIO()
    handler = configure("text", stream)
    try:
        event("slow_request", logging.WARNING, method="protos.InventoryService.Reserve", tenant="acme", ms=812.5)
        logging.getLogger("bf.serve").info("a plain message")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = stream.getvalue().splitlines()
    assert first.endswith(" warning slow_request method=protos.InventoryService.Reserve tenant=acme ms=812.5")
    assert second.endswith(" info a plain message")


def test_fanout_calls_only_the_observers_that_listen():
    heard = []

    class Groups(Observer):
        def group_ran(self, tenant, queue_waits, append_seconds):
            heard.append(("groups", tenant))

    class Opens(Observer):
        def tenant_opened(self, tenant, seconds, caught_up):
            heard.append(("opens", tenant))

    both = fanout(Groups(), Opens(), Observer())
    both.group_ran("t", [0.0], None)
    both.tenant_opened("u", 0.0, 0)
    both.tenant_evicted("v")  # nobody listens: the default does nothing
    assert heard == [("groups", "t"), ("opens", "u")]


def test_a_compaction_through_the_service_is_counted_and_logged(domain, tmp_path, log_lines):
    from domain.contracts.tenancy_pb2 import CompactReq
    from domain.traffic import InventoryTraffic
    from workbench.service.rpc import ServiceError
    from workbench.tenancy.tenancy_service import TenancyService

    metrics = ServiceMetrics()
    install(fanout(metrics, LogObserver()))
    pool = TenantPool(domain, tmp_path)
    try:
        pool.create("acme")
        tenant, traffic = pool.get("acme"), InventoryTraffic(3)
        for _ in range(300):
            request = traffic.request()
            traffic.observe(request, tenant.execute(request).response)
        service = TenancyService(domain, pool)
        done = service.compact(CompactReq(tenant="acme"), None)
        with pytest.raises(ServiceError):  # an unknown tenant: refused before anything runs, nothing counted
            service.compact(CompactReq(tenant="nobody"), None)
        scraped = parse(generate_latest(metrics.registry).decode())
    finally:
        pool.close()
    assert scraped.value("bf_maintenance_total", operation="compact", outcome="ok") == 1
    assert scraped.value("bf_compaction_removed_events_total") == done.events_before - done.events_after > 0
    assert scraped.value("bf_maintenance_pause_seconds_count", operation="compact") == 1
    (line,) = [line for line in log_lines() if line["event"] == "compact"]
    assert line["tenant"] == "acme" and line["outcome"] == "ok" and line["events_before"] == done.events_before


def test_a_stream_counts_once_and_its_time_is_not_load():
    metrics = ServiceMetrics()
    metrics.stream_done("bf.EventStreamService.Follow", "acme", "CANCELLED", 3600.0, 1, 20)
    scraped = parse(generate_latest(metrics.registry).decode())
    assert scraped.value("bf_requests_total", method="bf.EventStreamService.Follow", code="CANCELLED") == 1
    assert scraped.value("bf_tenant_request_seconds_total") == 0
    assert scraped.value("bf_stream_messages_total", direction="sent") == 20
    assert scraped.value("bf_stream_seconds_sum") == 3600.0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.0001, 20.0), min_size=1, max_size=200), st.lists(st.floats(0.0001, 20.0), max_size=50),
       st.sampled_from([0.5, 0.9, 0.99]))
def test_a_quantile_from_bucket_deltas_lies_in_the_bucket_of_the_true_one(before, now, share):
    """Against the exact quantile of what was observed between two scrapes."""
    from workbench.metrics.families import LATENCY_BUCKETS
    from workbench.metrics.top_figures import quantile

    def buckets(values):
        bounds = [*LATENCY_BUCKETS, float("inf")]
        return [(bound, float(sum(1 for v in values if v <= bound))) for bound in bounds]

    estimate = quantile(share, buckets(before), buckets(before + now))
    if not now:
        assert estimate == 0.0
        return
    ordered = sorted(now)
    truth = ordered[max(1, math.ceil(share * float(len(ordered)))) - 1]  # the rank the estimate looks for
    bounds = [0.0, *LATENCY_BUCKETS, float("inf")]
    upper = next(i for i, bound in enumerate(bounds) if truth <= bound)
    lowest, highest = bounds[upper - 1], bounds[upper]
    if highest == float("inf"):
        assert estimate == LATENCY_BUCKETS[-1]  # beyond the last bucket: its bound, as Prometheus says
    else:
        assert lowest <= estimate <= highest
