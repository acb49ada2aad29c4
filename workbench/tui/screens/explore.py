"""Explore a spec's final state: the spec runs in a fresh process (`bf explore`,
so edited code is what runs), its state lands in a SQLite file, an embedded
Datasette serves that file on 127.0.0.1, and the SQL console queries it
through Datasette's in-process client. The UI never opens the file itself."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from workbench.explore.server import ExploreServer
from workbench.explore.sql_client import SqlClient
from workbench.tui.keys import EXPLORE_KEYS, bindings
from workbench.tui.spec_index import SpecEntry
from workbench.tui.widgets.sql_console import SqlConsole


class ExploreScreen(Screen):
    BINDINGS = bindings(EXPLORE_KEYS)
    KEYS = EXPLORE_KEYS

    def __init__(self, entry: SpecEntry, db_path: Path | None = None):
        super().__init__()
        self.entry = entry
        self.db_path = db_path or Path(tempfile.mkdtemp(prefix="bf-explore-")) / "state.db"
        self.server: ExploreServer | None = None
        self.client: SqlClient | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Running {self.entry.spec.name}…", id="explore-url")
        yield SqlConsole(id="sql-console")
        yield Footer()

    def on_mount(self) -> None:
        self.start()

    @work(exclusive=True, group="explore")
    async def start(self) -> None:
        banner = self.query_one("#explore-url", Static)
        problem = await self._export()
        if problem:
            banner.update(f"{self.entry.spec.name} could not run:\n{problem}")
            return
        self.server = ExploreServer(self.db_path)
        await self.server.start()
        self.client = SqlClient(self.server.datasette, self.server.database)
        url = await self.server.serve()
        banner.update(f"{self.entry.spec.name}: state in {self.db_path}\nDatasette: {url}   (ctrl+o opens a browser)")
        await self._query(self.query_one(SqlConsole).sql)
        self.query_one("#sql-input").focus()

    async def _export(self) -> str | None:
        """Run `bf explore` in a fresh process; its error text when it fails."""
        command = [sys.executable, "-m", "workbench.cli", "--project", str(self.app.project.root),
                   "explore", self.entry.spec_id, "--db", str(self.db_path)]
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE)
        _, stderr = await process.communicate()
        return None if process.returncode == 0 else stderr.decode(errors="replace").strip()

    async def on_sql_console_query_asked(self, message: SqlConsole.QueryAsked) -> None:
        await self._query(message.sql)

    async def _query(self, sql: str) -> None:
        if self.client is None:
            self.notify("Datasette is not ready yet.", severity="warning")
            return
        self.query_one(SqlConsole).show_result(await self.client.query(sql))

    def action_open_browser(self) -> None:
        if self.server and self.server.url:
            self.app.open_url(self.server.url)
        else:
            self.notify("Datasette is not serving yet.", severity="warning")

    def action_copy_sql(self) -> None:
        self.app.copy_to_clipboard(self.query_one(SqlConsole).sql)
        self.notify("Copied the query.")

    def action_history(self, step: int) -> None:
        self.query_one(SqlConsole).step_history(step)

    async def on_unmount(self) -> None:
        if self.server is not None:
            await self.server.stop()
