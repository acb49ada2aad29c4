"""The selected spec: the feature's documentation (the spec file's header
comments), the spec's own comments, then the spec coloured by the SpecLexer
with ids as UID(n)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static

from workbench.core.ids import show_uids
from workbench.specs.formatter import format_spec
from workbench.tui.marks import mark
from workbench.tui.spec_index import FileEntry, SpecEntry
from workbench.tui.spec_text import highlighted


def comments_markdown(lines: list[str]) -> str:
    """`// text` lines as Markdown: the comment marks go, the words and blank lines stay."""
    return "\n".join(line.strip().removeprefix("//").removeprefix(" ") for line in lines)


class SpecView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="spec-verdict")
        yield Markdown(id="feature-doc")
        yield Static(id="spec-source")

    def show_spec(self, entry: SpecEntry, file_entry: FileEntry | None) -> None:
        header = file_entry.spec_file.header if file_entry and file_entry.spec_file else []
        self._doc(header)
        source = show_uids(format_spec(entry.spec))
        self.query_one("#spec-source", Static).update(highlighted(source))

    def show_verdict(self, status: str, verdict: dict | None, reason: str | None) -> None:
        line = Text.assemble(mark(status), f" {status}")
        if verdict is not None:
            line.append(f" in {verdict.get('seconds', 0) * 1000:.2f} ms")
        if reason:
            line.append(f"  · run because: {reason}", style="italic")
        self.query_one("#spec-verdict", Static).update(line)

    def show_file(self, file_entry: FileEntry) -> None:
        header = file_entry.spec_file.header if file_entry.spec_file else []
        self.query_one("#spec-verdict", Static).update("")
        self._doc(header)
        lines = [f"{len(file_entry.specs)} specs in {file_entry.file}"]
        if file_entry.error:
            lines.append(f"cannot read it: {file_entry.error}")
        self.query_one("#spec-source", Static).update("\n".join(lines))

    def show_text(self, text: str) -> None:
        self.query_one("#spec-verdict", Static).update("")
        self._doc([])
        self.query_one("#spec-source", Static).update(text)

    def _doc(self, header: list[str]) -> None:
        doc = self.query_one("#feature-doc", Markdown)
        doc.display = bool(header)
        text = comments_markdown(header)
        if header and text != doc.source:  # specs of one file share it: render it once
            doc.update(text)
