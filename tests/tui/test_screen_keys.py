"""The keys not covered with their screens: going back, closing, running perf
again, quitting, and what happens when a key needs a spec and none is chosen."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui.pilot_helpers import choose, press, rendered, running, settle
from workbench.tui.screens.catalogue import CatalogueScreen
from workbench.tui.screens.explore import ExploreScreen
from workbench.tui.screens.help import HelpScreen


async def test_escape_leaves_the_catalogue_and_the_help(make_app):
    app = make_app()
    async with running(app) as pilot:
        await press(pilot, "c")
        assert isinstance(app.screen, CatalogueScreen)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, CatalogueScreen)
        await press(pilot, "escape")
        assert app.screen is app.main_screen


async def test_keys_that_need_a_spec_say_so_when_an_area_is_chosen(make_app):
    app = make_app()
    notes = []
    app.notify = lambda message, **kwargs: notes.append(message)
    async with running(app) as pilot:
        assert app.screen.chosen.kind == "area"
        for key in ("e", "E", "x", "y"):
            await press(pilot, key)
        assert notes == ["Choose a spec first."] * 4
        assert app.screen is app.main_screen


async def test_r_runs_perf_again_and_the_screen_keeps_its_run_when_left(make_app):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("p")
        screen = app.screen
        await settle(pilot, until=lambda: not screen.running, seconds=60)
        first = screen.result
        await press(pilot, "escape", "p")
        assert app.screen is screen and screen.result is first
        await pilot.press("r")
        assert screen.running
        await settle(pilot, until=lambda: not screen.running, seconds=60)
        assert screen.result is not first and "nothing measured" in rendered(screen.query_one("#perf-notes", Static))


async def test_explore_says_why_when_the_spec_cannot_run(make_app, shop):
    app = make_app()
    async with running(app) as pilot:
        spec_id = "specs/products/add.spec#1"
        await choose(pilot, spec_id)
        (shop.specs_dir / "products" / "add.spec").unlink()  # gone before `bf explore` reads it
        await pilot.press("x")
        screen = app.screen
        assert isinstance(screen, ExploreScreen)
        banner = screen.query_one("#explore-outcome", Static)
        await settle(pilot, until=lambda: "could not run" in rendered(banner))
        assert f"no spec named '{spec_id}'" in rendered(banner)
        assert screen.server is None


@pytest.mark.parametrize("keys", [("q",), ("c", "ctrl+q")], ids=["q on the main screen", "ctrl+q anywhere"])
async def test_quitting(make_app, keys):
    app = make_app()
    async with running(app) as pilot:
        await press(pilot, *keys)
    assert app.return_code == 0 and not app.is_running
