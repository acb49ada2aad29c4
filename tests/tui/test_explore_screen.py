"""The explore screen with Pilot: the outcome first, time travel through the
steps, the schema tree, completion, clean errors, export, history kept across
runs, the browser key, and a clean stop that removes the files (real Datasette)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import urllib.request

import pytest

from textual.widgets import DataTable, Input, OptionList, Static

from tests.tui.pilot_helpers import choose, press, rendered, running, settle
from workbench.explore.cache import explore_files
from workbench.tui.screens import explore as explore_module
from workbench.tui.screens.explore import ExploreScreen
from workbench.tui.screens.pick import PickScreen
from workbench.tui.widgets.schema_tree import SchemaTree
from workbench.tui.widgets.sql_console import SqlConsole
from workbench.tui.widgets.step_changes import StepChanges
from workbench.tui.widgets.step_list import StepList

TWO_PRODUCTS = "specs/products/add.spec#5"  # added by the fixture below: two given products, then a third
FAILING = "specs/products/add.spec#2"
TWO_PRODUCTS_THEN_A_THIRD = """
==========================================
two products, then a third
------------------------------------------
GIVEN:
  ProductAdded uid:"00000000-0000-0000-0000-000000000001" sku:"cola"
  ProductAdded uid:"00000000-0000-0000-0000-000000000002" sku:"fanta"
WHEN:
  AddProductsReq skus:"sprite"
THEN:
  AddProductsResp uids:"00000000-0000-0000-0000-000000000003"
EVENTS:
  ProductAdded uid:"00000000-0000-0000-0000-000000000003" sku:"sprite"
"""


@pytest.fixture(autouse=True)
def a_spec_with_steps(shop):
    spec_file = shop.specs_dir / "products" / "add.spec"
    spec_file.write_text(spec_file.read_text().rstrip("\n") + "\n" + TWO_PRODUCTS_THEN_A_THIRD)


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def cells(table: DataTable) -> list[list[str]]:
    return [[str(value) for value in table.get_row_at(row)] for row in range(table.row_count)]


async def explore(pilot, spec_id: str) -> ExploreScreen:
    await choose(pilot, spec_id)
    await pilot.press("x")
    screen = pilot.app.screen
    assert isinstance(screen, ExploreScreen)
    await settle(pilot, until=lambda: screen.database is not None and screen.query_one(DataTable).row_count > 0)
    return screen


async def run_sql(pilot, screen, sql: str) -> None:
    query = screen.query_one("#sql-input", Input)
    query.focus()
    query.value = sql
    await pilot.press("enter")
    await settle(pilot, until=lambda: screen.query_one(SqlConsole).history[-1:] == [sql])
    await settle(pilot)


async def test_explore_shows_the_outcome_then_travels_through_the_steps(make_app, shop):
    app = make_app()
    async with running(app) as pilot:
        screen = await explore(pilot, TWO_PRODUCTS)
        outcome = rendered(screen.query_one("#explore-outcome", Static))
        assert outcome.startswith("✔ passed  two products, then a third")
        steps = screen.query_one(StepList)
        assert steps.option_count == 3  # GIVEN 1, GIVEN 2 (the fixture's), WHEN
        assert steps.highlighted == 2 and screen.database == "when", "it opens on the final state"
        table = screen.query_one("#sql-results", DataTable)
        assert screen.query_one(SqlConsole).sql == "select * from products", "the table the step changed"

        via_http = await asyncio.to_thread(fetch, screen.server.url_of("when") + ".json?sql=select+sku+from+products+order+by+sku")
        assert via_http["rows"] == [["cola"], ["fanta"], ["sprite"]]
        before = await asyncio.to_thread(fetch, screen.server.url_of("given-1") + ".json?sql=select+sku+from+products")
        assert before["rows"] == [["cola"]], "each step is a database Datasette serves"
        assert rendered(screen.query_one("#explore-url", Static)).startswith(f"WHEN: Datasette {screen.server.url_of('when')}")

        await pilot.press("ctrl+t")
        assert app.focused is steps
        await press(pilot, "home")
        await settle(pilot, until=lambda: screen.database == "given-1")
        changes = rendered(screen.query_one(StepChanges))
        assert changes.startswith("GIVEN 1  ")
        await run_sql(pilot, screen, "select count(*) from products")
        first = cells(table)
        await press(pilot, "ctrl+t", "end")
        await settle(pilot, until=lambda: screen.database == "when")
        await settle(pilot, until=lambda: cells(table) != first)
        assert int(cells(table)[0][0]) > int(first[0][0]), "the WHEN's state has the products it added"
        assert "products  +" in rendered(screen.query_one(StepChanges))


async def test_the_schema_tree_has_row_counts_types_and_indexes(make_app):
    app = make_app()
    async with running(app) as pilot:
        screen = await explore(pilot, TWO_PRODUCTS)
        tree = screen.query_one(SchemaTree)
        tables = {node.data: node for node in tree.root.children}
        products = tables["products"]
        assert products.label.plain.split() == ["products", "3"]
        leaves = [child.label.plain for child in products.children]
        assert leaves[0] == "* uid text" and "  sku text" in leaves
        assert any(child.label.plain == "indexes" for child in products.children)


async def test_completion_errors_export_and_history_across_runs(make_app, settings, shop):
    app = make_app()
    async with running(app) as pilot:
        screen = await explore(pilot, TWO_PRODUCTS)
        console = screen.query_one(SqlConsole)
        query = screen.query_one("#sql-input", Input)
        query.focus()
        query.value = ""
        await pilot.press(*"select s", "tab")
        assert query.value == "select sku", "a column of the live schema"
        await pilot.press(*" fr", "tab", *" pro", "tab")
        assert query.value == "select sku from products"
        await pilot.press("enter")
        table = screen.query_one("#sql-results", DataTable)
        await settle(pilot, until=lambda: sorted(cells(table)) == [["cola"], ["fanta"], ["sprite"]])

        await run_sql(pilot, screen, "select nonsense from products")
        error = screen.query_one("#sql-error", Static)
        assert rendered(error) == "error: no such column: nonsense"
        assert table.row_count == 0 and not table.columns, "an error clears the results"

        await run_sql(pilot, screen, "select uid, sku from products order by sku")
        assert not error.display
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PickScreen)
        await press(pilot, "enter")  # Copy as CSV
        rows = list(csv.reader(io.StringIO(app.clipboard)))
        assert rows[:3] == [["uid", "sku"], ["00000000-0000-0000-0000-000000000001", "cola"],
                            ["00000000-0000-0000-0000-000000000002", "fanta"]] and len(rows) == 4
        saved = screen.export_result(5)  # Save as Markdown
        assert saved.read_text().splitlines()[2] == "| UID(1) | cola |"
        assert saved.parent == shop.root / ".bf" / "exports"

        await pilot.press("ctrl+r")
        assert isinstance(app.screen, PickScreen)
        assert app.screen.query_one(OptionList).get_option_at_index(0).prompt == "select uid, sku from products order by sku"
        await press(pilot, "down", "enter")
        assert query.value == "select nonsense from products"
        assert console.history[-1] == "select uid, sku from products order by sku"

    again = make_app()
    async with running(again) as pilot:
        screen = await explore(pilot, TWO_PRODUCTS)
        screen.query_one("#sql-input", Input).focus()
        await press(pilot, "up")
        assert screen.query_one("#sql-input", Input).value == "select uid, sku from products order by sku", \
            "the history of the run before"


async def test_browser_key_opens_one_or_says_where_to_point_it(make_app, monkeypatch):
    app = make_app()
    opened = []
    app.open_url = lambda url, **kwargs: opened.append(url)
    async with running(app) as pilot:
        screen = await explore(pilot, TWO_PRODUCTS)
        url = screen.server.url_of("when")
        monkeypatch.setattr(explore_module, "browser_available", lambda: True)
        await press(pilot, "ctrl+o")
        assert opened == [url] and app.clipboard == url
        monkeypatch.setattr(explore_module, "browser_available", lambda: False)
        await press(pilot, "ctrl+o")
        assert opened == [url]
        said = [notice.message for notice in app._notifications]
        assert any(f"No browser can open from here: point one at {url}" in message for message in said)


async def test_leaving_stops_datasette_and_removes_the_files_unless_kept(make_app, shop):
    app = make_app()
    async with running(app) as pilot:
        screen = await explore(pilot, TWO_PRODUCTS)
        files = explore_files(shop.root, TWO_PRODUCTS)
        assert files.state.exists() and (files.steps / "given-1.db").exists()
        url = screen.server.url_of("when")
        await press(pilot, "escape")
        assert app.screen is app.main_screen
        await settle(pilot, until=lambda: not files.state.exists())
        assert not files.steps.exists()
        try:
            await asyncio.to_thread(fetch, url + ".json?sql=select+1")
        except OSError:
            pass
        else:
            raise AssertionError("Datasette still answers after leaving the explore screen")

        await explore(pilot, TWO_PRODUCTS)
        await press(pilot, "f2")
        await press(pilot, "escape")
        await settle(pilot)
        assert files.state.exists(), "kept when asked"


async def test_a_crashing_spec_shows_its_traceback_not_a_cleanup_error(make_app, shop):
    feature = shop.root / "domain"
    real = feature.resolve()
    feature.unlink()
    import shutil

    shutil.copytree(real, feature, ignore=shutil.ignore_patterns("__pycache__"))
    add = feature / "features" / "products" / "add.py"
    add.write_text(add.read_text().replace("        uids.append(uid)\n",
                                           "        uids.append(uid)\n        raise ZeroDivisionError('broken handler')\n"))
    app = make_app()
    async with running(app) as pilot:
        await choose(pilot, TWO_PRODUCTS)
        await pilot.press("x")
        screen = app.screen
        await settle(pilot, until=lambda: screen.database is not None)
        outcome = rendered(screen.query_one("#explore-outcome", Static))
        assert outcome.startswith("! crashed  two products, then a third")
        assert "ZeroDivisionError: broken handler" in outcome and "wal mode" not in outcome
        changes = rendered(screen.query_one(StepChanges))
        assert changes.startswith("WHEN  ") and "raise ZeroDivisionError('broken handler')" in changes


async def test_a_failing_spec_says_so_first_with_its_first_difference(make_app):
    app = make_app()
    async with running(app) as pilot:
        screen = await explore(pilot, FAILING)
        outcome = rendered(screen.query_one("#explore-outcome", Static)).splitlines()
        assert outcome[0].startswith("✘ failed  wrong sku in the second event")
        assert outcome[1] == 'Events[1].sku: expected "sprite", got "fanta"'
        assert screen.query_one(StepList).option_count == 1


async def test_a_rejected_request_is_named_with_its_code(make_app):
    app = make_app()
    async with running(app) as pilot:
        screen = await explore(pilot, "specs/products/add.spec#4")
        outcome = rendered(screen.query_one("#explore-outcome", Static)).splitlines()
        assert outcome[0].startswith("✔ passed  a duplicate sku is rejected")
        assert outcome[1] == "the request was rejected: AlreadyExists (sku already exists: cola)"


def test_only_a_browser_beside_the_app_counts(monkeypatch):
    import webbrowser

    def no_browser():
        raise webbrowser.Error("could not locate runnable browser")

    for found, expected in ((lambda: webbrowser.BackgroundBrowser("firefox"), True),
                            (lambda: webbrowser.GenericBrowser("lynx"), False),  # would take over the terminal
                            (no_browser, False)):
        monkeypatch.setattr(webbrowser, "get", found)
        assert explore_module.browser_available() is expected
