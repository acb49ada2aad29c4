"""The SQL console: a query input, the results table, and the query history.

It only shows; the explore screen runs the queries (through Datasette).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, OptionList, Static

from workbench.core.ids import show_uids
from workbench.explore.sql_client import QueryResult

FIRST_QUERY = "select name from sqlite_master where type = 'table' order by name"


def _cell(value) -> str:
    """Spec-mode ids as UID(n), the way the specs write them."""
    return "NULL" if value is None else show_uids(str(value))


class SqlConsole(Vertical):
    HELP = ("Type a SELECT and press Enter: it runs through Datasette. Up and down bring back "
            "earlier queries; a click on the history puts one in the input.")

    @dataclass
    class QueryAsked(Message):
        sql: str

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.history: list[str] = []
        self._browsing: int | None = None  # where up/down is in the history

    def compose(self) -> ComposeResult:
        yield Input(FIRST_QUERY, placeholder="SQL (Enter runs it)", id="sql-input")
        yield Static(id="sql-error")
        with Horizontal():
            yield DataTable(id="sql-results", zebra_stripes=True)
            yield OptionList(id="sql-history")

    @property
    def sql(self) -> str:
        return self.query_one("#sql-input", Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.QueryAsked(event.value.strip()))

    def show_result(self, result: QueryResult) -> None:
        error = self.query_one("#sql-error", Static)
        error.update(result.error or "")
        error.display = not result.ok
        self._remember(result.sql)
        if not result.ok:
            return
        table = self.query_one("#sql-results", DataTable)
        table.clear(columns=True)
        table.add_columns(*result.columns)
        table.add_rows([[_cell(value) for value in row] for row in result.rows])
        table.border_subtitle = f"{len(result.rows)} row(s){' (truncated)' if result.truncated else ''}, {result.milliseconds:.1f} ms"

    def _remember(self, sql: str) -> None:
        if sql in self.history:
            self.history.remove(sql)
        self.history.append(sql)
        self._browsing = None
        listing = self.query_one("#sql-history", OptionList)
        listing.clear_options()
        listing.add_options(reversed(self.history))

    def step_history(self, step: int) -> None:
        """-1: an older query into the input; +1: a newer one."""
        if not self.history:
            return
        position = len(self.history) if self._browsing is None else self._browsing
        position = max(0, min(len(self.history) - 1, position + step))
        self._browsing = position
        self.query_one("#sql-input", Input).value = self.history[position]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        field = self.query_one("#sql-input", Input)
        field.value = str(event.option.prompt)
        field.focus()
