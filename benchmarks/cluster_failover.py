"""Failover, one kill at a time: what each kind of death costs a tenant, beside JetStream's own election.

    python benchmarks/cluster_failover.py [--rounds 2] [--tenants 4]

A local cluster (3 NATS servers, 3 bf nodes, leases of 3 s) under the chaos
workload. Each round kills, one scenario after another, with kill -9 and a
restart half a second later:
  owner        the bf node that owns the first tenant
  log          the NATS server leading the stream BF_LOG
  leases       the NATS server leading the lease bucket
  log+owner    the log's leader, and a second later the first tenant's owner
and prints, per scenario, each tenant's longest gap between answers beside how
long JetStream took to answer a write again (its election, when a leader died).
What a tenant waits beyond that is bf's own share: noticing, taking the lease
and catching up once JetStream answers (a lease bucket's election can be shorter
for the tenants than for JetStream: owners serve on for 0.75 of a lease).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.console import table_lines  # noqa: E402
from workbench.cluster.chaos_load import Load, answered, cluster_under_load  # noqa: E402
from workbench.cluster.elections import LeaderWatch  # noqa: E402
from workbench.cluster.leases import BUCKET, Leases  # noqa: E402
from workbench.cluster.link import NatsLink  # noqa: E402
from workbench.cluster.local import LocalCluster  # noqa: E402
from workbench.cluster.replicated_log import STREAM  # noqa: E402
from workbench.config import find_project  # noqa: E402

SCENARIOS = ("owner", "log", "leases", "log+owner")
SETTLE_SECONDS = 4.0
WATCH_SECONDS = 15.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tenants", type=int, default=4)
    args = parser.parse_args()
    rows = []
    with cluster_under_load(find_project(ROOT), "failover", args.tenants) as (cluster, load):
        names = list(load.records)
        link = NatsLink(cluster.nats.urls, name="bf-failover")
        try:
            leases = Leases(link, "bf-failover", "")
            for round_number in range(args.rounds):
                for scenario in SCENARIOS:
                    time.sleep(SETTLE_SECONDS)
                    rows.append(_one(cluster, link, leases, load, names, scenario))
                    print(f"round {round_number + 1}: {scenario:10} {rows[-1][1:]}", flush=True)
        finally:
            link.close()
    print("\n".join(table_lines(["scenario", "JetStream answered again s", "tenants' longest gap s", "beyond the election s"],
                                rows)))
    return 0


def _one(cluster: LocalCluster, link: NatsLink, leases: Leases, load: Load, names: list[str], scenario: str) -> list:
    kills = []
    if scenario.startswith("log"):
        kills.append(("nats", _leader(link, STREAM)))
    if scenario == "leases":
        kills.append(("nats", _leader(link, f"KV_{BUCKET}")))
    if scenario.endswith("owner"):
        owner = leases.owner(names[0])
        kills.append(("node", next(i for i, n in enumerate(cluster.nodes) if owner and n.name == owner.node)))
    started = time.monotonic()
    leaders = LeaderWatch(link, started + WATCH_SECONDS)
    nats_kills = []
    for number, (kind, index) in enumerate(kills):
        if number:
            time.sleep(1.0)
        nats_kills += [time.monotonic()] if kind == "nats" else []
        (cluster.nats.servers[index] if kind == "nats" else cluster.nodes[index]).kill()
    threading.Thread(target=_restart, args=(cluster, kills), daemon=True).start()
    leaders.join()
    windows = leaders.leaderless(nats_kills)
    storage = max((end - started for _, end in windows), default=0.0)
    gaps = [_longest_gap(load.records[name].answers, started) for name in names]
    return [scenario, f"{storage:.2f}", " ".join(f"{gap:.2f}" for gap in gaps), f"{max(0.0, max(gaps) - storage):.2f}"]


def _leader(link: NatsLink, stream: str) -> int:
    return int(link.call(link.js.stream_info(stream)).cluster.leader.lstrip("n")) - 1


def _restart(cluster: LocalCluster, kills: list[tuple[str, int]]) -> None:
    time.sleep(0.5)
    for kind, index in kills:
        cluster.restart_nats(index) if kind == "nats" else cluster.restart_node(index)


def _longest_gap(answers, started: float) -> float:
    done = sorted(a.finished for a in answers if answered(a) and started - 1 < a.finished < started + WATCH_SECONDS)
    return max((b - a for a, b in zip(done, done[1:])), default=0.0)


if __name__ == "__main__":
    sys.exit(main())
