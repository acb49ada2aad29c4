"""One node in `bf top`: its headline, live figures as sparklines, refusals
by code, and its tenants in a table sortable by load."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from workbench.metrics.top_figures import NodeFigures
from workbench.tui.widgets.metric_line import MetricLine

LINES = (  # id, label, format, the figure
    ("rps", "req/s", "{:,.0f}", lambda f: f.requests_per_second),
    ("p50", "p50 ms", "{:,.1f}", lambda f: f.p50_ms),
    ("p99", "p99 ms", "{:,.1f}", lambda f: f.p99_ms),
    ("group", "group", "{:,.1f}", lambda f: f.group_size),
    ("fsync", "fsync ms", "{:,.2f}", lambda f: f.fsync_ms),
)
COLUMNS = ("tenant", "req/s", "err/s", "load", "mean ms")


class NodePanel(Vertical):
    HELP = ("A node's figures over the last second, read from its /metrics: requests/s, p50 and p99 server "
            "time of unary calls, requests per logged group, mean fsync of the log; refusals by status code; "
            "its tenants (the busiest by name, the rest as \"other\"), `s` sorts them. load: server seconds "
            "a second spent on the tenant's calls.")

    def __init__(self, address: str, **kwargs):
        super().__init__(**kwargs)
        self.address = address
        self.figures: NodeFigures | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble((self.address, "bold"), "  connecting…"), classes="node-title")
        for line_id, label, number_format, _ in LINES:
            yield MetricLine(label, number_format, id=f"line-{line_id}")
        yield Static("refused: none", classes="node-errors")
        yield DataTable(cursor_type="row", zebra_stripes=True, classes="node-tenants")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    def show(self, figures: NodeFigures, sort: str) -> None:
        self.figures = figures
        if self.has_class("node-down"):  # (re)styling the panel costs more than drawing it: only on a change
            self.remove_class("node-down")
        uptime = _duration(figures.uptime_seconds)
        self._title(
            f"  up {uptime}  cpu {figures.cpu_percent:.0f}%  tenants {figures.open_tenants}"
            f"  streams {figures.streams}  wait {figures.queue_wait_ms:.1f} ms")
        for line_id, _, _, figure in LINES:
            self.query_one(f"#line-{line_id}", MetricLine).add(figure(figures))
        refused = "  ".join(f"{code} {rate:,.1f}/s" for code, rate in figures.errors_per_second.items())
        self.query_one(".node-errors", Static).update(f"refused: {refused or 'none'}", layout=False)
        self.show_tenants(sort)

    def show_tenants(self, sort: str) -> None:
        if self.figures is None:
            return
        table = self.query_one(DataTable)
        rows = {row.tenant: (row.tenant, *(Text(figure, justify="right") for figure in (
                    f"{row.requests_per_second:,.0f}", f"{row.errors_per_second:,.1f}", f"{row.load:.2f}",
                    f"{row.mean_ms:.1f}"))) for row in self.figures.sorted_tenants(sort)}
        if [key.value for key in table.rows] != list(rows):
            table.clear()
            for tenant, cells in rows.items():
                table.add_row(*cells, key=tenant)
            return
        # The same tenants in the same order: change only the cells that changed
        # (a table rebuilt every second costs bf top more than everything else).
        for tenant, cells in rows.items():
            for column, (now, cell) in enumerate(zip(table.get_row(tenant), cells)):
                if now != cell:
                    table.update_cell_at(Coordinate(table.get_row_index(tenant), column), cell)

    def show_waiting(self) -> None:
        self._title("  reading a second sample…")

    def show_problem(self, text: str) -> None:
        if not self.has_class("node-down"):
            self.add_class("node-down")
        self._title(f"  DOWN: {text}")

    def _title(self, text: str) -> None:
        self.query_one(".node-title", Static).update(Text.assemble((self.address, "bold"), text), layout=False)


def _duration(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}m" if hours else f"{minute}m{second:02d}s"
