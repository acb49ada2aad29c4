"""The Server screen (`bf top`, and `s` in the app): running `bf serve` nodes
side by side, refreshed every second from their `/metrics`.

Each tick reads every node's metrics on a worker thread (a node that does
not answer within the timeout shows why, the others go on) and draws the
figures between this reading and the last (workbench/metrics/top_figures.py).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from workbench.metrics.scrape import Scrape, read_all
from workbench.metrics.top_figures import SORTS, figures
from workbench.tui.keys import SERVER_KEYS, bindings
from workbench.tui.top_nodes import remember_nodes, remembered_nodes
from workbench.tui.widgets.node_panel import NodePanel

REFRESH_SECONDS = 1.0


class ServerScreen(Screen):
    BINDINGS = bindings(SERVER_KEYS)
    KEYS = SERVER_KEYS

    def __init__(self, addresses: list[str] | None = None, refresh: float = REFRESH_SECONDS):
        """`addresses`: the nodes' metrics (none: those watched last)."""
        super().__init__()
        self.addresses = list(addresses or [])
        self.remembered = not addresses
        self.refresh_seconds = refresh
        self.sort = SORTS[0]
        self.paused = False
        self.last: dict[str, Scrape] = {}
        self.ticks = 0  # readings drawn, for tests

    def compose(self) -> ComposeResult:
        if self.remembered:
            self.addresses = remembered_nodes(self.app.settings.folder)
        yield Header()
        nodes = Input(" ".join(self.addresses), placeholder="metrics addresses to watch: HOST:PORT ... (Enter)",
                      id="server-nodes")
        nodes.display = not self.addresses  # hidden, it takes no keys: `n` shows it
        yield nodes
        yield Horizontal(id="server-panels")
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = "Server"
        await self._show_nodes()
        if not self.addresses:
            self.query_one("#server-nodes", Input).focus()
        self.set_interval(self.refresh_seconds, self.tick)
        self.tick()

    async def _show_nodes(self) -> None:
        panels = self.query_one("#server-panels", Horizontal)
        await panels.remove_children()
        self.last = {}
        await panels.mount_all([NodePanel(address) for address in self.addresses])
        self.query_one("#server-nodes", Input).display = not self.addresses
        if self.addresses:
            self.query_one(NodePanel).query_one(DataTable).focus()

    def tick(self) -> None:
        if self.addresses and not self.paused:
            self.read_nodes(list(self.addresses))

    @work(thread=True, exclusive=True, group="scrape")
    def read_nodes(self, addresses: list[str]) -> None:
        self.app.call_from_thread(self.draw, read_all(addresses))

    def draw(self, readings: dict[str, Scrape | str]) -> None:
        for panel in self.query(NodePanel):
            reading = readings.get(panel.address)
            if reading is None:
                continue  # the node list changed while reading
            if isinstance(reading, str):
                panel.show_problem(reading)
                self.last.pop(panel.address, None)
                continue
            before = self.last.get(panel.address)
            self.last[panel.address] = reading
            if before is None:
                panel.show_waiting()
            else:
                panel.show(figures(before, reading), self.sort)
        self.ticks += 1

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        self.addresses = event.value.split()
        remember_nodes(self.app.settings.folder, self.addresses)
        await self._show_nodes()
        self.tick()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        for panel in self.query(NodePanel):
            panel.show_tenants(self.sort)
        self.notify(f"Tenants sorted by {self.sort}.")

    def action_nodes(self) -> None:
        node_input = self.query_one("#server-nodes", Input)
        node_input.display = True
        node_input.focus()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.sub_title = "Server (paused)" if self.paused else "Server"

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()
