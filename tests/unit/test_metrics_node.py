"""`bf serve --metrics`: a real node under `bf stress` load serves every family,
and its counters move with the load."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from domain.contracts import scripts_pb2, scripts_pb2_grpc
from tests.conftest import ROOT
from workbench.bench.stress import run_stress
from workbench.metrics.scrape import ScrapeFailed, scrape
from workbench.service.rpc import TENANT_METADATA

FAMILIES = {
    "bf_requests", "bf_tenant_request_seconds", "bf_request_seconds", "bf_stream_seconds", "bf_stream_messages",
    "bf_streams_open", "bf_queue_wait_seconds", "bf_group_size", "bf_log_append_seconds", "bf_state_commit_seconds",
    "bf_tenants_open", "bf_tenants_max_open", "bf_tenant_evictions", "bf_tenant_opens", "bf_tenant_open_seconds",
    "bf_follow_streams", "bf_follow_streams_max", "bf_script_runs", "bf_script_seconds", "bf_maintenance",
    "bf_maintenance_seconds", "bf_compaction_removed_events", "bf_migration_copied_events", "bf_migrations_arriving",
    "bf_start_time_seconds", "process_cpu_seconds",
}
RESERVE = "protos.InventoryService.Reserve"


@pytest.fixture
def stressed_node(project, small_rounds, tmp_path):
    """Scrapes of a `bf serve --metrics` node: after it started, then after each of two stress rounds."""
    scrapes, where = [], {}

    def started(client):
        where["url"] = client.server.metrics_url
        where["tenant"] = client.tenant_name
        scripts = scripts_pb2_grpc.BfCustomisationServiceStub(client.channel)
        scripts.InstallScript(scripts_pb2.InstallScriptReq(hook="reserve", source="return nil"),
                              metadata=[(TENANT_METADATA, client.tenant_name)])
        scrapes.append(scrape(where["url"]))

    result = run_stress(project, rounds=2, transport="tcp", data=tmp_path, seed=5, in_flight=16,
                        server_options=("--metrics", "127.0.0.1:0", "--log-format", "json"), on_start=started,
                        on_round=lambda row: scrapes.append(scrape_settled(where["url"])))
    return result, scrapes, where


def scrape_settled(url: str, seconds: float = 2.0):
    """A scrape taken once the state has committed what the round wrote (at most 0.2 s after
    the log, STATE_COMMIT_SECONDS; a short round can end before its first commit)."""
    deadline = time.monotonic() + seconds
    taken = scrape(url)
    while taken.value("bf_state_commit_seconds_count") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        taken = scrape(url)
    return taken


def test_every_family_is_served_and_the_counters_move_with_the_load(stressed_node, tmp_path):
    result, (start, first, second), where = stressed_node
    tenant = where["tenant"]
    assert FAMILIES <= second.families, f"missing: {sorted(FAMILIES - second.families)}"

    requests = [s.value("bf_requests_total", tenant=tenant) for s in (start, first, second)]
    assert requests[0] < requests[1] < requests[2]
    # the node counted every call the client made in a round (and the figures read after it)
    assert requests[2] - requests[1] >= result.rows[1].requests
    assert second.value("bf_requests_total", tenant=tenant, method=RESERVE) > 0
    refused = second.by("bf_requests_total", "code", tenant=tenant)
    assert refused.get("FAILED_PRECONDITION", 0) + refused.get("NOT_FOUND", 0) >= result.rows[1].rejected > 0

    for histogram in ("bf_request_seconds", "bf_group_size", "bf_log_append_seconds", "bf_queue_wait_seconds"):
        counts = [s.value(f"{histogram}_count") for s in (first, second)]
        assert 0 < counts[0] < counts[1], histogram
    assert second.value("bf_state_commit_seconds_count") > 0  # at most 0.2 s after the log: by the second round
    groups, grouped = second.value("bf_group_size_count"), second.value("bf_group_size_sum")
    assert grouped > groups  # 16 calls in flight: some groups hold several requests
    assert 0 < second.value("bf_log_append_seconds_sum") / second.value("bf_log_append_seconds_count") < 1.0

    assert second.value("bf_script_runs_total", hook="reserve", outcome="ok") > first.value(
        "bf_script_runs_total", hook="reserve", outcome="ok") > 0
    assert second.value("bf_tenants_open") >= 2  # the default tenant and the stress tenant
    # the transport reads the log's end through a Follow stream after each round
    assert second.value("bf_stream_messages_total", method="bf.EventStreamService.Follow", direction="sent") > 0
    assert second.value("bf_streams_open") == 0
    assert second.value("process_cpu_seconds_total") > 0

    with pytest.raises(ScrapeFailed) as failed:  # the node stopped with the stress run
        scrape(where["url"])
    assert "/metrics" in str(failed.value) and "\n" not in str(failed.value)

    # the operator's log (--log-format json) is one JSON object a line
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()]
    events = [line["event"] for line in lines]
    assert events[0] == "tenant_opened" and "started" in events and events[-1] == "stopped"
    assert {"tenant": where["tenant"], "event": "tenant_opened"}.items() <= next(
        line for line in lines if line.get("tenant") == where["tenant"]).items()
    refused = [line for line in lines if line["event"] == "rejections"]
    assert sum(line["by_code"].get("FAILED_PRECONDITION", 0) for line in refused) >= sum(r.rejected for r in result.rows)
    assert all(line["level"] in ("info", "warning") for line in lines)


def test_the_metrics_address_is_checked_before_anything_starts(project, tmp_path):
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "serve", "--data", str(tmp_path),
                           "--listen", "127.0.0.1:0", "--metrics", "nowhere:port"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "bad metrics address 'nowhere:port'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "tenants").exists()


def test_a_metrics_port_in_use_stops_the_node_with_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "workbench.cli", "serve", "--data", str(tmp_path),
                               "--listen", "127.0.0.1:0", "--metrics", f"127.0.0.1:{port}"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot serve metrics on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert "listening on" not in done.stdout  # never announced: nobody was told to call it
