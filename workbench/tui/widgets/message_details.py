"""One message type of the catalogue: its kind, feature and fields."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from workbench.tui.catalogue import INFRA, MessageInfo


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
        if info.kind == INFRA:
            text.append("\ninfrastructure: a message of the workbench's own services, not of a feature; "
                        "specs do not use it", style="bright_black")
        else:
            text.append(f"\nused by {len(info.spec_ids)} spec(s):", style="bold")
        self.update(text)
