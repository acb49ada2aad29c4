"""The main screen with Pilot: tree, marks, counts, filter, spec view, diff, and every key."""

from __future__ import annotations

import os
import stat
import sys

from textual.widgets import Input, Static

from tests.tui.pilot_helpers import choose, press, rendered, running, settle, tree_labels
from workbench.tui.screens.catalogue import CatalogueScreen
from workbench.tui.screens.help import HelpScreen
from workbench.tui.widgets.diff_view import DiffView
from workbench.tui.widgets.feature_doc import FeatureDoc
from workbench.tui.widgets.run_status import RunStatus
from workbench.tui.widgets.spec_tree import SpecTree

WRONG_SKU = "specs/products/add.spec#2"
MISSING_EVENT = "specs/products/add.spec#3"
STATUS_DIFFERS = "specs/locations/add.spec#2"
FIRST_PRODUCT = "specs/products/add.spec#1"


async def test_the_tree_shows_areas_files_and_counts_with_marks(make_app):
    app = make_app()
    async with running(app):
        labels = tree_labels(app)
        assert labels[0] == "locations 1✔ 1✘"
        assert "products 2✔ 2✘" in labels
        assert "add.spec 2✔ 2✘" in labels
        status = rendered(app.screen.query_one(RunStatus))
        assert "run 1: 3 passed, 3 failed in 12 ms" in status


async def test_a_spec_shows_highlighted_with_its_docs_and_ids_as_uids(make_app):
    app = make_app()
    async with running(app) as pilot:
        await choose(pilot, FIRST_PRODUCT)
        source = app.screen.query_one("#spec-source", Static).render()
        assert 'AddProductsResp uids:"UID(1)"' in source.plain
        assert "00000000-0000" not in source.plain
        assert any("cyan" in str(span.style) for span in source.spans), "message names are coloured by the lexer"
        doc = app.screen.query_one("#feature-doc", FeatureDoc)
        assert doc.display and "registers **SKUs**" in doc.source
        assert not app.screen.query_one(DiffView).display


async def test_a_failing_spec_shows_its_diff_side_by_side(make_app):
    app = make_app()
    async with running(app) as pilot:
        await choose(pilot, WRONG_SKU)
        diff = app.screen.query_one(DiffView)
        assert diff.display
        plain = _plain(app, diff)
        assert 'sku:"sprite"' in plain and 'sku:"fanta"' in plain
        assert "Events[1].sku: expected \"sprite\", got \"fanta\"" in plain
        await choose(pilot, MISSING_EVENT)
        assert "missing" in _plain(app, diff)
        await choose(pilot, STATUS_DIFFERS)
        plain = _plain(app, diff)
        assert "Status" in plain and "NotFound" in plain


def _plain(app, widget) -> str:
    """The widget as the terminal shows it (Rich renderables laid out at its width)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(widget.content)
    return console.export_text()


async def test_slash_filters_by_name_message_type_and_field_value(make_app):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("slash")
        field = app.screen.query_one("#filter", Input)
        assert field.display and field.has_focus
        await press(pilot, *"fanta")
        tree = app.screen.query_one(SpecTree)
        assert tree.spec_ids() == [WRONG_SKU, MISSING_EVENT]
        field.value = "locationadded"
        await settle(pilot)
        assert tree.spec_ids() == ["specs/locations/add.spec#1"]
        await press(pilot, "escape")
        assert not field.display and len(tree.spec_ids()) == 6


async def test_n_goes_to_the_next_failure(make_app):
    app = make_app()
    async with running(app) as pilot:
        await choose(pilot, FIRST_PRODUCT)
        await press(pilot, "n")
        assert app.screen.chosen.key == WRONG_SKU
        await press(pilot, "n")
        assert app.screen.chosen.key == MISSING_EVENT


async def test_run_all_and_rerun_failed_ask_the_engine(make_app):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("a")
        await press(pilot, "f")
        assert app.engine.asked == ["run_all", "rerun_failed"]
        assert "run 3: 0 passed, 3 failed" in rendered(app.screen.query_one(RunStatus))


async def test_y_copies_the_failure_as_text(make_app):
    app = make_app()
    async with running(app) as pilot:
        await choose(pilot, WRONG_SKU)
        await pilot.press("y")
        assert 'Events[1].sku: expected "sprite", got "fanta"' in app.clipboard
        assert app.clipboard.startswith("wrong sku in the second event")
        await choose(pilot, FIRST_PRODUCT)
        await pilot.press("y")
        assert app.clipboard.startswith("add one product") and "differences" not in app.clipboard


async def test_e_opens_the_spec_and_shift_e_its_feature_in_the_editor(make_app, tmp_path, monkeypatch):
    record = tmp_path / "editor-args"
    editor = tmp_path / "editor"
    editor.write_text(f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(editor))
    app = make_app()
    async with running(app) as pilot:
        await choose(pilot, WRONG_SKU)
        await pilot.press("e")
        await press(pilot, "E")
        await choose(pilot, "specs/locations/add.spec")
        await press(pilot, "e")
    spec_call, feature_call, file_call = record.read_text().splitlines()
    assert file_call == "+1 " + str(app.project.root / "specs/locations/add.spec")
    assert spec_call.endswith("+17 " + str(app.project.root / "specs/products/add.spec"))
    assert feature_call.startswith("+1 ") and feature_call.endswith("domain/features/products/add.py")


async def test_c_opens_the_catalogue_and_enter_shows_a_spec(make_app):
    app = make_app()
    async with running(app) as pilot:
        await press(pilot, "c")
        screen = app.screen
        assert isinstance(screen, CatalogueScreen)
        assert screen.current.name == "AddLocationsReq"
        assert "served by domain.features.locations.add" in rendered(screen.query_one("#catalogue-fields"))
        await press(pilot, "slash", *"productadded")
        assert screen.current.name == "ProductAdded" and screen.current.kind == "event"
        assert screen.current.spec_ids == [FIRST_PRODUCT, WRONG_SKU, MISSING_EVENT, "specs/products/add.spec#4"]
        screen.query_one("#catalogue-specs").focus()
        await press(pilot, "down", "enter")
        assert app.screen is app.main_screen and app.screen.chosen.key == WRONG_SKU


async def test_f1_lists_every_key_of_the_screen_and_the_app(make_app):
    app = make_app()
    async with running(app) as pilot:
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        from textual.widgets import DataTable

        from workbench.tui.keys import APP_KEYS, MAIN_KEYS

        table = app.screen.query_one(DataTable)
        ids = [table.get_row_at(i)[2] for i in range(table.row_count)]
        assert ids == [key.id for key in (*MAIN_KEYS, *APP_KEYS)]
        assert rendered(app.screen.query_one("#help-focused", Static)) == SpecTree.HELP, "help for the focused tree"
        await press(pilot, "f1")
        assert app.screen is app.main_screen


async def test_the_palette_offers_every_action_of_the_screen(make_app):
    app = make_app()
    async with running(app) as pilot:
        from workbench.tui.keys import MAIN_KEYS

        titles = [command.title for command in app.get_system_commands(app.screen)]
        for key in MAIN_KEYS:
            if not key.action.startswith("app."):
                assert key.label in titles
        assert {"Help", "Quit", "Theme: bf-dark", "Theme: bf-light", "Theme: bf-high-contrast"} <= set(titles)
        await press(pilot, "ctrl+p")
        await press(pilot, *"run all", "enter")
        assert app.engine.asked == ["run_all"]


async def test_clicking_a_spec_with_the_mouse_selects_it(make_app):
    app = make_app()
    async with running(app) as pilot:
        tree = app.screen.query_one(SpecTree)
        await choose(pilot, FIRST_PRODUCT)  # opens its file; now click the spec below it
        line = tree.cursor_line + 1
        await pilot.click(SpecTree, offset=(6, line - tree.scroll_offset.y))
        await settle(pilot)
        assert app.screen.chosen.key == WRONG_SKU


async def test_a_rerun_spec_shows_why_it_was_chosen(make_app):
    app = make_app()
    async with app.run_test(size=(160, 36)) as pilot:
        await choose(pilot, FIRST_PRODUCT)
        assert not any("←" in label for label in tree_labels(app)), "a run of everything needs no reason"
        app.engine.run([WRONG_SKU], "domain/features/products/add.py changed")
        await settle(pilot)
        labels = tree_labels(app)
        assert "✘ wrong sku in the second event  ← domain/features/products/add.py changed" in labels
        assert "✔ add one product" in labels
        await choose(pilot, WRONG_SKU)
        verdict_line = rendered(app.screen.query_one("#spec-verdict", Static))
        assert verdict_line.startswith("✘ fail") and "run because: domain/features/products/add.py changed" in verdict_line


async def test_a_crashed_spec_shows_its_traceback(make_app):
    from workbench.watch import events as ev

    app = make_app()
    async with running(app) as pilot:
        crash = {"status": "error", "differences": [], "seconds": 0.0,
                 "error": 'Traceback (most recent call last):\n  File "add.py", line 9\nZeroDivisionError: division by zero'}
        app.screen.on_engine_event(ev.SpecFinished(2, FIRST_PRODUCT, "domain/features/products/add.py changed", crash))
        await choose(pilot, FIRST_PRODUCT)
        assert "! add one product" in " ".join(tree_labels(app))
        plain = _plain(app, app.screen.query_one(DiffView))
        assert "crashed:" in plain and "ZeroDivisionError: division by zero" in plain
        await pilot.press("y")
        assert "crashed:" in app.clipboard and "ZeroDivisionError" in app.clipboard
