"""`bf perf`: how many specs a second the core runs, and how fast it applies
events and handles requests, with a progress bar while it measures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.bench.console import console, progress, table
from workbench.bench.perf import PerfResult, PerfSample, available_cores, run_perf
from workbench.config import Project

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("perf", help="run the specs in a loop and print specs/s, events/s and requests/s")
    parser.add_argument("paths", nargs="*", type=Path, help="spec files or folders (default: the project's specs)")
    parser.add_argument("--sec", type=positive_float, default=5.0, metavar="N",
                        help="seconds of running specs (default 5); one-core figures take a fifth of it each")
    parser.add_argument("--cores", type=positive_int, default=None, metavar="N",
                        help=f"worker processes (default: every core, here {available_cores()})")
    parser.add_argument("-k", dest="keyword", metavar="TEXT", help="only specs whose name or file contains TEXT")
    parser.add_argument("--bundle", type=Path, metavar="FILE",
                        help="run the specs of a bundle file (and of the PATHs given with it)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    paths = list(args.paths) or ([] if args.bundle else [project.specs_dir])
    if args.bundle:
        paths.append(args.bundle)
    with progress("perf", total=1.0) as update:
        def on_sample(sample: PerfSample) -> None:
            update(sample.fraction, f"{sample.specs_per_second:,.0f} specs/s  {sample.events_per_second:,.0f} events/s",
                   description=sample.phase)

        result = run_perf(project, args.sec, args.cores, args.keyword, paths, on_sample)
    for problem in result.unreadable + result.failures:
        print(f"bf perf: {problem}", file=sys.stderr)
    if not result.ok:
        print("bf perf: nothing measured: perf times only readable specs that all pass", file=sys.stderr)
        return EXIT_BAD_INPUT if result.unreadable else EXIT_FAILED
    out = console()
    out.print(table(HEADERS, result_rows(result), plain=not out.is_terminal))
    print("\n".join(note_lines(result)), flush=True)
    return 0


HEADERS = ("operation", "workers", "total", "ops/s", "kHz", "time/op", "ops/CPU s")


def result_rows(result: PerfResult) -> list[tuple]:
    return [(row.operation, row.workers, row.total, row.per_second, row.khz, f"{row.micros_per_op:.2f} µs",
             row.per_cpu_second) for row in result.rows]


def note_lines(result: PerfResult) -> list[str]:
    lines = [f"{result.passing_specs} specs, every one passing"]
    if result.slow:
        where, seconds = max(result.slow, key=lambda item: item[1])
        lines.append(f"{len(result.slow)} specs over 1 ms of CPU each ran apart from the loops; "
                     f"the slowest: {where} ({seconds * 1000:.0f} ms)")
    lines.append("ops/CPU s: over the CPU time the workers got, which a busy machine makes less than the wall time")
    return lines + [result.caveat]


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value
