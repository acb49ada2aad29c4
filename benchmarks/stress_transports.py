"""`bf stress` over inproc, unix and tcp, side by side.

    python benchmarks/stress_transports.py [--rounds N] [--seed S] [--calls stream|unary]

The same growing business (same seed, so the same requests and outcomes) runs
through each transport on a fresh data folder:
  inproc  the tenant called directly (same Tenant code, same fsync, no gRPC)
  unix    a `bf serve` child process over a unix socket, through the gRPC API
  tcp     the same over 127.0.0.1
each with `--calls` (default stream: a phase on one bf.BulkService stream;
unary: a call per request; benchmarks/wire_cost.py compares the two).
Columns: requests/s over all rounds, median p50 and p99 latency over the
rounds, the first and last round's seconds and their ratio (target 1.3 at most).
A second table runs unix with 16, 32 and 64 calls in flight: how the server
scales with callers (the tenant groups the calls that wait together).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.stress import GROWTH_TARGET, run_stress  # noqa: E402
from workbench.bench.console import table_lines  # noqa: E402
from workbench.bench.transports import CALLS, DEFAULT_IN_FLIGHT, TRANSPORTS  # noqa: E402
from workbench.config import find_project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per transport (default 5; bf stress runs 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-flight", type=int, default=DEFAULT_IN_FLIGHT, help="for the transports table")
    parser.add_argument("--calls", choices=CALLS, default="stream")
    args = parser.parse_args()
    project = find_project(ROOT)
    rows = [(transport, *measure(project, args, transport, args.in_flight)) for transport in TRANSPORTS]
    print(f"{args.rounds} rounds, seed {args.seed}, {args.in_flight} calls in flight, {args.calls} calls; "
          f"growth target {GROWTH_TARGET}")
    print_table("transport", rows)
    print(f"\nunix, {args.rounds} rounds, by calls in flight")
    print_table("in flight", [(n, *measure(project, args, "unix", n)) for n in (16, 32, 64)])


def measure(project, args, transport: str, in_flight: int) -> tuple:
    """requests/s, median p50 and p99, first and last round's seconds, their ratio, events logged."""
    print(f"{transport}, {in_flight} in flight: {args.rounds} rounds ...", file=sys.stderr, flush=True)
    result = run_stress(project, args.rounds, transport, seed=args.seed, in_flight=in_flight, calls=args.calls)
    first, last = result.rows[0], result.rows[-1]
    return (result.per_second, statistics.median(r.p50_ms for r in result.rows),
            statistics.median(r.p99_ms for r in result.rows), first.seconds, last.seconds, f"{result.growth:.2f}",
            last.events)


def print_table(first_column: str, rows: list[tuple]) -> None:
    base = rows[0][1]
    table = [(*row[:2], f"{row[1] / base:.2f}", *row[2:]) for row in rows]
    print("\n".join(table_lines(
        (first_column, "req/s", f"vs {rows[0][0]}", "p50 ms", "p99 ms", "first s", "last s", "last/first", "events"),
        table)))


if __name__ == "__main__":
    main()
