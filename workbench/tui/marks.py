"""How a status looks everywhere in the TUI: a mark and a colour."""

from __future__ import annotations

from collections import Counter

from rich.text import Text

from workbench.tui.spec_index import NOT_RUN

MARKS = {"pass": ("✔", "green"), "fail": ("✘", "red"), "error": ("!", "magenta"), "timeout": ("⧗", "yellow"),
         NOT_RUN: ("·", "bright_black")}
ORDER = ("pass", "fail", "error", "timeout", NOT_RUN)


def mark(status: str) -> Text:
    symbol, colour = MARKS[status]
    return Text(symbol, style=f"bold {colour}")


def counts_text(counts: Counter) -> Text:
    """`3✔ 1✘`: only the statuses present, in a fixed order."""
    text = Text()
    for status in ORDER:
        if counts.get(status):
            symbol, colour = MARKS[status]
            text.append(f" {counts[status]}{symbol}", style=colour)
    return text
