"""The Server screen with Pilot: `s` opens it, the addresses typed are read
every tick over real HTTP (prometheus-client's server on a registry fed here),
figures and tenants show, `s` sorts, a node that is gone says so."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from tests.tui.pilot_helpers import press, rendered, running, settle
from workbench.metrics.exporter import MetricsHttp
from workbench.metrics.families import ServiceMetrics
from workbench.tui.screens.server import ServerScreen
from workbench.tui.widgets.metric_line import MetricLine
from workbench.tui.widgets.node_panel import NodePanel

RESERVE = "protos.InventoryService.Reserve"


def feed(metrics: ServiceMetrics) -> None:
    """One second's worth of a busy node: two tenants, refusals, groups, fsyncs."""
    for _ in range(30):
        metrics.call_done(RESERVE, "big", "OK", 0.004)
    for _ in range(5):
        metrics.call_done(RESERVE, "small", "FAILED_PRECONDITION", 0.002)
    metrics.group_ran("big", [0.001] * 10, 0.003)


async def test_s_opens_the_server_screen_and_it_follows_a_node(make_app):
    metrics = ServiceMetrics()
    http = MetricsHttp(metrics.registry, "127.0.0.1:0")
    app = make_app()
    try:
        async with running(app) as pilot:
            # Read only when the test says: no timer reading in between (the app's `s` pushes this one).
            app.install_screen(ServerScreen(refresh=3600), "server")
            await press(pilot, "s")
            screen = app.screen
            assert isinstance(screen, ServerScreen)
            node_input = screen.query_one("#server-nodes", Input)
            assert node_input.has_focus, "with no node yet, the address input waits for one"
            await pilot.press(*f"{http.address} 127.0.0.1:1")
            await press(pilot, "enter")
            await settle(pilot, until=lambda: screen.ticks >= 1)  # the reading Enter starts
            panels = list(screen.query(NodePanel))
            assert [p.address for p in panels] == [http.address, "127.0.0.1:1"]

            await press(pilot, "space")  # paused: the readings below are the test's alone
            assert screen.paused

            async def read() -> None:
                ticks = screen.ticks
                screen.read_nodes(list(screen.addresses))
                await settle(pilot, until=lambda: screen.ticks > ticks)

            await read()
            for _ in range(2):  # the first reading names the tenants; from the next on, their calls are theirs
                feed(metrics)
                await read()
            figures = panels[0].figures
            assert figures.requests_per_second > 0 and figures.errors_per_second["FAILED_PRECONDITION"] > 0
            assert figures.group_size == 10 and 0 < figures.p50_ms <= figures.p99_ms
            assert panels[0].query_one("#line-rps", MetricLine).latest == figures.requests_per_second
            table = panels[0].query_one(DataTable)
            assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)][:2] == ["big", "small"]
            assert "FAILED_PRECONDITION" in rendered(panels[0].query_one(".node-errors"))
            assert "DOWN" in rendered(panels[1].query_one(".node-title"))

            await press(pilot, "s")  # by requests/s: big still first
            await press(pilot, "s")  # by errors/s: small first
            assert screen.sort == "errors"
            assert str(table.get_row_at(0)[0]) == "small"
            await press(pilot, "escape")
            assert app.screen is app.main_screen
            await press(pilot, "s")
            assert app.screen is screen, "the screen is kept with its nodes"
    finally:
        http.close()


async def test_the_server_keys_are_in_the_palette_and_help(make_app):
    app = make_app()
    async with running(app) as pilot:
        await press(pilot, "s")
        commands = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Sort", "Nodes", "Pause"} <= set(commands)
        await press(pilot, "f1")
        help_text = "\n".join(str(app.screen.query_one(DataTable).get_row_at(i)[2])
                              for i in range(app.screen.query_one(DataTable).row_count))
        assert "server.sort" in help_text and "server.nodes" in help_text


async def test_the_nodes_typed_are_watched_again_next_time(make_app):
    async with running(make_app()) as pilot:
        await press(pilot, "s")
        await pilot.press(*"127.0.0.1:1 127.0.0.1:2")
        await press(pilot, "enter")
    async with running(make_app()) as pilot:  # the same config folder: a later session
        await press(pilot, "s")
        screen = pilot.app.screen
        assert screen.addresses == ["127.0.0.1:1", "127.0.0.1:2"]
        assert [panel.address for panel in screen.query(NodePanel)] == screen.addresses
        assert not screen.query_one("#server-nodes", Input).display
