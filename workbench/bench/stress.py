"""`bf stress` without the terminal: a growing business driven round after
round through a transport (in-process, or the real gRPC API over a unix socket
or TCP), one row of figures per round.

The business comes from the domain: the module `<domain>.stress_workload`
has a `Workload(seed)` with `phases(round)`, `observe(request, response)`,
`figures_request()` and `figures(response)`. Only the requests of a round's
phases are timed; the figures are read after the round's clock stops.
"""

from __future__ import annotations

import importlib
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from workbench.config import Project
from workbench.core.domain import Domain
from workbench.bench.transports import DEFAULT_IN_FLIGHT, Reply, folder_bytes, open_transport

DEFAULT_ROUNDS = 20
GROWTH_TARGET = 1.3  # the last round may take at most this many times the first


@dataclass(frozen=True)
class StressRow:
    round: int
    seconds: float
    db_bytes: int  # the tenant's files: state and event log
    figures: dict[str, int]  # the workload's: locations, products, on hand, reserved
    requests: int
    rejected: int
    p50_ms: float
    p99_ms: float
    events: int  # in the tenant's log after the round

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class StressResult:
    transport: str
    seed: int
    in_flight: int
    rows: list[StressRow] = field(default_factory=list)

    @property
    def growth(self) -> float:
        """The last round's time over the first's."""
        return self.rows[-1].seconds / self.rows[0].seconds if self.rows else 0.0

    @property
    def steady_growth(self) -> float:
        """The median of the last three rounds' times over that of the first three:
        on a shared machine one round is one noisy sample."""
        if len(self.rows) < 6:
            return self.growth
        first, last = (statistics.median(row.seconds for row in rows) for rows in (self.rows[:3], self.rows[-3:]))
        return last / first

    @property
    def per_second(self) -> float:
        """Requests a second over every round."""
        seconds = sum(row.seconds for row in self.rows)
        return sum(row.requests for row in self.rows) / seconds if seconds else 0.0


def run_stress(
    project: Project,
    rounds: int = DEFAULT_ROUNDS,
    transport: str = "unix",
    data: Path | None = None,
    seed: int = 1,
    on_round: Callable[[StressRow], None] | None = None,
    in_flight: int = DEFAULT_IN_FLIGHT,
    server_options: tuple[str, ...] = (),
    on_start: Callable[[object], None] | None = None,
    calls: str = "stream",
    opener: Callable = open_transport,
) -> StressResult:
    """Run `rounds` rounds of the domain's workload through `transport` ("inproc", "unix" or "tcp"),
    with `in_flight` requests at a time; over gRPC `calls` are "stream" (bf.BulkService) or "unary".

    The tenant `stress-<seed>-<n>` (the first free n) is created in `data`
    (default: a temporary folder, removed afterwards). `on_round(row)` is
    called after each round; `on_start(client)` once the transport is open
    (its `server.metrics_url` is where a `bf serve` started with `server_options`
    such as `--metrics ADDR` serves them). `opener` makes the transport (a benchmark
    may bring its own), with the arguments of `open_transport`.
    """
    domain = Domain.load(project)
    workload = importlib.import_module(f"{project.domain}.stress_workload").Workload(seed)
    folder = Path(tempfile.mkdtemp(prefix="bf-stress-")) if data is None else Path(data)
    try:
        client = opener(transport, project, domain, folder, f"stress-{seed}", in_flight, server_options, calls)
        result = StressResult(client.name, seed, in_flight)
        try:
            if on_start:
                on_start(client)
            for number in range(1, rounds + 1):
                row = _round(number, workload, client)
                result.rows.append(row)
                if on_round:
                    on_round(row)
        finally:
            client.close()
    finally:
        if data is None:
            shutil.rmtree(folder, ignore_errors=True)
    return result


def _round(number: int, workload, client) -> StressRow:
    replies: list[Reply] = []
    started = time.perf_counter()
    for phase in workload.phases(number):
        answered = client.send(phase)
        for request, reply in zip(phase, answered):
            workload.observe(request, reply.response)
        replies += answered
    seconds = time.perf_counter() - started
    (inventory,) = client.send([workload.figures_request()])
    latencies = sorted(reply.seconds for reply in replies)
    return StressRow(
        round=number,
        seconds=seconds,
        db_bytes=folder_bytes(client.folder),
        figures=workload.figures(inventory.response),
        requests=len(replies),
        rejected=sum(1 for reply in replies if reply.response is None),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        events=client.logged_events(),
    )


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
