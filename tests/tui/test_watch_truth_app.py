"""The app tells the truth too: after each of a few seeded random edits, the
status of every spec in its tree (Pilot, the real watch engine) equals a
fresh `bf test --json` of the same tree, and no spec is missing or extra."""

from __future__ import annotations

import asyncio
import random

from tests.tui.pilot_helpers import settle
from tests.watch_truth import (
    EDITS, Tree, contract, framework, fresh_bf_test, make_copy, runaway_handler, step,
)
from workbench.config import find_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.settings import Settings

STEPS = 4


async def quiet(pilot, app) -> None:
    """The engine has nothing running or waiting, and nothing came for a while."""
    engine = app.engine
    for _ in range(3):
        await asyncio.sleep(0.4)
        await settle(pilot, until=lambda: not engine.running and engine._pending is None, seconds=60)


async def test_the_spec_tree_shows_what_a_fresh_bf_test_says(tmp_path, monkeypatch):
    root = make_copy(tmp_path / "copy")
    # the app's engine watches its own framework, not the copy's; contracts and runaways are the CLI test's
    monkeypatch.setattr("tests.watch_truth.EDITS", [e for e in EDITS if e not in (framework, contract, runaway_handler)])
    tree = Tree(root, random.Random(5), root)
    app = WorkbenchApp(find_project(root), settings=Settings(tmp_path / "config"))
    index = app.index
    async with app.run_test(size=(140, 40)) as pilot:
        await quiet(pilot, app)
        done = []
        for _ in range(STEPS):
            done.append(step(tree))
            await quiet(pilot, app)
            oracle = fresh_bf_test(root)
            shown = {e.spec_id: index.status(e.spec_id) for e in index.entries()}
            truth = {spec: verdict[0] for spec, verdict in oracle.verdicts.items()}
            assert shown == truth, f"after {done}"
