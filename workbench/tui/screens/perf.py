"""The live perf view: `bf perf`'s benchmark run from the app. The window is
split between specs/s and events/s drawn while it runs (left) and the results
table with each figure's change since the previous run (right; the last run is
kept in the config folder, so it compares across sessions too)."""

from __future__ import annotations

import contextlib
import sys
import time
from multiprocessing import resource_tracker

from textual import work
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from workbench.bench.perf import RUN_SPEC, PerfResult, PerfSample, run_perf
from workbench.tui.keys import PERF_KEYS, bindings
from workbench.tui.perf_history import PreviousRun, load_previous, remember
from workbench.tui.widgets.rate_sparkline import RateSparkline

SECONDS = 3.0  # long enough for steady figures, short enough to watch


class PerfScreen(Screen):
    BINDINGS = bindings(PERF_KEYS)
    KEYS = PERF_KEYS

    def __init__(self, seconds: float = SECONDS, cores: int | None = None, keyword: str | None = None):
        super().__init__()
        self.seconds = seconds
        self.cores = cores
        self.keyword = keyword
        self.running = False
        self.result: PerfResult | None = None
        self.previous: PreviousRun | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="perf-phase")
        yield ProgressBar(total=1.0, show_eta=False, id="perf-progress")
        with Horizontal(id="perf-body"):
            with Vertical(id="perf-rates"):
                yield RateSparkline("specs/s", id="perf-specs")
                yield RateSparkline("events/s", id="perf-events")
            with Vertical(id="perf-results"):
                yield DataTable(id="perf-table", cursor_type="row")
                yield Static("", id="perf-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.action_run_perf()

    def action_run_perf(self) -> None:
        if self.running:
            self.notify("The benchmark is running already.")
            return
        self.running = True
        self.result = None
        self.previous = load_previous(self.app.settings.folder)
        self.query_one("#perf-specs", RateSparkline).clear()
        self.query_one("#perf-events", RateSparkline).clear()
        self.query_one("#perf-table", DataTable).clear(columns=True)
        self.query_one("#perf-notes", Static).update("")
        self.query_one("#perf-phase", Static).update("starting the workers…")
        self.measure()

    @work(thread=True, exclusive=True, group="perf")
    def measure(self) -> None:
        # The workers' shared counters need multiprocessing's resource tracker, which
        # hands stderr's file descriptor to its process; Textual's captured stderr has none.
        with contextlib.redirect_stderr(sys.__stderr__):
            resource_tracker.ensure_running()
        try:
            result = run_perf(self.app.project, self.seconds, self.cores, self.keyword,
                              on_sample=lambda sample: self.app.call_from_thread(self.show_sample, sample))
        except Exception as error:  # a worker that died: say so, the app stays up
            self.app.call_from_thread(self.show_problem, f"{type(error).__name__}: {error}")
        else:
            self.app.call_from_thread(self.show_result, result)

    def show_sample(self, sample: PerfSample) -> None:
        self.query_one("#perf-phase", Static).update(f"{sample.phase}  {sample.elapsed:.1f} s")
        self.query_one("#perf-progress", ProgressBar).update(progress=sample.fraction)
        if sample.phase == RUN_SPEC:
            self.query_one("#perf-specs", RateSparkline).add(sample.specs_per_second)
        self.query_one("#perf-events", RateSparkline).add(sample.events_per_second)

    def show_result(self, result: PerfResult) -> None:
        self.running = False
        self.result = result
        self.query_one("#perf-progress", ProgressBar).update(progress=1.0)
        if not result.ok:
            problems = result.unreadable + result.failures
            self.show_problem("nothing measured: perf times only readable specs that all pass\n" + "\n".join(problems))
            return
        self.query_one("#perf-phase", Static).update("done")
        table = self.query_one("#perf-table", DataTable)
        table.add_columns("operation", "workers", "ops/s", "time/op", "before", "change")
        for row in result.rows:
            before = self.previous.per_second.get(row.operation) if self.previous else None
            table.add_row(row.operation, row.workers, f"{row.per_second:,.0f}",
                          f"{row.micros_per_op:.2f} µs", f"{before:,.0f}" if before else "–",
                          _change(self.previous.change(row.operation, row.per_second) if self.previous else None))
        since = (f"before: the previous run, {_ago(self.previous.when)}" if self.previous
                 else "before: no previous run to compare with yet")
        self.query_one("#perf-notes", Static).update(
            f"{result.passing_specs} specs, every one passing\n{since}\n{result.caveat}")
        remember(self.app.settings.folder, result)

    def show_problem(self, text: str) -> None:
        self.running = False
        self.query_one("#perf-phase", Static).update("stopped")
        self.query_one("#perf-notes", Static).update(text)


def _change(change: float | None) -> Text:
    """+12% in green, -12% in red; changes within 3% (noise on a shared machine) unstyled."""
    if change is None:
        return Text("–")
    style = "green" if change > 0.03 else "red" if change < -0.03 else ""
    return Text(f"{change:+.0%}", style=style)


def _ago(when: float) -> str:
    seconds = max(0, time.time() - when)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"
