"""The crash-point soak: every maintenance operation killed with SIGKILL at every
pass of every durable step, and at random moments, then recovered and retried.

    python benchmarks/crash_points.py [--random 10] [--seed 0] [--jobs 2] [--passes all]

Runs tests/crash/harness.py (see there, and docs/tenants.md): real `bf serve`
processes on unix sockets, one encrypted tenant with a stock history and an
archived log, a writer adding 1 to a stock level through every run. Prints a
line per run, then a row per operation (runs, kills at a named point, random
kills, acknowledged writes lost, moments served by two nodes, seconds per run)
and the summary line `N crash points, 0 lost, 0 doubly served`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash.harness import add_arguments, conclude, run_from  # noqa: E402
from tests.crash.scenarios import SCENARIOS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, passes="all", random_kills=10)
    report = run_from(parser.parse_args())
    print(f"\n{'operation':12} {'runs':>5} {'at a point':>10} {'random':>7} {'lost':>5} {'doubly':>7} {'s/run':>6}")
    for scenario in SCENARIOS:
        runs = [o for o in report.outcomes if o.scenario == scenario]
        if not runs:
            continue
        random_kills = sum(o.where.startswith("random") for o in runs)
        print(f"{scenario:12} {len(runs):5} {len(runs) - random_kills:10} {random_kills:7}"
              f" {sum(o.lost for o in runs):5} {sum(o.doubly_served for o in runs):7}"
              f" {statistics.median(o.seconds for o in runs):6.1f}")
    print()
    return conclude(report)


if __name__ == "__main__":
    sys.exit(main())
