"""A snapshot of `bf top` (the Server screen): one node with a minute of figures,
one that does not answer. The figures are drawn by the test, not read, so the
picture never changes with the machine's speed."""

from __future__ import annotations

from tests.tui.pilot_helpers import settle
from workbench.metrics.top_figures import NodeFigures, TenantRow
from workbench.tui.top_app import TopApp
from workbench.tui.widgets.node_panel import NodePanel

SIZE = (100, 30)
UP, DOWN = "127.0.0.1:1", "127.0.0.1:2"  # nothing listens there: both are refused at once


def a_second(n: int) -> NodeFigures:
    wave = (n % 7) / 7
    return NodeFigures(
        seconds=1.0, requests_per_second=1500 + 900 * wave, errors_per_second={"FAILED_PRECONDITION": 40 + n % 5},
        p50_ms=9 + 4 * wave, p99_ms=60 + 50 * wave, group_size=6 + 3 * wave, fsync_ms=1.5 + wave, queue_wait_ms=3.2,
        cpu_percent=71, open_tenants=3, streams=1, uptime_seconds=754,
        tenants=[TenantRow("acme", 1200 + 700 * wave, 35, 9.1, 7.6), TenantRow("globex", 300, 5.5, 2.4, 8.0),
                 TenantRow("other", 12, 0, 0.1, 4.2)])


def test_bf_top_two_nodes(snap_compare, shop, settings):
    async def run_before(pilot) -> None:
        screen = pilot.app.screen
        await settle(pilot, until=lambda: screen.ticks >= 1)  # the first reading: both refused
        screen.paused = True
        up = next(panel for panel in screen.query(NodePanel) if panel.address == UP)
        for n in range(60):
            up.show(a_second(n), screen.sort)
        await settle(pilot)

    assert snap_compare(TopApp(shop, [UP, DOWN], settings=settings), terminal_size=SIZE, run_before=run_before)
