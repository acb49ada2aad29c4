"""One live figure on one line: its name, a sparkline of the last minute, its latest value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Sparkline, Static

KEPT = 60  # samples: a minute at one a second


class MetricLine(Horizontal):
    def __init__(self, label: str, unit_format: str = "{:,.0f}", **kwargs):
        super().__init__(**kwargs)
        self.label = label
        self.unit_format = unit_format
        self.samples: list[float] = []

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="metric-label")
        yield Sparkline([], summary_function=max, classes="metric-spark")
        yield Static("", classes="metric-value")

    def add(self, value: float) -> None:
        self.samples = (self.samples + [value])[-KEPT:]
        self.query_one(Sparkline).data = list(self.samples)
        # Fixed sizes (app.tcss): no layout of the screen again, which costs more than the drawing.
        self.query_one(".metric-value", Static).update(self.unit_format.format(value), layout=False)

    @property
    def latest(self) -> float | None:
        return self.samples[-1] if self.samples else None
