"""The selected spec: its verdict and why it ran, then the spec coloured by
the SpecLexer (its own comments included) with ids as UID(n)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from workbench.core.ids import show_uids
from workbench.specs.formatter import format_spec
from workbench.tui.marks import mark
from workbench.tui.spec_index import FileEntry, SpecEntry
from workbench.tui.spec_text import highlighted


class SpecView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="spec-verdict")
        yield Static(id="spec-source")

    def show_spec(self, entry: SpecEntry, status: str, verdict: dict | None, reason: str | None) -> None:
        line = Text.assemble(mark(status), f" {status}")
        if verdict is not None:
            line.append(f" in {verdict.get('seconds', 0) * 1000:.2f} ms")
        if reason:
            line.append(f"  · run because: {reason}", style="italic")
        self._show(line, highlighted(show_uids(format_spec(entry.spec))))

    def show_file(self, file_entry: FileEntry) -> None:
        lines = [f"{len(file_entry.specs)} specs in {file_entry.file}"]
        if file_entry.error:
            lines.append(f"cannot read it: {file_entry.error}")
        self._show("", "\n".join(lines))

    def show_text(self, text: str) -> None:
        self._show("", text)

    def _show(self, verdict_line, source) -> None:
        verdict = self.query_one("#spec-verdict", Static)
        verdict.update(verdict_line)
        verdict.display = bool(verdict_line)
        self.query_one("#spec-source", Static).update(source)
