"""The footer of key hints, compact when the terminal is narrow so that every
key of the screen fits in 80 columns (F1 lists them all with their help)."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

COMPACT_BELOW = 120  # columns


class KeyFooter(Footer):
    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
