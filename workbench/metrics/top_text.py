"""`bf top --once`: the figures of each node over one interval, as text
(Rich tables; plain in a pipe), for scripts and logs rather than eyes."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from workbench.bench.console import console, table
from workbench.metrics.scrape import read_all
from workbench.metrics.top_figures import NodeFigures, figures

NODE_HEADERS = ("node", "req/s", "p50 ms", "p99 ms", "group", "fsync ms", "wait ms", "cpu %", "tenants", "streams",
                "refused/s")
TENANT_HEADERS = ("node", "tenant", "req/s", "err/s", "load", "mean ms")


def read_twice(addresses: list[str], interval: float) -> dict[str, NodeFigures | str]:
    """Each node's figures between two readings `interval` seconds apart, or why there are none."""
    first = read_all(addresses)
    time.sleep(interval)
    second = read_all([address for address, reading in first.items() if not isinstance(reading, str)])
    found: dict[str, NodeFigures | str] = {}
    for address, before in first.items():
        after = second.get(address, before)
        found[address] = after if isinstance(after, str) else figures(before, after)
    return found


def print_figures(found: dict[str, NodeFigures | str], sort: str = "load", stream: TextIO | None = None) -> int:
    """Print the tables; returns how many nodes could not be read."""
    out = console(stream)
    plain = not out.is_terminal
    nodes, tenants, problems = [], [], []
    for address, node in found.items():
        if isinstance(node, str):
            problems.append(f"bf top: {node}")
            continue
        refused = " ".join(f"{code}:{rate:,.1f}" for code, rate in node.errors_per_second.items()) or "-"
        nodes.append((address, node.requests_per_second, node.p50_ms, node.p99_ms, node.group_size, node.fsync_ms,
                      node.queue_wait_ms, node.cpu_percent, node.open_tenants, node.streams, refused))
        tenants += [(address, row.tenant, row.requests_per_second, row.errors_per_second, row.load, row.mean_ms)
                    for row in node.sorted_tenants(sort)]
    if nodes:
        out.print(table(NODE_HEADERS, nodes, plain=plain))
        out.print()
        out.print(table(TENANT_HEADERS, tenants, plain=plain))
    for problem in problems:
        print(problem, file=sys.stderr)
    return len(problems)
