"""What the wire costs: the same `bf stress` business in-process, over unary gRPC
calls and over the bulk stream (bf.BulkService), side by side in one run.

    python benchmarks/wire_cost.py [--rounds N] [--in-flight N] [--profile]

Rows (the same seed, so the same requests and outcomes; a fresh data folder each):
  inproc handlers  the requests through their handlers (`execute`) one after another in the
                 tenant's state, no event log, no fsync: the domain's own speed
  inproc unary   32 threads call Tenant.execute, each a caller (as unary calls are)
  inproc stream  one coroutine keeps 32 requests queued in the tenant (Tenant.submit),
                 as the bulk stream does
  unix unary     a `bf serve` child over a unix socket, a unary call per request
  unix stream    the same server, every phase on one bf.BulkService.Call stream
Every write is fsynced before it is answered, in every row but the first.
Columns: requests/s over the timed phases; the ratio to the faster durable
in-process row and to the handlers; CPU microseconds a request of the client
(this process) and of the server child (Linux /proc), counted over the phases'
sends of rounds 2 to N only (not building the requests, not the figures read
between rounds); requests per CPU second of both (what free cores would do:
the figure to trust on a busy machine) and its ratio to the handlers'; the
median p50 latency; the last round's seconds over the first's.
`--profile` samples the server child of the gRPC rows with py-spy (pip install
'.[bench]'), writing a flame graph and collapsed stacks to benchmarks/output/, and
prints the server's CPU a request by thread (from /proc, threads named by
`py-spy dump`): most of gRPC's cost is C code that Python-level samples show
only as the event loop's `Thread.run`.
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
from workbench.bench.transports import InprocTransport, Reply, open_transport  # noqa: E402
from workbench.core.codes import Code  # noqa: E402
from workbench.core.execute import execute  # noqa: E402
from workbench.core.ids import new_id  # noqa: E402
from workbench.bench.console import table_lines  # noqa: E402
from workbench.config import find_project  # noqa: E402

OUTPUT = ROOT / "benchmarks" / "output"
ROWS = (("inproc", "handlers"), ("inproc", "unary"), ("inproc", "stream"), ("unix", "unary"), ("unix", "stream"))
# A server thread's part, by its Python name (py-spy dump names them; gRPC's own C threads have none).
PARTS = (
    ("the event loop: gRPC aio, asyncio, bf's call code", ("bf-serve-loop",)),
    ("gRPC's poller thread", ("_poll_wrapper",)),
    ("tenant groups: handlers, SQLite, log fsync", ("bf-tenant",)),
)
UNNAMED = "gRPC core threads (C, no Python)"


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
    base = max(row[1] for row in rows if row[0].startswith("inproc") and row[0] != HandlersOnly.name)
    print(f"{args.rounds} rounds of bf stress, seed {args.seed}, {args.in_flight} requests in flight; "
          f"load average {load()} (before: see stderr)")
    print("\n".join(table_lines(
        ("path", "req/s", "vs in-process", "vs handlers", "client µs/req", "server µs/req", "req/CPU s",
         "per CPU vs handlers", "p50 ms", "last/first"),
        [(*row[:2], f"{row[1] / base:.2f}", f"{row[1] / rows[0][1]:.2f}", *row[2:5], f"{row[4] / rows[0][4]:.2f}",
          *row[5:]) for row in rows])))
    if places:
        names = list(places)
        print(f"\nserver CPU µs a request by thread (/proc, threads named by py-spy dump; "
              f"flame graphs in {OUTPUT.relative_to(ROOT)}/)")
        parts = list(dict.fromkeys(part for shares in places.values() for part in shares))
        print("\n".join(table_lines(("thread", *names),
                                     [(part, *(places[name].get(part, 0.0) for name in names)) for part in parts])))


def measure(project, args, transport: str, calls: str, places: dict) -> tuple:
    """path, requests/s, client and server CPU µs a request in the phases of rounds 2..N,
    requests per CPU second (both sides), median p50, last/first."""
    profiling = args.profile and transport != "inproc"
    names: dict[int, str] = {}
    meters: list[Metered] = []
    profiler: list[subprocess.Popen] = []

    def opener(*arguments) -> Metered:
        meters.append(Metered(open_with_handlers_only(*arguments), by_thread=profiling))
        return meters[0]

    def on_round(row) -> None:
        if profiling and row.round in (1, args.rounds):
            names.update(thread_names())
        if row.round == 1:
            meters[0].reset()  # round 1 warms up: the clocks count from round 2
            if profiling:
                profiler.extend(start_profiles(f"{transport}-{calls}"))

    result = run_stress(project, args.rounds, transport, seed=args.seed, in_flight=args.in_flight,
                        calls=calls, on_round=on_round, opener=opener)
    for process in profiler:
        process.wait(30)
    meter = meters[0]
    per_request = 1e6 / max(1, meter.requests)
    client, server = meter.client * per_request, meter.server * per_request
    if profiling:
        places[result.transport] = by_part(meter.threads, names, per_request)
    return (result.transport, result.per_second, client, server if transport != "inproc" else "-",
            1e6 / (client + server), statistics.median(row.p50_ms for row in result.rows), f"{result.growth:.2f}")


class Metered:
    """A transport whose sends are metered: this process's CPU, the server child's (and by thread)."""

    def __init__(self, transport, by_thread: bool):
        self.transport = transport
        self.by_thread = by_thread
        self.reset()

    def reset(self) -> None:
        self.client = self.server = 0.0
        self.requests = 0
        self.threads: dict[int, float] = {}

    def send(self, requests: list) -> list[Reply]:
        client, server = time.process_time(), child_cpu_seconds()
        threads = thread_cpu_seconds() if self.by_thread else {}
        replies = self.transport.send(requests)
        self.client += time.process_time() - client
        self.server += child_cpu_seconds() - server
        for tid, seconds in (thread_cpu_seconds() if self.by_thread else {}).items():
            self.threads[tid] = self.threads.get(tid, 0.0) + seconds - threads.get(tid, 0.0)
        self.requests += len(requests)
        return replies

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


class HandlersOnly(InprocTransport):
    """The domain alone: each request through its handler in the tenant's state, in one
    thread, nothing logged; the state commits after each phase (no fsync: WAL, synchronous=NORMAL)."""

    name = "inproc handlers"

    def __init__(self, *args):
        super().__init__(*args)
        self.events = 0

    def send(self, requests: list) -> list[Reply]:
        clock, db, replies = time.perf_counter, self.tenant.db, []
        with self.tenant.paused():
            db.execute("BEGIN IMMEDIATE")
            for request in requests:
                started = clock()
                db.execute("SAVEPOINT one")
                outcome = execute(self.tenant.registry, db, request, new_id)
                db.execute("RELEASE one")
                self.events += len(outcome.events)
                replies.append(Reply(outcome.response if outcome.code == Code.OK else None, outcome.code,
                                     outcome.message, clock() - started))
            db.execute("COMMIT")
        return replies

    def logged_events(self) -> int:
        return self.events


def open_with_handlers_only(transport: str, project, domain, data, prefix, in_flight, server_options, calls):
    if calls == "handlers":
        return HandlersOnly(domain, data, prefix, 1)
    return open_transport(transport, project, domain, data, prefix, in_flight, server_options, calls)


def start_profiles(name: str) -> list[subprocess.Popen]:
    """py-spy on the server child until it exits: a flame graph and collapsed stacks."""
    (pid,) = children()
    OUTPUT.mkdir(exist_ok=True)
    common = ["py-spy", "record", "--pid", str(pid), "--rate", "200", "--nonblocking", "--threads"]
    return [subprocess.Popen([*common, "--format", fmt, "-o", str(OUTPUT / f"serve-{name}.{ext}")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for fmt, ext in (("flamegraph", "svg"), ("raw", "collapsed"))]


def by_part(threads: dict[int, float], names: dict[int, str], per_request: float) -> dict[str, float]:
    """Server CPU µs a request spent by each part (PARTS, by thread name)."""
    spent = dict.fromkeys([part for part, _ in PARTS] + [UNNAMED, "other Python threads"], 0.0)
    for tid, seconds in threads.items():
        name = names.get(tid)
        part = UNNAMED if name is None else next(
            (part for part, marks in PARTS if any(mark in name for mark in marks)), "other Python threads")
        spent[part] += seconds * per_request
    return spent


def thread_names() -> dict[int, str]:
    """The server's Python threads by OS thread id, from `py-spy dump` (`Thread 362 (idle): "bf-serve-loop"`)."""
    (pid,) = children()
    dump = subprocess.run(["py-spy", "dump", "--pid", str(pid), "--nonblocking"], capture_output=True, text=True,
                          timeout=30).stdout
    found = {}
    for line in dump.splitlines():
        if line.startswith("Thread ") and '"' in line:
            found[int(line.split()[1], 0)] = line.split('"')[1]
    return found


def thread_cpu_seconds() -> dict[int, float]:
    (pid,) = children()
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


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
