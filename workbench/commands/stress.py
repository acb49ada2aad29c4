"""`bf stress`: a growing business through the real gRPC API (or in-process),
one row per round, and how the last round compares with the first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc

from workbench.bench.stress import DEFAULT_ROUNDS, GROWTH_TARGET, StressResult, StressRow, run_stress
from workbench.bench.console import console, progress, table
from workbench.bench.transports import CALLS, DEFAULT_IN_FLIGHT, TRANSPORTS
from workbench.commands.perf import positive_int
from workbench.config import Project
from workbench.service.private_files import keep_files_private

FIGURE_WIDTH = 9  # the workload's own figures (locations, products, ...) sit between db MB and req/s
EXIT_TOO_SLOW = 1
EXIT_BAD_INPUT = EXIT_REFUSED = 2
CAVEAT = ("caveat: one tenant, one client process with {in_flight} calls in flight, on this machine's disk; "
          "every write is fsynced before it is acknowledged")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("stress", help="drive a growing business through the service, a row per round")
    parser.add_argument("--rounds", type=positive_int, default=DEFAULT_ROUNDS, metavar="N",
                        help=f"rounds to run (default {DEFAULT_ROUNDS})")
    parser.add_argument("--transport", choices=TRANSPORTS, default="unix",
                        help="inproc: call the tenant directly; unix or tcp: a bf serve process over gRPC (default unix)")
    parser.add_argument("--calls", choices=CALLS, default="stream",
                        help="over gRPC: stream, many calls on one bf.BulkService stream; unary, a call each (default stream)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="keep the tenant's files here (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="the same seed makes the same run (default 1)")
    parser.add_argument("--in-flight", type=positive_int, default=DEFAULT_IN_FLIGHT, metavar="N",
                        help=f"requests the client keeps in flight, as many callers at once (default {DEFAULT_IN_FLIGHT})")
    parser.add_argument("--metrics", metavar="ADDR",
                        help="start the server with `--metrics ADDR` (watch it with `bf top`; not with inproc)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()
    out = console()

    def print_row(row: StressRow) -> None:
        headers, cells = row_table(row)
        widths = [max(len(header), FIGURE_WIDTH if header in row.figures else 6) for header in headers]
        out.print(table(headers, [cells], plain=not out.is_terminal, widths=widths, show_header=row.round == 1))
        update(row.round)

    def say_metrics(client) -> None:
        url = getattr(getattr(client, "server", None), "metrics_url", None)
        if url:
            print(f"metrics on {url} (bf top {url.removeprefix('http://').removesuffix('/metrics')})", flush=True)

    if args.metrics and args.transport == "inproc":
        print("bf stress: --metrics needs a server: use --transport unix or tcp", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with progress("rounds", total=args.rounds, out=out) as update:  # rows print above the bar
            result = run_stress(project, args.rounds, args.transport, args.data, args.seed, on_round=print_row,
                                in_flight=args.in_flight,
                                server_options=("--metrics", args.metrics) if args.metrics else (),
                                on_start=say_metrics, calls=args.calls)
    except grpc.RpcError as error:  # e.g. a --data folder whose node requires tokens, and no BF_TOKEN
        print(f"bf stress: the server refused: {error.code().name}: {error.details()}", file=sys.stderr)
        return EXIT_REFUSED
    print("\n".join(summary_lines(result)))
    return 0 if result.growth <= GROWTH_TARGET else EXIT_TOO_SLOW


def row_table(row: StressRow) -> tuple[list[str], list]:
    """The row's column names and values."""
    headers = ["round", "seconds", "db MB", *row.figures, "req/s", "rejected", "p50 ms", "p99 ms", "events"]
    cells = [row.round, row.seconds, row.db_bytes / 1e6, *row.figures.values(), round(row.per_second),
             row.rejected, row.p50_ms, row.p99_ms, row.events]
    return headers, cells


def summary_lines(result: StressResult) -> list[str]:
    verdict = "within" if result.growth <= GROWTH_TARGET else "OVER"
    return [
        f"{result.transport}, seed {result.seed}: {result.per_second:,.0f} requests/s over {len(result.rows)} rounds; "
        f"last round / first: {result.growth:.2f} ({verdict} the target of {GROWTH_TARGET}); "
        f"median of the last 3 / of the first 3: {result.steady_growth:.2f}",
        CAVEAT.format(in_flight=result.in_flight),
    ]
