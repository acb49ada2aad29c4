"""One message type of the catalogue: its kind, feature and fields."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from workbench.tui.catalogue import MessageInfo


class MessageDetails(Static):
    def show(self, info: MessageInfo) -> None:
        text = Text()
        text.append(info.name, style="bold cyan")
        text.append(f"  {info.kind}\n", style="italic")
        if info.feature:
            text.append(f"served by {info.feature}\n", style="bright_black")
        for field in info.fields:
            text.append(f"  {field.name}", style="yellow")
            text.append(f": {field.type}\n")
        if not info.fields:
            text.append("  (no fields)\n", style="bright_black")
        text.append(f"\nused by {len(info.spec_ids)} spec(s):", style="bold")
        self.update(text)
