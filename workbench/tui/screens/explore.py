"""Explore a spec's state, step by step.

The spec runs in a fresh process (`bf explore --steps --json`, so edited code is
what runs): the outcome comes first (passed, failed, rejected, crashed), then the
steps (each GIVEN event, then the WHEN) beside the schema, the rows the chosen
step changed, and the SQL console on that step's state. An embedded Datasette
serves every step's file on 127.0.0.1 and answers the console through its
in-process client; the UI never opens the files itself. Leaving the screen stops
Datasette and removes the files, unless asked to keep them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import webbrowser
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from workbench.explore.cache import cache_dir, explore_files
from workbench.explore.result_export import FORMATS, export
from workbench.explore.server import ExploreServer
from workbench.explore.sql_client import SqlClient
from workbench.tui.keys import EXPLORE_KEYS, bindings
from workbench.tui.screens.pick import PickScreen
from workbench.tui.spec_index import SpecEntry
from workbench.tui.sql_completion import Schema
from workbench.tui.widgets.key_footer import KeyFooter
from workbench.tui.widgets.schema_tree import SchemaTree
from workbench.tui.widgets.sql_console import FIRST_QUERY, SqlConsole
from workbench.tui.widgets.step_changes import StepChanges
from workbench.tui.widgets.step_list import StepList

EXPORT_CHOICES = [f"{verb} as {kind.upper() if kind != 'md' else 'Markdown'}" for verb in ("Copy", "Save") for kind in FORMATS]


def browser_available() -> bool:
    """A browser that opens beside the app: none over ssh or without a display. A
    console browser (lynx, w3m) does not count: it would take over the app's terminal."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    return type(browser) is not webbrowser.GenericBrowser


def outcome_text(data: dict, location: str) -> Text:
    """The spec's outcome, first thing on the screen."""
    verdict = data["verdict"]
    where = f"  ({location})"
    if verdict["status"] == "error":
        last = (verdict["error"] or "").strip().splitlines()[-1:] or ["?"]
        return Text.assemble(("! crashed  ", "bold red"), verdict["name"], where, "\n", (last[0], "red"))
    if verdict["status"] == "fail":
        differences = verdict["differences"]
        first = differences[0] if differences else None
        lines = f"\n{first['path']}: expected {first['expected']}, got {first['actual']}" if first else ""
        more = f"  (+{len(differences) - 1} more)" if len(differences) > 1 else ""
        return Text.assemble(("✘ failed  ", "bold red"), verdict["name"], where, (lines + more, "red"))
    text = Text.assemble(("✔ passed  ", "bold green"), verdict["name"], where)
    if data["rejected"]:
        actual = verdict["actual"]
        text.append(f"\nthe request was rejected: {actual['status']}" + (f" ({actual['message']})" if actual["message"] else ""),
                    style="yellow")
    return text


class ExploreScreen(Screen):
    BINDINGS = bindings(EXPLORE_KEYS)
    KEYS = EXPLORE_KEYS

    def __init__(self, entry: SpecEntry, keep: bool = False):
        super().__init__()
        self.entry = entry
        self.keep = keep
        self.data: dict | None = None
        self.server: ExploreServer | None = None
        self.client: SqlClient | None = None
        self.database: str | None = None  # the chosen step's
        self.schema = Schema()
        self._auto_query: str | None = None  # the query a step put in the console, replaced by the next step's

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Running {self.entry.spec.name}…", id="explore-outcome")
        yield Static(id="explore-url")
        with Horizontal(id="explore-body"):
            with Vertical(id="explore-side"):
                yield StepList(id="steps")
                yield SchemaTree(id="schema")
            with Vertical(id="explore-main"):
                with VerticalScroll(id="step-changes-box"):
                    yield StepChanges(id="step-changes")
                yield SqlConsole(self.app.settings.sql_history(), id="sql-console")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(SqlConsole).schema = self.schema
        self.query_one("#sql-input").suggester.schema = self.schema
        self.start()

    @property
    def files(self):
        return explore_files(self.app.project.root, self.entry.spec_id)

    @work(exclusive=True, group="explore")
    async def start(self) -> None:
        banner = self.query_one("#explore-outcome", Static)
        self.data, problem = await self._run_spec()
        if self.data is None:
            banner.update(Text(f"{self.entry.spec.name} could not run:\n{problem}", style="red"))
            return
        banner.update(outcome_text(self.data, f"{self.entry.file}:{self.entry.spec.line}"))
        steps = [Path(step["path"]) for step in self.data["steps"] if step["path"]]
        self.server = ExploreServer(Path(self.data["state"]), steps)
        await self.server.start()
        self.client = SqlClient(self.server.datasette, self.server.database)
        await self.server.serve()
        self.query_one(StepList).show_steps(self.data["steps"])  # highlights the last step: its state shows
        self.query_one("#sql-input").focus()

    async def _run_spec(self) -> tuple[dict | None, str]:
        """`bf explore --steps --json` in a fresh process: its JSON, or why there is none."""
        command = [sys.executable, "-m", "workbench.cli", "--project", str(self.app.project.root),
                   "explore", self.entry.spec_id, "--steps", "--json"]
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await process.communicate()
        try:
            return json.loads(stdout), ""
        except ValueError:
            return None, stderr.decode(errors="replace").strip() or f"bf explore exited {process.returncode}"

    # -- time travel ----------------------------------------------------------------

    async def on_step_list_step_chosen(self, message: StepList.StepChosen) -> None:
        if self.data is None or self.client is None:
            return
        step = self.data["steps"][message.index]
        self.database = Path(step["path"]).stem if step["path"] else self.server.database
        self.query_one(StepChanges).show_step(step, self.data["verdict"]["error"])
        self.query_one("#explore-url", Static).update(
            f"{step['title']}: Datasette {self.server.url_of(self.database)}   (ctrl+o: browser)")
        tables = await self.client.tables(self.database)
        self.schema.tables = {table.name: [column.name for column in table.typed_columns] for table in tables}
        self.query_one(SchemaTree).show_tables(tables)
        console = self.query_one(SqlConsole)
        if step["changes"] and console.sql in (FIRST_QUERY, self._auto_query):
            self._auto_query = f"select * from {step['changes'][0]['table']}"  # what the step changed, at a glance
            console.set_sql(self._auto_query, focus=False)
        await self._query(console.sql, typed=False)

    def action_steps(self) -> None:
        self.query_one(StepList).focus()

    # -- the console ------------------------------------------------------------------

    async def on_sql_console_query_asked(self, message: SqlConsole.QueryAsked) -> None:
        await self._query(message.sql)

    async def _query(self, sql: str, typed: bool = True) -> None:
        """Run `sql` on the chosen step's state; the history keeps only what was typed."""
        if self.client is None:
            self.notify("Datasette is not ready yet.", severity="warning")
            return
        console = self.query_one(SqlConsole)
        console.show_result(await self.client.query(sql, self.database), remember=typed)
        if typed:
            self.app.settings.remember_sql_history(console.history)

    def on_schema_tree_name_picked(self, message: SchemaTree.NamePicked) -> None:
        console = self.query_one(SqlConsole)
        sql = console.sql
        if message.name in self.schema.tables and not sql.strip():
            console.set_sql(f"select * from {message.name}")
        else:
            console.set_sql(f"{sql.rstrip()} {message.name}" if sql.strip() else message.name)

    def action_history(self, step: int) -> None:
        self.query_one(SqlConsole).step_history(step)

    def action_pick_history(self) -> None:
        history = list(reversed(self.query_one(SqlConsole).history))
        if not history:
            self.notify("No query yet.")
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.query_one(SqlConsole).set_sql(history[index])
        self.app.push_screen(PickScreen("Query history (newest first; Enter puts it in the input)", history), chosen)

    def action_copy_sql(self) -> None:
        self.app.copy_to_clipboard(self.query_one(SqlConsole).sql)
        self.notify("Copied the query.")

    def action_export(self) -> None:
        result = self.query_one(SqlConsole).result
        if result is None:
            self.notify("No result to export: run a query first.", severity="warning")
            return
        self.app.push_screen(PickScreen(f"Export {len(result.rows)} row(s)", EXPORT_CHOICES),
                             lambda index: None if index is None else self.export_result(index))

    def export_result(self, index: int) -> Path | None:
        result = self.query_one(SqlConsole).result
        kind = FORMATS[index % len(FORMATS)]
        text = export(kind, result.columns, result.rows)
        if index < len(FORMATS):
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied {len(result.rows)} row(s) as {kind.upper()}.")
            return None
        folder = cache_dir(self.app.project.root) / "exports"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"{self.database or 'state'}-{datetime.now():%Y%m%d-%H%M%S}.{kind}"
        path.write_text(text)
        self.notify(f"Saved {len(result.rows)} row(s) to {path}", timeout=10)
        return path

    # -- the browser and the files ---------------------------------------------------------

    def action_open_browser(self) -> None:
        url = self.server.url_of(self.database) if self.server and self.database else None
        if url is None:
            self.notify("Datasette is not serving yet.", severity="warning")
            return
        self.app.copy_to_clipboard(url)
        if browser_available():
            self.app.open_url(url)
            self.notify(f"Opened {url} (and copied it).")
        else:
            port = self.server.port
            self.notify(f"No browser can open from here: point one at {url} (copied). Over ssh, forward the port "
                        f"first: ssh -L {port}:127.0.0.1:{port} this-host", title="Datasette", timeout=20)

    def action_keep(self) -> None:
        self.keep = True
        self.notify(f"Kept when you leave: {self.files.state} and the steps in {self.files.steps}/", timeout=10)

    async def on_unmount(self) -> None:
        if self.server is not None:
            await self.server.stop()
        if not self.keep:
            self.files.remove()
