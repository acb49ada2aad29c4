"""One line under the header: what is watched, the run in progress or the
last run's result and latency (from the save to the last verdict)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class RunStatus(Static):
    watching: reactive[str] = reactive("starting…")
    running: reactive[str] = reactive("")
    last_run: reactive[str] = reactive("")
    broken: reactive[str] = reactive("")
    unreadable: reactive[str] = reactive("")  # spec files that cannot be read: their specs did not run

    def render(self) -> Text:
        text = Text()
        text.append("watching " if self.watching != "starting…" else "", style="bold")
        text.append(self.watching)
        if self.running:
            text.append("  ▶ " + self.running, style="bold yellow")
        elif self.last_run:
            text.append("  " + self.last_run)
        if self.broken:
            text.append("  " + self.broken, style="bold red")
        if self.unreadable:
            text.append("  " + self.unreadable, style="bold red")
        return text
