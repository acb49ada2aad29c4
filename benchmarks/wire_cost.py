"""What the wire costs: the same `bf stress` business in-process, over unary gRPC
calls and over the bulk stream (bf.BulkService), side by side in one run.

    python benchmarks/wire_cost.py [--rounds N] [--in-flight N] [--profile]

Rows (the same seed, so the same requests and outcomes; a fresh data folder each):
  inproc unary   32 threads call Tenant.execute, each a caller (as unary calls are)
  inproc stream  one coroutine keeps 32 requests queued in the tenant (Tenant.submit),
                 as the bulk stream does: the wire's best case, the base of the ratios
  unix unary     a `bf serve` child over a unix socket, a unary call per request
  unix stream    the same server, every phase on one bf.BulkService.Call stream
Every write is fsynced before it is answered, in every row. Columns: requests/s
over the timed phases, the ratio to `inproc stream`, CPU microseconds a request of
the client (this process) and of the server child (rounds 2 to N, Linux /proc),
median p50 latency and the last round's seconds over the first's.
`--profile` samples the server child of the gRPC rows with py-spy (pip install
'.[bench]'), writing a flame graph and collapsed stacks to benchmarks/output/ and
printing where the server's samples went.
The load average is printed before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.stress import run_stress  # noqa: E402
from workbench.bench.console import table_lines  # noqa: E402
from workbench.config import find_project  # noqa: E402

OUTPUT = ROOT / "benchmarks" / "output"
ROWS = (("inproc", "unary"), ("inproc", "stream"), ("unix", "unary"), ("unix", "stream"))
BASE = "inproc stream"
# Where a server sample is, by the first of these frames found in its stack (innermost first).
PLACES = (
    ("fsync of the event log", ("EventLog.append_requests",)),
    ("state commit", ("Tenant._commit_state",)),
    ("domain handlers and SQLite", ("Tenant._run_group", "Tenant._apply_batch")),
    ("bulk stream (bf code)", ("bulk_service.py",)),
    ("unary call (bf code)", ("async_unary.<locals>.handle",)),
    ("gRPC and asyncio on the loop", ("bf-serve-loop",)),
    ("gRPC's poller thread", ("_poll_wrapper",)),
    ("tenant threads waiting/handing off", ("bf-tenant",)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per row (default 6; bf stress runs 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-flight", type=int, default=32, help="requests waiting at once (default 32)")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy (benchmarks/output/)")
    args = parser.parse_args()
    if args.profile and shutil.which("py-spy") is None:
        sys.exit("wire_cost: --profile needs py-spy on PATH (pip install '.[bench]')")
    project = find_project(ROOT)
    print(f"load average before: {load()}", file=sys.stderr)
    rows, places = [], {}
    for transport, calls in ROWS:
        print(f"{transport} {calls}: {args.rounds} rounds ...", file=sys.stderr, flush=True)
        rows.append(measure(project, args, transport, calls, places))
    base = next(row[1] for row in rows if row[0] == BASE)
    print(f"{args.rounds} rounds of bf stress, seed {args.seed}, {args.in_flight} requests in flight; "
          f"load average {load()} (before: see stderr)")
    print("\n".join(table_lines(
        ("path", "req/s", f"vs {BASE}", "client µs/req", "server µs/req", "p50 ms", "last/first"),
        [(row[0], row[1], f"{row[1] / base:.2f}", *row[2:]) for row in rows])))
    for name, shares in places.items():
        print(f"\nserver samples, {name} (py-spy, every thread; flame graph in {OUTPUT.relative_to(ROOT)}/)")
        print("\n".join(table_lines(("where", "share"), [(place, f"{share:.0%}") for place, share in shares])))


def measure(project, args, transport: str, calls: str, places: dict) -> tuple:
    """path, requests/s, client and server CPU µs a request (rounds 2..N), median p50, last/first."""
    marks: list[tuple[float, float, int]] = []  # after each round: client CPU, server CPU, requests so far
    profiler: list[subprocess.Popen] = []
    requests = [0]

    def on_round(row) -> None:
        requests[0] += row.requests
        marks.append((time.process_time(), child_cpu_seconds(), requests[0]))
        if args.profile and transport != "inproc" and not profiler and len(marks) == 1:
            profiler.extend(start_profiles(f"{transport}-{calls}"))

    result = run_stress(project, args.rounds, transport, seed=args.seed, in_flight=args.in_flight,
                        calls=calls, on_round=on_round)
    for process in profiler:
        process.wait(30)
    if profiler:
        places[result.transport] = where(OUTPUT / f"serve-{transport}-{calls}.collapsed")
    (client0, server0, done0), (client1, server1, done1) = marks[0], marks[-1]
    per_request = 1e6 / max(1, done1 - done0)
    server_cpu = (server1 - server0) * per_request if transport != "inproc" else "-"
    return (result.transport, result.per_second, (client1 - client0) * per_request, server_cpu,
            statistics.median(row.p50_ms for row in result.rows), f"{result.growth:.2f}")


def start_profiles(name: str) -> list[subprocess.Popen]:
    """py-spy on the server child until it exits: a flame graph and collapsed stacks."""
    (pid,) = children()
    OUTPUT.mkdir(exist_ok=True)
    common = ["py-spy", "record", "--pid", str(pid), "--rate", "200", "--nonblocking", "--threads"]
    return [subprocess.Popen([*common, "--format", fmt, "-o", str(OUTPUT / f"serve-{name}.{ext}")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for fmt, ext in (("flamegraph", "svg"), ("raw", "collapsed"))]


def where(collapsed: Path) -> list[tuple[str, float]]:
    """The share of the samples in each of PLACES (the first that a stack names, innermost frame first)."""
    counts = dict.fromkeys([place for place, _ in PLACES] + ["elsewhere"], 0)
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")[::-1]
        counts[next((place for frame in frames for place, marks in PLACES if any(m in frame for m in marks)),
                    "elsewhere")] += int(samples)
    total = sum(counts.values()) or 1
    return [(place, count / total) for place, count in counts.items()]


def children() -> list[int]:
    """This process's `bf serve` children (not the profilers)."""
    me = str(os.getpid())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            serving = b"serve" in (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if fields[1] == me and serving:
            found.append(int(stat.parent.name))
    return found


def child_cpu_seconds() -> float:
    """User and system CPU of this process's children (the server), from /proc; 0 elsewhere."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in children():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
