"""The SQL console: the query line, one clean error line, and the results table.

It only shows; the explore screen runs the queries (through Datasette). An error
clears the results, so what is on screen is always the answer to the query shown.
The history is kept across runs (the app's config folder) by the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from workbench.explore.sql_client import QueryResult
from workbench.explore.step_text import cell
from workbench.tui.sql_completion import Schema
from workbench.tui.widgets.sql_input import SqlInput

FIRST_QUERY = "select name from sqlite_master where type = 'table' order by name"


class SqlConsole(Vertical):
    HELP = ("Type a SELECT and press Enter: it runs through Datasette on the chosen step's state. Tab completes "
            "table and column names and keywords; up and down bring back earlier queries (kept across runs).")

    @dataclass
    class QueryAsked(Message):
        sql: str

    def __init__(self, history: list[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.history: list[str] = list(history or [])
        self.schema = Schema()
        self.result: QueryResult | None = None
        self._browsing: int | None = None  # where up/down is in the history

    def compose(self) -> ComposeResult:
        yield SqlInput(FIRST_QUERY, self.schema, id="sql-input")
        yield Static(id="sql-error")
        yield DataTable(id="sql-results", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#sql-error").display = False

    @property
    def sql(self) -> str:
        return self.query_one("#sql-input", Input).value

    def set_sql(self, sql: str, focus: bool = True) -> None:
        field = self.query_one("#sql-input", Input)
        field.value = sql
        field.cursor_position = len(sql)
        if focus:
            field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.QueryAsked(event.value.strip()))

    def show_result(self, result: QueryResult, remember: bool = True) -> None:
        error = self.query_one("#sql-error", Static)
        error.update(f"error: {result.error}" if result.error else "")
        error.display = not result.ok
        if remember:
            self._remember(result.sql)
        table = self.query_one("#sql-results", DataTable)
        table.clear(columns=True)
        self.result = result if result.ok else None
        if not result.ok:
            table.border_subtitle = ""
            return
        table.add_columns(*result.columns)
        table.add_rows([[cell(value) for value in row] for row in result.rows])
        table.border_subtitle = f"{len(result.rows)} row(s){' (truncated)' if result.truncated else ''}, {result.milliseconds:.1f} ms"

    def _remember(self, sql: str) -> None:
        if sql in self.history:
            self.history.remove(sql)
        self.history.append(sql)
        self._browsing = None

    def step_history(self, step: int) -> None:
        """-1: an older query into the input; +1: a newer one."""
        if not self.history:
            return
        position = len(self.history) if self._browsing is None else self._browsing
        position = max(0, min(len(self.history) - 1, position + step))
        self._browsing = position
        self.query_one("#sql-input", Input).value = self.history[position]
