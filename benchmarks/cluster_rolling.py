"""A rolling restart beside the same restarts done with kill -9: what each costs the tenants.

    python benchmarks/cluster_rolling.py [--tenants 4]

A local cluster (3 NATS servers, 3 bf nodes, leases of 3 s) under the chaos
workload. First every process in turn is killed with kill -9 and started again
half a second later (a crash); then `bf cluster restart`'s rolling restart does
every process in turn with SIGTERM (a NATS server hands its Raft leaders over
before it exits, a bf node gives its leases up). For each process it prints the
tenants' longest gap between answers, both ways, side by side, and the calls
given up (none is expected either way: the clients retry for 30 s).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.console import table_lines  # noqa: E402
from workbench.cluster.chaos_load import Load, answered, cluster_under_load  # noqa: E402
from workbench.cluster.local import LocalCluster, node_environment  # noqa: E402
from workbench.cluster.rolling import roll  # noqa: E402
from workbench.config import find_project  # noqa: E402

SETTLE_SECONDS = 2.0  # after each step: the gaps it caused are over, the next starts from calm
ELECTION_SECONDS = 10.0  # nats-server's Raft campaigns 4-9 s after a leader's last heartbeat
DOWN_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=4)
    args = parser.parse_args()
    with cluster_under_load(find_project(ROOT), "rolling", args.tenants) as (cluster, load):
        time.sleep(SETTLE_SECONDS)
        crashed = [_crash(cluster, load, kind, index) for kind, index in _processes(cluster)]
        cluster.save()  # the pids the crashes left, for the rolling restart to find
        rolled = []
        roll(cluster.folder, env=node_environment(), say=lambda step: rolled.append(_after(load, step, SETTLE_SECONDS)))
    rows = [[process, f"{crash:.2f}", f"{rolling:.2f}", f"{crash / max(rolling, 0.01):.0f}x"]
            for (process, crash), rolling in zip(crashed, rolled)]
    print("\n".join(table_lines(["process", "kill -9 + start: longest gap s", "rolling restart: longest gap s",
                                 "ratio"], rows)))
    given_up = sum(1 for record in load.records.values() for answer in record.answers if not answered(answer))
    print(f"calls given up: {given_up} of {sum(len(r.answers) for r in load.records.values())}")
    return 0


def _processes(cluster: LocalCluster) -> list[tuple[str, int]]:
    return [("nats", i) for i in range(len(cluster.nats.servers))] + [("node", i) for i in range(len(cluster.nodes))]


def _crash(cluster: LocalCluster, load: Load, kind: str, index: int) -> tuple[str, float]:
    started = time.monotonic()
    if kind == "nats":
        cluster.nats.kill(index)
        time.sleep(DOWN_SECONDS)
        cluster.nats.servers[index].start(cluster.nats.binary)
        while not cluster.nats.servers[index].healthy():
            time.sleep(0.1)
    else:
        cluster.nodes[index].kill()
        time.sleep(DOWN_SECONDS)
        cluster.nodes[index].start(cluster.project_root, cluster.nats.url_list, cluster.lease_seconds)
        cluster.nodes[index].wait_listening()
    name = f"nats {index + 1}" if kind == "nats" else f"node {cluster.nodes[index].name}"
    return name, _longest_gap(load, started, ELECTION_SECONDS)


def _after(load: Load, step, settle: float) -> float:
    """The longest gap since `step` began (the rolling restart just reported it done), once settled."""
    started = time.monotonic() - step.seconds
    return _longest_gap(load, started, settle)


def _longest_gap(load: Load, started: float, settle: float) -> float:
    time.sleep(settle)
    gaps = []
    for record in load.records.values():
        done = sorted(a.finished for a in record.answers if answered(a) and a.finished > started - 1)
        gaps.append(max((b - a for a, b in zip(done, [*done[1:], time.monotonic()])), default=0.0))
    return max(gaps)  # a gap still going on counts as far as it went


if __name__ == "__main__":
    sys.exit(main())
