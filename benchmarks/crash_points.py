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

from tests.crash.harness import run  # noqa: E402
from tests.crash.scenarios import SCENARIOS  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.core.domain import Domain  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=10, help="random SIGKILLs per operation (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--passes", choices=("first", "first-last", "all"), default="all",
                        help="which passes of each point to kill at (default all)")
    args = parser.parse_args()
    report = run(Domain.load(find_project(ROOT)), args.passes, args.random, args.seed, jobs=args.jobs)
    print(f"\n{'operation':12} {'runs':>5} {'at a point':>10} {'random':>7} {'lost':>5} {'doubly':>7} {'s/run':>6}")
    for scenario in SCENARIOS:
        runs = [o for o in report.outcomes if o.scenario == scenario]
        if not runs:
            continue
        random_kills = sum(o.where.startswith("random") for o in runs)
        print(f"{scenario:12} {len(runs):5} {len(runs) - random_kills:10} {random_kills:7}"
              f" {sum(o.lost for o in runs):5} {sum(o.doubly_served for o in runs):7}"
              f" {statistics.median(o.seconds for o in runs):6.1f}")
    if report.uncovered:
        print(f"crash points no operation reaches: {', '.join(sorted(report.uncovered))}")
    print(f"\n{report.summary()}; {len(report.failed)} runs failed; {report.seconds:.0f} s in all")
    return 1 if report.failed or report.uncovered else 0


if __name__ == "__main__":
    sys.exit(main())
