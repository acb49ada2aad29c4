"""The live perf view: `bf perf`'s benchmark run from the app, specs/s and
events/s drawn while it runs, then its summary table."""

from __future__ import annotations

import contextlib
import sys
from multiprocessing import resource_tracker

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from workbench.bench.perf import RUN_SPEC, PerfResult, PerfSample, run_perf
from workbench.tui.keys import PERF_KEYS, bindings
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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="perf-phase")
        yield ProgressBar(total=1.0, show_eta=False, id="perf-progress")
        yield RateSparkline("specs/s", id="perf-specs")
        yield RateSparkline("events/s", id="perf-events")
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
        table.add_columns("operation", "workers", "total", "ops/s", "time/op")
        for row in result.rows:
            table.add_row(row.operation, row.workers, f"{row.total:,}", f"{row.per_second:,.0f}",
                          f"{row.micros_per_op:.2f} µs")
        self.query_one("#perf-notes", Static).update(f"{result.passing_specs} specs, every one passing\n{result.caveat}")

    def show_problem(self, text: str) -> None:
        self.running = False
        self.query_one("#perf-phase", Static).update("stopped")
        self.query_one("#perf-notes", Static).update(text)
