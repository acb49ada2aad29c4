"""The app on the real watch engine, in a temporary copy of the project:
breaking a feature on disk turns its specs red with a readable diff, and
fixing it turns them green, while the other specs stay as they were."""

from __future__ import annotations

from tests.tui.pilot_helpers import choose, settle
from workbench.tui.app import WorkbenchApp
from workbench.tui.settings import Settings
from workbench.tui.widgets.diff_view import DiffView

GOOD = "tx.apply(ProductAdded(uid=uid, sku=sku))"
BROKEN = 'tx.apply(ProductAdded(uid=uid, sku=sku + "!"))'


async def test_a_broken_feature_goes_red_with_its_diff_then_green_when_fixed(project_copy, tmp_path):
    feature = project_copy.features_dir / "products" / "add.py"
    assert GOOD in feature.read_text()
    app = WorkbenchApp(project_copy, settings=Settings(tmp_path / "config"))
    index = app.index
    products = [e.spec_id for e in index.entries() if e.file == "specs/products/add.spec"]
    others = [e.spec_id for e in index.entries() if e.file != "specs/products/add.spec"]
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, until=lambda: len(index.verdicts) == len(index.entries()) and not app.engine.running)
        assert all(index.status(s) == "pass" for s in products + others)

        feature.write_text(feature.read_text().replace(GOOD, BROKEN))
        await settle(pilot, until=lambda: any(index.status(s) == "fail" for s in products))
        await settle(pilot, until=lambda: not app.engine.running)
        red = [s for s in products if index.status(s) == "fail"]
        assert red and all(index.status(s) == "pass" for s in others)
        assert "products/add.py" in index.reasons[red[0]]

        await choose(pilot, red[0])
        diff = app.screen.query_one(DiffView)
        assert diff.display
        assert '!"' in str([d["actual"] for d in index.verdicts[red[0]]["differences"]])

        feature.write_text(feature.read_text().replace(BROKEN, GOOD))
        await settle(pilot, until=lambda: all(index.status(s) == "pass" for s in products))
        assert not diff.display
