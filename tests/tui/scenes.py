"""The app's main screens as scenes: each brings a running app (on the `shop`
fixture project) to one screen. The snapshot tests compare them, and
docs/screenshots.py saves them as the docs' screenshots, so both show the same."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from tests.tui.pilot_helpers import settle
from workbench.config import Project, find_project
from workbench.tui.widgets.spec_tree import SpecTree

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
FIXTURES = Path(__file__).parent / "fixtures"


def make_shop(folder: Path, project: Project) -> Project:
    """A small project `shop` in `folder`: the fixture specs (some wrong on purpose),
    the real domain (linked) and themes."""
    root = folder / "shop"
    root.mkdir()
    shutil.copy(project.root / "pyproject.toml", root)
    (root / "domain").symlink_to(project.root / "domain")
    shutil.copytree(FIXTURES / "specs", root / "specs")
    shutil.copytree(project.root / "themes", root / "themes")
    return find_project(root)


async def _ready(pilot) -> None:
    await settle(pilot, until=lambda: len(pilot.app.index.verdicts) == len(pilot.app.index.entries()))
    await settle(pilot)


async def _still(pilot) -> None:
    """No blinking cursor: every snapshot of the same screen is the same."""
    await settle(pilot)
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await settle(pilot)


async def _choose(pilot, spec_id: str) -> None:
    tree = pilot.app.screen.query_one(SpecTree)
    tree.select(spec_id)
    tree.focus()
    await settle(pilot, until=lambda: pilot.app.screen.chosen and pilot.app.screen.chosen.key == spec_id)


async def failing_spec(pilot) -> None:
    await _ready(pilot)
    await _choose(pilot, "specs/products/add.spec#2")
    await _still(pilot)


async def passing_spec(pilot) -> None:
    await _ready(pilot)
    await _choose(pilot, "specs/products/add.spec#1")
    await _still(pilot)


async def filtered(pilot) -> None:
    await _ready(pilot)
    await pilot.press("slash")
    pilot.app.screen.query_one("#filter", Input).value = "fanta"
    await pilot.press("enter")  # back to the tree, as people do after typing a filter
    await _still(pilot)


async def help_screen(pilot) -> None:
    await _ready(pilot)
    await pilot.press("f1")
    await _still(pilot)


async def catalogue(pilot) -> None:
    await _ready(pilot)
    await pilot.press("c", "slash", *"addproducts", "enter")  # only the kata's messages, which never change
    await _still(pilot)


async def explore(pilot) -> None:
    """A rejected request with one GIVEN event: the outcome, the steps, the schema, the console."""
    await _ready(pilot)
    await _choose(pilot, "specs/products/add.spec#4")
    await pilot.press("x")
    screen = pilot.app.screen
    await settle(pilot, until=lambda: getattr(screen, "database", None) and screen.query_one(DataTable).row_count > 0)
    screen.set_focus(None)  # no cursor: where it blinks is a matter of timing
    await _still(pilot)
    url = screen.query_one("#explore-url", Static)
    url.update(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", str(url.render())))  # a free port: a new one each run
    results = screen.query_one("#sql-results", DataTable)
    results.border_subtitle = re.sub(r", [\d.]+ ms$", "", results.border_subtitle or "")
    await settle(pilot)


SCENES = {
    "main-failing-spec": failing_spec,
    "main-passing-spec": passing_spec,
    "main-filtered": filtered,
    "help": help_screen,
    "catalogue": catalogue,
    "explore": explore,
}
