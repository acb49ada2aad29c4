"""The console's query line: SQL coloured as typed, the word being typed completed
from the live schema (shown dim; Tab or right arrow takes it)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from workbench.tui.sql_completion import Schema, SqlSuggester
from workbench.tui.sql_highlight import SqlHighlighter


class SqlInput(Input):
    BINDINGS = [Binding("tab", "complete", "Complete", show=False)]

    def __init__(self, value: str, schema: Schema, **kwargs):
        super().__init__(value, placeholder="SQL (Enter runs it, Tab completes)", highlighter=SqlHighlighter(),
                         suggester=SqlSuggester(schema), **kwargs)

    def action_complete(self) -> None:
        if self._suggestion and self.cursor_at_end:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()
