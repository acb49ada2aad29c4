"""A rolling restart under load (real NATS servers, real nodes, the chaos workload): every
process restarted in turn, and the clients see no outage and lose nothing."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import ROOT

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.chaos_load import create_tenants  # noqa: E402
from workbench.cluster.chaos_load import Load, answered, ledger_faults  # noqa: E402
from workbench.cluster.client import ClusterClient  # noqa: E402
from workbench.cluster.local import LocalCluster, node_environment  # noqa: E402
from workbench.cluster.rolling import roll  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402

# An election after a kill -9 waits 4-9 s for nats-server's Raft timeout; a restart that
# handed its leaders over, and nodes that gave their leases up, cost far less.
LONGEST_GAP_SECONDS = 3.0


def test_a_rolling_restart_under_load_has_no_outage_and_loses_nothing(tmp_path):
    project = find_project(ROOT)
    cluster = LocalCluster(tmp_path / "cluster", ROOT, nodes=2, lease_seconds=3.0, env=node_environment()).start()
    client = ClusterClient(cluster.addresses, Domain.load(project))
    names = ["rolled-1", "rolled-2"]
    try:
        create_tenants(client, cluster.addresses[0], names)
        load = Load(client, project.domain, names, in_flight=4, seed=7)
        load.start()
        time.sleep(1.0)
        before = json.loads((cluster.folder / "cluster.json").read_text())
        started = time.monotonic()
        timeline = []  # (seconds since the roll began, the process just restarted): for a failure's message
        steps = roll(cluster.folder, env=node_environment(),
                     say=lambda step: timeline.append((round(time.monotonic() - started, 2), step.process)))
        ended = time.monotonic()
        time.sleep(1.0)
        load.join()
        after = json.loads((cluster.folder / "cluster.json").read_text())
        assert [step.process for step in steps] == ["nats 1", "nats 2", "nats 3", "node n1", "node n2"]
        assert not {e["pid"] for e in before["nats"] + before["nodes"]} & {e["pid"] for e in after["nats"] + after["nodes"]}
        for name in names:
            record = load.records[name]
            assert [a for a in record.answers if not answered(a)] == [], f"{name}: calls given up"
            done = sorted(a.finished for a in record.answers if answered(a) and started - 1 < a.finished)
            assert done and done[-1] > ended, f"{name}: its load stopped during the restart"
            gaps = [(b - a, round(a - started, 2)) for a, b in zip(done, done[1:]) if a < ended]
            longest, since = max(gaps)
            assert longest < LONGEST_GAP_SECONDS, f"{name}: no answer for {longest:.2f} s from {since} s; {timeline}"
            assert ledger_faults(record, load.ledger_on_hand(record)) == [], timeline
    finally:
        client.close()
        cluster.stop()
