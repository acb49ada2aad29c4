"""`bf stress` over inproc, unix and tcp, side by side.

    python benchmarks/stress_transports.py [--rounds N] [--seed S]

The same growing business (same seed, so the same requests and outcomes) runs
through each transport on a fresh data folder:
  inproc  the tenant called directly (same Tenant code, same fsync, no gRPC)
  unix    a `bf serve` child process over a unix socket, through the gRPC API
  tcp     the same over 127.0.0.1
Columns: requests/s over all rounds, median p50 and p99 latency over the
rounds, the first and last round's seconds and their ratio (target 1.3 at most).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.stress import GROWTH_TARGET, run_stress  # noqa: E402
from workbench.bench.table import format_table  # noqa: E402
from workbench.bench.transports import TRANSPORTS  # noqa: E402
from workbench.config import find_project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per transport (default 5; bf stress runs 20)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    project = find_project(ROOT)
    rows = []
    for transport in TRANSPORTS:
        print(f"{transport}: {args.rounds} rounds ...", file=sys.stderr, flush=True)
        result = run_stress(project, args.rounds, transport, seed=args.seed)
        first, last = result.rows[0], result.rows[-1]
        rows.append((transport, result.per_second,
                     statistics.median(r.p50_ms for r in result.rows), statistics.median(r.p99_ms for r in result.rows),
                     first.seconds, last.seconds, f"{result.growth:.2f}", last.events))
    inproc = rows[0][1]
    table = [(*row[:2], f"{row[1] / inproc:.2f}", *row[2:]) for row in rows]
    print(f"{args.rounds} rounds, seed {args.seed}; growth target {GROWTH_TARGET}")
    print("\n".join(format_table(
        ("transport", "req/s", "vs inproc", "p50 ms", "p99 ms", "first s", "last s", "last/first", "events"), table)))


if __name__ == "__main__":
    main()
