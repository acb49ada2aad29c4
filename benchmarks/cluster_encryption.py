"""What encryption at rest costs a cluster: the same writes to a clear and an encrypted local cluster.

    python benchmarks/cluster_encryption.py [--calls 300] [--in-flight 8] [--rounds 3]

Each cluster is 3 NATS servers and 1 bf node (so no call is forwarded); one
tenant gets --calls AddLocations, --in-flight at a time, then a fresh copy is
opened from the log (the node restarted: its cache is dropped first). Clear and
encrypted alternate for --rounds rounds (the machine's load drifts); prints the
median of each figure side by side, and their ratio (encrypted / clear).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.test_cluster import add_location, create_tenant, listed  # noqa: E402
from workbench.cluster.local import LocalCluster, node_environment  # noqa: E402
from workbench.tenancy.master_key import new_master_key  # noqa: E402


def measure(key: str | None, calls: int, in_flight: int) -> dict[str, float]:
    env = node_environment(key)
    with tempfile.TemporaryDirectory(prefix="bf-bench-") as folder:
        cluster = LocalCluster(folder, ROOT, nodes=1, env=env).start()
        try:
            node = cluster.nodes[0]
            create_tenant(node.address, "bench")
            add_location(node.address, "bench", "warm-up")

            def one(n: int) -> float:
                started = time.perf_counter()
                add_location(node.address, "bench", f"loc-{n}")
                return time.perf_counter() - started

            started = time.perf_counter()
            with ThreadPoolExecutor(in_flight) as pool:
                latencies = sorted(pool.map(one, range(calls)))
            seconds = time.perf_counter() - started
            node.kill()
            shutil.rmtree(node.folder / "tenants", ignore_errors=True)
            node.start(ROOT, cluster.nats.url_list, cluster.lease_seconds)
            node.wait_listening()
            reopened = time.perf_counter()
            assert len(listed(node.address, "bench")) == calls + 1
            reopen = time.perf_counter() - reopened
        finally:
            cluster.stop()
    return {"calls/s": calls / seconds, "p50 ms": 1000 * statistics.median(latencies),
            "p99 ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))], "reopen ms": 1000 * reopen}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"clear": [], "encrypted": []}
    for _ in range(args.rounds):
        runs["clear"].append(measure(None, args.calls, args.in_flight))
        runs["encrypted"].append(measure(new_master_key(), args.calls, args.in_flight))
    clear, sealed = ({name: statistics.median(run[name] for run in runs[kind]) for name in runs[kind][0]}
                     for kind in ("clear", "encrypted"))
    print(f"{'':12}{'clear':>10}{'encrypted':>12}{'ratio':>8}")
    for name in clear:
        print(f"{name:12}{clear[name]:10.1f}{sealed[name]:12.1f}{sealed[name] / clear[name]:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
