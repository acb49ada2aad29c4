"""Snapshots of the main screens (pytest-textual-snapshot; `--snapshot-update`
rewrites them after a deliberate change; look at the SVGs before committing)."""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.pilot_helpers import SIZE, settle
from workbench.tui.widgets.spec_tree import SpecTree


def showing(spec_id: str | None = None, filter_text: str | None = None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        if filter_text is not None:
            await pilot.press("slash")
            app.screen.query_one("#filter", Input).value = filter_text
            await pilot.press("enter")  # back to the tree, as people do after typing a filter
            await settle(pilot)
        if spec_id is not None:
            app.screen.query_one(SpecTree).select(spec_id)
            app.screen.query_one(SpecTree).focus()
        await settle(pilot)
        for field in app.query(Input):
            field.cursor_blink = False  # a blinking cursor would make every snapshot differ
    return run_before


def test_main_screen_a_passing_spec_with_its_documentation(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=showing("specs/products/add.spec#1"))


def test_main_screen_a_failing_spec_with_its_diff(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=showing("specs/products/add.spec#2"))


def test_main_screen_filtered(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=showing(filter_text="fanta"))


def test_help_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["f1"], run_before=showing())


def test_catalogue_screen(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("c", "slash", *"addproducts", "enter")  # only the kata's messages, which never change
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
