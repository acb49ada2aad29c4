"""Small helpers the Pilot tests share."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from rich.text import Text

from workbench.tui.widgets.spec_tree import SpecTree


SIZE = (120, 36)


@asynccontextmanager
async def running(app, size: tuple[int, int] = SIZE):
    """The app headless, past its first screen and its first verdicts."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot, until=lambda: first_run_shown(app))
        yield pilot


async def choose(pilot, spec_id: str) -> None:
    """Put the tree's cursor on this spec and wait until its pane shows it."""
    assert pilot.app.screen.query_one(SpecTree).select(spec_id)
    await settle(pilot, until=lambda: pilot.app.screen.chosen.key == spec_id)


def first_run_shown(app) -> bool:
    """Every spec has its verdict, the tree is relabelled, and something is chosen."""
    screen = app.screen
    if not hasattr(screen, "chosen"):
        return True  # another screen on top: nothing to wait for
    tree = screen.query_one(SpecTree)
    return len(app.index.verdicts) == len(app.index.entries()) and not tree._stale and screen.chosen is not None


async def settle(pilot, until=None, seconds: float = 20.0) -> None:
    """Let queued messages run; with `until`, wait (at most `seconds`) for it to be true."""
    await pilot.pause()
    if until is None:
        await pilot.pause()
        return
    deadline = asyncio.get_running_loop().time() + seconds
    while not until():
        assert asyncio.get_running_loop().time() < deadline, "the app did not get there in time"
        await pilot.pause(0.02)


async def press(pilot, *keys: str) -> None:
    """Press the keys, then let the app handle them."""
    await pilot.press(*keys)
    await settle(pilot)


def tree_labels(app) -> list[str]:
    """Every visible node's label, in tree order, as plain text."""
    tree = app.screen.query_one(SpecTree)
    labels = []

    def walk(node):
        for child in node.children:
            labels.append(Text.assemble(child.label).plain if not isinstance(child.label, str) else child.label)
            if child.is_expanded:
                walk(child)

    walk(tree.root)
    return labels


def rendered(widget) -> str:
    """What a Static shows, as plain text."""
    content = widget.render()
    return content.plain if hasattr(content, "plain") else str(widget.content)
