"""The explore screen with Pilot: the spec's state through a real embedded
Datasette, the SQL console, its history, copy, browser, and clean stop."""

from __future__ import annotations

import asyncio
import json
import urllib.request

from textual.widgets import DataTable, Input, OptionList, Static

from tests.tui.pilot_helpers import choose, press, rendered, running, settle
from workbench.tui.screens.explore import ExploreScreen
from workbench.tui.widgets.sql_console import SqlConsole

TWO_PRODUCTS = "specs/products/add.spec#2"


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


async def test_x_explores_the_spec_state_through_datasette(make_app):
    app = make_app()
    opened = []
    app.open_url = lambda url, **kwargs: opened.append(url)
    async with running(app) as pilot:
        await choose(pilot, TWO_PRODUCTS)
        await pilot.press("x")
        screen = app.screen
        assert isinstance(screen, ExploreScreen)
        await settle(pilot, until=lambda: screen.query_one(DataTable).row_count > 0)
        banner = rendered(screen.query_one("#explore-url", Static))
        assert "Datasette: http://127.0.0.1:" in banner and screen.server.url in banner
        assert {"products", "locations"} <= {str(screen.query_one(DataTable).get_row_at(i)[0])
                                             for i in range(screen.query_one(DataTable).row_count)}
        via_http = await asyncio.to_thread(fetch, screen.server.url + ".json?sql=select+sku+from+products+order+by+sku")
        assert via_http["rows"] == [["cola"], ["fanta"]], "the state the spec's request left behind"

        query = screen.query_one("#sql-input", Input)
        query.value = "select uid, sku from products order by sku"
        await pilot.press("enter")
        await settle(pilot, until=lambda: screen.query_one(DataTable).row_count == 2)
        table = screen.query_one(DataTable)
        assert [str(cell) for cell in table.get_row_at(0)] == ["UID(1)", "cola"]

        query.value = "select nonsense from products"
        await pilot.press("enter")
        error = screen.query_one("#sql-error", Static)
        await settle(pilot, until=lambda: error.display)
        assert "no such column: nonsense" in rendered(error)

        history = screen.query_one("#sql-history", OptionList)
        assert history.option_count == 3
        await pilot.press("up")
        assert query.value == "select nonsense from products"
        await pilot.press("up")
        assert query.value == "select uid, sku from products order by sku"
        await pilot.press("down")
        assert query.value == "select nonsense from products"

        await press(pilot, "f1")
        assert rendered(app.screen.query_one("#help-focused", Static)) == SqlConsole.HELP
        await press(pilot, "escape")
        assert app.screen is screen

        await pilot.press("ctrl+y")
        assert app.clipboard == "select nonsense from products"
        await pilot.press("ctrl+o")
        assert opened == [screen.server.url]

        url = screen.server.url
        await press(pilot, "escape")
        assert app.screen is app.main_screen
        try:
            await asyncio.to_thread(fetch, url + ".json?sql=select+1")
        except OSError:
            pass
        else:
            raise AssertionError("Datasette still answers after leaving the explore screen")
