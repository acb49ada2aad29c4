"""The feature's documentation: the spec file's header comments, as Markdown."""

from __future__ import annotations

from textual.widgets import Markdown

from workbench.tui.spec_index import FileEntry


def comments_markdown(lines: list[str]) -> str:
    """`// text` lines as Markdown: the comment marks go, the words and blank lines stay."""
    return "\n".join(line.strip().removeprefix("//").removeprefix(" ") for line in lines)


class FeatureDoc(Markdown):
    def show(self, file_entry: FileEntry | None) -> None:
        header = file_entry.spec_file.header if file_entry and file_entry.spec_file else []
        self.display = bool(header)
        text = comments_markdown(header)
        if header and text != self.source:  # the specs of one file share it: render it once
            self.update(text)
