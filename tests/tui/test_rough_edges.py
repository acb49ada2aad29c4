"""Rough edges of the app found by using it (issue 14), each pinned by a test:
a spec file broken while the app runs, and the feature documentation's Markdown."""

from __future__ import annotations

from textual.widgets import Static

from tests.tui.pilot_helpers import choose, rendered, running, settle, tree_labels
from workbench.tui.widgets.run_status import RunStatus
from workbench.tui.widgets.spec_tree import SpecTree
from workbench.watch import events as ev

MISSING_EVENT = "specs/products/add.spec#3"


async def test_a_spec_file_broken_while_the_app_runs_is_named_and_the_cursor_stays(make_app, shop):
    app = make_app()
    async with running(app) as pilot:
        screen = app.screen
        await choose(pilot, MISSING_EVENT)
        spec_file = shop.specs_dir / "products" / "add.spec"
        spec_file.write_text(spec_file.read_text().replace("AddProductsReq skus:\"cola\"\nTHEN:", "AddProductsRek\nTHEN:", 1))
        screen.on_engine_event(ev.SpecsLoaded(2, "specs/products/add.spec", [], "specs/products/add.spec:10: unknown message"))
        screen.on_engine_event(ev.RunFinished(2, 3.0, 0, 0))
        await settle(pilot)
        await settle(pilot)
        status = rendered(screen.query_one(RunStatus))
        assert "cannot read specs/products/add.spec:10:" in status and "unknown message AddProductsRek" in status
        assert screen.query_one(SpecTree).cursor_node.data.key == MISSING_EVENT, "the cursor stays on its spec"
        assert screen.chosen.key == MISSING_EVENT
        labels = tree_labels(app)
        assert "add.spec (cannot read)" in labels, "no counts of a file that cannot be read"

        spec_file.write_text(spec_file.read_text().replace("AddProductsRek\nTHEN:", "AddProductsReq skus:\"cola\"\nTHEN:"))
        screen.on_engine_event(ev.SpecsLoaded(3, "specs/products/add.spec", [], None))
        screen.on_engine_event(ev.RunFinished(3, 3.0, 2, 2))
        await settle(pilot)
        assert "cannot read" not in rendered(screen.query_one(RunStatus))
        assert "add.spec 2✔ 2✘" in tree_labels(app)


def plain_lines(renderable, width: int) -> list[str]:
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_a_narrow_diff_puts_expected_over_actual_and_never_cuts_a_word(shop, domain):
    from tests.tui.test_models import index_of, rows_for
    from workbench.tui.widgets.diff_view import DiffRows

    rows = rows_for(index_of(shop, domain), domain, "specs/locations/add.spec#2")
    narrow = plain_lines(DiffRows(rows), 46)  # the diff pane of an 80-column terminal
    assert narrow[:3] == ["Status  differs", "  - OK", "  + NotFound (location not found: UID(9))"]
    assert all(len(line) <= 46 for line in narrow)
    wide = plain_lines(DiffRows(rows), 100)
    status = next(line for line in wide if line.lstrip().startswith("Status"))
    assert status.split() == ["Status", "OK", "NotFound", "(location", "not", "found:", "UID(9))", "differs"]
