"""What watching a node costs: `bf stress` throughput with metrics off, on, and on
with `bf top` watching, in one run.

    python benchmarks/metrics_overhead.py [--rounds N] [--repeats R] [--transport unix|tcp]

Three ways to run the same `bf stress` (same seed, a fresh tenant each time):
  off          `bf serve` as it starts by default (the operator's log and its request watch, no metrics)
  metrics      `bf serve --metrics 127.0.0.1:0`: every family counted, nobody reading them
  metrics+top  the same with `bf top` reading them every second in a real terminal (tmux;
               without tmux, the same readings from a thread of this process)
They run interleaved (off, metrics, metrics+top, off, ...) `--repeats` times, so
a neighbour's burst on a shared machine hits each alike; the table gives the
median of each and its ratio to "off": requests/s, and the server process's
CPU time per request over the rounds after the first (from /proc: what the
watching costs the node itself, which neighbours on a shared machine disturb
far less than throughput). `bf top`'s own CPU a second is shown apart.

Last, in this process and free of the load's noise: what the metrics' hooks
add to one request (its count, server time, queue wait, and its share of a
group of 8), and what one scrape of a busy node's families costs; both as a
share of the server CPU a request takes with metrics off.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.bench.console import table_lines  # noqa: E402
from workbench.bench.stress import run_stress  # noqa: E402
from workbench.config import find_project  # noqa: E402
from workbench.metrics.scrape import ScrapeFailed, scrape  # noqa: E402
from workbench.metrics.top_figures import figures  # noqa: E402

CONFIGS = ("off", "metrics", "metrics+top")


class Watcher:
    """`bf top ADDR` in a tmux session, or (no tmux) its readings from a thread."""

    def __init__(self, address: str):
        self.session = None
        self.pid: int | None = None
        self.cpu_per_second = 0.0
        self._stop = threading.Event()
        if shutil.which("tmux"):
            self.session = f"bf-bench-top-{uuid.uuid4().hex[:8]}"
            subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "100", "-y", "30",
                            f"{sys.executable} -m workbench.cli --project {ROOT} top {address}"], check=True)
            self.pid = int(subprocess.run(["tmux", "list-panes", "-t", self.session, "-F", "#{pane_pid}"],
                                          capture_output=True, text=True).stdout.split()[0])
            self._wait_until_drawing(address)
            self._started = (cpu_seconds(self.pid), time.monotonic())
        else:
            self._thread = threading.Thread(target=self._read, args=(address,), daemon=True)
            self._thread.start()

    def _wait_until_drawing(self, address: str, seconds: float = 30.0) -> None:
        """Until bf top shows the node: its start (imports, first layout) is not the cost of watching."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True,
                                    text=True).stdout
            if f"{address}  up " in screen:
                return
            time.sleep(0.2)

    def _read(self, address: str) -> None:
        last = None
        while not self._stop.wait(1.0):
            try:
                reading = scrape(address)
            except ScrapeFailed:
                continue
            if last is not None:
                figures(last, reading)
            last = reading

    def stop(self) -> None:
        self._stop.set()
        if self.pid is not None:
            cpu, at = self._started
            self.cpu_per_second = (cpu_seconds(self.pid) - cpu) / (time.monotonic() - at)
        if self.session:
            subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(project, config: str, args) -> tuple[float, float, float, float, float]:
    """requests/s over every round, median p50 and p99 of the rounds, the server's
    CPU µs per request after the first round, bf top's CPU seconds a second."""
    watchers: list[Watcher] = []
    server: dict = {}
    after_rounds: list[tuple[float, int]] = []  # the server's CPU seconds, requests so far

    def on_round(row) -> None:
        done = (after_rounds[-1][1] if after_rounds else 0) + row.requests
        after_rounds.append((cpu_seconds(server["pid"]), done))

    def started(client) -> None:
        server["pid"] = client.server.process.pid
        if config == "metrics+top":
            address = client.server.metrics_url.removeprefix("http://").removesuffix("/metrics")
            watchers.append(Watcher(address))

    options = () if config == "off" else ("--metrics", "127.0.0.1:0")
    try:
        result = run_stress(project, args.rounds, args.transport, seed=args.seed, server_options=options,
                            on_start=started, on_round=on_round)
    finally:
        for watcher in watchers:
            watcher.stop()
    (cpu_first, requests_first), (cpu_last, requests_last) = after_rounds[0], after_rounds[-1]
    return (result.per_second, statistics.median(r.p50_ms for r in result.rows),
            statistics.median(r.p99_ms for r in result.rows),
            1e6 * (cpu_last - cpu_first) / max(1, requests_last - requests_first),
            watchers[0].cpu_per_second if watchers else 0.0)


def hook_costs(tenants: int = 50, requests: int = 200_000) -> tuple[float, float]:
    """µs the metrics add per request; ms one scrape takes (after `requests` over `tenants`)."""
    from prometheus_client import generate_latest

    from workbench.metrics.families import ServiceMetrics

    metrics = ServiceMetrics()
    names = [f"tenant-{n}" for n in range(tenants)]
    waits = [0.001] * 8
    started = time.perf_counter()
    for n in range(requests):
        metrics.call_done("protos.InventoryService.Reserve", names[n % tenants], "OK", 0.004)
        if n % 8 == 0:
            metrics.group_ran(names[n % tenants], waits, 0.002)
    per_request = (time.perf_counter() - started) / requests * 1e6
    scrapes = 20
    started = time.perf_counter()
    for _ in range(scrapes):
        generate_latest(metrics.registry)
    return per_request, (time.perf_counter() - started) / scrapes * 1000


def watch_cost(calls: int = 100_000) -> float:
    """µs the request watch (on in every way) adds to a unary call on the loop: the wrapped
    coroutine against the bare one, with a stand-in for grpc's context."""
    import asyncio

    from workbench.metrics.request_counts import RequestCounts
    from workbench.metrics.request_watch import RequestWatch

    class Context:
        def invocation_metadata(self):
            return (("x-tenant", "acme"),)

        def code(self):
            return None

    async def behaviour(request, context):
        return request

    counts = RequestCounts()
    watched = RequestWatch(lambda m, t, c, s: counts.add(m, t, c, s), None, None)._unary("m", behaviour)

    async def loop(call) -> float:
        context, started = Context(), time.perf_counter()
        for n in range(calls):
            await call(n, context)
        return time.perf_counter() - started

    bare, wrapped = asyncio.run(loop(behaviour)), asyncio.run(loop(watched))
    return (wrapped - bare) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="stress rounds per run (default 4, at least 2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each way, interleaved (default 3)")
    parser.add_argument("--transport", choices=("unix", "tcp"), default="unix")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    project = find_project(ROOT)
    runs: dict[str, list[tuple]] = {config: [] for config in CONFIGS}
    for repeat in range(1, args.repeats + 1):
        for config in CONFIGS:
            figures_of_run = measure(project, config, args)
            runs[config].append(figures_of_run)
            print(f"run {repeat}/{args.repeats} {config}: {figures_of_run[0]:,.0f} req/s, "
                  f"{figures_of_run[3]:.0f} µs CPU/request", file=sys.stderr, flush=True)

    def median(config: str, column: int) -> float:
        return statistics.median(run[column] for run in runs[config])

    base_rate, base_cpu = median("off", 0), median("off", 3)
    rows = []
    for config in CONFIGS:
        rate, cpu = median(config, 0), median(config, 3)
        rows.append((config, rate, f"{rate / base_rate:.3f}", median(config, 1), median(config, 2), cpu,
                     f"{cpu / base_cpu:.3f}", f"{100 * (cpu / base_cpu - 1):+.1f}%",
                     f"{100 * median(config, 4):.1f}%" if config == "metrics+top" else "",
                     " ".join(f"{run[0]:,.0f}" for run in runs[config])))
    print(f"bf stress, {args.rounds} rounds, {args.transport}, seed {args.seed}; median of {args.repeats} interleaved runs")
    print("\n".join(table_lines(("way", "req/s", "vs off", "p50 ms", "p99 ms", "server CPU µs/req", "vs off",
                                  "cost", "bf top CPU", "each run req/s"), rows)))
    per_request_us, scrape_ms = hook_costs()
    print(f"in-process: the metrics' hooks add {per_request_us:.1f} µs to a request "
          f"({100 * per_request_us / base_cpu:.2f}% of the {base_cpu:.0f} µs of server CPU a request takes with metrics off); "
          f"one scrape of 50 tenants' families takes {scrape_ms:.1f} ms "
          f"({scrape_ms / 10:.2f}% of a core at one a second, what bf top asks); the request watch, on in every way, "
          f"adds {watch_cost():.1f} µs to a call")


if __name__ == "__main__":
    main()
