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
