"""`bf top --once`: a node's figures over one interval as plain text, for scripts."""

from __future__ import annotations

import subprocess
import sys
import threading

from tests.conftest import ROOT
from workbench.metrics.exporter import MetricsHttp
from workbench.metrics.families import ServiceMetrics

RESERVE = "protos.InventoryService.Reserve"


def test_once_prints_the_nodes_and_their_tenants_and_says_which_cannot_be_read():
    metrics = ServiceMetrics()
    metrics.call_done(RESERVE, "acme", "OK", 0.01)
    metrics.counts.snapshot()  # a scrape already named acme: from now on its calls are its own
    http = MetricsHttp(metrics.registry, "127.0.0.1:0")
    stop = threading.Event()

    def busy():
        while not stop.wait(0.005):
            metrics.call_done(RESERVE, "acme", "OK", 0.004)
            metrics.call_done(RESERVE, "acme", "NOT_FOUND", 0.002)

    load = threading.Thread(target=busy)
    load.start()
    try:
        done = subprocess.run([sys.executable, "-m", "workbench.cli", "top", "--once", "--refresh", "0.5",
                               http.address, "127.0.0.1:1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        load.join()
        http.close()
    assert done.returncode == 3  # one node could not be read
    assert done.stderr.strip() == "bf top: http://127.0.0.1:1/metrics: Connection refused"
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["node", "req/s", "p50", "ms"]
    node = lines[1].split()
    assert node[0] == http.address and int(node[1].replace(",", "")) > 0 and node[-1].startswith("NOT_FOUND:")
    (acme,) = [line.split() for line in lines if "acme" in line]
    assert acme[0] == http.address and int(acme[2].replace(",", "")) > 0 and float(acme[3]) > 0
    assert "\x1b[" not in done.stdout  # plain in a pipe
