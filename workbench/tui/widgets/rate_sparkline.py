"""A rate as it changes: its name, its latest value, and a sparkline of the samples."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static


class RateSparkline(Vertical):
    def __init__(self, label: str, **kwargs):
        super().__init__(**kwargs)
        self.label = label
        self.samples: list[float] = []

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="rate-label")
        yield Sparkline([], summary_function=max)

    def add(self, value: float) -> None:
        self.samples.append(value)
        self.query_one(Static).update(f"{self.label}: {value:,.0f}  (peak {max(self.samples):,.0f})")
        self.query_one(Sparkline).data = list(self.samples)

    def clear(self) -> None:
        self.samples = []
        self.query_one(Static).update(self.label)
        self.query_one(Sparkline).data = []
