"""The feature's documentation: the spec file's header comments, as Markdown.

Drawn with Rich's Markdown in one widget: Textual's Markdown widget mounts a
widget per block, which made choosing a spec in another file visibly slower.
"""

from __future__ import annotations

from rich.markdown import Markdown
from textual.widgets import Static

from workbench.tui.feature_markdown import comments_markdown
from workbench.tui.spec_index import FileEntry


class FeatureDoc(Static):
    source: str = ""

    def show(self, file_entry: FileEntry | None) -> None:
        header = file_entry.spec_file.header if file_entry and file_entry.spec_file else []
        self.display = bool(header)
        text = comments_markdown(header)
        if header and text != self.source:  # the specs of one file share it: render it once
            self.source = text
            self.update(Markdown(text))
