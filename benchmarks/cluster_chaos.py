"""The long chaos run: a local cluster under the stress workload while processes die.

    python benchmarks/cluster_chaos.py [--seconds 120] [--tenants 4] [--seed 1]

Same as `bf chaos` (workbench/cluster/chaos.py): first one bf serve alone, then
3 NATS servers + 3 bf nodes calm, then --seconds of kill -9 of a random bf node
or NATS server every 1-2.5 s. Prints the kills as they happen, then lost writes,
double writers, fingerprints, availability, outages, failover p50/p99, replica
lag and throughput beside the single node. Exit 1 when anything was lost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.cluster.chaos import run_chaos  # noqa: E402
from workbench.commands.chaos import report_lines  # noqa: E402
from workbench.config import find_project  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--calm-seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report = run_chaos(find_project(ROOT), args.seconds, args.tenants, calm_seconds=args.calm_seconds, seed=args.seed,
                       say=lambda line: print(line, flush=True))
    print("\n".join(report_lines(report)))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
