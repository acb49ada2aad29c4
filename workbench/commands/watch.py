"""`bf watch`: rerun the specs each save affects, in a plain terminal.

The same engine as the TUI. A line per change and per verdict (with why the
spec ran), each failure's differences below it, each distinct error once at
the end of its run with the specs it hit, and a summary per run; with
`--json`, one JSON object per event, each with its time (`at`, seconds since
the epoch), for CI and measurement. Ctrl+C stops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import TextIO

from workbench.config import Project
from workbench.specs.compare import Difference
from workbench.specs.report import status_mark, wants_colour
from workbench.watch.engine import WatchEngine
from workbench.watch.events import Event, event_json

def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("watch", help="rerun the specs each save affects, without the TUI")
    parser.add_argument("--json", action="store_true", help="one JSON object per event, with timestamps")
    parser.add_argument("--no-initial-run", dest="run_first", action="store_false",
                        help="wait for the first save instead of running every spec at start")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, project: Project) -> int:
    try:
        asyncio.run(_watch(project, args.run_first, JsonLines() if args.json else TextLines()))
    except KeyboardInterrupt:
        pass
    except (RuntimeError, OSError) as error:  # the worker's parent process could not start
        print(f"bf watch: {error}", file=sys.stderr)
        return 2
    return 0


async def _watch(project: Project, run_first: bool, printer: "JsonLines | TextLines") -> None:
    engine = WatchEngine(project, run_first=run_first, worker_output=sys.stderr)
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, engine.stop)
    async for event in engine.events():
        printer.show(event)


class JsonLines:
    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream

    def show(self, event: Event) -> None:
        self.stream.write(json.dumps(event_json(event)) + "\n")
        self.stream.flush()


class TextLines:
    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream
        self.colour = wants_colour(stream)

    def show(self, event: Event) -> None:
        text = getattr(self, "_" + event.kind)(event)
        if text:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _watching(self, event) -> str:
        polling = ", polling: the system has no file watch to spare" if event.polling else ""
        return f"watching {', '.join(event.paths)}  (Ctrl+C stops{polling})"

    def _change(self, event) -> str:
        return "changed: " + ", ".join(event.paths)

    def _run(self, event) -> str:
        what = f"{len(event.selection)} spec(s)" if event.selection else f"every spec of {len(event.files)} file(s)"
        return f"run {event.run}: {what}, chosen in {event.select_ms:.1f} ms"

    def _specs(self, event) -> str:
        return f"bad spec file: {event.error}" if event.error else ""

    def _running(self, event) -> str:
        return f"running {event.spec_id} ..."

    def _verdict(self, event) -> str:
        verdict = event.verdict
        mark = status_mark(verdict["status"], self.colour)
        lines = [f"{mark} {verdict['name']}  ({verdict['file']}:{verdict['line']})  because {event.reason}"]
        lines += [f"    {Difference(**d)}" for d in verdict["differences"]]
        return "\n".join(lines)  # errors come once each, with the run's summary

    def _done(self, event) -> str:
        lines = []
        for group in event.errors:
            hit = group.specs if len(group.specs) <= 5 else [*group.specs[:5], f"and {len(group.specs) - 5} more"]
            lines += [f"error in {len(group.specs)} spec(s): {', '.join(hit)}"]
            lines += ["    " + line for line in group.error.rstrip().splitlines()]
        lines += [f"contracts stale: run bf protos ({problem})" for problem in event.stale]
        total = f"; all {event.total}: {event.total - event.failing} passing, {event.failing} not"
        lines.append(f"run {event.run}: {event.passed} passed, {event.failed} failed in {event.latency_ms:.0f} ms{total}")
        return "\n".join(lines)

    def _idle(self, event) -> str:
        return ""

    def _cancelled(self, event) -> str:
        return f"run {event.run}: cancelled by a newer change; its unfinished specs run next"
